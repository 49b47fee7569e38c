//! The deployments tab: service, environment, ref, sha, status, start, duration, creator and
//! rollback-of (rolled-back rows marked `⤺ rolled back`), with a DORA panel for the selected
//! window in the detail pane above the selected deployment's details.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Widget};

use super::{empty_text, marker, DataTable};
use crate::app::derive::{dora_for, short_duration};
use crate::app::state::State;
use crate::domain::{DeployStatus, Deployment};
use crate::metrics::dora::Band;
use crate::ui::split_body;
use crate::ui::text::{ago, or_dash, stamp};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::list_title;
use crate::ui::widgets::detail::{render_detail, DetailLines};

fn status_cell(d: &Deployment, t: Theme) -> Span<'static> {
    if d.rolled_back {
        return Span::styled(
            if t.ascii {
                "<- rolled back"
            } else {
                "⤺ rolled back"
            },
            t.bad(),
        );
    }
    let style = match d.status {
        DeployStatus::Success => t.good(),
        DeployStatus::Failure | DeployStatus::Error => t.bad(),
        DeployStatus::InProgress | DeployStatus::Queued | DeployStatus::Pending => t.warn(),
        DeployStatus::Inactive => t.dim(),
    };
    Span::styled(d.status.as_str().replace('_', " "), style)
}

fn sha7(sha: &str) -> String {
    sha.chars().take(7).collect()
}

/// Draws the deployments tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) =
        split_body(area, state.show_detail, state.deployments.view.len());
    let wide = list_area.width >= 96;
    let list = &state.deployments;
    let (header, widths) = if wide {
        (
            vec![
                "",
                "service",
                "env",
                "ref",
                "sha",
                "status",
                "age",
                "took",
                "creator",
                "rollback of",
            ],
            vec![
                Constraint::Length(1),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Fill(1),
                Constraint::Length(7),
                Constraint::Length(14),
                Constraint::Length(4),
                Constraint::Length(6),
                Constraint::Length(12),
                Constraint::Length(12),
            ],
        )
    } else {
        (
            vec!["", "service", "env", "ref", "status", "age", "took"],
            vec![
                Constraint::Length(1),
                Constraint::Length(9),
                Constraint::Length(10),
                Constraint::Fill(1),
                Constraint::Length(14),
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
        .map(|d| {
            let dur = d
                .duration_secs()
                .map_or_else(|| "—".to_string(), short_duration);
            let mut cells = vec![
                Cell::from(marker(d.pending, false, list.marked.contains(&d.id), t)),
                Cell::from(crate::ui::text::fit(&d.service, if wide { 10 } else { 9 })),
                Cell::from(crate::ui::text::fit(&d.environment, 10)),
                Cell::from(crate::ui::text::fit(&d.git_ref, fill)),
            ];
            if wide {
                cells.push(Cell::from(Span::styled(sha7(&d.sha), t.dim())));
            }
            cells.push(Cell::from(status_cell(d, t)));
            cells.push(Cell::from(ago(state.now, d.created_at)));
            cells.push(Cell::from(dur));
            if wide {
                cells.push(Cell::from(crate::ui::text::fit(&d.creator, 12)));
                cells.push(Cell::from(crate::ui::text::fit(
                    or_dash(d.rollback_of.as_deref()),
                    12,
                )));
            }
            let row = Row::new(cells);
            if d.rolled_back || d.status == DeployStatus::Inactive {
                row.style(t.dim())
            } else {
                row
            }
        })
        .collect();
    DataTable {
        title: list_title(
            "Deployments",
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
        render_detail("DORA & deployment", detail(state, t), t, area, buf);
    }
}

fn band_span(b: Option<Band>, t: Theme) -> Span<'static> {
    match b {
        Some(b) => {
            let style = match b {
                Band::Elite | Band::High => t.good(),
                Band::Medium => t.warn(),
                Band::Low => t.bad(),
            };
            Span::styled(format!("{:<7}", b.to_string()), style)
        }
        None => Span::styled(format!("{:<7}", "—"), t.dim()),
    }
}

fn hours(secs: Option<f64>) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "durations of at most years"
    )]
    secs.map_or_else(|| "—".to_string(), |s| short_duration(s.round() as i64))
}

/// The DORA panel lines for the selected window.
pub fn dora_lines(state: &State, t: Theme, l: &mut DetailLines) {
    let days = state.dora_window_days;
    let guess = state.policy.dora.guess_links;
    let links = if guess { " · incl. guessed links" } else { "" };
    l.heading(t, &format!("DORA · last {days} days (w cycles){links}"));
    let Some(r) = dora_for(
        &state.deployments.rows,
        &state.incidents.rows,
        state.now,
        days,
        guess,
    ) else {
        l.text("no window");
        return;
    };
    let row = |name: &str, value: String, band: Option<Band>, counts: String| {
        Line::from(vec![
            Span::styled(format!("{name:<12}"), t.label()),
            Span::raw(format!("{value:<16} ")),
            band_span(band, t),
            Span::styled(counts, t.dim()),
        ])
    };
    let f = r.deployment_frequency;
    l.lines.push(row(
        "deploy freq",
        format!("{:.2}/day {:.1}/wk", f.per_day, f.per_week),
        Some(f.band),
        format!("{} deploys", f.deployments),
    ));
    let lt = r.lead_time;
    l.lines.push(row(
        "lead time",
        format!("{} median", hours(lt.median_secs)),
        lt.band,
        format!(
            "{} commits/{} deploys",
            lt.commits, lt.deployments_with_commits
        ),
    ));
    let c = r.change_failure_rate;
    let rate = c
        .rate
        .map_or_else(|| "—".to_string(), |v| format!("{:.0}%", v * 100.0));
    l.lines.push(row(
        "change fail",
        rate,
        c.band,
        format!("{} of {} deploys", c.failed, c.deployments),
    ));
    let rt = r.recovery_time;
    l.lines.push(row(
        "recovery",
        format!("{} median", hours(rt.median_secs)),
        rt.band,
        format!("{} of {} recovered", rt.recovered, rt.failed_deployments),
    ));
    let rw = rework_for_tab(state, days);
    l.lines.push(row(
        "rework",
        rw.rate
            .map_or_else(|| "—".to_string(), |v| format!("{:.0}%", v * 100.0)),
        None,
        format!("{} of {} deploys", rw.rework, rw.deployments),
    ));
}

/// Deployment rework rate over the DORA window (rollbacks and fix-forwards, see
/// [`crate::metrics::rework`]).
fn rework_for_tab(state: &State, days: u32) -> crate::metrics::rework::ReworkRate {
    use crate::metrics::dora::{DoraIncident, DoraWindow};
    use crate::metrics::rework::{rework_rate, ReworkDeployment, ReworkRate};
    let deps: Vec<ReworkDeployment> = state
        .deployments
        .rows
        .iter()
        .map(|d| ReworkDeployment {
            id: d.external_id.clone(),
            service: d.service.clone(),
            is_production: d.is_production(),
            succeeded: d.status == DeployStatus::Success,
            finished_at: d.finished_at.unwrap_or(d.created_at),
            is_rollback: d.rollback_of.is_some(),
            incident_ids: d.incident_keys.clone(),
        })
        .collect();
    let incidents: Vec<DoraIncident> = state
        .incidents
        .rows
        .iter()
        .map(|i| DoraIncident {
            id: i.external_id.clone(),
            resolved_at: i.resolved_at,
        })
        .collect();
    let start = state.now - chrono::Duration::days(i64::from(days));
    DoraWindow::new(start, state.now).map_or(
        ReworkRate {
            deployments: 0,
            rework: 0,
            rate: None,
            rework_ids: Vec::new(),
        },
        |w| rework_rate(&deps, &incidents, &w),
    )
}

/// The DORA figures and the deployment's detail (pane and full screen alike).
pub(super) fn detail(state: &State, t: Theme) -> DetailLines {
    let mut l = DetailLines::default();
    dora_lines(state, t, &mut l);
    l.gap();
    let Some(d) = state.deployments.selected_row() else {
        l.text("no deployment selected");
        return l;
    };
    l.lines.push(Line::from(vec![
        Span::styled(format!("{} {} ", d.service, d.git_ref), t.bold()),
        status_cell(d, t),
    ]));
    if d.pending {
        l.styled(t, "pending", "an edit waits in the outbox", t.warn());
    }
    l.field(t, "env", d.environment.clone());
    l.field(t, "sha", d.sha.clone());
    l.field(t, "creator", d.creator.clone());
    l.field(
        t,
        "started",
        format!(
            "{} ({} ago)",
            stamp(state.tz, d.created_at),
            ago(state.now, d.created_at)
        ),
    );
    if let Some(f) = d.finished_at {
        l.field(
            t,
            "finished",
            format!(
                "{} (took {})",
                stamp(state.tz, f),
                d.duration_secs().map_or_else(String::new, short_duration)
            ),
        );
    }
    if let Some(r) = &d.rollback_of {
        l.field(t, "rolls back", r.clone());
    }
    if state.policy.dora.guess_links {
        let guesses: Vec<String> =
            crate::app::derive::guessed_links(&state.deployments.rows, &state.incidents.rows)
                .into_iter()
                .filter(|(id, _)| *id == d.id)
                .map(|(_, key)| format!("{key} (guess)"))
                .collect();
        if !guesses.is_empty() {
            l.styled(t, "guessed", guesses.join(", "), t.warn());
        }
    }
    if !d.incident_keys.is_empty() {
        l.styled(t, "incidents", d.incident_keys.join(", "), t.bad());
    }
    if !d.commit_times.is_empty() {
        l.field(
            t,
            "commits",
            format!(
                "{} (oldest {} before deploy)",
                d.commit_times.len(),
                d.commit_times
                    .iter()
                    .min()
                    .map_or_else(String::new, |c| short_duration(
                        (d.created_at - *c).num_seconds()
                    ))
            ),
        );
    }
    l.field(t, "url", or_dash(d.url.as_deref()));
    l
}
