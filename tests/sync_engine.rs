//! The engine as the TUI uses it: `spawn_engine` runs one worker per source, a broken source
//! reports `Failed` while the others finish, duplicate refresh requests collapse, `push_soon`
//! drains the outbox, and the events say what changed (never the data).

mod github_fake;

use std::time::Duration;

use github_fake::{config_toml, GithubFake};
use opsdeck::app::msg::SyncEvent;
use opsdeck::config::Config;
use opsdeck::domain::{BugStatus, EntityKind, EntityRef, Tab};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::engine::{sources_for_tab, spawn_engine};
use tokio::sync::mpsc::UnboundedReceiver;

async fn next(rx: &mut UnboundedReceiver<SyncEvent>) -> SyncEvent {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an event in time")
        .expect("engine alive")
}

async fn until(
    rx: &mut UnboundedReceiver<SyncEvent>,
    seen: &mut Vec<SyncEvent>,
    f: impl Fn(&SyncEvent) -> bool,
) {
    loop {
        let e = next(rx).await;
        let done = f(&e);
        seen.push(e);
        if done {
            return;
        }
    }
}

#[tokio::test]
async fn a_broken_source_fails_alone_refreshes_collapse_and_push_soon_drains_the_outbox() {
    let fake = GithubFake::start().await;
    fake.seed(30, 2);
    std::env::set_var("OPSDECK_ENGINE_TEST_TOKEN", "ghp_engine");
    let toml = format!(
        "{}{}",
        config_toml("good", &fake.uri(), "OPSDECK_ENGINE_TEST_TOKEN"),
        config_toml("broken", &fake.uri(), "OPSDECK_ENGINE_TEST_UNSET_VAR")
    );
    let config = Config::parse(&toml, "e.toml").unwrap();
    assert_eq!(
        sources_for_tab(&config, Tab::Bugs),
        vec!["good".to_owned(), "broken".to_owned()]
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.db");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = spawn_engine(&config, db.clone(), opsdeck::clock::system(), tx).unwrap();

    let mut seen = Vec::new();
    until(
        &mut rx,
        &mut seen,
        |e| matches!(e, SyncEvent::Finished { source, .. } if source == "good"),
    )
    .await;
    if !seen
        .iter()
        .any(|e| matches!(e, SyncEvent::Failed { source, .. } if source == "broken"))
    {
        until(
            &mut rx,
            &mut seen,
            |e| matches!(e, SyncEvent::Failed { source, .. } if source == "broken"),
        )
        .await;
    }
    let failed = seen.iter().find_map(|e| match e {
        SyncEvent::Failed { source, error } if source == "broken" => Some(error.clone()),
        _ => None,
    });
    assert!(
        failed.unwrap().contains("OPSDECK_ENGINE_TEST_UNSET_VAR"),
        "the error names the missing variable"
    );
    assert!(seen.iter().any(|e| matches!(e, SyncEvent::Finished { source, changed, .. } if source == "good" && changed == &vec![Tab::Bugs])));
    let store = Store::open(&db).unwrap();
    let states = store.sync_states().unwrap();
    assert!(
        states
            .iter()
            .any(|s| s.source == "broken" && s.last_error.is_some()),
        "shown in the sources view"
    );
    assert!(states
        .iter()
        .any(|s| s.source == "good" && s.last_success_at.is_some()));

    // Five refreshes sent at once: the worker runs one round for the first and one for the rest.
    fake.clear_log();
    for _ in 0..5 {
        handle.refresh(Some(vec!["good".into()]));
    }
    let mut rounds = 0;
    let mut after = Vec::new();
    while rounds < 2 {
        let e = next(&mut rx).await;
        if matches!(&e, SyncEvent::Finished { source, .. } if source == "good") {
            rounds += 1;
        }
        after.push(e);
    }
    assert_eq!(
        fake.log().len(),
        2,
        "two rounds, one conditional request each"
    );
    assert!(
        after
            .iter()
            .all(|e| !matches!(e, SyncEvent::Started { source } if source == "broken")),
        "only the named source"
    );

    let mut store = store;
    let id: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM bugs WHERE key = '#1' AND source = 'good'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let op = Operation::SetBugStatus {
        old: BugStatus::Open,
        new: BugStatus::Closed,
        reason: None,
    };
    let clock = opsdeck::clock::system();
    store
        .commit_edit(
            EntityRef {
                kind: EntityKind::Bug,
                id,
            },
            &op,
            clock.now(),
            "me",
            &["good".into()],
        )
        .unwrap();
    handle.push_soon();
    let mut more = Vec::new();
    until(&mut rx, &mut more, |e| {
        matches!(e, SyncEvent::OutboxChanged)
    })
    .await;
    assert!(!fake.get(1).open, "the close reached GitHub");
    assert_eq!(store.outbox_summary().unwrap().queued, 0);

    handle.shutdown();
    tokio::time::timeout(Duration::from_secs(10), handle.join())
        .await
        .expect("workers stop");
}
