//! The key-hint footer (like lazygit's): one line under the tab with the 4–6 most useful keys
//! of the focused list, named from the live keymap ([`crate::app::help::key_hints`]). Hints
//! that do not fit are dropped from the right; the line never wraps. In the full-screen detail
//! it shows that view's keys instead. Off with `[ui] key_hints = false`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use crate::app::state::{Overlay, State};
use crate::ui::theme::Theme;

/// The footer.
pub struct KeyHints<'a> {
    /// The state.
    pub state: &'a State,
    /// The theme.
    pub theme: Theme,
}

/// The `(key, label)` pairs shown for the current view.
#[must_use]
pub fn hints(state: &State) -> Vec<(String, &'static str)> {
    if matches!(state.overlay, Some(Overlay::Detail { .. })) {
        return vec![
            ("j/k".into(), "scroll"),
            ("ctrl-d/u".into(), "half page"),
            ("g/G".into(), "top/end"),
            ("esc".into(), "back to the list"),
        ];
    }
    crate::app::help::key_hints(state)
}

impl Widget for &KeyHints<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let sep = if t.ascii { " | " } else { " · " };
        let width = usize::from(area.width);
        let mut used = 0;
        let mut spans = Vec::new();
        for (i, (key, label)) in hints(self.state).into_iter().enumerate() {
            let lead = if i == 0 { "" } else { sep };
            let w = lead.width() + key.width() + 1 + label.width();
            if used + w > width {
                break;
            }
            used += w;
            if i > 0 {
                spans.push(Span::styled(lead, t.dim()));
            }
            spans.push(Span::styled(key, t.warn()));
            spans.push(Span::styled(format!(" {label}"), t.dim()));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}
