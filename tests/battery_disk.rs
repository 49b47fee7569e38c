//! RELIABILITY.md §7 A4: the cache on an 8 MB tmpfs that fills up between edits. Every edit
//! whose commit returned `Ok` (what the UI shows as saved) must be in the outbox after a
//! reopen, every refused one must not; nothing panics; after space is freed `integrity_check`
//! passes and edits work again without repair.
//!
//! Needs root to mount the tmpfs (CI runs as root). Where `mount` is not permitted this test
//! FAILS with a message saying so — it is never skipped silently.

mod battery_common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use battery_common::{record, sized};
use opsdeck::domain::{EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};

/// Unmounts on drop, even when an assertion fails.
struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(at: &Path, size: &str) -> Mounted {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Mounted(at.to_path_buf()),
            Ok(o) => panic!(
                "A4 (disk full) needs to mount a tmpfs and could not: {} — run the battery as \
                 root (CI does); this test is not skipped",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("A4 (disk full) cannot run `mount`: {e}; this test is not skipped"),
        }
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Writes 64 KB chunks until the file system refuses; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5au8; 64 * 1024];
    let mut written = 0u64;
    // Bounded: an 8 MB file system takes at most 128 chunks (a larger one fails the assert).
    for _ in 0..1024 {
        match f.write_all(&chunk) {
            Ok(()) => written += chunk.len() as u64,
            Err(_) => break,
        }
    }
    let _ = f.sync_all();
    written
}

#[test]
fn battery_a4_disk_full_mid_edit_shows_nothing_saved_that_was_not() {
    let edits: usize = sized(100, 1000);
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let _mounted = Mounted::tmpfs(&mnt, "8m");
    let db = mnt.join("cache.sqlite3");
    let clock = opsdeck::clock::system();
    let mut store = Store::open(&db).unwrap();
    opsdeck::demo::load(&mut store, clock.now()).unwrap();
    let bugs: Vec<i64> = {
        let mut stmt = store.conn().prepare("SELECT id FROM bugs").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .filter_map(Result::ok)
            .collect()
    };
    assert!(!bugs.is_empty());
    let baseline = store.list_outbox(100_000).unwrap().len();
    let filler = mnt.join("filler");
    let filled = fill(&filler);
    assert!(filled < 9 * 1024 * 1024, "the tmpfs is bounded");
    // Leave ~200 KB: the first edits fit, then the disk is full mid-run.
    let leave_room = |filler: &Path| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(filler)
            .unwrap();
        let len = f.metadata().unwrap().len();
        f.set_len(len.saturating_sub(200 * 1024)).unwrap();
    };
    leave_room(&filler);

    let mut saved = Vec::new();
    let mut refused = 0usize;
    for i in 0..edits {
        let e = EntityRef {
            kind: EntityKind::Bug,
            id: bugs[i % bugs.len()],
        };
        // Long bodies so that the WAL needs new pages.
        let op = Operation::AddBugComment {
            body: format!("disk full {i} {}", "x".repeat(2000)),
        };
        match store.commit_edit(e, &op, clock.now(), "me", &["gh".to_owned()]) {
            Ok(out) => saved.push(out.op_id),
            Err(_) => refused += 1,
        }
        if i == edits / 2 {
            // Free a little mid-run: commits succeed and fail in turn.
            leave_room(&filler);
        }
    }
    drop(store);
    std::fs::remove_file(&filler).unwrap();

    let mut store = Store::open(&db).unwrap();
    let integrity = store.check_integrity();
    let ids: Vec<String> = store
        .list_outbox(100_000)
        .unwrap()
        .into_iter()
        .map(|e| e.op_id)
        .collect();
    let shown_but_lost = saved.iter().filter(|id| !ids.contains(id)).count();
    let stored_but_refused = ids.len().saturating_sub(baseline + saved.len());
    let after = store.commit_edit(
        EntityRef {
            kind: EntityKind::Bug,
            id: bugs[0],
        },
        &Operation::AddBugComment {
            body: "after".into(),
        },
        clock.now(),
        "me",
        &["gh".to_owned()],
    );
    let failed = shown_but_lost
        + stored_but_refused
        + usize::from(integrity.is_err())
        + usize::from(after.is_err());
    record(
        "A4 disk full on an 8 MB tmpfs, mid-edit",
        edits,
        edits - failed.min(edits),
        failed.min(edits),
        &format!(
            "{} saved, {refused} refused (SQLITE_FULL); {shown_but_lost} shown as saved but \
             lost; integrity after freeing: {}; next edit: {}",
            saved.len(),
            if integrity.is_ok() { "ok" } else { "FAILED" },
            if after.is_ok() { "saved" } else { "FAILED" }
        ),
    );
    assert!(
        refused > 0,
        "the disk never filled: the test proved nothing"
    );
    assert_eq!(shown_but_lost, 0);
    assert_eq!(stored_but_refused, 0);
    integrity.unwrap();
    after.unwrap();
}
