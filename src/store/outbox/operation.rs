//! [`Operation`]: one user edit as an absolute target with the value it replaces, and how it
//! is described and audited. Its serialized shape is append-only history.

use super::*;

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
    pub(super) fn audit_values(&self) -> (Option<String>, Option<String>) {
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
