//! Incident and alert edits: acknowledge, resolve, reassign, notes, declare, silence.

use super::candidates;
use super::{
    assign_question, choice, one, open, opt, target_incidents, text, text_replacing, titled,
};
use crate::app::action::Action;
use crate::app::msg::{Edit, Effect};
use crate::app::rows::RowView;
use crate::app::state::{PromptThen, State};
use crate::app::targets;
use crate::domain::{EntityRef, IncidentStatus, Priority, Tab};
use crate::store::Operation;

/// Silence durations offered by `m`.
pub const SILENCE_CHOICES: &[(&str, i64)] = &[
    ("30 minutes", 1800),
    ("1 hour", 3600),
    ("2 hours", 7200),
    ("4 hours", 14_400),
    ("1 day", 86_400),
];

/// Opens the prompt (or commits) for an incident or alert action.
pub(super) fn start(state: &mut State, action: Action) -> Vec<Effect> {
    let overlay = match (state.tab, action) {
        (Tab::Incidents, Action::Acknowledge) if !state.alerts_focus => {
            let now = state.now;
            let edits: Vec<Edit> = target_incidents(state)
                .into_iter()
                .filter(|i| i.status == IncidentStatus::Triggered)
                .map(|i| Edit {
                    entity: i.entity(),
                    op: Operation::SetIncidentStatus {
                        old: i.status,
                        new: IncidentStatus::Acknowledged,
                        resolution: None,
                        at: now,
                    },
                })
                .collect();
            if edits.is_empty() {
                state.toast = Some(crate::app::state::Toast {
                    text: "nothing to acknowledge: the incident is not triggered".into(),
                    error: true,
                    at: state.now,
                });
                return Vec::new();
            }
            let rows: Vec<&crate::domain::Incident> = target_incidents(state)
                .into_iter()
                .filter(|i| i.status == IncidentStatus::Triggered)
                .collect();
            let confirm = (edits.len() > 1)
                .then(|| format!("Acknowledge {}?", targets::describe(&rows, "incident")));
            return state.commit(edits, confirm);
        }
        (Tab::Incidents, Action::Resolve) if !state.alerts_focus => (target_incidents(state)
            .iter()
            .any(|i| i.status != IncidentStatus::Resolved))
        .then(|| {
            text(
                &titled(
                    "resolution note (optional)",
                    &target_incidents(state),
                    "incident",
                ),
                PromptThen::Resolution,
            )
        }),
        (Tab::Incidents, Action::Assign) if !state.alerts_focus => {
            let rows = target_incidents(state);
            let current = match rows.as_slice() {
                [i] => i.assignee.as_deref(),
                _ => None,
            };
            (!rows.is_empty()).then(|| {
                text_replacing(
                    &titled("reassign to", &rows, "incident"),
                    current,
                    PromptThen::Assignee,
                )
            })
        }
        (Tab::Incidents, Action::Note) if !state.alerts_focus => {
            let rows = target_incidents(state);
            (!rows.is_empty())
                .then(|| text(&titled("note", &rows, "incident"), PromptThen::Comment))
        }
        (Tab::Incidents, Action::DeclareIncident) => Some(text(
            "declare a local incident — title",
            PromptThen::DeclareTitle,
        )),
        (Tab::Incidents, Action::Silence) => {
            state.alerts_focus = true;
            // `m` works from the incident list too: the title names the alert it silences, so
            // the user never silences one they could not see selected.
            state.alerts.selected_row().map(|a| {
                choice(
                    &format!("silence {} ({}) for", a.name, a.service),
                    SILENCE_CHOICES
                        .iter()
                        .map(|(l, _)| (*l).to_string())
                        .collect(),
                    1,
                    PromptThen::SilenceDuration,
                )
            })
        }
        (Tab::Incidents, Action::ExpireSilence) => {
            state.alerts_focus = true;
            return crate::app::silences::expire(state);
        }
        _ => None,
    };
    open(state, overlay)
}

/// Turns this entity's prompt answers into edits (or the next prompt).
pub(super) fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    let incident = state.incidents.selected_row().cloned();
    match then {
        PromptThen::Assignee if state.tab == Tab::Incidents => {
            let new = opt(&value);
            let rows: Vec<&crate::domain::Incident> = target_incidents(state)
                .into_iter()
                .filter(|i| i.assignee != new)
                .collect();
            let known = candidates::people(state, Tab::Incidents);
            let confirm = assign_question("Reassign", &rows, "incident", new.as_deref(), &known);
            let edits = rows
                .into_iter()
                .map(|i| Edit {
                    entity: i.entity(),
                    op: Operation::SetIncidentAssignee {
                        old: i.assignee.clone(),
                        new: new.clone(),
                    },
                })
                .collect();
            state.commit(edits, confirm)
        }
        PromptThen::Comment if !value.is_empty() => {
            let rows = target_incidents(state);
            let confirm = (rows.len() > 1)
                .then(|| format!("Add this note to {}?", targets::describe(&rows, "incident")));
            let edits = rows
                .into_iter()
                .map(|i| Edit {
                    entity: i.entity(),
                    op: Operation::AddIncidentNote {
                        body: value.clone(),
                    },
                })
                .collect();
            state.commit(edits, confirm)
        }
        PromptThen::Resolution => {
            let now = state.now;
            let rows: Vec<&crate::domain::Incident> = target_incidents(state)
                .into_iter()
                .filter(|i| i.status != IncidentStatus::Resolved)
                .collect();
            let msg = match rows.as_slice() {
                [i] => format!("Resolve {}?", i.external_id),
                _ => format!("Resolve {}?", targets::describe(&rows, "incident")),
            };
            let edits: Vec<Edit> = rows
                .into_iter()
                .map(|i| Edit {
                    entity: i.entity(),
                    op: Operation::SetIncidentStatus {
                        old: i.status,
                        new: IncidentStatus::Resolved,
                        resolution: opt(&value),
                        at: now,
                    },
                })
                .collect();
            state.commit(edits, Some(msg))
        }
        PromptThen::SilenceDuration => {
            let secs = SILENCE_CHOICES
                .iter()
                .find(|(l, _)| *l == value)
                .map_or(3600, |(_, s)| *s);
            let name = state
                .alerts
                .selected_row()
                .map_or_else(String::new, |a| format!(" — {}", a.name));
            state.overlay = Some(text(
                &format!("silence comment{name}"),
                PromptThen::SilenceComment(secs),
            ));
            Vec::new()
        }
        PromptThen::SilenceComment(secs) => {
            let Some(alert) = state.alerts.selected_row().cloned() else {
                return Vec::new();
            };
            let matchers: Vec<(String, String)> = alert
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let comment = if value.is_empty() {
                "silenced from opsdeck".to_string()
            } else {
                value
            };
            state.commit(
                one(
                    Some(alert.entity()),
                    Operation::SilenceAlert {
                        matchers,
                        duration_secs: secs,
                        comment,
                        created_by: String::new(),
                    },
                ),
                None,
            )
        }
        PromptThen::DeclareTitle if !value.is_empty() => {
            state.overlay = Some(choice(
                "severity",
                Priority::ALL.iter().map(|p| p.to_string()).collect(),
                1,
                PromptThen::DeclareSeverity(value),
            ));
            Vec::new()
        }
        PromptThen::DeclareSeverity(title) => {
            let severity = value.parse().unwrap_or(Priority::P1);
            let service = incident.map(|i| i.service).unwrap_or_default();
            let entity = EntityRef {
                kind: crate::domain::EntityKind::Incident,
                id: 0,
            };
            state.commit(
                vec![Edit {
                    entity,
                    op: Operation::DeclareIncident {
                        title,
                        severity,
                        service,
                    },
                }],
                None,
            )
        }
        _ => Vec::new(),
    }
}
