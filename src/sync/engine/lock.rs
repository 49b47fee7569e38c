//! One round of a source at a time across processes: an OS advisory lock on a small file next
//! to the database (`<db>.sync-<source>.lock`).
//!
//! Why a file lock and not a row in SQLite: the OS drops it the moment the holder dies, even on
//! `kill -9`, so a restarted `opsdeck sync` reconciles its in-flight edit at once instead of
//! waiting for a lease to expire; and while the TUI and a cron `opsdeck sync` share the cache,
//! only one of them pushes a given edit.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a round waits for another process's round of the same source.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Pause between two attempts to take a held lock.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// A held source lock; released on drop.
#[derive(Debug)]
pub struct SourceLock {
    _file: File,
}

/// The lock file of `source` next to `db_path`.
pub fn lock_path(db_path: &Path, source: &str) -> PathBuf {
    let safe: String = source
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut name = db_path.as_os_str().to_owned();
    name.push(format!(".sync-{safe}.lock"));
    PathBuf::from(name)
}

/// Takes the lock of `source`, waiting up to `wait`; `Ok(None)` when another process kept it.
///
/// # Errors
/// The lock file cannot be created.
#[expect(
    clippy::incompatible_msrv,
    reason = "File::try_lock is stable since 1.89; the toolchain is 1.95 (raise rust-version)"
)]
pub async fn acquire(
    db_path: &Path,
    source: &str,
    wait: Duration,
) -> std::io::Result<Option<SourceLock>> {
    let path = lock_path(db_path, source);
    crate::store::health::create_private_file(&path)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(SourceLock { _file: file })),
            Err(TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(LOCK_POLL).await;
            }
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_and_gets_the_lock_after_release() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cache.db");
        let first = acquire(&db, "gh/x", Duration::ZERO).await.unwrap();
        assert!(first.is_some());
        // flock locks are per open file description: a second open in one process contends.
        let second = acquire(&db, "gh/x", Duration::ZERO).await.unwrap();
        assert!(second.is_none(), "the lock must be exclusive");
        drop(first);
        assert!(acquire(&db, "gh/x", Duration::ZERO)
            .await
            .unwrap()
            .is_some());
        assert!(lock_path(&db, "gh/x").ends_with("cache.db.sync-gh_x.lock"));
    }
}
