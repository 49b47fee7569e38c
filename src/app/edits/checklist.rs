//! Checklist edits: toggle, text, owner, note, add, delete, move.

use super::{bulk_question, commit_one, edits_for, one, open, opt, refuse, text, text_with};
use crate::app::action::Action;
use crate::app::msg::Effect;
use crate::app::rows::RowView;
use crate::app::state::{PromptThen, State};
use crate::app::targets;
use crate::domain::Tab;
use crate::store::Operation;

/// Opens the prompt (or commits) for a checklist action.
pub(super) fn start(state: &mut State, action: Action) -> Vec<Effect> {
    let overlay = match (state.tab, action) {
        (Tab::Checklist, Action::ToggleItem) => {
            let rows = targets::of(&state.checklist);
            let confirm = bulk_question(&rows, "item", |what| format!("Toggle {what}?"));
            let edits = edits_for(rows, |i| Operation::SetItemChecked {
                old: i.checked,
                new: !i.checked,
            });
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
                    let down = action == Action::MoveDown;
                    return commit_one(state, Some(item.entity()), Operation::MoveItem { down });
                }
                _ => None,
            }
        }
        _ => None,
    };
    open(state, overlay)
}

/// Turns this entity's prompt answers into edits (or the next prompt).
pub(super) fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    // Single-row checklist flows: start refused when several rows are marked.
    let item = targets::single(&state.checklist).ok().flatten().cloned();
    let Some(i) = item else { return Vec::new() };
    let op = match then {
        PromptThen::ItemText if !value.is_empty() && i.text != value => Operation::SetItemText {
            old: i.text.clone(),
            new: value,
        },
        PromptThen::AddItem(above) if !value.is_empty() => {
            Operation::AddItem { text: value, above }
        }
        PromptThen::ItemOwner => Operation::SetItemOwner {
            old: i.owner.clone(),
            new: opt(value.trim_start_matches('@')),
        },
        PromptThen::ItemNote => Operation::SetItemNote {
            old: i.note.clone(),
            new: opt(&value),
        },
        _ => return Vec::new(),
    };
    commit_one(state, Some(i.entity()), op)
}
