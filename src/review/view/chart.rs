//! The chart beside (or, below 100 columns, under) a review page's table: incidents by
//! severity this week against last, bugs opened and closed by priority, production deploys per
//! day, the SLO that burned most as a daily-errors sparkline, customer health, and the
//! checklist's sections done.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Sparkline, Widget};

use super::super::model::ReviewSnapshot;
use super::super::PAGES;
use super::Palette;

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

/// A chart of two bars per label (this | last week, opened | closed), in `styles`.
fn paired<'a>(
    pairs: impl Iterator<Item = (String, Option<f64>, Option<f64>)>,
    styles: (Style, Style),
    block: Block<'a>,
) -> BarChart<'a> {
    let groups: Vec<BarGroup<'_>> = pairs
        .map(|(label, a, b)| {
            BarGroup::with_label(label, vec![bar("", a, styles.0), bar("", b, styles.1)])
        })
        .collect();
    BarChart::grouped(groups)
        .block(block)
        .bar_width(2)
        .bar_gap(0)
        .group_gap(2)
}

pub(super) fn draw_chart(
    buf: &mut Buffer,
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
    let chart = match PAGES[page] {
        "incidents" => {
            let pairs = snap
                .incidents
                .by_severity
                .iter()
                .map(|(p, f)| (p.clone(), f.this, f.last));
            let styles = (this_style, last_style);
            paired(pairs, styles, titled("by severity: this | last"))
        }
        "bugs" => {
            let b = &snap.bugs;
            let pairs = b.opened_by_priority.iter().map(|(p, f)| {
                let closed = b.closed_by_priority.get(p).and_then(|c| c.this);
                (p.clone(), f.this, closed)
            });
            let styles = (pal.fg(Color::Red), pal.fg(Color::Green));
            paired(pairs, styles, titled("opened | closed this week"))
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
            BarChart::vertical(bars)
                .block(titled("prod deploys per day"))
                .bar_width(2)
                .bar_gap(1)
        }
        "slos" => {
            // The one page drawn as a sparkline rather than bars.
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
                spark.render(area, buf);
            }
            return;
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
            BarChart::vertical(bars)
                .block(titled("health score"))
                .max(100)
                .bar_width(6)
                .bar_gap(1)
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
            BarChart::horizontal(bars)
                .block(titled("sections done %"))
                .max(100)
                .bar_width(1)
                .bar_gap(0)
        }
        _ => return,
    };
    chart.render(area, buf);
}
