//! The schema-v8 `row_counts` table (issue #12): the list lengths and the tab bar's open counts
//! are read in O(1) from counts that triggers keep. These tests hold them to `count(*)` over a
//! real on-disk store through everything that writes rows: the upserts sync uses (new rows,
//! unchanged re-upserts, status changes both ways), edits committed through the outbox, plain
//! and cascading deletes, a GitHub sync round against the fake, and the migration of an
//! existing v7 cache that already holds rows.

mod github_fake;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use opsdeck::config::Config;
use opsdeck::domain::{
    Bug, BugStatus, DeployStatus, Deployment, EntityKind, EntityRef, Incident, IncidentStatus,
    Priority, Tab,
};
use opsdeck::store::{write, Operation, Store};
use opsdeck::sync::{Build as _, Source as _};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Every count the screen shows from `row_counts` equals the `count(*)` it replaced.
fn assert_exact(store: &Store, when: &str) {
    let tables = [
        ("bugs", "status != 'closed'"),
        ("incidents", "status != 'resolved'"),
        ("deployments", "0"),
        ("checklist_items", "checked = 0"),
    ];
    for (table, open) in tables {
        let total = count(store, &format!("SELECT count(*) FROM {table}"));
        let open_rows = count(store, &format!("SELECT count(*) FROM {table} WHERE {open}"));
        assert_eq!(
            store.row_counts(table).unwrap(),
            (total, open_rows),
            "{table} (total, open) {when}"
        );
    }
    for (tab, table) in [
        (Tab::Bugs, "bugs"),
        (Tab::Incidents, "incidents"),
        (Tab::Deployments, "deployments"),
    ] {
        let shape = store.list_shape(tab).unwrap().unwrap();
        let rows = count(store, &format!("SELECT count(*) FROM {table}"));
        assert_eq!(shape.rows as i64, rows, "{tab:?} list length {when}");
    }
    let tabs = store.tab_counts(now()).unwrap();
    assert_eq!(
        i64::from(tabs.bugs),
        count(store, "SELECT count(*) FROM bugs WHERE status != 'closed'"),
        "tab bar bugs {when}"
    );
    assert_eq!(
        i64::from(tabs.incidents),
        count(
            store,
            "SELECT count(*) FROM incidents WHERE status != 'resolved'"
        ),
        "tab bar incidents {when}"
    );
    assert_eq!(
        i64::from(tabs.checklist_open),
        count(
            store,
            "SELECT count(*) FROM checklist_items WHERE checked = 0"
        ),
        "tab bar checklist {when}"
    );
}

fn bug(i: usize, status: BugStatus) -> Bug {
    Bug {
        id: 0,
        source: "github".into(),
        external_id: format!("{i}"),
        key: format!("#{i}"),
        title: format!("bug {i}"),
        body: String::new(),
        priority: Priority::ALL[i % 4],
        status,
        assignee: None,
        labels: Vec::new(),
        customers: Vec::new(),
        created_at: now() - Duration::minutes(i as i64),
        updated_at: now() - Duration::minutes(i as i64),
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    }
}

fn incident(i: usize, status: IncidentStatus) -> Incident {
    let created = now() - Duration::minutes(7 * i as i64);
    Incident {
        id: 0,
        source: "pagerduty".into(),
        external_id: format!("PX{i:04}"),
        number: i as i64,
        title: format!("incident {i}"),
        severity: Priority::ALL[i % 4],
        status,
        service: "checkout".into(),
        assignee: None,
        created_at: created,
        acknowledged_at: None,
        resolved_at: None,
        url: None,
        customers: Vec::new(),
        pending: false,
        conflict: false,
    }
}

fn deployment(i: usize) -> Deployment {
    let created = now() - Duration::minutes(11 * i as i64);
    Deployment {
        id: 0,
        source: "deploys".into(),
        external_id: format!("{i}"),
        service: "checkout".into(),
        environment: "production".into(),
        git_ref: format!("v1.{i}"),
        sha: format!("{:040x}", i * 7919),
        status: DeployStatus::Success,
        creator: "ci".into(),
        created_at: created,
        finished_at: Some(created + Duration::minutes(6)),
        rollback_of: None,
        rolled_back: false,
        url: None,
        incident_keys: Vec::new(),
        commit_times: Vec::new(),
        pending: false,
    }
}

fn plan(items: usize, checked_every: usize) -> String {
    let mut text = String::from("# Plan\n\n## Section\n\n");
    for i in 0..items {
        let mark = if i % checked_every == 0 { "x" } else { " " };
        text.push_str(&format!("- [{mark}] item {i}\n"));
    }
    text
}

#[test]
fn counts_stay_exact_through_upserts_edits_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.sqlite3")).unwrap();
    assert_exact(&store, "on an empty cache");
    opsdeck::demo::load(&mut store, now()).unwrap();
    assert_exact(&store, "after the demo load");

    store
        .write(|tx| {
            for i in 0..30 {
                let status = [BugStatus::Open, BugStatus::InProgress, BugStatus::Closed][i % 3];
                write::upsert_bug(tx, &bug(i, status), now())?;
            }
            for i in 0..20 {
                let status = if i < 5 {
                    IncidentStatus::Triggered
                } else {
                    IncidentStatus::Resolved
                };
                write::upsert_incident(tx, &incident(i, status), None, now())?;
            }
            for i in 0..15 {
                write::upsert_deployment(tx, &deployment(i), now())?;
            }
            opsdeck::checklist::store::import_document(tx, "t:plan.md", &plan(40, 4), &[], now())?;
            Ok(())
        })
        .unwrap();
    assert_exact(&store, "after inserts");

    // Re-upserts: the same rows unchanged, then open ones closed and closed ones reopened.
    store
        .write(|tx| {
            for i in 0..30 {
                let status = [BugStatus::Open, BugStatus::InProgress, BugStatus::Closed][i % 3];
                write::upsert_bug(tx, &bug(i, status), now())?;
            }
            for i in 0..30 {
                let status = [BugStatus::Closed, BugStatus::Open, BugStatus::InProgress][i % 3];
                write::upsert_bug(tx, &bug(i, status), now())?;
            }
            for i in 0..20 {
                let status = if i < 5 {
                    IncidentStatus::Resolved
                } else {
                    IncidentStatus::Acknowledged
                };
                write::upsert_incident(tx, &incident(i, status), None, now())?;
            }
            Ok(())
        })
        .unwrap();
    assert_exact(&store, "after upserts that change status");

    // The checklist re-imported with other items checked and fewer items.
    store
        .write(|tx| {
            opsdeck::checklist::store::import_document(tx, "t:plan.md", &plan(25, 2), &[], now())
        })
        .unwrap();
    assert_exact(&store, "after a checklist re-import");

    // An edit through the outbox: resolving an open incident.
    let open = store
        .load_incidents(None)
        .unwrap()
        .into_iter()
        .find(|i| i.status != IncidentStatus::Resolved)
        .unwrap();
    store
        .commit_edit(
            EntityRef {
                kind: EntityKind::Incident,
                id: open.id,
            },
            &Operation::SetIncidentStatus {
                old: open.status,
                new: IncidentStatus::Resolved,
                resolution: Some("fixed".into()),
                at: now(),
            },
            now(),
            "tester",
            &[],
        )
        .unwrap();
    assert_exact(&store, "after resolving an incident through the outbox");

    // Plain deletes, and a cascade (a checklist document's items go with it).
    store
        .write(|tx| {
            tx.execute("DELETE FROM bugs WHERE status = 'open'", [])?;
            tx.execute("DELETE FROM incidents WHERE id % 2 = 0", [])?;
            tx.execute("DELETE FROM deployments WHERE id % 3 = 0", [])?;
            tx.execute("DELETE FROM checklist_docs WHERE path = 't:plan.md'", [])?;
            Ok(())
        })
        .unwrap();
    assert_exact(&store, "after deletes and a cascade");

    // An unconditional delete (SQLite's truncate shortcut must not bypass the counts).
    store
        .write(|tx| {
            tx.execute("DELETE FROM bugs", [])?;
            Ok(())
        })
        .unwrap();
    assert_exact(&store, "after deleting every bug");
}

#[test]
fn a_v7_cache_with_rows_is_migrated_with_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    {
        let mut old = Store::open_to(&path, 7).unwrap();
        opsdeck::demo::load(&mut old, now()).unwrap();
        old.write(|tx| {
            for i in 0..12 {
                let status = [BugStatus::Open, BugStatus::Closed][i % 2];
                write::upsert_bug(tx, &bug(i, status), now())?;
            }
            Ok(())
        })
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(store.user_version().unwrap() >= 8);
    assert!(
        count(&store, "SELECT count(*) FROM bugs") > 12,
        "the demo rows and ours are there to count"
    );
    assert_exact(&store, "right after the migration");
}

#[tokio::test]
async fn a_github_sync_round_keeps_the_counts_exact() {
    let fake = github_fake::GithubFake::start().await;
    fake.seed(250, 3);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.sqlite3")).unwrap();
    let config = Config::parse(
        &github_fake::config_toml("github-platform", &fake.uri(), "UNUSED_TOKEN_VAR"),
        "test.toml",
    )
    .unwrap();
    #[allow(clippy::disallowed_methods)]
    let clock: opsdeck::sync::http::Clock = Arc::new(Utc::now);
    let mut gh = opsdeck::sync::github::GithubSource::with_http(
        &config.sources[0],
        Some(opsdeck::sync::secret::Secret::new("ghp_test")),
        clock.clone(),
        |_| {},
    )
    .unwrap();
    gh.pull(&mut store, clock()).await.unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM bugs"), 250);
    assert_exact(&store, "after the first sync");

    // Closed and reopened remotely: the next round moves the open count both ways.
    let closed = count(&store, "SELECT count(*) FROM bugs WHERE status = 'closed'");
    assert!(closed > 0, "the fake closes some issues");
    fake.edit(7, |i| i.open = false);
    fake.edit(5, |i| i.open = true);
    gh.pull(&mut store, clock()).await.unwrap();
    assert_exact(&store, "after a sync round that closes and reopens");
}
