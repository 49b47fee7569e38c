//! The deployments page of the review: DORA figures and rework rate for the week and the week
//! before, and the failed deployments it names.

use super::*;

/// DORA figures and rework rate over one window (both `None` for an empty window).
fn over(
    deps: &[dora::Deployment],
    incidents: &[DoraIncident],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> (Option<DoraReport>, Option<ReworkRate>) {
    match DoraWindow::new(start, end) {
        Ok(w) => (
            Some(dora::dora_report(deps, incidents, &w)),
            Some(rework::rework_rate(deps, incidents, &w)),
        ),
        Err(_) => (None, None),
    }
}

/// `deployments / days` rounded to three places.
#[allow(clippy::cast_precision_loss, reason = "counts are small")]
fn per_whole_day(deployments: usize, days: u32) -> f64 {
    (deployments as f64 / f64::from(days.max(1)) * 1000.0).round() / 1000.0
}

#[allow(clippy::cast_precision_loss, reason = "counts are small")]
fn with_rework(mut f: DoraFigures, a: Option<&ReworkRate>, b: Option<&ReworkRate>) -> DoraFigures {
    f.rework = Figure::new(a.map(|r| r.rework as f64), b.map(|r| r.rework as f64));
    f.rework_rate = Figure::new(a.and_then(|r| r.rate), b.and_then(|r| r.rate));
    f
}

#[allow(clippy::cast_precision_loss, reason = "counts are small")]
fn dora_figures(days: u32, a: Option<&DoraReport>, b: Option<&DoraReport>) -> DoraFigures {
    let f = |g: fn(&DoraReport) -> Option<f64>| Figure::new(a.and_then(g), b.and_then(g));
    let l = |g: fn(&DoraReport) -> Option<String>| Label {
        this: a.and_then(g),
        last: b.and_then(g),
    };
    DoraFigures {
        window_days: days,
        deployments: f(|r| Some(r.deployment_frequency.deployments as f64)),
        // Over the whole window (7 or 28 days), never over the elapsed part of a running week.
        per_day: Figure::new(
            a.map(|r| per_whole_day(r.deployment_frequency.deployments, days)),
            b.map(|r| per_whole_day(r.deployment_frequency.deployments, days)),
        ),
        frequency_band: l(|r| Some(r.deployment_frequency.band.to_string())),
        lead_time_median_secs: f(|r| secs(r.lead_time.median_secs)),
        lead_time_band: l(|r| r.lead_time.band.map(|b| b.to_string())),
        failed: f(|r| Some(r.change_failure_rate.failed as f64)),
        change_failure_rate: f(|r| r.change_failure_rate.rate),
        change_failure_band: l(|r| r.change_failure_rate.band.map(|b| b.to_string())),
        recovery_median_secs: f(|r| secs(r.recovery_time.median_secs)),
        recovery_band: l(|r| r.recovery_time.band.map(|b| b.to_string())),
        ..DoraFigures::default()
    }
}

/// The deployments page: DORA over the week and over the 28 days ending with it (successful
/// production deployments, linked incidents, commit times), deployments per day, and the
/// week's deployments that caused incidents.
#[must_use]
pub fn deployments_page(
    deployments: &[Deployment],
    incidents: &[Incident],
    week: &Week,
    last: &Week,
    tz: Tz,
    now: DateTime<Utc>,
) -> DeploymentsPage {
    let deps: Vec<dora::Deployment> = deployments.iter().map(Into::into).collect();
    let resolved_by_key: BTreeMap<&str, Option<DateTime<Utc>>> = incidents
        .iter()
        .map(|i| (i.external_id.as_str(), i.resolved_at.filter(|t| *t <= now)))
        .collect();
    let dora_incidents: Vec<DoraIncident> = resolved_by_key
        .iter()
        .map(|(k, r)| DoraIncident {
            id: (*k).to_string(),
            resolved_at: *r,
        })
        .collect();
    let rolling = chrono::Duration::days(28);
    let (at_a, at_b) = (week.as_of(now), last.as_of(now));
    let (week_a, rw_week_a) = over(&deps, &dora_incidents, week.start, at_a);
    let (week_b, rw_week_b) = over(&deps, &dora_incidents, last.start, at_b);
    let (roll_a, rw_roll_a) = over(&deps, &dora_incidents, at_a - rolling, at_a);
    let (roll_b, rw_roll_b) = over(&deps, &dora_incidents, at_b - rolling, at_b);
    let per_day = |w: &Week| -> Vec<u64> {
        let mut counts = vec![0u64; 7];
        for d in deps
            .iter()
            .filter(|d| d.reached_production() && w.contains(d.finished_at))
        {
            let day = d.finished_at.with_timezone(&tz).date_naive();
            if let Some(i) = w.days().iter().position(|x| *x == day) {
                counts[i] += 1;
            }
        }
        counts
    };
    let failed_attempts = |w: &Week| {
        deployments
            .iter()
            .filter(|d| {
                d.is_production() && matches!(d.status, DeployStatus::Failure | DeployStatus::Error)
            })
            .filter(|d| w.contains(d.finished_at.unwrap_or(d.created_at)))
            .count()
    };
    let rolled_back = |w: &Week| {
        deployments
            .iter()
            .filter(|d| d.rolled_back && w.contains(d.finished_at.unwrap_or(d.created_at)))
            .count()
    };
    let mut failures: Vec<FailedDeploy> = deployments
        .iter()
        .filter(|d| {
            d.is_production() && d.status == DeployStatus::Success && !d.incident_keys.is_empty()
        })
        .filter(|d| week.contains(d.finished_at.unwrap_or(d.created_at)))
        .map(|d| {
            let finished = d.finished_at.unwrap_or(d.created_at);
            let mut keys = d.incident_keys.clone();
            keys.sort();
            let resolutions: Option<Vec<DateTime<Utc>>> = keys
                .iter()
                .map(|k| resolved_by_key.get(k.as_str()).copied().flatten())
                .collect();
            FailedDeploy {
                service: d.service.clone(),
                git_ref: d.git_ref.clone(),
                creator: d.creator.clone(),
                finished_at: finished,
                recovery_secs: resolutions
                    .and_then(|r| r.into_iter().max())
                    .map(|r| (r - finished).num_seconds()),
                incidents: keys,
            }
        })
        .collect();
    failures.sort_by(|x, y| {
        x.finished_at
            .cmp(&y.finished_at)
            .then_with(|| x.service.cmp(&y.service))
    });
    DeploymentsPage {
        week: with_rework(
            dora_figures(7, week_a.as_ref(), week_b.as_ref()),
            rw_week_a.as_ref(),
            rw_week_b.as_ref(),
        ),
        rolling_28d: with_rework(
            dora_figures(28, roll_a.as_ref(), roll_b.as_ref()),
            rw_roll_a.as_ref(),
            rw_roll_b.as_ref(),
        ),
        per_day: per_day(week),
        per_day_last: per_day(last),
        failed_attempts: Figure::count(failed_attempts(week), failed_attempts(last)),
        rolled_back: Figure::count(rolled_back(week), rolled_back(last)),
        failures,
    }
}
