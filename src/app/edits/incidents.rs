//! Incident and alert edits: acknowledge, resolve, reassign, notes, declare, silence.

use super::{
    assign, bulk_question, choice, commit_new, commit_one, edits_for, named, open, opt, refuse,
    target_incidents, text, text_edits, titled,
};
use crate::app::action::Action;
use crate::app::msg::Effect;
use crate::app::rows::RowView;
use crate::app::state::{PromptThen, State};
use crate::domain::{EntityKind, Incident, IncidentStatus, Priority, Tab};
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
            let rows: Vec<&Incident> = target_incidents(state)
                .into_iter()
                .filter(|i| i.status == IncidentStatus::Triggered)
                .collect();
            let confirm = bulk_question(&rows, "incident", |what| format!("Acknowledge {what}?"));
            let edits = edits_for(rows, |i| Operation::SetIncidentStatus {
                old: i.status,
                new: IncidentStatus::Acknowledged,
                resolution: None,
                at: now,
            });
            if edits.is_empty() {
                return refuse(
                    state,
                    "nothing to acknowledge: the incident is not triggered".into(),
                );
            }
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
            assign::prompt(&target_incidents(state), "reassign to")
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
            assign::answer(state, target_incidents, &value)
        }
        PromptThen::Comment if !value.is_empty() => {
            let (edits, confirm) = text_edits(
                &target_incidents(state),
                "incident",
                &value,
                |quote, what| format!("Add the note {quote} to {what}?"),
                |body| Operation::AddIncidentNote { body },
            );
            state.commit(edits, confirm)
        }
        PromptThen::Resolution => {
            let now = state.now;
            let rows: Vec<&Incident> = target_incidents(state)
                .into_iter()
                .filter(|i| i.status != IncidentStatus::Resolved)
                .collect();
            let msg = format!("Resolve {}?", named(&rows, "incident"));
            let edits = edits_for(rows, |i| Operation::SetIncidentStatus {
                old: i.status,
                new: IncidentStatus::Resolved,
                resolution: opt(&value),
                at: now,
            });
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
            commit_one(
                state,
                Some(alert.entity()),
                Operation::SilenceAlert {
                    matchers,
                    duration_secs: secs,
                    comment,
                    created_by: String::new(),
                },
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
            commit_new(
                state,
                EntityKind::Incident,
                Operation::DeclareIncident {
                    title,
                    severity,
                    service,
                },
            )
        }
        _ => Vec::new(),
    }
}
