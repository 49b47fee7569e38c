//! DORA metrics against the METRICS.md §3.4 worked example, with excluded staging, failed and
//! out-of-window deployments that would change every number if they were counted.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::metrics::dora::{
    change_failure_band, counted_deployments, dora_report, frequency_band, lead_time_band,
    recovery_band, recovery_time, Band, Deployment, DoraError, DoraIncident, DoraWindow,
};
use rstest::rstest;

const HOUR: f64 = 3_600.0;

fn utc(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap()
}

fn deployment(
    id: &str,
    finished_at: DateTime<Utc>,
    lead_hours: &[i64],
    incidents: &[&str],
) -> Deployment {
    Deployment {
        id: id.to_string(),
        service: "api".to_string(),
        is_production: true,
        succeeded: true,
        finished_at,
        is_rollback: false,
        commit_times: lead_hours
            .iter()
            .map(|h| finished_at - TimeDelta::hours(*h))
            .collect(),
        incident_ids: incidents.iter().map(|s| s.to_string()).collect(),
    }
}

fn window() -> DoraWindow {
    DoraWindow::new(utc(3, 0), utc(17, 0)).unwrap()
}

/// Ten counted production deployments whose commits give lead times
/// [18, 2, 4, 22, 2, 24, 12, 3, 24, 72, 18, 12, 4, 24, 6] h, plus three that must be excluded.
fn fixture() -> (Vec<Deployment>, Vec<DoraIncident>) {
    let d6_at = utc(10, 10);
    let d9_at = utc(12, 15);
    let mut staging = deployment("S1", utc(11, 12), &[200], &["INC-C"]);
    staging.is_production = false;
    let mut failed = deployment("F1", utc(14, 12), &[100], &["INC-X"]);
    failed.succeeded = false;
    let deployments = vec![
        deployment("D1", utc(3, 15), &[18], &[]),
        deployment("D2", utc(4, 15), &[2, 4], &[]),
        deployment("D3", utc(5, 15), &[22], &[]),
        deployment("D4", utc(6, 15), &[2], &[]),
        deployment("D5", utc(7, 15), &[24, 12], &[]),
        deployment("D6", d6_at, &[3], &["INC-A"]),
        deployment("D7", utc(10, 16), &[24], &[]),
        deployment("D8", utc(11, 15), &[72], &[]),
        deployment("D9", d9_at, &[18, 12], &["INC-B"]),
        deployment("D10", utc(13, 15), &[4, 24, 6], &[]),
        staging,
        failed,
        deployment("D0-before-window", utc(2, 23), &[500], &["INC-Y"]),
    ];
    let incidents = vec![
        DoraIncident {
            id: "INC-A".into(),
            resolved_at: Some(d6_at + TimeDelta::hours(2)),
        },
        DoraIncident {
            id: "INC-B".into(),
            resolved_at: Some(d9_at + TimeDelta::hours(9)),
        },
        DoraIncident {
            id: "INC-C".into(),
            resolved_at: Some(utc(11, 20)),
        },
        DoraIncident {
            id: "INC-X".into(),
            resolved_at: Some(utc(15, 18)),
        },
        DoraIncident {
            id: "INC-Y".into(),
            resolved_at: Some(utc(9, 23)),
        },
    ];
    (deployments, incidents)
}

#[test]
fn only_successful_production_deployments_inside_the_window_count() {
    let (deployments, _) = fixture();
    let ids: Vec<&str> = counted_deployments(&deployments, &window())
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10"]
    );
}

#[test]
fn worked_example_deployment_frequency_is_five_a_week_high() {
    let (deployments, incidents) = fixture();
    let df = dora_report(&deployments, &incidents, &window()).deployment_frequency;
    assert_eq!(df.deployments, 10);
    assert!((df.per_day - 10.0 / 14.0).abs() < 1e-12);
    assert!((df.per_week - 5.0).abs() < 1e-12);
    assert_eq!(df.band, Band::High);
}

#[test]
fn worked_example_lead_time_median_is_twelve_hours_elite() {
    let (deployments, incidents) = fixture();
    let lt = dora_report(&deployments, &incidents, &window()).lead_time;
    assert_eq!(lt.commits, 15);
    assert_eq!(lt.deployments_with_commits, 10);
    assert_eq!(lt.median_secs, Some(12.0 * HOUR));
    assert!(
        (lt.mean_secs.unwrap() / HOUR - 247.0 / 15.0).abs() < 1e-9,
        "mean 16.47 h"
    );
    assert_eq!(lt.first_commit_median_secs, Some(20.0 * HOUR));
    assert_eq!(lt.band, Some(Band::Elite));
}

#[test]
fn worked_example_change_failure_rate_is_twenty_percent_low() {
    let (deployments, incidents) = fixture();
    let cfr = dora_report(&deployments, &incidents, &window()).change_failure_rate;
    assert_eq!((cfr.failed, cfr.deployments), (2, 10));
    assert_eq!(cfr.rate, Some(0.2));
    assert_eq!(cfr.band, Some(Band::Low));
}

#[test]
fn worked_example_recovery_median_is_five_and_a_half_hours_high() {
    let (deployments, incidents) = fixture();
    let rt = dora_report(&deployments, &incidents, &window()).recovery_time;
    assert_eq!((rt.failed_deployments, rt.recovered), (2, 2));
    assert_eq!(rt.median_secs, Some(5.5 * HOUR));
    assert_eq!(rt.band, Some(Band::High));
}

#[test]
fn recovery_waits_for_the_latest_linked_incident() {
    let at = utc(5, 12);
    let deployments = [deployment("D", at, &[1], &["A", "B"])];
    let mut incidents = vec![
        DoraIncident {
            id: "A".into(),
            resolved_at: Some(at + TimeDelta::hours(1)),
        },
        DoraIncident {
            id: "B".into(),
            resolved_at: None,
        },
    ];
    let open = recovery_time(&deployments, &incidents, &window());
    assert_eq!(
        (open.failed_deployments, open.recovered, open.median_secs),
        (1, 0, None)
    );
    incidents[1].resolved_at = Some(at + TimeDelta::hours(30));
    let closed = recovery_time(&deployments, &incidents, &window());
    assert_eq!(closed.median_secs, Some(30.0 * HOUR));
    assert_eq!(closed.band, Some(Band::Medium));
}

#[test]
fn commits_not_before_the_deployment_are_ignored() {
    let at = utc(5, 12);
    let mut d = deployment("D", at, &[5], &[]);
    d.commit_times.push(at + TimeDelta::minutes(3));
    let report = dora_report(&[d], &[], &window());
    assert_eq!(
        (report.lead_time.commits, report.lead_time.commits_ignored),
        (1, 1)
    );
}

#[test]
fn empty_window_has_low_frequency_and_no_rates() {
    let report = dora_report(&[], &[], &window());
    assert_eq!(report.deployment_frequency.band, Band::Low);
    assert_eq!(report.lead_time.median_secs, None);
    assert_eq!(report.change_failure_rate.rate, None);
    assert_eq!(report.recovery_time.median_secs, None);
}

#[test]
fn a_window_must_have_length() {
    assert!(matches!(
        DoraWindow::new(utc(5, 0), utc(5, 0)),
        Err(DoraError::EmptyWindow { .. })
    ));
}

const DAY: i64 = 86_400;

#[rstest]
#[case::one_a_day_is_elite(14, 14 * DAY, Band::Elite)]
#[case::just_under_one_a_day_is_high(13, 14 * DAY, Band::High)]
#[case::one_a_week_is_high(2, 14 * DAY, Band::High)]
#[case::one_in_thirty_days_is_medium(1, 30 * DAY, Band::Medium)]
#[case::one_in_thirty_one_days_is_low(1, 31 * DAY, Band::Low)]
fn frequency_band_edges(#[case] deployments: usize, #[case] window_secs: i64, #[case] band: Band) {
    assert_eq!(frequency_band(deployments, window_secs), band);
}

#[rstest]
#[case::five_percent_is_elite(1, 20, Band::Elite)]
#[case::ten_percent_is_high(1, 10, Band::High)]
#[case::fifteen_percent_is_medium(3, 20, Band::Medium)]
#[case::just_over_fifteen_is_low(4, 25, Band::Low)]
fn change_failure_band_edges(
    #[case] failed: usize,
    #[case] deployments: usize,
    #[case] band: Band,
) {
    assert_eq!(change_failure_band(failed, deployments), Some(band));
}

#[rstest]
#[case::just_under_a_day(86_399.0, Band::Elite, Band::High)]
#[case::exactly_a_day(86_400.0, Band::High, Band::Medium)]
#[case::exactly_an_hour(3_600.0, Band::Elite, Band::High)]
#[case::exactly_a_week(604_800.0, Band::Medium, Band::Low)]
#[case::exactly_thirty_days(2_592_000.0, Band::Low, Band::Low)]
fn duration_band_edges(#[case] secs: f64, #[case] lead: Band, #[case] recovery: Band) {
    assert_eq!(lead_time_band(secs), lead);
    assert_eq!(recovery_band(secs), recovery);
}
