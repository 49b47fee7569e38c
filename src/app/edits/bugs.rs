//! Bug edits: priority, assignee, labels, comments, close / reopen / start.

use super::candidates;
use super::{
    assign, bulk_question, choice, edits_for, named, open, refuse, target_bugs, text, text_edits,
    titled,
};
use crate::app::action::Action;
use crate::app::msg::{Edit, Effect};
use crate::app::state::{PromptThen, State};
use crate::domain::{Bug, BugStatus, Priority, Tab};
use crate::store::Operation;

/// Opens the prompt (or commits) for a bug action.
pub(super) fn start(state: &mut State, action: Action) -> Vec<Effect> {
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
            assign::prompt(&target_bugs(state), "assign to (login, empty = nobody)")
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
        _ => None,
    };
    open(state, overlay)
}

fn bug_status_edits(state: &State, new: BugStatus, reason: Option<String>) -> Vec<Edit> {
    let rows = target_bugs(state).into_iter().filter(|b| b.status != new);
    edits_for(rows, |b| Operation::SetBugStatus {
        old: b.status,
        new,
        reason: reason.clone(),
    })
}

/// Turns this entity's prompt answers into edits (or the next prompt).
pub(super) fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    match then {
        PromptThen::CloseReason => {
            let edits = bug_status_edits(state, BugStatus::Closed, Some(value));
            let rows: Vec<&Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.status != BugStatus::Closed)
                .collect();
            let msg = format!("Close {}?", named(&rows, "bug"));
            state.commit(edits, Some(msg))
        }
        PromptThen::Priority => {
            let Ok(new) = value.parse::<Priority>() else {
                return Vec::new();
            };
            let rows: Vec<&Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.priority != new)
                .collect();
            let confirm = bulk_question(&rows, "bug", |what| format!("Set {what} to {new}?"));
            let edits = edits_for(rows, |b| Operation::SetBugPriority {
                old: b.priority,
                new,
            });
            state.commit(edits, confirm)
        }
        PromptThen::Assignee => assign::answer(state, target_bugs, &value),
        PromptThen::AddLabel if !value.is_empty() => {
            let rows: Vec<&Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| !b.labels.contains(&value))
                .collect();
            let what = named(&rows, "bug");
            // Labels can be new: a label no loaded bug carries asks, it is not refused.
            let confirm = if candidates::labels(state).contains(&value) {
                (rows.len() > 1).then(|| format!("Label {what} with \"{value}\"?"))
            } else {
                Some(format!("Add new label '{value}' to {what}?"))
            };
            let edits = edits_for(rows, |_| Operation::AddBugLabel {
                label: value.clone(),
            });
            state.commit(edits, confirm)
        }
        PromptThen::RemoveLabel if !value.is_empty() => {
            let rows: Vec<&Bug> = target_bugs(state)
                .into_iter()
                .filter(|b| b.labels.contains(&value))
                .collect();
            let confirm = bulk_question(&rows, "bug", |what| {
                format!("Remove label \"{value}\" from {what}?")
            });
            let edits = edits_for(rows, |_| Operation::RemoveBugLabel {
                label: value.clone(),
            });
            state.commit(edits, confirm)
        }
        PromptThen::Comment if !value.is_empty() => {
            let (edits, confirm) = text_edits(
                &target_bugs(state),
                "bug",
                &value,
                |quote, what| format!("Comment {quote} on {what}?"),
                |body| Operation::AddBugComment { body },
            );
            state.commit(edits, confirm)
        }
        _ => Vec::new(),
    }
}
