//! The cache file itself under attack (issue #13 findings 1–3), through the real store and the
//! real binary: deleted or replaced while open, pages overwritten, and file modes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use opsdeck::app::msg::{Edit, Effect, Msg};
use opsdeck::app::runtime::{Runtime, RuntimeConfig};
use opsdeck::domain::{BugStatus, EntityKind, EntityRef};
use opsdeck::store::{Operation, Store, StoreError};

fn now() -> chrono::DateTime<chrono::Utc> {
    opsdeck::clock::system().now()
}

/// A real cache with the demo workspace and one edit queued for a remote source.
fn cache_with_queued_edit(db: &Path) -> (Store, EntityRef) {
    let mut store = Store::open(db).unwrap();
    opsdeck::demo::load(&mut store, now()).unwrap();
    let bug = first_open_bug(&store);
    store
        .commit_edit(bug, &close(), now(), "me", &["gh".to_owned()])
        .unwrap();
    (store, bug)
}

fn first_open_bug(store: &Store) -> EntityRef {
    let id: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM bugs WHERE status = 'open' ORDER BY id LIMIT 1 OFFSET 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    EntityRef {
        kind: EntityKind::Bug,
        id,
    }
}

fn close() -> Operation {
    Operation::SetBugStatus {
        old: BugStatus::Open,
        new: BugStatus::Closed,
        reason: Some("completed".into()),
    }
}

fn comment() -> Operation {
    Operation::AddBugComment {
        body: "still here?".into(),
    }
}

/// REGRESSION: deleting `cache.sqlite3` under a running opsdeck let edits keep "committing" into
/// the unlinked inode — the UI said "queued for push" while the outbox was gone with the file.
#[test]
fn an_edit_after_the_cache_file_is_deleted_is_refused_not_queued() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let (mut store, bug) = cache_with_queued_edit(&db);
    std::fs::remove_file(&db).unwrap();
    let err = store
        .commit_edit(bug, &comment(), now(), "me", &["gh".to_owned()])
        .unwrap_err();
    assert!(matches!(err, StoreError::CacheGone(_)), "{err:?}");
    assert!(err.to_string().contains("NOT being saved"), "{err}");
}

/// REGRESSION: a cache file replaced by another (restored backup, `mv` over it) was not
/// noticed; edits went to the old inode nobody would ever read again.
#[test]
fn an_edit_after_the_cache_file_is_replaced_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let (mut store, bug) = cache_with_queued_edit(&db);
    let other = dir.path().join("other.sqlite3");
    drop(Store::open(&other).unwrap());
    std::fs::rename(&other, &db).unwrap();
    let err = store
        .commit_edit(bug, &comment(), now(), "me", &["gh".to_owned()])
        .unwrap_err();
    assert!(matches!(err, StoreError::CacheGone(_)), "{err:?}");
    assert!(store.check_file().is_err(), "stays refused");
}

/// REGRESSION: the TUI's store thread kept answering "queued" after the file vanished. Now the
/// idle check reports `CacheGone` on its own (no key pressed) and a later commit is refused
/// with the same message, never `Committed`.
#[test]
fn the_runtime_reports_a_deleted_cache_without_any_edit_and_refuses_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let (store, bug) = cache_with_queued_edit(&db);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runtime = Runtime::spawn(
        store,
        RuntimeConfig {
            actor: "me".into(),
            remote_sources: vec!["gh".into()],
            reports_dir: dir.path().join("reports"),
            policy: opsdeck::config::Policy::default(),
            tz: chrono_tz::UTC,
            redact: false,
            checklist_gates: Vec::new(),
        },
        opsdeck::clock::system(),
        tx,
    );
    std::fs::remove_file(&db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let gone = loop {
        assert!(Instant::now() < deadline, "no CacheGone within 10 s");
        match rx.try_recv() {
            Ok(Msg::CacheGone(text)) => break text,
            Ok(_) => {}
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                std::thread::sleep(Duration::from_millis(20)); // polling a channel, bounded
            }
            Err(e) => panic!("runtime gone: {e}"),
        }
    };
    assert!(gone.contains("deleted or replaced"), "{gone}");
    runtime.submit(Effect::Commit(vec![Edit {
        entity: bug,
        op: comment(),
    }]));
    runtime.submit(Effect::LoadOutbox);
    // The outbox load after the commit proves the commit was handled; it must not have said
    // `Committed`.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no answer within 10 s");
        match rx.try_recv() {
            Ok(Msg::Committed { description, .. }) => {
                panic!("an edit on a deleted cache was reported as saved: {description}")
            }
            Ok(Msg::OutboxLoaded(_)) => break,
            Ok(_) => {}
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("runtime gone: {e}"),
        }
    }
}

/// The state refuses edits with the reason once the cache is gone, and the status line says so.
#[test]
fn the_ui_state_turns_read_only_and_says_why() {
    let mut state =
        opsdeck::app::state::State::new(now(), chrono_tz::UTC, opsdeck::config::Policy::default());
    let _ = state.update(Msg::CacheGone("the cache file x was deleted".into()));
    assert!(state.read_only);
    assert_eq!(
        state.cache_gone.as_deref(),
        Some("the cache file x was deleted")
    );
}

fn opsdeck(data: &Path, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.env("OPSDECK_DATA_DIR", data)
        .env("OPSDECK_CONFIG_DIR", data.join("cfg"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env("OPSDECK_CORRUPT_TOKEN", "x")
        .arg("--config")
        .arg(config);
    c
}

fn write_config(dir: &Path) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "[[sources]]\nname = \"gh\"\nkind = \"github\"\nbase_url = \"http://127.0.0.1:9\"\n\
         token_env = \"OPSDECK_CORRUPT_TOKEN\"\nrepos = [\"o/r\"]\n",
    )
    .unwrap();
    path
}

/// Overwrites 16 KB of a real cache's pages (those of a large table, not the outbox) with
/// pseudo-random bytes.
fn corrupt(db: &Path) {
    {
        let store = Store::open(db).unwrap();
        store
            .conn()
            .execute_batch(
                "CREATE TABLE filler(x TEXT);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
                 INSERT INTO filler SELECT printf('%.200d', i) FROM n;",
            )
            .unwrap();
        store.checkpoint().unwrap();
    }
    let page: i64 = {
        let conn = rusqlite::Connection::open(db).unwrap();
        let size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        let count: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        // The filler's leaf pages are the last ones written.
        size * (count - 8)
    };
    let mut bytes = std::fs::read(db).unwrap();
    let mut x: u32 = 0x9e37_79b9;
    for b in bytes.iter_mut().skip(page as usize).take(16 * 1024) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    std::fs::write(db, bytes).unwrap();
}

/// REGRESSION: 16 KB of random bytes in the cache's pages went unnoticed: `sync --once` exited 0
/// and `checklist export` printed nothing. Now both exit non-zero naming the damage, the
/// readable outbox is saved to a file, `doctor` fails, and `rebuild-cache` recovers.
#[test]
fn a_corrupt_cache_is_refused_its_outbox_saved_and_rebuildable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let config = write_config(dir.path());
    let db = data.join("cache.sqlite3");
    drop(cache_with_queued_edit(&db));
    corrupt(&db);

    for args in [&["sync", "--once"][..], &["checklist", "export"][..]] {
        let out = opsdeck(&data, &config).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?} exited 0 on a corrupt cache"
        );
        assert!(stderr.contains("is corrupt"), "{args:?}: {stderr}");
        assert!(stderr.contains("rebuild-cache"), "{args:?}: {stderr}");
    }
    let rescued: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("outbox-rescue"))
        .collect();
    assert!(!rescued.is_empty(), "no outbox rescue file");
    let text = std::fs::read_to_string(&rescued[0]).unwrap();
    assert!(
        text.contains("set-bug-status"),
        "the queued close was saved: {text}"
    );

    let doctor = opsdeck(&data, &config).arg("doctor").output().unwrap();
    let stdout = String::from_utf8_lossy(&doctor.stdout);
    assert!(!doctor.status.success());
    assert!(
        stdout.contains("FAIL  cache") && stdout.contains("corrupt"),
        "{stdout}"
    );

    let rebuild = opsdeck(&data, &config)
        .arg("rebuild-cache")
        .output()
        .unwrap();
    assert!(rebuild.status.success(), "{rebuild:?}");
    let export = opsdeck(&data, &config)
        .args(["checklist", "export"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
}

/// The TUI does not hold its first frame for `quick_check` (it reads every page); the store
/// thread runs it right after. A damaged cache must still be found within a second of start,
/// turn the session read-only with the reason, and save the readable outbox beside the cache.
#[test]
fn the_tui_store_thread_finds_a_corrupt_cache_after_start_and_saves_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    drop(cache_with_queued_edit(&db));
    corrupt(&db);
    let store = Store::open(&db).expect("the header is intact, so the cache opens");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runtime = Runtime::spawn(
        store,
        RuntimeConfig {
            actor: "me".into(),
            remote_sources: vec!["gh".into()],
            reports_dir: dir.path().join("reports"),
            policy: opsdeck::config::Policy::default(),
            tz: chrono_tz::UTC,
            redact: false,
            checklist_gates: Vec::new(),
        },
        opsdeck::clock::system(),
        tx,
    );
    runtime.submit(Effect::CheckCachePages);
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        assert!(Instant::now() < deadline, "no CacheGone within 10 s");
        match rx.try_recv() {
            Ok(Msg::CacheGone(text)) => break text,
            Ok(_) => {}
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                std::thread::sleep(Duration::from_millis(20)); // polling a channel, bounded
            }
            Err(e) => panic!("runtime gone: {e}"),
        }
    };
    assert!(
        text.contains("is corrupt") && text.contains("rebuild-cache"),
        "{text}"
    );
    let rescued: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("outbox-rescue"))
        .collect();
    assert_eq!(rescued.len(), 1, "{text}");
    let saved = std::fs::read_to_string(&rescued[0]).unwrap();
    assert!(
        saved.contains("set-bug-status"),
        "the queued close was saved: {saved}"
    );
    let mut state =
        opsdeck::app::state::State::new(now(), chrono_tz::UTC, opsdeck::config::Policy::default());
    let _ = state.update(Msg::CacheGone(text));
    assert!(
        state.read_only,
        "edits are refused once the damage is known"
    );
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// REGRESSION: `cache.sqlite3` (and its `-wal`/`-shm`) were created 0644 — readable by every
/// user on a shared jump host if the folder's mode ever loosened; a pre-existing 0644 cache
/// stayed 0644.
#[cfg(unix)]
#[test]
fn the_cache_and_its_wal_and_shm_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let (store, _) = cache_with_queued_edit(&db);
    let [wal, shm] = opsdeck::store::health::companions(&db);
    for p in [&db, &wal, &shm] {
        assert!(p.exists(), "{} exists while open", p.display());
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }
    drop(store);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&db).unwrap());
    assert_eq!(mode(&db), 0o600, "a loose existing cache is tightened");
}

/// REGRESSION: `opsdeck.log` was created 0644.
#[cfg(unix)]
#[test]
fn the_log_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs").join("opsdeck.log");
    let _guard = opsdeck::logging::init(&log, "info");
    assert!(log.exists());
    assert_eq!(mode(&log), 0o600);
}

/// REGRESSION: `doctor` never looked at modes; a 0755 data folder and a 0644 file now fail it,
/// naming each path, its mode and the `chmod` that fixes it.
#[cfg(unix)]
#[test]
fn doctor_flags_loose_modes_on_the_folder_and_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let config = write_config(dir.path());
    let loose = data.join("opsdeck.log");
    std::fs::write(&loose, "x").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = opsdeck(&data, &config).arg("doctor").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("FAIL  {} has mode 0644", loose.display()))
            && stdout.contains("chmod 0600"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("FAIL  {} has mode 0755", data.display()))
            && stdout.contains("chmod 0700"),
        "{stdout}"
    );
}
