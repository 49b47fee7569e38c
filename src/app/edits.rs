//! Edit flows: which prompt or confirmation an action opens, and what it commits.
//!
//! Every edit ends as an absolute-target [`Operation`] carrying the old value the user saw.
//! Resolve, close, delete and any bulk action ask for confirmation first.

use super::action::Action;
use super::msg::{Edit, Effect, InputKey};
use super::rows::{fuzzy_rank, RowView};
use super::state::{Overlay, Prompt, PromptThen, State};
use super::targets;
use super::update::SILENCE_CHOICES;
use crate::domain::{BugStatus, ChurnRisk, EntityRef, IncidentStatus, NoteKind, Priority, Tab};
use crate::sanitize;
use crate::store::Operation;

fn text(title: &str, then: PromptThen) -> Overlay {
    Overlay::Prompt(Prompt::Text {
        title: title.to_string(),
        text: String::new(),
        then,
    })
}

fn text_with(title: &str, initial: &str, then: PromptThen) -> Overlay {
    Overlay::Prompt(Prompt::Text {
        title: title.to_string(),
        text: initial.to_string(),
        then,
    })
}

fn choice(title: &str, options: Vec<String>, selected: usize, then: PromptThen) -> Overlay {
    Overlay::Prompt(Prompt::Choice {
        title: title.to_string(),
        options,
        selected,
        then,
    })
}

/// Customer fields `e` can edit.
pub const CUSTOMER_FIELDS: &[&str] = &[
    "stage",
    "owner",
    "vertical",
    "acv_usd",
    "usage_days_per_week",
    "feature_adoption_pct",
    "engagement",
    "poc_start",
    "signed_on",
    "go_live",
    "name",
];

/// Bugs the action applies to (see [`super::targets`]).
fn target_bugs(state: &State) -> Vec<&crate::domain::Bug> {
    targets::of(&state.bugs)
}

fn target_incidents(state: &State) -> Vec<&crate::domain::Incident> {
    targets::of(&state.incidents)
}

/// A prompt title that names the targets when there are several.
fn titled<R: RowView>(title: &str, rows: &[&R], noun: &str) -> String {
    if rows.len() > 1 {
        format!("{title} — {}", targets::describe(rows, noun))
    } else {
        title.to_string()
    }
}

fn refuse(state: &mut State, text: String) -> Vec<Effect> {
    state.toast = Some(super::state::Toast {
        text,
        error: true,
        at: state.now,
    });
    Vec::new()
}

/// Starts the flow for an editing action in the current tab.
pub fn start_edit(state: &mut State, action: Action) -> Vec<Effect> {
    let on_folded = state.tab == Tab::Checklist
        && state
            .checklist
            .selected_row()
            .is_some_and(|i| state.folded.contains(&i.section));
    if on_folded {
        // The row stands for a folded section: never edit the hidden item behind it.
        state.toast = Some(super::state::Toast {
            text: "this section is folded: press z to unfold it first".into(),
            error: true,
            at: state.now,
        });
        return Vec::new();
    }
    let overlay = match (state.tab, action) {
        (Tab::Bugs, Action::SetPriority) => {
            let rows = target_bugs(state);
            rows.first().map(|b| {
                choice(
                    &titled("priority", &rows, "bug"),
                    Priority::ALL.iter().map(|p| p.to_string()).collect(),
                    usize::from(b.priority.rank()),
                    PromptThen::Priority,
                )
            })
        }
        (Tab::Bugs, Action::Assign) => {
            let rows = target_bugs(state);
            let initial = match rows.as_slice() {
                [b] => b.assignee.as_deref().unwrap_or(""),
                _ => "",
            };
            (!rows.is_empty()).then(|| {
                text_with(
                    &titled("assign to (login, empty = nobody)", &rows, "bug"),
                    initial,
                    PromptThen::Assignee,
                )
            })
        }
        (Tab::Bugs, Action::CloseBug) => (!target_bugs(state).is_empty()).then(|| {
            choice(
                &titled("close reason", &target_bugs(state), "bug"),
                vec!["completed".into(), "not_planned".into(), "duplicate".into()],
                0,
                PromptThen::CloseReason,
            )
        }),
        (Tab::Bugs, Action::ReopenBug) => {
            let edits = bug_status_edits(state, BugStatus::Open, None);
            return state.commit(edits, None);
        }
        (Tab::Bugs, Action::StartBug) => {
            let edits = bug_status_edits(state, BugStatus::InProgress, None);
            return state.commit(edits, None);
        }
        (Tab::Bugs, Action::AddLabel) => {
            let rows = target_bugs(state);
            (!rows.is_empty())
                .then(|| text(&titled("label to add", &rows, "bug"), PromptThen::AddLabel))
        }
        (Tab::Bugs, Action::RemoveLabel) => {
            let rows = target_bugs(state);
            let labels: std::collections::BTreeSet<String> =
                rows.iter().flat_map(|b| b.labels.iter().cloned()).collect();
            if !rows.is_empty() && labels.is_empty() {
                return refuse(state, "no label to remove".into());
            }
            (!rows.is_empty()).then(|| {
                choice(
                    &titled("label to remove", &rows, "bug"),
                    labels.into_iter().collect(),
                    0,
                    PromptThen::RemoveLabel,
                )
            })
        }
        (Tab::Bugs, Action::Comment) => {
            let rows = target_bugs(state);
            (!rows.is_empty()).then(|| text(&titled("comment", &rows, "bug"), PromptThen::Comment))
        }
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
                state.toast = Some(super::state::Toast {
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
            let initial = match rows.as_slice() {
                [i] => i.assignee.as_deref().unwrap_or(""),
                _ => "",
            };
            (!rows.is_empty()).then(|| {
                text_with(
                    &titled("reassign to", &rows, "incident"),
                    initial,
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
            state.alerts.selected_row().map(|_| {
                choice(
                    "silence for",
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
            return super::silences::expire(state);
        }
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
        (Tab::Checklist, Action::ToggleItem) => {
            let rows = targets::of(&state.checklist);
            let edits: Vec<Edit> = rows
                .iter()
                .map(|i| Edit {
                    entity: i.entity(),
                    op: Operation::SetItemChecked {
                        old: i.checked,
                        new: !i.checked,
                    },
                })
                .collect();
            let confirm =
                (edits.len() > 1).then(|| format!("Toggle {}?", targets::describe(&rows, "item")));
            return state.commit(edits, confirm);
        }
        (
            Tab::Checklist,
            Action::Edit
            | Action::SetOwner
            | Action::Note
            | Action::AddBelow
            | Action::AddAbove
            | Action::DeleteItem
            | Action::MoveDown
            | Action::MoveUp,
        ) => {
            let item = match targets::single(&state.checklist) {
                Ok(Some(i)) => i.clone(),
                Ok(None) => return refuse(state, "no item selected".into()),
                Err(n) => return refuse(state, targets::refuse_many(action.name(), n)),
            };
            match action {
                Action::Edit => Some(text_with("item text", &item.text, PromptThen::ItemText)),
                Action::SetOwner => Some(text_with(
                    "owner (without @)",
                    item.owner.as_deref().unwrap_or(""),
                    PromptThen::ItemOwner,
                )),
                Action::Note => Some(text_with(
                    "note (kept in opsdeck, not written to the file)",
                    item.note.as_deref().unwrap_or(""),
                    PromptThen::ItemNote,
                )),
                Action::AddBelow => Some(text("new item below", PromptThen::AddItem(false))),
                Action::AddAbove => Some(text("new item above", PromptThen::AddItem(true))),
                Action::DeleteItem => {
                    let edits = one(
                        Some(item.entity()),
                        Operation::DeleteItem {
                            text: item.text.clone(),
                            checked: item.checked,
                        },
                    );
                    let msg = format!("Delete item \"{}\"?", item.text);
                    return state.commit(edits, Some(msg));
                }
                Action::MoveDown | Action::MoveUp => {
                    let edits = one(
                        Some(item.entity()),
                        Operation::MoveItem {
                            down: action == Action::MoveDown,
                        },
                    );
                    return state.commit(edits, None);
                }
                _ => None,
            }
        }
        (Tab::Customers, Action::RecordNps) => state.customers.selected_row().map(|_| {
            choice(
                "NPS score (0–10)",
                (0..=10).map(|n| n.to_string()).collect(),
                8,
                PromptThen::NpsScore,
            )
        }),
        (Tab::Customers, Action::Note) => state.customers.selected_row().map(|_| {
            text(
                "feedback note (prefix with 'fr:' for a feature request)",
                PromptThen::CustomerNote,
            )
        }),
        (Tab::Customers, Action::Edit) => state.customers.selected_row().map(|_| {
            choice(
                "field",
                CUSTOMER_FIELDS.iter().map(|s| (*s).to_string()).collect(),
                0,
                PromptThen::CustomerField,
            )
        }),
        (Tab::Customers, Action::ChurnRisk) => {
            let edits: Vec<Edit> = state
                .customers
                .selected_row()
                .map(|c| {
                    let pos = ChurnRisk::ALL
                        .iter()
                        .position(|r| *r == c.churn_risk)
                        .unwrap_or(0);
                    let new = ChurnRisk::ALL[(pos + 1) % ChurnRisk::ALL.len()];
                    Edit {
                        entity: c.entity(),
                        op: Operation::SetChurnRisk {
                            old: c.churn_risk,
                            new,
                        },
                    }
                })
                .into_iter()
                .collect();
            return state.commit(edits, None);
        }
        _ => None,
    };
    if let Some(o) = overlay {
        state.overlay = Some(o);
    }
    Vec::new()
}

fn bug_status_edits(state: &State, new: BugStatus, reason: Option<String>) -> Vec<Edit> {
    target_bugs(state)
        .into_iter()
        .filter(|b| b.status != new)
        .map(|b| Edit {
            entity: b.entity(),
            op: Operation::SetBugStatus {
                old: b.status,
                new,
                reason: reason.clone(),
            },
        })
        .collect()
}

/// Handles keys while a prompt, confirmation or the palette has focus.
pub fn on_overlay_input(state: &mut State, key: InputKey) -> Vec<Effect> {
    let Some(overlay) = state.overlay.take() else {
        return Vec::new();
    };
    match overlay {
        Overlay::Confirm { message, edits } => match key {
            InputKey::Char('y' | 'Y') | InputKey::Enter => vec![Effect::Commit(edits)],
            InputKey::Char('n' | 'N') | InputKey::Esc => Vec::new(),
            _ => {
                state.overlay = Some(Overlay::Confirm { message, edits });
                Vec::new()
            }
        },
        Overlay::ConfirmTwice {
            first,
            second,
            asked_once,
            edits,
        } => match key {
            InputKey::Char('y' | 'Y') if asked_once => vec![Effect::Commit(edits)],
            InputKey::Char('y' | 'Y') | InputKey::Enter if !asked_once => {
                state.overlay = Some(Overlay::ConfirmTwice {
                    first,
                    second,
                    asked_once: true,
                    edits,
                });
                Vec::new()
            }
            InputKey::Char('n' | 'N') | InputKey::Esc => Vec::new(),
            _ => {
                state.overlay = Some(Overlay::ConfirmTwice {
                    first,
                    second,
                    asked_once,
                    edits,
                });
                Vec::new()
            }
        },
        Overlay::ConfirmDiscard(seq) => match key {
            InputKey::Char('y' | 'Y') | InputKey::Enter => {
                state.overlay = Some(Overlay::Outbox {
                    entries: Vec::new(),
                    selected: 0,
                });
                vec![
                    Effect::Outbox(seq, super::msg::OutboxCommand::Discard),
                    Effect::LoadOutbox,
                ]
            }
            _ => {
                state.overlay = Some(Overlay::Outbox {
                    entries: Vec::new(),
                    selected: 0,
                });
                vec![Effect::LoadOutbox]
            }
        },
        Overlay::Palette {
            mut query,
            mut selected,
        } => {
            let actions = palette_actions(state, &query);
            match key {
                InputKey::Char(c) => {
                    query.push(c);
                    selected = 0;
                }
                InputKey::Backspace => {
                    query.pop();
                    selected = 0;
                }
                InputKey::Up => selected = selected.saturating_sub(1),
                InputKey::Down => selected = (selected + 1).min(actions.len().saturating_sub(1)),
                InputKey::Esc => return Vec::new(),
                InputKey::Enter => {
                    return actions
                        .get(selected)
                        .map(|a| state.update(super::msg::Msg::Action(*a)))
                        .unwrap_or_default();
                }
            }
            state.overlay = Some(Overlay::Palette { query, selected });
            Vec::new()
        }
        Overlay::Prompt(Prompt::Text {
            title,
            mut text,
            then,
        }) => match key {
            InputKey::Char(c) => {
                if text.len() < 4096 {
                    text.push(c);
                }
                state.overlay = Some(Overlay::Prompt(Prompt::Text { title, text, then }));
                Vec::new()
            }
            InputKey::Backspace => {
                text.pop();
                state.overlay = Some(Overlay::Prompt(Prompt::Text { title, text, then }));
                Vec::new()
            }
            InputKey::Esc => Vec::new(),
            InputKey::Up | InputKey::Down => {
                state.overlay = Some(Overlay::Prompt(Prompt::Text { title, text, then }));
                Vec::new()
            }
            InputKey::Enter => answer(state, then, sanitize::line(text.trim())),
        },
        Overlay::Prompt(Prompt::Choice {
            title,
            options,
            mut selected,
            then,
        }) => match key {
            InputKey::Up | InputKey::Char('k') => {
                selected = selected.saturating_sub(1);
                state.overlay = Some(Overlay::Prompt(Prompt::Choice {
                    title,
                    options,
                    selected,
                    then,
                }));
                Vec::new()
            }
            InputKey::Down | InputKey::Char('j') => {
                selected = (selected + 1).min(options.len().saturating_sub(1));
                state.overlay = Some(Overlay::Prompt(Prompt::Choice {
                    title,
                    options,
                    selected,
                    then,
                }));
                Vec::new()
            }
            InputKey::Esc => Vec::new(),
            InputKey::Enter => match options.get(selected).cloned() {
                Some(choice) => answer(state, then, choice),
                None => Vec::new(),
            },
            InputKey::Char(c) => {
                // Typing the first letters picks an option (e.g. `1` for P1, `7` for NPS 7).
                if let Some(pos) = options.iter().position(|o| {
                    o.to_ascii_lowercase().starts_with(c.to_ascii_lowercase()) || o.ends_with(c)
                }) {
                    selected = pos;
                }
                state.overlay = Some(Overlay::Prompt(Prompt::Choice {
                    title,
                    options,
                    selected,
                    then,
                }));
                Vec::new()
            }
            InputKey::Backspace => {
                state.overlay = Some(Overlay::Prompt(Prompt::Choice {
                    title,
                    options,
                    selected,
                    then,
                }));
                Vec::new()
            }
        },
        other => {
            state.overlay = Some(other);
            Vec::new()
        }
    }
}

/// Actions the palette offers for a query, best match first.
#[must_use]
pub fn palette_actions(state: &State, query: &str) -> Vec<Action> {
    let bindings = state.bindings_for(state.key_context());
    let mut all: Vec<Action> = bindings.iter().map(|(_, _, a)| *a).collect();
    super::help::dedup_actions(&mut all);
    for a in Action::ALL {
        if !all.contains(a) {
            all.push(*a);
        }
    }
    let labels: Vec<String> = all
        .iter()
        .map(|a| format!("{} {}", a.name(), a.description()))
        .collect();
    fuzzy_rank(
        query,
        labels.iter().enumerate().map(|(i, s)| (i, s.as_str())),
    )
    .into_iter()
    .filter_map(|i| all.get(i).copied())
    .collect()
}

fn one(entity: Option<EntityRef>, op: Operation) -> Vec<Edit> {
    entity
        .map(|entity| Edit { entity, op })
        .into_iter()
        .collect()
}

/// Turns a prompt's answer into edits (or the next prompt).
#[allow(
    clippy::too_many_lines,
    reason = "one arm per prompt keeps each flow readable in one place"
)]
fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    let incident = state.incidents.selected_row().cloned();
    // Single-row checklist flows: start_edit refused when several rows are marked.
    let item = targets::single(&state.checklist).ok().flatten().cloned();
    let customer = state.customers.selected_row().cloned();
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
    match then {
        PromptThen::CloseReason => {
            let edits = bug_status_edits(state, BugStatus::Closed, Some(value));
            let rows: Vec<&crate::domain::Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.status != BugStatus::Closed)
                .collect();
            let msg = match rows.as_slice() {
                [b] => format!("Close {}?", b.key),
                _ => format!("Close {}?", targets::describe(&rows, "bug")),
            };
            state.commit(edits, Some(msg))
        }
        PromptThen::Priority => {
            let Ok(new) = value.parse::<Priority>() else {
                return Vec::new();
            };
            let rows: Vec<&crate::domain::Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.priority != new)
                .collect();
            let confirm = (rows.len() > 1)
                .then(|| format!("Set {} to {new}?", targets::describe(&rows, "bug")));
            let edits: Vec<Edit> = rows
                .into_iter()
                .map(|b| Edit {
                    entity: b.entity(),
                    op: Operation::SetBugPriority {
                        old: b.priority,
                        new,
                    },
                })
                .collect();
            state.commit(edits, confirm)
        }
        PromptThen::Assignee if state.tab == Tab::Incidents => {
            let new = opt(&value);
            let rows: Vec<&crate::domain::Incident> = target_incidents(state)
                .into_iter()
                .filter(|i| i.assignee != new)
                .collect();
            let confirm = (rows.len() > 1).then(|| {
                format!(
                    "Reassign {} to {}?",
                    targets::describe(&rows, "incident"),
                    new.as_deref().unwrap_or("nobody")
                )
            });
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
        PromptThen::Assignee => {
            let new = opt(&value);
            let rows: Vec<&crate::domain::Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.assignee != new)
                .collect();
            let confirm = (rows.len() > 1).then(|| {
                format!(
                    "Assign {} to {}?",
                    targets::describe(&rows, "bug"),
                    new.as_deref().unwrap_or("nobody")
                )
            });
            let edits = rows
                .into_iter()
                .map(|b| Edit {
                    entity: b.entity(),
                    op: Operation::SetBugAssignee {
                        old: b.assignee.clone(),
                        new: new.clone(),
                    },
                })
                .collect();
            state.commit(edits, confirm)
        }
        PromptThen::AddLabel if !value.is_empty() => {
            let rows: Vec<&crate::domain::Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| !b.labels.contains(&value))
                .collect();
            let confirm = (rows.len() > 1).then(|| {
                format!(
                    "Label {} with \"{value}\"?",
                    targets::describe(&rows, "bug")
                )
            });
            let edits = rows
                .into_iter()
                .map(|b| Edit {
                    entity: b.entity(),
                    op: Operation::AddBugLabel {
                        label: value.clone(),
                    },
                })
                .collect();
            state.commit(edits, confirm)
        }
        PromptThen::RemoveLabel if !value.is_empty() => {
            let rows: Vec<&crate::domain::Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.labels.contains(&value))
                .collect();
            let confirm = (rows.len() > 1).then(|| {
                format!(
                    "Remove label \"{value}\" from {}?",
                    targets::describe(&rows, "bug")
                )
            });
            let edits = rows
                .into_iter()
                .map(|b| Edit {
                    entity: b.entity(),
                    op: Operation::RemoveBugLabel {
                        label: value.clone(),
                    },
                })
                .collect();
            state.commit(edits, confirm)
        }
        PromptThen::Comment if !value.is_empty() => {
            if state.tab == Tab::Incidents {
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
            } else {
                let rows = target_bugs(state);
                let confirm = (rows.len() > 1)
                    .then(|| format!("Comment on {}?", targets::describe(&rows, "bug")));
                let edits = rows
                    .into_iter()
                    .map(|b| Edit {
                        entity: b.entity(),
                        op: Operation::AddBugComment {
                            body: value.clone(),
                        },
                    })
                    .collect();
                state.commit(edits, confirm)
            }
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
            state.overlay = Some(text("silence comment", PromptThen::SilenceComment(secs)));
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
                state.toast = Some(super::state::Toast {
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
        PromptThen::ItemText if !value.is_empty() => {
            let Some(i) = item else { return Vec::new() };
            if i.text == value {
                return Vec::new();
            }
            state.commit(
                one(
                    Some(i.entity()),
                    Operation::SetItemText {
                        old: i.text.clone(),
                        new: value,
                    },
                ),
                None,
            )
        }
        PromptThen::AddItem(above) if !value.is_empty() => {
            let Some(i) = item else { return Vec::new() };
            state.commit(
                one(Some(i.entity()), Operation::AddItem { text: value, above }),
                None,
            )
        }
        PromptThen::ItemOwner => {
            let Some(i) = item else { return Vec::new() };
            let new = opt(value.trim_start_matches('@'));
            state.commit(
                one(
                    Some(i.entity()),
                    Operation::SetItemOwner {
                        old: i.owner.clone(),
                        new,
                    },
                ),
                None,
            )
        }
        PromptThen::ItemNote => {
            let Some(i) = item else { return Vec::new() };
            state.commit(
                one(
                    Some(i.entity()),
                    Operation::SetItemNote {
                        old: i.note.clone(),
                        new: opt(&value),
                    },
                ),
                None,
            )
        }
        PromptThen::NpsScore => {
            let Ok(score) = value.parse::<u8>() else {
                return Vec::new();
            };
            if score > 10 {
                return Vec::new();
            }
            state.commit(
                one(
                    customer.map(|c| c.entity()),
                    Operation::RecordNps {
                        score,
                        comment: String::new(),
                    },
                ),
                None,
            )
        }
        PromptThen::CustomerNote if !value.is_empty() => {
            let (kind, text) = match value.strip_prefix("fr:") {
                Some(rest) => (NoteKind::FeatureRequest, rest.trim().to_string()),
                None => (NoteKind::Feedback, value),
            };
            state.commit(
                one(
                    customer.map(|c| c.entity()),
                    Operation::AddCustomerNote { kind, text },
                ),
                None,
            )
        }
        PromptThen::CustomerField => {
            state.overlay = Some(text(
                &format!("new value for {value}"),
                PromptThen::CustomerValue(value),
            ));
            Vec::new()
        }
        PromptThen::CustomerValue(field) => {
            let Some(c) = customer else { return Vec::new() };
            if let Err(e) = validate_customer_value(&field, &value) {
                state.toast = Some(super::state::Toast {
                    text: e,
                    error: true,
                    at: state.now,
                });
                return Vec::new();
            }
            let old = customer_field_value(&c, &field);
            state.commit(
                one(
                    Some(c.entity()),
                    Operation::SetCustomerField {
                        field,
                        old,
                        new: opt(&value),
                    },
                ),
                None,
            )
        }
        PromptThen::ReviewNote => {
            let page = state.review_page_for_note.take().unwrap_or(0);
            state.overlay = Some(Overlay::Review { page });
            let week = state
                .review
                .as_ref()
                .map(|r| r.week.clone())
                .unwrap_or_default();
            let area = crate::review::PAGES
                .get(page)
                .copied()
                .unwrap_or("notes")
                .to_string();
            if value.is_empty() {
                Vec::new()
            } else {
                vec![Effect::SaveReviewNote {
                    week,
                    area,
                    text: value,
                }]
            }
        }
        _ => Vec::new(),
    }
}

fn validate_customer_value(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let number = |lo: f64, hi: f64| -> Result<(), String> {
        match value.parse::<f64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(()),
            _ => Err(format!("{field} must be a number from {lo} to {hi}")),
        }
    };
    match field {
        "stage" => value
            .parse::<crate::domain::Stage>()
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "acv_usd" => value
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| "acv_usd must be whole dollars".to_string()),
        "usage_days_per_week" => number(0.0, 7.0),
        "feature_adoption_pct" | "engagement" => number(0.0, 100.0),
        "poc_start" | "signed_on" | "go_live" => {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|_| ())
                .map_err(|_| format!("{field} must be a date like 2026-11-22"))
        }
        _ => Ok(()),
    }
}

fn customer_field_value(c: &crate::domain::Customer, field: &str) -> Option<String> {
    match field {
        "stage" => Some(c.stage.to_string()),
        "owner" => Some(c.owner.clone()),
        "vertical" => Some(c.vertical.clone()),
        "name" => Some(c.name.clone()),
        "acv_usd" => Some(c.acv_usd.to_string()),
        "usage_days_per_week" => c.usage_days_per_week.map(|v| v.to_string()),
        "feature_adoption_pct" => c.feature_adoption_pct.map(|v| v.to_string()),
        "engagement" => c.engagement.map(|v| v.to_string()),
        "poc_start" => c.poc_start.map(|d| d.to_string()),
        "signed_on" => c.signed_on.map(|d| d.to_string()),
        "go_live" => c.go_live.map(|d| d.to_string()),
        _ => None,
    }
}
