//! Modal overlays drawn centered over the tabs with `Clear` underneath: the command palette,
//! prompts, confirmations and the review placeholder. The outbox and sources views live in
//! [`super::outbox_view`], help in [`super::help`].
//!
//! Help and the palette are generated from `state.bindings` (the live keymap), so they can never
//! disagree with what the keys do.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::boxes::{boxed, centered};
use crate::app::action::Action;
use crate::app::state::{Overlay, State};
use crate::ui::text::fit;
use crate::ui::theme::Theme;

/// Any overlay.
pub struct OverlayView<'a> {
    /// The state.
    pub state: &'a State,
    /// Which overlay.
    pub overlay: &'a Overlay,
    /// The theme.
    pub theme: Theme,
}

/// Rows the lines take once wrapped inside a box `w` wide (borders excluded).
fn wrapped_height(lines: &[Line<'_>], w: u16) -> usize {
    let inner = usize::from(w.saturating_sub(2)).max(1);
    lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum()
}

fn u16_of(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The primary key bound to `action` in the current context (`q` before `ctrl-c`), as text.
#[must_use]
pub fn key_of(state: &State, action: Action) -> Option<String> {
    crate::app::help::primary_key(state.bindings_for(state.key_context()), action)
        .map(|k| k.to_string())
}

impl Widget for &OverlayView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        match self.overlay {
            Overlay::Help {
                scroll,
                query,
                searching,
            } => super::help::help(self.state, (*scroll, query, *searching), t, area, buf),
            // Drawn in place of the tab body by `ui::draw`.
            Overlay::Detail { .. } => {}
            Overlay::Palette { query, selected } => {
                palette(self.state, query, *selected, t, area, buf)
            }
            Overlay::Prompt(p) => super::prompt::prompt(p, t, area, buf),
            Overlay::ConfirmTwice {
                first,
                second,
                asked_once,
                ..
            } => {
                let (text, keys) = if *asked_once {
                    (second, "y = yes, expire it · n/esc = no")
                } else {
                    (first, "y/enter = continue · n/esc = no")
                };
                let mut lines: Vec<Line<'_>> = text.lines().map(Line::raw).collect();
                lines.push(Line::raw(""));
                lines.push(Line::styled(keys, t.warn()));
                let w = area.width.saturating_sub(8).clamp(10, 72);
                let h = u16_of(wrapped_height(&lines, w) + 3);
                boxed("Confirm", lines, t, centered(area, w, h), buf);
            }
            Overlay::Confirm { message, edits } => {
                let mut lines: Vec<Line<'_>> =
                    message.lines().map(|l| Line::raw(l.to_string())).collect();
                if edits.len() > 1 {
                    lines.push(Line::styled(format!("{} edits", edits.len()), t.dim()));
                }
                confirm(&lines, t, area, buf);
            }
            Overlay::ConfirmDiscard(seq) => {
                let lines = vec![Line::raw(format!(
                    "Discard outbox entry #{seq}? The edit will not be pushed."
                ))];
                confirm(&lines, t, area, buf);
            }
            Overlay::Outbox { entries, selected } => {
                super::outbox_view::outbox(self.state, entries, *selected, t, area, buf)
            }
            Overlay::Sources => super::outbox_view::sources(self.state, t, area, buf),
            Overlay::Review { page } => review(*page, t, area, buf),
        }
    }
}

fn palette(state: &State, query: &str, selected: usize, t: Theme, area: Rect, buf: &mut Buffer) {
    let actions = crate::app::edits::palette_actions(state, query);
    let w = area.width.saturating_sub(8).clamp(10, 80);
    let h = area.height.saturating_sub(4).clamp(3, 20);
    let rect = centered(area, w, h);
    let visible = usize::from(h.saturating_sub(3));
    let start = selected.saturating_sub(visible.saturating_sub(1));
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", t.warn()),
        Span::raw(query.to_string()),
        Span::styled("▏", t.bold()),
    ])];
    for (i, a) in actions.iter().enumerate().skip(start).take(visible) {
        let key = key_of(state, *a).unwrap_or_default();
        let text = format!("{:<20} {:<8} {}", a.name(), key, a.description());
        let style = if i == selected {
            t.selected()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::styled(
            fit(&text, usize::from(w.saturating_sub(2))),
            style,
        ));
    }
    if actions.is_empty() {
        lines.push(Line::styled("no matching action", t.dim()));
    }
    boxed(
        "Command palette — enter to run · esc to close",
        lines,
        t,
        rect,
        buf,
    );
}

fn confirm(message: &[Line<'_>], t: Theme, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(8).clamp(10, 64);
    let mut lines = message.to_vec();
    lines.push(Line::raw(""));
    lines.push(Line::styled("y/enter = yes · n/esc = no", t.warn()));
    let h = u16_of(wrapped_height(&lines, w) + 3);
    boxed("Confirm", lines, t, centered(area, w, h), buf);
}

fn review(page: usize, t: Theme, area: Rect, buf: &mut Buffer) {
    let pages = crate::review::PAGES;
    let mut lines = vec![Line::styled("Friday review", t.bold()), Line::raw("")];
    let spans: Vec<Span<'_>> = pages
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let style = if i == page { t.selected() } else { t.dim() };
            [
                Span::styled(format!(" {} {p} ", i + 1), style),
                Span::raw(" "),
            ]
        })
        .collect();
    lines.push(Line::from(spans));
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        "page {} of {}: {}",
        page + 1,
        pages.len(),
        pages.get(page).copied().unwrap_or("—")
    )));
    lines.push(Line::styled(
        "The review pages are filled in by the review module.",
        t.dim(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled("n/p to move · esc to leave", t.warn()));
    let w = area.width.saturating_sub(4).min(90);
    let h = area.height.saturating_sub(2).min(14);
    boxed("Review", lines, t, centered(area, w, h), buf);
}
