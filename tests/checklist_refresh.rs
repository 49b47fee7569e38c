//! `refresh_from_disk` (run on every checklist reload) compares a plan file with the stored
//! text without loading the stored text when the sizes differ, and writes a missing file's
//! error only when it is new (issue #12: both held ~12 MiB for a 100k-item plan per reload).
//! What the user sees must not change: an edit made elsewhere is picked up even when it keeps
//! the file's size, an unchanged file changes nothing, a missing file says so.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::checklist::store::{refresh_from_disk, register_file};
use opsdeck::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn setup(text: &str) -> (tempfile::TempDir, PathBuf, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.md");
    std::fs::write(&plan, text).unwrap();
    let mut store = Store::open(&tmp.path().join("cache.db")).unwrap();
    register_file(&mut store, &plan, &[], now()).unwrap();
    (tmp, plan, store)
}

fn texts(store: &Store) -> Vec<(String, bool)> {
    store
        .load_checklist()
        .unwrap()
        .into_iter()
        .map(|i| (i.text, i.checked))
        .collect()
}

const PLAN: &str = "# Plan\n\n## Go live\n\n- [ ] cut the branch\n- [ ] tag it\n";

#[test]
fn an_edit_elsewhere_of_the_same_size_is_picked_up() {
    let (_tmp, plan, mut store) = setup(PLAN);
    assert!(
        !refresh_from_disk(&mut store, &[], now()).unwrap(),
        "unchanged file"
    );
    // Same byte length, other content: a size comparison alone would miss it.
    let edited = PLAN.replace("- [ ] tag it", "- [x] tag IT");
    assert_eq!(edited.len(), PLAN.len());
    std::fs::write(&plan, &edited).unwrap();
    assert!(refresh_from_disk(&mut store, &[], now()).unwrap());
    assert_eq!(
        texts(&store),
        vec![("cut the branch".into(), false), ("tag IT".into(), true)]
    );
    // A different size is picked up too.
    std::fs::write(&plan, format!("{edited}- [ ] announce\n")).unwrap();
    assert!(refresh_from_disk(&mut store, &[], now()).unwrap());
    assert_eq!(texts(&store).len(), 3);
}

/// REGRESSION: every checklist reload rewrote a missing plan's row with the same error, and
/// with it the plan's whole stored text (issue #12, peak RSS on the checklist tab).
#[test]
fn a_missing_file_is_reported_once_and_not_rewritten_on_every_reload() {
    let (_tmp, plan, mut store) = setup(PLAN);
    std::fs::remove_file(&plan).unwrap();
    assert!(!refresh_from_disk(&mut store, &[], now()).unwrap());
    let error = |store: &Store| -> Option<String> {
        store
            .conn()
            .query_row("SELECT last_error FROM checklist_docs", [], |r| r.get(0))
            .unwrap()
    };
    let first = error(&store);
    assert!(first.is_some(), "the missing file is reported");
    let changes = store.conn().total_changes();
    assert!(!refresh_from_disk(&mut store, &[], now()).unwrap());
    assert_eq!(
        store.conn().total_changes(),
        changes,
        "the same error is not written again"
    );
    assert_eq!(error(&store), first);
    assert_eq!(texts(&store).len(), 2, "the items stay");
}
