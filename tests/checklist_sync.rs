//! Checklist edits through the cache and the outbox onto real files: one byte per toggle, only
//! the touched lines otherwise, merges with edits made elsewhere, conflicts never guessed, and
//! edits that wait while the file cannot be written.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use opsdeck::checklist::store::{push_pending, register_file, FILE_RETRY_DELAY};
use opsdeck::domain::{ChecklistItem, EntityKind, EntityRef};
use opsdeck::store::{OpState, Operation, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn setup(fixture: &str) -> (tempfile::TempDir, PathBuf, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.md");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans")
        .join(fixture);
    std::fs::copy(src, &plan).unwrap();
    set_mode(&plan, 0o644);
    let mut store = Store::open(&tmp.path().join("cache.db")).unwrap();
    register_file(&mut store, &plan, &[], now()).unwrap();
    (tmp, plan, store)
}

fn items(store: &Store) -> Vec<ChecklistItem> {
    store.load_checklist().unwrap()
}

fn edit(store: &mut Store, item: &ChecklistItem, op: Operation) -> OpState {
    let e = EntityRef {
        kind: EntityKind::ChecklistItem,
        id: item.id,
    };
    store.commit_edit(e, &op, now(), "me", &[]).unwrap().state
}

fn differing_bytes(a: &str, b: &str) -> usize {
    assert_eq!(a.len(), b.len());
    a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count()
}

fn changed_lines(a: &str, b: &str) -> Vec<String> {
    let (al, bl): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    // A simple LCS-free diff is enough here: the edits keep the line count or change it by one.
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < al.len() || j < bl.len() {
        match (al.get(i), bl.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) => {
                if al.get(i + 1) == Some(y) {
                    out.push(format!("-{x}"));
                    i += 1;
                } else if bl.get(j + 1) == Some(x) {
                    out.push(format!("+{y}"));
                    j += 1;
                } else {
                    out.push(format!("-{x}"));
                    out.push(format!("+{y}"));
                    i += 1;
                    j += 1;
                }
            }
            (Some(x), None) => {
                out.push(format!("-{x}"));
                i += 1;
            }
            (None, Some(y)) => {
                out.push(format!("+{y}"));
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

#[test]
fn toggling_an_item_queues_it_and_the_push_changes_exactly_one_byte() {
    let (_tmp, plan, mut store) = setup("phase2-insured-build-plan.md");
    let before = std::fs::read_to_string(&plan).unwrap();
    let item = items(&store).into_iter().find(|i| !i.checked).unwrap();
    assert_eq!(
        edit(
            &mut store,
            &item,
            Operation::SetItemChecked {
                old: false,
                new: true
            }
        ),
        OpState::Pending,
        "file-backed edits go through the outbox"
    );
    assert!(
        items(&store)
            .iter()
            .find(|i| i.id == item.id)
            .unwrap()
            .checked,
        "the cache shows the edit at once"
    );
    let report = push_pending(&mut store, now()).unwrap();
    assert_eq!(report.done, 1);
    let after = std::fs::read_to_string(&plan).unwrap();
    assert_eq!(differing_bytes(&before, &after), 1);
    assert_eq!(store.outbox_summary().unwrap().queued, 0);
}

#[test]
fn editing_text_rewrites_only_that_line_and_notes_stay_out_of_the_file() {
    let (_tmp, plan, mut store) = setup("phase2-insured-build-plan.md");
    let before = std::fs::read_to_string(&plan).unwrap();
    let all = items(&store);
    let item = &all[5];
    edit(
        &mut store,
        item,
        Operation::SetItemText {
            old: item.text.clone(),
            new: format!("{} (revised)", item.text),
        },
    );
    edit(
        &mut store,
        &all[6],
        Operation::SetItemNote {
            old: None,
            new: Some("evidence: ticket 42".into()),
        },
    );
    push_pending(&mut store, now()).unwrap();
    let after = std::fs::read_to_string(&plan).unwrap();
    let diff = changed_lines(&before, &after);
    assert_eq!(diff.len(), 2, "one line out, one line in: {diff:?}");
    assert!(diff[1].ends_with("(revised)"), "{diff:?}");
    assert!(
        !after.contains("evidence: ticket 42"),
        "notes live in the cache only"
    );
    let note = items(&store)
        .into_iter()
        .find(|i| i.text == all[6].text)
        .unwrap()
        .note;
    assert_eq!(
        note.as_deref(),
        Some("evidence: ticket 42"),
        "the note survives the re-import"
    );
}

#[test]
fn an_external_edit_of_another_item_merges() {
    let (_tmp, plan, mut store) = setup("phase2-insured-build-plan.md");
    let open: Vec<ChecklistItem> = items(&store).into_iter().filter(|i| !i.checked).collect();
    let (mine, theirs) = (&open[10], &open[11]);
    edit(
        &mut store,
        mine,
        Operation::SetItemChecked {
            old: false,
            new: true,
        },
    );
    // Someone else (another editor, a git pull) checks the neighbour meanwhile.
    let content = std::fs::read_to_string(&plan).unwrap();
    let doc = opsdeck::checklist::parse::parse(&content);
    let other = doc.items.iter().find(|i| i.text == theirs.text).unwrap();
    std::fs::write(
        &plan,
        opsdeck::checklist::edit::set_checked_at(&content, other, true),
    )
    .unwrap();
    let report = push_pending(&mut store, now()).unwrap();
    assert_eq!((report.done, report.conflicts), (1, 0));
    let merged = opsdeck::checklist::parse::parse(&std::fs::read_to_string(&plan).unwrap());
    let checked = |text: &str| {
        merged
            .items
            .iter()
            .find(|i| i.text == text)
            .unwrap()
            .checked
    };
    assert!(
        checked(&mine.text) && checked(&theirs.text),
        "both edits are in the file"
    );
    assert!(
        items(&store)
            .iter()
            .find(|i| i.text == theirs.text)
            .unwrap()
            .checked,
        "the cache picked up the external edit"
    );
}

#[test]
fn the_same_item_changed_on_both_sides_is_a_conflict_and_the_file_keeps_theirs() {
    let (_tmp, plan, mut store) = setup("phase2-insured-build-plan.md");
    let item = items(&store)[20].clone();
    edit(
        &mut store,
        &item,
        Operation::SetItemText {
            old: item.text.clone(),
            new: "my wording".into(),
        },
    );
    let content = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, content.replacen(&item.text, "their wording", 1)).unwrap();
    let report = push_pending(&mut store, now()).unwrap();
    assert_eq!(report.conflicts, 1);
    let after = std::fs::read_to_string(&plan).unwrap();
    assert!(
        after.contains("their wording") && !after.contains("my wording"),
        "never resolved by guessing"
    );
    let summary = store.outbox_summary().unwrap();
    assert_eq!(
        summary.conflicts, 1,
        "the conflict is visible in the outbox"
    );
}

#[test]
fn a_read_only_file_keeps_the_edit_waiting_until_it_is_writable_again() {
    let (_tmp, plan, mut store) = setup("launch-audit-trail.md");
    let item = items(&store)[0].clone();
    let before = std::fs::read_to_string(&plan).unwrap();
    set_mode(&plan, 0o444);
    edit(
        &mut store,
        &item,
        Operation::SetItemChecked {
            old: item.checked,
            new: !item.checked,
        },
    );
    let report = push_pending(&mut store, now()).unwrap();
    assert_eq!((report.done, report.waiting), (0, 1));
    assert_eq!(
        std::fs::read_to_string(&plan).unwrap(),
        before,
        "nothing written to a read-only file"
    );
    let entry = store.list_outbox(10).unwrap().into_iter().next().unwrap();
    assert_eq!(entry.state, OpState::Pending);
    assert!(entry
        .last_error
        .unwrap_or_default()
        .contains("waiting for the file"));
    // Before the retry time nothing happens; after it, the edit lands once.
    set_mode(&plan, 0o644);
    assert_eq!(
        push_pending(&mut store, now()).unwrap().done,
        0,
        "retries wait for their time"
    );
    let later = now() + FILE_RETRY_DELAY + Duration::seconds(1);
    assert_eq!(push_pending(&mut store, later).unwrap().done, 1);
    assert_eq!(
        differing_bytes(&before, &std::fs::read_to_string(&plan).unwrap()),
        1
    );
    assert_eq!(
        push_pending(&mut store, later).unwrap().done,
        0,
        "exactly once"
    );
}

#[test]
fn a_missing_file_keeps_edits_in_the_outbox() {
    let (tmp, plan, mut store) = setup("launch-audit-trail.md");
    let item = items(&store)[1].clone();
    let moved = tmp.path().join("elsewhere.md");
    std::fs::rename(&plan, &moved).unwrap();
    edit(
        &mut store,
        &item,
        Operation::SetItemChecked {
            old: item.checked,
            new: !item.checked,
        },
    );
    assert_eq!(push_pending(&mut store, now()).unwrap().waiting, 1);
    std::fs::rename(&moved, &plan).unwrap();
    assert_eq!(
        push_pending(&mut store, now() + Duration::minutes(1))
            .unwrap()
            .done,
        1
    );
}

#[test]
fn adding_deleting_and_moving_items_touch_only_those_lines() {
    let (_tmp, plan, mut store) = setup("phase2-insured-build-plan.md");
    let original = std::fs::read_to_string(&plan).unwrap();
    let anchor = items(&store)[3].clone();
    edit(
        &mut store,
        &anchor,
        Operation::AddItem {
            text: "P2-W1-Z9 brand new task".into(),
            above: false,
        },
    );
    push_pending(&mut store, now()).unwrap();
    let added = std::fs::read_to_string(&plan).unwrap();
    let diff = changed_lines(&original, &added);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(
        diff[0].starts_with('+') && diff[0].contains("[ ] P2-W1-Z9 brand new task"),
        "{diff:?}"
    );
    let new_item = items(&store)
        .into_iter()
        .find(|i| i.text.contains("brand new task"))
        .unwrap();
    edit(
        &mut store,
        &new_item,
        Operation::DeleteItem {
            text: new_item.text.clone(),
            checked: false,
        },
    );
    push_pending(&mut store, now()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&plan).unwrap(),
        original,
        "delete removes exactly the added line"
    );
    let first = items(&store)[0].clone();
    edit(&mut store, &first, Operation::MoveItem { down: true });
    push_pending(&mut store, now()).unwrap();
    let moved = std::fs::read_to_string(&plan).unwrap();
    assert_eq!(original.lines().count(), moved.lines().count());
    assert_eq!(
        changed_lines(&original, &moved).len(),
        2,
        "two lines swapped"
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// REGRESSION: re-importing after a write merged two items with the same text in different
/// groups of one section into one cached row, so the section lost an item.
#[test]
fn re_import_keeps_every_item_of_the_real_plan() {
    let (_tmp, _plan, mut store) = setup("phase2-insured-build-plan.md");
    let before = items(&store).len();
    assert_eq!(before, 217);
    let item = items(&store).into_iter().find(|i| !i.checked).unwrap();
    edit(
        &mut store,
        &item,
        Operation::SetItemChecked {
            old: false,
            new: true,
        },
    );
    push_pending(&mut store, now()).unwrap();
    assert_eq!(items(&store).len(), before, "no item lost in the re-import");
    let done = items(&store).iter().filter(|i| i.checked).count();
    assert_eq!(done, 70, "69 done in the file plus the one just checked");
}
