//! A [`Column`] of a [`ListTable`](super::ListTable): its title, [`Width`] rule, alignment,
//! the sort orders its header shows, and how a cell is rendered from a row; and [`fit_line`],
//! which cuts a cell's styled text to its column with the theme's ellipsis.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::ui::text::fit_with;

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

/// Renders one cell from a row and the column's width in cells: styled text, which the table
/// then cuts to the width (most cells ignore the width; a cell that chooses what to cut, such
/// as a checklist item keeping its `@owner` whole, uses it).
pub type CellFn<'a, R> = Box<dyn Fn(&R, usize) -> Line<'static> + 'a>;

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
    /// A left-aligned, elidable column whose cell is one styled span (or a whole line).
    pub fn new<S: Into<Line<'static>>>(
        title: &'static str,
        width: Width,
        cell: impl Fn(&R) -> S + 'a,
    ) -> Self {
        Column::fitted(title, width, move |r, _| cell(r).into())
    }

    /// A left-aligned, elidable column whose cell is given its width, to cut its own text
    /// where it matters least; the table still cuts whatever is left over.
    pub fn fitted(
        title: &'static str,
        width: Width,
        cell: impl Fn(&R, usize) -> Line<'static> + 'a,
    ) -> Self {
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

/// `line` cut to `width` display cells, ending in `ellipsis` where it was cut (the cut span
/// keeps its style), and right-aligned to `width` when `align` says so. A line that fits is
/// returned as it is.
#[must_use]
pub fn fit_line(line: Line<'static>, width: usize, ellipsis: &str, align: Align) -> Line<'static> {
    let total: usize = line.spans.iter().map(|s| s.content.width()).sum();
    let mut line = if total <= width {
        line
    } else if width == 0 {
        Line::default()
    } else {
        let whole: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let cut = fit_with(&whole, width, ellipsis);
        let keep = cut.strip_suffix(ellipsis).unwrap_or(&cut);
        let mut left = keep.len();
        let mut spans = Vec::with_capacity(line.spans.len());
        for s in line.spans {
            if left >= s.content.len() {
                left -= s.content.len();
                spans.push(s);
                continue;
            }
            let content = s.content.get(..left).unwrap_or("").to_string();
            spans.push(Span::styled(content + ellipsis, s.style));
            break;
        }
        Line {
            spans,
            ..Line::default()
        }
    };
    if align == Align::Right {
        let chars: usize = line.spans.iter().map(|s| s.content.chars().count()).sum();
        if let Some(first) = line.spans.first_mut() {
            let pad = " ".repeat(width.saturating_sub(chars));
            first.content = format!("{pad}{}", first.content).into();
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_line_is_cut_across_its_spans_and_keeps_the_cut_spans_style() {
        let bold = Style::new().bold();
        let l = Line::from(vec![Span::raw("abc "), Span::styled("defgh", bold)]);
        let cut = fit_line(l.clone(), 6, "…", Align::Left);
        assert_eq!(text(&cut), "abc d…");
        assert_eq!(cut.spans.get(1).map(|s| s.style), Some(bold));
        assert_eq!(text(&fit_line(l.clone(), 9, "…", Align::Left)), "abc defgh");
        assert_eq!(text(&fit_line(l, 4, "~", Align::Left)), "abc~");
    }

    #[test]
    fn a_right_aligned_cell_is_padded_on_the_left() {
        let l = Line::from(Span::raw("42"));
        assert_eq!(text(&fit_line(l, 5, "…", Align::Right)), "   42");
    }
}
