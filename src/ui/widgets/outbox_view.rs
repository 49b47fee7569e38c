//! The outbox view (every queued edit with its state, attempts, errors, retry time and, for a
//! conflict, mine vs theirs) and the sources view (each source's sync state).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::boxes::{boxed, centered};
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

/// Draws the outbox overlay.
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
    let mut lines: Vec<Line<'_>> = Vec::new();
    if entries.is_empty() {
        lines.push(Line::styled(
            "Nothing queued: every edit has been pushed.",
            t.dim(),
        ));
    }
    // Keep the selected entry on screen: each entry takes up to three lines.
    let per_screen = (usize::from(h.saturating_sub(4)) / 3).max(1);
    let start = selected.saturating_sub(per_screen.saturating_sub(1));
    for (i, e) in entries.iter().enumerate().skip(start) {
        let sel = i == selected;
        let marker = if sel { "> " } else { "  " };
        let mut head = vec![
            Span::styled(marker, t.bold()),
            Span::styled(format!("{:<9}", e.state.as_str()), state_style(e.state, t)),
            Span::styled(format!("{} ", fit(&e.entity_label, 24)), t.bold()),
            Span::raw(fit(&e.op.describe(), text_w.saturating_sub(40))),
            Span::styled(format!("  {} · tries {}", e.source, e.attempts), t.dim()),
        ];
        if sel {
            head = head
                .into_iter()
                .map(|s| s.patch_style(t.selected()))
                .collect();
        }
        lines.push(Line::from(head));
        let mut info = Vec::new();
        if let Some(err) = &e.last_error {
            info.push(Span::styled(
                format!("    last error: {}", fit(err, text_w.saturating_sub(30))),
                t.bad(),
            ));
        }
        if let Some(next) = e.next_attempt_at {
            info.push(Span::styled(
                format!(
                    "    next attempt {} (in {})",
                    hm(state.tz, next),
                    ago(next, state.now)
                ),
                t.dim(),
            ));
        }
        if !info.is_empty() {
            lines.push(Line::from(info));
        }
        if e.state == OpState::Conflict {
            lines.push(Line::from(vec![
                Span::raw("    mine: "),
                Span::styled(fit(&e.op.describe(), 40), t.good()),
                Span::raw(" / theirs: "),
                Span::styled(fit(or_dash(e.remote_value.as_deref()), 40), t.warn()),
                Span::styled(
                    format!("   {mine} = keep mine · {theirs} = take theirs"),
                    t.bold(),
                ),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "{retry} retry · {discard} discard · {mine}/{theirs} resolve a conflict · esc close"
        ),
        t.dim(),
    ));
    let title = format!("Outbox — {} entries", entries.len());
    boxed(&title, lines, t, rect, buf);
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
                format!(
                    "    rate-limited until {} (in {})",
                    hm(state.tz, until),
                    ago(until, state.now)
                ),
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
