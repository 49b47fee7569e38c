//! Store helpers for the tracker connectors (Jira, Redmine): the per-source cursor, the
//! remote identity of a cached bug, and "is this pulled bug already cached as is?".
//!
//! Every writer takes an open transaction so a connector commits a page of bugs together with
//! its cursor advance (RELIABILITY.md §4.3).

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{json_list, ts, Result};
use crate::domain::Bug;

/// The stored sync cursor of `source`, if a pull ever committed one (one query, kept with the
/// rest of the sync state).
pub use super::sync_meta::cursor;

/// Advances the cursor of `source` (the row exists once `write::sync_attempt` ran).
///
/// Only the cursor changes; success bookkeeping stays with `write::sync_success`.
///
/// # Errors
/// SQLite errors.
pub fn set_cursor(tx: &Transaction<'_>, source: &str, cursor: &str) -> Result<()> {
    tx.prepare_cached("UPDATE sync_state SET cursor = ?2 WHERE source = ?1")?
        .execute(params![source, cursor])?;
    Ok(())
}

/// Where a cached bug lives remotely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteBug {
    /// Configured source name.
    pub source: String,
    /// The tracker's own id (Jira `10042`, Redmine `17`).
    pub external_id: String,
    /// Display key (`OPS-42`, `RM-17`).
    pub key: String,
}

/// The remote identity of bug row `id`, or `None` when the row is gone.
///
/// # Errors
/// SQLite errors.
pub fn remote_bug(conn: &Connection, id: i64) -> Result<Option<RemoteBug>> {
    Ok(conn
        .query_row(
            "SELECT source, external_id, key FROM bugs WHERE id = ?1",
            [id],
            |r| {
                Ok(RemoteBug {
                    source: r.get(0)?,
                    external_id: r.get(1)?,
                    key: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Whether `b` is already cached exactly as pulled (same remote fields, same update time).
///
/// Connectors skip such rows: that is how the overlap of an inclusive `updated >=` cursor is
/// de-duplicated without losing an update that landed within the same second. A row showing a
/// pending local edit differs from the remote copy, so it is upserted (and the edit re-applied).
///
/// # Errors
/// SQLite errors.
pub fn bug_is_cached(tx: &Transaction<'_>, b: &Bug) -> Result<bool> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        i64,
        i64,
        Option<i64>,
        Option<String>,
    );
    let row: Option<Row> = tx
        .prepare_cached(
            "SELECT key, title, body, priority, status, assignee, labels, created_at, updated_at, \
             closed_at, url FROM bugs WHERE source = ?1 AND external_id = ?2",
        )?
        .query_row(params![b.source, b.external_id], |r| r.try_into())
        .optional()?;
    let Some(row) = row else {
        return Ok(false);
    };
    let same = row.0 == b.key
        && row.1 == b.title
        && row.2 == b.body
        && row.3 == b.priority.as_str()
        && row.4 == b.status.as_str()
        && row.5 == b.assignee
        && json_list(&row.6) == b.labels
        && row.7 == ts(b.created_at)
        && row.8 == ts(b.updated_at)
        && row.9 == b.closed_at.map(ts)
        && row.10 == b.url;
    Ok(same)
}

/// Number of cached bugs of `source` (tests and the sources view).
///
/// # Errors
/// SQLite errors.
pub fn bug_count(conn: &Connection, source: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM bugs WHERE source = ?1",
        [source],
        |r| r.get(0),
    )?)
}
