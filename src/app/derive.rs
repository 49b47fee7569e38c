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

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::config::Policy;
use crate::domain::{Bug, ChecklistItem, DeployStatus, Deployment, Incident, Priority, Slo};
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
        priority: incident.severity,
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

mod health;

pub use health::{customer_health, customer_services, services_budget_remaining, CustomerHealth};

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
                service: d.service.clone(),
                is_production: d.is_production(),
                succeeded: matches!(d.status, DeployStatus::Success | DeployStatus::Inactive),
                finished_at: d.finished_at?,
                is_rollback: d.rollback_of.is_some(),
                commit_times: d.commit_times.clone(),
                incident_ids,
            })
        })
        .collect();
    let incs: Vec<dora::DoraIncident> = incidents.iter().map(Into::into).collect();
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
mod tests;
