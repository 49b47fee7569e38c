//! One-shot edits for scripts and paging-tool hooks: `opsdeck ack|resolve|close|silence`.
//!
//! Each command finds its row in the cache, builds the same [`Operation`] the keys build (with
//! the old value as cached), and commits it with [`Store::commit_edit`] — cached row, outbox
//! entry and audit row in one transaction, exactly as a key press does. Then, unless
//! `--queue-only`, it takes the source's sync lock (so a running TUI or `opsdeck sync` never
//! pushes the same edit at the same time) and drains that source's outbox once, as a sync round
//! would, and reports what the remote system said about *this* edit.
//!
//! Exit codes: [`EXIT_CONFIRMED`] when the remote confirmed the edit (or it was queued with
//! `--queue-only`, or there was nothing to change); [`EXIT_NOT_CONFIRMED`] when the edit is
//! queued but the remote did not confirm it (down, rate limited, conflict, refused);
//! [`EXIT_USAGE`] when the item is unknown or ambiguous, or nothing is configured.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::clock::SharedClock;
use crate::config::Config;
use crate::domain::{BugStatus, EntityKind, EntityRef, IncidentStatus};
use crate::sanitize;
use crate::store::{OpState, Operation, Store, StoreError};
use crate::sync::engine::{self, Connector};

/// The remote confirmed the edit (or `--queue-only`, or nothing to do).
pub const EXIT_CONFIRMED: i32 = 0;
/// The edit is queued (or refused) but the remote did not confirm it.
pub const EXIT_NOT_CONFIRMED: i32 = 1;
/// Unknown or ambiguous item, or no usable source.
pub const EXIT_USAGE: i32 = 2;

/// How long to wait for a TUI or `opsdeck sync` that holds the source's lock.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Comment used when `silence` is given none (the same as the `m` key's default).
const DEFAULT_SILENCE_COMMENT: &str = "silenced from opsdeck";

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Acknowledge an incident.
    Ack {
        /// External id (`PXXXXXX`) or incident number.
        id: String,
    },
    /// Resolve an incident with an optional resolution note.
    Resolve {
        /// External id or incident number.
        id: String,
        /// Resolution text.
        note: Option<String>,
    },
    /// Close a bug with an optional reason.
    Close {
        /// Key (`#123`, `OPS-42`) or external id.
        bug: String,
        /// Close reason.
        reason: Option<String>,
    },
    /// Silence a firing alert by its labels.
    Silence {
        /// Alert fingerprint or alert name.
        alert: String,
        /// How long.
        duration: Duration,
        /// Silence comment.
        comment: Option<String>,
    },
}

/// Options every one-shot command takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Only rows of this source (when an id exists in several).
    pub source: Option<String>,
    /// Commit to the outbox and exit without pushing.
    pub queue_only: bool,
}

/// A row the command acts on.
#[derive(Debug, Clone)]
struct Target {
    entity: EntityRef,
    source: String,
    label: String,
}

/// Why a command could not even be queued.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// Runs one one-shot command against `store`; prints what happened and returns the exit code.
///
/// # Errors
/// Only output errors; everything else is reported on `out` with an exit code.
pub async fn run(
    config: &Config,
    store: &mut Store,
    db_path: &std::path::Path,
    request: &Request,
    options: &Options,
    clock: &SharedClock,
    out: &mut (dyn Write + Send),
) -> std::io::Result<i32> {
    let now = clock.now();
    let planned = match plan(store, request, options, now) {
        Ok(p) => p,
        Err(Refusal::Usage(message)) => {
            writeln!(out, "opsdeck: {message}")?;
            return Ok(EXIT_USAGE);
        }
        Err(e) => {
            writeln!(out, "opsdeck: cannot read the cache: {e}")?;
            return Ok(EXIT_NOT_CONFIRMED);
        }
    };
    let Some((target, op)) = planned else {
        // `plan` printed nothing: the row already has the requested state.
        writeln!(
            out,
            "{}: nothing to do ({})",
            sanitize::line(&target_label(request)),
            already(request)
        )?;
        return Ok(EXIT_CONFIRMED);
    };
    let Some(source_cfg) = config.sources.iter().find(|s| s.name == target.source) else {
        writeln!(
            out,
            "opsdeck: {} comes from source `{}`, which is not in the config; nothing queued",
            target.label, target.source
        )?;
        return Ok(EXIT_USAGE);
    };
    let remote_sources: Vec<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let committed = match store.commit_edit(
        target.entity,
        &op,
        now,
        &config.general.actor,
        &remote_sources,
    ) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "opsdeck: not queued: {e}")?;
            return Ok(EXIT_NOT_CONFIRMED);
        }
    };
    writeln!(
        out,
        "queued: {} on {} ({}, op {})",
        op.describe(),
        target.label,
        target.source,
        committed.op_id
    )?;
    if committed.state != OpState::Pending {
        writeln!(
            out,
            "done locally: {} has no remote to push to",
            target.source
        )?;
        return Ok(EXIT_CONFIRMED);
    }
    if options.queue_only {
        writeln!(
            out,
            "not pushed (--queue-only): the next sync or TUI start pushes it"
        )?;
        return Ok(EXIT_CONFIRMED);
    }
    let pushed = push_source(config, source_cfg, store, db_path, clock).await;
    if let Err(message) = pushed {
        writeln!(
            out,
            "not pushed: {message}; the edit stays queued for the next sync"
        )?;
        return Ok(EXIT_NOT_CONFIRMED);
    }
    report_entry(store, &committed.op_id, &target, out)
}

/// Builds the target and operation, or `None` when the row already has the requested state.
fn plan(
    store: &Store,
    request: &Request,
    options: &Options,
    now: DateTime<Utc>,
) -> Result<Option<(Target, Operation)>, Refusal> {
    match request {
        Request::Ack { id } | Request::Resolve { id, .. } => {
            let (target, status) = find_incident(store, id, options.source.as_deref())?;
            let new = if matches!(request, Request::Ack { .. }) {
                IncidentStatus::Acknowledged
            } else {
                IncidentStatus::Resolved
            };
            if status == new {
                return Ok(None);
            }
            if status == IncidentStatus::Resolved {
                return Err(Refusal::Usage(format!(
                    "{} is already resolved; it cannot be acknowledged",
                    target.label
                )));
            }
            let resolution = match request {
                Request::Resolve { note, .. } => note.as_deref().map(sanitize::text),
                _ => None,
            };
            Ok(Some((
                target,
                Operation::SetIncidentStatus {
                    old: status,
                    new,
                    resolution: resolution.filter(|r| !r.is_empty()),
                    at: now,
                },
            )))
        }
        Request::Close { bug, reason } => {
            let (target, status) = find_bug(store, bug, options.source.as_deref())?;
            if status == BugStatus::Closed {
                return Ok(None);
            }
            Ok(Some((
                target,
                Operation::SetBugStatus {
                    old: status,
                    new: BugStatus::Closed,
                    reason: reason
                        .as_deref()
                        .map(sanitize::text)
                        .filter(|r| !r.is_empty()),
                },
            )))
        }
        Request::Silence {
            alert,
            duration,
            comment,
        } => {
            let target = find_alert(store, alert, options.source.as_deref())?;
            let matchers = crate::store::incidents::alert_labels(store.conn(), target.entity.id)?;
            if matchers.is_empty() {
                return Err(Refusal::Usage(format!(
                    "{} has no labels to match; it cannot be silenced",
                    target.label
                )));
            }
            let duration_secs = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
            if duration_secs < 60 {
                return Err(Refusal::Usage(
                    "--for must be at least one minute (e.g. --for 30m)".into(),
                ));
            }
            let comment = comment
                .as_deref()
                .map(sanitize::text)
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| DEFAULT_SILENCE_COMMENT.to_owned());
            Ok(Some((
                target,
                Operation::SilenceAlert {
                    matchers,
                    duration_secs,
                    comment,
                    created_by: String::new(),
                },
            )))
        }
    }
}

fn target_label(request: &Request) -> String {
    match request {
        Request::Ack { id } | Request::Resolve { id, .. } => id.clone(),
        Request::Close { bug, .. } => bug.clone(),
        Request::Silence { alert, .. } => alert.clone(),
    }
}

fn already(request: &Request) -> &'static str {
    match request {
        Request::Ack { .. } => "already acknowledged",
        Request::Resolve { .. } => "already resolved",
        Request::Close { .. } => "already closed",
        Request::Silence { .. } => "already silenced",
    }
}

/// One row or a usage error naming every candidate.
fn one<T>(mut rows: Vec<(Target, T)>, what: &str, id: &str) -> Result<(Target, T), Refusal> {
    match rows.len() {
        0 => Err(Refusal::Usage(format!(
            "no {what} `{}` in the cache (run `opsdeck sync --once` first, or check the id)",
            sanitize::line(id)
        ))),
        1 => Ok(rows.remove(0)),
        _ => {
            let names: Vec<String> = rows
                .iter()
                .map(|(t, _)| format!("{} ({})", t.label, t.source))
                .collect();
            Err(Refusal::Usage(format!(
                "`{}` names {} {what}s: {}; add --source NAME",
                sanitize::line(id),
                rows.len(),
                names.join(", ")
            )))
        }
    }
}

/// The rows of `sql`, which selects a row id, its source and two more text columns.
fn id_source_and_two(
    store: &Store,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<(i64, String, String, String)>, Refusal> {
    let mut stmt = store.conn().prepare(sql)?;
    let rows = stmt
        .query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Rows `(id, source, label, status)` of `sql` as targets of `kind` with a parsed status.
fn find_with_status<S: std::str::FromStr>(
    store: &Store,
    sql: &str,
    params: impl rusqlite::Params,
    kind: EntityKind,
    what: &str,
    id: &str,
) -> Result<(Target, S), Refusal> {
    let rows = id_source_and_two(store, sql, params)?;
    let mut found = Vec::new();
    for (row_id, source, label, status) in rows {
        let status: S = status
            .parse()
            .map_err(|_| Refusal::Usage(format!("{what} {label} has an unknown status")))?;
        let entity = EntityRef { kind, id: row_id };
        found.push((
            Target {
                entity,
                source,
                label,
            },
            status,
        ));
    }
    one(found, what, id)
}

fn find_incident(
    store: &Store,
    id: &str,
    source: Option<&str>,
) -> Result<(Target, IncidentStatus), Refusal> {
    let number: Option<i64> = id.trim_start_matches('#').parse().ok();
    find_with_status(
        store,
        "SELECT id, source, external_id, status FROM incidents \
         WHERE (external_id = ?1 OR (?2 IS NOT NULL AND number = ?2)) \
           AND (?3 IS NULL OR source = ?3) ORDER BY id",
        params![id, number, source],
        EntityKind::Incident,
        "incident",
        id,
    )
}

fn find_bug(store: &Store, id: &str, source: Option<&str>) -> Result<(Target, BugStatus), Refusal> {
    let hashed = if id.starts_with('#') {
        id.to_owned()
    } else {
        format!("#{id}")
    };
    find_with_status(
        store,
        "SELECT id, source, key, status FROM bugs \
         WHERE (key = ?1 OR key = ?2 OR external_id = ?1) AND (?3 IS NULL OR source = ?3) \
         ORDER BY id",
        params![id, hashed, source],
        EntityKind::Bug,
        "bug",
        id,
    )
}

fn find_alert(store: &Store, id: &str, source: Option<&str>) -> Result<Target, Refusal> {
    let rows = id_source_and_two(
        store,
        "SELECT id, source, name, fingerprint FROM alerts \
         WHERE (fingerprint = ?1 OR name = ?1) AND state != 'resolved' \
           AND (?2 IS NULL OR source = ?2) ORDER BY id",
        params![id, source],
    )?;
    let found = rows
        .into_iter()
        .map(|(row_id, src, name, fingerprint)| {
            (
                Target {
                    entity: EntityRef {
                        kind: EntityKind::Alert,
                        id: row_id,
                    },
                    source: src,
                    label: format!("{name} [{fingerprint}]"),
                },
                (),
            )
        })
        .collect();
    one(found, "alert", id).map(|(t, ())| t)
}

/// Drains `source`'s outbox once under its sync lock; `Err` says why nothing could be sent.
async fn push_source(
    config: &Config,
    source: &crate::config::SourceConfig,
    store: &mut Store,
    db_path: &std::path::Path,
    clock: &SharedClock,
) -> Result<(), String> {
    let _lock = match engine::acquire_source_lock(db_path, &source.name, LOCK_WAIT).await {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            return Err(format!(
                "another opsdeck holds the sync lock of `{}` (it will push the edit)",
                source.name
            ))
        }
        Err(e) => return Err(format!("cannot take the sync lock: {e}")),
    };
    let token = engine::resolve_token(source)
        .await
        .map_err(|e| e.to_string())?;
    let mut connector = Connector::build(source, &config.slos, token, engine::http_clock(clock))
        .map_err(|e| e.to_string())?;
    engine::drain_outbox(&mut connector, store, &source.name, clock)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Prints the fate of the committed edit and returns the exit code.
fn report_entry(
    store: &Store,
    op_id: &str,
    target: &Target,
    out: &mut (dyn Write + Send),
) -> std::io::Result<i32> {
    let entry: Option<(String, Option<String>, Option<String>)> = store
        .conn()
        .query_row(
            "SELECT state, last_error, remote_value FROM outbox WHERE op_id = ?1",
            [op_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .ok()
        .flatten();
    let Some((state, error, remote)) = entry else {
        writeln!(
            out,
            "opsdeck: the edit vanished from the outbox (was the cache replaced?)"
        )?;
        return Ok(EXIT_NOT_CONFIRMED);
    };
    let error = error.map(|e| sanitize::line(&e)).unwrap_or_default();
    match state.as_str() {
        "done" => {
            writeln!(
                out,
                "pushed: {} confirmed the edit on {}",
                target.source, target.label
            )?;
            Ok(EXIT_CONFIRMED)
        }
        "conflict" => {
            writeln!(
                out,
                "CONFLICT: {} changed on {} since it was cached (now: {}); nothing was overwritten — resolve it in the outbox view (O)",
                target.label,
                target.source,
                sanitize::line(remote.as_deref().unwrap_or("?"))
            )?;
            Ok(EXIT_NOT_CONFIRMED)
        }
        "failed" => {
            writeln!(out, "FAILED: {} refused the edit: {error}", target.source)?;
            Ok(EXIT_NOT_CONFIRMED)
        }
        _ => {
            writeln!(
                out,
                "still queued: {}{}; the next sync pushes it",
                target.source,
                if error.is_empty() {
                    String::new()
                } else {
                    format!(" answered: {error}")
                }
            )?;
            Ok(EXIT_NOT_CONFIRMED)
        }
    }
}
