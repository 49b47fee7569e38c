//! Expiring a silence: say whose silence it is, what it matches and how many alerts it covers,
//! and ask; a silence opsdeck did not create asks a second time (it may be someone's
//! maintenance window). Also the alert state text that shows a queued or applied silence.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::msg::{Edit, Effect};
use super::rows::RowView;
use super::state::{Overlay, State, Toast};
use crate::domain::{Alert, AlertState, Silence};
use crate::store::Operation;

/// Starts `M` on the selected alert: a confirmation naming each silence it would expire.
pub fn expire(state: &mut State) -> Vec<Effect> {
    let Some(alert) = state.alerts.selected_row().cloned() else {
        return Vec::new();
    };
    // Queued or cache-only silences are not in Alertmanager yet: undo removes them.
    let live: Vec<&String> = alert
        .silenced_by
        .iter()
        .filter(|id| {
            !id.starts_with(crate::domain::PENDING_SILENCE_PREFIX)
                && !id.starts_with(crate::domain::LOCAL_SILENCE_PREFIX)
        })
        .collect();
    if live.is_empty() {
        let text = if alert.silenced_by.is_empty() {
            "this alert is not silenced"
        } else {
            "this silence was not pushed yet: u undoes it"
        };
        state.toast = Some(Toast {
            text: text.into(),
            error: true,
            at: state.now,
        });
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut others = Vec::new();
    for id in &live {
        let covers = state
            .alerts
            .rows
            .iter()
            .filter(|a| a.source == alert.source && a.silenced_by.contains(id))
            .count();
        let known = alert.silences.iter().find(|s| &&s.id == id);
        lines.push(describe(known, id, covers, state.tz));
        if !known.is_some_and(|s| s.by_opsdeck) {
            others.push(known.map_or_else(
                || "someone (not synced yet)".to_string(),
                |s| s.created_by.clone(),
            ));
        }
    }
    let edits: Vec<Edit> = live
        .iter()
        .map(|id| Edit {
            entity: alert.entity(),
            op: Operation::ExpireSilence {
                silence_id: (*id).clone(),
            },
        })
        .collect();
    let first = format!("Expire {}?", lines.join("\n"));
    if others.is_empty() {
        return state.commit(edits, Some(first));
    }
    let second = format!(
        "This silence was created by {}, not from opsdeck.\nExpiring it un-silences every alert it covers.\nPress y to expire it anyway.",
        others.join(", ")
    );
    state.overlay = Some(Overlay::ConfirmTwice {
        first,
        second,
        asked_once: false,
        edits,
    });
    Vec::new()
}

/// `silence by sofia "db1 maintenance" · matches pod=ingest-worker-3 · covers 3 alerts · ends 16:00`.
fn describe(s: Option<&Silence>, id: &str, covers: usize, tz: Tz) -> String {
    let plural = if covers == 1 { "" } else { "s" };
    match s {
        Some(s) => {
            let ends = s
                .ends_at
                .map(|t| format!(" · ends {}", crate::domain::time::hm(tz, t)))
                .unwrap_or_default();
            format!(
                "silence by {} \"{}\"\nmatches {}\ncovers {covers} alert{plural}{ends}",
                s.created_by,
                s.comment,
                s.matchers.join(", ")
            )
        }
        None => {
            format!("silence {id} (creator unknown: not synced yet)\ncovers {covers} alert{plural}")
        }
    }
}

/// The alert's state as shown: `firing`, `silencing…` (queued), `silenced until 14:30 by me`,
/// `silenced`, `inhibited`, `pending`. `long` adds the end time and author (detail pane).
#[must_use]
pub fn alert_state_label(a: &Alert, tz: Tz, long: bool) -> String {
    match a.state {
        AlertState::Active => "firing".into(),
        AlertState::Suppressed if a.silenced_by.is_empty() => "inhibited".into(),
        AlertState::Suppressed => {
            if a.silences.iter().any(Silence::is_pending)
                || a.silenced_by
                    .iter()
                    .any(|id| id.starts_with(crate::domain::PENDING_SILENCE_PREFIX))
            {
                return "silencing…".into();
            }
            let latest = a
                .silences
                .iter()
                .filter(|s| s.ends_at.is_some())
                .max_by_key(|s| s.ends_at);
            match latest {
                Some(s) if long => format!(
                    "silenced until {} by {}",
                    until(s.ends_at, tz),
                    // Created from this cache, i.e. by whoever runs this opsdeck.
                    if s.by_opsdeck {
                        "me"
                    } else {
                        s.created_by.as_str()
                    }
                ),
                _ => "silenced".into(),
            }
        }
        AlertState::Unprocessed => "pending".into(),
    }
}

fn until(t: Option<DateTime<Utc>>, tz: Tz) -> String {
    t.map_or_else(|| "?".into(), |t| crate::domain::time::hm(tz, t))
}
