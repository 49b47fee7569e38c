//! Push scheduling and claims: which entry a source's worker pushes next (FIFO per entity,
//! retry times respected) and the state moves a push makes (in flight, done, conflict, failed,
//! retry).

use super::*;

impl Store {
    /// The next entry to push for `source`: the oldest pending or in-flight entry whose entity
    /// has no older unfinished entry (FIFO per entity) and whose retry time has come.
    ///
    /// # Errors
    /// SQLite errors or a corrupt entry.
    pub fn next_to_push(&self, source: &str, now: DateTime<Utc>) -> Result<Option<OutboxEntry>> {
        let sql = format!(
            "{OP_SELECT} o WHERE o.source = ?1 AND o.remote = 1 AND o.state IN ('pending', 'inflight') \
             AND COALESCE(o.next_attempt_at, 0) <= ?2 \
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.entity_kind = o.entity_kind AND p.entity_id = o.entity_id \
                             AND p.seq < o.seq AND p.state IN ('pending', 'inflight', 'conflict')) \
             ORDER BY o.seq LIMIT 1"
        );
        let row = self
            .conn()
            .query_row(&sql, params![source, ts(now)], row_to_entry)
            .optional()?;
        row.map(finish_entry).transpose()
    }

    /// Marks an entry in flight (before the request is sent) and counts the attempt.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn mark_inflight(&mut self, seq: i64, now: DateTime<Utc>) -> Result<()> {
        self.set_state(seq, OpState::Inflight, now, None, None, None, true)
    }

    /// Marks an entry done.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn mark_done(&mut self, seq: i64, now: DateTime<Utc>) -> Result<()> {
        self.set_state(seq, OpState::Done, now, None, None, None, false)
    }

    /// Marks an entry in conflict, recording the remote's value.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn mark_conflict(
        &mut self,
        seq: i64,
        now: DateTime<Utc>,
        remote_value: &str,
    ) -> Result<()> {
        self.set_state(
            seq,
            OpState::Conflict,
            now,
            None,
            Some(remote_value),
            None,
            false,
        )
    }

    /// Marks an entry failed for good (it stays visible).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn mark_failed(&mut self, seq: i64, now: DateTime<Utc>, error: &str) -> Result<()> {
        self.set_state(seq, OpState::Failed, now, Some(error), None, None, false)
    }

    /// Puts an entry back to pending with a retry time and the error that delayed it.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn mark_retry(
        &mut self,
        seq: i64,
        now: DateTime<Utc>,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<()> {
        self.set_state(
            seq,
            OpState::Pending,
            now,
            Some(error),
            None,
            Some(next_at),
            false,
        )
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one private setter for every transition"
    )]
    pub(super) fn set_state(
        &mut self,
        seq: i64,
        state: OpState,
        now: DateTime<Utc>,
        error: Option<&str>,
        remote_value: Option<&str>,
        next_at: Option<DateTime<Utc>>,
        count_attempt: bool,
    ) -> Result<()> {
        let error = error.map(crate::sanitize::line);
        self.write(|tx| {
            tx.execute(
                "UPDATE outbox SET state = ?1, updated_at = ?2, last_error = COALESCE(?3, last_error), \
                 remote_value = COALESCE(?4, remote_value), next_attempt_at = ?5, attempts = attempts + ?6 WHERE seq = ?7",
                params![state.as_str(), ts(now), error, remote_value, next_at.map(ts), i64::from(count_attempt), seq],
            )?;
            Ok(())
        })
    }
}
