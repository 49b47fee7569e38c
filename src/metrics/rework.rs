//! DORA's fifth measure, deployment rework rate (METRICS.md §3.1, §3.4): unplanned production
//! deployments made because of a production incident, over all counted deployments.
//!
//! GitHub Deployments carry no "unplanned" flag, so opsdeck decides from what it has. A counted
//! deployment (production, latest status `success`, finished in the window — the same
//! population as deployment frequency) is **rework** when either
//!
//! 1. it is a rollback (`rollback_of` is set: opsdeck's rollback action or a synced deployment
//!    recorded as rolling back another), or
//! 2. it is a fix-forward: the previous successful production deployment of the same service
//!    is linked to at least one incident that was still unresolved when this deployment
//!    finished (resolved at or after it, or never).
//!
//! Anything else is planned. The previous deployment may lie before the window (a Monday hotfix
//! for a Friday deployment counts in Monday's week). Linking uses the same explicit
//! deployment↔incident links as the change failure rate.

use chrono::{DateTime, Utc};

use super::dora::{Deployment, DoraIncident, DoraWindow};

/// Rework rate over one window.
#[derive(Debug, Clone, PartialEq)]
pub struct ReworkRate {
    /// Counted deployments (the denominator).
    pub deployments: usize,
    /// Of those, unplanned deployments made because of an incident.
    pub rework: usize,
    /// `rework / deployments`; `None` without deployments (never 0 %).
    pub rate: Option<f64>,
    /// Ids of the rework deployments, in time order.
    pub rework_ids: Vec<String>,
}

/// The rework rate of the deployments that finished in `window`.
#[must_use]
#[allow(clippy::cast_precision_loss, reason = "counts are small")]
pub fn rework_rate(
    deployments: &[Deployment],
    incidents: &[DoraIncident],
    window: &DoraWindow,
) -> ReworkRate {
    let mut all: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| d.reached_production())
        .collect();
    all.sort_by(|a, b| a.finished_at.cmp(&b.finished_at).then(a.id.cmp(&b.id)));
    let open_at = |id: &str, at: DateTime<Utc>| {
        incidents
            .iter()
            .find(|i| i.id == id)
            .is_some_and(|i| i.resolved_at.is_none_or(|r| r >= at))
    };
    let mut total = 0;
    let mut rework_ids = Vec::new();
    for (i, d) in all.iter().enumerate() {
        if !window.contains(d.finished_at) {
            continue;
        }
        total += 1;
        let previous = all[..i].iter().rev().find(|p| p.service == d.service);
        let fix_forward =
            previous.is_some_and(|p| p.incident_ids.iter().any(|id| open_at(id, d.finished_at)));
        if d.is_rollback || fix_forward {
            rework_ids.push(d.id.clone());
        }
    }
    ReworkRate {
        deployments: total,
        rework: rework_ids.len(),
        rate: (total > 0).then(|| rework_ids.len() as f64 / total as f64),
        rework_ids,
    }
}
