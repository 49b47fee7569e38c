//! The cache: migrations, the outbox transaction, undo, and two processes on one file.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use opsdeck::domain::{BugStatus, EntityKind, EntityRef, IncidentStatus, Priority};
use opsdeck::store::schema::LATEST_VERSION;
use opsdeck::store::{FailPoint, OpState, Operation, Store, StoreError};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn demo_store(path: &Path) -> Store {
    let mut s = Store::open(path).unwrap();
    opsdeck::demo::load(&mut s, now()).unwrap();
    s
}

fn first_bug(s: &Store, status: BugStatus) -> opsdeck::domain::Bug {
    s.load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.status == status)
        .unwrap()
}

#[test]
fn an_empty_file_migrates_to_the_latest_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Store::open(&tmp.path().join("c.db")).unwrap();
    assert_eq!(s.user_version().unwrap(), LATEST_VERSION);
    let mode: String = s
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    s.check_integrity().unwrap();
}

#[test]
fn a_cache_from_the_previous_schema_is_upgraded_with_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("old.db");
    {
        let old = Store::open_to(&path, LATEST_VERSION - 1).unwrap();
        assert_eq!(old.user_version().unwrap(), LATEST_VERSION - 1);
        old.conn()
            .execute(
                "INSERT INTO bugs (source, external_id, key, title, priority, status, created_at, updated_at) \
                 VALUES ('gh', '1', '#1', 'kept across the upgrade', 'P1', 'open', 0, 0)",
                [],
            )
            .unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.user_version().unwrap(), LATEST_VERSION);
    let bugs = s.load_bugs(None).unwrap();
    assert_eq!(bugs.len(), 1);
    assert_eq!(bugs[0].title, "kept across the upgrade");
    // The new tables exist and work.
    s.conn()
        .execute(
            "INSERT INTO review_notes (week, area, text, at) VALUES ('2026-W47', 'bugs', 'x', 0)",
            [],
        )
        .unwrap();
    s.check_integrity().unwrap();
}

#[test]
fn a_cache_from_a_newer_opsdeck_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("new.db");
    {
        let s = Store::open(&path).unwrap();
        s.conn()
            .pragma_update(None, "user_version", LATEST_VERSION + 5)
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("newer opsdeck") && msg.contains("OPSDECK_DATA_DIR"),
        "{msg}"
    );
}

#[test]
fn a_failure_between_the_row_update_and_the_outbox_insert_leaves_neither() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = demo_store(&tmp.path().join("c.db"));
    let bug = first_bug(&s, BugStatus::Open);
    let outbox_before: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    let audit_before: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    s.failpoint = Some(FailPoint::AfterRowUpdate);
    let op = Operation::SetBugStatus {
        old: bug.status,
        new: BugStatus::Closed,
        reason: Some("completed".into()),
    };
    let err = s.commit_edit(
        EntityRef {
            kind: EntityKind::Bug,
            id: bug.id,
        },
        &op,
        now(),
        "me",
        std::slice::from_ref(&bug.source),
    );
    assert!(matches!(err, Err(StoreError::Failpoint(_))));
    s.failpoint = None;
    let after = s
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.id == bug.id)
        .unwrap();
    assert_eq!(
        after.status,
        BugStatus::Open,
        "the row update was rolled back"
    );
    let outbox: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    let audit: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (outbox, audit),
        (outbox_before, audit_before),
        "no outbox or audit entry either"
    );
}

#[test]
fn an_edit_writes_row_outbox_and_audit_together_and_undo_reverts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = demo_store(&tmp.path().join("c.db"));
    let bug = first_bug(&s, BugStatus::Open);
    let e = EntityRef {
        kind: EntityKind::Bug,
        id: bug.id,
    };
    let op = Operation::SetBugPriority {
        old: bug.priority,
        new: Priority::P0,
    };
    let out = s
        .commit_edit(e, &op, now(), "ana", std::slice::from_ref(&bug.source))
        .unwrap();
    assert_eq!(
        out.state,
        OpState::Pending,
        "an item from a configured source waits for its push"
    );
    let row = s
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.id == bug.id)
        .unwrap();
    assert_eq!(row.priority, Priority::P0);
    assert!(row.pending, "the row shows the pending edit");
    assert_eq!(s.outbox_summary().unwrap().queued, 1);
    let audit = s.audit_for(e).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].1, "ana");
    // The entry stores an absolute target with the old value.
    let entries = s.list_outbox(10).unwrap();
    assert_eq!(entries[0].op, op);
    let undone = s.undo_last(now(), "ana").unwrap().unwrap();
    assert_eq!(undone.entity, e);
    let row = s
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.id == bug.id)
        .unwrap();
    assert_eq!(row.priority, bug.priority, "undo restored the old value");
    assert!(!row.pending);
    assert_eq!(s.outbox_summary().unwrap().queued, 0);
    assert_eq!(s.audit_for(e).unwrap().len(), 2, "the undo is audited too");
}

#[test]
fn local_only_edits_complete_at_once_and_are_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = demo_store(&tmp.path().join("c.db"));
    let inc = s
        .load_incidents(None)
        .unwrap()
        .into_iter()
        .find(|i| i.status == IncidentStatus::Triggered)
        .unwrap();
    let e = EntityRef {
        kind: EntityKind::Incident,
        id: inc.id,
    };
    let op = Operation::SetIncidentStatus {
        old: inc.status,
        new: IncidentStatus::Acknowledged,
        resolution: None,
        at: now(),
    };
    let out = s.commit_edit(e, &op, now(), "me", &[]).unwrap();
    assert_eq!(out.state, OpState::Done);
    let row = s
        .load_incidents(None)
        .unwrap()
        .into_iter()
        .find(|i| i.id == inc.id)
        .unwrap();
    assert_eq!(row.status, IncidentStatus::Acknowledged);
    assert_eq!(
        row.acknowledged_at,
        Some(now()),
        "the SLA clock stops at the acknowledgement"
    );
    assert_eq!(s.audit_for(e).unwrap().len(), 1);
    // Undo of a local edit is allowed (it was never pushed anywhere).
    s.undo_last(now(), "me").unwrap().unwrap();
    let row = s
        .load_incidents(None)
        .unwrap()
        .into_iter()
        .find(|i| i.id == inc.id)
        .unwrap();
    assert_eq!(
        (row.status, row.acknowledged_at),
        (IncidentStatus::Triggered, None)
    );
}

#[test]
fn undo_refuses_an_edit_that_was_already_pushed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = demo_store(&tmp.path().join("c.db"));
    let bug = first_bug(&s, BugStatus::Open);
    let e = EntityRef {
        kind: EntityKind::Bug,
        id: bug.id,
    };
    s.commit_edit(
        e,
        &Operation::SetBugPriority {
            old: bug.priority,
            new: Priority::P0,
        },
        now(),
        "me",
        std::slice::from_ref(&bug.source),
    )
    .unwrap();
    let entry = s.next_to_push(&bug.source, now()).unwrap().unwrap();
    s.mark_inflight(entry.seq, now()).unwrap();
    s.mark_done(entry.seq, now()).unwrap();
    let err = s.undo_last(now(), "me").unwrap_err();
    assert!(err.to_string().contains("can no longer be undone"), "{err}");
}

#[test]
fn pending_edits_are_reapplied_on_top_of_a_pull() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = demo_store(&tmp.path().join("c.db"));
    let bug = first_bug(&s, BugStatus::Open);
    let e = EntityRef {
        kind: EntityKind::Bug,
        id: bug.id,
    };
    s.commit_edit(
        e,
        &Operation::SetBugStatus {
            old: bug.status,
            new: BugStatus::Closed,
            reason: None,
        },
        now(),
        "me",
        std::slice::from_ref(&bug.source),
    )
    .unwrap();
    // A pull brings the remote row back, still open.
    let mut remote = bug.clone();
    remote.title = "renamed remotely".into();
    s.write(|tx| opsdeck::store::write::upsert_bug(tx, &remote, now()))
        .unwrap();
    let row = s
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.id == bug.id)
        .unwrap();
    assert_eq!(row.title, "renamed remotely", "remote fields land");
    assert_eq!(
        row.status,
        BugStatus::Closed,
        "the user's pending intent stays on screen"
    );
}

/// Child role of the two-process test: hammer the cache with edits and reads.
#[test]
fn two_process_writer_child() {
    let Ok(db) = std::env::var("OPSDECK_TWO_PROC_DB") else {
        return;
    };
    let secs: u64 = std::env::var("OPSDECK_TWO_PROC_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut s = Store::open(Path::new(&db)).expect("open");
    let bugs = s.load_bugs(None).expect("load");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut commits = 0u64;
    let mut i = 0usize;
    while Instant::now() < deadline {
        let bug = &bugs[i % bugs.len()];
        i += 1;
        let e = EntityRef {
            kind: EntityKind::Bug,
            id: bug.id,
        };
        let op = Operation::AddBugComment {
            body: format!("pid {} #{i}", std::process::id()),
        };
        match s.commit_edit(e, &op, now(), "child", &[]) {
            Ok(_) => commits += 1,
            Err(err) => panic!("write failed: {err}"),
        }
        // Read like the UI does between writes.
        s.load_bugs(Some(50)).expect("read failed");
        s.outbox_summary().expect("summary failed");
    }
    println!("\nCOMMITS={commits}");
}

#[test]
fn two_processes_writing_the_same_cache_for_a_minute_never_see_database_is_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("shared.db");
    drop(demo_store(&db));
    let secs = std::env::var("OPSDECK_TWO_PROC_SECS").unwrap_or_else(|_| "60".into());
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "two_process_writer_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("OPSDECK_TWO_PROC_DB", &db)
                .env("OPSDECK_TWO_PROC_SECS", &secs)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut total = 0u64;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed: {stdout}\n{stderr}");
        assert!(
            !stdout.contains("locked") && !stderr.contains("locked"),
            "{stdout}{stderr}"
        );
        let n: u64 = stdout
            .lines()
            .find_map(|l| l.split_once("COMMITS=").map(|(_, n)| n))
            .and_then(|n| n.trim().parse().ok())
            .expect("child reported its commits");
        assert!(n > 0, "each child made progress");
        total += n;
    }
    let s = Store::open(&db).unwrap();
    s.check_integrity().unwrap();
    let audited: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM audit WHERE actor = 'child'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let audited = u64::try_from(audited).unwrap();
    assert_eq!(
        audited, total,
        "every committed edit is in the audit log exactly once"
    );
}
