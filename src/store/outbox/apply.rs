//! The optimistic local effect of an edit on the cached row, forward (commit, re-apply after
//! a pull) and reverse (undo, discard, taking the remote's side of a conflict).

use super::*;

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
            set_column(tx, "bugs", "priority", id, new.as_str())?
        }
        Operation::SetBugAssignee { new, .. } => set_column(tx, "bugs", "assignee", id, new)?,
        Operation::AddBugLabel { label } | Operation::RemoveBugLabel { label } => {
            let add = matches!(op, Operation::AddBugLabel { .. });
            set_label(tx, id, label, add)?;
        }
        Operation::SetIncidentStatus { new, at, .. } => match new {
            IncidentStatus::Acknowledged | IncidentStatus::Resolved => {
                // The first time it got there stays: a second acknowledge keeps the first's.
                let column = if *new == IncidentStatus::Resolved {
                    "resolved_at"
                } else {
                    "acknowledged_at"
                };
                tx.execute(
                    &format!("UPDATE incidents SET status = ?1, {column} = COALESCE({column}, ?2) WHERE id = ?3"),
                    params![new.as_str(), ts(*at), id],
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
            set_column(tx, "incidents", "assignee", id, new)?;
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
        Operation::SetItemText { new, .. } => set_column(tx, "checklist_items", "text", id, new)?,
        Operation::SetItemOwner { new, .. } => set_column(tx, "checklist_items", "owner", id, new)?,
        Operation::SetItemNote { new, .. } => set_column(tx, "checklist_items", "note", id, new)?,
        Operation::SetChurnRisk { new, .. } => {
            set_column(tx, "customers", "churn_risk", id, new.as_str())?;
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
            crate::store::incidents::remove_silence(tx, id, silence_id)?;
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
    set_column(tx, "customers", column, id, value)
}

/// `UPDATE table SET column = value WHERE id = id`. Table and column names are literals of
/// this file (or the closed customer-field list), never input.
fn set_column(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    id: i64,
    value: impl rusqlite::ToSql,
) -> Result<()> {
    tx.execute(
        &format!("UPDATE {table} SET {column} = ?1 WHERE id = ?2"),
        params![value, id],
    )?;
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
pub(super) fn apply_reverse(
    tx: &Transaction<'_>,
    e: EntityRef,
    op: &Operation,
    now: DateTime<Utc>,
) -> Result<()> {
    /// The same set-operation with old and new exchanged: applying it forward undoes it.
    macro_rules! swapped {
        ($variant:ident, $old:expr, $new:expr) => {
            Some(Operation::$variant {
                old: ToOwned::to_owned($new),
                new: ToOwned::to_owned($old),
            })
        };
    }
    let reversed = match op {
        Operation::SetBugStatus { old, new, .. } => Some(Operation::SetBugStatus {
            old: *new,
            new: *old,
            reason: None,
        }),
        Operation::SetBugPriority { old, new } => swapped!(SetBugPriority, old, new),
        Operation::SetBugAssignee { old, new } => swapped!(SetBugAssignee, old, new),
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
        Operation::SetIncidentAssignee { old, new } => swapped!(SetIncidentAssignee, old, new),
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
        Operation::SetItemChecked { old, new } => swapped!(SetItemChecked, old, new),
        Operation::SetItemText { old, new } => swapped!(SetItemText, old, new),
        Operation::SetItemOwner { old, new } => swapped!(SetItemOwner, old, new),
        Operation::SetItemNote { old, new } => swapped!(SetItemNote, old, new),
        Operation::SetChurnRisk { old, new } => swapped!(SetChurnRisk, old, new),
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
            crate::store::incidents::remove_pending_silences(tx, e.id)?;
            None
        }
        Operation::ExpireSilence { silence_id } => {
            crate::store::incidents::add_alert_silence(tx, e.id, silence_id)?;
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

#[cfg(test)]
mod tests;
