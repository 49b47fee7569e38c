//! Deployment rework rate (DORA's fifth measure) on the METRICS.md §3.4 `dora` vector extended
//! with a rollback, a hotfix and a deployment of another service, as opsdeck defines rework
//! in `metrics::rework`: a rollback, or a deployment of the same service while an incident
//! linked to its previous deployment is still open.

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::metrics::dora::{Deployment, DoraIncident, DoraWindow};
use opsdeck::metrics::rework::rework_rate;

fn utc(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap()
}

fn dep(id: &str, service: &str, at: DateTime<Utc>, incidents: &[&str]) -> Deployment {
    Deployment {
        id: id.into(),
        service: service.into(),
        is_production: true,
        succeeded: true,
        finished_at: at,
        is_rollback: false,
        commit_times: Vec::new(),
        incident_ids: incidents.iter().map(|s| s.to_string()).collect(),
    }
}

fn window() -> DoraWindow {
    DoraWindow::new(utc(3, 0), utc(17, 0)).unwrap()
}

fn incidents() -> Vec<DoraIncident> {
    vec![
        // INC-A: caused by D6 (10th 10:00), resolved 2 h later.
        DoraIncident {
            id: "INC-A".into(),
            resolved_at: Some(utc(10, 12)),
        },
        // INC-B: caused by D9 (12th 15:00), resolved 9 h later.
        DoraIncident {
            id: "INC-B".into(),
            resolved_at: Some(utc(13, 0)),
        },
    ]
}

/// The ten deployments of the METRICS vector, all of service `api`.
fn vector() -> Vec<Deployment> {
    vec![
        dep("D1", "api", utc(3, 15), &[]),
        dep("D2", "api", utc(4, 15), &[]),
        dep("D3", "api", utc(5, 15), &[]),
        dep("D4", "api", utc(6, 15), &[]),
        dep("D5", "api", utc(7, 15), &[]),
        dep("D6", "api", utc(10, 10), &["INC-A"]),
        dep("D7", "api", utc(10, 16), &[]),
        dep("D8", "api", utc(11, 15), &[]),
        dep("D9", "api", utc(12, 15), &["INC-B"]),
        dep("D10", "api", utc(13, 15), &[]),
    ]
}

#[test]
fn the_metrics_vector_alone_has_no_rework() {
    // D7 and D10 follow failed deployments, but only after their incidents were resolved:
    // planned work, not rework.
    let r = rework_rate(&vector(), &incidents(), &window());
    assert_eq!((r.rework, r.deployments), (0, 10));
    assert_eq!(r.rate, Some(0.0));
}

#[test]
fn worked_example_a_rollback_and_a_hotfix_are_two_of_thirteen() {
    let mut deps = vector();
    // R1 rolls D6 back at 11:00 while INC-A is open.
    let mut rollback = dep("R1", "api", utc(10, 11), &[]);
    rollback.is_rollback = true;
    deps.push(rollback);
    // H1 ships a fix for D9 at 18:00 while INC-B is still open (fix-forward).
    deps.push(dep("H1", "api", utc(12, 18), &[]));
    // W1 deploys another service while INC-B is open: not rework of `api`.
    deps.push(dep("W1", "web", utc(12, 17), &[]));
    // Excluded from both sides: staging, a failed attempt, and one before the window.
    let mut staging = dep("S1", "api", utc(12, 19), &[]);
    staging.is_production = false;
    let mut failed = dep("F1", "api", utc(12, 20), &[]);
    failed.succeeded = false;
    let mut early = dep("R0", "api", utc(2, 12), &[]);
    early.is_rollback = true;
    deps.extend([staging, failed, early]);

    let r = rework_rate(&deps, &incidents(), &window());
    assert_eq!(r.deployments, 13, "10 + R1 + H1 + W1");
    assert_eq!(r.rework_ids, vec!["R1".to_string(), "H1".to_string()]);
    assert_eq!(r.rework, 2);
    let rate = r.rate.unwrap();
    assert!((rate - 2.0 / 13.0).abs() < 1e-12, "15.4 %, got {rate}");
}

#[test]
fn an_incident_still_open_makes_the_next_deployment_rework() {
    let deps = vec![
        dep("A", "api", utc(4, 9), &["INC-OPEN"]),
        dep("B", "api", utc(6, 9), &[]),
        dep("C", "api", utc(8, 9), &[]),
    ];
    let open = vec![DoraIncident {
        id: "INC-OPEN".into(),
        resolved_at: None,
    }];
    let r = rework_rate(&deps, &open, &window());
    // B follows A (linked, open). C follows B, which caused nothing.
    assert_eq!(r.rework_ids, vec!["B".to_string()]);
}

#[test]
fn no_deployments_is_no_rate_never_zero() {
    let r = rework_rate(&[], &incidents(), &window());
    assert_eq!(r.rate, None);
    assert_eq!(r.deployments, 0);
}
