//! The audit log: one row for every edit, undo, discard and conflict resolution.

use super::*;

#[allow(
    clippy::too_many_arguments,
    reason = "one row of the audit table, column by column"
)]
pub(super) fn insert_audit(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    actor: &str,
    e: EntityRef,
    action: &str,
    old: Option<&str>,
    new: Option<&str>,
    op_id: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, entity_kind, entity_id, action, old_value, new_value, op_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![ts(at), actor, e.kind.as_str(), e.id, action, old, new, op_id],
    )?;
    Ok(())
}

impl Store {
    /// Audit entries for one entity, oldest first.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn audit_for(&self, e: EntityRef) -> Result<Vec<(DateTime<Utc>, String, String)>> {
        let mut stmt = self.conn().prepare(
            "SELECT at, actor, action FROM audit WHERE entity_kind = ?1 AND entity_id = ?2 ORDER BY at, id",
        )?;
        let rows = stmt.query_map(params![e.kind.as_str(), e.id], |r| {
            Ok((
                from_ts(r.get(0)?),
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
