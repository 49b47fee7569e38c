//! Computing a [`ReviewSnapshot`] from the cache: the orchestration, and the incidents, bugs
//! and deployments pages (the SLO, customer and plan pages are in [`super::standing`]).
//!
//! Each page is computed for the ISO week and the week before it with the same function, so
//! the two columns are always comparable. State "at the end of the week" is read at
//! [`Week::as_of`]: the week's end, or `now` while the week is running.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::model::{
    AgeBucket, BugLine, BugsPage, DeploymentsPage, DoraFigures, FailedDeploy, Figure,
    IncidentsPage, Label, LongIncident, ReviewSnapshot,
};
use super::policy::{self, FixBy};
use super::week::Week;
use super::{standing, ReviewError};
use crate::config::Policy;
use crate::domain::{Bug, DeployStatus, Deployment, Incident, Priority};
use crate::metrics::dora::{self, DoraIncident, DoraReport, DoraWindow};
use crate::metrics::incident::{self as im, IncidentTimes, SlaPolicy};
use crate::metrics::rework::{self, ReworkRate};
use crate::store::Store;

/// How many incidents / bugs the lists name.
const LIST_LEN: usize = 5;

/// Keeps the [`LIST_LEN`] rows that `by` ranks highest, ties in key order.
fn keep_largest<T, K: Ord>(rows: &mut Vec<T>, by: impl Fn(&T) -> (K, &String)) {
    rows.sort_by(|x, y| {
        let ((kx, ix), (ky, iy)) = (by(x), by(y));
        ky.cmp(&kx).then_with(|| ix.cmp(iy))
    });
    rows.truncate(LIST_LEN);
}

mod deployments;

pub use deployments::deployments_page;

/// Takes the snapshot of `week` as known at `now`.
///
/// # Errors
/// Policy or cache errors.
pub fn take(
    store: &Store,
    week: &Week,
    tz: Tz,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<ReviewSnapshot, ReviewError> {
    let last = week.previous(tz);
    let sla = policy::sla_policy(policy, tz)?;
    let fix_by = policy::fix_by(policy)?;
    let incidents = store.load_incidents(None)?;
    let bugs = store.load_bugs(None)?;
    let deployments = store.load_deployments(None)?;
    let slos = store.load_slos()?;
    let notes = store.review_notes(&week.label())?.into_iter().collect();
    let days = week.days();
    Ok(ReviewSnapshot {
        week: week.label(),
        previous_week: last.label(),
        time_zone: tz.name().to_string(),
        first_day: days.first().copied().unwrap_or_default(),
        last_day: days.last().copied().unwrap_or_default(),
        start: week.start,
        end: week.end,
        taken_at: now,
        in_progress: now < week.end,
        redacted: false,
        incidents: incidents_page(&incidents, week, &last, &sla, now),
        bugs: bugs_page(&bugs, week, &last, &fix_by, tz, now),
        deployments: deployments_page(&deployments, &incidents, week, &last, tz, now),
        slos: standing::slos_page(&slos, week, &last, now),
        customers: standing::customers_page(
            store, &incidents, &bugs, &slos, week, &last, policy, now,
        )?,
        plan: standing::plan_page(store, week, &last)?,
        notes,
        known_people: standing::known_people(store, &bugs, &incidents, &deployments, now)?,
        known_customers: standing::known_customers(store, now)?,
    })
}

fn priority_keys() -> impl Iterator<Item = (Priority, String)> {
    Priority::ALL.iter().map(|p| (*p, p.as_str().to_string()))
}

#[allow(clippy::cast_precision_loss, reason = "seconds fit an f64 exactly")]
fn secs(v: Option<f64>) -> Option<f64> {
    v.map(f64::round)
}

/// The times of an incident as the metrics need them, ignoring anything recorded after `at`.
fn times(i: &Incident, at: DateTime<Utc>) -> IncidentTimes {
    IncidentTimes {
        priority: i.severity,
        created_at: i.created_at,
        first_ack_at: i.acknowledged_at.filter(|t| *t <= at),
        resolved_at: i.resolved_at.filter(|t| *t <= at),
    }
}

struct IncidentWeek {
    by_severity: BTreeMap<Priority, usize>,
    stats_by: BTreeMap<Priority, im::ResponseStats>,
    total: usize,
    stats: im::ResponseStats,
    sla: im::SlaSummary,
    sla_by: BTreeMap<im::Priority, im::SlaSummary>,
}

fn incident_week(
    incidents: &[Incident],
    week: &Week,
    sla: &SlaPolicy,
    now: DateTime<Utc>,
) -> IncidentWeek {
    let at = week.as_of(now);
    let mine: Vec<&Incident> = incidents
        .iter()
        .filter(|i| week.contains(i.created_at))
        .collect();
    let t: Vec<IncidentTimes> = mine.iter().map(|i| times(i, at)).collect();
    let mut by_severity = BTreeMap::new();
    for i in &mine {
        *by_severity.entry(i.severity).or_insert(0) += 1;
    }
    let stats_by = Priority::ALL
        .iter()
        .map(|p| {
            let of_p: Vec<IncidentTimes> = mine
                .iter()
                .filter(|i| i.severity == *p)
                .map(|i| times(i, at))
                .collect();
            (*p, im::response_stats(&of_p))
        })
        .collect();
    IncidentWeek {
        by_severity,
        stats_by,
        total: mine.len(),
        stats: im::response_stats(&t),
        sla: im::sla_summary(sla, &t, at),
        sla_by: im::sla_summary_by_priority(sla, &t, at),
    }
}

/// The incidents page: counts by severity, MTTA/MTTR (acknowledged/resolved only), SLA
/// compliance and the longest incidents of the week.
#[must_use]
pub fn incidents_page(
    incidents: &[Incident],
    week: &Week,
    last: &Week,
    sla: &SlaPolicy,
    now: DateTime<Utc>,
) -> IncidentsPage {
    let a = incident_week(incidents, week, sla, now);
    let b = incident_week(incidents, last, sla, now);
    let fig = |f: fn(&IncidentWeek) -> Option<f64>| Figure::new(f(&a), f(&b));
    let mut by_severity = BTreeMap::new();
    let mut compliance_by = BTreeMap::new();
    let (mut mtta_by, mut mttr_by) = (BTreeMap::new(), BTreeMap::new());
    for (p, key) in priority_keys() {
        let n = |w: &IncidentWeek| w.by_severity.get(&p).copied().unwrap_or(0);
        by_severity.insert(key.clone(), Figure::count(n(&a), n(&b)));
        let st = |w: &IncidentWeek| w.stats_by.get(&p).copied().unwrap_or_default();
        mtta_by.insert(
            key.clone(),
            Figure::new(secs(st(&a).mtta_secs), secs(st(&b).mtta_secs)),
        );
        mttr_by.insert(
            key.clone(),
            Figure::new(secs(st(&a).mttr_secs), secs(st(&b).mttr_secs)),
        );
        let c = |w: &IncidentWeek| w.sla_by.get(&p).and_then(im::SlaSummary::compliance);
        if a.sla_by.contains_key(&p) || b.sla_by.contains_key(&p) {
            compliance_by.insert(key, Figure::new(c(&a), c(&b)));
        }
    }
    let at = week.as_of(now);
    let mut longest: Vec<LongIncident> = incidents
        .iter()
        .filter(|i| week.contains(i.created_at))
        .map(|i| {
            let end = i.resolved_at.filter(|t| *t <= at);
            LongIncident {
                key: i.external_id.clone(),
                title: i.title.clone(),
                severity: i.severity.as_str().to_string(),
                service: i.service.clone(),
                assignee: i.assignee.clone(),
                duration_secs: (end.unwrap_or(at) - i.created_at).num_seconds().max(0),
                open: end.is_none(),
            }
        })
        .collect();
    keep_largest(&mut longest, |l| (l.duration_secs, &l.key));
    IncidentsPage {
        total: Figure::count(a.total, b.total),
        by_severity,
        acknowledged: Figure::count(a.stats.acknowledged, b.stats.acknowledged),
        mtta_mean_secs: fig(|w| secs(w.stats.mtta_secs)),
        mtta_median_secs: fig(|w| secs(w.stats.median_tta_secs)),
        resolved: Figure::count(a.stats.resolved, b.stats.resolved),
        mttr_mean_secs: fig(|w| secs(w.stats.mttr_secs)),
        mttr_median_secs: fig(|w| secs(w.stats.median_ttr_secs)),
        sla_met: Figure::count(a.sla.met, b.sla.met),
        sla_breached: Figure::count(a.sla.breached, b.sla.breached),
        sla_pending: Figure::count(a.sla.pending, b.sla.pending),
        sla_compliance: fig(|w| w.sla.compliance()),
        sla_compliance_by_severity: compliance_by,
        longest,
        mtta_mean_secs_by_severity: mtta_by,
        mttr_mean_secs_by_severity: mttr_by,
        open_by_age: open_by_age(incidents, week.as_of(now), last.as_of(now)),
    }
}

/// MTTA and MTTR in seconds per severity (`P0`…`P3`) over incidents created in
/// `[from, to)`, as known at `to`; `None` where nothing was acknowledged / resolved.
/// The live incidents tab shows this for the last 7 days.
#[must_use]
pub fn response_by_severity(
    incidents: &[Incident],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(String, Option<f64>, Option<f64>)> {
    priority_keys()
        .map(|(p, key)| {
            let t: Vec<IncidentTimes> = incidents
                .iter()
                .filter(|i| i.severity == p && from <= i.created_at && i.created_at < to)
                .map(|i| times(i, to))
                .collect();
            let st = im::response_stats(&t);
            (key, secs(st.mtta_secs), secs(st.mttr_secs))
        })
        .collect()
}

/// Incidents open at `at`, by age bucket label (`<1h`, `1h-1d`, `1d-7d`, `>=7d`).
#[must_use]
pub fn open_age_counts(incidents: &[Incident], at: DateTime<Utc>) -> Vec<(&'static str, usize)> {
    let counts = open_ages(incidents, at);
    AGE_BUCKETS
        .iter()
        .zip(counts)
        .map(|((label, _, _), n)| (*label, n))
        .collect()
}

/// Age buckets of open incidents: `(label, from, to)` in seconds.
const AGE_BUCKETS: [(&str, i64, Option<i64>); 4] = [
    ("<1h", 0, Some(3_600)),
    ("1h-1d", 3_600, Some(86_400)),
    ("1d-7d", 86_400, Some(604_800)),
    (">=7d", 604_800, None),
];

/// Incidents created before `at` and not resolved by then, by their age at `at`.
fn open_ages(incidents: &[Incident], at: DateTime<Utc>) -> [usize; 4] {
    let mut counts = [0usize; 4];
    for i in incidents
        .iter()
        .filter(|i| i.created_at <= at && i.resolved_at.is_none_or(|r| r > at))
    {
        let age = (at - i.created_at).num_seconds().max(0);
        if let Some(k) = AGE_BUCKETS
            .iter()
            .position(|(_, from, to)| age >= *from && to.is_none_or(|t| age < t))
        {
            counts[k] += 1;
        }
    }
    counts
}

fn open_by_age(incidents: &[Incident], at_a: DateTime<Utc>, at_b: DateTime<Utc>) -> Vec<AgeBucket> {
    let (a, b) = (open_ages(incidents, at_a), open_ages(incidents, at_b));
    AGE_BUCKETS
        .iter()
        .enumerate()
        .map(|(k, (label, from, to))| AgeBucket {
            bucket: (*label).to_string(),
            from_secs: *from,
            to_secs: *to,
            open: Figure::count(a[k], b[k]),
        })
        .collect()
}

fn open_at(b: &Bug, at: DateTime<Utc>) -> bool {
    b.created_at < at && b.closed_at.is_none_or(|c| c >= at)
}

fn fix_rule(fix_by: &[FixBy; 4], p: Priority) -> FixBy {
    fix_by[usize::from(p.rank())]
}

fn bug_line(b: &Bug, at: DateTime<Utc>, overdue: Option<i64>) -> BugLine {
    BugLine {
        key: b.key.clone(),
        title: b.title.clone(),
        priority: b.priority.as_str().to_string(),
        assignee: b.assignee.clone(),
        age_days: (at - b.created_at).num_days(),
        overdue_secs: overdue,
    }
}

/// Seconds past the fix-by deadline at `at`, for an open bug that is overdue.
fn overdue_secs(b: &Bug, fix_by: &[FixBy; 4], tz: Tz, at: DateTime<Utc>) -> Option<i64> {
    if !open_at(b, at) {
        return None;
    }
    let deadline = fix_rule(fix_by, b.priority).deadline(b.created_at, tz);
    (deadline < at).then(|| (at - deadline).num_seconds())
}

/// The bugs page: opened/closed by priority, overdue against the fix-by policy at the end of
/// each week, and the oldest open P0/P1 bugs.
#[must_use]
pub fn bugs_page(
    bugs: &[Bug],
    week: &Week,
    last: &Week,
    fix_by: &[FixBy; 4],
    tz: Tz,
    now: DateTime<Utc>,
) -> BugsPage {
    let (at_a, at_b) = (week.as_of(now), last.as_of(now));
    let opened = |w: &Week, p: Option<Priority>| {
        bugs.iter()
            .filter(|b| w.contains(b.created_at) && p.is_none_or(|p| b.priority == p))
            .count()
    };
    let closed = |w: &Week, p: Option<Priority>| {
        bugs.iter()
            .filter(|b| {
                b.closed_at.is_some_and(|c| w.contains(c)) && p.is_none_or(|p| b.priority == p)
            })
            .count()
    };
    let overdue = |at: DateTime<Utc>, p: Option<Priority>| {
        bugs.iter()
            .filter(|b| p.is_none_or(|p| b.priority == p))
            .filter(|b| overdue_secs(b, fix_by, tz, at).is_some())
            .count()
    };
    let mut page = BugsPage {
        opened: Figure::count(opened(week, None), opened(last, None)),
        closed: Figure::count(closed(week, None), closed(last, None)),
        open_at_end: Figure::count(
            bugs.iter().filter(|b| open_at(b, at_a)).count(),
            bugs.iter().filter(|b| open_at(b, at_b)).count(),
        ),
        overdue: Figure::count(overdue(at_a, None), overdue(at_b, None)),
        ..BugsPage::default()
    };
    for (p, key) in priority_keys() {
        page.opened_by_priority.insert(
            key.clone(),
            Figure::count(opened(week, Some(p)), opened(last, Some(p))),
        );
        page.closed_by_priority.insert(
            key.clone(),
            Figure::count(closed(week, Some(p)), closed(last, Some(p))),
        );
        page.overdue_by_priority.insert(
            key,
            Figure::count(overdue(at_a, Some(p)), overdue(at_b, Some(p))),
        );
    }
    let mut most: Vec<BugLine> = bugs
        .iter()
        .filter_map(|b| overdue_secs(b, fix_by, tz, at_a).map(|o| bug_line(b, at_a, Some(o))))
        .collect();
    keep_largest(&mut most, |l| (l.overdue_secs, &l.key));
    page.most_overdue = most;
    let mut oldest: Vec<&Bug> = bugs
        .iter()
        .filter(|b| matches!(b.priority, Priority::P0 | Priority::P1) && open_at(b, at_a))
        .collect();
    oldest.sort_by(|x, y| {
        x.created_at
            .cmp(&y.created_at)
            .then_with(|| x.key.cmp(&y.key))
    });
    page.oldest_open_p0_p1 = oldest
        .into_iter()
        .take(LIST_LEN)
        .map(|b| bug_line(b, at_a, overdue_secs(b, fix_by, tz, at_a)))
        .collect();
    page
}
