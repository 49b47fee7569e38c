//! `opsdeck sync --once` after an outage: an edit still in backoff is reported as queued, with
//! when it will be tried, instead of a bare "0 pushed".

mod github_fake;

use chrono::{Duration, TimeZone, Utc};
use github_fake::{config_toml, GithubFake};
use opsdeck::clock::{FixedClock, SharedClock};
use opsdeck::config::Config;
use opsdeck::domain::{BugStatus, EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::headless::run_headless;

const TOKEN_ENV: &str = "OPSDECK_HEADLESS_QUEUED_TOKEN";

/// REGRESSION: issue #11 defect 12 (headless part). The first headless sync after the server
/// came back printed "0 pushed" and nothing about the edit still waiting in backoff; it now
/// says how many edits are still queued and when they will be tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_after_an_outage_says_which_edits_still_wait_and_when() {
    std::env::set_var(TOKEN_ENV, "ghp_headless_queued_test_token");
    let fake = GithubFake::start().await;
    fake.seed(3, 0);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.db");
    let config = Config::parse(&config_toml("gh", &fake.uri(), TOKEN_ENV), "c.toml").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
    let clock: SharedClock = std::sync::Arc::new(FixedClock(now));

    let mut out = Vec::new();
    assert_eq!(
        run_headless(&config, &db, None, true, clock.clone(), &mut out).await,
        0
    );
    let text = String::from_utf8_lossy(&out).to_string();
    assert!(
        !text.contains("still queued"),
        "nothing queued yet:\n{text}"
    );

    // An edit made during the outage, whose last push failed: it waits until 14:05.
    let retry_at = now + Duration::minutes(5);
    {
        let mut store = Store::open(&db).unwrap();
        let id: i64 = store
            .conn()
            .query_row("SELECT id FROM bugs WHERE key = '#1'", [], |r| r.get(0))
            .unwrap();
        let op = Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: None,
        };
        let entity = EntityRef {
            kind: EntityKind::Bug,
            id,
        };
        store
            .commit_edit(entity, &op, now, "me", &["gh".into()])
            .unwrap();
        let entry = store.next_to_push("gh", now).unwrap().unwrap();
        store
            .mark_retry(entry.seq, now, retry_at, "connection refused")
            .unwrap();
    }

    let mut out = Vec::new();
    let code = run_headless(&config, &db, None, true, clock, &mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    assert_eq!(code, 0, "the server is back:\n{text}");
    assert!(text.contains("0 pushed"), "{text}");
    assert!(
        text.contains("still queued: 1 edit (gh: 1, next try 2026-11-20 14:05:00 UTC, in 5m 0s)"),
        "{text}"
    );
}
