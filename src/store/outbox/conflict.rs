//! Conflict handling and the user's verdicts on an entry: keep mine or take theirs, retry a
//! failed entry, discard one, and re-apply pending edits over freshly pulled rows.

use super::*;

impl Store {
    /// Resolves a conflict: `keep_mine` re-queues the edit against the remote's current value;
    /// otherwise the remote value is taken and the entry is closed.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn resolve_conflict(
        &mut self,
        seq: i64,
        keep_mine: bool,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<()> {
        self.write(|tx| {
            let parts = tx.query_row(&format!("{OP_SELECT} WHERE seq = ?1"), [seq], row_to_entry).optional()?;
            let Some(parts) = parts else { return Err(StoreError::NotFound(format!("outbox entry {seq}"))) };
            let entry = finish_entry(parts)?;
            let (state, action) = if keep_mine { ("pending", "conflict: keep mine") } else { ("done", "conflict: take theirs") };
            if !keep_mine {
                apply_reverse(tx, entry.entity, &entry.op, now)?;
            }
            tx.execute(
                "UPDATE outbox SET state = ?1, updated_at = ?2, next_attempt_at = NULL, observed_remote = NULL WHERE seq = ?3",
                params![state, ts(now), seq],
            )?;
            insert_audit(tx, now, actor, entry.entity, action, None, entry.remote_value.as_deref(), Some(&entry.op_id))?;
            Ok(())
        })
    }

    /// Retries a failed entry now.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn retry_entry(&mut self, seq: i64, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = NULL, updated_at = ?1 WHERE seq = ?2 AND state IN ('failed', 'pending')",
                params![ts(now), seq],
            )?;
            Ok(())
        })
    }

    /// Discards an entry the user no longer wants (after confirmation); the cache row is reverted.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn discard_entry(&mut self, seq: i64, now: DateTime<Utc>, actor: &str) -> Result<()> {
        self.write(|tx| {
            let parts = tx
                .query_row(&format!("{OP_SELECT} WHERE seq = ?1"), [seq], row_to_entry)
                .optional()?;
            let Some(parts) = parts else { return Ok(()) };
            let entry = finish_entry(parts)?;
            if matches!(
                entry.state,
                OpState::Pending | OpState::Failed | OpState::Conflict
            ) {
                apply_reverse(tx, entry.entity, &entry.op, now)?;
            }
            tx.execute(
                "UPDATE outbox SET state = 'undone', updated_at = ?1 WHERE seq = ?2",
                params![ts(now), seq],
            )?;
            insert_audit(
                tx,
                now,
                actor,
                entry.entity,
                &format!("discarded: {}", entry.op.describe()),
                None,
                None,
                Some(&entry.op_id),
            )?;
            Ok(())
        })
    }

    /// Re-applies still-pending edits of one entity on top of freshly pulled data, so the screen
    /// keeps showing the user's intent until the push lands (called inside sync upserts).
    ///
    /// # Errors
    /// SQLite errors.
    pub(crate) fn reapply_pending(
        tx: &Transaction<'_>,
        e: EntityRef,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut stmt = tx.prepare_cached(&format!(
            "{OP_SELECT} WHERE entity_kind = ?1 AND entity_id = ?2 AND state IN ('pending', 'inflight') ORDER BY seq"
        ))?;
        let rows: Vec<_> = stmt
            .query_map(params![e.kind.as_str(), e.id], row_to_entry)?
            .collect::<rusqlite::Result<_>>()?;
        for parts in rows {
            let entry = finish_entry(parts)?;
            apply_forward(tx, e, &entry.op, now)?;
        }
        Ok(())
    }
}
