//! The page structure of a tracker pull (issue #12, ingest at the speed of SQLite): pages are
//! written [`BATCH_ITEMS`] bugs a transaction with the cursor of the newest page among them (at
//! `synchronous=NORMAL`, re-fetchable data), the next page is fetched and decoded while the
//! current ones are written, and pending local edits are re-applied only on the rows that carry
//! them. What a user relies on:
//!
//! - a write that fails half-way leaves the batches before it and their cursor, and the next
//!   pull completes the cache;
//! - the connection is back at `synchronous=FULL` after every pull, failed or not, so an edit
//!   committed afterwards is durable across a power loss;
//! - a local edit still pending stays on screen when a pull rewrites its row, while the other
//!   rows of the same page take the remote values.
//!
//! Against a wiremock Jira Cloud (SCHEMA-DERIVED issues, `trackers_common::jira`).

mod trackers_common;

use opsdeck::sync::Source as _;

use chrono::{SecondsFormat, TimeDelta};
use opsdeck::domain::{BugStatus, EntityKind, EntityRef};
use opsdeck::store::outbox::Operation;
use opsdeck::store::trackers::{bug_count, cursor};
use opsdeck::store::Store;
use opsdeck::sync::tracker::ingest::BATCH_ITEMS;
use opsdeck::sync::SyncError;
use serde_json::json;
use trackers_common::jira::{issues, source, t0, Pager, SEARCH};
use trackers_common::{fixed_now, open_store};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `PRAGMA synchronous` of the store's connection (2 = FULL).
fn synchronous(store: &Store) -> i64 {
    store
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap()
}

/// The cursor a pull leaves after issue `n` (1-based) of [`issues`] was the newest it wrote.
fn cursor_after(n: i64) -> String {
    (t0() + TimeDelta::seconds(7 * (n - 1))).to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn serve(server: &MockServer, all: Vec<serde_json::Value>) {
    server.reset().await;
    Mock::given(path(SEARCH))
        .respond_with(Pager(all))
        .mount(server)
        .await;
    // A pull with a cursor first asks for the API user's time zone.
    Mock::given(path("/rest/api/3/myself"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"accountId": "me", "timeZone": "UTC"})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_write_that_fails_half_way_keeps_the_batches_before_it_and_the_next_pull_completes() {
    let total = BATCH_ITEMS + 250;
    let server = MockServer::start().await;
    serve(&server, issues(total)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    // Issue BATCH_ITEMS + 150 (in the second batch, after 149 of its rows were written in the
    // same transaction) is refused by the database.
    let refused = 10000 + BATCH_ITEMS + 150;
    store
        .conn()
        .execute_batch(&format!(
            "CREATE TEMP TRIGGER refuse_one BEFORE INSERT ON main.bugs WHEN NEW.external_id = '{refused}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
        ))
        .unwrap();

    let err = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap_err();

    assert!(matches!(err, SyncError::Store(_)), "{err:?}");
    assert_eq!(
        bug_count(store.conn(), "jira").unwrap(),
        BATCH_ITEMS as u32,
        "the first batch only: nothing of the failed one"
    );
    assert_eq!(
        cursor(store.conn(), "jira").unwrap(),
        Some(cursor_after(BATCH_ITEMS as i64)),
        "the cursor of the last batch written"
    );
    assert_eq!(synchronous(&store), 2, "back at FULL after a failed write");

    store
        .conn()
        .execute_batch("DROP TRIGGER refuse_one")
        .unwrap();
    let report = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();
    assert_eq!(bug_count(store.conn(), "jira").unwrap(), total as u32);
    assert_eq!(
        cursor(store.conn(), "jira").unwrap(),
        Some(cursor_after(total as i64))
    );
    assert!(report.requests >= 3, "{report:?}");
    assert_eq!(synchronous(&store), 2, "back at FULL after a pull");
}

#[tokio::test]
async fn a_pending_edit_stays_on_its_row_when_a_pull_rewrites_the_page_and_its_neighbours_take_the_remote_values(
) {
    let server = MockServer::start().await;
    serve(&server, issues(150)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();
    let bugs = store.load_bugs(None).unwrap();
    let edited = bugs.iter().find(|b| b.key == "OPS-120").unwrap().clone();
    assert_eq!(edited.status, BugStatus::Open);
    store
        .commit_edit(
            EntityRef {
                kind: EntityKind::Bug,
                id: edited.id,
            },
            &Operation::SetBugStatus {
                old: BugStatus::Open,
                new: BugStatus::Closed,
                reason: None,
            },
            fixed_now(),
            "me",
            &["jira".into()],
        )
        .unwrap();

    // Every issue renamed remotely an hour later; all still "To Do" there.
    let renamed: Vec<_> = issues(150)
        .into_iter()
        .map(|mut i| {
            let n = i["key"].as_str().unwrap().to_owned();
            i["fields"]["summary"] = json!(format!("renamed {n}"));
            let later = t0() + TimeDelta::hours(1);
            i["fields"]["updated"] = json!(trackers_common::jira::jira_time(later));
            i
        })
        .collect();
    serve(&server, renamed).await;
    let report = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();
    assert!(!report.changed.is_empty(), "{report:?}");

    let bugs = store.load_bugs(None).unwrap();
    let row = |key: &str| bugs.iter().find(|b| b.key == key).unwrap().clone();
    let edited = row("OPS-120");
    assert_eq!(edited.title, "renamed OPS-120", "the remote rename lands");
    assert_eq!(
        edited.status,
        BugStatus::Closed,
        "the user's pending close stays on screen"
    );
    for key in ["OPS-119", "OPS-121", "OPS-7"] {
        let b = row(key);
        assert_eq!(b.title, format!("renamed {key}"));
        assert_eq!(b.status, BugStatus::Open, "{key} takes the remote status");
    }
    assert_eq!(synchronous(&store), 2);
}
