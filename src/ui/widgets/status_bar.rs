//! The status bar: mode, pending keys and per-source freshness on the left; the outbox and the
//! clock (UTC and team time zone) on the right.
//!
//! Freshness reads `state.sources` (the store's sync states) and `state.syncing`: each source
//! shows the age of its last success, `⟳` while syncing, `⚠` when its last attempt failed and
//! `⚠ 429 until 14:02` while rate-limited. OFFLINE appears when every configured source's last
//! attempt failed.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use crate::app::state::State;
use crate::store::read::SyncState;
use crate::ui::text::{ago, fit, hm};
use crate::ui::theme::Theme;

/// The status bar.
pub struct StatusBar<'a> {
    /// The state.
    pub state: &'a State,
    /// The theme.
    pub theme: Theme,
}

/// Whether a source's last attempt failed (an error at or after the last attempt, newer than any
/// success).
#[must_use]
pub fn last_attempt_failed(s: &SyncState) -> bool {
    match (s.last_error_at, s.last_success_at) {
        (Some(e), Some(ok)) => e >= ok,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The sources the status bar reports on: the configured remotes when known, else every one.
fn configured(state: &State) -> Vec<&SyncState> {
    state
        .sources
        .iter()
        .filter(|s| state.remote_sources.is_empty() || state.remote_sources.contains(&s.source))
        .collect()
}

/// Every configured source's last attempt failed.
#[must_use]
pub fn offline(state: &State) -> bool {
    let sources = configured(state);
    !sources.is_empty() && sources.iter().all(|s| last_attempt_failed(s))
}

/// The outbox summary text: `3 queued · 1 conflict · 1 failed` (empty outbox: `outbox empty`).
#[must_use]
pub fn outbox_text(state: &State, sep: &str) -> String {
    let o = state.outbox;
    let mut parts = Vec::new();
    if o.queued > 0 {
        parts.push(format!("{} queued", o.queued));
    }
    if o.conflicts > 0 {
        parts.push(format!(
            "{} conflict{}",
            o.conflicts,
            if o.conflicts == 1 { "" } else { "s" }
        ));
    }
    if o.failed > 0 {
        parts.push(format!("{} failed", o.failed));
    }
    if parts.is_empty() {
        "outbox empty".to_string()
    } else {
        parts.join(sep)
    }
}

/// The clock: `14:02Z 15:02 CET`.
#[must_use]
pub fn clock_text(state: &State) -> String {
    let local = state.now.with_timezone(&state.tz);
    if state.tz == chrono_tz::UTC {
        format!("{}Z", state.now.format("%H:%M"))
    } else {
        format!(
            "{}Z {}",
            state.now.format("%H:%M"),
            local.format("%H:%M %Z")
        )
    }
}

impl StatusBar<'_> {
    fn left(&self) -> Vec<Span<'static>> {
        let st = self.state;
        let t = self.theme;
        let mut spans = Vec::new();
        // Normal mode needs no label; the space goes to source freshness.
        let mode = if st.filtering {
            Some(format!(" FILTER /{}▏", fit(st.current_filter(), 30)))
        } else if st.cache_gone.is_some() {
            Some(" CACHE FILE GONE: EDITS NOT SAVED, RESTART ".to_string())
        } else if st.read_only {
            Some(" READ-ONLY ".to_string())
        } else {
            None
        };
        if let Some(mode) = mode {
            spans.push(Span::styled(mode, t.selected()));
        }
        if !st.filtering && !st.current_filter().is_empty() {
            spans.push(Span::styled(
                format!(" /{}", fit(st.current_filter(), 20)),
                t.warn(),
            ));
        }
        if st.read_only && st.filtering {
            spans.push(Span::styled(" READ-ONLY", t.bold()));
        }
        if !st.pending_keys.is_empty() {
            spans.push(Span::styled(format!(" {}…", st.pending_keys), t.bold()));
        }
        if offline(st) {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                " OFFLINE ",
                t.bad().add_modifier(Modifier::REVERSED),
            ));
        }
        let sources = configured(st);
        for (i, s) in sources.iter().enumerate() {
            spans.push(Span::styled(
                if i == 0 {
                    " ".to_string()
                } else {
                    t.sep().to_string()
                },
                t.dim(),
            ));
            spans.push(Span::raw(fit(&s.source, 16)));
            if st.syncing.contains(&s.source) {
                spans.push(Span::styled(if t.ascii { " ~" } else { " ⟳" }, t.label()));
            }
            let age = s
                .last_success_at
                .map_or_else(|| "never".to_string(), |at| ago(st.now, at));
            spans.push(Span::styled(format!(" {age}"), t.dim()));
            if let Some(until) = s.rate_limited_until.filter(|u| *u > st.now) {
                // Say why the source waits: a rate limit, or backing off after failures.
                let limited = s.last_error.as_deref().is_some_and(|e| {
                    let e = e.to_ascii_lowercase();
                    e.contains("429") || e.contains("rate limit") || e.contains("rate-limit")
                });
                let why = if limited { "429" } else { "retry" };
                spans.push(Span::styled(
                    format!(" ⚠ {why} until {}", hm(st.tz, until)),
                    t.warn(),
                ));
            } else if last_attempt_failed(s) {
                spans.push(Span::styled(" ⚠", t.bad()));
            }
        }
        spans
    }
}

impl Widget for &StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let sep = self.theme.sep();
        let mut outbox = outbox_text(self.state, sep);
        if area.width < crate::ui::NARROW_COLS && outbox == "outbox empty" {
            outbox.clear();
        }
        let clock = clock_text(self.state);
        let o = self.state.outbox;
        let outbox_style = if o.conflicts > 0 || o.failed > 0 {
            self.theme.bad()
        } else if o.queued > 0 {
            self.theme.warn()
        } else {
            self.theme.dim()
        };
        let sep = if outbox.is_empty() { "" } else { sep };
        let right = Line::from(vec![
            Span::styled(outbox.clone(), outbox_style),
            Span::styled(sep.to_string(), self.theme.dim()),
            Span::raw(format!("{clock} ")),
        ]);
        let right_w =
            u16::try_from(outbox.width() + sep.width() + clock.width() + 1).unwrap_or(u16::MAX);
        let right_w = right_w.min(area.width / 2);
        let [l, r] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(right_w)]).areas(area);
        Paragraph::new(Line::from(self.left())).render(l, buf);
        Paragraph::new(right.right_aligned()).render(r, buf);
    }
}
