//! Pulled bugs into the cache: the upsert (plain for the demo loader and tests, or skipping
//! rows already cached as is, a page at a time, for the tracker connectors), re-applying pending
//! local edits on the rows written, and [`Store::write_refetchable`], the transaction a pulled
//! page commits in (issue #12: ingest at the speed of SQLite).

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};

use super::reapply_edits;
use crate::domain::{Bug, EntityKind};
use crate::store::{to_json_list, ts, Result, Store};

/// The bug upsert, with an optional `WHERE` on its `DO UPDATE` (a row that fails it is left
/// alone and returns no id).
macro_rules! bug_upsert_sql {
    ($update_where:literal) => {
        bug_upsert_sql!($update_where, " RETURNING id")
    };
    ($update_where:literal, $returning:literal) => {
        concat!(
            "INSERT INTO bugs (source, external_id, key, title, body, priority, status, assignee, labels, customers, \
             created_at, updated_at, closed_at, url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
             ON CONFLICT (source, external_id) DO UPDATE SET key = excluded.key, title = excluded.title, body = excluded.body, \
             priority = excluded.priority, status = excluded.status, assignee = excluded.assignee, labels = excluded.labels, \
             customers = excluded.customers, created_at = excluded.created_at, updated_at = excluded.updated_at, \
             closed_at = excluded.closed_at, url = excluded.url ",
            $update_where,
            $returning
        )
    };
}

/// The 14 parameters of [`bug_upsert_sql`] for bug `$b`.
macro_rules! bug_params {
    ($b:expr) => {
        params![
            $b.source,
            $b.external_id,
            $b.key,
            $b.title,
            $b.body,
            $b.priority.as_str(),
            $b.status.as_str(),
            $b.assignee,
            to_json_list(&$b.labels),
            customers_of($b),
            ts($b.created_at),
            ts($b.updated_at),
            $b.closed_at.map(ts),
            $b.url
        ]
    };
}

/// Which cached columns must equal the pulled ones for a bug to count as "cached as is".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameWhen {
    /// Every remote field: key, title, body, priority, status, assignee, labels, the three
    /// times and the URL (Jira, Redmine: the overlap of an inclusive `updated >=` cursor is
    /// re-fetched on purpose and must not rewrite the rows it finds unchanged).
    AllRemoteFields,
    /// The remote `updated_at` and the triaged fields: title, status, priority, assignee and
    /// labels (GitHub Issues).
    UpdatedAndTriage,
}

/// The bugs with local edits still pending or in flight, read once per page: only their rows
/// need those edits re-applied after an upsert. Within one write transaction nothing else can
/// add to the outbox, so the set stays true for the whole page.
#[derive(Debug, Default)]
struct PendingBugEdits(std::collections::HashSet<i64>);

impl PendingBugEdits {
    /// Reads the set inside the page's transaction.
    ///
    /// # Errors
    /// SQLite errors.
    fn read(tx: &Transaction<'_>) -> Result<PendingBugEdits> {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT entity_id FROM outbox WHERE entity_kind = 'bug' AND state IN ('pending', 'inflight')",
        )?;
        let ids = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(PendingBugEdits(ids))
    }
}

fn customers_of(b: &Bug) -> String {
    let customers = crate::domain::bug::customers_from_labels(&b.labels);
    if customers.is_empty() {
        to_json_list(&b.customers)
    } else {
        to_json_list(&customers)
    }
}

/// Upserts one bug by `(source, external_id)`; returns its local id.
///
/// # Errors
/// SQLite errors.
pub fn upsert_bug(tx: &Transaction<'_>, b: &Bug, now: DateTime<Utc>) -> Result<i64> {
    let id: i64 = tx
        .prepare_cached(bug_upsert_sql!(""))?
        .query_row(bug_params!(b), |r| r.get(0))?;
    reapply_edits(tx, EntityKind::Bug, id, now)?;
    Ok(id)
}

/// Upserts a page of pulled bugs, leaving alone each one whose cached row already holds the same
/// remote version (`same` says which columns decide; the check is the upsert's own `WHERE`, one
/// statement per bug, prepared once per page), and re-applies pending local edits on the rows
/// written that carry them. Returns whether anything was written.
///
/// A row showing a pending local edit differs from the remote copy, so it is written and the
/// edit re-applied, exactly as when the check was a separate read.
///
/// # Errors
/// SQLite errors.
pub fn upsert_bugs_if_changed(
    tx: &Transaction<'_>,
    bugs: &[Bug],
    now: DateTime<Utc>,
    same: SameWhen,
) -> Result<bool> {
    let sql = match same {
        SameWhen::AllRemoteFields => bug_upsert_sql!(
            "WHERE bugs.key IS NOT excluded.key OR bugs.title IS NOT excluded.title \
             OR bugs.body IS NOT excluded.body OR bugs.priority IS NOT excluded.priority \
             OR bugs.status IS NOT excluded.status OR bugs.assignee IS NOT excluded.assignee \
             OR bugs.labels IS NOT excluded.labels OR bugs.created_at IS NOT excluded.created_at \
             OR bugs.updated_at IS NOT excluded.updated_at OR bugs.closed_at IS NOT excluded.closed_at \
             OR bugs.url IS NOT excluded.url",
            ""
        ),
        SameWhen::UpdatedAndTriage => bug_upsert_sql!(
            "WHERE bugs.updated_at IS NOT excluded.updated_at OR bugs.title IS NOT excluded.title \
             OR bugs.status IS NOT excluded.status OR bugs.priority IS NOT excluded.priority \
             OR bugs.assignee IS NOT excluded.assignee OR bugs.labels IS NOT excluded.labels",
            ""
        ),
    };
    let pending = PendingBugEdits::read(tx)?;
    // No `RETURNING id` here: RETURNING makes SQLite journal every statement (a sub-journal
    // copy of each page the upsert touches, ~10 indexes deep), which cost more than the whole
    // check. The id is looked up only when some bug has pending edits.
    let mut upsert = tx.prepare_cached(sql)?;
    let mut wrote = false;
    for b in bugs {
        if upsert.execute(bug_params!(b))? == 0 {
            continue;
        }
        wrote = true;
        if pending.0.is_empty() {
            continue;
        }
        let id: i64 = tx
            .prepare_cached("SELECT id FROM bugs WHERE source = ?1 AND external_id = ?2")?
            .query_row(params![b.source, b.external_id], |r| r.get(0))?;
        if pending.0.contains(&id) {
            reapply_edits(tx, EntityKind::Bug, id, now)?;
        }
    }
    Ok(wrote)
}

impl Store {
    /// [`Store::write`] for re-fetchable cache data (a pulled page and its cursor): committed
    /// at `synchronous=NORMAL` when the cache is in WAL mode, so the page costs no fsync; every
    /// other write (edits, the outbox) stays at `FULL`.
    ///
    /// Why that loses nothing the user did (RELIABILITY.md §2.1): a kill -9 keeps every commit
    /// whatever the setting; a power loss may drop the newest NORMAL commits, but the WAL is
    /// replayed as a checksummed prefix and each FULL commit syncs every frame before it, so
    /// what can be lost is only pull pages committed after the last FULL commit, each with its
    /// own cursor — the next pull fetches them again. A page re-applies pending edits on top of
    /// remote rows; the edits themselves (and the rows as they were when the edits committed)
    /// are in FULL commits. Outside WAL (a cache that refused WAL) this is plain [`Store::write`].
    ///
    /// # Errors
    /// As [`Store::write`]; also when the setting cannot be restored to `FULL` afterwards.
    pub fn write_refetchable<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return self.write(f);
        }
        self.conn.execute_batch("PRAGMA synchronous=NORMAL")?;
        let out = self.write(f);
        let restored = self.conn.execute_batch("PRAGMA synchronous=FULL");
        let out = out?;
        restored?;
        Ok(out)
    }
}
