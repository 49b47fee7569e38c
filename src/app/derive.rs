//! Derived values: the numbers the tabs and the Friday review compute from cached rows.
//!
//! Everything here is pure (time comes in as `now`) and delegates the arithmetic to
//! [`crate::metrics`]; this module only maps domain rows and config policies onto the metric
//! functions' inputs, and formats a few short labels. The UI calls it while drawing, the review
//! calls it while freezing a snapshot, so both show the same figures.
//!
//! Mapping choices (documented here because METRICS.md leaves them to opsdeck):
//! - **Fix-by** deadlines count from the bug's *creation* in the team's time zone: `today` is the
//!   end (24:00) of the creation day, `this-week` the end of that ISO week's Sunday,
//!   `this-month` the end of that month, `next-quarter` the end of the calendar quarter after
//!   the creation quarter; anything else is read as a duration (`3d`, `12h`) from creation.
//! - **Health measures:** usage = `usage_days_per_week / 7 × 100`, averaged 50/50 with feature
//!   adoption % when both are known (either alone when only one is); support =
//!   `100 − 20 × tickets_per_week` clamped to 0–100; NPS = `(NPS + 100) / 2` over every recorded
//!   response; reliability = `100 × clamp(budget remaining)` of the *worst* SLO among the services
//!   of the incidents that touched the customer, missing when there are none; engagement = the
//!   owner's 0–100 figure. Weights come from `Policy.health`, rounded to whole numbers.
//! - **DORA:** a deployment counts as succeeded when its latest status is `success` or
//!   `inactive` (GitHub marks a superseded successful deployment inactive); `finished_at` is its
//!   completion time; linked incidents are matched on the incident's external id.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::config::Policy;
use crate::domain::{
    Bug, ChecklistItem, Customer, DeployStatus, Deployment, Incident, Priority, Slo,
};
use crate::metrics::customer::{self as cm, HealthMeasures, HealthScore, HealthWeights, Nps};
use crate::metrics::dora::{self, DoraReport};
use crate::metrics::incident::{self as im, SlaState};
use crate::metrics::slo::{self as sm, ErrorRatio, Objective, SloEvaluation, Window};

// -- Formatting --

/// A compact duration: `45s`, `11m`, `2h05m`, `3d4h`.
///
/// Negative inputs are shown by magnitude; callers add their own sign or words.
#[must_use]
pub fn short_duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => {
            let m = (s % 3_600) / 60;
            if m == 0 {
                format!("{}h", s / 3_600)
            } else {
                format!("{}h{:02}m", s / 3_600, m)
            }
        }
        _ => {
            let h = (s % 86_400) / 3_600;
            if h == 0 {
                format!("{}d", s / 86_400)
            } else {
                format!("{}d{}h", s / 86_400, h)
            }
        }
    }
}

/// An age relative to `now`: `12s`, `3m`, `2d` (future times show as `in 3m`).
#[must_use]
pub fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    if secs < 0 {
        format!("in {}", short_duration(secs))
    } else {
        short_duration(secs)
    }
}

// -- Incidents --

fn metric_priority(p: Priority) -> im::Priority {
    match p {
        Priority::P0 => im::Priority::P0,
        Priority::P1 => im::Priority::P1,
        Priority::P2 => im::Priority::P2,
        Priority::P3 => im::Priority::P3,
    }
}

/// The metrics' SLA policy built from the config policy and the team time zone.
///
/// An unparsable `business_day_end` falls back to 17:00 (config validation reports it first).
#[must_use]
pub fn sla_policy(policy: &Policy, tz: Tz) -> im::SlaPolicy {
    policy.response_sla(tz)
}

/// The response SLA of one incident at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentSla {
    /// Met, breached or pending.
    pub state: SlaState,
    /// When the response was due.
    pub deadline: DateTime<Utc>,
    /// Time to acknowledge, when acknowledged.
    pub tta_secs: Option<i64>,
    /// Time to resolve, when resolved.
    pub ttr_secs: Option<i64>,
}

/// The SLA state, deadline, TTA and TTR of `incident` at `now`.
#[must_use]
pub fn incident_sla(
    policy: &Policy,
    tz: Tz,
    incident: &Incident,
    now: DateTime<Utc>,
) -> IncidentSla {
    let sla = sla_policy(policy, tz);
    let times = im::IncidentTimes {
        priority: metric_priority(incident.severity),
        created_at: incident.created_at,
        first_ack_at: incident.acknowledged_at,
        resolved_at: incident.resolved_at,
    };
    IncidentSla {
        state: im::sla_state(&sla, &times, now),
        deadline: sla.deadline(times.priority, times.created_at),
        tta_secs: times.tta_secs(),
        ttr_secs: times.ttr_secs(),
    }
}

/// The SLA column's words, short enough for the 80-column table: `11m left`,
/// `BREACHED +15m`, `acked 4m/15m` (acknowledged 4 minutes after creation, target 15 minutes).
/// `target_secs` is the deadline minus the creation time; the response time is
/// `target − margin`, the same arithmetic as the metrics.
#[must_use]
pub fn sla_label(state: SlaState, target_secs: i64) -> String {
    match state {
        SlaState::Pending { remaining_secs } => format!("{} left", short_duration(remaining_secs)),
        SlaState::Breached { by_secs } => format!("BREACHED +{}", short_duration(by_secs)),
        SlaState::Met { margin_secs } => format!(
            "acked {}/{}",
            short_duration(target_secs - margin_secs),
            short_duration(target_secs)
        ),
    }
}

/// The SLA in a sentence for the detail pane: `acked in 4m (target 15m)`,
/// `11m left (target 15m)`, `BREACHED +15m (target 15m)`.
#[must_use]
pub fn sla_sentence(state: SlaState, target_secs: i64) -> String {
    let target = short_duration(target_secs);
    match state {
        SlaState::Met { margin_secs } => format!(
            "acked in {} (target {target})",
            short_duration(target_secs - margin_secs)
        ),
        other => format!("{} (target {target})", sla_label(other, target_secs)),
    }
}

// -- Bugs --

/// A bug's fix-by deadline and how overdue it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixBy {
    /// The deadline.
    pub deadline: DateTime<Utc>,
    /// Seconds past the deadline (only for open bugs past it).
    pub overdue_secs: Option<i64>,
}

/// The deadline a fix-by rule gives a bug created at `created_at` (team time zone `tz`).
///
/// `None` when the rule is neither a known word nor a duration.
#[must_use]
pub fn fix_by_deadline(rule: &str, created_at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    // One implementation of the rules, shared with the Friday review.
    crate::review::policy::FixBy::parse("fix_by", rule)
        .ok()
        .map(|f| f.deadline(created_at, tz))
}

/// The fix-by deadline of `bug` under `policy` and whether it is overdue at `now`.
#[must_use]
pub fn bug_fix_by(policy: &Policy, tz: Tz, bug: &Bug, now: DateTime<Utc>) -> Option<FixBy> {
    let rule = match bug.priority {
        Priority::P0 => &policy.fix_by.p0,
        Priority::P1 => &policy.fix_by.p1,
        Priority::P2 => &policy.fix_by.p2,
        Priority::P3 => &policy.fix_by.p3,
    };
    let deadline = fix_by_deadline(rule, bug.created_at, tz)?;
    let overdue_secs = (bug.is_open() && now > deadline).then(|| (now - deadline).num_seconds());
    Some(FixBy {
        deadline,
        overdue_secs,
    })
}

// -- SLOs --

/// The burn-rate numbers of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowBurn {
    /// The window.
    pub window: Window,
    /// Bad events.
    pub bad: f64,
    /// Valid events.
    pub total: f64,
    /// Error ratio (`None` = no data).
    pub error_ratio: Option<f64>,
    /// Burn rate (`None` = no data).
    pub burn: Option<f64>,
    /// Fewer than [`sm::LOW_TRAFFIC_MIN_EVENTS`] events.
    pub low_traffic: bool,
}

/// Everything the SLO tab shows for one SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct SloView {
    /// The parsed objective, or why it did not parse.
    pub objective: Result<Objective, String>,
    /// The SLO window.
    pub window: Window,
    /// Attainment, budget, state and time to exhaustion (`None` if the objective is invalid).
    pub eval: Option<SloEvaluation>,
    /// One entry per stored alert window, shortest first.
    pub burns: Vec<WindowBurn>,
    /// Any alert window has low traffic.
    pub low_traffic: bool,
    /// Daily attainment, oldest first (`None` = no traffic that day).
    pub daily_attainment: Vec<Option<f64>>,
}

fn slo_window(days: u32) -> Window {
    if days == 30 {
        Window::Days30
    } else {
        Window::Days28
    }
}

fn ratio(bad: f64, total: f64) -> Option<ErrorRatio> {
    ErrorRatio::from_fractional_counts(bad, total)
        .ok()
        .flatten()
}

/// Evaluates an SLO from its stored window counts with the SRE Workbook alert policy.
#[must_use]
pub fn slo_view(slo: &Slo) -> SloView {
    let objective = Objective::from_percent_str(&slo.objective).map_err(|e| e.to_string());
    let window = slo_window(slo.window_days);
    let mut burns = Vec::new();
    for w in &slo.windows {
        let Some(win) = Window::from_label(&w.window) else {
            continue;
        };
        let r = ratio(w.bad, w.total);
        if win == Window::Days28 || win == Window::Days30 {
            continue;
        }
        burns.push(WindowBurn {
            window: win,
            bad: w.bad,
            total: w.total,
            error_ratio: r.map(ErrorRatio::as_f64),
            burn: match (&objective, r) {
                (Ok(o), Some(r)) => Some(sm::burn_rate(r, *o)),
                _ => None,
            },
            low_traffic: w.total < 1.0 || sm::is_low_traffic(w.total as u64),
        });
    }
    burns.sort_by_key(|b| b.window);
    // One evaluation path for the tab, the review and the connector tests.
    let eval = crate::metrics::stored::evaluate_stored(slo).ok();
    let daily_attainment = slo
        .daily
        .iter()
        .map(|d| ratio(d.bad, d.total).map(ErrorRatio::attainment))
        .collect();
    SloView {
        low_traffic: burns.iter().any(|b| b.low_traffic),
        objective,
        window,
        eval,
        burns,
        daily_attainment,
    }
}

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

fn weights(policy: &Policy) -> HealthWeights {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=1000 first"
    )]
    let w = |v: f64| {
        if v.is_finite() {
            v.round().clamp(0.0, 1000.0) as u32
        } else {
            0
        }
    };
    let h = &policy.health;
    HealthWeights {
        usage: w(h.usage),
        support: w(h.support),
        nps: w(h.nps),
        reliability: w(h.reliability),
        engagement: w(h.engagement),
    }
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
        health: cm::health_score(&measures, &weights(policy)).ok().flatten(),
    }
}

// -- Deployments --

/// The DORA report over the `days` before `now`; `None` for a zero-day window.
#[must_use]
pub fn dora_for(
    deployments: &[Deployment],
    incidents: &[Incident],
    now: DateTime<Utc>,
    days: u32,
    guess_links: bool,
) -> Option<DoraReport> {
    let window = dora::DoraWindow::new(now - Duration::days(i64::from(days)), now).ok()?;
    let guessed = if guess_links {
        guessed_links(deployments, incidents)
    } else {
        Vec::new()
    };
    let deps: Vec<dora::Deployment> = deployments
        .iter()
        .filter_map(|d| {
            let mut incident_ids = d.incident_keys.clone();
            incident_ids.extend(
                guessed
                    .iter()
                    .filter(|(dep, _)| *dep == d.id)
                    .map(|(_, i)| i.clone()),
            );
            Some(dora::Deployment {
                id: d.external_id.clone(),
                is_production: d.is_production(),
                succeeded: matches!(d.status, DeployStatus::Success | DeployStatus::Inactive),
                finished_at: d.finished_at?,
                commit_times: d.commit_times.clone(),
                incident_ids,
            })
        })
        .collect();
    let incs: Vec<dora::DoraIncident> = incidents
        .iter()
        .map(|i| dora::DoraIncident {
            id: i.external_id.clone(),
            resolved_at: i.resolved_at,
        })
        .collect();
    Some(dora::dora_report(&deps, &incs, &window))
}

/// The opt-in guess (DevLake's heuristic): each incident that no deployment links explicitly
/// is linked to the last successful production deployment of its service that started before
/// it. Returns (deployment row id, incident key) pairs; callers label them as guesses.
#[must_use]
pub fn guessed_links(deployments: &[Deployment], incidents: &[Incident]) -> Vec<(i64, String)> {
    incidents
        .iter()
        .filter(|i| {
            !deployments
                .iter()
                .any(|d| d.incident_keys.contains(&i.external_id))
        })
        .filter_map(|i| {
            deployments
                .iter()
                .filter(|d| {
                    d.service == i.service
                        && d.is_production()
                        && matches!(d.status, DeployStatus::Success | DeployStatus::Inactive)
                        && d.created_at <= i.created_at
                })
                .max_by_key(|d| d.created_at)
                .map(|d| (d.id, i.external_id.clone()))
        })
        .collect()
}

// -- Checklist --

/// Progress of one checklist section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionProgress {
    /// Document.
    pub doc_id: i64,
    /// Section heading.
    pub section: String,
    /// Items done.
    pub done: usize,
    /// Items in total.
    pub total: usize,
    /// The section is a gate.
    pub gate: bool,
}

impl SectionProgress {
    /// A gate is green only when every item is done (and it has items).
    #[must_use]
    pub fn gate_green(&self) -> bool {
        self.gate && self.total > 0 && self.done == self.total
    }

    /// Completion in whole percent (0 for an empty section).
    #[must_use]
    pub fn percent(&self) -> usize {
        (self.done * 100).checked_div(self.total).unwrap_or(0)
    }
}

/// Sections in document order with their done/total counts.
#[must_use]
pub fn checklist_sections(items: &[ChecklistItem]) -> Vec<SectionProgress> {
    let mut out: Vec<SectionProgress> = Vec::new();
    for it in items {
        let pos = out
            .iter()
            .position(|s| s.doc_id == it.doc_id && s.section == it.section);
        let s = match pos {
            Some(p) => &mut out[p],
            None => {
                out.push(SectionProgress {
                    doc_id: it.doc_id,
                    section: it.section.clone(),
                    done: 0,
                    total: 0,
                    gate: false,
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        s.total += 1;
        s.done += usize::from(it.checked);
        s.gate |= it.gate;
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rstest::rstest;

    use super::*;
    use crate::domain::{BugStatus, ChurnRisk, IncidentStatus, NpsResponse, Stage};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    /// Created Friday 2026-11-20 23:30 UTC, which is already Saturday 00:30 in Berlin.
    #[rstest]
    #[case::today_ends_at_berlin_midnight_of_the_local_creation_day(
        "today",
        utc(2026, 11, 21, 23, 0)
    )]
    #[case::this_week_ends_after_the_local_sunday("this-week", utc(2026, 11, 22, 23, 0))]
    #[case::this_month_ends_at_the_first_of_december_local("this-month", utc(2026, 11, 30, 23, 0))]
    #[case::next_quarter_ends_with_march_in_summer_time("next-quarter", utc(2027, 3, 31, 22, 0))]
    #[case::a_duration_counts_from_creation("3d", utc(2026, 11, 23, 23, 30))]
    fn fix_by_boundaries_follow_the_team_time_zone(
        #[case] rule: &str,
        #[case] want: DateTime<Utc>,
    ) {
        let created = utc(2026, 11, 20, 23, 30);
        assert_eq!(fix_by_deadline(rule, created, BERLIN), Some(want));
    }

    #[test]
    fn an_unknown_fix_by_rule_gives_no_deadline() {
        assert_eq!(
            fix_by_deadline("someday", utc(2026, 11, 20, 10, 0), BERLIN),
            None
        );
    }

    fn bug(priority: Priority, status: BugStatus, created: DateTime<Utc>) -> Bug {
        Bug {
            id: 1,
            source: "local".into(),
            external_id: "1".into(),
            key: "#1".into(),
            title: "t".into(),
            body: String::new(),
            priority,
            status,
            assignee: None,
            labels: vec![],
            customers: vec![],
            created_at: created,
            updated_at: created,
            closed_at: None,
            url: None,
            pending: false,
            conflict: false,
        }
    }

    #[test]
    fn an_open_p0_from_two_days_ago_is_overdue_and_a_closed_one_is_not() {
        let now = utc(2026, 11, 20, 14, 0);
        let policy = Policy::default();
        let open = bug_fix_by(
            &policy,
            BERLIN,
            &bug(Priority::P0, BugStatus::Open, utc(2026, 11, 18, 10, 0)),
            now,
        )
        .unwrap();
        assert_eq!(open.deadline, utc(2026, 11, 18, 23, 0));
        assert_eq!(open.overdue_secs, Some(39 * 3600));
        let closed = bug_fix_by(
            &policy,
            BERLIN,
            &bug(Priority::P0, BugStatus::Closed, utc(2026, 11, 18, 10, 0)),
            now,
        )
        .unwrap();
        assert_eq!(closed.overdue_secs, None);
    }

    fn incident(
        sev: Priority,
        created_min_ago: i64,
        ack_min_ago: Option<i64>,
        now: DateTime<Utc>,
    ) -> Incident {
        Incident {
            id: 1,
            source: "pagerduty".into(),
            external_id: "P1".into(),
            number: 1,
            title: "t".into(),
            severity: sev,
            status: if ack_min_ago.is_some() {
                IncidentStatus::Acknowledged
            } else {
                IncidentStatus::Triggered
            },
            service: "checkout".into(),
            assignee: None,
            created_at: now - Duration::minutes(created_min_ago),
            acknowledged_at: ack_min_ago.map(|m| now - Duration::minutes(m)),
            resolved_at: None,
            url: None,
            customers: vec![],
            pending: false,
            conflict: false,
        }
    }

    #[rstest]
    #[case::an_unacked_p1_four_minutes_old_has_eleven_minutes_left(
        Priority::P1,
        4,
        None,
        "11m left",
        "11m left (target 15m)"
    )]
    #[case::an_unacked_p0_twenty_minutes_old_is_breached_by_fifteen(
        Priority::P0,
        20,
        None,
        "BREACHED +15m",
        "BREACHED +15m (target 5m)"
    )]
    #[case::a_p1_acked_after_twelve_minutes_says_acked_in_12m_of_15m(
        Priority::P1,
        30,
        Some(18),
        "acked 12m/15m",
        "acked in 12m (target 15m)"
    )]
    #[case::a_p0_acked_late_stays_breached(
        Priority::P0,
        30,
        Some(20),
        "BREACHED +5m",
        "BREACHED +5m (target 5m)"
    )]
    fn sla_countdown_labels(
        #[case] sev: Priority,
        #[case] created: i64,
        #[case] ack: Option<i64>,
        #[case] want: &str,
        #[case] sentence: &str,
    ) {
        let now = utc(2026, 11, 20, 14, 0);
        let sla = incident_sla(
            &Policy::default(),
            chrono_tz::UTC,
            &incident(sev, created, ack, now),
            now,
        );
        let target_secs =
            (sla.deadline - incident(sev, created, ack, now).created_at).num_seconds();
        assert_eq!(sla_label(sla.state, target_secs), want);
        assert_eq!(sla_sentence(sla.state, target_secs), sentence);
    }

    fn customer() -> Customer {
        let at = utc(2026, 11, 1, 0, 0);
        Customer {
            id: 1,
            slug: "acme".into(),
            name: "Acme".into(),
            stage: Stage::Live,
            vertical: "insurance".into(),
            acv_usd: 1,
            owner: "me".into(),
            poc_start: None,
            signed_on: None,
            go_live: None,
            usage_days_per_week: Some(7.0),
            feature_adoption_pct: Some(60.0),
            engagement: Some(90.0),
            churn_risk: ChurnRisk::Low,
            nps: [10, 9, 9, 8, 7, 7, 6, 5, 3, 10]
                .iter()
                .map(|s| NpsResponse {
                    score: *s,
                    at,
                    comment: String::new(),
                })
                .collect(),
            tickets_per_week: 2.0,
            open_p0_p1_bugs: 0,
            open_incidents: 0,
            pending: false,
        }
    }

    #[test]
    fn health_maps_each_measure_as_documented_and_matches_vector_h2() {
        let h = customer_health(&Policy::default(), &customer(), Some(0.4));
        assert_eq!(
            h.measures.usage,
            Some(80.0),
            "7/7 days and 60 % adoption blend to 80"
        );
        assert_eq!(
            h.measures.support,
            Some(60.0),
            "2 tickets a week cost 40 points"
        );
        assert_eq!(h.measures.nps, Some(55.0), "NPS +10 maps to 55");
        assert_eq!(h.measures.reliability, Some(40.0));
        assert_eq!(h.latest_nps, Some(10));
        assert_eq!(h.nps.map(|n| (n.score, n.respondents)), Some((10, 10)));
        let score = h.health.unwrap();
        assert_eq!(score.score, 67);
        assert_eq!(score.band, cm::HealthBand::Yellow);
    }

    #[test]
    fn health_without_slo_data_lists_reliability_as_missing() {
        let mut c = customer();
        c.feature_adoption_pct = None;
        c.tickets_per_week = 9.0;
        let h = customer_health(&Policy::default(), &c, None);
        assert_eq!(
            h.measures.usage,
            Some(100.0),
            "days alone when adoption is unknown"
        );
        assert_eq!(h.measures.support, Some(0.0), "support is clamped at 0");
        assert_eq!(h.health.unwrap().missing, vec![cm::Measure::Reliability]);
    }

    #[rstest]
    #[case::seconds(45, "45s")]
    #[case::minutes(660, "11m")]
    #[case::hours_and_minutes(7500, "2h05m")]
    #[case::days_and_hours(100_800, "1d4h")]
    fn short_durations_read_naturally(#[case] secs: i64, #[case] want: &str) {
        assert_eq!(short_duration(secs), want);
    }
}
