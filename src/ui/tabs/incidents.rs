//! The incidents tab: incidents with their response-SLA countdown, and below them the firing
//! Alertmanager alerts (selectable when the alert section has focus). The detail pane shows
//! times, TTA/TTR, the SLA target, the rollback candidate and the merged timeline.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::bugs::priority_style;
use crate::app::action::Action;
use crate::app::derive::{incident_sla, short_duration, sla_label, sla_sentence};
use crate::app::msg::Detail;
use crate::app::state::State;
use crate::domain::{Alert, AlertState, Incident, IncidentStatus};
use crate::metrics::incident::SlaState;
use crate::ui::split_body;
use crate::ui::text::{ago, fit, or_dash, stamp};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::{Column, Dir, ListTable, Width};
use crate::ui::widgets::detail::{render_detail, DetailLines};

fn status_style(s: IncidentStatus, t: Theme) -> ratatui::style::Style {
    match s {
        IncidentStatus::Triggered => t.bad(),
        IncidentStatus::Acknowledged => t.warn(),
        IncidentStatus::Resolved => t.good(),
    }
}

fn sla_span(state: &State, i: &Incident, t: Theme) -> Span<'static> {
    let sla = incident_sla(&state.policy, state.tz, i, state.now);
    let style = match sla.state {
        SlaState::Breached { .. } => t.bad(),
        SlaState::Pending { .. } => t.warn(),
        SlaState::Met { .. } => t.good(),
    };
    let target_secs = (sla.deadline - i.created_at).num_seconds();
    Span::styled(sla_label(sla.state, target_secs), style)
}

/// Draws the incidents tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) = split_body(area, state.show_detail, usize::MAX);
    let alert_h = u16::try_from(state.alerts.view.len() + 3)
        .unwrap_or(u16::MAX)
        .clamp(3, (list_area.height / 2).max(3));
    let [inc_area, alert_area] = if list_area.height >= 8 {
        Layout::vertical([Constraint::Min(0), Constraint::Length(alert_h)]).areas(list_area)
    } else {
        [list_area, Rect::default()]
    };
    let mut incidents = ListTable::new(
        "Incidents",
        &state.incidents,
        columns(state, t, inc_area.width),
        t,
    )
    .markers(|i: &Incident| (i.pending, i.conflict))
    .dim_if(|i: &Incident| i.status == IncidentStatus::Resolved);
    incidents.focused = !state.alerts_focus;
    incidents.render(inc_area, buf);
    if alert_area.height > 0 {
        let mut alerts = ListTable::new(
            "Alerts",
            &state.alerts,
            alert_columns(state, t, alert_area.width),
            t,
        )
        .markers(|a: &Alert| (a.pending, false));
        alerts.focused = state.alerts_focus;
        alerts.show_selection = state.alerts_focus;
        alerts.empty = Some("no alert firing");
        alerts.more_below = true;
        if !state.alerts_focus {
            let key = crate::ui::widgets::overlays::key_of(state, Action::ToggleAlerts)
                .unwrap_or_else(|| "A".to_string());
            alerts
                .title_extra
                .push(Span::styled(format!("({key} to focus) "), t.dim()));
        }
        alerts.render(alert_area, buf);
    }
    if let Some(d) = detail_area {
        if state.alerts_focus {
            render_detail("Alert", alert_detail(state, t, false), t, d, buf);
        } else {
            render_detail("Incident", detail(state, t, false), t, d, buf);
        }
    }
}

/// The incident list's columns at `width` (wide from 96 columns, customers from 130).
fn columns<'a>(state: &'a State, t: Theme, width: u16) -> Vec<Column<'a, Incident>> {
    let wide = width >= 96;
    let mut c = vec![
        Column::id("id", 8, |i: &Incident| i.external_id.clone()),
        Column::text("title", Width::Fill(1), |i: &Incident| i.title.clone()),
        Column::new("sev", Width::Fixed(3), move |i: &Incident| {
            Span::styled(i.severity.as_str(), priority_style(i.severity, t))
        })
        .sorted(1, Dir::Asc),
        Column::new("status", Width::Fixed(12), move |i: &Incident| {
            Span::styled(i.status.as_str(), status_style(i.status, t))
        })
        .sorted(0, Dir::Asc),
    ];
    if wide {
        c.push(
            Column::text("service", Width::Fixed(9), |i: &Incident| i.service.clone())
                .sorted(3, Dir::Asc),
        );
        c.push(Column::text(
            "assignee",
            Width::Fixed(10),
            |i: &Incident| or_dash(i.assignee.as_deref()).to_string(),
        ));
        c.push(
            Column::text("age", Width::Fixed(4), |i: &Incident| {
                ago(state.now, i.created_at)
            })
            .sorted(2, Dir::Asc),
        );
    }
    c.push(Column::new(
        "SLA",
        Width::Fixed(if wide { 14 } else { 13 }),
        move |i: &Incident| sla_span(state, i, t),
    ));
    if width >= 130 {
        c.push(Column::text(
            "customers",
            Width::Fixed(22),
            |i: &Incident| i.customers.join(","),
        ));
    }
    c
}

/// The alert section's columns at `width` (the summary from 96 columns).
fn alert_columns<'a>(state: &'a State, t: Theme, width: u16) -> Vec<Column<'a, Alert>> {
    let wide = width >= 96;
    let mut c = vec![
        Column::text(
            "alert",
            if wide {
                Width::Fixed(24)
            } else {
                Width::Fill(1)
            },
            |a: &Alert| a.name.clone(),
        )
        .sorted(1, Dir::Asc),
        Column::text("severity", Width::Fixed(8), |a: &Alert| a.severity.clone()),
        Column::text("service", Width::Fixed(9), |a: &Alert| a.service.clone()).sorted(2, Dir::Asc),
        Column::new("state", Width::Fixed(10), move |a: &Alert| {
            let st = crate::app::silences::alert_state_label(a, state.tz, false);
            let style = match a.state {
                AlertState::Active => t.bad(),
                _ => t.dim(),
            };
            Span::styled(st, style)
        })
        .sorted(0, Dir::Asc),
        Column::text("since", Width::Fixed(5), |a: &Alert| {
            ago(state.now, a.starts_at)
        })
        .sorted(3, Dir::Asc),
    ];
    if wide {
        c.push(Column::text("summary", Width::Fill(1), |a: &Alert| {
            a.annotations.get("summary").cloned().unwrap_or_default()
        }));
    }
    c
}

/// The incident's detail; `full` (the full-screen view) keeps every timeline event and every
/// line of each event's text instead of the pane's first 200 events, first lines only.
pub(super) fn detail(state: &State, t: Theme, full: bool) -> DetailLines {
    let Some(i) = state.incidents.selected_row() else {
        return DetailLines::none("no incident selected");
    };
    let mut l = DetailLines::default();
    let (id, title) = (&i.external_id, &i.title);
    l.row_heading(t, (id, title), (i.conflict, i.pending), "the pager");
    l.lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "severity"), t.label()),
        Span::styled(i.severity.as_str(), priority_style(i.severity, t)),
        Span::raw("  "),
        Span::styled(i.status.as_str(), status_style(i.status, t)),
        Span::raw(format!("  #{} · {}", i.number, i.source)),
    ]));
    l.field(t, "service", i.service.clone());
    l.field(t, "assignee", or_dash(i.assignee.as_deref()));
    l.list(t, "customers", &i.customers);
    l.when(t, "created", state.tz, state.now, i.created_at);
    let sla = incident_sla(&state.policy, state.tz, i, state.now);
    let tta = sla.tta_secs.map_or_else(|| "—".to_string(), short_duration);
    let ttr = sla.ttr_secs.map_or_else(|| "—".to_string(), short_duration);
    if let Some(a) = i.acknowledged_at {
        l.field(t, "acked", format!("{} (TTA {tta})", stamp(state.tz, a)));
    }
    if let Some(r) = i.resolved_at {
        l.field(t, "resolved", format!("{} (TTR {ttr})", stamp(state.tz, r)));
    }
    let target_secs = (sla.deadline - i.created_at).num_seconds();
    let sla_style = match sla.state {
        SlaState::Breached { .. } => t.bad(),
        SlaState::Pending { .. } => t.warn(),
        SlaState::Met { .. } => t.good(),
    };
    l.lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "SLA"), t.label()),
        Span::styled(sla_sentence(sla.state, target_secs), sla_style),
        Span::raw(format!(" · due {}", stamp(state.tz, sla.deadline))),
    ]));
    match state.rollback_candidate(i) {
        Some(d) => {
            let before = short_duration((i.created_at - d.created_at).num_seconds());
            l.styled(
                t,
                "rollback",
                format!(
                    "candidate: {} {} ({before} before) — press b",
                    d.service, d.git_ref
                ),
                t.warn(),
            );
        }
        None if !state.deployments.complete
            && state
                .rollback_hint
                .as_ref()
                .is_none_or(|(id, _)| *id != i.id) =>
        {
            l.field(t, "rollback", "candidate: looking…");
        }
        None => l.field(t, "rollback", "candidate: none found"),
    }
    l.gap();
    response_lines(state, t, &mut l);
    l.gap();
    l.heading(t, "Timeline");
    match &state.detail {
        Some(Detail::Timeline(id, events)) if *id == i.id => {
            if events.is_empty() {
                l.lines.push(Line::styled("no entries", t.dim()));
            }
            for e in events.iter().take(if full { usize::MAX } else { 200 }) {
                let origin = if e.origin == "opsdeck" {
                    t.label()
                } else {
                    t.dim()
                };
                l.lines.push(Line::from(vec![
                    Span::styled(format!("{} ", crate::ui::text::hm(state.tz, e.at)), t.dim()),
                    Span::styled(format!("{:<11} ", fit(&e.kind, 11)), origin),
                    Span::styled(format!("{} ", fit(&e.who, 16)), t.bold()),
                    Span::raw(crate::ui::text::first_line(&e.text).to_string()),
                ]));
                if full {
                    for more in e.text.lines().skip(1) {
                        l.text(format!("      {more}"));
                    }
                }
            }
            if !full && events.len() > 200 {
                l.lines.push(Line::styled(
                    format!("+{} more events (enter: full screen)", events.len() - 200),
                    t.dim(),
                ));
            }
        }
        _ => l.lines.push(Line::styled("loading…", t.dim())),
    }
    l
}

/// Team figures beside the incident: MTTA/MTTR per priority over the last 7 days (`—` where
/// nothing was acknowledged/resolved, never 0) and open incidents by age.
fn response_lines(state: &State, t: Theme, l: &mut DetailLines) {
    // Computed when incidents load and once a minute (`State::incident_figures`); a state
    // built without a load (tests) computes them here.
    let computed;
    let figures = match &state.incident_figures {
        Some(f) => f,
        // Only the first page is in: figures over a partial list would be wrong for a moment.
        None if state.incidents.loaded && !state.incidents.complete => {
            l.heading(t, "Response · last 7 days");
            l.lines
                .push(Line::styled("reading every incident…", t.dim()));
            return;
        }
        None => {
            computed =
                crate::app::state::IncidentFigures::compute(&state.incidents.rows, state.now);
            &computed
        }
    };
    let per = &figures.response;
    let dur = |v: Option<f64>| {
        #[allow(clippy::cast_possible_truncation, reason = "rounded seconds")]
        v.map_or_else(|| "—".to_string(), |s| short_duration(s.round() as i64))
    };
    l.heading(t, "Response · last 7 days");
    let join = |mttr: bool| {
        per.iter()
            .map(|(p, a, r)| format!("{p} {}", dur(if mttr { *r } else { *a })))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    l.field(t, "MTTA", join(false));
    l.field(t, "MTTR", join(true));
    let ages = figures
        .open_ages
        .iter()
        .map(|(b, n)| format!("{b} {n}"))
        .collect::<Vec<_>>()
        .join(" · ");
    l.field(t, "open, age", ages);
}

/// The selected alert's detail; `full` shows every line of the annotations.
pub(super) fn alert_detail(state: &State, t: Theme, full: bool) -> DetailLines {
    let mut l = DetailLines::default();
    let Some(a) = state.alerts.selected_row() else {
        l.text("no alert selected");
        return l;
    };
    l.lines.push(Line::styled(a.name.clone(), t.bold()));
    l.field(
        t,
        "state",
        crate::app::silences::alert_state_label(a, state.tz, true),
    );
    l.field(t, "severity", a.severity.clone());
    l.field(t, "service", a.service.clone());
    l.when(t, "since", state.tz, state.now, a.starts_at);
    if !a.silenced_by.is_empty() {
        l.field(t, "silences", a.silenced_by.join(", "));
    }
    for s in &a.silences {
        l.field(
            t,
            "silence",
            format!(
                "by {} \"{}\" · {}",
                s.created_by,
                s.comment,
                s.matchers.join(", ")
            ),
        );
    }
    l.field(t, "source", a.source.clone());
    l.gap();
    l.heading(t, "Annotations");
    for (k, v) in &a.annotations {
        l.field(t, &fit(k, 10), crate::ui::text::first_line(v).to_string());
        if full {
            for more in v.lines().skip(1) {
                l.text(format!("           {more}"));
            }
        }
    }
    l.heading(t, "Labels");
    for (k, v) in &a.labels {
        l.field(t, &fit(k, 10), v.clone());
    }
    l
}
