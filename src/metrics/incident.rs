//! Incident response metrics (METRICS.md §2): the per-priority response SLA policy and its
//! deadlines in the team's time zone, SLA state per incident (met / breached / pending),
//! SLA compliance, and MTTA / MTTR with their medians.
//!
//! Rules: the SLA clock starts at `created_at` and stops at the first explicit acknowledgement,
//! or at `resolved_at` for an incident resolved without one. MTTA averages acknowledged incidents
//! only; MTTR averages resolved incidents only (an unacked or open incident is not a zero).

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// Incident priority, P0 most urgent: the domain's own type (the SLA targets per priority
/// are in [`SlaPolicy`]).
pub use crate::domain::Priority;

/// How long responders have for one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseTarget {
    /// A wall-clock allowance from creation (24×7).
    Within(TimeDelta),
    /// By the given local time on the next business day (Mon–Fri) after the creation day,
    /// in the policy's time zone.
    NextBusinessDayAt(NaiveTime),
}

/// The response SLA policy: a target per priority and the team's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    /// Target for P0 (default 5 minutes).
    pub p0: ResponseTarget,
    /// Target for P1 (default 15 minutes).
    pub p1: ResponseTarget,
    /// Target for P2 (default 1 hour).
    pub p2: ResponseTarget,
    /// Target for P3 (default end of the next business day, 17:00 local).
    pub p3: ResponseTarget,
    /// The team's time zone, used for business days.
    pub time_zone: Tz,
}

impl SlaPolicy {
    /// The adopted defaults: P0 5 min, P1 15 min, P2 1 h, P3 next business day 17:00.
    pub fn with_defaults(time_zone: Tz) -> Self {
        Self {
            p0: ResponseTarget::Within(TimeDelta::minutes(5)),
            p1: ResponseTarget::Within(TimeDelta::minutes(15)),
            p2: ResponseTarget::Within(TimeDelta::hours(1)),
            p3: ResponseTarget::NextBusinessDayAt(end_of_business_day()),
            time_zone,
        }
    }

    /// The target for a priority.
    pub fn target(&self, priority: Priority) -> ResponseTarget {
        match priority {
            Priority::P0 => self.p0,
            Priority::P1 => self.p1,
            Priority::P2 => self.p2,
            Priority::P3 => self.p3,
        }
    }

    /// The instant by which an incident of `priority` created at `created_at` must be answered.
    pub fn deadline(&self, priority: Priority, created_at: DateTime<Utc>) -> DateTime<Utc> {
        match self.target(priority) {
            ResponseTarget::Within(allowance) => created_at
                .checked_add_signed(allowance)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            ResponseTarget::NextBusinessDayAt(at) => {
                next_business_day_at(created_at, self.time_zone, at)
            }
        }
    }
}

/// 17:00, the default end of a business day.
fn end_of_business_day() -> NaiveTime {
    NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN)
}

/// The first Monday–Friday strictly after the local creation date, at `at` local time, in UTC.
///
/// A local time skipped by a DST jump moves forward to the first valid instant; an ambiguous
/// one takes the earlier instant.
pub fn next_business_day_at(
    created_at: DateTime<Utc>,
    time_zone: Tz,
    at: NaiveTime,
) -> DateTime<Utc> {
    let created_local: NaiveDate = created_at.with_timezone(&time_zone).date_naive();
    let mut day = created_local;
    for _ in 0..7 {
        let Some(next) = day.succ_opt() else { break };
        day = next;
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            break;
        }
    }
    local_to_utc(time_zone, day.and_time(at))
}

fn local_to_utc(time_zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Gaps are at most a day (Samoa 2011); step forward in half hours until a valid instant.
    for step in 0..=49 {
        let candidate = local + TimeDelta::minutes(30 * step);
        if let Some(instant) = time_zone.from_local_datetime(&candidate).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The times of one incident that the metrics need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentTimes {
    /// Priority, selecting the SLA target.
    pub priority: Priority,
    /// When the incident was triggered.
    pub created_at: DateTime<Utc>,
    /// First explicit acknowledgement, if any (PagerDuty `acknowledge_log_entry`).
    pub first_ack_at: Option<DateTime<Utc>>,
    /// Resolution, if resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl IncidentTimes {
    /// Time to acknowledge in seconds; `None` if never acknowledged.
    pub fn tta_secs(&self) -> Option<i64> {
        self.first_ack_at
            .map(|ack| (ack - self.created_at).num_seconds())
    }

    /// Time to resolve in seconds; `None` if still open.
    pub fn ttr_secs(&self) -> Option<i64> {
        self.resolved_at
            .map(|res| (res - self.created_at).num_seconds())
    }

    /// When the SLA clock stopped: first ack, or resolution if never acknowledged.
    pub fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.first_ack_at.or(self.resolved_at)
    }
}

/// SLA state of one incident at a given `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaState {
    /// Responded by the deadline, with this many seconds to spare.
    Met {
        /// `deadline − responded_at` (≥ 0).
        margin_secs: i64,
    },
    /// Responded late, or not responded and the deadline has passed.
    Breached {
        /// How late: `responded_at − deadline`, or `now − deadline` if still unanswered.
        by_secs: i64,
    },
    /// Not responded yet and the deadline is still ahead.
    Pending {
        /// `deadline − now` (≥ 0).
        remaining_secs: i64,
    },
}

/// SLA state of `incident` as known at `now`; responses recorded after `now` are ignored.
pub fn sla_state(policy: &SlaPolicy, incident: &IncidentTimes, now: DateTime<Utc>) -> SlaState {
    let deadline = policy.deadline(incident.priority, incident.created_at);
    match incident.responded_at().filter(|at| *at <= now) {
        Some(at) if at <= deadline => SlaState::Met {
            margin_secs: (deadline - at).num_seconds(),
        },
        Some(at) => SlaState::Breached {
            by_secs: (at - deadline).num_seconds(),
        },
        None if now > deadline => SlaState::Breached {
            by_secs: (now - deadline).num_seconds(),
        },
        None => SlaState::Pending {
            remaining_secs: (deadline - now).num_seconds(),
        },
    }
}

/// Counts of SLA outcomes over a set of incidents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SlaSummary {
    /// Incidents answered in time.
    pub met: usize,
    /// Incidents answered late or overdue.
    pub breached: usize,
    /// Incidents still inside their deadline.
    pub pending: usize,
}

impl SlaSummary {
    /// Compliance `met / (met + breached)` as a fraction; `None` when nothing is decided yet.
    pub fn compliance(&self) -> Option<f64> {
        let decided = self.met + self.breached;
        (decided > 0).then(|| self.met as f64 / decided as f64)
    }

    fn add(&mut self, state: SlaState) {
        match state {
            SlaState::Met { .. } => self.met += 1,
            SlaState::Breached { .. } => self.breached += 1,
            SlaState::Pending { .. } => self.pending += 1,
        }
    }
}

/// SLA outcome counts for all `incidents` at `now`.
pub fn sla_summary(
    policy: &SlaPolicy,
    incidents: &[IncidentTimes],
    now: DateTime<Utc>,
) -> SlaSummary {
    let mut summary = SlaSummary::default();
    for incident in incidents {
        summary.add(sla_state(policy, incident, now));
    }
    summary
}

/// SLA outcome counts per priority (only priorities that occur are present).
pub fn sla_summary_by_priority(
    policy: &SlaPolicy,
    incidents: &[IncidentTimes],
    now: DateTime<Utc>,
) -> BTreeMap<Priority, SlaSummary> {
    let mut by_priority: BTreeMap<Priority, SlaSummary> = BTreeMap::new();
    for incident in incidents {
        by_priority
            .entry(incident.priority)
            .or_default()
            .add(sla_state(policy, incident, now));
    }
    by_priority
}

/// MTTA / MTTR with medians and the counts behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResponseStats {
    /// Incidents with an acknowledgement (the MTTA population).
    pub acknowledged: usize,
    /// Mean time to acknowledge in seconds.
    pub mtta_secs: Option<f64>,
    /// Median time to acknowledge in seconds (mean of the middle two for an even count).
    pub median_tta_secs: Option<f64>,
    /// Resolved incidents (the MTTR population).
    pub resolved: usize,
    /// Mean time to resolve in seconds.
    pub mttr_secs: Option<f64>,
    /// Median time to resolve in seconds.
    pub median_ttr_secs: Option<f64>,
}

/// MTTA over acknowledged incidents and MTTR over resolved incidents.
pub fn response_stats(incidents: &[IncidentTimes]) -> ResponseStats {
    let tta: Vec<i64> = incidents
        .iter()
        .filter_map(IncidentTimes::tta_secs)
        .collect();
    let ttr: Vec<i64> = incidents
        .iter()
        .filter_map(IncidentTimes::ttr_secs)
        .collect();
    ResponseStats {
        acknowledged: tta.len(),
        mtta_secs: mean_secs(&tta),
        median_tta_secs: median_secs(&tta),
        resolved: ttr.len(),
        mttr_secs: mean_secs(&ttr),
        median_ttr_secs: median_secs(&ttr),
    }
}

/// Arithmetic mean; `None` for an empty slice.
pub fn mean_secs(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    Some(sum as f64 / values.len() as f64)
}

/// Median (mean of the two middle values for an even count); `None` for an empty slice.
pub fn median_secs(values: &[i64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2])) as f64 / 2.0),
    }
}
