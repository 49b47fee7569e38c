//! The deployments tab: service, environment, ref, sha, status, start, duration, creator and
//! rollback-of (rolled-back rows marked `⤺ rolled back`), with a DORA panel for the selected
//! window in the detail pane above the selected deployment's details.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::derive::{dora_for, short_duration};
use crate::app::state::State;
use crate::domain::{DeployStatus, Deployment};
use crate::metrics::dora::Band;
use crate::ui::split_body;
use crate::ui::text::{ago, or_dash, stamp};
use crate::ui::theme::{Glyph, Theme};
use crate::ui::widgets::data_table::{Column, Dir, ListTable, Width};
use crate::ui::widgets::detail::{render_detail, DetailLines};

fn status_cell(d: &Deployment, t: Theme) -> Span<'static> {
    if d.rolled_back {
        return Span::styled(
            format!("{} rolled back", t.glyph(Glyph::RolledBack)),
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

/// The deployment list's columns at `width` (wide from 96 columns).
fn columns<'a>(state: &'a State, t: Theme, width: u16) -> Vec<Column<'a, Deployment>> {
    let wide = width >= 96;
    let mut c = vec![
        Column::text(
            "service",
            Width::Fixed(if wide { 10 } else { 9 }),
            |d: &Deployment| d.service.clone(),
        )
        .sorted(1, Dir::Asc),
        Column::text("env", Width::Fixed(10), |d: &Deployment| {
            d.environment.clone()
        }),
        Column::text("ref", Width::Fill(1), |d: &Deployment| d.git_ref.clone()),
    ];
    if wide {
        c.push(Column::new(
            "sha",
            Width::Fixed(7),
            move |d: &Deployment| Span::styled(sha7(&d.sha), t.dim()),
        ));
    }
    c.push(
        Column::new("status", Width::Fixed(14), move |d: &Deployment| {
            status_cell(d, t)
        })
        .sorted(2, Dir::Asc),
    );
    c.push(
        Column::text("age", Width::Fixed(4), |d: &Deployment| {
            ago(state.now, d.created_at)
        })
        .sorted(0, Dir::Asc),
    );
    c.push(
        Column::text("took", Width::Fixed(6), |d: &Deployment| {
            d.duration_secs()
                .map_or_else(|| "—".to_string(), short_duration)
        })
        .sorted(3, Dir::Desc),
    );
    if wide {
        c.push(Column::text(
            "creator",
            Width::Fixed(12),
            |d: &Deployment| d.creator.clone(),
        ));
        c.push(Column::text(
            "rollback of",
            Width::Fixed(12),
            |d: &Deployment| or_dash(d.rollback_of.as_deref()).to_string(),
        ));
    }
    c
}

/// Draws the deployments tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) =
        split_body(area, state.show_detail, state.deployments.view.len());
    ListTable::new(
        "Deployments",
        &state.deployments,
        columns(state, t, list_area.width),
        t,
    )
    .markers(|d: &Deployment| (d.pending, false))
    .dim_if(|d: &Deployment| d.rolled_back || d.status == DeployStatus::Inactive)
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
    let deps: Vec<ReworkDeployment> = state.deployments.rows.iter().map(Into::into).collect();
    let incidents: Vec<DoraIncident> = state.incidents.rows.iter().map(Into::into).collect();
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
    l.when(t, "started", state.tz, state.now, d.created_at);
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
