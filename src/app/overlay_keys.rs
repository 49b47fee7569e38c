//! Keys while an overlay is open (help, sources, outbox, review take actions; prompts and the
//! palette take text input), the `/` filter's text input, and bracketed paste.

use super::action::Action;
use super::msg::{Effect, InputKey, OutboxCommand};
use super::state::{Overlay, Prompt, PromptThen, State};

impl State {
    pub(super) fn overlay_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let overlay = self.overlay.as_mut()?;
        match overlay {
            Overlay::Help { .. } => self.help_action(action),
            Overlay::Detail { .. } => self.detail_action(action),
            Overlay::Sources => {
                if matches!(action, Action::Back | Action::Help | Action::Sources) {
                    self.overlay = None;
                    return Some(Vec::new());
                }
                if action == Action::Quit {
                    return None;
                }
                Some(Vec::new())
            }
            Overlay::Outbox { entries, selected } => {
                let seq = entries.get(*selected).map(|e| e.seq);
                let fx = match action {
                    Action::Help => {
                        self.open_help_over_overlay();
                        Vec::new()
                    }
                    Action::Back | Action::Outbox => {
                        self.overlay = None;
                        Vec::new()
                    }
                    Action::SelectNext => {
                        *selected = (*selected + 1).min(entries.len().saturating_sub(1));
                        Vec::new()
                    }
                    Action::SelectPrev => {
                        *selected = selected.saturating_sub(1);
                        Vec::new()
                    }
                    Action::RetryEntry => seq
                        .map(|s| Effect::Outbox(s, OutboxCommand::Retry))
                        .into_iter()
                        .collect(),
                    Action::KeepMine => seq
                        .map(|s| Effect::Outbox(s, OutboxCommand::KeepMine))
                        .into_iter()
                        .collect(),
                    Action::TakeTheirs => seq
                        .map(|s| Effect::Outbox(s, OutboxCommand::TakeTheirs))
                        .into_iter()
                        .collect(),
                    Action::DiscardEntry => {
                        if let Some(s) = seq {
                            self.overlay = Some(Overlay::ConfirmDiscard(s));
                        }
                        Vec::new()
                    }
                    Action::Quit => return None,
                    _ => Vec::new(),
                };
                Some(fx)
            }
            Overlay::Review { page } => {
                let pages = crate::review::PAGES.len();
                let fx = match action {
                    // `q` leaves the review, not opsdeck (ctrl-c still quits from anywhere).
                    Action::Help => {
                        self.open_help_over_overlay();
                        Vec::new()
                    }
                    Action::Back | Action::Review | Action::Quit => {
                        self.overlay = None;
                        Vec::new()
                    }
                    Action::ReviewNext => {
                        *page = (*page + 1).min(pages - 1);
                        self.review_scroll_rows = 0;
                        Vec::new()
                    }
                    Action::ReviewPrev => {
                        *page = page.saturating_sub(1);
                        self.review_scroll_rows = 0;
                        Vec::new()
                    }
                    Action::SelectNext
                    | Action::SelectPrev
                    | Action::HalfPageDown
                    | Action::HalfPageUp
                    | Action::SelectFirst
                    | Action::SelectLast => {
                        let p = *page;
                        self.scroll_review(p, action);
                        Vec::new()
                    }
                    Action::Note => {
                        let p = *page;
                        self.overlay = Some(Overlay::Prompt(Prompt::text(
                            format!("note for {} (saved with the week)", crate::review::PAGES[p]),
                            PromptThen::ReviewNote,
                        )));
                        self.review_page_for_note = Some(p);
                        Vec::new()
                    }
                    Action::ReviewRefresh => vec![Effect::TakeReviewSnapshot],
                    _ => Vec::new(),
                };
                Some(fx)
            }
            _ => None,
        }
    }

    /// Pasted text goes into the open text input (filter, palette, text prompt) and nowhere
    /// else: with no input open, or a yes/no or choice question open, a paste does nothing.
    pub(super) fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        let accepts = self.filtering
            || matches!(
                self.overlay,
                Some(Overlay::Palette { .. } | Overlay::Prompt(Prompt::Text { .. }))
            );
        if !accepts {
            self.notice("paste ignored: no text field is open".into(), false);
            return Vec::new();
        }
        let clean = crate::sanitize::line(text);
        let mut fx = Vec::new();
        for c in clean.chars() {
            fx.extend(self.on_input(InputKey::Char(c)));
        }
        fx
    }

    pub(super) fn on_input(&mut self, key: InputKey) -> Vec<Effect> {
        if self.filtering {
            match key {
                InputKey::Char(c) => self.filter_mut().push(c),
                InputKey::Backspace => {
                    self.filter_mut().pop();
                }
                InputKey::Enter | InputKey::Down => self.filtering = false,
                InputKey::Esc => {
                    self.filtering = false;
                    self.filter_mut().clear();
                }
                _ => {}
            }
            self.refresh_current_view();
            return self.detail_effect();
        }
        if matches!(self.overlay, Some(Overlay::Help { .. })) {
            return self.help_input(key);
        }
        super::edits::on_overlay_input(self, key)
    }
}
