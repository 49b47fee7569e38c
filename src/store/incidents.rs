//! Store helpers for the incident connectors (PagerDuty, Alertmanager) and the incident report.
//!
//! Owns the small reads a connector needs before it writes (what is cached for one remote
//! incident, which open incidents a pull did not see, which locally declared incidents wait to
//! be created remotely), adopting a local incident once the pager has created it, and recording
//! a new silence on an alert. Everything else goes through [`super::write`].

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::super::domain::{Incident, Priority};
use super::{from_opt_ts, from_ts, json_list, to_json_list, Result, Store};

/// What the cache holds for one remote incident (before a pull overwrites it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedIncident {
    /// Local row id.
    pub id: i64,
    /// The remote `updated_at` stored at the last pull.
    pub remote_updated_at: Option<DateTime<Utc>>,
    /// First acknowledgement known so far.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Assignee shown (kept when the remote clears assignments on resolve).
    pub assignee: Option<String>,
}

/// The cached row of `(source, external_id)`, if any.
///
/// # Errors
/// SQLite errors.
pub fn cached_incident(
    conn: &Connection,
    source: &str,
    external_id: &str,
) -> Result<Option<CachedIncident>> {
    Ok(conn
        .query_row(
            "SELECT id, remote_updated_at, acknowledged_at, assignee FROM incidents \
             WHERE source = ?1 AND external_id = ?2",
            params![source, external_id],
            |r| {
                Ok(CachedIncident {
                    id: r.get(0)?,
                    remote_updated_at: from_opt_ts(r.get(1)?),
                    acknowledged_at: from_opt_ts(r.get(2)?),
                    assignee: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// External ids of `source`'s incidents cached as open (triggered or acknowledged).
///
/// # Errors
/// SQLite errors.
pub fn open_incident_ids(conn: &Connection, source: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT external_id FROM incidents WHERE source = ?1 \
         AND status IN ('triggered', 'acknowledged') ORDER BY created_at",
    )?;
    let rows = stmt.query_map([source], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `(source, external_id)` of a cached incident row.
///
/// # Errors
/// SQLite errors; `NotFound` when the row is gone.
pub fn incident_key(conn: &Connection, incident_id: i64) -> Result<(String, String)> {
    conn.query_row(
        "SELECT source, external_id FROM incidents WHERE id = ?1",
        [incident_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| super::StoreError::NotFound(format!("incident {incident_id}")))
}

/// One cached incident by local id (the same shape the Incidents tab shows).
///
/// # Errors
/// SQLite errors.
pub fn incident_by_id(store: &Store, incident_id: i64) -> Result<Option<Incident>> {
    Ok(store
        .load_incidents(None)?
        .into_iter()
        .find(|i| i.id == incident_id))
}

/// The resolution text typed when the incident was last resolved in opsdeck (not undone).
///
/// # Errors
/// SQLite errors.
pub fn resolution_text(conn: &Connection, incident_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT json_extract(op, '$.resolution') FROM outbox \
             WHERE entity_kind = 'incident' AND entity_id = ?1 AND state != 'undone' \
             AND json_extract(op, '$.op') = 'set-incident-status' \
             AND json_extract(op, '$.new') = 'resolved' \
             AND json_extract(op, '$.resolution') IS NOT NULL \
             ORDER BY seq DESC LIMIT 1",
            [incident_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// A locally declared incident that waits to be created at the pager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDeclaration {
    /// Local row id.
    pub incident_id: i64,
    /// The `DeclareIncident` outbox entry's op id (the idempotency key).
    pub op_id: String,
    /// Title.
    pub title: String,
    /// Declared severity.
    pub severity: Priority,
    /// Service.
    pub service: String,
    /// Declared at.
    pub created_at: DateTime<Utc>,
}

/// Open local incidents with a live `DeclareIncident` entry and no recorded push failure for
/// `source` (an event with external id `push-failed:<source>`).
///
/// # Errors
/// SQLite errors.
pub fn local_declarations(conn: &Connection, source: &str) -> Result<Vec<LocalDeclaration>> {
    let mut stmt = conn.prepare(
        "SELECT i.id, o.op_id, i.title, i.severity, i.service, i.created_at FROM incidents i \
         JOIN outbox o ON o.entity_kind = 'incident' AND o.entity_id = i.id \
         WHERE i.source = 'local' AND i.status != 'resolved' AND o.state != 'undone' \
         AND json_extract(o.op, '$.op') = 'declare-incident' \
         AND NOT EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id \
                         AND e.external_id = 'push-failed:' || ?1) \
         ORDER BY i.id",
    )?;
    let rows = stmt.query_map([source], |r| {
        let severity: String = r.get(3)?;
        Ok(LocalDeclaration {
            incident_id: r.get(0)?,
            op_id: r.get(1)?,
            title: r.get(2)?,
            severity: severity.parse().unwrap_or(Priority::P1),
            service: r.get(4)?,
            created_at: from_ts(r.get(5)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Re-keys a local incident to the remote one the pager created for it, keeping its row id
/// (and so its audit trail). A copy a pull may already have inserted is removed first.
///
/// # Errors
/// SQLite errors.
pub fn adopt_local_incident(
    tx: &Transaction<'_>,
    incident_id: i64,
    source: &str,
    external_id: &str,
    number: i64,
    url: Option<&str>,
) -> Result<()> {
    tx.execute(
        "DELETE FROM incidents WHERE source = ?1 AND external_id = ?2 AND id != ?3",
        params![source, external_id, incident_id],
    )?;
    tx.execute(
        "UPDATE incidents SET source = ?1, external_id = ?2, number = ?3, url = COALESCE(?4, url) \
         WHERE id = ?5",
        params![source, external_id, number, url, incident_id],
    )?;
    tx.execute(
        "UPDATE outbox SET source = ?1 WHERE entity_kind = 'incident' AND entity_id = ?2 \
         AND state IN ('pending', 'inflight')",
        params![source, incident_id],
    )?;
    Ok(())
}

/// Adds `silence_id` to an alert's `silenced_by` list (until the next pull refreshes it).
///
/// # Errors
/// SQLite errors.
pub fn add_alert_silence(tx: &Transaction<'_>, alert_id: i64, silence_id: &str) -> Result<()> {
    let current: Option<String> = tx
        .query_row(
            "SELECT silenced_by FROM alerts WHERE id = ?1",
            [alert_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(current) = current else {
        return Ok(());
    };
    let mut list = json_list(&current);
    if !list.iter().any(|s| s == silence_id) {
        list.push(silence_id.to_owned());
    }
    tx.execute(
        "UPDATE alerts SET silenced_by = ?1, state = 'suppressed' WHERE id = ?2",
        params![to_json_list(&list), alert_id],
    )?;
    Ok(())
}

/// An alert's labels as stored (for building silence matchers).
///
/// # Errors
/// SQLite errors; `NotFound` when the alert is gone.
pub fn alert_labels(conn: &Connection, alert_id: i64) -> Result<Vec<(String, String)>> {
    let labels: Option<String> = conn
        .query_row("SELECT labels FROM alerts WHERE id = ?1", [alert_id], |r| {
            r.get(0)
        })
        .optional()?;
    let labels = labels.ok_or_else(|| super::StoreError::NotFound(format!("alert {alert_id}")))?;
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&labels).unwrap_or_default();
    Ok(map.into_iter().collect())
}

/// The source of the alert row `alert_id`.
///
/// # Errors
/// SQLite errors; `NotFound` when the alert is gone.
pub fn alert_source(conn: &Connection, alert_id: i64) -> Result<String> {
    conn.query_row("SELECT source FROM alerts WHERE id = ?1", [alert_id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| super::StoreError::NotFound(format!("alert {alert_id}")))
}
