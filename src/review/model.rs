//! The frozen review data: one struct per page, each figure holding this week's and last
//! week's value so every format can show the value, an arrow and the delta.
//!
//! Everything here is plain data with a deterministic order (vectors sorted by the snapshot
//! code, `BTreeMap` for keyed figures), so serializing it gives byte-identical output for the
//! same cache, week and `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A number this week and last week (`None`: no data, never shown as 0).
///
/// In JSON a whole value is written as an integer (`8`, not `8.0`): counts are integers, and
/// a whole number of seconds or a 100 % ratio reads the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Figure {
    /// This week's value.
    #[serde(serialize_with = "whole_as_integer")]
    pub this: Option<f64>,
    /// Last week's value.
    #[serde(serialize_with = "whole_as_integer")]
    pub last: Option<f64>,
}

/// Largest magnitude below which every whole `f64` converts to `i64` exactly (2^53).
const EXACT_WHOLE_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Serializes a whole finite value as an integer, anything else as a float, `None` as null.
#[allow(
    clippy::ref_option,
    reason = "the signature serde's serialize_with requires"
)]
fn whole_as_integer<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match *v {
        #[allow(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
        Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < EXACT_WHOLE_LIMIT => {
            s.serialize_i64(x as i64)
        }
        Some(x) => s.serialize_f64(x),
        None => s.serialize_none(),
    }
}

impl Figure {
    /// A figure from two optional values.
    #[must_use]
    pub fn new(this: Option<f64>, last: Option<f64>) -> Figure {
        Figure { this, last }
    }

    /// A figure from two counts.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "counts are small")]
    pub fn count(this: usize, last: usize) -> Figure {
        Figure {
            this: Some(this as f64),
            last: Some(last as f64),
        }
    }

    /// `this − last` when both are known.
    #[must_use]
    pub fn delta(&self) -> Option<f64> {
        Some(self.this? - self.last?)
    }

    /// `↑`, `↓` or `→` comparing this week with last week; empty when either is unknown.
    #[must_use]
    pub fn arrow(&self) -> &'static str {
        match self.delta() {
            Some(d) if d > 1e-9 => "↑",
            Some(d) if d < -1e-9 => "↓",
            Some(_) => "→",
            None => "",
        }
    }
}

/// A label (band, stage) this week and last week.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Label {
    /// This week's label.
    pub this: Option<String>,
    /// Last week's label.
    pub last: Option<String>,
}

/// One of the longest incidents of the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LongIncident {
    /// Source key (`PX3M8RB`, `LOCAL-1`).
    pub key: String,
    /// Title.
    pub title: String,
    /// P0–P3.
    pub severity: String,
    /// Service.
    pub service: String,
    /// Assignee.
    pub assignee: Option<String>,
    /// Created → resolved, or created → the end of the week if still open.
    pub duration_secs: i64,
    /// Still open at the end of the week.
    pub open: bool,
}

/// The incidents page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct IncidentsPage {
    /// Incidents created in the week.
    pub total: Figure,
    /// Created in the week, by severity (`P0`…`P3`, all four present).
    pub by_severity: BTreeMap<String, Figure>,
    /// Incidents acknowledged (the MTTA population).
    pub acknowledged: Figure,
    /// Mean time to acknowledge.
    pub mtta_mean_secs: Figure,
    /// Median time to acknowledge.
    pub mtta_median_secs: Figure,
    /// Incidents resolved (the MTTR population).
    pub resolved: Figure,
    /// Mean time to resolve.
    pub mttr_mean_secs: Figure,
    /// Median time to resolve.
    pub mttr_median_secs: Figure,
    /// Response SLA met.
    pub sla_met: Figure,
    /// Response SLA breached.
    pub sla_breached: Figure,
    /// Still inside the deadline.
    pub sla_pending: Figure,
    /// `met / (met + breached)`, 0–1.
    pub sla_compliance: Figure,
    /// Compliance per severity that occurred in either week.
    pub sla_compliance_by_severity: BTreeMap<String, Figure>,
    /// The longest incidents of this week, longest first (at most five).
    pub longest: Vec<LongIncident>,
    /// Mean time to acknowledge per severity (`P0`…`P3`, all four present); `None` where
    /// nothing of that severity was acknowledged — never 0.
    pub mtta_mean_secs_by_severity: BTreeMap<String, Figure>,
    /// Mean time to resolve per severity; `None` where nothing of that severity was resolved.
    pub mttr_mean_secs_by_severity: BTreeMap<String, Figure>,
    /// Incidents open at the end of the week (whenever created), by age then, youngest first.
    pub open_by_age: Vec<AgeBucket>,
}

/// Open incidents whose age at the end of the week falls in `[from_secs, to_secs)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgeBucket {
    /// Short label (`<1h`, `1h-1d`, `1d-7d`, `>=7d`).
    pub bucket: String,
    /// Inclusive lower bound of the age in seconds.
    pub from_secs: i64,
    /// Exclusive upper bound in seconds; `None` for the last, open-ended bucket.
    pub to_secs: Option<i64>,
    /// Incidents open with that age.
    pub open: Figure,
}

/// A bug named on the bugs page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BugLine {
    /// `#123`, `OPS-42`.
    pub key: String,
    /// Title.
    pub title: String,
    /// P0–P3.
    pub priority: String,
    /// Assignee.
    pub assignee: Option<String>,
    /// Age in whole days at the end of the week.
    pub age_days: i64,
    /// How far past its fix-by deadline, if it is.
    pub overdue_secs: Option<i64>,
}

/// The bugs page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct BugsPage {
    /// Opened in the week.
    pub opened: Figure,
    /// Closed in the week.
    pub closed: Figure,
    /// Opened, by priority.
    pub opened_by_priority: BTreeMap<String, Figure>,
    /// Closed, by priority.
    pub closed_by_priority: BTreeMap<String, Figure>,
    /// Open at the end of the week.
    pub open_at_end: Figure,
    /// Open and past the fix-by deadline at the end of the week.
    pub overdue: Figure,
    /// Overdue, by priority.
    pub overdue_by_priority: BTreeMap<String, Figure>,
    /// The most overdue bugs (at most five).
    pub most_overdue: Vec<BugLine>,
    /// The oldest open P0/P1 bugs (at most five).
    pub oldest_open_p0_p1: Vec<BugLine>,
}

/// DORA figures over one kind of window, this week's window against last week's.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DoraFigures {
    /// Window length in days.
    pub window_days: u32,
    /// Successful production deployments.
    pub deployments: Figure,
    /// Deployments per day: deployments / `window_days`. For the ISO week that is always 7,
    /// also while the week is still running (so a Wednesday figure is "so far, per day of the
    /// week", not a rate over the elapsed 2.5 days).
    pub per_day: Figure,
    /// Deployment-frequency band.
    pub frequency_band: Label,
    /// Median lead time for changes.
    pub lead_time_median_secs: Figure,
    /// Lead-time band.
    pub lead_time_band: Label,
    /// Deployments linked to at least one incident.
    pub failed: Figure,
    /// Change failure rate, 0–1.
    pub change_failure_rate: Figure,
    /// Change-failure band.
    pub change_failure_band: Label,
    /// Median failed-deployment recovery time.
    pub recovery_median_secs: Figure,
    /// Recovery band.
    pub recovery_band: Label,
    /// Unplanned deployments made because of an incident (rollbacks and fix-forwards, see
    /// [`crate::metrics::rework`]).
    pub rework: Figure,
    /// Deployment rework rate `rework / deployments`, 0–1 (DORA's fifth measure).
    pub rework_rate: Figure,
}

/// A deployment of the week that caused an incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedDeploy {
    /// Service.
    pub service: String,
    /// Ref / version.
    pub git_ref: String,
    /// Who deployed.
    pub creator: String,
    /// When it was running in production.
    pub finished_at: DateTime<Utc>,
    /// Linked incident keys, sorted.
    pub incidents: Vec<String>,
    /// Latest linked resolution − finished, if every linked incident is resolved.
    pub recovery_secs: Option<i64>,
}

/// The deployments page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DeploymentsPage {
    /// DORA over the ISO week.
    pub week: DoraFigures,
    /// DORA over the 28 days ending with the week.
    pub rolling_28d: DoraFigures,
    /// Successful production deployments per local day, Monday first (this week).
    pub per_day: Vec<u64>,
    /// The same for last week.
    pub per_day_last: Vec<u64>,
    /// Production attempts that failed or errored (not counted as deployments).
    pub failed_attempts: Figure,
    /// Deployments marked rolled back.
    pub rolled_back: Figure,
    /// This week's deployments linked to incidents.
    pub failures: Vec<FailedDeploy>,
}

/// One SLO on the SLO page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloLine {
    /// Name.
    pub name: String,
    /// Service.
    pub service: String,
    /// Objective as configured (`99.9`).
    pub objective: String,
    /// Attainment over the week's days, 0–1.
    pub attainment: Figure,
    /// Error budget remaining over the SLO window ending with the week (1 = untouched).
    pub budget_remaining: Figure,
    /// Burn rate over the week (1 = the budget lasts exactly the SLO window).
    pub burn_rate: Figure,
    /// Events in the week.
    pub events: Figure,
    /// Daily attainment over last week and this week (14 days, `None`: no traffic).
    pub daily_attainment: Vec<Option<f64>>,
    /// This week's attainment meets the objective.
    pub met: Option<bool>,
    /// Length of the SLO window in days.
    pub window_days: u32,
    /// Days of the SLO window ending with each week that have data (from the first day with
    /// traffic); below `window_days` the budget is against observed events only.
    pub coverage_days: Figure,
    /// Share of a full window's budget consumed: `(1 − budget_remaining) × coverage_days /
    /// window_days` (METRICS.md §1.7); equals the consumption once the window is covered.
    pub projected_full_window_consumed: Figure,
}

/// The SLO page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SlosPage {
    /// Every SLO, by name.
    pub slos: Vec<SloLine>,
    /// SLOs meeting their objective over the week.
    pub meeting_objective: Figure,
    /// The SLO with the highest burn rate this week.
    pub burned_most: Option<String>,
}

/// One customer on the customers page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerLine {
    /// Display name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Stage.
    pub stage: String,
    /// Account owner.
    pub owner: String,
    /// Churn risk.
    pub churn_risk: String,
    /// Health score 0–100 at the end of each week.
    pub health: Figure,
    /// Health band at the end of each week.
    pub band: Label,
    /// Health measures that had no value (renormalised away).
    pub missing_measures: Vec<String>,
    /// NPS over every response up to the end of each week.
    pub nps: Figure,
    /// Responses behind that NPS.
    pub nps_n: Figure,
    /// Churn risk high or health red.
    pub at_risk: bool,
}

/// The customers page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CustomersPage {
    /// Customers that are not churned, by name.
    pub customers: Vec<CustomerLine>,
    /// Names of customers at risk.
    pub at_risk: Vec<String>,
    /// NPS over all responses recorded in the week.
    pub nps_week: Figure,
    /// Responses recorded in the week.
    pub responses_week: Figure,
    /// Share of the week's responses that are promoters (9–10), 0–1.
    pub promoters_pct_week: Figure,
    /// Share that are passives (7–8), 0–1.
    pub passives_pct_week: Figure,
    /// Share that are detractors (0–6), 0–1.
    pub detractors_pct_week: Figure,
}

/// Progress of one plan section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionLine {
    /// Document title.
    pub document: String,
    /// Top-level section heading.
    pub section: String,
    /// Items.
    pub total: u32,
    /// Items checked now.
    pub done: u32,
    /// Items checked during each week.
    pub done_in_week: Figure,
    /// A gate section.
    pub gate: bool,
}

/// A gate section that is not complete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockedGate {
    /// Document title.
    pub document: String,
    /// Section heading.
    pub section: String,
    /// Open items.
    pub open: u32,
    /// Items.
    pub total: u32,
    /// The first open items (at most three).
    pub open_items: Vec<String>,
    /// Owners of the open items, sorted, without `@`.
    pub owners: Vec<String>,
}

/// The plan page.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PlanPage {
    /// Items checked during the week (audit log and `checked_at`).
    pub done_in_week: Figure,
    /// Items in every document.
    pub total: u32,
    /// Items checked now.
    pub done: u32,
    /// Sections in document order.
    pub sections: Vec<SectionLine>,
    /// Gate sections not complete.
    pub blocked_gates: Vec<BlockedGate>,
}

/// The numbers of one review, frozen at its start so syncs do not move them.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ReviewSnapshot {
    /// ISO week, `YYYY-Www`.
    pub week: String,
    /// The week it is compared with.
    pub previous_week: String,
    /// The team time zone the weeks are cut in.
    pub time_zone: String,
    /// First local day (Monday).
    pub first_day: NaiveDate,
    /// Last local day (Sunday).
    pub last_day: NaiveDate,
    /// Monday 00:00 local, as UTC.
    pub start: DateTime<Utc>,
    /// Next Monday 00:00 local, as UTC.
    pub end: DateTime<Utc>,
    /// When the snapshot was taken.
    pub taken_at: DateTime<Utc>,
    /// The week had not ended when the snapshot was taken.
    pub in_progress: bool,
    /// Names of customers and people are replaced by placeholders.
    pub redacted: bool,
    /// Incidents page.
    pub incidents: IncidentsPage,
    /// Bugs page.
    pub bugs: BugsPage,
    /// Deployments page.
    pub deployments: DeploymentsPage,
    /// SLO page.
    pub slos: SlosPage,
    /// Customers page.
    pub customers: CustomersPage,
    /// Plan page.
    pub plan: PlanPage,
    /// Review notes of the week, by page name.
    pub notes: BTreeMap<String, String>,
    /// Every person the cache names (assignees, owners, deployers, editors), sorted; used by
    /// redaction, never rendered.
    #[serde(skip)]
    pub known_people: Vec<String>,
    /// Every customer the cache holds as (name, slug), sorted; used by redaction only.
    #[serde(skip)]
    pub known_customers: Vec<(String, String)>,
}
