//! Upserts used by the sync engine and the demo loader, and sync-state bookkeeping.
//!
//! Every function here takes an open transaction, so a whole page is committed or nothing is
//! (RELIABILITY.md §4.3): callers wrap a page plus its cursor advance in one [`Store::write`].
//! Text must already be sanitized by the connector's DTO conversion; these functions sanitize
//! again only where a value was not produced by a DTO (cheap, idempotent). After a row is
//! upserted, still-pending local edits are re-applied on top of it.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Transaction};

use super::{first_value, to_json_list, ts, Result, Store};
use crate::domain::{
    Alert, ChecklistItem, Customer, Deployment, EntityKind, EntityRef, Incident, IncidentEvent,
};

mod bugs;

pub use bugs::{upsert_bug, upsert_bugs_if_changed, SameWhen};

/// Re-applies the still-pending local edits of row `id` of `kind` on top of what an upsert
/// just wrote (every upsert of a row the user can edit ends with this).
///
/// # Errors
/// SQLite errors.
fn reapply_edits(
    tx: &Transaction<'_>,
    kind: EntityKind,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    Store::reapply_pending(tx, EntityRef { kind, id }, now)
}

fn date_str(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Upserts one incident by `(source, external_id)`; returns its local id.
///
/// # Errors
/// SQLite errors.
pub fn upsert_incident(
    tx: &Transaction<'_>,
    i: &Incident,
    remote_updated_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = tx.query_row(
        "INSERT INTO incidents (source, external_id, number, title, severity, status, service, assignee, created_at, \
         acknowledged_at, resolved_at, url, customers, remote_updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
         ON CONFLICT (source, external_id) DO UPDATE SET number = excluded.number, title = excluded.title, \
         severity = excluded.severity, status = excluded.status, service = excluded.service, assignee = excluded.assignee, \
         created_at = excluded.created_at, acknowledged_at = COALESCE(excluded.acknowledged_at, incidents.acknowledged_at), \
         resolved_at = excluded.resolved_at, url = excluded.url, customers = excluded.customers, \
         remote_updated_at = excluded.remote_updated_at RETURNING id",
        params![
            i.source, i.external_id, i.number, i.title, i.severity.as_str(), i.status.as_str(), i.service, i.assignee,
            ts(i.created_at), i.acknowledged_at.map(ts), i.resolved_at.map(ts), i.url, to_json_list(&i.customers),
            remote_updated_at.map(ts)
        ],
        |r| r.get(0),
    )?;
    reapply_edits(tx, EntityKind::Incident, id, now)?;
    Ok(id)
}

/// Adds a timeline entry from the source (idempotent on `external_id`).
///
/// # Errors
/// SQLite errors.
pub fn insert_incident_event(
    tx: &Transaction<'_>,
    incident_id: i64,
    e: &IncidentEvent,
    external_id: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO incident_events (incident_id, at, kind, who, text, external_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![incident_id, ts(e.at), e.kind, e.who, e.text, external_id],
    )?;
    Ok(())
}

/// Upserts one alert by `(source, fingerprint)`.
///
/// # Errors
/// SQLite errors.
pub fn upsert_alert(
    tx: &Transaction<'_>,
    a: &Alert,
    ends_at: Option<DateTime<Utc>>,
    generator_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let labels = serde_json::to_string(&a.labels).unwrap_or_else(|_| "{}".into());
    let annotations = serde_json::to_string(&a.annotations).unwrap_or_else(|_| "{}".into());
    let id: i64 = tx.query_row(
        "INSERT INTO alerts (source, fingerprint, name, severity, service, state, labels, annotations, starts_at, ends_at, \
         silenced_by, generator_url, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (source, fingerprint) DO UPDATE SET name = excluded.name, severity = excluded.severity, \
         service = excluded.service, state = excluded.state, labels = excluded.labels, annotations = excluded.annotations, \
         starts_at = excluded.starts_at, ends_at = excluded.ends_at, silenced_by = excluded.silenced_by, \
         generator_url = excluded.generator_url, seen_at = excluded.seen_at RETURNING id",
        params![
            a.source, a.fingerprint, a.name, a.severity, a.service, a.state.as_str(), labels, annotations,
            ts(a.starts_at), ends_at.map(ts), to_json_list(&a.silenced_by), generator_url, ts(now)
        ],
        |r| r.get(0),
    )?;
    Ok(id)
}

/// Removes alerts of `source` not seen since `seen_before` (they resolved).
///
/// # Errors
/// SQLite errors.
pub fn prune_alerts(
    tx: &Transaction<'_>,
    source: &str,
    seen_before: DateTime<Utc>,
) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM alerts WHERE source = ?1 AND seen_at < ?2",
        params![source, ts(seen_before)],
    )?)
}

/// Upserts one deployment by `(source, external_id)`; returns its local id. Empty
/// `commit_times` keep the cached lead-time commits (a re-read must not cost a compare call).
///
/// # Errors
/// SQLite errors.
pub fn upsert_deployment(tx: &Transaction<'_>, d: &Deployment, now: DateTime<Utc>) -> Result<i64> {
    let commits: Vec<i64> = d.commit_times.iter().map(|t| ts(*t)).collect();
    let commits = serde_json::to_string(&commits).unwrap_or_else(|_| "[]".into());
    let id: i64 = tx.query_row(
        "INSERT INTO deployments (source, external_id, service, environment, git_ref, sha, status, creator, created_at, \
         finished_at, rollback_of, rolled_back, url, commit_times) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
         ON CONFLICT (source, external_id) DO UPDATE SET service = excluded.service, environment = excluded.environment, \
         git_ref = excluded.git_ref, sha = excluded.sha, status = excluded.status, creator = excluded.creator, \
         created_at = excluded.created_at, finished_at = excluded.finished_at, rollback_of = excluded.rollback_of, \
         rolled_back = MAX(deployments.rolled_back, excluded.rolled_back), url = excluded.url, \
         commit_times = CASE WHEN excluded.commit_times = '[]' THEN deployments.commit_times \
         ELSE excluded.commit_times END RETURNING id",
        params![
            d.source, d.external_id, d.service, d.environment, d.git_ref, d.sha, d.status.as_str(), d.creator,
            ts(d.created_at), d.finished_at.map(ts), d.rollback_of, d.rolled_back, d.url, commits
        ],
        |r| r.get(0),
    )?;
    for key in &d.incident_keys {
        tx.execute(
            "INSERT OR IGNORE INTO deployment_incidents (deployment_id, incident_key, guess) VALUES (?1, ?2, 0)",
            params![id, key],
        )?;
    }
    reapply_edits(tx, EntityKind::Deployment, id, now)?;
    Ok(id)
}

/// Upserts one customer by slug; returns its local id.
///
/// # Errors
/// SQLite errors.
pub fn upsert_customer(tx: &Transaction<'_>, c: &Customer, source: &str) -> Result<i64> {
    let id: i64 = tx.query_row(
        "INSERT INTO customers (slug, name, stage, vertical, acv_usd, owner, poc_start, signed_on, go_live, \
         usage_days_per_week, feature_adoption_pct, engagement, churn_risk, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
         ON CONFLICT (slug) DO UPDATE SET name = excluded.name, stage = excluded.stage, vertical = excluded.vertical, \
         acv_usd = excluded.acv_usd, owner = excluded.owner, poc_start = excluded.poc_start, signed_on = excluded.signed_on, \
         go_live = excluded.go_live, usage_days_per_week = excluded.usage_days_per_week, \
         feature_adoption_pct = excluded.feature_adoption_pct, engagement = excluded.engagement, \
         churn_risk = excluded.churn_risk RETURNING id",
        params![
            c.slug, c.name, c.stage.as_str(), c.vertical, c.acv_usd, c.owner, date_str(c.poc_start),
            date_str(c.signed_on), date_str(c.go_live), c.usage_days_per_week, c.feature_adoption_pct, c.engagement,
            c.churn_risk.as_str(), source
        ],
        |r| r.get(0),
    )?;
    Ok(id)
}

/// Adds an NPS response (0–10; the table refuses anything else).
///
/// # Errors
/// SQLite errors, including the CHECK constraint for out-of-range scores.
pub fn insert_nps(
    tx: &Transaction<'_>,
    customer_id: i64,
    score: u8,
    at: DateTime<Utc>,
    comment: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO nps_responses (customer_id, score, at, comment) VALUES (?1, ?2, ?3, ?4)",
        params![customer_id, score, ts(at), comment],
    )?;
    Ok(())
}

/// Adds a customer note.
///
/// # Errors
/// SQLite errors.
pub fn insert_customer_note(
    tx: &Transaction<'_>,
    customer_id: i64,
    kind: &str,
    at: DateTime<Utc>,
    author: &str,
    text: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO customer_notes (customer_id, kind, at, author, text) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![customer_id, kind, ts(at), author, text],
    )?;
    Ok(())
}

/// An SLO definition as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SloDef<'a> {
    /// Name (unique).
    pub name: &'a str,
    /// Service.
    pub service: &'a str,
    /// Exact decimal objective ("99.9").
    pub objective: &'a str,
    /// Window in days.
    pub window_days: u32,
    /// `ratio` or `latency`.
    pub kind: &'a str,
    /// Good/bad query.
    pub good_query: &'a str,
    /// Total query.
    pub total_query: &'a str,
    /// Latency threshold.
    pub threshold_le: Option<&'a str>,
}

/// Upserts an SLO definition by name; returns its id.
///
/// # Errors
/// SQLite errors.
pub fn upsert_slo(tx: &Transaction<'_>, s: &SloDef<'_>) -> Result<i64> {
    Ok(tx.query_row(
        "INSERT INTO slos (name, service, objective, window_days, kind, good_query, total_query, threshold_le) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO UPDATE SET service = excluded.service, \
         objective = excluded.objective, window_days = excluded.window_days, kind = excluded.kind, \
         good_query = excluded.good_query, total_query = excluded.total_query, threshold_le = excluded.threshold_le \
         RETURNING id",
        params![s.name, s.service, s.objective, s.window_days, s.kind, s.good_query, s.total_query, s.threshold_le],
        |r| r.get(0),
    )?)
}

/// Stores the counts of one window of one SLO.
///
/// # Errors
/// SQLite errors.
pub fn set_slo_window(
    tx: &Transaction<'_>,
    slo_id: i64,
    window: &str,
    bad: f64,
    total: f64,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO slo_windows (slo_id, window, bad, total, at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (slo_id, window) DO UPDATE SET bad = excluded.bad, total = excluded.total, at = excluded.at",
        params![slo_id, window, bad, total, ts(at)],
    )?;
    tx.execute(
        "UPDATE slos SET updated_at = ?1, last_error = NULL, last_error_at = NULL WHERE id = ?2",
        params![ts(at), slo_id],
    )?;
    Ok(())
}

/// Stores one daily sample.
///
/// # Errors
/// SQLite errors.
pub fn set_slo_daily(
    tx: &Transaction<'_>,
    slo_id: i64,
    day: NaiveDate,
    bad: f64,
    total: f64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO slo_samples (slo_id, day, bad, total) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (slo_id, day) DO UPDATE SET bad = excluded.bad, total = excluded.total",
        params![slo_id, day.format("%Y-%m-%d").to_string(), bad, total],
    )?;
    Ok(())
}

/// Marks an SLO with an error from its metrics source (the other SLOs carry on).
///
/// # Errors
/// SQLite errors.
pub fn set_slo_error(
    tx: &Transaction<'_>,
    slo_id: i64,
    error: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE slos SET last_error = ?1, last_error_at = ?2 WHERE id = ?3",
        params![crate::sanitize::line(error), ts(at), slo_id],
    )?;
    Ok(())
}

/// Registers (or updates) a checklist document; returns its id.
///
/// # Errors
/// SQLite errors.
pub fn upsert_checklist_doc(
    tx: &Transaction<'_>,
    path: &str,
    title: &str,
    base_content: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(tx.query_row(
        "INSERT INTO checklist_docs (path, title, base_content, synced_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (path) DO UPDATE SET title = excluded.title, base_content = excluded.base_content, \
         synced_at = excluded.synced_at, last_error = NULL RETURNING id",
        params![path, title, base_content, ts(at)],
        |r| r.get(0),
    )?)
}

/// Replaces the items of a document with freshly parsed ones, keeping notes (matched by
/// section, text and occurrence) and re-applying pending edits.
///
/// # Errors
/// SQLite errors.
pub fn replace_checklist_items(
    tx: &Transaction<'_>,
    doc_id: i64,
    items: &[ChecklistItem],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut existing = tx.prepare(
        "SELECT id, section || char(31) || grp, text, occurrence, note FROM checklist_items WHERE doc_id = ?1",
    )?;
    let old: Vec<(i64, String, String, u32, Option<String>)> = existing
        .query_map([doc_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut kept: Vec<i64> = Vec::new();
    // Cached rows by identity, in cache order: a lookup per item instead of a scan of every
    // cached row (a re-import of a 50k-item plan took 136 s, quadratic; issue #13 finding 6).
    let mut by_identity: std::collections::HashMap<
        (String, String, u32),
        std::collections::VecDeque<usize>,
    > = std::collections::HashMap::new();
    let mut old_rows: Vec<(i64, Option<String>)> = Vec::with_capacity(old.len());
    for (i, (id, s, t, o, note)) in old.into_iter().enumerate() {
        by_identity.entry((s, t, o)).or_default().push_back(i);
        old_rows.push((id, note));
    }
    for (ordinal, it) in items.iter().enumerate() {
        // Identity: section, group, text and occurrence (occurrences are counted per heading
        // path, so the group is part of the key); a cached row is reused at most once.
        let path = format!("{}\u{1f}{}", it.section, it.group);
        let prior = by_identity
            .get_mut(&(path, it.text.clone(), it.occurrence))
            .and_then(std::collections::VecDeque::pop_front)
            .and_then(|i| old_rows.get(i));
        let ordinal = i64::try_from(ordinal).unwrap_or(i64::MAX);
        let id = if let Some((id, note)) = prior {
            tx.execute(
                "UPDATE checklist_items SET ordinal = ?1, grp = ?2, checked = ?3, owner = ?4, code = ?5, depth = ?6, \
                 gate = ?7, note = COALESCE(?8, note) WHERE id = ?9",
                params![ordinal, it.group, it.checked, it.owner, it.code, it.depth, it.gate, it.note.as_ref().or(note.as_ref()), id],
            )?;
            *id
        } else {
            tx.execute(
                "INSERT INTO checklist_items (doc_id, ordinal, section, grp, text, checked, owner, code, depth, occurrence, note, gate) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![doc_id, ordinal, it.section, it.group, it.text, it.checked, it.owner, it.code, it.depth, it.occurrence, it.note, it.gate],
            )?;
            tx.last_insert_rowid()
        };
        kept.push(id);
    }
    let kept_set: std::collections::HashSet<i64> = kept.iter().copied().collect();
    for (id, _) in &old_rows {
        if !kept_set.contains(id) {
            let busy: Option<i64> = first_value(
                tx,
                "SELECT 1 FROM outbox WHERE entity_kind = 'checklist_item' AND entity_id = ?1 AND state IN ('pending', 'inflight', 'conflict') LIMIT 1",
                [id],
            )?;
            if busy.is_none() {
                tx.execute("DELETE FROM checklist_items WHERE id = ?1", [id])?;
            }
        }
    }
    for id in kept {
        reapply_edits(tx, EntityKind::ChecklistItem, id, now)?;
    }
    Ok(())
}

/// Records the start of a sync attempt for a source.
///
/// # Errors
/// SQLite errors.
pub fn sync_attempt(
    tx: &Transaction<'_>,
    source: &str,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_state (source, kind, last_attempt_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, last_attempt_at = excluded.last_attempt_at",
        params![source, kind, ts(at)],
    )?;
    Ok(())
}

/// Records a successful sync and its new cursor.
///
/// # Errors
/// SQLite errors.
pub fn sync_success(
    tx: &Transaction<'_>,
    source: &str,
    cursor: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE sync_state SET cursor = COALESCE(?2, cursor), last_success_at = ?3, last_error = NULL, \
         last_error_at = NULL, consecutive_failures = 0, rate_limited_until = NULL WHERE source = ?1",
        params![source, cursor, ts(at)],
    )?;
    Ok(())
}

/// Records a failed sync (sanitized error) and an optional rate-limit deadline.
///
/// # Errors
/// SQLite errors.
pub fn sync_failure(
    tx: &Transaction<'_>,
    source: &str,
    error: &str,
    rate_limited_until: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE sync_state SET last_error = ?2, last_error_at = ?3, consecutive_failures = consecutive_failures + 1, \
         rate_limited_until = COALESCE(?4, rate_limited_until) WHERE source = ?1",
        params![source, crate::sanitize::line(error), ts(at), rate_limited_until.map(ts)],
    )?;
    Ok(())
}

/// Saves (replaces) a review note for a week and area.
///
/// # Errors
/// SQLite errors.
pub fn save_review_note(
    tx: &Transaction<'_>,
    week: &str,
    area: &str,
    text: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO review_notes (week, area, text, at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (week, area) DO UPDATE SET text = excluded.text, at = excluded.at",
        params![week, area, crate::sanitize::text(text), ts(at)],
    )?;
    Ok(())
}
