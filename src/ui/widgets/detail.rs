//! The detail pane: a titled, bordered, wrapped paragraph of labelled lines. A pane too short
//! for its lines ends with `+N more` instead of dropping them silently; the full-screen detail
//! ([`render_full`]) shows every line, scrolled.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
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

    /// Every line of a multi-line text (bounded: at most `max` lines, then `+N more lines`).
    pub fn body(&mut self, s: &str, max: usize) {
        let total = s.lines().count();
        for l in s.lines().take(max) {
            self.lines.push(Line::raw(l.to_string()));
        }
        if total > max {
            self.lines
                .push(Line::raw(format!("+{} more lines", total - max)));
        }
    }

    /// A blank line.
    pub fn gap(&mut self) {
        self.lines.push(Line::raw(""));
    }
}

/// Rows `line` takes when wrapped `width` wide (measured on borrowed spans: no copy of the
/// text, since the full-screen view measures every line of a long timeline per frame).
fn rows_of(line: &Line<'_>, width: u16) -> usize {
    let borrowed: Vec<Span<'_>> = line
        .spans
        .iter()
        .map(|s| Span::styled(s.content.as_ref(), s.style))
        .collect();
    Paragraph::new(Line::from(borrowed))
        .wrap(Wrap { trim: false })
        .line_count(width)
        .max(1)
}

/// How many of `lines` fit `height` rows `width` wide: `None` when all of them do, else
/// `Some((shown, hidden))`: the lines to draw in the first `height - 1` rows (the last one may
/// be cut by the bottom edge) and how many lines are not shown whole, for a `+N more` row.
#[must_use]
pub fn overflow(lines: &[Line<'static>], width: u16, height: u16) -> Option<(usize, usize)> {
    let h = usize::from(height);
    if h == 0 || width == 0 {
        return None;
    }
    let (mut rows, mut whole) = (0usize, 0usize);
    for line in lines {
        rows += rows_of(line, width);
        if rows > h {
            // The row above `+N more` shows part of the first line that does not fit whole.
            let shown = if whole < lines.len() {
                whole + 1
            } else {
                whole
            };
            return Some((shown, lines.len() - whole));
        }
        if rows < h {
            whole += 1;
        }
    }
    None
}

/// Renders `lines` in a bordered pane titled `title`; a pane too short for them gives its last
/// row to `+N more` (N lines not shown whole) instead of cutting them silently.
pub fn render_detail(title: &str, lines: DetailLines, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = theme
        .block()
        .title(Span::styled(format!(" {title} "), theme.bold()));
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = lines.lines;
    match overflow(&lines, inner.width, inner.height) {
        None => Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf),
        Some((shown, hidden)) => {
            lines.truncate(shown);
            let [text, more] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .render(text, buf);
            Paragraph::new(Line::styled(format!("+{hidden} more"), theme.dim())).render(more, buf);
        }
    }
}

/// Renders every one of `lines` full-screen in a bordered pane, starting `scroll` rows down
/// (clamped); the title shows the rows on screen out of all. Returns the largest useful scroll.
pub fn render_full(
    title: &str,
    lines: DetailLines,
    scroll: usize,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) -> usize {
    let inner = theme.block().inner(area);
    let heights: Vec<usize> = lines
        .lines
        .iter()
        .map(|l| rows_of(l, inner.width))
        .collect();
    let total: usize = heights.iter().sum();
    let h = usize::from(inner.height);
    let max = total.saturating_sub(h);
    let scroll = scroll.min(max);
    let last = (scroll + h).min(total);
    let sep = if theme.ascii { "|" } else { "·" };
    let title = format!(" {title} {sep} {}-{last}/{total} ", (scroll + 1).min(last));
    // Only the lines on screen are wrapped again: skip whole lines above `scroll`, then the
    // remaining rows of the first one.
    let (mut above, mut first) = (0usize, heights.len());
    for (i, rows) in heights.iter().enumerate() {
        if above + rows > scroll {
            first = i;
            break;
        }
        above += rows;
    }
    let mut shown_rows = 0usize;
    let shown: Vec<Line<'static>> = lines
        .lines
        .into_iter()
        .zip(heights)
        .skip(first)
        .take_while(|(_, rows)| {
            let more = shown_rows < h + (scroll - above);
            shown_rows += rows;
            more
        })
        .map(|(l, _)| l)
        .collect();
    Paragraph::new(shown)
        .block(theme.block().title(Span::styled(title, theme.bold())))
        .wrap(Wrap { trim: false })
        .scroll((u16::try_from(scroll - above).unwrap_or(u16::MAX), 0))
        .render(area, buf);
    max
}
