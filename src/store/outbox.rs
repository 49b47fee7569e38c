//! Edits as operations, the durable outbox, the audit log, and undo.
//!
//! RELIABILITY.md §8.1: an edit is stored as an **absolute target** with the **old value** the
//! user saw (never a toggle), so replaying it after a crash is idempotent and a remote that
//! moved away can be detected as a conflict. [`Store::commit_edit`] applies the edit to the cached
//! row, inserts the outbox entry and the audit entry in **one** `BEGIN IMMEDIATE` transaction;
//! only after it returns does the UI show the change. Edits to local-only items (no remote
//! source) are `done` at once and still audited.
//!
//! The serialized shape of each [`Operation`] variant is append-only history: never change a
//! variant's fields, add a new variant instead.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{
    from_opt_ts, from_ts, json_list, to_json_list, ts, FailPoint, Result, Store, StoreError,
};
use crate::domain::{
    BugStatus, ChurnRisk, EntityKind, EntityRef, IncidentStatus, NoteKind, Priority, LOCAL_SOURCE,
};

mod apply;
mod audit;
mod conflict;
mod operation;
mod push;

pub(crate) use apply::apply_forward;
use apply::apply_reverse;
use audit::insert_audit;
pub use operation::Operation;

crate::domain::persisted_enum!(
    /// Where an outbox entry is in its life.
    OpState, "outbox state", {
        /// Waiting to be pushed.
        Pending => "pending",
        /// Being pushed (outcome unknown after a crash: reconcile by reading first).
        Inflight => "inflight",
        /// Landed (or already true at the remote).
        Done => "done",
        /// The remote moved away from what the user saw; the user decides.
        Conflict => "conflict",
        /// Permanently refused by the remote (404, 410, 403, 422); stays visible.
        Failed => "failed",
        /// Taken back by the user with `u` before it was pushed.
        Undone => "undone",
    }
);

/// One outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// FIFO order.
    pub seq: i64,
    /// UUIDv7 op id (also the idempotency key for our own reconciliation).
    pub op_id: String,
    /// The row it edits.
    pub entity: EntityRef,
    /// A human label for the row (`#123`, `PXXXX`, item text).
    pub entity_label: String,
    /// Source name.
    pub source: String,
    /// Whether it must be pushed to a remote.
    pub remote: bool,
    /// The edit.
    pub op: Operation,
    /// Remote state observed when the user acted (`updated_at` or ETag).
    pub observed_remote: Option<String>,
    /// State.
    pub state: OpState,
    /// Push attempts so far.
    pub attempts: u32,
    /// Earliest next attempt.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Last error (redacted, sanitized).
    pub last_error: Option<String>,
    /// The remote's value when a conflict was found.
    pub remote_value: Option<String>,
    /// When the user made the edit.
    pub created_at: DateTime<Utc>,
}

/// Counts for the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    /// Pending or in flight.
    pub queued: u32,
    /// In conflict.
    pub conflicts: u32,
    /// Failed.
    pub failed: u32,
}

/// What [`Store::commit_edit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    /// The new op id.
    pub op_id: String,
    /// The entry's initial state (`Pending` for remote items, `Done` for local ones).
    pub state: OpState,
    /// For `DeclareIncident`/`RecordDeployment`: the new row's id.
    pub created_id: Option<i64>,
}

/// What [`Store::undo_last`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoOutcome {
    /// The entry that was undone.
    pub entity: EntityRef,
    /// Its description.
    pub description: String,
}

const OP_SELECT: &str = "SELECT seq, op_id, entity_kind, entity_id, source, remote, op, \
    observed_remote, state, attempts, next_attempt_at, last_error, remote_value, created_at \
    FROM outbox";

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<(OutboxEntry, String, String, String)> {
    let kind: String = r.get(2)?;
    let op_json: String = r.get(6)?;
    let state: String = r.get(8)?;
    let entry = OutboxEntry {
        seq: r.get(0)?,
        op_id: r.get(1)?,
        entity: EntityRef {
            kind: crate::domain::EntityKind::Bug,
            id: r.get(3)?,
        },
        entity_label: String::new(),
        source: r.get(4)?,
        remote: r.get::<_, i64>(5)? != 0,
        op: Operation::AddBugComment {
            body: String::new(),
        },
        observed_remote: r.get(7)?,
        state: OpState::Pending,
        attempts: r.get::<_, u32>(9)?,
        next_attempt_at: from_opt_ts(r.get(10)?),
        last_error: r.get(11)?,
        remote_value: r.get(12)?,
        created_at: from_ts(r.get(13)?),
    };
    Ok((entry, kind, op_json, state))
}

fn finish_entry(parts: (OutboxEntry, String, String, String)) -> Result<OutboxEntry> {
    let (mut e, kind, op_json, state) = parts;
    e.entity.kind = kind
        .parse()
        .map_err(|err| StoreError::Corrupt(format!("{err}")))?;
    e.op = serde_json::from_str(&op_json)
        .map_err(|err| StoreError::Corrupt(format!("outbox op: {err}")))?;
    e.state = state
        .parse()
        .map_err(|err| StoreError::Corrupt(format!("{err}")))?;
    Ok(e)
}

/// Source, label and remote timestamp of the edited row.
fn entity_meta(tx: &Transaction<'_>, e: EntityRef) -> Result<(String, String, Option<String>)> {
    let sql = match e.kind {
        EntityKind::Bug => "SELECT source, key, CAST(updated_at AS TEXT) FROM bugs WHERE id = ?1",
        EntityKind::Incident => {
            "SELECT source, external_id, CAST(remote_updated_at AS TEXT) FROM incidents WHERE id = ?1"
        }
        EntityKind::Alert => "SELECT source, name, NULL FROM alerts WHERE id = ?1",
        EntityKind::Deployment => {
            "SELECT source, service || ' ' || git_ref, CAST(remote_updated_at AS TEXT) FROM deployments WHERE id = ?1"
        }
        EntityKind::Customer => "SELECT source, name, NULL FROM customers WHERE id = ?1",
        EntityKind::Slo => "SELECT 'local', name, NULL FROM slos WHERE id = ?1",
        EntityKind::ChecklistItem => {
            "SELECT COALESCE(d.source, 'file:' || d.path), substr(i.text, 1, 60), NULL FROM checklist_items i \
             JOIN checklist_docs d ON d.id = i.doc_id WHERE i.id = ?1"
        }
    };
    tx.query_row(sql, [e.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("{} {}", e.kind, e.id)))
}

impl Store {
    /// Writes an edit: cache row, outbox entry and audit entry in one transaction.
    ///
    /// For `DeclareIncident` and `RecordDeployment` the row is created here and `entity.id` is
    /// ignored. `remote_sources` names the sources that have a configured connector: an item
    /// whose source is not among them is local-only and its entry is `done` at once.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the row is gone; SQLite errors. On error nothing is written.
    pub fn commit_edit(
        &mut self,
        entity: EntityRef,
        op: &Operation,
        now: DateTime<Utc>,
        actor: &str,
        remote_sources: &[String],
    ) -> Result<CommitOutcome> {
        let failpoint = self.failpoint;
        self.write(|tx| {
            let mut entity = entity;
            let mut created_id = None;
            match op {
                Operation::DeclareIncident { title, severity, service } => {
                    let next: i64 = tx.query_row(
                        "SELECT COALESCE(max(number), 0) + 1 FROM incidents WHERE source = 'local'",
                        [],
                        |r| r.get(0),
                    )?;
                    tx.execute(
                        "INSERT INTO incidents (source, external_id, number, title, severity, status, service, created_at) \
                         VALUES ('local', ?1, ?2, ?3, ?4, 'triggered', ?5, ?6)",
                        params![format!("LOCAL-{next}"), next, title, severity.as_str(), service, ts(now)],
                    )?;
                    entity.id = tx.last_insert_rowid();
                    created_id = Some(entity.id);
                }
                Operation::RecordDeployment { service, environment, git_ref } => {
                    let next: i64 = tx.query_row("SELECT COALESCE(max(id), 0) + 1 FROM deployments", [], |r| r.get(0))?;
                    tx.execute(
                        "INSERT INTO deployments (source, external_id, service, environment, git_ref, status, creator, created_at, finished_at) \
                         VALUES ('local', ?1, ?2, ?3, ?4, 'success', ?5, ?6, ?6)",
                        params![format!("M-{next}"), service, environment, git_ref, actor, ts(now)],
                    )?;
                    entity.id = tx.last_insert_rowid();
                    created_id = Some(entity.id);
                }
                _ => {}
            }
            let (source, _label, observed) = entity_meta(tx, entity)?;
            apply_forward(tx, entity, op, now)?;
            if source.starts_with("file:demo:") {
                // No file will be re-read for the demo plan: show add/delete/move in the cache.
                super::incidents::demo_checklist_structure(tx, entity.id, op)?;
            }
            if failpoint == Some(FailPoint::AfterRowUpdate) {
                return Err(StoreError::Failpoint("after row update"));
            }
            let file_backed = source.starts_with("file:") && !source.starts_with("file:demo:");
            let remote = !op.is_cache_only()
                && source != LOCAL_SOURCE
                && (file_backed || remote_sources.iter().any(|s| s == &source));
            let state = if remote { OpState::Pending } else { OpState::Done };
            let op_id = uuid::Uuid::now_v7().to_string();
            if let Operation::SilenceAlert { matchers, duration_secs, comment, .. } = op {
                // Optimistic like every other edit: the alert reads "silencing…" and leaves the
                // firing count in this very transaction; the push swaps in the real silence.
                let ends = now + chrono::TimeDelta::seconds(*duration_secs);
                super::incidents::add_pending_silence(tx, entity.id, &op_id, remote, actor, matchers, comment, ends)?;
            }
            let op_json = serde_json::to_string(op)
                .map_err(|e| StoreError::Corrupt(format!("encode op: {e}")))?;
            tx.execute(
                "INSERT INTO outbox (op_id, entity_kind, entity_id, source, remote, op, observed_remote, state, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                params![op_id, entity.kind.as_str(), entity.id, source, remote, op_json, observed, state.as_str(), ts(now)],
            )?;
            let (old, new) = op.audit_values();
            insert_audit(tx, now, actor, entity, &op.describe(), old.as_deref(), new.as_deref(), Some(&op_id))?;
            Ok(CommitOutcome { op_id, state, created_id })
        })
    }

    /// Undoes the most recent edit that has not been pushed (pending, or local-only and done).
    ///
    /// Returns `Ok(None)` when there is nothing to undo; refuses (with a message) when the most
    /// recent edit is already in flight or pushed.
    ///
    /// # Errors
    /// [`StoreError::Refused`] with the reason; SQLite errors.
    pub fn undo_last(&mut self, now: DateTime<Utc>, actor: &str) -> Result<Option<UndoOutcome>> {
        self.write(|tx| {
            let latest = tx
                .query_row(
                    &format!("{OP_SELECT} WHERE state != 'undone' ORDER BY seq DESC LIMIT 1"),
                    [],
                    row_to_entry,
                )
                .optional()?;
            let Some(parts) = latest else { return Ok(None) };
            let entry = finish_entry(parts)?;
            let undoable =
                entry.state == OpState::Pending || (entry.state == OpState::Done && !entry.remote);
            if !undoable {
                return Err(StoreError::Refused(format!(
                    "the last edit ({}) is already {}; it can no longer be undone",
                    entry.op.describe(),
                    match entry.state {
                        OpState::Inflight => "being pushed",
                        OpState::Done => "pushed",
                        OpState::Conflict => "in conflict (resolve it in the outbox view)",
                        _ => "settled",
                    }
                )));
            }
            apply_reverse(tx, entry.entity, &entry.op, now)?;
            tx.execute(
                "UPDATE outbox SET state = 'undone', updated_at = ?1 WHERE seq = ?2",
                params![ts(now), entry.seq],
            )?;
            let description = entry.op.describe();
            insert_audit(
                tx,
                now,
                actor,
                entry.entity,
                &format!("undo: {description}"),
                None,
                None,
                Some(&entry.op_id),
            )?;
            Ok(Some(UndoOutcome {
                entity: entry.entity,
                description,
            }))
        })
    }

    /// Outbox entries, newest first (the `O` view), excluding undone ones.
    ///
    /// # Errors
    /// SQLite errors or a corrupt entry.
    pub fn list_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn().prepare(&format!(
            "{OP_SELECT} WHERE state != 'undone' ORDER BY CASE state WHEN 'conflict' THEN 0 WHEN 'failed' THEN 1 \
             WHEN 'inflight' THEN 2 WHEN 'pending' THEN 3 ELSE 4 END, seq DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], row_to_entry)?;
        let mut out = Vec::new();
        for r in rows {
            let mut e = finish_entry(r?)?;
            e.entity_label = self
                .entity_label(e.entity)
                .unwrap_or_else(|| format!("{} {}", e.entity.kind, e.entity.id));
            out.push(e);
        }
        Ok(out)
    }

    fn entity_label(&self, e: EntityRef) -> Option<String> {
        let sql = match e.kind {
            EntityKind::Bug => "SELECT key || ' ' || substr(title, 1, 40) FROM bugs WHERE id = ?1",
            EntityKind::Incident => {
                "SELECT external_id || ' ' || substr(title, 1, 40) FROM incidents WHERE id = ?1"
            }
            EntityKind::Alert => "SELECT name || ' ' || service FROM alerts WHERE id = ?1",
            EntityKind::Deployment => {
                "SELECT service || ' ' || git_ref FROM deployments WHERE id = ?1"
            }
            EntityKind::Customer => "SELECT name FROM customers WHERE id = ?1",
            EntityKind::ChecklistItem => {
                "SELECT substr(text, 1, 50) FROM checklist_items WHERE id = ?1"
            }
            EntityKind::Slo => "SELECT name FROM slos WHERE id = ?1",
        };
        super::first_value(self.conn(), sql, [e.id]).ok().flatten()
    }

    /// Counts for the status bar.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn outbox_summary(&self) -> Result<OutboxSummary> {
        Ok(self.conn().query_row(
            "SELECT \
               COALESCE(SUM(state IN ('pending', 'inflight')), 0), \
               COALESCE(SUM(state = 'conflict'), 0), \
               COALESCE(SUM(state = 'failed'), 0) \
             FROM outbox WHERE state IN ('pending', 'inflight', 'conflict', 'failed')",
            [],
            |r| {
                Ok(OutboxSummary {
                    queued: r.get(0)?,
                    conflicts: r.get(1)?,
                    failed: r.get(2)?,
                })
            },
        )?)
    }
}
