//! Keys while a prompt, a confirmation or the palette has focus, shared by every entity.

use super::answer;
use crate::app::action::Action;
use crate::app::msg::{Effect, InputKey};
use crate::app::rows::fuzzy_rank;
use crate::app::state::{Overlay, Prompt, PromptThen, State, HISTORY_PER_KIND};
use crate::sanitize;

/// Handles keys while a prompt, confirmation or the palette has focus.
pub fn on_overlay_input(state: &mut State, key: InputKey) -> Vec<Effect> {
    if matches!(state.overlay, Some(Overlay::Prompt(Prompt::Text { .. }))) {
        return text_key(state, key);
    }
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
            mut asked_once,
            edits,
        } => {
            match key {
                InputKey::Char('y' | 'Y') if asked_once => return vec![Effect::Commit(edits)],
                InputKey::Char('y' | 'Y') | InputKey::Enter if !asked_once => asked_once = true,
                InputKey::Char('n' | 'N') | InputKey::Esc => return Vec::new(),
                _ => {}
            }
            state.overlay = Some(Overlay::ConfirmTwice {
                first,
                second,
                asked_once,
                edits,
            });
            Vec::new()
        }
        Overlay::ConfirmDiscard(seq) => match key {
            InputKey::Char('y' | 'Y') | InputKey::Enter => {
                state.overlay = Some(Overlay::Outbox {
                    entries: Vec::new(),
                    selected: 0,
                });
                vec![
                    Effect::Outbox(seq, crate::app::msg::OutboxCommand::Discard),
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
                        .map(|a| state.update(crate::app::msg::Msg::Action(*a)))
                        .unwrap_or_default();
                }
                _ => {}
            }
            state.overlay = Some(Overlay::Palette { query, selected });
            Vec::new()
        }
        Overlay::Prompt(Prompt::Choice {
            title,
            options,
            mut selected,
            then,
        }) => {
            match key {
                InputKey::Up | InputKey::Char('k') => selected = selected.saturating_sub(1),
                InputKey::Down | InputKey::Char('j') => {
                    selected = (selected + 1).min(options.len().saturating_sub(1));
                }
                InputKey::Esc => return Vec::new(),
                InputKey::Enter => {
                    return match options.get(selected).cloned() {
                        Some(choice) => answer(state, then, choice),
                        None => Vec::new(),
                    };
                }
                InputKey::Char(c) => {
                    // Typing the first letters picks an option (e.g. `1` for P1, `7` for NPS 7).
                    if let Some(pos) = options.iter().position(|o| {
                        o.to_ascii_lowercase().starts_with(c.to_ascii_lowercase()) || o.ends_with(c)
                    }) {
                        selected = pos;
                    }
                }
                _ => {}
            }
            state.overlay = Some(Overlay::Prompt(Prompt::Choice {
                title,
                options,
                selected,
                then,
            }));
            Vec::new()
        }
        other => {
            state.overlay = Some(other);
            Vec::new()
        }
    }
}

/// A key in an open text prompt: shell editing keys, ↑/↓ history, Tab completion; Enter
/// answers, Esc cancels. Every other key is swallowed (it never reaches the list below).
fn text_key(state: &mut State, key: InputKey) -> Vec<Effect> {
    let State {
        overlay,
        prompt_history,
        ..
    } = state;
    let Some(Overlay::Prompt(Prompt::Text {
        input,
        then,
        completion,
        recall,
        ..
    })) = overlay
    else {
        return Vec::new();
    };
    match key {
        InputKey::Esc => {
            state.overlay = None;
            Vec::new()
        }
        InputKey::Enter => {
            let value = sanitize::line(input.text().trim());
            let then = then.clone();
            state.overlay = None;
            remember(&mut state.prompt_history, &then, &value);
            answer(state, then, value)
        }
        InputKey::Up | InputKey::Down => {
            let past = prompt_history
                .get(&then.history_key())
                .map_or(&[][..], Vec::as_slice);
            let next = match (recall.as_ref().map(|(i, _)| *i), key) {
                (None, InputKey::Up) if !past.is_empty() => Some(0),
                (Some(i), InputKey::Up) => Some((i + 1).min(past.len().saturating_sub(1))),
                (Some(i), InputKey::Down) if i > 0 => Some(i - 1),
                (Some(_), _) => None,
                (None, _) => return Vec::new(),
            };
            match next {
                Some(i) => {
                    let draft = recall
                        .take()
                        .map_or_else(|| input.text().to_string(), |(_, d)| d);
                    input.set(past.get(i).map_or("", String::as_str));
                    *recall = Some((i, draft));
                }
                None => {
                    let draft = recall.take().map(|(_, d)| d).unwrap_or_default();
                    input.set(&draft);
                }
            }
            completion.refilter(input.text());
            Vec::new()
        }
        InputKey::Tab | InputKey::BackTab => {
            if let Some(text) = completion.cycle(key == InputKey::Tab, input.text()) {
                input.set(&text);
            }
            Vec::new()
        }
        other => {
            let moves_only = matches!(
                other,
                InputKey::Left
                    | InputKey::Right
                    | InputKey::Home
                    | InputKey::End
                    | InputKey::Ctrl('a' | 'e' | 'b' | 'f')
                    | InputKey::Alt('b' | 'f')
            );
            if input.apply(other) && !moves_only {
                *recall = None;
                completion.refilter(input.text());
            }
            Vec::new()
        }
    }
}

/// Keeps a non-empty answer as the newest of its kind (once: an equal older one moves up).
fn remember(
    history: &mut std::collections::BTreeMap<String, Vec<String>>,
    then: &PromptThen,
    value: &str,
) {
    if value.is_empty() {
        return;
    }
    let past = history.entry(then.history_key()).or_default();
    past.retain(|v| v != value);
    past.insert(0, value.to_string());
    past.truncate(HISTORY_PER_KIND);
}

/// Actions the palette offers for a query, best match first.
#[must_use]
pub fn palette_actions(state: &State, query: &str) -> Vec<Action> {
    let bindings = state.bindings_for(state.key_context());
    let mut all: Vec<Action> = bindings.iter().map(|(_, _, a)| *a).collect();
    super::super::help::dedup_actions(&mut all);
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
