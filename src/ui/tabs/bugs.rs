//! The bugs tab: key, title, priority, status, assignee, labels, customers, age and the fix-by
//! deadline (overdue in red), with pending/conflict markers; the detail shows the body.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::derive::{bug_fix_by, short_duration};
use crate::app::state::State;
use crate::domain::{Bug, BugStatus, Priority};
use crate::ui::split_body;
use crate::ui::text::{ago, coarse, or_dash, stamp};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::{Column, Dir, ListTable, Width};
use crate::ui::widgets::detail::{render_detail, DetailLines};

/// The colour of a priority.
#[must_use]
pub fn priority_style(p: Priority, t: Theme) -> ratatui::style::Style {
    match p {
        Priority::P0 => t.bad(),
        Priority::P1 => t.warn(),
        Priority::P2 => t.fg(ratatui::style::Color::Cyan),
        Priority::P3 => t.dim(),
    }
}

fn status_text(s: BugStatus) -> &'static str {
    match s {
        BugStatus::Open => "open",
        BugStatus::InProgress => "in progress",
        BugStatus::Closed => "closed",
    }
}

fn fix_by_cell(state: &State, b: &Bug, t: Theme) -> Span<'static> {
    match bug_fix_by(&state.policy, state.tz, b, state.now) {
        _ if !b.is_open() => Span::styled("—", t.dim()),
        Some(f) => match f.overdue_secs {
            Some(s) => Span::styled(format!("overdue {}", coarse(s)), t.bad()),
            None => Span::raw(format!(
                "in {}",
                coarse((f.deadline - state.now).num_seconds())
            )),
        },
        None => Span::styled("?", t.dim()),
    }
}

/// The bug list's columns at `width` (wide from 96 columns, labels from 140).
fn columns<'a>(state: &'a State, t: Theme, width: u16) -> Vec<Column<'a, Bug>> {
    let wide = width >= 96;
    let mut c = vec![
        Column::id("key", if wide { 8 } else { 7 }, |b: &Bug| b.key.clone()).sorted(4, Dir::Asc),
        Column::text("title", Width::Fill(1), |b: &Bug| b.title.clone()),
        Column::new("pri", Width::Fixed(3), move |b: &Bug| {
            Span::styled(b.priority.as_str(), priority_style(b.priority, t))
        })
        .sorted(0, Dir::Asc)
        .sorted(1, Dir::Asc),
        Column::text("status", Width::Fixed(11), |b: &Bug| {
            status_text(b.status).to_string()
        }),
    ];
    if wide {
        c.push(
            Column::text("assignee", Width::Fixed(10), |b: &Bug| {
                or_dash(b.assignee.as_deref()).to_string()
            })
            .sorted(3, Dir::Asc),
        );
        if width >= 140 {
            c.push(Column::new("labels", Width::Fixed(16), move |b: &Bug| {
                Span::styled(b.labels.join(","), t.dim())
            }));
        }
        c.push(Column::text("customers", Width::Fixed(14), |b: &Bug| {
            b.customers.join(",")
        }));
    }
    c.push(
        Column::text("age", Width::Fixed(4), |b: &Bug| {
            ago(state.now, b.created_at)
        })
        .sorted(2, Dir::Desc),
    );
    c.push(Column::new("fix-by", Width::Fixed(11), move |b: &Bug| {
        fix_by_cell(state, b, t)
    }));
    c
}

/// Draws the bugs tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) = split_body(area, state.show_detail, state.bugs.len());
    ListTable::new("Bugs", &state.bugs, columns(state, t, list_area.width), t)
        .markers(|b: &Bug| (b.pending, b.conflict))
        .dim_if(|b: &Bug| !b.is_open())
        .render(list_area, buf);
    if let Some(d) = detail_area {
        render_detail("Bug", detail(state, t, false), t, d, buf);
    }
}

/// The bug's detail; `full` (the full-screen view) keeps the whole body.
pub(super) fn detail(state: &State, t: Theme, full: bool) -> DetailLines {
    let Some(b) = state.bugs.selected_row() else {
        return DetailLines::none("no bug selected");
    };
    let mut l = DetailLines::default();
    l.row_heading(
        t,
        (&b.key, &b.title),
        (b.conflict, b.pending),
        "the tracker",
    );
    l.styled(
        t,
        "priority",
        b.priority.as_str(),
        priority_style(b.priority, t),
    );
    l.field(t, "status", status_text(b.status));
    l.field(t, "assignee", or_dash(b.assignee.as_deref()));
    l.list(t, "labels", &b.labels);
    l.list(t, "customers", &b.customers);
    l.field(t, "source", b.source.clone());
    l.field(t, "url", or_dash(b.url.as_deref()));
    l.when(t, "created", state.tz, state.now, b.created_at);
    l.field(
        t,
        "updated",
        format!("{} ago", ago(state.now, b.updated_at)),
    );
    if let Some(c) = b.closed_at {
        l.field(t, "closed", stamp(state.tz, c));
    }
    if let Some(f) = bug_fix_by(&state.policy, state.tz, b, state.now) {
        match f.overdue_secs {
            Some(s) => l.styled(
                t,
                "fix by",
                format!(
                    "{} — overdue {}",
                    stamp(state.tz, f.deadline),
                    short_duration(s)
                ),
                t.bad(),
            ),
            None => l.field(t, "fix by", stamp(state.tz, f.deadline)),
        }
    }
    l.gap();
    if b.body.is_empty() {
        l.lines.push(Line::styled("(no description)", t.dim()));
    } else {
        l.body(&b.body, if full { usize::MAX } else { 200 });
    }
    l
}
