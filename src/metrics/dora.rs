//! DORA delivery metrics (METRICS.md §3): deployment frequency, lead time for changes, change
//! failure rate and failed-deployment recovery time, each with the adopted band and the counts
//! behind it.
//!
//! A deployment counts only if it went to production, its latest status is success, and it
//! finished inside the window; staging and failed attempts never reach users, so they are
//! neither deployments nor change failures.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

use super::incident::median_secs;

const SECS_PER_HOUR: i64 = 3_600;
const SECS_PER_DAY: i64 = 86_400;
const SECS_PER_WEEK: i64 = 7 * SECS_PER_DAY;
/// "One month" in the bands is 30 days.
const SECS_PER_MONTH: i64 = 30 * SECS_PER_DAY;

/// Why a reporting window was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoraError {
    /// The window ends at or before its start.
    #[error("dora window must end after it starts (start {start}, end {end})")]
    EmptyWindow {
        /// Requested start.
        start: DateTime<Utc>,
        /// Requested end.
        end: DateTime<Utc>,
    },
}

/// A performance band (DevLake-2023 style bands adopted in METRICS.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    /// Best band.
    Elite,
    /// Second band.
    High,
    /// Third band.
    Medium,
    /// Worst band.
    Low,
}

impl fmt::Display for Band {
    /// `elite`, `high`, `medium` or `low`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        })
    }
}

/// One GitHub deployment as the metrics need it (the four DORA measures and the rework rate
/// of [`crate::metrics::rework`] read the same type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Deployment id (for display and linking).
    pub id: String,
    /// Service deployed (rework matches fix-forwards within one service).
    pub service: String,
    /// True when the environment is production.
    pub is_production: bool,
    /// True when the latest deployment status is `success`.
    pub succeeded: bool,
    /// Time of that latest status (when the change was running in production).
    pub finished_at: DateTime<Utc>,
    /// True when it rolls back another deployment.
    pub is_rollback: bool,
    /// Commit times of the changes this deployment shipped.
    pub commit_times: Vec<DateTime<Utc>>,
    /// Ids of production incidents explicitly linked to this deployment.
    pub incident_ids: Vec<String>,
}

impl Deployment {
    /// Went to production and its latest status is success: the deployments every DORA
    /// measure and the rework rate count (each then keeps those that finished in its window).
    #[must_use]
    pub fn reached_production(&self) -> bool {
        self.is_production && self.succeeded
    }
}

impl From<&crate::domain::Deployment> for Deployment {
    /// A cached deployment as the metrics see it: succeeded when its latest status is
    /// `success`, finished at that status (or at its creation while it has none), linked to
    /// the incidents recorded on it (sorted, so what names them reads the same every time).
    fn from(d: &crate::domain::Deployment) -> Self {
        let mut incident_ids = d.incident_keys.clone();
        incident_ids.sort();
        Deployment {
            id: d.external_id.clone(),
            service: d.service.clone(),
            is_production: d.is_production(),
            succeeded: d.status == crate::domain::DeployStatus::Success,
            finished_at: d.finished_at.unwrap_or(d.created_at),
            is_rollback: d.rollback_of.is_some(),
            commit_times: d.commit_times.clone(),
            incident_ids,
        }
    }
}

/// A production incident as the recovery metric needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoraIncident {
    /// Incident id, matched against [`Deployment::incident_ids`].
    pub id: String,
    /// Resolution time; `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<&crate::domain::Incident> for DoraIncident {
    /// A cached incident as the recovery metric sees it.
    fn from(i: &crate::domain::Incident) -> Self {
        DoraIncident {
            id: i.external_id.clone(),
            resolved_at: i.resolved_at,
        }
    }
}

/// A half-open reporting window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DoraWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl DoraWindow {
    /// Builds the window; `end` must be after `start`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, DoraError> {
        if end <= start {
            return Err(DoraError::EmptyWindow { start, end });
        }
        Ok(Self { start, end })
    }

    /// Inclusive start.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Exclusive end.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Window length in seconds (> 0).
    pub fn secs(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }

    /// True when `at` lies in `[start, end)`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// Successful production deployments that finished inside the window.
pub fn counted_deployments<'a>(
    deployments: &'a [Deployment],
    window: &DoraWindow,
) -> Vec<&'a Deployment> {
    deployments
        .iter()
        .filter(|d| d.reached_production() && window.contains(d.finished_at))
        .collect()
}

/// Deployment frequency and its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeploymentFrequency {
    /// Counted deployments.
    pub deployments: usize,
    /// Window length in seconds.
    pub window_secs: i64,
    /// Deployments per day.
    pub per_day: f64,
    /// Deployments per week.
    pub per_week: f64,
    /// Elite ≥ 1/day, high ≥ 1/week, medium ≥ 1 per 30 days, else low.
    pub band: Band,
}

/// Deployment frequency over the window.
pub fn deployment_frequency(
    deployments: &[Deployment],
    window: &DoraWindow,
) -> DeploymentFrequency {
    let count = counted_deployments(deployments, window).len();
    let window_secs = window.secs();
    let per_day = count as f64 * SECS_PER_DAY as f64 / window_secs as f64;
    DeploymentFrequency {
        deployments: count,
        window_secs,
        per_day,
        per_week: per_day * 7.0,
        band: frequency_band(count, window_secs),
    }
}

/// Band for `deployments` over `window_secs`, compared exactly in integers.
pub fn frequency_band(deployments: usize, window_secs: i64) -> Band {
    let count = i128::try_from(deployments).unwrap_or(i128::MAX);
    let at_least_one_per =
        |period_secs: i64| count.saturating_mul(i128::from(period_secs)) >= i128::from(window_secs);
    if deployments == 0 {
        Band::Low
    } else if at_least_one_per(SECS_PER_DAY) {
        Band::Elite
    } else if at_least_one_per(SECS_PER_WEEK) {
        Band::High
    } else if at_least_one_per(SECS_PER_MONTH) {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Lead time for changes and its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadTime {
    /// Counted deployments that listed at least one usable commit.
    pub deployments_with_commits: usize,
    /// Commits measured.
    pub commits: usize,
    /// Commits ignored because their time is not before the deployment (clock skew or
    /// automated pushes, as Four Keys does).
    pub commits_ignored: usize,
    /// Median over commits of `finished_at − commit time` (the headline number).
    pub median_secs: Option<f64>,
    /// Mean over commits.
    pub mean_secs: Option<f64>,
    /// Median over deployments of `finished_at − first (oldest) commit`.
    pub first_commit_median_secs: Option<f64>,
    /// Band of the median: elite < 1 day, high < 1 week, medium < 30 days, else low.
    pub band: Option<Band>,
}

/// Lead time over the commits of counted deployments.
pub fn lead_time(deployments: &[Deployment], window: &DoraWindow) -> LeadTime {
    let mut per_commit: Vec<i64> = Vec::new();
    let mut per_deployment: Vec<i64> = Vec::new();
    let mut ignored = 0;
    for deployment in counted_deployments(deployments, window) {
        let leads: Vec<i64> = deployment
            .commit_times
            .iter()
            .map(|at| (deployment.finished_at - *at).num_seconds())
            .collect();
        let usable: Vec<i64> = leads.iter().copied().filter(|secs| *secs > 0).collect();
        ignored += leads.len() - usable.len();
        if let Some(longest) = usable.iter().max() {
            per_deployment.push(*longest);
        }
        per_commit.extend(usable);
    }
    let median = median_secs(&per_commit);
    LeadTime {
        deployments_with_commits: per_deployment.len(),
        commits: per_commit.len(),
        commits_ignored: ignored,
        median_secs: median,
        mean_secs: mean(&per_commit),
        first_commit_median_secs: median_secs(&per_deployment),
        band: median.map(lead_time_band),
    }
}

/// Band for a lead time in seconds.
pub fn lead_time_band(secs: f64) -> Band {
    duration_band(secs, [SECS_PER_DAY, SECS_PER_WEEK, SECS_PER_MONTH])
}

/// Change failure rate and its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeFailureRate {
    /// Counted deployments.
    pub deployments: usize,
    /// Counted deployments with at least one linked incident.
    pub failed: usize,
    /// `failed / deployments` as a fraction.
    pub rate: Option<f64>,
    /// Elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %, else low.
    pub band: Option<Band>,
}

/// Change failure rate over counted deployments.
pub fn change_failure_rate(deployments: &[Deployment], window: &DoraWindow) -> ChangeFailureRate {
    let counted = counted_deployments(deployments, window);
    let failed = counted
        .iter()
        .filter(|d| !d.incident_ids.is_empty())
        .count();
    ChangeFailureRate {
        deployments: counted.len(),
        failed,
        rate: (!counted.is_empty()).then(|| failed as f64 / counted.len() as f64),
        band: change_failure_band(failed, counted.len()),
    }
}

/// Band for `failed` of `deployments`, compared exactly; `None` with no deployments.
pub fn change_failure_band(failed: usize, deployments: usize) -> Option<Band> {
    if deployments == 0 {
        return None;
    }
    let pct_at_most =
        |limit: usize| failed.saturating_mul(100) <= limit.saturating_mul(deployments);
    Some(if pct_at_most(5) {
        Band::Elite
    } else if pct_at_most(10) {
        Band::High
    } else if pct_at_most(15) {
        Band::Medium
    } else {
        Band::Low
    })
}

/// Failed-deployment recovery time and its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecoveryTime {
    /// Counted deployments with at least one linked incident.
    pub failed_deployments: usize,
    /// Those whose linked incidents are all known and resolved.
    pub recovered: usize,
    /// Median over recovered deployments of `latest linked resolution − finished_at`.
    pub median_secs: Option<f64>,
    /// Elite < 1 h, high < 1 day, medium < 1 week, else low.
    pub band: Option<Band>,
}

/// Recovery time of failed deployments; one with an open or unknown linked incident has not
/// recovered yet and is left out of the median.
pub fn recovery_time(
    deployments: &[Deployment],
    incidents: &[DoraIncident],
    window: &DoraWindow,
) -> RecoveryTime {
    let resolved_by_id: HashMap<&str, Option<DateTime<Utc>>> = incidents
        .iter()
        .map(|i| (i.id.as_str(), i.resolved_at))
        .collect();
    let failed: Vec<&Deployment> = counted_deployments(deployments, window)
        .into_iter()
        .filter(|d| !d.incident_ids.is_empty())
        .collect();
    let recoveries: Vec<i64> = failed
        .iter()
        .filter_map(|d| {
            let resolutions: Option<Vec<DateTime<Utc>>> = d
                .incident_ids
                .iter()
                .map(|id| resolved_by_id.get(id.as_str()).copied().flatten())
                .collect();
            let latest = resolutions?.into_iter().max()?;
            Some((latest - d.finished_at).num_seconds())
        })
        .collect();
    let median = median_secs(&recoveries);
    RecoveryTime {
        failed_deployments: failed.len(),
        recovered: recoveries.len(),
        median_secs: median,
        band: median.map(recovery_band),
    }
}

/// Band for a recovery time in seconds.
pub fn recovery_band(secs: f64) -> Band {
    duration_band(secs, [SECS_PER_HOUR, SECS_PER_DAY, SECS_PER_WEEK])
}

/// All four metrics for one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoraReport {
    /// Deployment frequency.
    pub deployment_frequency: DeploymentFrequency,
    /// Lead time for changes.
    pub lead_time: LeadTime,
    /// Change failure rate.
    pub change_failure_rate: ChangeFailureRate,
    /// Failed-deployment recovery time.
    pub recovery_time: RecoveryTime,
}

/// Computes all four DORA metrics over `window`.
pub fn dora_report(
    deployments: &[Deployment],
    incidents: &[DoraIncident],
    window: &DoraWindow,
) -> DoraReport {
    DoraReport {
        deployment_frequency: deployment_frequency(deployments, window),
        lead_time: lead_time(deployments, window),
        change_failure_rate: change_failure_rate(deployments, window),
        recovery_time: recovery_time(deployments, incidents, window),
    }
}

/// Elite/high/medium below each strict upper bound, low at or above the last.
fn duration_band(secs: f64, bounds: [i64; 3]) -> Band {
    let [elite, high, medium] = bounds.map(|b| b as f64);
    if secs < elite {
        Band::Elite
    } else if secs < high {
        Band::High
    } else if secs < medium {
        Band::Medium
    } else {
        Band::Low
    }
}

fn mean(values: &[i64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| values.iter().map(|v| *v as f64).sum::<f64>() / values.len() as f64)
}
