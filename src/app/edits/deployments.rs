//! Deployment edits: rollback, incident link, manual deployment record.

use super::{one, open, text};
use crate::app::action::Action;
use crate::app::msg::{Edit, Effect};
use crate::app::rows::RowView;
use crate::app::state::{PromptThen, State};
use crate::domain::{EntityRef, Tab};
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
            state.commit(
                one(
                    d.map(|d| d.entity()),
                    Operation::MarkRolledBack {
                        reason,
                        state: String::new(),
                    },
                ),
                Some(msg),
            )
        }
        PromptThen::LinkIncident if !value.is_empty() => {
            let d = state.deployments.selected_row().map(RowView::entity);
            state.commit(
                one(
                    d,
                    Operation::LinkIncident {
                        incident_key: value,
                    },
                ),
                None,
            )
        }
        PromptThen::RecordDeployment => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            let [service, environment, git_ref] = parts.as_slice() else {
                state.toast = Some(crate::app::state::Toast {
                    text: "write: service environment ref (e.g. checkout production v2.3.1)".into(),
                    error: true,
                    at: state.now,
                });
                return Vec::new();
            };
            let entity = EntityRef {
                kind: crate::domain::EntityKind::Deployment,
                id: 0,
            };
            state.commit(
                vec![Edit {
                    entity,
                    op: Operation::RecordDeployment {
                        service: (*service).into(),
                        environment: (*environment).into(),
                        git_ref: (*git_ref).into(),
                    },
                }],
                None,
            )
        }
        _ => Vec::new(),
    }
}
