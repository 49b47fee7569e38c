//! The outbox view (every queued edit with its state, attempts, errors, retry time and, for a
//! conflict, mine vs theirs), drawn by the shared [`ListTable`], and the sources view (each
//! source's sync state).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::boxes::{boxed, centered};
use super::data_table::{Column, ListTable, Rows, Width};
use crate::app::action::Action;
use crate::app::keymap::Context;
use crate::app::state::State;
use crate::store::{OpState, OutboxEntry};
use crate::ui::text::{ago, fit, hm, or_dash};
use crate::ui::theme::Theme;

fn outbox_key(state: &State, action: Action, fallback: &str) -> String {
    state
        .bindings_for(Context::Outbox)
        .iter()
        .find(|(_, _, a)| *a == action)
        .map_or_else(|| fallback.to_string(), |(_, k, _)| k.to_string())
}

fn state_style(s: OpState, t: Theme) -> Style {
    match s {
        OpState::Conflict | OpState::Failed => t.bad(),
        OpState::Pending | OpState::Inflight => t.warn(),
        OpState::Done => t.good(),
        OpState::Undone => t.dim(),
    }
}

/// A time to come as the clock shows it and how far off it is: `15:02 (in 2m)`.
fn at_and_in(state: &State, at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} (in {})", hm(state.tz, at), ago(at, state.now))
}

/// One row of the outbox table: an entry, or a line under it (error and next attempt, or
/// mine vs theirs for a conflict) drawn across the columns.
enum Entry<'a> {
    Head(&'a OutboxEntry),
    Under(Line<'static>),
}

/// The lines under an entry: its last error and next attempt, and for a conflict mine vs
/// theirs with the keys that settle it.
fn lines_under(
    state: &State,
    e: &OutboxEntry,
    keys: (&str, &str),
    t: Theme,
    text_w: usize,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut info = Vec::new();
    if let Some(err) = &e.last_error {
        info.push(Span::styled(
            format!("  last error: {}", fit(err, text_w.saturating_sub(30))),
            t.bad(),
        ));
    }
    if let Some(next) = e.next_attempt_at {
        info.push(Span::styled(
            format!("  next attempt {}", at_and_in(state, next)),
            t.dim(),
        ));
    }
    if !info.is_empty() {
        out.push(Line::from(info));
    }
    if e.state == OpState::Conflict {
        let (mine, theirs) = keys;
        out.push(Line::from(vec![
            Span::raw("  mine: "),
            Span::styled(fit(&e.op.describe(), 40), t.good()),
            Span::raw(" / theirs: "),
            Span::styled(fit(or_dash(e.remote_value.as_deref()), 40), t.warn()),
            Span::styled(
                format!("   {mine} = keep mine · {theirs} = take theirs"),
                t.bold(),
            ),
        ]));
    }
    out
}

/// The outbox's columns after the `> ` selection mark: state, the entity, and the change with
/// its source and tries (the change is cut first).
fn columns<'a>(t: Theme) -> Vec<Column<'a, Entry<'a>>> {
    let head = |e: &Entry<'a>| match e {
        Entry::Head(e) => Some(*e),
        Entry::Under(_) => None,
    };
    vec![
        Column::new("state", Width::Fixed(8), move |e: &Entry<'a>| {
            head(e).map_or_else(Span::default, |e| {
                Span::styled(e.state.as_str(), state_style(e.state, t))
            })
        }),
        // What the edit is about is never dropped on a narrow screen (the state goes first).
        Column {
            elide: false,
            ..Column::new("item", Width::Fixed(24), move |e: &Entry<'a>| {
                head(e).map_or_else(Span::default, |e| {
                    Span::styled(e.entity_label.clone(), t.bold())
                })
            })
        },
        Column::fitted("change", Width::Fill(1), move |e: &Entry<'a>, w| {
            let Some(e) = head(e) else {
                return Line::default();
            };
            let tail = format!("  {} · tries {}", e.source, e.attempts);
            let room = w.saturating_sub(unicode_width::UnicodeWidthStr::width(tail.as_str()));
            Line::from(vec![
                Span::raw(fit(&e.op.describe(), room.max(8))),
                Span::styled(tail, t.dim()),
            ])
        }),
    ]
}

/// Draws the outbox overlay: a table of the queued edits, each with its error, next attempt
/// and (for a conflict) mine vs theirs on lines under it, and the keys at the bottom.
pub fn outbox(
    state: &State,
    entries: &[OutboxEntry],
    selected: usize,
    t: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let w = area.width.saturating_sub(4).min(140);
    let h = area.height.saturating_sub(2);
    let rect = centered(area, w, h);
    let text_w = usize::from(w.saturating_sub(4));
    let (mine, theirs) = (
        outbox_key(state, Action::KeepMine, "m"),
        outbox_key(state, Action::TakeTheirs, "t"),
    );
    let (retry, discard) = (
        outbox_key(state, Action::RetryEntry, "r"),
        outbox_key(state, Action::DiscardEntry, "D"),
    );
    // Keep the selected entry on screen with its lines: each entry takes up to three rows.
    let per_screen = (usize::from(h.saturating_sub(4)) / 3).max(1);
    let start = selected.saturating_sub(per_screen.saturating_sub(1));
    let mut rows = Vec::new();
    let mut selected_row = None;
    for (i, e) in entries.iter().enumerate().skip(start) {
        if i == selected {
            selected_row = Some(rows.len());
        }
        rows.push(Entry::Head(e));
        let under = lines_under(state, e, (&mine, &theirs), t, text_w);
        rows.extend(under.into_iter().map(Entry::Under));
    }
    let title = Line::from(Span::styled(
        format!(" Outbox — {} entries ", entries.len()),
        t.bold(),
    ));
    let rows = Rows {
        rows: &rows,
        order: None,
        selected: selected_row,
        offset: 0,
        total: None,
    };
    let mut table = ListTable::of_rows(title, rows, columns(t), t).spans(|e: &Entry<'_>| match e {
        Entry::Under(line) => Some(line.clone()),
        Entry::Head(_) => None,
    });
    table.header = false;
    table.selection_symbol = Some("> ");
    table.empty = Some("Nothing queued: every edit has been pushed.");
    table.footer = vec![
        Line::raw(""),
        Line::styled(
            format!(
                "{retry} retry · {discard} discard · {mine}/{theirs} resolve a conflict · esc close"
            ),
            t.dim(),
        ),
    ];
    Clear.render(rect, buf);
    table.render(rect, buf);
}

/// Draws the sources overlay.
pub fn sources(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(4).min(120);
    let h = area.height.saturating_sub(2);
    let rect = centered(area, w, h);
    let text_w = usize::from(w.saturating_sub(20));
    let mut lines: Vec<Line<'_>> = Vec::new();
    if state.sources.is_empty() {
        lines.push(Line::styled("No source has synced yet.", t.dim()));
    }
    for s in &state.sources {
        let failed = super::status_bar::last_attempt_failed(s);
        let status = if state.syncing.contains(&s.source) {
            Span::styled("syncing", t.label())
        } else if failed {
            Span::styled("failing", t.bad())
        } else {
            Span::styled("ok", t.good())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", fit(&s.source, 24)), t.bold()),
            Span::styled(format!("({}) ", s.kind), t.dim()),
            status,
        ]));
        let success = s.last_success_at.map_or_else(
            || "never".to_string(),
            |at| format!("{} ago ({})", ago(state.now, at), hm(state.tz, at)),
        );
        let attempt = s.last_attempt_at.map_or_else(
            || "never".to_string(),
            |at| format!("{} ago", ago(state.now, at)),
        );
        lines.push(Line::raw(format!(
            "    last success {success} · last attempt {attempt}"
        )));
        lines.push(Line::raw(format!(
            "    cursor {}",
            fit(or_dash(s.cursor.as_deref()), text_w)
        )));
        if let Some(until) = s.rate_limited_until.filter(|u| *u > state.now) {
            lines.push(Line::styled(
                format!("    rate-limited until {}", at_and_in(state, until)),
                t.warn(),
            ));
        }
        if let Some(err) = &s.last_error {
            let when = s
                .last_error_at
                .map(|at| format!(" ({} ago)", ago(state.now, at)))
                .unwrap_or_default();
            lines.push(Line::styled(
                format!("    last error{when}: {}", fit(err, text_w)),
                t.bad(),
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("R refresh all · esc close", t.dim()));
    boxed("Sources", lines, t, rect, buf);
}
