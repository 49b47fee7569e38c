//! Deployment edits: rollback, incident link, manual deployment record.

use super::{commit_new, commit_one, one, open, refuse, text};
use crate::app::action::Action;
use crate::app::msg::Effect;
use crate::app::rows::RowView;
use crate::app::state::{PromptThen, State};
use crate::domain::{EntityKind, Tab};
use crate::store::Operation;

/// Opens the prompt for a deployment action.
pub(super) fn start(state: &mut State, action: Action) -> Vec<Effect> {
    let overlay = match (state.tab, action) {
        (Tab::Deployments, Action::MarkRolledBack) => state
            .deployments
            .selected_row()
            .filter(|d| !d.rolled_back)
            .map(|_| text("rollback reason", PromptThen::RollbackReason)),
        (Tab::Deployments, Action::LinkIncident) => state.deployments.selected_row().map(|_| {
            text(
                "incident key to link (e.g. PXXXXXX)",
                PromptThen::LinkIncident,
            )
        }),
        (Tab::Deployments, Action::RecordDeployment) => Some(text(
            "record deployment: service environment ref",
            PromptThen::RecordDeployment,
        )),
        _ => None,
    };
    open(state, overlay)
}

/// Turns this entity's prompt answers into edits (or the next prompt).
pub(super) fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    match then {
        PromptThen::RollbackReason => {
            let d = state.deployments.selected_row().cloned();
            let msg = d
                .as_ref()
                .map(|d| format!("Mark {} {} rolled back?", d.service, d.git_ref))
                .unwrap_or_default();
            let reason = if value.is_empty() {
                "rolled back".to_string()
            } else {
                value
            };
            let op = Operation::MarkRolledBack {
                reason,
                state: String::new(),
            };
            state.commit(one(d.map(|d| d.entity()), op), Some(msg))
        }
        PromptThen::LinkIncident if !value.is_empty() => {
            let d = state.deployments.selected_row().map(RowView::entity);
            let op = Operation::LinkIncident {
                incident_key: value,
            };
            commit_one(state, d, op)
        }
        PromptThen::RecordDeployment => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            let [service, environment, git_ref] = parts.as_slice() else {
                return refuse(
                    state,
                    "write: service environment ref (e.g. checkout production v2.3.1)".into(),
                );
            };
            let op = Operation::RecordDeployment {
                service: (*service).into(),
                environment: (*environment).into(),
                git_ref: (*git_ref).into(),
            };
            commit_new(state, EntityKind::Deployment, op)
        }
        _ => Vec::new(),
    }
}
