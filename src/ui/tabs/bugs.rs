//! The bugs tab: key, title, priority, status, assignee, labels, customers, age and the fix-by
//! deadline (overdue in red), with pending/conflict markers; the detail shows the body.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Widget};

use super::{empty_text, marker, DataTable};
use crate::app::derive::{bug_fix_by, short_duration};
use crate::app::state::State;
use crate::domain::{Bug, BugStatus, Priority};
use crate::ui::split_body;
use crate::ui::text::{ago, coarse, fit, or_dash, stamp};
use crate::ui::theme::Theme;
use crate::ui::widgets::data_table::list_title;
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

/// Draws the bugs tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) = split_body(area, state.show_detail, state.bugs.view.len());
    let wide = list_area.width >= 96;
    let labels = list_area.width >= 140;
    let list = &state.bugs;
    let key_w = crate::ui::widgets::data_table::id_width(
        list.widest_id,
        if wide { 8 } else { 7 },
        list_area.width,
    );
    let (header, widths) = if wide {
        let mut h = vec!["", "key", "title", "pri", "status", "assignee"];
        let mut w = vec![
            Constraint::Length(1),
            Constraint::Length(key_w),
            Constraint::Fill(1),
            Constraint::Length(3),
            Constraint::Length(11),
            Constraint::Length(10),
        ];
        if labels {
            h.push("labels");
            w.push(Constraint::Length(16));
        }
        h.extend(["customers", "age", "fix-by"]);
        w.extend([
            Constraint::Length(14),
            Constraint::Length(4),
            Constraint::Length(11),
        ]);
        (h, w)
    } else {
        (
            vec!["", "key", "title", "pri", "status", "age", "fix-by"],
            vec![
                Constraint::Length(1),
                Constraint::Length(key_w),
                Constraint::Fill(1),
                Constraint::Length(3),
                Constraint::Length(11),
                Constraint::Length(4),
                Constraint::Length(11),
            ],
        )
    };
    let fill = crate::ui::widgets::data_table::fill_width(list_area.width, &widths);
    let rows_h = usize::from(list_area.height.saturating_sub(3));
    let offset = list.window_offset(rows_h);
    let rows: Vec<Row<'_>> = list
        .window(rows_h)
        .map(|b| {
            let mut cells = vec![
                Cell::from(marker(
                    b.pending,
                    b.conflict,
                    list.marked.contains(&b.id),
                    t,
                )),
                Cell::from(fit(&b.key, usize::from(key_w))),
                Cell::from(crate::ui::text::fit(&b.title, fill)),
                Cell::from(Span::styled(
                    b.priority.as_str(),
                    priority_style(b.priority, t),
                )),
                Cell::from(status_text(b.status)),
            ];
            if wide {
                cells.push(Cell::from(fit(or_dash(b.assignee.as_deref()), 10)));
                if labels {
                    cells.push(Cell::from(Span::styled(
                        fit(&b.labels.join(","), 16),
                        t.dim(),
                    )));
                }
                cells.push(Cell::from(fit(&b.customers.join(","), 14)));
            }
            cells.push(Cell::from(ago(state.now, b.created_at)));
            cells.push(Cell::from(fix_by_cell(state, b, t)));
            let row = Row::new(cells);
            if b.is_open() {
                row
            } else {
                row.style(t.dim())
            }
        })
        .collect();
    DataTable {
        title: list_title(
            "Bugs",
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
    if let Some(d) = detail_area {
        render_detail("Bug", detail(state, t, false), t, d, buf);
    }
}

/// The bug's detail; `full` (the full-screen view) keeps the whole body.
pub(super) fn detail(state: &State, t: Theme, full: bool) -> DetailLines {
    let mut l = DetailLines::default();
    let Some(b) = state.bugs.selected_row() else {
        l.text("no bug selected");
        return l;
    };
    l.lines.push(Line::from(vec![
        Span::styled(format!("{} ", b.key), t.bold()),
        Span::raw(b.title.clone()),
    ]));
    if b.conflict {
        l.styled(
            t,
            "conflict",
            "an edit conflicts with the tracker — press O",
            t.bad(),
        );
    } else if b.pending {
        l.styled(t, "pending", "an edit waits in the outbox", t.warn());
    }
    l.styled(
        t,
        "priority",
        b.priority.as_str(),
        priority_style(b.priority, t),
    );
    l.field(t, "status", status_text(b.status));
    l.field(t, "assignee", or_dash(b.assignee.as_deref()));
    l.field(
        t,
        "labels",
        if b.labels.is_empty() {
            "—".to_string()
        } else {
            b.labels.join(", ")
        },
    );
    l.field(
        t,
        "customers",
        if b.customers.is_empty() {
            "—".to_string()
        } else {
            b.customers.join(", ")
        },
    );
    l.field(t, "source", b.source.clone());
    l.field(t, "url", or_dash(b.url.as_deref()));
    l.field(
        t,
        "created",
        format!(
            "{} ({} ago)",
            stamp(state.tz, b.created_at),
            ago(state.now, b.created_at)
        ),
    );
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
