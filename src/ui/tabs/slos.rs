//! The SLOs tab: objective, window, attainment, budget bar, burn rates per window (the selected
//! window highlighted; only that one at 80 columns), the alert state, time to exhaustion and a
//! sparkline of daily attainment; an SLO whose window is not yet covered by data shows its
//! coverage (`9/28d`) after the name. The detail pane shows the budget projection, the window
//! coverage, the queries, every window's numbers, the low-traffic note and the daily history.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use crate::app::derive::{short_duration, slo_view, SloView};
use crate::app::state::{State, SLO_WINDOWS};
use crate::domain::Slo;
use crate::metrics::slo::coverage::{
    projected_full_window_consumed, projection, projection_sentence, WindowCoverage,
};
use crate::metrics::slo::{AlertState, Window};
use crate::metrics::stored::stored_coverage;
use crate::ui::text::{ago, fit};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::{Column, Dir, ListTable, Width};
use crate::ui::widgets::detail::{render_detail, DetailLines};

/// The burn-rate columns: every window up to three days, titled with its label (the 28- and
/// 30-day windows are the SLOs' own, not burn windows).
fn burn_windows() -> impl Iterator<Item = Window> {
    Window::ALL
        .into_iter()
        .filter(|w| w.secs() <= Window::Days3.secs())
}

fn selected_window(state: &State) -> Window {
    SLO_WINDOWS
        .get(state.slo_window)
        .and_then(|l| Window::from_label(l))
        .unwrap_or(Window::Hour1)
}

/// `ERROR` when the latest computation of the SLO failed (a reason in `last_error` that is not
/// a warning next to fresh counts), so a misconfigured SLO never reads as an idle `NO DATA`.
fn state_span(s: &Slo, v: &SloView, t: Theme) -> Span<'static> {
    let failed = s
        .last_error
        .as_deref()
        .is_some_and(|e| !e.starts_with(crate::sync::prometheus::WARNING_PREFIX));
    if failed {
        return Span::styled("ERROR", t.bad());
    }
    match v.eval.as_ref().map(|e| e.alerts.state) {
        Some(AlertState::Page) => Span::styled("PAGE", t.bad()),
        Some(AlertState::Ticket) => Span::styled(
            "TICKET",
            t.warn().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Some(AlertState::Ok) => Span::styled("OK", t.good()),
        Some(AlertState::NoData) => Span::styled("NO DATA", t.fg(ratatui::style::Color::Gray)),
        None => Span::styled("INVALID", t.bad()),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |a| format!("{:.3}%", a * 100.0))
}

fn budget_span(v: &SloView, width: usize, t: Theme) -> Span<'static> {
    match v.eval.as_ref().and_then(|e| e.budget) {
        Some(b) if b.is_exhausted() => {
            Span::styled(format!("EXHAUSTED {:.0}%", b.remaining * 100.0), t.bad())
        }
        Some(b) => {
            let style = if b.remaining < 0.25 {
                t.warn()
            } else {
                t.good()
            };
            Span::styled(
                format!(
                    "{} {:>3.0}%",
                    t.bar(b.remaining, width),
                    b.remaining * 100.0
                ),
                style,
            )
        }
        None => Span::styled("no data", t.dim()),
    }
}

fn burn_text(v: &SloView, w: Window) -> String {
    match v.burns.iter().find(|b| b.window == w).and_then(|b| b.burn) {
        Some(b) if b >= 100.0 => format!("{b:.0}"),
        Some(b) => format!("{b:.1}"),
        None => "—".to_string(),
    }
}

fn tte(v: &SloView) -> String {
    #[allow(clippy::cast_possible_truncation, reason = "seconds within years")]
    v.eval
        .as_ref()
        .and_then(|e| e.time_to_exhaustion_secs)
        .map_or_else(
            || "—".to_string(),
            |s| {
                if s <= 0.0 {
                    "now".to_string()
                } else {
                    short_duration(s.min(9.0e9) as i64)
                }
            },
        )
}

/// A text sparkline of daily attainment: full block = no errors, lowest = burn ≥ 2× that day.
#[must_use]
pub fn spark_text(v: &SloView, days: usize, t: Theme) -> String {
    let budget = v.objective.as_ref().map_or(0.001, |o| o.budget_ratio());
    let n = v.daily_attainment.len();
    v.daily_attainment
        .iter()
        .skip(n.saturating_sub(days))
        .map(|a| match a {
            None => ' ',
            Some(a) => {
                let burn = ((1.0 - a) / budget).clamp(0.0, 2.0);
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "0..=7"
                )]
                let level = (7.0 * (1.0 - burn / 2.0)).round() as usize;
                t.spark(level)
            }
        })
        .collect()
}

/// The views of the SLOs on screen, computed once per frame and looked up by row id.
type Views = std::collections::HashMap<i64, SloView>;

/// A column whose cell needs the SLO's view.
fn view_col<'a>(
    title: &'static str,
    width: Width,
    views: &'a Views,
    f: impl Fn(&Slo, &SloView) -> Span<'static> + 'a,
) -> Column<'a, Slo> {
    Column::new(title, width, move |s: &Slo| match views.get(&s.id) {
        Some(v) => f(s, v),
        None => Span::raw("—"),
    })
}

/// The SLO list's columns at `width` (all burn windows from 104 columns, service, objective
/// and window from 140).
fn columns<'a>(state: &State, views: &'a Views, t: Theme, width: u16) -> Vec<Column<'a, Slo>> {
    let wide = width >= 104;
    let extra = width >= 140;
    let sel = selected_window(state);
    let sel_header: &'static str = SLO_WINDOWS.get(state.slo_window).copied().unwrap_or("1h");
    let mut c = vec![Column::text("name", Width::Fill(1), |s: &Slo| {
        match stored_coverage(s).filter(WindowCoverage::is_partial) {
            Some(c) => format!("{} {}/{}d", s.name, c.covered_days, c.window_days),
            None => s.name.clone(),
        }
    })
    .sorted(0, Dir::Asc)];
    if extra {
        c.push(
            Column::text("service", Width::Fixed(9), |s: &Slo| s.service.clone())
                .sorted(1, Dir::Asc),
        );
        c.push(
            Column::text("obj", Width::Fixed(6), |s: &Slo| {
                format!("{}%", s.objective)
            })
            .sorted(2, Dir::Asc),
        );
        c.push(Column::text("win", Width::Fixed(3), |s: &Slo| {
            format!("{}d", s.window_days)
        }));
    }
    c.push(view_col("attain", Width::Fixed(8), views, |_, v| {
        Span::raw(pct(v.eval.as_ref().and_then(|e| e.attainment)))
    }));
    let bar_w = if wide { 10 } else { 5 };
    c.push(view_col(
        "budget",
        Width::Fixed(if wide { 15 } else { 10 }),
        views,
        move |_, v| budget_span(v, bar_w, t),
    ));
    if wide {
        for w in burn_windows() {
            let style = if w == sel {
                t.bold().add_modifier(ratatui::style::Modifier::UNDERLINED)
            } else {
                ratatui::style::Style::new()
            };
            c.push(view_col(w.label(), Width::Fixed(4), views, move |_, v| {
                Span::styled(burn_text(v, w), style)
            }));
        }
    } else {
        c.push(view_col(sel_header, Width::Fixed(4), views, move |_, v| {
            Span::raw(burn_text(v, sel))
        }));
    }
    c.push(view_col("state", Width::Fixed(7), views, move |s, v| {
        state_span(s, v, t)
    }));
    c.push(view_col("exhausts", Width::Fixed(8), views, |_, v| {
        Span::raw(tte(v))
    }));
    if wide {
        let days = if extra { 14 } else { 7 };
        c.push(view_col(
            "daily",
            Width::Fixed(if extra { 14 } else { 7 }),
            views,
            move |_, v| Span::styled(spark_text(v, days, t), t.label()),
        ));
    }
    c
}

/// Draws the SLOs tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) =
        crate::ui::split_body_pct(area, state.show_detail, state.slos.view.len(), 72);
    let list = &state.slos;
    let views: Views = list.visible().map(|s| (s.id, slo_view(s))).collect();
    let sel_header: &'static str = SLO_WINDOWS.get(state.slo_window).copied().unwrap_or("1h");
    let mut table = ListTable::new("SLOs", list, columns(state, &views, t, list_area.width), t)
        .row_style(move |s: &Slo| {
            if s.last_error.is_some() {
                t.warn()
            } else {
                ratatui::style::Style::new()
            }
        });
    table.title_extra.push(Span::styled(
        format!("burn window {sel_header} (w) "),
        t.dim(),
    ));
    table.render(list_area, buf);
    if let Some(area) = detail_area {
        render_slo_detail(state, t, area, buf);
    }
}

fn render_slo_detail(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let Some(slo) = state.slos.selected_row() else {
        let mut l = DetailLines::default();
        l.text("no SLO selected");
        render_detail("SLO", l, t, area, buf);
        return;
    };
    let v = slo_view(slo);
    // The chart takes the bottom of the pane when there is room.
    let chart_h: u16 = if area.height >= 16 { 6 } else { 0 };
    let [text_area, chart_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(chart_h)]).areas(area);
    render_detail("SLO", detail(state, slo, &v, t), t, text_area, buf);
    if chart_h > 0 {
        let budget = v.objective.as_ref().map_or(0.001, |o| o.budget_ratio());
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "0..=1000"
        )]
        let data: Vec<u64> = v
            .daily_attainment
            .iter()
            .map(|a| {
                a.map_or(0, |a| {
                    (1000.0 * (1.0 - ((1.0 - a) / budget / 2.0).clamp(0.0, 1.0))).round() as u64
                })
            })
            .collect();
        let title = format!(" {} days: bar = 1 − burn/2 ", data.len());
        Sparkline::default()
            .block(t.block().title(Span::styled(title, t.dim())))
            .data(&data)
            .max(1000)
            .style(t.label())
            .render(chart_area, buf);
    }
}

/// The full-screen view of the selected SLO (the pane's text; the chart stays in the pane).
pub(super) fn full_detail(state: &State, t: Theme) -> DetailLines {
    match state.slos.selected_row() {
        Some(slo) => detail(state, slo, &slo_view(slo), t),
        None => {
            let mut l = DetailLines::default();
            l.text("no SLO selected");
            l
        }
    }
}

fn detail(state: &State, slo: &Slo, v: &SloView, t: Theme) -> DetailLines {
    let mut l = DetailLines::default();
    l.lines.push(Line::from(vec![
        Span::styled(format!("{} ", slo.name), t.bold()),
        state_span(slo, v, t),
    ]));
    l.field(t, "service", slo.service.clone());
    match &v.objective {
        Ok(_) => l.field(
            t,
            "objective",
            format!(
                "{}% over {}d ({})",
                slo.objective, slo.window_days, slo.kind
            ),
        ),
        Err(e) => l.styled(t, "objective", format!("{}: {e}", slo.objective), t.bad()),
    }
    if let Some(e) = &v.eval {
        l.field(t, "attainment", pct(e.attainment));
        l.lines.push(Line::from(vec![
            Span::styled(format!("{:<11}", "budget"), t.label()),
            budget_span(v, 16, t),
        ]));
        if let Some(b) = e.budget {
            let p = projection(b.remaining, e.slo_window, e.burn_rate_1h);
            l.field(t, "projection", projection_sentence(p));
        }
        if let Some(c) = stored_coverage(slo) {
            if c.is_partial() {
                l.styled(
                    t,
                    "coverage",
                    format!("{} — budget against observed events", c.label()),
                    t.warn(),
                );
                if let Some(b) = e.budget {
                    l.field(
                        t,
                        "full win",
                        format!(
                            "{:.1}% of a full window's budget used (burn × {}/{})",
                            projected_full_window_consumed(b.consumed, c) * 100.0,
                            c.covered_days,
                            c.window_days
                        ),
                    );
                }
            } else {
                l.field(t, "coverage", c.label());
            }
        }
    }
    if let (Some(err), at) = (&slo.last_error, slo.last_error_at) {
        let age = at
            .map(|a| format!(" ({} ago)", ago(state.now, a)))
            .unwrap_or_default();
        l.styled(t, "last error", format!("{err}{age}"), t.bad());
    }
    if let Some(u) = slo.updated_at {
        l.field(t, "updated", format!("{} ago", ago(state.now, u)));
    }
    l.field(t, "good", fit(&slo.good_query, 2000));
    l.field(t, "total", fit(&slo.total_query, 2000));
    if let Some(le) = &slo.threshold_le {
        l.field(t, "le", le.clone());
    }
    l.gap();
    l.lines.push(Line::styled(
        format!(
            "{:<6}{:>12}{:>8}{:>12}{:>12}",
            "window", "error ratio", "burn", "bad", "requests"
        ),
        t.header(),
    ));
    for b in &v.burns {
        let er = b
            .error_ratio
            .map_or_else(|| "no data".to_string(), |e| format!("{:.4}%", e * 100.0));
        let style = if b.low_traffic {
            t.warn()
        } else {
            ratatui::style::Style::new()
        };
        l.lines.push(Line::styled(
            format!(
                "{:<6}{:>12}{:>8}{:>12.0}{:>12.0}",
                b.window.label(),
                er,
                burn_text(v, b.window),
                b.bad,
                b.total
            ),
            style,
        ));
    }
    if v.low_traffic {
        l.styled(
            t,
            "note",
            "low traffic: burn rates jumpy (fewer than 100 requests in a window)",
            t.warn(),
        );
    }
    l
}
