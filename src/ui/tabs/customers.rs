//! The customers tab: stage, vertical, ACV, owner, health (score and band colour), latest NPS,
//! tickets per week, open P0/P1 and churn risk; the detail pane shows dates, usage, NPS history,
//! the health breakdown (score, weight, points per measure; missing measures) and notes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

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
use crate::ui::widgets::data_table::{Column, Dir, ListTable, Width};
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

/// The customer list's columns at `width` (wide from 96 columns, vertical from 130).
fn columns<'a>(state: &'a State, t: Theme, width: u16) -> Vec<Column<'a, Customer>> {
    let wide = width >= 96;
    let mut c = vec![
        Column::text("name", Width::Fill(1), |c: &Customer| c.name.clone()).sorted(0, Dir::Asc),
        Column::text("stage", Width::Fixed(8), |c: &Customer| {
            c.stage.as_str().to_string()
        })
        .sorted(1, Dir::Asc),
    ];
    if width >= 130 {
        c.push(Column::text(
            "vertical",
            Width::Fixed(14),
            |c: &Customer| c.vertical.clone(),
        ));
    }
    c.push(
        Column::text(
            "ACV",
            Width::Fixed(if wide { 7 } else { 6 }),
            |c: &Customer| acv(c.acv_usd),
        )
        .sorted(2, Dir::Desc),
    );
    if wide {
        c.push(Column::text("owner", Width::Fixed(10), |c: &Customer| {
            c.owner.clone()
        }));
    }
    c.push(Column::new(
        "health",
        Width::Fixed(10),
        move |c: &Customer| health_span(&health_of(state, c), t),
    ));
    c.push(Column::text(
        "NPS (n)",
        Width::Fixed(if wide { 14 } else { 13 }),
        move |c: &Customer| nps_text(&health_of(state, c)),
    ));
    if wide {
        c.push(Column::text("tix/wk", Width::Fixed(6), |c: &Customer| {
            format!("{:.1}", c.tickets_per_week)
        }));
    }
    c.push(Column::new("P0/1", Width::Fixed(4), move |c: &Customer| {
        Span::styled(
            c.open_p0_p1_bugs.to_string(),
            if c.open_p0_p1_bugs > 0 {
                t.bad()
            } else {
                t.dim()
            },
        )
    }));
    c.push(
        Column::new("churn", Width::Fixed(6), move |c: &Customer| {
            churn_span(c.churn_risk, t)
        })
        .sorted(3, Dir::Desc),
    );
    c
}

/// Draws the customers tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) = split_body(area, state.show_detail, state.customers.view.len());
    ListTable::new(
        "Customers",
        &state.customers,
        columns(state, t, list_area.width),
        t,
    )
    .markers(|c: &Customer| (c.pending, false))
    .dim_if(|c: &Customer| c.stage == Stage::Churned)
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
