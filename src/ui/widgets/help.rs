//! The `?` help overlay: one scrollable column of the lines [`crate::app::help::help_lines`]
//! gives (this scope's keys under a heading, then the lists' and the global ones), a search
//! line, and a footer with the keys and the position (`12-31/58`).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::app::help::{help_lines, help_rows, HelpLine, HELP_CHROME_ROWS};
use crate::app::state::State;
use crate::ui::text::fit;
use crate::ui::theme::Theme;

/// Draws help over `area`; `view` is the overlay's `(scroll, query, searching)`.
pub fn help(state: &State, view: (usize, &str, bool), t: Theme, area: Rect, buf: &mut Buffer) {
    let (scroll, query, searching) = view;
    let lines = help_lines(state, query);
    let rows = help_rows(area.height);
    let scroll = scroll.min(lines.len().saturating_sub(rows));
    let w = area.width.saturating_sub(4).min(76);
    let rect = super::boxes::centered(area, w, area.height.saturating_sub(2).max(HELP_CHROME_ROWS));
    Clear.render(rect, buf);
    let block = t.block().title(Span::styled(" Keys ", t.bold()));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [search, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    let width = usize::from(inner.width);
    let search_line = if searching || !query.is_empty() {
        let cursor = if searching { "_" } else { "" };
        Line::from(vec![
            Span::styled("/", t.warn()),
            Span::raw(format!("{query}{cursor}")),
            Span::styled(
                if searching {
                    "   enter keep · esc clear"
                } else {
                    "   esc clear"
                },
                t.dim(),
            ),
        ])
    } else {
        Line::styled("/ to search keys and actions", t.dim())
    };
    Paragraph::new(search_line).render(search, buf);
    let shown: Vec<Line<'static>> = lines
        .iter()
        .skip(scroll)
        .take(usize::from(body.height))
        .map(|l| match l {
            HelpLine::Heading(h) => Line::styled(fit(h, width), t.bold().patch(t.label())),
            HelpLine::Key { key, text, .. } => Line::from(vec![
                Span::styled(format!(" {:<10}", fit(key, 10)), t.warn()),
                Span::raw(fit(text, width.saturating_sub(11))),
            ]),
        })
        .collect();
    if shown.is_empty() {
        Paragraph::new(Line::styled("no key matches the search", t.dim())).render(body, buf);
    } else {
        Paragraph::new(shown).render(body, buf);
    }
    let last = (scroll + usize::from(body.height)).min(lines.len());
    let position = format!("{}-{last}/{}", (scroll + 1).min(last), lines.len());
    let sep = if t.ascii { " | " } else { " · " };
    let keys = format!("j/k scroll{sep}/ search{sep}esc close");
    let gap = width.saturating_sub(keys.chars().count() + position.chars().count());
    Paragraph::new(Line::from(vec![
        Span::styled(keys, t.dim()),
        Span::raw(" ".repeat(gap)),
        Span::styled(position, t.dim()),
    ]))
    .render(footer, buf);
}
