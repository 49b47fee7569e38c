//! Three-way merge of pending edits with external changes, and safe writes of plan files.

use opsdeck::checklist::edit::{Direction, Position};
use opsdeck::checklist::file::{
    read_plan, write_atomic, write_if_unchanged, FileError, WriteOutcome,
};
use opsdeck::checklist::merge::{
    diff_ops, merge3, rebase, with_owner, ConflictReason, ItemOp, MergeError, OpOutcome,
};
use opsdeck::checklist::parse::parse;
use std::io;

const BASE: &str = "# Plan\n\n## Week 2\n- [ ] build\n- [ ] test\n- [ ] ship\n";

fn item(src: &str, text: &str) -> opsdeck::checklist::parse::Item {
    parse(src)
        .items
        .into_iter()
        .find(|i| i.text == text)
        .unwrap()
}

#[test]
fn an_external_edit_of_another_item_merges_with_ours() {
    let ops = vec![ItemOp::set_checked(&item(BASE, "build"), true)];
    let theirs = BASE.replace("- [ ] ship", "- [x] ship");
    let merged = rebase(&theirs, &ops);
    assert!(merged.is_clean());
    assert_eq!(merged.outcomes, vec![OpOutcome::Applied]);
    assert_eq!(
        merged.content,
        "# Plan\n\n## Week 2\n- [x] build\n- [ ] test\n- [x] ship\n"
    );
}

#[test]
fn an_external_text_edit_of_the_same_item_is_a_conflict_and_theirs_is_kept() {
    let ops = vec![ItemOp::set_text(&item(BASE, "build"), "build prod")];
    let theirs = BASE.replace("- [ ] build", "- [ ] build staging");
    let merged = rebase(&theirs, &ops);
    let conflicts = merged.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].reason, ConflictReason::Missing);
    assert_eq!(conflicts[0].ours, "text \"build prod\"");
    assert_eq!(merged.content, theirs);
}

#[test]
fn toggling_an_item_whose_text_changed_elsewhere_conflicts() {
    let ops = vec![ItemOp::set_checked(&item(BASE, "test"), true)];
    let theirs = BASE.replace("- [ ] test", "- [ ] test everything");
    let merged = rebase(&theirs, &ops);
    assert_eq!(merged.conflicts().len(), 1);
    assert_eq!(merged.content, theirs);
}

#[test]
fn the_same_toggle_made_on_both_sides_is_already_applied() {
    let ops = vec![ItemOp::set_checked(&item(BASE, "test"), true)];
    let theirs = BASE.replace("- [ ] test", "- [x] test");
    let merged = rebase(&theirs, &ops);
    assert_eq!(merged.outcomes, vec![OpOutcome::AlreadyApplied]);
    assert_eq!(merged.content, theirs);
}

#[test]
fn owner_changed_to_someone_else_conflicts_but_same_owner_is_done() {
    let base = "- [ ] deploy @alice\n";
    let ops = vec![ItemOp::set_owner(&item(base, "deploy @alice"), Some("bob"))];
    let to_bob = rebase("- [ ] deploy @bob\n", &ops);
    assert_eq!(to_bob.outcomes, vec![OpOutcome::AlreadyApplied]);
    let to_carol = rebase("- [ ] deploy @carol\n", &ops);
    assert_eq!(to_carol.conflicts().len(), 1);
    let unchanged = rebase(base, &ops);
    assert_eq!(unchanged.content, "- [ ] deploy @bob\n");
    assert_eq!(with_owner("deploy", Some("x")), "deploy @x");
}

#[test]
fn deleting_an_item_that_was_toggled_elsewhere_conflicts() {
    let ops = vec![ItemOp::delete(&item(BASE, "ship"))];
    let theirs = BASE.replace("- [ ] ship", "- [x] ship");
    assert_eq!(rebase(&theirs, &ops).conflicts().len(), 1);
    let gone = BASE.replace("- [ ] ship\n", "");
    assert_eq!(
        rebase(&gone, &ops).outcomes,
        vec![OpOutcome::AlreadyApplied]
    );
}

#[test]
fn a_duplicate_added_elsewhere_makes_our_target_ambiguous() {
    let base = "- [ ] deploy\n- [ ] deploy\n";
    let ops = vec![ItemOp::set_checked(&parse(base).items[1], true)];
    let theirs = "- [ ] deploy\n- [ ] deploy\n- [ ] deploy\n";
    let merged = rebase(theirs, &ops);
    assert_eq!(merged.conflicts()[0].reason, ConflictReason::Ambiguous);
    assert_eq!(merged.content, theirs);
}

#[test]
fn inserts_and_moves_replay_onto_a_changed_file() {
    let base_doc = parse(BASE);
    let test = &base_doc.items[1];
    let ops = vec![
        ItemOp::insert(&base_doc, test, Position::After, "lint"),
        ItemOp::move_item(&base_doc, &base_doc.items[0], Direction::Down).unwrap(),
    ];
    let theirs = format!("{BASE}\n## Later\n- [ ] more\n");
    let merged = rebase(&theirs, &ops);
    assert!(merged.is_clean(), "{:?}", merged.conflicts());
    assert!(merged
        .content
        .starts_with("# Plan\n\n## Week 2\n- [ ] test\n- [ ] build\n- [ ] lint\n- [ ] ship\n"));
    // Replaying the same ops onto the merged result changes nothing.
    let again = rebase(&merged.content, &ops);
    assert_eq!(again.content, merged.content);
    assert!(again
        .outcomes
        .iter()
        .all(|o| *o == OpOutcome::AlreadyApplied));
}

#[test]
fn merge3_derives_ops_from_a_locally_edited_copy() {
    let ours = BASE.replace("- [ ] build", "- [x] build fast");
    let theirs = BASE.replace("- [ ] ship", "- [x] ship");
    let merged = merge3(BASE, &ours, &theirs).unwrap();
    assert!(merged.is_clean());
    assert_eq!(
        merged.content,
        "# Plan\n\n## Week 2\n- [x] build fast\n- [ ] test\n- [x] ship\n"
    );
    assert_eq!(diff_ops(BASE, &ours).unwrap().len(), 2);
    let restructured = format!("{BASE}- [ ] new\n");
    assert_eq!(
        merge3(BASE, &restructured, &theirs),
        Err(MergeError::Unrepresentable)
    );
}

#[test]
fn a_file_changed_between_read_and_write_is_reported_as_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.md");
    std::fs::write(&path, BASE).unwrap();
    let read = read_plan(&path).unwrap();
    let ops = vec![ItemOp::set_checked(&item(&read, "build"), true)];
    let ours = rebase(&read, &ops).content;

    // Someone else saves the file after we read it.
    let external = BASE.replace("- [ ] ship", "- [x] ship");
    std::fs::write(&path, &external).unwrap();

    let outcome = write_if_unchanged(&path, &read, &ours).unwrap();
    let WriteOutcome::Moved { current } = outcome else {
        panic!("expected Moved, got {outcome:?}");
    };
    assert_eq!(current, external);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        external,
        "nothing was written"
    );

    // The caller merges again and the second write succeeds.
    let merged = rebase(&current, &ops);
    assert_eq!(
        write_if_unchanged(&path, &current, &merged.content).unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        read_plan(&path).unwrap(),
        "# Plan\n\n## Week 2\n- [x] build\n- [ ] test\n- [x] ship\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp files left behind");
}

#[cfg(unix)]
#[test]
fn atomic_write_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.md");
    std::fs::write(&path, "- [ ] a\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    write_atomic(&path, "- [x] a\r\n").unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"- [x] a\r\n");
}

#[test]
fn a_read_only_file_is_refused_and_retryable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.md");
    std::fs::write(&path, "- [ ] a\n").unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let err = write_atomic(&path, "- [x] a\n").unwrap_err();
    assert!(matches!(err, FileError::ReadOnly { .. }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "- [ ] a\n");
}

#[test]
fn missing_and_non_utf8_files_are_permanent_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = read_plan(&dir.path().join("nope.md")).unwrap_err();
    assert!(matches!(missing, FileError::NotFound { .. }));
    assert!(!missing.is_retryable());
    let bad = dir.path().join("latin1.md");
    std::fs::write(&bad, b"- [ ] caf\xe9\n").unwrap();
    let err = read_plan(&bad).unwrap_err();
    assert!(
        matches!(err, FileError::NotUtf8 { valid_up_to: 9, .. }),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[test]
fn io_errors_are_classified_into_retry_later_and_permanent() {
    let p = std::path::Path::new("plan.md");
    let retry = [
        io::ErrorKind::TimedOut,
        io::ErrorKind::ReadOnlyFilesystem,
        io::ErrorKind::StaleNetworkFileHandle,
        io::ErrorKind::StorageFull,
    ];
    for kind in retry {
        assert!(
            FileError::from_io(p, io::Error::from(kind)).is_retryable(),
            "{kind:?}"
        );
    }
    let permanent = [
        io::ErrorKind::PermissionDenied,
        io::ErrorKind::NotFound,
        io::ErrorKind::InvalidData,
    ];
    for kind in permanent {
        assert!(
            !FileError::from_io(p, io::Error::from(kind)).is_retryable(),
            "{kind:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn writing_through_a_symlink_replaces_the_target_not_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.md");
    let link = dir.path().join("link.md");
    std::fs::write(&target, "- [ ] a\n").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    write_atomic(&link, "- [x] a\n").unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "- [x] a\n");
}
