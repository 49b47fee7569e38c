//! Store helpers for the incident connectors (PagerDuty, Alertmanager) and the incident report.
//!
//! Owns the small reads a connector needs before it writes (what is cached for one remote
//! incident, which open incidents a pull did not see, which locally declared incidents wait to
//! be created remotely), adopting a local incident once the pager has created it, and recording
//! a new silence on an alert. Everything else goes through [`super::write`].

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::super::domain::{
    Incident, Priority, Silence, LOCAL_SILENCE_PREFIX, PENDING_SILENCE_PREFIX,
};
use super::{first_value, from_opt_ts, from_ts, json_list, to_json_list, Result, Store};

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
    first_value(
        conn,
        "SELECT json_extract(op, '$.resolution') FROM outbox \
         WHERE entity_kind = 'incident' AND entity_id = ?1 AND state != 'undone' \
         AND json_extract(op, '$.op') = 'set-incident-status' \
         AND json_extract(op, '$.new') = 'resolved' \
         AND json_extract(op, '$.resolution') IS NOT NULL \
         ORDER BY seq DESC LIMIT 1",
        [incident_id],
    )
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

/// The silences covering an alert, as stored; `None` when the alert is gone.
fn silenced_by(tx: &Transaction<'_>, alert_id: i64) -> Result<Option<Vec<String>>> {
    let current: Option<String> = first_value(
        tx,
        "SELECT silenced_by FROM alerts WHERE id = ?1",
        [alert_id],
    )?;
    Ok(current.as_deref().map(json_list))
}

/// Adds `silence_id` to an alert's `silenced_by` list (until the next pull refreshes it).
///
/// # Errors
/// SQLite errors.
pub fn add_alert_silence(tx: &Transaction<'_>, alert_id: i64, silence_id: &str) -> Result<()> {
    let Some(mut list) = silenced_by(tx, alert_id)? else {
        return Ok(());
    };
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
    let labels: Option<String> =
        first_value(conn, "SELECT labels FROM alerts WHERE id = ?1", [alert_id])?;
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
    first_value(conn, "SELECT source FROM alerts WHERE id = ?1", [alert_id])?
        .ok_or_else(|| super::StoreError::NotFound(format!("alert {alert_id}")))
}

/// Records (or refreshes) one silence's metadata. `by_opsdeck` is sticky: a pull never clears
/// the mark that opsdeck created the silence.
///
/// # Errors
/// SQLite errors.
pub fn upsert_silence(tx: &Transaction<'_>, source: &str, s: &Silence) -> Result<()> {
    tx.execute(
        "INSERT INTO silences (source, silence_id, created_by, comment, matchers, ends_at, by_opsdeck) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (source, silence_id) DO UPDATE SET \
         created_by = excluded.created_by, comment = excluded.comment, matchers = excluded.matchers, \
         ends_at = excluded.ends_at, by_opsdeck = max(by_opsdeck, excluded.by_opsdeck)",
        params![
            source,
            s.id,
            s.created_by,
            s.comment,
            to_json_list(&s.matchers),
            s.ends_at.map(super::ts),
            s.by_opsdeck
        ],
    )?;
    Ok(())
}

/// Shows a new silence on its alert at once (optimistic, in the edit's transaction): the
/// alert turns `suppressed` with a `pending:<op id>` silence created by `actor` (`local:<op id>`
/// when `queued` is false: nothing will push it, so it is applied as far as opsdeck can tell).
///
/// # Errors
/// SQLite errors.
#[allow(
    clippy::too_many_arguments,
    reason = "the silence operation's fields, unpacked"
)]
pub fn add_pending_silence(
    tx: &Transaction<'_>,
    alert_id: i64,
    op_id: &str,
    queued: bool,
    actor: &str,
    matchers: &[(String, String)],
    comment: &str,
    ends_at: DateTime<Utc>,
) -> Result<()> {
    let source: Option<String> =
        first_value(tx, "SELECT source FROM alerts WHERE id = ?1", [alert_id])?;
    let Some(source) = source else {
        return Ok(());
    };
    let prefix = if queued {
        PENDING_SILENCE_PREFIX
    } else {
        LOCAL_SILENCE_PREFIX
    };
    let id = format!("{prefix}{op_id}");
    let silence = Silence {
        id: id.clone(),
        created_by: actor.to_owned(),
        comment: comment.to_owned(),
        matchers: matchers.iter().map(|(n, v)| format!("{n}={v}")).collect(),
        ends_at: Some(ends_at),
        by_opsdeck: true,
    };
    upsert_silence(tx, &source, &silence)?;
    add_alert_silence(tx, alert_id, &id)
}

/// Drops the queued (`pending:`) and cache-only (`local:`) silences of one alert: undone, or replaced by the real one.
/// The alert turns `active` again when no other silence covers it.
///
/// # Errors
/// SQLite errors.
pub fn remove_pending_silences(tx: &Transaction<'_>, alert_id: i64) -> Result<()> {
    let Some(all) = silenced_by(tx, alert_id)? else {
        return Ok(());
    };
    let list: Vec<String> = all
        .iter()
        .filter(|s| !s.starts_with(PENDING_SILENCE_PREFIX) && !s.starts_with(LOCAL_SILENCE_PREFIX))
        .cloned()
        .collect();
    if list.len() == all.len() {
        return Ok(());
    }
    set_silenced_by(tx, alert_id, &list)
}

/// Stores an alert's silences; the alert is `suppressed` while any covers it, else `active`.
fn set_silenced_by(tx: &Transaction<'_>, alert_id: i64, list: &[String]) -> Result<()> {
    let state = if list.is_empty() {
        "active"
    } else {
        "suppressed"
    };
    tx.execute(
        "UPDATE alerts SET silenced_by = ?1, state = ?2 WHERE id = ?3",
        params![to_json_list(list), state, alert_id],
    )?;
    Ok(())
}

/// Every cached silence, keyed by `(source, id)`.
///
/// # Errors
/// SQLite errors.
pub fn load_silences(
    conn: &Connection,
) -> Result<std::collections::HashMap<(String, String), Silence>> {
    let mut stmt = conn.prepare(
        "SELECT source, silence_id, created_by, comment, matchers, ends_at, by_opsdeck FROM silences",
    )?;
    let rows = stmt.query_map([], |r| {
        let matchers: String = r.get(4)?;
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            Silence {
                id: r.get(1)?,
                created_by: r.get(2)?,
                comment: r.get(3)?,
                matchers: json_list(&matchers),
                ends_at: from_opt_ts(r.get(5)?),
                by_opsdeck: r.get(6)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Takes `silence_id` off every alert of the same source as `alert_id` (expired); an alert
/// left without silences turns `active`.
///
/// # Errors
/// SQLite errors.
pub fn remove_silence(tx: &Transaction<'_>, alert_id: i64, silence_id: &str) -> Result<()> {
    let mut stmt = tx.prepare(
        "SELECT a.id, a.silenced_by FROM alerts a JOIN alerts b ON b.source = a.source \
         WHERE b.id = ?1",
    )?;
    let rows: Vec<(i64, String)> = stmt
        .query_map([alert_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, current) in rows {
        let all = json_list(&current);
        if !all.iter().any(|s| s == silence_id) {
            continue;
        }
        let list: Vec<String> = all.into_iter().filter(|s| s != silence_id).collect();
        set_silenced_by(tx, id, &list)?;
    }
    Ok(())
}

/// The demo plan has no file to re-read, so add, delete and move are applied to the cached
/// rows directly (a real plan file is rewritten by the push and re-imported instead).
///
/// # Errors
/// SQLite errors.
pub fn demo_checklist_structure(
    tx: &Transaction<'_>,
    item_id: i64,
    op: &super::Operation,
) -> Result<()> {
    use super::Operation;
    let row: Option<(i64, i64, String)> = tx
        .query_row(
            "SELECT doc_id, ordinal, section FROM checklist_items WHERE id = ?1",
            [item_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((doc, ordinal, section)) = row else {
        return Ok(());
    };
    match op {
        Operation::AddItem { text, above } => {
            let at = if *above { ordinal } else { ordinal + 1 };
            tx.execute(
                "UPDATE checklist_items SET ordinal = ordinal + 1 WHERE doc_id = ?1 AND ordinal >= ?2",
                params![doc, at],
            )?;
            tx.execute(
                "INSERT INTO checklist_items (doc_id, ordinal, section, grp, text, checked, depth, gate) \
                 SELECT doc_id, ?2, section, grp, ?3, 0, depth, gate FROM checklist_items WHERE id = ?1",
                params![item_id, at, text],
            )?;
        }
        Operation::DeleteItem { .. } => {
            tx.execute("DELETE FROM checklist_items WHERE id = ?1", [item_id])?;
        }
        Operation::MoveItem { down } => {
            let sql = if *down {
                "SELECT id, ordinal FROM checklist_items WHERE doc_id = ?1 AND section = ?2 AND ordinal > ?3 ORDER BY ordinal LIMIT 1"
            } else {
                "SELECT id, ordinal FROM checklist_items WHERE doc_id = ?1 AND section = ?2 AND ordinal < ?3 ORDER BY ordinal DESC LIMIT 1"
            };
            let other: Option<(i64, i64)> = tx
                .query_row(sql, params![doc, section, ordinal], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((other_id, other_ordinal)) = other {
                tx.execute(
                    "UPDATE checklist_items SET ordinal = ?1 WHERE id = ?2",
                    params![other_ordinal, item_id],
                )?;
                tx.execute(
                    "UPDATE checklist_items SET ordinal = ?1 WHERE id = ?2",
                    params![ordinal, other_id],
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}
