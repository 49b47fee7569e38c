//! The one table every list uses: a column spec per tab, and [`ListTable`] drawing rows with it
//! (title with counts and filter, header with the sort indicator, the visible window of rows,
//! marks, pending/conflict markers, selection, empty and loading text). The six tabs, the
//! alerts section and the outbox view all draw through it.
//!
//! A [`Column`] (in `data_table/column.rs`) says its title, its [`Width`] rule, its alignment,
//! how to render a cell from a row (styled text) and whether its text may be elided (cut with
//! the theme's ellipsis glyph) or must never be cut: identifiers get [`Width::Id`], sized from
//! [`ListState::widest_id`], so `OPS-9955` is never shown as `OPS-995`. Column widths are solved
//! once per frame (ratatui's layout, the same solver the table uses) and every cell is fitted to
//! its column here, so no tab cuts text by hand.
//!
//! Rows come as [`Rows`]: a slice, optionally read through a list's view order, and the
//! selected position. A tab's list is drawn with [`ListTable::new`]; prepared rows (the
//! checklist's section and item lines, the outbox entries) with [`ListTable::of_rows`]. A row
//! for which the table's `span` function returns a line is drawn as that one line across every
//! column (a checklist section heading, an outbox entry's error or conflict line); `footer`
//! lines follow the last row. Only the window of rows on screen is built, so a frame costs what
//! it shows. An unfocused table (the incident list while the alert section has focus) draws its
//! selection underlined instead of reversed; reversed and underlined survive `NO_COLOR`.

mod column;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Cell, HighlightSpacing, Paragraph, Row, StatefulWidget, Table, TableState, Widget,
};

use unicode_width::UnicodeWidthStr;

use crate::app::rows::RowView;
use crate::app::state::ListState;
use crate::ui::glyphs::Glyph;
use crate::ui::theme::Theme;

pub use column::{fit_line, Align, CellFn, Column, Dir, Width};

/// The fewest cells the filling column (the title) keeps before columns are dropped.
pub const FILL_MIN: u16 = 8;

/// The style of a whole row.
pub type StyleFn<'a, R> = Box<dyn Fn(&R) -> Style + 'a>;

/// Pending edit / conflict of a row, for the marker column.
pub type MarkerFn<'a, R> = Box<dyn Fn(&R) -> (bool, bool) + 'a>;

/// Whether a row is marked for a bulk action.
pub type MarkedFn<'a, R> = Box<dyn Fn(&R) -> bool + 'a>;

/// A row drawn as one line across every column, or `None` for a row of cells.
pub type SpanFn<'a, R> = Box<dyn Fn(&R) -> Option<Line<'static>> + 'a>;

/// The rows a table draws: a slice in display order, or a list's rows read through its view
/// order, and the selected position in that order.
pub struct Rows<'a, R> {
    /// The rows.
    pub rows: &'a [R],
    /// Display order as indices into `rows` (a list's filtered, sorted view); `None`: `rows`
    /// in the order given.
    pub order: Option<&'a [usize]>,
    /// The selected position in display order.
    pub selected: Option<usize>,
    /// Display position of the first of `rows` (a windowed list's offset; 0 for full lists).
    pub offset: usize,
    /// Rows in the whole list when `rows` is a window of it (`None`: `rows` is all of it).
    pub total: Option<usize>,
}

impl<'a, R> Rows<'a, R> {
    /// Rows in display order.
    #[must_use]
    pub fn len(&self) -> usize {
        self.total
            .unwrap_or_else(|| self.offset + self.order.map_or(self.rows.len(), <[usize]>::len))
    }

    /// No row to draw.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row at display position `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&'a R> {
        let i = i.checked_sub(self.offset)?;
        match self.order {
            Some(order) => order.get(i).and_then(|j| self.rows.get(*j)),
            None => self.rows.get(i),
        }
    }

    /// The first row a table of `height` rows shows: the selection stays visible (at the
    /// bottom when scrolling down).
    #[must_use]
    pub fn window_offset(&self, height: usize) -> usize {
        let (h, sel) = (height.max(1), self.selected.unwrap_or(0));
        if sel < h {
            0
        } else {
            sel + 1 - h
        }
    }
}

/// A list drawn with a column spec.
pub struct ListTable<'a, R> {
    /// The block title (`Bugs 12/40 /filter`).
    pub title: Line<'static>,
    /// The rows and the selection.
    pub rows: Rows<'a, R>,
    /// The columns (the marker column is added in front when `markers` is set).
    pub columns: Vec<Column<'a, R>>,
    /// Pending / conflict of a row; `None`: the list has no marker column.
    pub markers: Option<MarkerFn<'a, R>>,
    /// Whether a row is marked (the `•` in the marker column).
    pub marked: Option<MarkedFn<'a, R>>,
    /// Rows drawn as one line across the columns (section headings, an entry's detail lines).
    pub span: Option<SpanFn<'a, R>>,
    /// Style of a whole row (closed rows dimmed).
    pub row_style: Option<StyleFn<'a, R>>,
    /// The sort column the list is in (0 = the store's default order) and its name.
    pub sort: (usize, Option<&'static str>),
    /// Display width of the longest id of the whole list (for [`Width::Id`] columns).
    pub widest_id: usize,
    /// Rows have arrived (else the empty text says the list is loading).
    pub loaded: bool,
    /// A filter hides rows (else the empty text says there is nothing yet).
    pub filtered: bool,
    /// Whether the list has keyboard focus.
    pub focused: bool,
    /// Whether the selection is drawn at all.
    pub show_selection: bool,
    /// Drawn before the selected row (and as blanks before the others): `"> "` in the outbox.
    pub selection_symbol: Option<&'static str>,
    /// Whether the column header row is drawn.
    pub header: bool,
    /// Extra spans after the title.
    pub title_extra: Vec<Span<'static>>,
    /// Replaces the empty-state text.
    pub empty: Option<&'static str>,
    /// Lines after the last row (and after the empty text), never scrolled away.
    pub footer: Vec<Line<'static>>,
    /// A box too short for every row gives its last line to `+N more` (a small box such as
    /// the alerts section must never cut rows silently).
    pub more_below: bool,
    /// The theme.
    pub theme: Theme,
}

impl<'a, R: RowView> ListTable<'a, R> {
    /// A focused table of a tab's `list` with `columns`, no markers: titled `name` with the
    /// list's counts and filter.
    pub fn new(
        name: &'static str,
        list: &'a ListState<R>,
        columns: Vec<Column<'a, R>>,
        theme: Theme,
    ) -> Self {
        let title = list_title(
            name,
            list.shown_rows(),
            list.total_rows(),
            &list.filter,
            theme,
        );
        let rows = Rows {
            rows: &list.rows,
            order: Some(&list.view),
            selected: Some(list.selected),
            offset: list.offset,
            total: list.windowed.then_some(list.total),
        };
        ListTable {
            sort: (list.sort, R::sort_name(list.sort)),
            widest_id: list.widest_id,
            loaded: list.loaded,
            filtered: !list.filter.is_empty(),
            ..ListTable::of_rows(title, rows, columns, theme)
        }
        .marked(|r: &R| list.marked.contains(&r.entity().id))
    }
}

impl<'a, R> ListTable<'a, R> {
    /// A focused table of prepared `rows` (already filtered and ordered) under `title`.
    pub fn of_rows(
        title: Line<'static>,
        rows: Rows<'a, R>,
        columns: Vec<Column<'a, R>>,
        theme: Theme,
    ) -> Self {
        ListTable {
            title,
            rows,
            columns,
            markers: None,
            marked: None,
            span: None,
            row_style: None,
            sort: (0, None),
            widest_id: 0,
            loaded: true,
            filtered: false,
            focused: true,
            show_selection: true,
            selection_symbol: None,
            header: true,
            title_extra: Vec::new(),
            empty: None,
            footer: Vec::new(),
            more_below: false,
            theme,
        }
    }

    /// With the marker column (`!` conflict, pending, marked).
    #[must_use]
    pub fn markers(mut self, f: impl Fn(&R) -> (bool, bool) + 'a) -> Self {
        self.markers = Some(Box::new(f));
        self
    }

    /// Rows for which `f` holds show the mark of a bulk selection.
    #[must_use]
    pub fn marked(mut self, f: impl Fn(&R) -> bool + 'a) -> Self {
        self.marked = Some(Box::new(f));
        self
    }

    /// Rows for which `f` gives a line are drawn as that line across every column.
    #[must_use]
    pub fn spans(mut self, f: impl Fn(&R) -> Option<Line<'static>> + 'a) -> Self {
        self.span = Some(Box::new(f));
        self
    }

    /// Rows for which `f` holds are drawn dimmed (closed, resolved, churned).
    #[must_use]
    pub fn dim_if(self, f: impl Fn(&R) -> bool + 'a) -> Self {
        let dim = self.theme.dim();
        self.row_style(move |r| if f(r) { dim } else { Style::new() })
    }

    /// With a per-row style.
    #[must_use]
    pub fn row_style(mut self, f: impl Fn(&R) -> Style + 'a) -> Self {
        self.row_style = Some(Box::new(f));
        self
    }

    /// The header text of column `c`, with the sort indicator when the list is sorted by it.
    fn header_text(&self, c: &Column<'a, R>) -> String {
        match c.sorts.iter().find(|(s, _)| *s == self.sort.0) {
            Some((_, dir)) => {
                let g = match dir {
                    Dir::Asc => Glyph::SortAsc,
                    Dir::Desc => Glyph::SortDesc,
                };
                format!("{}{}", c.title, self.theme.glyph(g))
            }
            None => c.title.to_string(),
        }
    }

    /// Cells a column needs at least: its fixed width (and header), the id width, or
    /// [`FILL_MIN`] for the column that takes what is left.
    fn need(&self, c: &Column<'a, R>, area_width: u16) -> u16 {
        let head = u16::try_from(self.header_text(c).chars().count()).unwrap_or(u16::MAX);
        match c.width {
            Width::Fixed(n) | Width::Min(n) => n.max(head),
            Width::Fill(_) => FILL_MIN,
            Width::Pct(_) => head,
            Width::Id(min) => id_width(self.widest_id, min.max(head), area_width),
        }
    }

    /// Cells left for the columns of a table `area_width` wide: borders and the selection
    /// symbol taken off.
    fn inner_width(&self, area_width: u16) -> u16 {
        let symbol = self.selection_symbol.map_or(0, UnicodeWidthStr::width);
        area_width
            .saturating_sub(2)
            .saturating_sub(u16::try_from(symbol).unwrap_or(u16::MAX))
    }

    /// Drops columns from the right until the rest fit `area_width`: never an identifier
    /// (`elide == false`) nor the column that fills, so a narrow terminal loses the least
    /// important columns instead of cutting an id.
    pub fn drop_to_fit(&mut self, area_width: u16) {
        let inner = self.inner_width(area_width);
        loop {
            let cols = self.columns.len() + usize::from(self.markers.is_some());
            let spacing = u16::try_from(cols.saturating_sub(1)).unwrap_or(u16::MAX);
            let need = self
                .columns
                .iter()
                .map(|c| self.need(c, area_width))
                .fold(u16::from(self.markers.is_some()), u16::saturating_add)
                .saturating_add(spacing);
            if need <= inner {
                return;
            }
            let droppable = self
                .columns
                .iter()
                .rposition(|c| c.elide && !matches!(c.width, Width::Fill(_)));
            match droppable {
                Some(i) => {
                    self.columns.remove(i);
                }
                None => return,
            }
        }
    }

    /// Column widths for a table `area_width` wide (borders and spacing taken off).
    #[must_use]
    pub fn widths(&self, area_width: u16) -> Vec<u16> {
        let inner = self.inner_width(area_width);
        let mut constraints = Vec::with_capacity(self.columns.len() + 1);
        if self.markers.is_some() {
            constraints.push(Constraint::Length(1));
        }
        for c in &self.columns {
            let head = u16::try_from(self.header_text(c).chars().count()).unwrap_or(u16::MAX);
            constraints.push(match c.width {
                Width::Fixed(n) => Constraint::Length(n.max(head)),
                Width::Min(n) => Constraint::Min(n.max(head)),
                Width::Fill(n) => Constraint::Fill(n),
                Width::Pct(p) => Constraint::Percentage(p),
                Width::Id(min) => {
                    Constraint::Length(id_width(self.widest_id, min.max(head), area_width))
                }
            });
        }
        Layout::horizontal(constraints)
            .spacing(1)
            .split(Rect::new(0, 0, inner, 1))
            .iter()
            .map(|r| r.width)
            .collect()
    }

    /// The block title: the title, `sorted by …` when the sort column is not on screen at
    /// this width, and the extra spans.
    fn block_title(&self) -> Line<'static> {
        let mut title = self.title.clone();
        let (sort, name) = self.sort;
        if sort > 0
            && !self
                .columns
                .iter()
                .any(|c| c.sorts.iter().any(|(s, _)| *s == sort))
        {
            let name = name.unwrap_or("?");
            title
                .spans
                .push(Span::styled(format!("sorted by {name} "), self.theme.dim()));
        }
        title.spans.extend(self.title_extra.iter().cloned());
        title
    }

    /// The row of cells for `r`, each cut to its column.
    fn cells(&self, r: &R, widths: &[u16], ellipsis: &str) -> Vec<Cell<'static>> {
        let marker_col = usize::from(self.markers.is_some());
        let mut cells = Vec::with_capacity(widths.len());
        if let Some(m) = &self.markers {
            let (pending, conflict) = m(r);
            let marked = self.marked.as_ref().is_some_and(|f| f(r));
            cells.push(Cell::from(marker(pending, conflict, marked, self.theme)));
        }
        for (i, c) in self.columns.iter().enumerate() {
            let w = usize::from(widths.get(i + marker_col).copied().unwrap_or(0));
            // Ids have their whole width (only a hostile one is longer, and is cut visibly);
            // other text is cut with the ellipsis.
            cells.push(Cell::from(fit_line((c.cell)(r, w), w, ellipsis, c.align)));
        }
        cells
    }
}

impl<R> Widget for ListTable<'_, R> {
    fn render(mut self, area: Rect, buf: &mut Buffer) {
        self.drop_to_fit(area.width);
        let t = self.theme;
        let block = t.block().title(self.block_title());
        if self.rows.is_empty() {
            let text = self
                .empty
                .filter(|_| self.loaded && !self.filtered)
                .unwrap_or_else(|| empty_text(self.loaded, self.filtered));
            let mut lines = vec![Line::styled(text, t.dim())];
            lines.extend(self.footer.iter().cloned());
            Paragraph::new(lines).block(block).render(area, buf);
            return;
        }
        let widths = self.widths(area.width);
        let ellipsis = t.glyph(Glyph::Ellipsis);
        let marker_col = usize::from(self.markers.is_some());
        let header_h = usize::from(self.header);
        let box_h =
            usize::from(area.height.saturating_sub(2)).saturating_sub(header_h + self.footer.len());
        let rows_h = if self.more_below && self.rows.len() > box_h {
            box_h.saturating_sub(1).max(1)
        } else {
            box_h
        };
        let offset = self.rows.window_offset(rows_h);
        let below = self.rows.len().saturating_sub(offset + rows_h);
        // Lines drawn across the columns after the table: (row on screen, line, whether it
        // is a row's own line rather than a footer line).
        let mut spanning: Vec<(usize, Line<'static>, bool)> = Vec::new();
        let mut rows: Vec<Row<'_>> = Vec::with_capacity(rows_h + self.footer.len() + 1);
        for r in (offset..self.rows.len())
            .take(rows_h.max(1))
            .filter_map(|i| self.rows.get(i))
        {
            let row = match self.span.as_ref().and_then(|f| f(r)) {
                Some(line) => {
                    spanning.push((rows.len(), line, true));
                    Row::new(vec![Cell::from(""); widths.len()])
                }
                None => Row::new(self.cells(r, &widths, ellipsis)),
            };
            rows.push(match &self.row_style {
                Some(f) => row.style(f(r)),
                None => row,
            });
        }
        if self.more_below && below > 0 && box_h > 1 {
            let mut cells = vec![Cell::from(""); marker_col];
            cells.push(Cell::from(Span::styled(format!("+{below} more"), t.dim())));
            rows.push(Row::new(cells));
        }
        for line in &self.footer {
            spanning.push((rows.len(), line.clone(), false));
            rows.push(Row::new(vec![Cell::from(""); widths.len()]));
        }
        let highlight = if self.focused {
            t.selected()
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        };
        let mut table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
            .block(block)
            .column_spacing(1)
            .row_highlight_style(highlight);
        if self.header {
            let header: Vec<Cell<'_>> = std::iter::repeat_n(String::new(), marker_col)
                .chain(self.columns.iter().map(|c| self.header_text(c)))
                .map(Cell::from)
                .collect();
            table = table.header(Row::new(header).style(t.header()));
        }
        if let Some(symbol) = self.selection_symbol {
            table = table
                .highlight_symbol(symbol)
                .highlight_spacing(HighlightSpacing::Always);
        }
        let selected = self
            .show_selection
            .then(|| self.rows.selected.and_then(|s| s.checked_sub(offset)))
            .flatten();
        let mut ts = TableState::default().with_selected(selected);
        StatefulWidget::render(table, area, buf, &mut ts);
        // A row's spanning line starts after the selection symbol and the marker column
        // (sections line up with the items); a footer line at the border.
        let inner = area.inner(ratatui::layout::Margin::new(1, 1));
        let symbol =
            u16::try_from(self.selection_symbol.map_or(0, UnicodeWidthStr::width)).unwrap_or(0);
        let after_marks = symbol
            + widths
                .first()
                .filter(|_| marker_col == 1)
                .map_or(0, |w| w + 1);
        for (i, line, is_row) in spanning {
            let y = inner.y + u16::try_from(header_h + i).unwrap_or(u16::MAX);
            if y >= inner.bottom() {
                break;
            }
            let skip = if is_row { after_marks } else { 0 };
            let width = inner.width.saturating_sub(skip);
            let line = fit_line(line, usize::from(width), ellipsis, Align::Left);
            buf.set_line(inner.x + skip, y, &line, width);
            if selected == Some(i) {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), highlight);
            }
        }
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
    let mut spans = vec![Span::styled(format!(" {name} "), theme.bold())];
    if shown == total {
        spans.push(Span::raw(format!("{total} ")));
    } else {
        spans.push(Span::raw(format!("{shown}/{total} ")));
    }
    if !filter.is_empty() {
        spans.push(Span::styled(
            format!("/{} ", crate::ui::text::fit(filter, 30)),
            theme.warn(),
        ));
    }
    Line::from(spans)
}

/// Width of an identifier column: the longest id of the whole list (so scrolling never moves
/// it and no id is ever cut), at least `min` (the header), at most a third of the table or 24
/// cells, whichever is more (past that only a hostile id is cut, with `…`). A cut id would name a different item
/// (`OPS-9955` shown as `OPS-995`), so ids get their width before the title does.
///
/// `longest` is [`ListState::widest_id`], measured once when the rows load, so a frame costs
/// nothing per row.
#[must_use]
pub fn id_width(longest: usize, min: u16, table_width: u16) -> u16 {
    let cap = (table_width / 3).max(table_width.min(48) / 2).max(min);
    u16::try_from(longest).unwrap_or(u16::MAX).clamp(min, cap)
}

/// The marker column: `!` conflict, `⟳` pending push, `•` marked for a bulk action.
#[must_use]
pub fn marker(pending: bool, conflict: bool, marked: bool, t: Theme) -> Span<'static> {
    if conflict {
        Span::styled("!", t.bad())
    } else if pending {
        Span::styled(t.glyph(Glyph::Pending), t.warn())
    } else if marked {
        Span::styled(t.glyph(Glyph::Mark), t.label())
    } else {
        Span::raw(" ")
    }
}

/// The text shown while a list has not loaded yet or has no rows.
#[must_use]
pub fn empty_text(loaded: bool, filtered: bool) -> &'static str {
    if !loaded {
        "loading from the cache…"
    } else if filtered {
        "no row matches the filter (esc clears it)"
    } else {
        "nothing here yet — press r to sync this tab's sources"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_column_fits_the_widest_id_and_caps_only_hostile_ones() {
        assert_eq!(id_width(15, 7, 80), 15);
        assert_eq!(id_width(15, 7, 40), 15, "a Jira key fits a 40-column list");
        assert_eq!(id_width(3, 7, 80), 7, "at least the minimum");
        assert_eq!(
            id_width(500, 7, 80),
            26,
            "a hostile id is capped at a third"
        );
    }
}
