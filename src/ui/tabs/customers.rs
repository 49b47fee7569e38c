//! The customers tab: stage, vertical, ACV, owner, health (score and band colour), latest NPS,
//! tickets per week, open P0/P1 and churn risk; the detail pane shows dates, usage, NPS history,
//! the health breakdown (score, weight, points per measure; missing measures) and notes.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Widget};

use super::{empty_text, marker, DataTable};
use crate::app::derive::{
    customer_health, customer_services, services_budget_remaining, CustomerHealth,
};
use crate::app::msg::Detail;
use crate::app::state::State;
use crate::domain::{ChurnRisk, Customer, NoteKind, Stage};
use crate::metrics::customer::HealthBand;
use crate::ui::split_body;
use crate::ui::text::{ago, fit, hm};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::list_title;
use crate::ui::widgets::detail::{render_detail, DetailLines};

fn health_of(state: &State, c: &Customer) -> CustomerHealth {
    let services = customer_services(c, &state.incidents.rows);
    let budget = services_budget_remaining(&services, &state.slos.rows);
    customer_health(&state.policy, c, budget)
}

fn band_style(b: HealthBand, t: Theme) -> ratatui::style::Style {
    match b {
        HealthBand::Red => t.bad(),
        HealthBand::Yellow => t.warn(),
        HealthBand::Green => t.good(),
    }
}

fn health_span(h: &CustomerHealth, t: Theme) -> Span<'static> {
    match &h.health {
        Some(s) => Span::styled(format!("{:>3} {}", s.score, s.band), band_style(s.band, t)),
        None => Span::styled("—", t.dim()),
    }
}

fn nps_text(h: &CustomerHealth) -> String {
    match (h.latest_nps, h.nps) {
        (Some(latest), Some(n)) => format!("{latest} ({:+}, n={})", n.score, n.respondents),
        _ => "—".to_string(),
    }
}

fn churn_span(r: ChurnRisk, t: Theme) -> Span<'static> {
    let style = match r {
        ChurnRisk::High => t.bad(),
        ChurnRisk::Medium => t.warn(),
        ChurnRisk::Low => t.dim(),
    };
    Span::styled(r.as_str(), style)
}

/// `$120k` style ACV.
#[must_use]
pub fn acv(usd: i64) -> String {
    if usd.abs() >= 1_000_000 {
        format!("${:.1}M", usd as f64 / 1e6)
    } else if usd.abs() >= 1_000 {
        format!("${}k", usd / 1_000)
    } else {
        format!("${usd}")
    }
}

/// Draws the customers tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) = split_body(area, state.show_detail, state.customers.view.len());
    let wide = list_area.width >= 96;
    let vertical = list_area.width >= 130;
    let list = &state.customers;
    let (header, widths) = if wide {
        let mut h = vec!["", "name", "stage"];
        let mut w = vec![
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(8),
        ];
        if vertical {
            h.push("vertical");
            w.push(Constraint::Length(14));
        }
        h.extend([
            "ACV", "owner", "health", "NPS (n)", "tix/wk", "P0/1", "churn",
        ]);
        w.extend([
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(14),
            Constraint::Length(6),
            Constraint::Length(4),
            Constraint::Length(6),
        ]);
        (h, w)
    } else {
        (
            vec![
                "", "name", "stage", "ACV", "health", "NPS (n)", "P0/1", "churn",
            ],
            vec![
                Constraint::Length(1),
                Constraint::Fill(1),
                Constraint::Length(8),
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Length(13),
                Constraint::Length(4),
                Constraint::Length(6),
            ],
        )
    };
    let fill = crate::ui::widgets::data_table::fill_width(list_area.width, &widths);
    let rows_h = usize::from(list_area.height.saturating_sub(3));
    let offset = list.window_offset(rows_h);
    let rows: Vec<Row<'_>> = list
        .window(rows_h)
        .map(|c| {
            let h = health_of(state, c);
            let mut cells = vec![
                Cell::from(marker(c.pending, false, list.marked.contains(&c.id), t)),
                Cell::from(crate::ui::text::fit(&c.name, fill)),
                Cell::from(c.stage.as_str()),
            ];
            if vertical {
                cells.push(Cell::from(c.vertical.clone()));
            }
            cells.push(Cell::from(acv(c.acv_usd)));
            if wide {
                cells.push(Cell::from(c.owner.clone()));
            }
            cells.push(Cell::from(health_span(&h, t)));
            cells.push(Cell::from(nps_text(&h)));
            if wide {
                cells.push(Cell::from(format!("{:.1}", c.tickets_per_week)));
            }
            let p01 = Span::styled(
                c.open_p0_p1_bugs.to_string(),
                if c.open_p0_p1_bugs > 0 {
                    t.bad()
                } else {
                    t.dim()
                },
            );
            cells.push(Cell::from(p01));
            cells.push(Cell::from(churn_span(c.churn_risk, t)));
            let row = Row::new(cells);
            if c.stage == Stage::Churned {
                row.style(t.dim())
            } else {
                row
            }
        })
        .collect();
    DataTable {
        title: list_title(
            "Customers",
            list.shown_rows(),
            list.total_rows(),
            &list.filter,
            t,
        ),
        header,
        rows,
        widths,
        selected: (!list.view.is_empty()).then_some(list.selected - offset),
        focused: true,
        empty: empty_text(list.loaded, !list.filter.is_empty()),
        theme: t,
    }
    .render(list_area, buf);
    if let Some(area) = detail_area {
        render_detail("Customer", detail(state, t, false), t, area, buf);
    }
}

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "—".to_string(), |d| d.to_string())
}

/// The customer's detail; `full` (the full-screen view) keeps every note and all its text.
pub(super) fn detail(state: &State, t: Theme, full: bool) -> DetailLines {
    let mut l = DetailLines::default();
    let Some(c) = state.customers.selected_row() else {
        l.text("no customer selected");
        return l;
    };
    let h = health_of(state, c);
    l.lines.push(Line::from(vec![
        Span::styled(format!("{} ", c.name), t.bold()),
        health_span(&h, t),
    ]));
    if c.pending {
        l.styled(t, "pending", "an edit is being saved", t.warn());
    }
    l.field(
        t,
        "stage",
        format!(
            "{} · {} · {} · owner {}",
            c.stage,
            c.vertical,
            acv(c.acv_usd),
            c.owner
        ),
    );
    l.field(
        t,
        "dates",
        format!(
            "POC {} · signed {} · live {}",
            opt_date(c.poc_start),
            opt_date(c.signed_on),
            opt_date(c.go_live)
        ),
    );
    let usage = c
        .usage_days_per_week
        .map_or_else(|| "—".to_string(), |u| format!("{u:.1} days/wk"));
    let adoption = c
        .feature_adoption_pct
        .map_or_else(|| "—".to_string(), |a| format!("{a:.0}% adoption"));
    l.field(t, "usage", format!("{usage} · {adoption}"));
    l.field(
        t,
        "support",
        format!(
            "{:.2} tickets/wk · {} open P0/P1 · {} open incidents",
            c.tickets_per_week, c.open_p0_p1_bugs, c.open_incidents
        ),
    );
    l.lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "churn risk"), t.label()),
        churn_span(c.churn_risk, t),
    ]));
    let history: Vec<String> = c
        .nps
        .iter()
        .rev()
        .take(12)
        .map(|r| r.score.to_string())
        .collect();
    l.field(
        t,
        "NPS",
        format!(
            "{} · newest first: {}",
            nps_text(&h),
            if history.is_empty() {
                "—".to_string()
            } else {
                history.join(" ")
            }
        ),
    );
    if let Some(n) = h.nps {
        let (p, m, d) = n.shares();
        l.field(
            t,
            "NPS mix",
            format!(
                "{:.0}% promoters · {:.0}% passives · {:.0}% detractors",
                p * 100.0,
                m * 100.0,
                d * 100.0
            ),
        );
    }
    l.gap();
    l.heading(t, "Health breakdown");
    match &h.health {
        Some(s) => {
            l.lines.push(Line::styled(
                format!(
                    "{:<12}{:>6}{:>8}{:>8}",
                    "measure", "score", "weight", "points"
                ),
                t.header(),
            ));
            for m in &s.contributions {
                l.text(format!(
                    "{:<12}{:>6.0}{:>8}{:>8.1}",
                    m.measure.to_string(),
                    m.score,
                    m.weight,
                    m.points
                ));
            }
            l.lines.push(Line::styled(
                format!("{:<12}{:>6}{:>8}{:>8.1}", "total", s.score, "", s.exact),
                band_style(s.band, t),
            ));
            if !s.missing.is_empty() {
                let names: Vec<String> = s.missing.iter().map(ToString::to_string).collect();
                l.styled(t, "missing", names.join(", "), t.dim());
            }
        }
        None => l.text("no measure has a value yet"),
    }
    l.gap();
    match &state.detail {
        Some(Detail::CustomerNotes(id, notes)) if *id == c.id => {
            for (kind, title) in [
                (NoteKind::Feedback, "Feedback"),
                (NoteKind::FeatureRequest, "Feature requests"),
            ] {
                l.heading(t, title);
                let mut any = false;
                for n in
                    notes
                        .iter()
                        .filter(|n| n.kind == kind)
                        .take(if full { usize::MAX } else { 50 })
                {
                    any = true;
                    l.lines.push(Line::from(vec![
                        Span::styled(format!("{} ago ", ago(state.now, n.at)), t.dim()),
                        Span::styled(format!("{} ", fit(&n.author, 16)), t.bold()),
                        Span::raw(crate::ui::text::first_line(&n.text).to_string()),
                    ]));
                    if full {
                        for more in n.text.lines().skip(1) {
                            l.text(format!("  {more}"));
                        }
                    }
                }
                if !any {
                    l.lines.push(Line::styled("none", t.dim()));
                }
            }
        }
        _ => l.lines.push(Line::styled(
            format!("notes loading… ({})", hm(state.tz, state.now)),
            t.dim(),
        )),
    }
    l
}
