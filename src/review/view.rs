//! Drawing one review page into a `Rect`: a table of this week against last week (value,
//! arrow, delta), a chart where a picture reads faster than numbers, the named items (longest
//! incidents, at-risk customers, blocked gates …) and the page's note.
//!
//! Pure drawing from `&ReviewSnapshot`; nothing here changes state or does I/O. Colours are
//! dropped entirely when `no_color` is set (`NO_COLOR`), arrows and text carry the meaning.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};
use ratatui::Frame;

use super::model::{Figure, ReviewSnapshot};
use super::report::{self, Unit};
use super::PAGES;

mod chart;
use chart::draw_chart;

/// Whether a rising figure is good news (`Some(true)`), bad news (`Some(false)`) or neither.
#[must_use]
pub fn higher_is_better(key: &str) -> Option<bool> {
    match key {
        "sla_compliance"
        | "sla_met"
        | "closed"
        | "acknowledged"
        | "resolved"
        | "deployments"
        | "deploys_per_day"
        | "attainment"
        | "budget_remaining"
        | "health"
        | "nps"
        | "nps_week"
        | "promoters_pct"
        | "items_done"
        | "slos_meeting_objective" => Some(true),
        "incidents"
        | "mtta_mean_secs"
        | "mtta_median_secs"
        | "mttr_mean_secs"
        | "mttr_median_secs"
        | "sla_breached"
        | "opened"
        | "open_at_end"
        | "overdue"
        | "lead_time_median_secs"
        | "change_failure_rate"
        | "failed_deployments"
        | "recovery_median_secs"
        | "failed_attempts"
        | "rolled_back"
        | "rework"
        | "rework_rate"
        | "open_by_age"
        | "detractors_pct"
        | "burn_rate" => Some(false),
        _ => None,
    }
}

struct Palette {
    no_color: bool,
}

impl Palette {
    fn fg(&self, c: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    fn verdict(&self, key: &str, f: &Figure) -> Style {
        let good = match (higher_is_better(key), f.delta()) {
            (Some(h), Some(d)) if d.abs() > 1e-9 => Some((d > 0.0) == h),
            _ => None,
        };
        match good {
            Some(true) => self.fg(Color::Green),
            Some(false) => self.fg(Color::Red),
            None => Style::default(),
        }
    }

    fn band(&self, band: Option<&str>) -> Style {
        match band {
            Some("green") => self.fg(Color::Green),
            Some("yellow") => self.fg(Color::Yellow),
            Some("red") => self.fg(Color::Red),
            _ => Style::default(),
        }
    }
}

/// Below this many columns a page stacks its table above its chart and lists instead of
/// putting them side by side, so nothing is cut at 80 columns.
pub const NARROW_BELOW_COLS: u16 = 100;

/// The most rows one page can lay out off screen (a page is a few dozen rows; the bound keeps a
/// hostile snapshot from allocating without limit).
const MAX_PAGE_ROWS: u16 = 400;

/// Draws review page `page` (index into [`PAGES`]) of `snap` into `area`, from the top.
pub fn draw_page(
    frame: &mut Frame<'_>,
    area: Rect,
    snap: &ReviewSnapshot,
    page: usize,
    no_color: bool,
) {
    draw_page_scrolled(frame, area, snap, page, no_color, 0);
}

/// Draws review page `page` scrolled down by `scroll_rows`.
///
/// The page is laid out whole on an off-screen buffer (table, chart and lists side by side at
/// [`NARROW_BELOW_COLS`] or more, stacked below that) and the visible window is copied onto the
/// frame, so a short terminal scrolls instead of dropping rows. The last line says which page
/// this is, how to move, and how many rows are below the window.
pub fn draw_page_scrolled(
    frame: &mut Frame<'_>,
    area: Rect,
    snap: &ReviewSnapshot,
    page: usize,
    no_color: bool,
    scroll_rows: u16,
) {
    let pal = Palette { no_color };
    let page = page.min(PAGES.len().saturating_sub(1));
    let title = format!(
        " Friday review {} vs {} · {}/{} {} ",
        snap.week,
        snap.previous_week,
        page + 1,
        PAGES.len(),
        report::title(page)
    );
    let mut block = Block::default().borders(Borders::ALL).title(title);
    if snap.in_progress {
        block = block.title_bottom(" week in progress ");
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 20 || inner.height < 4 {
        frame.render_widget(Paragraph::new("window too small for the review"), inner);
        return;
    }
    let note = snap.notes.get(PAGES[page]);
    let note_height = u16::from(note.is_some()) * 2;
    let [body, note_area, footer] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(note_height),
        Constraint::Length(1),
    ])
    .areas(inner);
    let laid = lay_out(snap, page, body.width, &pal);
    let content_rows = laid.content_rows;
    let max_scroll = content_rows.saturating_sub(body.height);
    let top = scroll_rows.min(max_scroll);
    let buf = frame.buffer_mut();
    for y in 0..body.height.min(content_rows.saturating_sub(top)) {
        for x in 0..body.width {
            if let (Some(src), Some(dst)) = (
                laid.buf.cell((x, top + y)),
                buf.cell_mut((body.x + x, body.y + y)),
            ) {
                *dst = src.clone();
            }
        }
    }
    if let Some(note) = note {
        let line = Line::from(vec![
            Span::styled("Note: ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(note.replace('\n', " ")),
        ]);
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), note_area);
    }
    let below = content_rows.saturating_sub(top + body.height);
    frame.render_widget(
        Paragraph::new(footer_line(page, top, below, footer.width)).style(pal.fg(Color::DarkGray)),
        footer,
    );
}

/// The review footer: page n/6, the keys, and how much is above or below the window. Plain
/// ASCII so it reads the same in every terminal.
fn footer_line(page: usize, top: u16, below: u16, width: u16) -> String {
    let mut parts = vec![format!("page {}/{}", page + 1, PAGES.len())];
    if below > 0 {
        parts.push(format!("+{below} more below (j/k scroll)"));
    } else if top > 0 {
        parts.push(format!("{top} rows above (k scrolls up)"));
    }
    parts.push("n/p page".into());
    parts.push("c note".into());
    parts.push("q back".into());
    let mut line = String::new();
    for p in parts {
        let sep = if line.is_empty() { "" } else { " | " };
        if line.chars().count() + sep.len() + p.chars().count() > usize::from(width) {
            break;
        }
        line.push_str(sep);
        line.push_str(&p);
    }
    line
}

/// A page laid out whole, off screen.
struct Laid {
    buf: Buffer,
    content_rows: u16,
}

/// How many rows page `page` takes when laid out `width` columns wide (the footer and note
/// not counted). The app uses it to stop scrolling at the last row.
#[must_use]
pub fn content_rows(snap: &ReviewSnapshot, page: usize, width: u16) -> u16 {
    let pal = Palette { no_color: true };
    lay_out(snap, page.min(PAGES.len().saturating_sub(1)), width, &pal).content_rows
}

fn lay_out(snap: &ReviewSnapshot, page: usize, width: u16, pal: &Palette) -> Laid {
    let table_rows = table_rows(snap, page);
    let lists = report::lists(snap, page);
    let chart_rows = match PAGES[page] {
        "plan" => u16::try_from(snap.plan.sections.len())
            .unwrap_or(u16::MAX)
            .saturating_add(1),
        "slos" => 6,
        _ => 12,
    };
    let wide = width >= NARROW_BELOW_COLS;
    // The table gets 45 % of a wide screen (at least 52 columns, at most 90) so long section
    // and customer names are not cut when there is room for them.
    let left_width = (width.saturating_mul(45) / 100).clamp(52, 90);
    let side_width = if wide {
        width.saturating_sub(left_width + 2)
    } else {
        width
    };
    let list_lines: Vec<Line<'_>> = lists.into_iter().map(|(_, _, l)| Line::from(l)).collect();
    let list_rows = wrapped_rows(&list_lines, side_width);
    let side_rows = chart_rows.saturating_add(list_rows);
    let total = if wide {
        table_rows.max(side_rows)
    } else {
        table_rows.saturating_add(1).saturating_add(side_rows)
    }
    .min(MAX_PAGE_ROWS);
    let full = Rect::new(0, 0, width, total.max(1));
    let mut buf = Buffer::empty(full);
    let (left, right) = if wide {
        let [l, r] = Layout::horizontal([Constraint::Length(left_width), Constraint::Min(16)])
            .spacing(2)
            .areas(full);
        (l, r)
    } else {
        let [t, _, b] = Layout::vertical([
            Constraint::Length(table_rows),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(full);
        (t, b)
    };
    match PAGES[page] {
        "slos" => draw_slo_table(&mut buf, left, snap, pal),
        "customers" => draw_customer_table(&mut buf, left, snap, pal),
        _ => draw_table(&mut buf, left, snap, page, pal),
    }
    let [chart, list] = Layout::new(
        Direction::Vertical,
        [Constraint::Length(chart_rows), Constraint::Min(0)],
    )
    .areas(right);
    draw_chart(&mut buf, chart, snap, page, pal);
    if list.height > 0 && !list_lines.is_empty() {
        Paragraph::new(list_lines)
            .wrap(Wrap { trim: true })
            .render(list, &mut buf);
    }
    let content_rows = last_used_row(&buf).map_or(0, |r| r + 1);
    Laid { buf, content_rows }
}

/// Rows the page's table takes: a header and one row per figure.
fn table_rows(snap: &ReviewSnapshot, page: usize) -> u16 {
    let n = match PAGES[page] {
        "slos" => snap.slos.slos.len() + 1,
        "customers" => snap.customers.customers.len() + 1,
        "deployments" => report::rows(snap, page).len() + report::band_rows(snap).len(),
        _ => report::rows(snap, page).len(),
    };
    u16::try_from(n + 1).unwrap_or(MAX_PAGE_ROWS)
}

/// An upper bound of the rows `lines` take word-wrapped at `width` (a word can push a line
/// over, so each line gets room for a word's worth of slack).
fn wrapped_rows(lines: &[Line<'_>], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let n: usize = lines.iter().map(|l| l.width() / w + 2).sum();
    u16::try_from(n).unwrap_or(MAX_PAGE_ROWS)
}

/// `label` cut to `cols` characters, ending in `…` when it was longer.
fn fit_label(label: &str, cols: usize) -> String {
    if label.chars().count() <= cols {
        return label.to_string();
    }
    let mut out: String = label.chars().take(cols.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The last row of `buf` with anything but blanks on it.
fn last_used_row(buf: &Buffer) -> Option<u16> {
    let area = buf.area;
    (0..area.height)
        .rev()
        .find(|y| (0..area.width).any(|x| buf.cell((x, *y)).is_some_and(|c| c.symbol() != " ")))
}

fn draw_table(buf: &mut Buffer, area: Rect, snap: &ReviewSnapshot, page: usize, pal: &Palette) {
    // label, two values of 9 and a change of 11, with a space between columns
    let label_cols = usize::from(area.width.saturating_sub(9 + 9 + 11 + 3).max(20));
    let mut rows: Vec<Row<'_>> = report::rows(snap, page)
        .into_iter()
        .map(|r| {
            let label = fit_label(&r.label, label_cols);
            Row::new(figure_cells(label, (r.key, &r.figure), r.unit, pal))
        })
        .collect();
    if PAGES[page] == "deployments" {
        for (label, this, last) in report::band_rows(snap) {
            rows.push(Row::new(vec![
                Cell::from(label),
                Cell::from(this),
                Cell::from(last),
                Cell::from(""),
            ]));
        }
    }
    let header = vec![
        String::new(),
        snap.week.clone(),
        snap.previous_week.clone(),
        "change".into(),
    ];
    grid(rows, header, 20, &[9, 9, 11]).render(area, buf);
}

/// A figure's cells: its label, this week, last week and the change (coloured by the
/// verdict for `key`).
fn figure_cells(
    label: String,
    (key, f): (&str, &Figure),
    unit: Unit,
    pal: &Palette,
) -> Vec<Cell<'static>> {
    vec![
        Cell::from(label),
        Cell::from(report::value(f.this, unit)),
        Cell::from(report::value(f.last, unit)),
        Cell::from(report::change(f, unit)).style(pal.verdict(key, f)),
    ]
}

/// A table of `rows` under a bold `header`: the first column takes what the others leave (at
/// least `first_min` cells), the others are `widths` cells wide, one cell apart.
fn grid<'a>(rows: Vec<Row<'a>>, header: Vec<String>, first_min: u16, widths: &[u16]) -> Table<'a> {
    let widths = std::iter::once(Constraint::Min(first_min))
        .chain(widths.iter().map(|w| Constraint::Length(*w)));
    let header = Row::new(header.into_iter().map(Cell::from).collect::<Vec<_>>())
        .style(Style::default().add_modifier(Modifier::BOLD));
    Table::new(rows, widths).header(header).column_spacing(1)
}

/// One row per SLO: attainment this and last week (arrow), budget left, burn rate.
fn draw_slo_table(buf: &mut Buffer, area: Rect, snap: &ReviewSnapshot, pal: &Palette) {
    let s = &snap.slos;
    let meeting = ("slos_meeting_objective", &s.meeting_objective);
    let mut first = figure_cells("meeting objective".into(), meeting, Unit::Count, pal);
    first.push(Cell::from(""));
    let mut rows = vec![Row::new(first)];
    for l in &s.slos {
        let arrow = l.attainment.arrow();
        rows.push(Row::new(vec![
            Cell::from(l.name.clone()),
            Cell::from(format!(
                "{}{arrow}",
                report::value(l.attainment.this, Unit::Attain)
            ))
            .style(pal.verdict("attainment", &l.attainment)),
            Cell::from(report::value(l.attainment.last, Unit::Attain)),
            Cell::from(report::value(l.budget_remaining.this, Unit::Pct))
                .style(pal.verdict("budget_remaining", &l.budget_remaining)),
            Cell::from(report::value(l.burn_rate.this, Unit::Decimal)),
        ]));
    }
    let header = vec![
        "SLO".into(),
        snap.week.clone(),
        snap.previous_week.clone(),
        "budget".into(),
        "burn".into(),
    ];
    grid(rows, header, 12, &[9, 8, 6, 5]).render(area, buf);
}

/// One row per customer: health this and last week, change, NPS with n, band (`!`: at risk).
fn draw_customer_table(buf: &mut Buffer, area: Rect, snap: &ReviewSnapshot, pal: &Palette) {
    let c = &snap.customers;
    let nps = ("nps_week", &c.nps_week);
    let mut first = figure_cells("NPS of the week".into(), nps, Unit::Signed, pal);
    first.extend([
        Cell::from(format!(
            "n={}",
            report::value(c.responses_week.this, Unit::Count)
        )),
        Cell::from(""),
    ]);
    let mut rows = vec![Row::new(first)];
    for l in &c.customers {
        let band = l.band.this.as_deref();
        let mark = if l.at_risk { "!" } else { "" };
        rows.push(Row::new(vec![
            Cell::from(l.name.clone()),
            Cell::from(report::value(l.health.this, Unit::Count)).style(pal.band(band)),
            Cell::from(report::value(l.health.last, Unit::Count)),
            Cell::from(report::change(&l.health, Unit::Count))
                .style(pal.verdict("health", &l.health)),
            Cell::from(format!(
                "{} n={}",
                report::value(l.nps.this, Unit::Signed),
                report::value(l.nps_n.this.or(Some(0.0)), Unit::Count)
            )),
            Cell::from(format!("{}{mark}", band.unwrap_or("–"))).style(pal.band(band)),
        ]));
    }
    let header = ["customer", "health", "last", "change", "NPS", "band"];
    let header = header.into_iter().map(String::from).collect();
    grid(rows, header, 10, &[6, 4, 6, 9, 7]).render(area, buf);
}
