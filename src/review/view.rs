//! Drawing one review page into a `Rect`: a table of this week against last week (value,
//! arrow, delta), a chart where a picture reads faster than numbers, the named items (longest
//! incidents, at-risk customers, blocked gates …) and the page's note.
//!
//! Pure drawing from `&ReviewSnapshot`; nothing here changes state or does I/O. Colours are
//! dropped entirely when `no_color` is set (`NO_COLOR`), arrows and text carry the meaning.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Wrap,
};
use ratatui::Frame;

use super::model::{Figure, ReviewSnapshot};
use super::report::{self, Unit};
use super::PAGES;

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

/// Draws review page `page` (index into [`PAGES`]) of `snap` into `area`.
pub fn draw_page(
    frame: &mut Frame<'_>,
    area: Rect,
    snap: &ReviewSnapshot,
    page: usize,
    no_color: bool,
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
    let [body, note_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(note_height)]).areas(inner);
    let wide = body.width >= 70;
    let (left, right) = if wide {
        let [l, r] = Layout::horizontal([Constraint::Length(52), Constraint::Min(16)])
            .spacing(2)
            .areas(body);
        (l, r)
    } else {
        let [t, b] = Layout::vertical([Constraint::Percentage(60), Constraint::Min(3)]).areas(body);
        (t, b)
    };
    match PAGES[page] {
        "slos" => draw_slo_table(frame, left, snap, &pal),
        "customers" => draw_customer_table(frame, left, snap, &pal),
        _ => draw_table(frame, left, snap, page, &pal),
    }
    let lists = report::lists(snap, page);
    let wanted = match PAGES[page] {
        "plan" => u16::try_from(snap.plan.sections.len())
            .unwrap_or(u16::MAX)
            .saturating_add(1),
        "slos" => 6,
        _ => 12,
    };
    let chart_height = if lists.is_empty() {
        right.height
    } else {
        wanted.min(right.height.saturating_sub(2).max(3))
    };
    let [chart, list] = Layout::new(
        Direction::Vertical,
        [Constraint::Length(chart_height), Constraint::Min(0)],
    )
    .areas(right);
    draw_chart(frame, chart, snap, page, &pal);
    if list.height > 0 && !lists.is_empty() {
        let lines: Vec<Line<'_>> = lists.into_iter().map(|(_, _, l)| Line::from(l)).collect();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), list);
    }
    if let Some(note) = note {
        let line = Line::from(vec![
            Span::styled("Note: ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(note.replace('\n', " ")),
        ]);
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), note_area);
    }
}

fn draw_table(
    frame: &mut Frame<'_>,
    area: Rect,
    snap: &ReviewSnapshot,
    page: usize,
    pal: &Palette,
) {
    let mut rows: Vec<Row<'_>> = report::rows(snap, page)
        .into_iter()
        .map(|r| {
            let style = pal.verdict(r.key, &r.figure);
            Row::new(vec![
                Cell::from(r.label.clone()),
                Cell::from(report::value(r.figure.this, r.unit)),
                Cell::from(report::value(r.figure.last, r.unit)),
                Cell::from(report::change(&r.figure, r.unit)).style(style),
            ])
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
    let header = Row::new(vec![
        Cell::from(""),
        Cell::from(snap.week.clone()),
        Cell::from(snap.previous_week.clone()),
        Cell::from("change"),
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let widths = [
        Constraint::Length(20),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(11),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

fn bold_header(cells: Vec<String>) -> Row<'static> {
    Row::new(cells.into_iter().map(Cell::from).collect::<Vec<_>>())
        .style(Style::default().add_modifier(Modifier::BOLD))
}

/// One row per SLO: attainment this and last week (arrow), budget left, burn rate.
fn draw_slo_table(frame: &mut Frame<'_>, area: Rect, snap: &ReviewSnapshot, pal: &Palette) {
    let s = &snap.slos;
    let mut rows = vec![Row::new(vec![
        Cell::from("meeting objective"),
        Cell::from(report::value(s.meeting_objective.this, Unit::Count)),
        Cell::from(report::value(s.meeting_objective.last, Unit::Count)),
        Cell::from(report::change(&s.meeting_objective, Unit::Count))
            .style(pal.verdict("slos_meeting_objective", &s.meeting_objective)),
        Cell::from(""),
    ])];
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
    let header = bold_header(vec![
        "SLO".into(),
        snap.week.clone(),
        snap.previous_week.clone(),
        "budget".into(),
        "burn".into(),
    ]);
    let widths = [
        Constraint::Min(12),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(5),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

/// One row per customer: health this and last week, change, NPS with n, band (`!`: at risk).
fn draw_customer_table(frame: &mut Frame<'_>, area: Rect, snap: &ReviewSnapshot, pal: &Palette) {
    let c = &snap.customers;
    let mut rows = vec![Row::new(vec![
        Cell::from("NPS of the week"),
        Cell::from(report::value(c.nps_week.this, Unit::Signed)),
        Cell::from(report::value(c.nps_week.last, Unit::Signed)),
        Cell::from(report::change(&c.nps_week, Unit::Signed))
            .style(pal.verdict("nps_week", &c.nps_week)),
        Cell::from(format!(
            "n={}",
            report::value(c.responses_week.this, Unit::Count)
        )),
        Cell::from(""),
    ])];
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
    let header = bold_header(vec![
        "customer".into(),
        "health".into(),
        "last".into(),
        "change".into(),
        "NPS".into(),
        "band".into(),
    ]);
    let widths = [
        Constraint::Min(10),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(7),
    ];
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

fn u(v: f64) -> u64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped, rounded"
    )]
    let n = v.max(0.0).round() as u64;
    n
}

fn bar<'a>(label: &str, v: Option<f64>, style: Style) -> Bar<'a> {
    Bar::with_label(label.to_string(), u(v.unwrap_or(0.0))).style(style)
}

fn draw_chart(
    frame: &mut Frame<'_>,
    area: Rect,
    snap: &ReviewSnapshot,
    page: usize,
    pal: &Palette,
) {
    if area.height < 3 {
        return;
    }
    let this_style = pal.fg(Color::Cyan);
    let last_style = pal.fg(Color::DarkGray);
    let titled = |t: &str| Block::default().borders(Borders::TOP).title(t.to_string());
    match PAGES[page] {
        "incidents" => {
            let groups: Vec<BarGroup<'_>> = snap
                .incidents
                .by_severity
                .iter()
                .map(|(p, f)| {
                    BarGroup::with_label(
                        p.clone(),
                        vec![bar("", f.this, this_style), bar("", f.last, last_style)],
                    )
                })
                .collect();
            let chart = BarChart::grouped(groups)
                .block(titled("by severity: this | last"))
                .bar_width(2)
                .bar_gap(0)
                .group_gap(2);
            frame.render_widget(chart, area);
        }
        "bugs" => {
            let b = &snap.bugs;
            let groups: Vec<BarGroup<'_>> = b
                .opened_by_priority
                .iter()
                .map(|(p, f)| {
                    let closed = b.closed_by_priority.get(p).and_then(|c| c.this);
                    BarGroup::with_label(
                        p.clone(),
                        vec![
                            bar("", f.this, pal.fg(Color::Red)),
                            bar("", closed, pal.fg(Color::Green)),
                        ],
                    )
                })
                .collect();
            let chart = BarChart::grouped(groups)
                .block(titled("opened | closed this week"))
                .bar_width(2)
                .bar_gap(0)
                .group_gap(2);
            frame.render_widget(chart, area);
        }
        "deployments" => {
            let days = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
            let bars: Vec<Bar<'_>> = snap
                .deployments
                .per_day
                .iter()
                .zip(days)
                .map(|(n, d)| Bar::with_label(d, *n).style(this_style))
                .collect();
            let chart = BarChart::vertical(bars)
                .block(titled("prod deploys per day"))
                .bar_width(2)
                .bar_gap(1);
            frame.render_widget(chart, area);
        }
        "slos" => {
            let pick = snap
                .slos
                .burned_most
                .as_ref()
                .and_then(|n| snap.slos.slos.iter().find(|s| &s.name == n))
                .or_else(|| snap.slos.slos.first());
            if let Some(s) = pick {
                let errors: Vec<Option<u64>> = s
                    .daily_attainment
                    .iter()
                    .map(|a| a.map(|a| u((1.0 - a) * 1_000_000.0)))
                    .collect();
                let spark = Sparkline::default()
                    .block(titled(&format!("daily errors, 14d: {}", s.name)))
                    .data(errors)
                    .style(pal.fg(Color::Red));
                frame.render_widget(spark, area);
            }
        }
        "customers" => {
            let bars: Vec<Bar<'_>> = snap
                .customers
                .customers
                .iter()
                .map(|c| {
                    let label: String = c.name.chars().take(6).collect();
                    bar(&label, c.health.this, pal.band(c.band.this.as_deref()))
                })
                .collect();
            let chart = BarChart::vertical(bars)
                .block(titled("health score"))
                .max(100)
                .bar_width(6)
                .bar_gap(1);
            frame.render_widget(chart, area);
        }
        "plan" => {
            let bars: Vec<Bar<'_>> = snap
                .plan
                .sections
                .iter()
                .map(|s| {
                    let pct = if s.total == 0 {
                        0.0
                    } else {
                        f64::from(s.done) * 100.0 / f64::from(s.total)
                    };
                    let label: String = s.section.chars().take(14).collect();
                    Bar::with_label(label, u(pct))
                        .text_value(format!("{pct:.0}%"))
                        .style(if s.gate {
                            pal.fg(Color::Yellow)
                        } else {
                            this_style
                        })
                })
                .collect();
            let chart = BarChart::horizontal(bars)
                .block(titled("sections done %"))
                .max(100)
                .bar_width(1)
                .bar_gap(0);
            frame.render_widget(chart, area);
        }
        _ => {}
    }
}
