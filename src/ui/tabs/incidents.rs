//! The incidents tab: incidents with their response-SLA countdown, and below them the firing
//! Alertmanager alerts (selectable when the alert section has focus). The detail pane shows
//! times, TTA/TTR, the SLA target, the rollback candidate and the merged timeline.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Widget};

use super::bugs::priority_style;
use super::{empty_text, marker, DataTable};
use crate::app::derive::{incident_sla, short_duration, sla_label};
use crate::app::msg::Detail;
use crate::app::state::State;
use crate::domain::{AlertState, Incident, IncidentStatus};
use crate::metrics::incident::SlaState;
use crate::ui::split_body;
use crate::ui::text::{ago, fit, or_dash, stamp};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::list_title;
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
    Span::styled(sla_label(sla.state), style)
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
    incidents_table(state, t, inc_area, buf);
    if alert_area.height > 0 {
        alerts_table(state, t, alert_area, buf);
    }
    if let Some(d) = detail_area {
        if state.alerts_focus {
            render_detail("Alert", alert_detail(state, t, false), t, d, buf);
        } else {
            render_detail("Incident", detail(state, t, false), t, d, buf);
        }
    }
}

fn incidents_table(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let wide = area.width >= 96;
    let customers = area.width >= 130;
    let list = &state.incidents;
    let id_w = crate::ui::widgets::data_table::id_width(list.widest_id, 8, area.width);
    let (header, widths) = if wide {
        let mut h = vec![
            "", "id", "title", "sev", "status", "service", "assignee", "age", "SLA",
        ];
        let mut w = vec![
            Constraint::Length(1),
            Constraint::Length(id_w),
            Constraint::Fill(1),
            Constraint::Length(3),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(4),
            Constraint::Length(14),
        ];
        if customers {
            h.push("customers");
            w.push(Constraint::Length(22));
        }
        (h, w)
    } else {
        (
            vec!["", "id", "title", "sev", "status", "SLA"],
            vec![
                Constraint::Length(1),
                Constraint::Length(id_w),
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(12),
                Constraint::Length(13),
            ],
        )
    };
    let fill = crate::ui::widgets::data_table::fill_width(area.width, &widths);
    let rows_h = usize::from(area.height.saturating_sub(3));
    let offset = list.window_offset(rows_h);
    let rows: Vec<Row<'_>> = list
        .window(rows_h)
        .map(|i| {
            let mut cells = vec![
                Cell::from(marker(
                    i.pending,
                    i.conflict,
                    list.marked.contains(&i.id),
                    t,
                )),
                Cell::from(crate::ui::text::fit(&i.external_id, usize::from(id_w))),
                Cell::from(crate::ui::text::fit(&i.title, fill)),
                Cell::from(Span::styled(
                    i.severity.as_str(),
                    priority_style(i.severity, t),
                )),
                Cell::from(Span::styled(i.status.as_str(), status_style(i.status, t))),
            ];
            if wide {
                cells.push(Cell::from(crate::ui::text::fit(&i.service, 9)));
                cells.push(Cell::from(crate::ui::text::fit(
                    or_dash(i.assignee.as_deref()),
                    10,
                )));
                cells.push(Cell::from(ago(state.now, i.created_at)));
            }
            cells.push(Cell::from(sla_span(state, i, t)));
            if customers {
                cells.push(Cell::from(crate::ui::text::fit(&i.customers.join(","), 22)));
            }
            let row = Row::new(cells);
            if i.status == IncidentStatus::Resolved {
                row.style(t.dim())
            } else {
                row
            }
        })
        .collect();
    DataTable {
        title: list_title(
            "Incidents",
            list.shown_rows(),
            list.total_rows(),
            &list.filter,
            t,
        ),
        header,
        rows,
        widths,
        selected: (!list.view.is_empty()).then_some(list.selected - offset),
        focused: !state.alerts_focus,
        empty: empty_text(list.loaded, !list.filter.is_empty()),
        theme: t,
    }
    .render(area, buf);
}

fn alerts_table(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let wide = area.width >= 96;
    let list = &state.alerts;
    let name_w = if wide {
        24
    } else {
        crate::ui::widgets::data_table::fill_width(
            area.width,
            &[
                Constraint::Length(1),
                Constraint::Fill(1),
                Constraint::Length(8),
                Constraint::Length(9),
                Constraint::Length(10),
                Constraint::Length(5),
            ],
        )
    };
    // A box too short for every alert gives its last row to `+N more` (never a silent cut).
    let box_h = usize::from(area.height.saturating_sub(3));
    let rows_h = if list.view.len() > box_h {
        box_h.saturating_sub(1).max(1)
    } else {
        box_h
    };
    let offset = list.window_offset(rows_h);
    let below = list.view.len().saturating_sub(offset + rows_h);
    let mut rows: Vec<Row<'_>> = list
        .window(rows_h)
        .map(|a| {
            let st = crate::app::silences::alert_state_label(a, state.tz, false);
            let st_style = match a.state {
                AlertState::Active => t.bad(),
                _ => t.dim(),
            };
            let mut cells = vec![
                Cell::from(marker(a.pending, false, list.marked.contains(&a.id), t)),
                Cell::from(crate::ui::text::fit(&a.name, name_w)),
                Cell::from(crate::ui::text::fit(&a.severity, 8)),
                Cell::from(crate::ui::text::fit(&a.service, 9)),
                Cell::from(Span::styled(st, st_style)),
                Cell::from(ago(state.now, a.starts_at)),
            ];
            if wide {
                cells.push(Cell::from(
                    a.annotations.get("summary").cloned().unwrap_or_default(),
                ));
            }
            Row::new(cells)
        })
        .collect();
    if below > 0 && box_h > 1 {
        rows.push(Row::new(vec![
            Cell::from(""),
            Cell::from(Span::styled(format!("+{below} more"), t.dim())),
        ]));
    }
    let mut header = vec!["", "alert", "severity", "service", "state", "since"];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(5),
    ];
    if wide {
        header.push("summary");
        widths[1] = Constraint::Length(24);
        widths.push(Constraint::Fill(1));
    }
    let mut title = list_title(
        "Alerts",
        list.shown_rows(),
        list.total_rows(),
        &list.filter,
        t,
    );
    if !state.alerts_focus {
        let key =
            crate::ui::widgets::overlays::key_of(state, crate::app::action::Action::ToggleAlerts)
                .unwrap_or_else(|| "A".to_string());
        title
            .spans
            .push(Span::styled(format!("({key} to focus) "), t.dim()));
    }
    DataTable {
        title,
        header,
        rows,
        widths,
        selected: (state.alerts_focus && !list.view.is_empty()).then_some(list.selected - offset),
        focused: state.alerts_focus,
        empty: if list.loaded {
            "no alert firing"
        } else {
            "loading from the cache…"
        },
        theme: t,
    }
    .render(area, buf);
}

/// The incident's detail; `full` (the full-screen view) keeps every timeline event and every
/// line of each event's text instead of the pane's first 200 events, first lines only.
pub(super) fn detail(state: &State, t: Theme, full: bool) -> DetailLines {
    let mut l = DetailLines::default();
    let Some(i) = state.incidents.selected_row() else {
        l.text("no incident selected");
        return l;
    };
    l.lines.push(Line::from(vec![
        Span::styled(format!("{} ", i.external_id), t.bold()),
        Span::raw(i.title.clone()),
    ]));
    if i.conflict {
        l.styled(
            t,
            "conflict",
            "an edit conflicts with the pager — press O",
            t.bad(),
        );
    } else if i.pending {
        l.styled(t, "pending", "an edit waits in the outbox", t.warn());
    }
    l.lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "severity"), t.label()),
        Span::styled(i.severity.as_str(), priority_style(i.severity, t)),
        Span::raw("  "),
        Span::styled(i.status.as_str(), status_style(i.status, t)),
        Span::raw(format!("  #{} · {}", i.number, i.source)),
    ]));
    l.field(t, "service", i.service.clone());
    l.field(t, "assignee", or_dash(i.assignee.as_deref()));
    l.field(
        t,
        "customers",
        if i.customers.is_empty() {
            "—".to_string()
        } else {
            i.customers.join(", ")
        },
    );
    l.field(
        t,
        "created",
        format!(
            "{} ({} ago)",
            stamp(state.tz, i.created_at),
            ago(state.now, i.created_at)
        ),
    );
    let sla = incident_sla(&state.policy, state.tz, i, state.now);
    let tta = sla.tta_secs.map_or_else(|| "—".to_string(), short_duration);
    let ttr = sla.ttr_secs.map_or_else(|| "—".to_string(), short_duration);
    if let Some(a) = i.acknowledged_at {
        l.field(t, "acked", format!("{} (TTA {tta})", stamp(state.tz, a)));
    }
    if let Some(r) = i.resolved_at {
        l.field(t, "resolved", format!("{} (TTR {ttr})", stamp(state.tz, r)));
    }
    let target = short_duration((sla.deadline - i.created_at).num_seconds());
    l.lines.push(Line::from(vec![
        Span::styled(format!("{:<11}", "SLA"), t.label()),
        sla_span(state, i, t),
        Span::raw(format!(
            "  target {target} · due {}",
            stamp(state.tz, sla.deadline)
        )),
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
    l.field(
        t,
        "since",
        format!(
            "{} ({} ago)",
            stamp(state.tz, a.starts_at),
            ago(state.now, a.starts_at)
        ),
    );
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
