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

/// A user's edit, as an absolute target with the value it replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Operation {
    // -- Bugs --
    /// Set a bug's status (close with a reason, reopen, start work).
    SetBugStatus {
        old: BugStatus,
        new: BugStatus,
        reason: Option<String>,
    },
    /// Set a bug's priority.
    SetBugPriority { old: Priority, new: Priority },
    /// Set (or clear) a bug's assignee.
    SetBugAssignee {
        old: Option<String>,
        new: Option<String>,
    },
    /// Add one label, leaving the others alone.
    AddBugLabel { label: String },
    /// Remove one label, leaving the others alone.
    RemoveBugLabel { label: String },
    /// Comment on a bug.
    AddBugComment { body: String },
    // -- Incidents --
    /// Acknowledge or resolve an incident.
    SetIncidentStatus {
        old: IncidentStatus,
        new: IncidentStatus,
        resolution: Option<String>,
        /// Acknowledgement/resolution time recorded locally.
        at: DateTime<Utc>,
    },
    /// Reassign an incident.
    SetIncidentAssignee {
        old: Option<String>,
        new: Option<String>,
    },
    /// Add a note to an incident's timeline.
    AddIncidentNote { body: String },
    /// A locally declared incident (row created in the same transaction).
    DeclareIncident {
        title: String,
        severity: Priority,
        service: String,
    },
    // -- Alerts --
    /// Silence an alert with the given matchers.
    SilenceAlert {
        matchers: Vec<(String, String)>,
        duration_secs: i64,
        comment: String,
        created_by: String,
    },
    /// Expire a silence.
    ExpireSilence { silence_id: String },
    // -- Deployments --
    /// Mark a deployment rolled back (written back as a deployment status).
    MarkRolledBack { reason: String, state: String },
    /// Link a deployment to an incident.
    LinkIncident { incident_key: String },
    /// A deployment recorded by hand.
    RecordDeployment {
        service: String,
        environment: String,
        git_ref: String,
    },
    // -- Checklist --
    /// Check or uncheck an item.
    SetItemChecked { old: bool, new: bool },
    /// Replace an item's text.
    SetItemText { old: String, new: String },
    /// Set an item's owner.
    SetItemOwner {
        old: Option<String>,
        new: Option<String>,
    },
    /// Set an item's note (cache only; never written to the file).
    SetItemNote {
        old: Option<String>,
        new: Option<String>,
    },
    /// Add a new unchecked item next to this one.
    AddItem { text: String, above: bool },
    /// Delete this item (its text and state when the user acted).
    DeleteItem { text: String, checked: bool },
    /// Move this item past its next (or previous) sibling.
    MoveItem { down: bool },
    // -- Customers --
    /// Set a customer's churn risk.
    SetChurnRisk { old: ChurnRisk, new: ChurnRisk },
    /// Record an NPS response.
    RecordNps { score: u8, comment: String },
    /// Add a feedback note or feature request.
    AddCustomerNote { kind: NoteKind, text: String },
    /// Set one of a customer's editable fields (textual form).
    SetCustomerField {
        field: String,
        old: Option<String>,
        new: Option<String>,
    },
}

impl Operation {
    /// A short human description for the audit log and the outbox view.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Operation::SetBugStatus { new, reason, .. } => match reason {
                Some(r) => format!("status → {new} ({r})"),
                None => format!("status → {new}"),
            },
            Operation::SetBugPriority { new, .. } => format!("priority → {new}"),
            Operation::SetBugAssignee { new, .. } | Operation::SetIncidentAssignee { new, .. } => {
                format!("assignee → {}", new.as_deref().unwrap_or("nobody"))
            }
            Operation::AddBugLabel { label } => format!("label + {label}"),
            Operation::RemoveBugLabel { label } => format!("label − {label}"),
            Operation::AddBugComment { .. } => "comment".into(),
            Operation::SetIncidentStatus { new, .. } => format!("status → {new}"),
            Operation::AddIncidentNote { .. } => "note".into(),
            Operation::DeclareIncident { title, .. } => format!("declared: {title}"),
            Operation::SilenceAlert { duration_secs, .. } => {
                format!("silence for {}m", duration_secs / 60)
            }
            Operation::ExpireSilence { .. } => "expire silence".into(),
            Operation::MarkRolledBack { reason, .. } => format!("rolled back: {reason}"),
            Operation::LinkIncident { incident_key } => format!("linked to {incident_key}"),
            Operation::RecordDeployment { git_ref, .. } => format!("recorded deploy {git_ref}"),
            Operation::SetItemChecked { new, .. } => {
                if *new {
                    "checked".into()
                } else {
                    "unchecked".into()
                }
            }
            Operation::SetItemText { .. } => "text edited".into(),
            Operation::SetItemOwner { new, .. } => {
                format!("owner → {}", new.as_deref().unwrap_or("nobody"))
            }
            Operation::SetItemNote { .. } => "note".into(),
            Operation::AddItem { text, above } => {
                format!("added {} : {text}", if *above { "above" } else { "below" })
            }
            Operation::DeleteItem { text, .. } => format!("deleted: {text}"),
            Operation::MoveItem { down } => {
                if *down {
                    "moved down".into()
                } else {
                    "moved up".into()
                }
            }
            Operation::SetChurnRisk { new, .. } => format!("churn risk → {new}"),
            Operation::RecordNps { score, .. } => format!("NPS {score}"),
            Operation::AddCustomerNote { kind, .. } => format!("{kind} note"),
            Operation::SetCustomerField { field, new, .. } => {
                format!("{field} → {}", new.as_deref().unwrap_or("—"))
            }
        }
    }

    /// Whether the edit only ever lives in the cache (notes on checklist items, NPS, customer
    /// fields): it never goes to a remote, whatever the item's source.
    #[must_use]
    pub fn is_cache_only(&self) -> bool {
        matches!(
            self,
            Operation::SetItemNote { .. }
                | Operation::SetChurnRisk { .. }
                | Operation::RecordNps { .. }
                | Operation::AddCustomerNote { .. }
                | Operation::SetCustomerField { .. }
                | Operation::RecordDeployment { .. }
                | Operation::LinkIncident { .. }
        )
    }

    /// Old and new values as text for the audit log.
    fn audit_values(&self) -> (Option<String>, Option<String>) {
        fn s<T: ToString>(v: &T) -> Option<String> {
            Some(v.to_string())
        }
        match self {
            Operation::SetBugStatus { old, new, .. } => (s(old), s(new)),
            Operation::SetBugPriority { old, new } => (s(old), s(new)),
            Operation::SetBugAssignee { old, new }
            | Operation::SetIncidentAssignee { old, new }
            | Operation::SetItemOwner { old, new }
            | Operation::SetItemNote { old, new }
            | Operation::SetCustomerField { old, new, .. } => (old.clone(), new.clone()),
            Operation::SetIncidentStatus { old, new, .. } => (s(old), s(new)),
            Operation::SetItemChecked { old, new } => (s(old), s(new)),
            Operation::SetItemText { old, new } => (Some(old.clone()), Some(new.clone())),
            Operation::SetChurnRisk { old, new } => (s(old), s(new)),
            // What the user typed is the audit entry's value, byte for byte: the incident
            // timeline and the exported report read it from here (issue #11, defect 1).
            Operation::AddIncidentNote { body } | Operation::AddBugComment { body } => {
                (None, Some(body.clone()))
            }
            _ => (None, Some(self.describe())),
        }
    }
}

/// Where an outbox entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpState {
    /// Waiting to be pushed.
    Pending,
    /// Being pushed (outcome unknown after a crash: reconcile by reading first).
    Inflight,
    /// Landed (or already true at the remote).
    Done,
    /// The remote moved away from what the user saw; the user decides.
    Conflict,
    /// Permanently refused by the remote (404, 410, 403, 422); stays visible.
    Failed,
    /// Taken back by the user with `u` before it was pushed.
    Undone,
}

impl OpState {
    /// The persisted form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OpState::Pending => "pending",
            OpState::Inflight => "inflight",
            OpState::Done => "done",
            OpState::Conflict => "conflict",
            OpState::Failed => "failed",
            OpState::Undone => "undone",
        }
    }

    fn parse(s: &str) -> Result<OpState> {
        Ok(match s {
            "pending" => OpState::Pending,
            "inflight" => OpState::Inflight,
            "done" => OpState::Done,
            "conflict" => OpState::Conflict,
            "failed" => OpState::Failed,
            "undone" => OpState::Undone,
            other => return Err(StoreError::Corrupt(format!("outbox state '{other}'"))),
        })
    }
}

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
    e.state = OpState::parse(&state)?;
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

/// Applies `op` to the cached row (forward) — the optimistic local effect of the edit.
pub(crate) fn apply_forward(
    tx: &Transaction<'_>,
    e: EntityRef,
    op: &Operation,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = e.id;
    match op {
        Operation::SetBugStatus { new, .. } => {
            let closed = (*new == BugStatus::Closed).then(|| ts(now));
            tx.execute(
                "UPDATE bugs SET status = ?1, closed_at = CASE WHEN ?1 = 'closed' THEN COALESCE(closed_at, ?2) ELSE NULL END WHERE id = ?3",
                params![new.as_str(), closed, id],
            )?;
        }
        Operation::SetBugPriority { new, .. } => {
            tx.execute(
                "UPDATE bugs SET priority = ?1 WHERE id = ?2",
                params![new.as_str(), id],
            )?;
        }
        Operation::SetBugAssignee { new, .. } => {
            tx.execute(
                "UPDATE bugs SET assignee = ?1 WHERE id = ?2",
                params![new, id],
            )?;
        }
        Operation::AddBugLabel { label } | Operation::RemoveBugLabel { label } => {
            let add = matches!(op, Operation::AddBugLabel { .. });
            set_label(tx, id, label, add)?;
        }
        Operation::SetIncidentStatus { new, at, .. } => match new {
            IncidentStatus::Acknowledged => {
                tx.execute(
                    "UPDATE incidents SET status = 'acknowledged', acknowledged_at = COALESCE(acknowledged_at, ?1) WHERE id = ?2",
                    params![ts(*at), id],
                )?;
            }
            IncidentStatus::Resolved => {
                tx.execute(
                    "UPDATE incidents SET status = 'resolved', resolved_at = COALESCE(resolved_at, ?1) WHERE id = ?2",
                    params![ts(*at), id],
                )?;
            }
            IncidentStatus::Triggered => {
                tx.execute(
                    "UPDATE incidents SET status = 'triggered', acknowledged_at = NULL, resolved_at = NULL WHERE id = ?1",
                    [id],
                )?;
            }
        },
        Operation::SetIncidentAssignee { new, .. } => {
            tx.execute(
                "UPDATE incidents SET assignee = ?1 WHERE id = ?2",
                params![new, id],
            )?;
        }
        Operation::MarkRolledBack { .. } => {
            tx.execute("UPDATE deployments SET rolled_back = 1 WHERE id = ?1", [id])?;
        }
        Operation::LinkIncident { incident_key } => {
            tx.execute(
                "INSERT OR REPLACE INTO deployment_incidents (deployment_id, incident_key, guess) VALUES (?1, ?2, 0)",
                params![id, incident_key],
            )?;
        }
        Operation::SetItemChecked { new, .. } => {
            tx.execute(
                "UPDATE checklist_items SET checked = ?1, checked_at = CASE WHEN ?1 THEN ?2 ELSE NULL END WHERE id = ?3",
                params![new, ts(now), id],
            )?;
        }
        Operation::SetItemText { new, .. } => {
            tx.execute(
                "UPDATE checklist_items SET text = ?1 WHERE id = ?2",
                params![new, id],
            )?;
        }
        Operation::SetItemOwner { new, .. } => {
            tx.execute(
                "UPDATE checklist_items SET owner = ?1 WHERE id = ?2",
                params![new, id],
            )?;
        }
        Operation::SetItemNote { new, .. } => {
            tx.execute(
                "UPDATE checklist_items SET note = ?1 WHERE id = ?2",
                params![new, id],
            )?;
        }
        Operation::SetChurnRisk { new, .. } => {
            tx.execute(
                "UPDATE customers SET churn_risk = ?1 WHERE id = ?2",
                params![new.as_str(), id],
            )?;
        }
        Operation::RecordNps { score, comment } => {
            tx.execute(
                "INSERT INTO nps_responses (customer_id, score, at, comment) VALUES (?1, ?2, ?3, ?4)",
                params![id, score, ts(now), comment],
            )?;
        }
        Operation::AddCustomerNote { kind, text } => {
            tx.execute(
                "INSERT INTO customer_notes (customer_id, kind, at, author, text) VALUES (?1, ?2, ?3, 'me', ?4)",
                params![id, kind.as_str(), ts(now), text],
            )?;
        }
        Operation::SetCustomerField { field, new, .. } => {
            set_customer_field(tx, id, field, new.as_deref())?
        }
        Operation::AddBugComment { .. }
        | Operation::AddItem { .. }
        | Operation::DeleteItem { .. }
        | Operation::MoveItem { .. }
        | Operation::AddIncidentNote { .. }
        | Operation::DeclareIncident { .. }
        | Operation::SilenceAlert { .. }
        | Operation::RecordDeployment { .. } => {}
        Operation::ExpireSilence { silence_id } => {
            // Optimistic: every cached alert of the silence's source it covered un-silences.
            super::incidents::remove_silence(tx, id, silence_id)?;
        }
    }
    Ok(())
}

fn set_customer_field(
    tx: &Transaction<'_>,
    id: i64,
    field: &str,
    value: Option<&str>,
) -> Result<()> {
    // Column names come from this closed list only, never from input.
    let column = match field {
        "name" => "name",
        "stage" => "stage",
        "vertical" => "vertical",
        "owner" => "owner",
        "acv_usd" => "acv_usd",
        "usage_days_per_week" => "usage_days_per_week",
        "feature_adoption_pct" => "feature_adoption_pct",
        "engagement" => "engagement",
        "poc_start" => "poc_start",
        "signed_on" => "signed_on",
        "go_live" => "go_live",
        other => {
            return Err(StoreError::Refused(format!(
                "'{other}' is not an editable customer field"
            )))
        }
    };
    let sql = format!("UPDATE customers SET {column} = ?1 WHERE id = ?2");
    tx.execute(&sql, params![value, id])?;
    Ok(())
}

fn set_label(tx: &Transaction<'_>, id: i64, label: &str, add: bool) -> Result<()> {
    let labels: String =
        tx.query_row("SELECT labels FROM bugs WHERE id = ?1", [id], |r| r.get(0))?;
    let mut list = json_list(&labels);
    list.retain(|l| l != label);
    if add {
        list.push(label.to_string());
    }
    let customers = crate::domain::bug::customers_from_labels(&list);
    tx.execute(
        "UPDATE bugs SET labels = ?1, customers = ?2 WHERE id = ?3",
        params![to_json_list(&list), to_json_list(&customers), id],
    )?;
    Ok(())
}

/// Reverses `op` on the cached row (undo), restoring the old value.
fn apply_reverse(
    tx: &Transaction<'_>,
    e: EntityRef,
    op: &Operation,
    now: DateTime<Utc>,
) -> Result<()> {
    let reversed = match op {
        Operation::SetBugStatus { old, new, .. } => Some(Operation::SetBugStatus {
            old: *new,
            new: *old,
            reason: None,
        }),
        Operation::SetBugPriority { old, new } => Some(Operation::SetBugPriority {
            old: *new,
            new: *old,
        }),
        Operation::SetBugAssignee { old, new } => Some(Operation::SetBugAssignee {
            old: new.clone(),
            new: old.clone(),
        }),
        Operation::AddBugLabel { label } => Some(Operation::RemoveBugLabel {
            label: label.clone(),
        }),
        Operation::RemoveBugLabel { label } => Some(Operation::AddBugLabel {
            label: label.clone(),
        }),
        Operation::SetIncidentStatus { old, new, .. } => {
            // Undo clears exactly the timestamp the edit set.
            match (old, new) {
                (IncidentStatus::Triggered, IncidentStatus::Acknowledged) => {
                    tx.execute("UPDATE incidents SET status = 'triggered', acknowledged_at = NULL WHERE id = ?1", [e.id])?;
                }
                (o, IncidentStatus::Resolved) => {
                    tx.execute(
                        "UPDATE incidents SET status = ?1, resolved_at = NULL WHERE id = ?2",
                        params![o.as_str(), e.id],
                    )?;
                }
                (o, _) => {
                    tx.execute(
                        "UPDATE incidents SET status = ?1 WHERE id = ?2",
                        params![o.as_str(), e.id],
                    )?;
                }
            }
            None
        }
        Operation::SetIncidentAssignee { old, new } => Some(Operation::SetIncidentAssignee {
            old: new.clone(),
            new: old.clone(),
        }),
        Operation::MarkRolledBack { .. } => {
            tx.execute(
                "UPDATE deployments SET rolled_back = 0 WHERE id = ?1",
                [e.id],
            )?;
            None
        }
        Operation::LinkIncident { incident_key } => {
            tx.execute(
                "DELETE FROM deployment_incidents WHERE deployment_id = ?1 AND incident_key = ?2",
                params![e.id, incident_key],
            )?;
            None
        }
        Operation::SetItemChecked { old, new } => Some(Operation::SetItemChecked {
            old: *new,
            new: *old,
        }),
        Operation::SetItemText { old, new } => Some(Operation::SetItemText {
            old: new.clone(),
            new: old.clone(),
        }),
        Operation::SetItemOwner { old, new } => Some(Operation::SetItemOwner {
            old: new.clone(),
            new: old.clone(),
        }),
        Operation::SetItemNote { old, new } => Some(Operation::SetItemNote {
            old: new.clone(),
            new: old.clone(),
        }),
        Operation::SetChurnRisk { old, new } => Some(Operation::SetChurnRisk {
            old: *new,
            new: *old,
        }),
        Operation::SetCustomerField { field, old, new } => Some(Operation::SetCustomerField {
            field: field.clone(),
            old: new.clone(),
            new: old.clone(),
        }),
        Operation::RecordNps { .. } => {
            tx.execute(
                "DELETE FROM nps_responses WHERE id = (SELECT max(id) FROM nps_responses WHERE customer_id = ?1)",
                [e.id],
            )?;
            None
        }
        Operation::AddCustomerNote { .. } => {
            tx.execute(
                "DELETE FROM customer_notes WHERE id = (SELECT max(id) FROM customer_notes WHERE customer_id = ?1)",
                [e.id],
            )?;
            None
        }
        Operation::DeclareIncident { .. } => {
            tx.execute(
                "DELETE FROM incidents WHERE id = ?1 AND source = 'local'",
                [e.id],
            )?;
            None
        }
        Operation::RecordDeployment { .. } => {
            tx.execute(
                "DELETE FROM deployments WHERE id = ?1 AND source = 'local'",
                [e.id],
            )?;
            None
        }
        Operation::SilenceAlert { .. } => {
            super::incidents::remove_pending_silences(tx, e.id)?;
            None
        }
        Operation::ExpireSilence { silence_id } => {
            super::incidents::add_alert_silence(tx, e.id, silence_id)?;
            None
        }
        Operation::AddBugComment { .. }
        | Operation::AddItem { .. }
        | Operation::DeleteItem { .. }
        | Operation::MoveItem { .. }
        | Operation::AddIncidentNote { .. } => None,
    };
    if let Some(r) = reversed {
        apply_forward(tx, e, &r, now)?;
    }
    Ok(())
}

#[allow(
    clippy::too_many_arguments,
    reason = "one row of the audit table, column by column"
)]
fn insert_audit(
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
        self.conn()
            .query_row(sql, [e.id], |r| r.get(0))
            .optional()
            .ok()
            .flatten()
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
    fn set_state(
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
