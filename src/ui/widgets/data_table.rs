//! The one table every list uses: a column spec per tab, and [`ListTable`] drawing a
//! [`ListState`] with it (title with counts and filter, header with the sort indicator, the
//! visible window of rows, marks, pending/conflict markers, selection, empty and loading text).
//!
//! A [`Column`] says its title, its [`Width`] rule, its alignment, how to render a cell from a
//! row (text and style) and whether its text may be elided (cut with the theme's ellipsis glyph)
//! or must never be cut: identifiers get [`Width::Id`], sized from
//! [`ListState::widest_id`], so `OPS-9955` is never shown as `OPS-995`. Column widths are solved
//! once per frame (ratatui's layout, the same solver the table uses) and every cell is fitted to
//! its column here, so no tab cuts text by hand.
//!
//! The selection lives in `State`; only the window of rows on screen is built
//! ([`ListState::window`]), so a frame costs what it shows. An unfocused table (the incident
//! list while the alert section has focus) draws its selection underlined instead of reversed;
//! reversed and underlined survive `NO_COLOR`.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, TableState, Widget};

use crate::app::rows::RowView;
use crate::app::state::ListState;
use crate::ui::glyphs::Glyph;
use crate::ui::text::fit_with;
use crate::ui::theme::Theme;

/// How wide a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// Exactly this many cells.
    Fixed(u16),
    /// At least this many cells.
    Min(u16),
    /// A share of what the fixed columns leave.
    Fill(u16),
    /// A percentage of the table.
    Pct(u16),
    /// The list's widest id (never cut), at least this many cells and the title, at most a
    /// third of the table.
    Id(u16),
}

/// Where a cell's text sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left.
    Left,
    /// Right.
    Right,
}

/// Which way a sort runs, as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Smallest first: `▲` (`^`).
    Asc,
    /// Largest first: `▼` (`v`).
    Desc,
}

/// The fewest cells the filling column (the title) keeps before columns are dropped.
pub const FILL_MIN: u16 = 8;

/// Renders one cell: text and style.
pub type CellFn<'a, R> = Box<dyn Fn(&R) -> Span<'static> + 'a>;

/// One column of a list.
pub struct Column<'a, R> {
    /// Header text.
    pub title: &'static str,
    /// Width rule.
    pub width: Width,
    /// Alignment.
    pub align: Align,
    /// May the text be cut with the ellipsis and the column dropped on a narrow table
    /// (`false`: an identifier, sized to show every id whole and never dropped).
    pub elide: bool,
    /// The sort orders (`ListState::sort`, 0 = the store's default) this column shows, and their
    /// direction.
    pub sorts: Vec<(usize, Dir)>,
    /// The cell.
    pub cell: CellFn<'a, R>,
}

impl<'a, R> Column<'a, R> {
    /// A left-aligned, elidable column.
    pub fn new(title: &'static str, width: Width, cell: impl Fn(&R) -> Span<'static> + 'a) -> Self {
        Column {
            title,
            width,
            align: Align::Left,
            elide: true,
            sorts: Vec::new(),
            cell: Box::new(cell),
        }
    }

    /// The identifier column: sized from the widest id (at least `min`), never cut.
    pub fn id(title: &'static str, min: u16, cell: impl Fn(&R) -> String + 'a) -> Self {
        Column {
            elide: false,
            ..Column::new(title, Width::Id(min), move |r| Span::raw(cell(r)))
        }
    }

    /// Plain text, no style.
    pub fn text(title: &'static str, width: Width, cell: impl Fn(&R) -> String + 'a) -> Self {
        Column::new(title, width, move |r| Span::raw(cell(r)))
    }

    /// Right-aligned.
    #[must_use]
    pub fn right(mut self) -> Self {
        self.align = Align::Right;
        self
    }

    /// This column shows sort order `sort` running `dir`.
    #[must_use]
    pub fn sorted(mut self, sort: usize, dir: Dir) -> Self {
        self.sorts.push((sort, dir));
        self
    }
}

/// The style of a whole row.
pub type StyleFn<'a, R> = Box<dyn Fn(&R) -> Style + 'a>;

/// Pending edit / conflict of a row, for the marker column.
pub type MarkerFn<'a, R> = Box<dyn Fn(&R) -> (bool, bool) + 'a>;

/// A list drawn with a column spec.
pub struct ListTable<'a, R> {
    /// The list name in the title (`Bugs`).
    pub name: &'static str,
    /// The list.
    pub list: &'a ListState<R>,
    /// The columns (the marker column is added in front when `markers` is set).
    pub columns: Vec<Column<'a, R>>,
    /// Pending / conflict of a row; `None`: the list has no marker column.
    pub markers: Option<MarkerFn<'a, R>>,
    /// Style of a whole row (closed rows dimmed).
    pub row_style: Option<StyleFn<'a, R>>,
    /// Whether the list has keyboard focus.
    pub focused: bool,
    /// Whether the selection is drawn at all.
    pub show_selection: bool,
    /// Extra spans after the title.
    pub title_extra: Vec<Span<'static>>,
    /// Replaces the empty-state text.
    pub empty: Option<&'static str>,
    /// A box too short for every row gives its last line to `+N more` (a small box such as
    /// the alerts section must never cut rows silently).
    pub more_below: bool,
    /// The theme.
    pub theme: Theme,
}

impl<'a, R: RowView> ListTable<'a, R> {
    /// A focused table of `list` with `columns`, no markers.
    pub fn new(
        name: &'static str,
        list: &'a ListState<R>,
        columns: Vec<Column<'a, R>>,
        theme: Theme,
    ) -> Self {
        ListTable {
            name,
            list,
            columns,
            markers: None,
            row_style: None,
            focused: true,
            show_selection: true,
            title_extra: Vec::new(),
            empty: None,
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
    fn header(&self, c: &Column<'a, R>) -> String {
        match c.sorts.iter().find(|(s, _)| *s == self.list.sort) {
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
        let head = u16::try_from(self.header(c).chars().count()).unwrap_or(u16::MAX);
        match c.width {
            Width::Fixed(n) | Width::Min(n) => n.max(head),
            Width::Fill(_) => FILL_MIN,
            Width::Pct(_) => head,
            Width::Id(min) => id_width(self.list.widest_id, min.max(head), area_width),
        }
    }

    /// Drops columns from the right until the rest fit `area_width`: never an identifier
    /// (`elide == false`) nor the column that fills, so a narrow terminal loses the least
    /// important columns instead of cutting an id.
    pub fn drop_to_fit(&mut self, area_width: u16) {
        let inner = area_width.saturating_sub(2);
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
        let inner = area_width.saturating_sub(2);
        let mut constraints = Vec::with_capacity(self.columns.len() + 1);
        if self.markers.is_some() {
            constraints.push(Constraint::Length(1));
        }
        for c in &self.columns {
            let head = u16::try_from(self.header(c).chars().count()).unwrap_or(u16::MAX);
            constraints.push(match c.width {
                Width::Fixed(n) => Constraint::Length(n.max(head)),
                Width::Min(n) => Constraint::Min(n.max(head)),
                Width::Fill(n) => Constraint::Fill(n),
                Width::Pct(p) => Constraint::Percentage(p),
                Width::Id(min) => {
                    Constraint::Length(id_width(self.list.widest_id, min.max(head), area_width))
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
}

impl<R: RowView> Widget for ListTable<'_, R> {
    fn render(mut self, area: Rect, buf: &mut Buffer) {
        self.drop_to_fit(area.width);
        let t = self.theme;
        let list = self.list;
        let mut title = list_title(
            self.name,
            list.shown_rows(),
            list.total_rows(),
            &list.filter,
            t,
        );
        if list.sort > 0
            && !self
                .columns
                .iter()
                .any(|c| c.sorts.iter().any(|(s, _)| *s == list.sort))
        {
            // The sort column is not on screen at this width: say it in the title.
            let name = R::SORTS.get(list.sort - 1).copied().unwrap_or("?");
            title
                .spans
                .push(Span::styled(format!("sorted by {name} "), t.dim()));
        }
        title.spans.extend(self.title_extra.iter().cloned());
        let block = t.block().title(title);
        if list.is_empty() {
            let text = self
                .empty
                .filter(|_| list.loaded && list.filter.is_empty())
                .unwrap_or_else(|| empty_text(list.loaded, !list.filter.is_empty()));
            Paragraph::new(Line::styled(text, t.dim()))
                .block(block)
                .render(area, buf);
            return;
        }
        let widths = self.widths(area.width);
        let ellipsis = t.glyph(Glyph::Ellipsis);
        let marker_col = usize::from(self.markers.is_some());
        let mut header: Vec<Cell<'_>> = Vec::with_capacity(widths.len());
        if marker_col == 1 {
            header.push(Cell::from(""));
        }
        for c in &self.columns {
            header.push(Cell::from(self.header(c)));
        }
        let box_h = usize::from(area.height.saturating_sub(3));
        let rows_h = if self.more_below && list.len() > box_h {
            box_h.saturating_sub(1).max(1)
        } else {
            box_h
        };
        let offset = list.window_offset(rows_h);
        let below = list.len().saturating_sub(offset + rows_h);
        let mut rows: Vec<Row<'_>> = list
            .window(rows_h)
            .map(|r| {
                let mut cells = Vec::with_capacity(widths.len());
                if let Some(m) = &self.markers {
                    let (pending, conflict) = m(r);
                    let marked = list.marked.contains(&r.entity().id);
                    cells.push(Cell::from(marker(pending, conflict, marked, t)));
                }
                for (i, c) in self.columns.iter().enumerate() {
                    let w = usize::from(widths.get(i + marker_col).copied().unwrap_or(0));
                    let span = (c.cell)(r);
                    // Ids have their whole width (only a hostile one is longer, and is cut
                    // visibly); other text is cut with the ellipsis.
                    let text = fit_with(&span.content, w, ellipsis);
                    let text = match c.align {
                        Align::Left => text,
                        Align::Right => format!("{text:>w$}"),
                    };
                    cells.push(Cell::from(Span::styled(text, span.style)));
                }
                let row = Row::new(cells);
                match &self.row_style {
                    Some(f) => row.style(f(r)),
                    None => row,
                }
            })
            .collect();
        if self.more_below && below > 0 && box_h > 1 {
            let mut cells = vec![Cell::from(""); marker_col];
            cells.push(Cell::from(Span::styled(format!("+{below} more"), t.dim())));
            rows.push(Row::new(cells));
        }
        let highlight = if self.focused {
            t.selected()
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        };
        let table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
            .header(Row::new(header).style(t.header()))
            .block(block)
            .column_spacing(1)
            .row_highlight_style(highlight);
        let selected = self
            .show_selection
            .then(|| list.selected.checked_sub(offset))
            .flatten();
        let mut ts = TableState::default().with_selected(selected);
        StatefulWidget::render(table, area, buf, &mut ts);
    }
}

/// A titled table of prepared rows with a selection (the checklist, whose section headers
/// are rows of their own).
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

/// The width a table's single `Fill` column gets: the inner width minus the fixed columns and
/// the one-cell spacing between columns.
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

    /// Tabs import widgets, never the reverse: a widget naming `ui::tabs` would bring back
    /// the `widgets ↔ tabs` import cycle.
    #[test]
    fn widgets_never_import_tabs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/widgets");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("cannot read {}", dir.display());
        };
        let mut offenders = Vec::new();
        for e in entries.flatten() {
            let Ok(src) = std::fs::read_to_string(e.path()) else {
                panic!("cannot read {}", e.path().display());
            };
            let code = src.split("#[cfg(test)]").next().unwrap_or("");
            let (a, b) = (concat!("ui::", "tabs"), concat!("super::super::", "tabs"));
            if code.contains(a) || code.contains(b) {
                offenders.push(e.path().display().to_string());
            }
        }
        assert!(
            offenders.is_empty(),
            "widgets importing tabs: {offenders:?}"
        );
    }

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
