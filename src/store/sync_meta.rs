//! Bookkeeping the sync engine and the connectors keep next to the cached rows: per-URL ETags
//! (`http_cache`), connector cursors and persisted rate-limit deadlines (`sync_state`), and the
//! small lookups a connector needs to push an outbox entry (which remote item a bug row is).
//!
//! Functions taking a [`Transaction`] are meant to run inside the same [`Store::write`] as the
//! page they belong to, so a cursor or ETag never advances without its rows.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::write::{upsert_bugs_if_changed, SameWhen};
use super::{first_value, from_opt_ts, ts, Result, Store};
use crate::domain::{Bug, EntityKind, EntityRef};

/// The remote identity of a cached bug, for pushing an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BugRemote {
    /// Configured source name.
    pub source: String,
    /// Display key (`#12`, `owner/repo#12`).
    pub key: String,
    /// The tracker's own id.
    pub external_id: String,
    /// Remote `updated_at` (unix seconds) as last pulled.
    pub updated_at: i64,
}

/// The stored ETag for `url` of `source`, if any.
///
/// # Errors
/// SQLite errors.
pub fn etag(conn: &Connection, source: &str, url: &str) -> Result<Option<String>> {
    let sql = "SELECT etag FROM http_cache WHERE source = ?1 AND url = ?2";
    Ok(first_value(conn, sql, params![source, url])?.flatten())
}

/// Stores the ETag of `url`, replacing every other URL of `source` that starts with `prefix`.
///
/// A `since`-style cursor changes the URL at every advance; dropping the older siblings keeps
/// the table at one row per listed resource.
///
/// # Errors
/// SQLite errors.
pub fn set_etag(
    tx: &Transaction<'_>,
    source: &str,
    prefix: &str,
    url: &str,
    etag: Option<&str>,
) -> Result<()> {
    let prefix_chars = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM http_cache WHERE source = ?1 AND substr(url, 1, ?2) = ?3",
        params![source, prefix_chars, prefix],
    )?;
    if let Some(tag) = etag {
        tx.execute(
            "INSERT OR REPLACE INTO http_cache (source, url, etag) VALUES (?1, ?2, ?3)",
            params![source, url, tag],
        )?;
    }
    Ok(())
}

/// The connector cursor of `source`.
///
/// # Errors
/// SQLite errors.
pub fn cursor(conn: &Connection, source: &str) -> Result<Option<String>> {
    let sql = "SELECT cursor FROM sync_state WHERE source = ?1";
    Ok(first_value(conn, sql, [source])?.flatten())
}

/// Sets the cursor of `source` (creating its `sync_state` row if needed).
///
/// # Errors
/// SQLite errors.
pub fn set_cursor(tx: &Transaction<'_>, source: &str, kind: &str, cursor: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (source, kind, cursor) VALUES (?1, ?2, ?3) \
         ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor",
        params![source, kind, cursor],
    )?;
    Ok(())
}

/// The persisted "no request before" deadline of `source`, if one is recorded.
///
/// # Errors
/// SQLite errors.
pub fn rate_limited_until(conn: &Connection, source: &str) -> Result<Option<DateTime<Utc>>> {
    let sql = "SELECT rate_limited_until FROM sync_state WHERE source = ?1";
    Ok(from_opt_ts(first_value(conn, sql, [source])?.flatten()))
}

/// Persists a rate-limit deadline for `source` (keeps a later one already stored).
///
/// Rounded up to the next whole second, so "no request before it" holds after a restart.
///
/// # Errors
/// SQLite errors.
pub fn note_rate_limit(
    tx: &Transaction<'_>,
    source: &str,
    kind: &str,
    until: DateTime<Utc>,
) -> Result<()> {
    let secs = ts(until) + i64::from(until.timestamp_subsec_nanos() > 0);
    tx.execute(
        "INSERT INTO sync_state (source, kind, rate_limited_until) VALUES (?1, ?2, ?3) \
         ON CONFLICT (source) DO UPDATE SET rate_limited_until = \
         MAX(COALESCE(sync_state.rate_limited_until, 0), excluded.rate_limited_until)",
        params![source, kind, secs],
    )?;
    Ok(())
}

/// Records a source that could not even start (bad config, missing token) in `sync_state`.
///
/// # Errors
/// SQLite errors.
pub fn note_source_error(
    tx: &Transaction<'_>,
    source: &str,
    kind: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (source, kind, last_attempt_at, last_error, last_error_at, consecutive_failures) \
         VALUES (?1, ?2, ?3, ?4, ?3, 1) ON CONFLICT (source) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, \
         last_error = excluded.last_error, last_error_at = excluded.last_error_at, \
         consecutive_failures = sync_state.consecutive_failures + 1",
        params![source, kind, ts(at), crate::sanitize::line(error)],
    )?;
    Ok(())
}

/// Upserts a pulled bug unless the cached row already holds the same remote version.
///
/// Returns whether anything was written. "Same" means the same remote `updated_at` and the
/// same title, status, priority, assignee and labels ([`SameWhen::UpdatedAndTriage`]);
/// pending local edits are re-applied whenever the row is written. A page of bugs goes through
/// [`upsert_bugs_if_changed`] at once.
///
/// # Errors
/// SQLite errors.
pub fn store_bug_if_changed(tx: &Transaction<'_>, bug: &Bug, now: DateTime<Utc>) -> Result<bool> {
    upsert_bugs_if_changed(
        tx,
        std::slice::from_ref(bug),
        now,
        SameWhen::UpdatedAndTriage,
    )
}

/// Takes back the attempt counted by `mark_inflight` when the push failed before sending any
/// write, so `attempts` counts only attempts whose outcome may be unknown.
///
/// # Errors
/// SQLite errors.
pub fn forget_attempt(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET attempts = attempts - 1 WHERE seq = ?1 AND attempts > 0",
        [seq],
    )?;
    Ok(())
}

impl Store {
    /// Which remote item a cached bug is (for pushing an edit); `None` when the row is gone.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn bug_remote(&self, entity: EntityRef) -> Result<Option<BugRemote>> {
        if entity.kind != EntityKind::Bug {
            return Ok(None);
        }
        Ok(self
            .conn()
            .query_row(
                "SELECT source, key, external_id, updated_at FROM bugs WHERE id = ?1",
                [entity.id],
                |r| {
                    Ok(BugRemote {
                        source: r.get(0)?,
                        key: r.get(1)?,
                        external_id: r.get(2)?,
                        updated_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// The persisted rate-limit deadline of `source` (see [`rate_limited_until`]).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn rate_limited_until(&self, source: &str) -> Result<Option<DateTime<Utc>>> {
        rate_limited_until(self.conn(), source)
    }
}

/// Edits of one source still waiting to be pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEdits {
    /// Source name.
    pub source: String,
    /// Pending or in-flight remote edits.
    pub count: u32,
    /// When the earliest of them will be tried; `None` when one is due at the next round.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Remote edits still queued (pending or in flight), per source.
///
/// # Errors
/// SQLite errors.
pub fn queued_edits(conn: &Connection) -> Result<Vec<QueuedEdits>> {
    let mut stmt = conn.prepare(
        "SELECT source, count(*), SUM(next_attempt_at IS NULL), MIN(next_attempt_at) FROM outbox \
         WHERE remote = 1 AND state IN ('pending', 'inflight') GROUP BY source ORDER BY source",
    )?;
    let rows = stmt.query_map([], |r| {
        let due_now: i64 = r.get(2)?;
        let next: Option<i64> = r.get(3)?;
        Ok(QueuedEdits {
            source: r.get(0)?,
            count: r.get(1)?,
            next_attempt_at: if due_now > 0 { None } else { from_opt_ts(next) },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
