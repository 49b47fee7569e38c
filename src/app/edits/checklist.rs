//! Checklist edits: toggle, text, owner, note, add, delete, move.

use super::{one, open, opt, refuse, text, text_with};
use crate::app::action::Action;
use crate::app::msg::{Edit, Effect};
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
        _ => None,
    };
    open(state, overlay)
}

/// Turns this entity's prompt answers into edits (or the next prompt).
pub(super) fn answer(state: &mut State, then: PromptThen, value: String) -> Vec<Effect> {
    // Single-row checklist flows: start refused when several rows are marked.
    let item = targets::single(&state.checklist).ok().flatten().cloned();
    match then {
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
        _ => Vec::new(),
    }
}
