//! The opt-in "last deployment before the incident" guess for DORA links.

use chrono::{TimeZone, Utc};
use opsdeck::app::derive::{dora_for, guessed_links};
use opsdeck::store::Store;

fn demo() -> (
    Vec<opsdeck::domain::Deployment>,
    Vec<opsdeck::domain::Incident>,
    chrono::DateTime<Utc>,
) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now).unwrap();
    (
        store.load_deployments(None).unwrap(),
        store.load_incidents(None).unwrap(),
        now,
    )
}

#[test]
fn guesses_only_link_incidents_that_no_deployment_links_explicitly() {
    let (deps, incs, _) = demo();
    let guesses = guessed_links(&deps, &incs);
    assert!(
        !guesses.is_empty(),
        "the demo has unlinked incidents on services with deployments"
    );
    for (dep_id, key) in &guesses {
        assert!(
            !deps.iter().any(|d| d.incident_keys.contains(key)),
            "{key} is linked explicitly already"
        );
        let d = deps.iter().find(|d| d.id == *dep_id).unwrap();
        let i = incs.iter().find(|i| &i.external_id == key).unwrap();
        assert_eq!(d.service, i.service);
        assert!(
            d.is_production() && d.created_at <= i.created_at,
            "the last production deploy before it"
        );
        let later = deps.iter().filter(|x| {
            x.service == d.service
                && x.is_production()
                && x.created_at > d.created_at
                && x.created_at <= i.created_at
        });
        assert!(
            later
                .filter(|x| matches!(
                    x.status,
                    opsdeck::domain::DeployStatus::Success
                        | opsdeck::domain::DeployStatus::Inactive
                ))
                .count()
                == 0,
            "no later candidate"
        );
    }
}

#[test]
fn change_failure_rate_counts_guesses_only_when_opted_in() {
    let (deps, incs, now) = demo();
    let off = dora_for(&deps, &incs, now, 30, false)
        .unwrap()
        .change_failure_rate;
    let on = dora_for(&deps, &incs, now, 30, true)
        .unwrap()
        .change_failure_rate;
    assert_eq!(
        off.deployments, on.deployments,
        "the same deployments are counted"
    );
    assert!(
        on.failed > off.failed,
        "guessed links add failures: off {} on {}",
        off.failed,
        on.failed
    );
}
