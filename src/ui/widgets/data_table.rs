//! The one table every tab uses: a titled block, a header, rows, and the selection.
//!
//! The selection lives in `State`; a fresh `TableState` is made per frame from it, and ratatui
//! scrolls the table so the selected row is visible. An unfocused table (the incident list while
//! the alert section has focus) draws its selection underlined instead of reversed.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use crate::ui::theme::Theme;

/// A titled table with a selection.
pub struct DataTable<'a> {
    /// Block title (tab name, counts, filter).
    pub title: Line<'a>,
    /// Column headers.
    pub header: Vec<&'static str>,
    /// Rows, already styled.
    pub rows: Vec<Row<'a>>,
    /// Column widths.
    pub widths: Vec<Constraint>,
    /// Selected row index into `rows`.
    pub selected: Option<usize>,
    /// Whether the table has keyboard focus.
    pub focused: bool,
    /// Shown when there are no rows.
    pub empty: &'a str,
    /// The theme.
    pub theme: Theme,
}

impl Widget for DataTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = self.theme.block().title(self.title);
        if self.rows.is_empty() {
            Paragraph::new(Line::styled(self.empty, self.theme.dim()))
                .block(block)
                .render(area, buf);
            return;
        }
        let highlight = if self.focused {
            self.theme.selected()
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        };
        let table = Table::new(self.rows, self.widths)
            .header(Row::new(self.header).style(self.theme.header()))
            .block(block)
            .column_spacing(1)
            .row_highlight_style(highlight);
        let mut ts = TableState::default().with_selected(self.selected);
        StatefulWidget::render(table, area, buf, &mut ts);
    }
}

/// The list title: `Bugs 12/40` plus the filter when one is set.
#[must_use]
pub fn list_title(
    name: &str,
    shown: usize,
    total: usize,
    filter: &str,
    theme: Theme,
) -> Line<'static> {
    let mut spans = vec![ratatui::text::Span::styled(
        format!(" {name} "),
        theme.bold(),
    )];
    if shown == total {
        spans.push(ratatui::text::Span::raw(format!("{total} ")));
    } else {
        spans.push(ratatui::text::Span::raw(format!("{shown}/{total} ")));
    }
    if !filter.is_empty() {
        spans.push(ratatui::text::Span::styled(
            format!("/{} ", crate::ui::text::fit(filter, 30)),
            theme.warn(),
        ));
    }
    Line::from(spans)
}

/// The width a table's single `Fill` column gets: the inner width minus the fixed columns and
/// the one-cell spacing between columns (used to cut long titles with `…`).
#[must_use]
pub fn fill_width(area_width: u16, widths: &[Constraint]) -> usize {
    let fixed: u16 = widths
        .iter()
        .map(|c| if let Constraint::Length(n) = c { *n } else { 0 })
        .sum();
    let spacing = u16::try_from(widths.len().saturating_sub(1)).unwrap_or(u16::MAX);
    usize::from(
        area_width
            .saturating_sub(2)
            .saturating_sub(fixed)
            .saturating_sub(spacing),
    )
}

/// Width of an identifier column: the longest id of the whole list (so scrolling never moves
/// it and no id is ever cut), at least `min` (the header), at most a third of the table (past
/// that only a hostile id is cut, with `…`). A cut id would name a different item
/// (`OPS-9955` shown as `OPS-995`), so ids get their width before the title does.
///
/// `longest` is [`ListState::widest_id`](crate::app::state::ListState::widest_id), measured
/// once when the rows load, so a frame costs nothing per row.
#[must_use]
pub fn id_width(longest: usize, min: u16, table_width: u16) -> u16 {
    let cap = (table_width / 3).max(min);
    u16::try_from(longest).unwrap_or(u16::MAX).clamp(min, cap)
}
