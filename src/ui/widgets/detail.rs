//! The detail pane: a titled, bordered, wrapped paragraph of labelled lines.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::ui::theme::Theme;

/// Lines of a detail pane, built with [`DetailLines::field`] and friends.
#[derive(Default)]
pub struct DetailLines {
    /// The lines so far.
    pub lines: Vec<Line<'static>>,
}

impl DetailLines {
    /// `label: value` on one line.
    pub fn field(&mut self, theme: Theme, label: &str, value: impl Into<String>) {
        self.lines.push(Line::from(vec![
            Span::styled(format!("{label:<11}"), theme.label()),
            Span::raw(value.into()),
        ]));
    }

    /// `label: value` with a styled value.
    pub fn styled(
        &mut self,
        theme: Theme,
        label: &str,
        value: impl Into<String>,
        style: ratatui::style::Style,
    ) {
        self.lines.push(Line::from(vec![
            Span::styled(format!("{label:<11}"), theme.label()),
            Span::styled(value.into(), style),
        ]));
    }

    /// A section heading.
    pub fn heading(&mut self, theme: Theme, text: &str) {
        self.lines
            .push(Line::styled(text.to_string(), theme.bold()));
    }

    /// A plain line.
    pub fn text(&mut self, s: impl Into<String>) {
        self.lines.push(Line::raw(s.into()));
    }

    /// Every line of a multi-line text (bounded: at most `max` lines).
    pub fn body(&mut self, s: &str, max: usize) {
        for (n, l) in s.lines().enumerate() {
            if n == max {
                self.lines.push(Line::raw("…"));
                break;
            }
            self.lines.push(Line::raw(l.to_string()));
        }
    }

    /// A blank line.
    pub fn gap(&mut self) {
        self.lines.push(Line::raw(""));
    }
}

/// Renders `lines` in a bordered pane titled `title`.
pub fn render_detail(title: &str, lines: DetailLines, theme: Theme, area: Rect, buf: &mut Buffer) {
    Paragraph::new(lines.lines)
        .block(
            theme
                .block()
                .title(Span::styled(format!(" {title} "), theme.bold())),
        )
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
