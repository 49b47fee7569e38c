//! The local SQLite cache: the single source of truth for everything on screen.
//!
//! [`Store`] owns one rusqlite connection. The UI's runtime keeps one on a dedicated thread for
//! tab queries and edits; each sync worker opens its own. Rules (RELIABILITY.md §2, §8.2):
//!
//! - WAL, `synchronous=FULL` (the outbox lives here and user edits are precious), an explicit
//!   `busy_timeout`, foreign keys on;
//! - every write is one `BEGIN IMMEDIATE` transaction ([`Store::write`]), so the busy handler
//!   applies and two processes never see "database is locked";
//! - opening retries `SQLITE_BUSY`/`SQLITE_BUSY_RECOVERY`/`SQLITE_BUSY_SNAPSHOT` with backoff;
//! - migrations are append-only ([`schema`]); a newer database is refused.
//!
//! Submodules: [`outbox`] (edits as operations, undo, the outbox view), [`read`] (tab
//! queries), [`write`] (upserts used by sync and the demo loader), [`demo`] (the embedded demo).

pub mod demo;
pub mod health;
pub mod incidents;
pub mod outbox;
pub mod prometheus;
pub mod read;
pub mod schema;
pub mod sync_meta;
pub mod trackers;
pub mod write;

use std::path::Path;
use std::thread;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};

pub use outbox::{CommitOutcome, OpState, Operation, OutboxEntry, OutboxSummary};

/// How long a writer waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times opening retries a busy or recovering database.
pub const OPEN_RETRIES: u32 = 50;

/// Errors from the cache.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("cache database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer opsdeck.
    #[error(
        "the cache at {path} was written by a newer opsdeck (schema {found}, this build knows \
         {known}); upgrade opsdeck or point OPSDECK_DATA_DIR at another folder"
    )]
    TooNew {
        /// Path of the database.
        path: String,
        /// Its schema version.
        found: u32,
        /// The newest this binary understands.
        known: u32,
    },
    /// A stored value could not be decoded.
    #[error("corrupt value in the cache: {0}")]
    Corrupt(String),
    /// The edit refers to a row that is gone.
    #[error("{0} no longer exists in the cache (was it removed by a sync?)")]
    NotFound(String),
    /// The edit is not allowed.
    #[error("{0}")]
    Refused(String),
    /// A test-only failpoint fired.
    #[error("failpoint: {0}")]
    Failpoint(&'static str),
    /// The cache file was deleted or replaced under the open connection: nothing written now
    /// would survive, so edits are refused until opsdeck is restarted on the new file.
    #[error(
        "the cache file {0} was deleted or replaced while opsdeck was running; edits are NOT \
         being saved — quit and restart opsdeck (queued edits made before this are lost with \
         the old file unless it is restored)"
    )]
    CacheGone(String),
}

/// Result alias for the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Places a test can make a write fail, to prove atomicity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the cache row is updated, before the outbox entry is inserted.
    AfterRowUpdate,
}

/// A handle on the cache database.
pub struct Store {
    conn: Connection,
    path: String,
    /// Where the file was when it was opened (`None` in memory): see [`health::FileId`].
    file_id: Option<(std::path::PathBuf, health::FileId)>,
    #[doc(hidden)]
    pub failpoint: Option<FailPoint>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

impl Store {
    /// Opens (creating if needed) the cache at `path` and migrates it to the latest schema.
    ///
    /// # Errors
    /// [`StoreError::TooNew`] for a newer database, or SQLite errors after retries.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_to(path, schema::LATEST_VERSION)
    }

    /// Opens and migrates only up to `version` (used by migration tests to build old caches).
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_to(path: &Path, version: u32) -> Result<Store> {
        let display = path.display().to_string();
        let mut attempt = 0u32;
        loop {
            match Self::try_open(path, &display, version) {
                Ok(store) => return Ok(store),
                Err(StoreError::Sqlite(e)) if is_busy(&e) && attempt < OPEN_RETRIES => {
                    attempt += 1;
                    thread::sleep(Duration::from_millis(20 * u64::from(attempt.min(10))));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens a private in-memory cache (tests, report rendering).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let mut store = Store {
            conn,
            path: ":memory:".into(),
            file_id: None,
            failpoint: None,
        };
        store.configure(false)?;
        store.migrate(schema::LATEST_VERSION)?;
        Ok(store)
    }

    fn try_open(path: &Path, display: &str, version: u32) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // Created 0600 before SQLite sees it: SQLite gives `-wal`/`-shm` the same mode.
        health::create_private_file(path)
            .map_err(|e| StoreError::Refused(format!("cannot create {display}: {e}")))?;
        for companion in health::companions(path) {
            health::tighten(&companion)
                .map_err(|e| StoreError::Refused(format!("cannot tighten {display}: {e}")))?;
        }
        let conn = Connection::open_with_flags(path, flags)?;
        let mut store = Store {
            conn,
            path: display.to_string(),
            file_id: health::FileId::of(path).map(|id| (path.to_path_buf(), id)),
            failpoint: None,
        };
        store.configure(true)?;
        store.migrate(version)?;
        Ok(store)
    }

    fn configure(&self, wal: bool) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Plans that do not depend on bound values. Without this, a statement whose plan
        // looked at a parameter (an equality that also serves the ORDER BY, a join on it) is
        // marked "re-prepare on rebind", and rusqlite's statement cache clears the bindings
        // of every statement it takes back — so the detail queries of every `j`/`k`
        // (timeline, rollback candidate) were parsed and planned again on each call: 60 % of
        // the store thread's time while scrolling the incidents list (perf, issue #12).
        self.conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        if wal {
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(mode, "cache is not in WAL mode");
            }
        }
        self.conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
        )?;
        Ok(())
    }

    /// Caps this connection's page cache at `kib` KiB (SQLite's default is 2,000 KiB, filled
    /// as pages are read and kept until the connection closes).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn set_cache_kib(&self, kib: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "cache_size", -i64::from(kib))?;
        Ok(())
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn user_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&mut self, target: u32) -> Result<()> {
        let current = self.user_version()?;
        if current > schema::LATEST_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                known: schema::LATEST_VERSION,
            });
        }
        if current >= target {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read inside the write lock: another process may have migrated meanwhile.
        let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, step) in schema::MIGRATIONS.iter().enumerate() {
            let to = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if to <= current || to > target {
                continue;
            }
            step(&tx)?;
            tx.pragma_update(None, "user_version", to)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction, committing on `Ok`.
    ///
    /// # Errors
    /// Whatever `f` returns, or SQLite errors; on error nothing is written.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.check_file()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// `Ok(())` while the file opened is still the one at the path; [`StoreError::CacheGone`]
    /// once it was deleted or replaced (checked before every write and on the UI's tick).
    ///
    /// # Errors
    /// [`StoreError::CacheGone`].
    pub fn check_file(&self) -> Result<()> {
        if let Some((path, id)) = &self.file_id {
            if health::FileId::of(path) != Some(*id) {
                return Err(StoreError::CacheGone(self.path.clone()));
            }
        }
        Ok(())
    }

    /// Asks `stop` every `steps` SQLite virtual-machine steps whether to stop the running
    /// statement (it then fails with `OperationInterrupted`). The caller decides which
    /// statements may be stopped: `stop` must say no while anything else runs.
    ///
    /// # Errors
    /// SQLite refusing the handler.
    pub fn stop_statements_when(
        &mut self,
        steps: i32,
        stop: impl FnMut() -> bool + Send + 'static,
    ) -> Result<()> {
        Ok(self.conn.progress_handler(steps, Some(stop))?)
    }

    /// The raw connection for read queries (never hold a transaction across frames).
    #[must_use]
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// `PRAGMA integrity_check` and `foreign_key_check`: `Ok(())` when both are clean.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming the first problem.
    pub fn check_integrity(&self) -> Result<()> {
        let ok: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(StoreError::Corrupt(ok));
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        if let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            return Err(StoreError::Corrupt(format!(
                "foreign key violation in {table}"
            )));
        }
        Ok(())
    }

    /// Checkpoints and truncates the WAL (called when idle, RELIABILITY.md §2.2).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        Ok(())
    }

    /// Path of the database file (`:memory:` for in-memory stores).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The first column of the first row `sql` returns; `None` when it returns no row.
///
/// # Errors
/// SQLite errors, a value of another type among them.
pub fn first_value<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<T>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row(sql, params, |r| r.get(0)).optional()?)
}

/// Unix seconds for a timestamp.
#[must_use]
pub fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A timestamp from unix seconds (out-of-range values clamp to the epoch).
#[must_use]
pub fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

/// Optional variant of [`from_ts`].
#[must_use]
pub fn from_opt_ts(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.map(from_ts)
}

/// Decodes a JSON list column, treating junk as empty (the column is written only by us).
#[must_use]
pub fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Encodes a list for a JSON column.
#[must_use]
pub fn to_json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
