//! Customer health and NPS derived from cached rows: which services touched a customer, the
//! worst SLO budget among them, and the weighted health score (mapping documented in the
//! parent module).

use std::collections::BTreeSet;

use super::slo_view;
use crate::config::Policy;
use crate::domain::{Customer, Incident, Slo};
use crate::metrics::customer::{self as cm, HealthMeasures, HealthScore, Nps};
use crate::review::policy::health_weights;

// -- Customers --

/// A customer's NPS and health.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerHealth {
    /// The most recent response (0–10).
    pub latest_nps: Option<u8>,
    /// NPS over every recorded response.
    pub nps: Option<Nps>,
    /// The measure scores that went in.
    pub measures: HealthMeasures,
    /// The score with its breakdown (`None` when no measure has a value).
    pub health: Option<HealthScore>,
}

/// Services of the incidents that touched the customer.
#[must_use]
pub fn customer_services(customer: &Customer, incidents: &[Incident]) -> BTreeSet<String> {
    incidents
        .iter()
        .filter(|i| i.customers.contains(&customer.slug))
        .map(|i| i.service.clone())
        .collect()
}

/// The worst budget remaining among the SLOs of `services` (`None` when none has data).
#[must_use]
pub fn services_budget_remaining(services: &BTreeSet<String>, slos: &[Slo]) -> Option<f64> {
    slos.iter()
        .filter(|s| services.contains(&s.service))
        .filter_map(|s| slo_view(s).eval.and_then(|e| e.budget).map(|b| b.remaining))
        .reduce(f64::min)
}

/// NPS and health of a customer; `budget_remaining` is the reliability input (see module docs).
#[must_use]
pub fn customer_health(
    policy: &Policy,
    customer: &Customer,
    budget_remaining: Option<f64>,
) -> CustomerHealth {
    let scores: Vec<i64> = customer.nps.iter().map(|r| i64::from(r.score)).collect();
    let nps = cm::nps(&scores).ok().flatten();
    let pct = |v: f64| {
        if v.is_finite() {
            Some(v.clamp(0.0, 100.0))
        } else {
            None
        }
    };
    let days = customer
        .usage_days_per_week
        .and_then(|d| pct(d / 7.0 * 100.0));
    let adoption = customer.feature_adoption_pct.and_then(pct);
    let usage = match (days, adoption) {
        (Some(d), Some(a)) => Some((d + a) / 2.0),
        (d, a) => d.or(a),
    };
    let measures = HealthMeasures {
        usage,
        support: pct(100.0 - 20.0 * customer.tickets_per_week),
        nps: nps.map(|n| cm::nps_to_score(n.exact)),
        reliability: budget_remaining
            .filter(|b| b.is_finite())
            .map(cm::reliability_score),
        engagement: customer.engagement.and_then(pct),
    };
    CustomerHealth {
        latest_nps: customer.nps.last().map(|r| r.score),
        nps,
        measures,
        health: cm::health_score(&measures, &health_weights(policy))
            .ok()
            .flatten(),
    }
}
