//! One round of one source: pull (the connector commits pages and re-applies pending edits on
//! top), then drain that source's outbox FIFO per entity.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Remote;
use crate::clock::SharedClock;
use crate::domain::{EntityKind, Tab};
use crate::store::{OpState, Store};
use crate::sync::{PullReport, PushOutcome, SyncError};

/// Entries pushed in one round at most (bounded loop; the rest waits for the next round).
pub const MAX_PUSHES_PER_ROUND: usize = 500;

/// Retry delay for an entry whose push hit a local (store) error.
const LOCAL_ERROR_RETRY: TimeDelta = TimeDelta::seconds(60);

/// What draining the outbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Entries that reached `done` (sent now, or found already at the remote).
    pub pushed: usize,
    /// Entries now in conflict.
    pub conflicts: usize,
    /// Entries refused for good.
    pub failed: usize,
    /// Entries put back for a later retry (the drain stops at the first one).
    pub deferred: usize,
    /// The error that deferred an entry, if any.
    pub deferred_error: Option<String>,
    /// Tabs whose rows changed state (pending → done/conflict/failed).
    pub changed: Vec<Tab>,
}

impl DrainReport {
    /// Whether any entry changed state.
    pub fn touched(&self) -> bool {
        self.pushed + self.conflicts + self.failed + self.deferred > 0
    }
}

/// How a round ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RoundResult {
    /// Pulled (when asked) and drained.
    Ok {
        /// The pull, if this round pulled.
        pull: Option<PullReport>,
        /// The outbox drain.
        push: DrainReport,
    },
    /// The pull or the drain failed; the drain may still have run.
    Failed {
        /// Sanitized message (never a token).
        error: String,
        /// Rate-limit deadline, if the failure carries one.
        retry_at: Option<DateTime<Utc>>,
        /// The drain, if it ran.
        push: DrainReport,
    },
    /// The source could not start: bad config or missing token.
    ConfigError(String),
    /// Nothing was sent: rate limited until then, or another process holds the source.
    Skipped(String),
}

/// One round's report (the headless CLI prints it; the TUI gets `SyncEvent`s).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundOutcome {
    /// Source name.
    pub source: String,
    /// What happened.
    pub result: RoundResult,
    /// Wall time of the round.
    pub elapsed: Duration,
}

fn tab_of(kind: EntityKind) -> Tab {
    match kind {
        EntityKind::Customer => Tab::Customers,
        EntityKind::Bug => Tab::Bugs,
        EntityKind::Incident | EntityKind::Alert => Tab::Incidents,
        EntityKind::Deployment => Tab::Deployments,
        EntityKind::ChecklistItem => Tab::Checklist,
        EntityKind::Slo => Tab::Slos,
    }
}

fn add_tab(tabs: &mut Vec<Tab>, tab: Tab) {
    if !tabs.contains(&tab) {
        tabs.push(tab);
    }
}

/// Pushes due outbox entries of `source`, oldest first, FIFO per entity.
///
/// Per entry: `next_to_push` → `mark_inflight` (counts the attempt) → `push` → `mark_done` /
/// `mark_conflict` / `mark_failed` / `mark_retry`. Stops at the first entry that must wait
/// (rate limit, 5xx, network): the others would most likely wait too.
///
/// # Errors
/// Store errors, or a connector's local error (the entry is put back for a retry first).
pub async fn drain_outbox<R: Remote>(
    remote: &mut R,
    store: &mut Store,
    source: &str,
    clock: &SharedClock,
) -> Result<DrainReport, SyncError> {
    let mut report = DrainReport::default();
    for _ in 0..MAX_PUSHES_PER_ROUND {
        let now = clock.now();
        let Some(mut entry) = store.next_to_push(source, now)? else {
            break;
        };
        store.mark_inflight(entry.seq, now)?;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.state = OpState::Inflight;
        let outcome = remote.push(store, &entry, now).await;
        let now = clock.now();
        add_tab(&mut report.changed, tab_of(entry.entity.kind));
        match outcome {
            Ok(PushOutcome::Done) => {
                store.mark_done(entry.seq, now)?;
                report.pushed += 1;
            }
            Ok(PushOutcome::Conflict(remote_value)) => {
                store.mark_conflict(entry.seq, now, &remote_value)?;
                report.conflicts += 1;
            }
            Ok(PushOutcome::Failed(message)) => {
                store.mark_failed(entry.seq, now, &message)?;
                report.failed += 1;
            }
            Ok(PushOutcome::Retry { at, error }) => {
                store.mark_retry(entry.seq, now, at, &error)?;
                report.deferred += 1;
                report.deferred_error = Some(crate::sanitize::line(&error));
                break;
            }
            Err(err) => {
                let message = err.to_string();
                store.mark_retry(entry.seq, now, now + LOCAL_ERROR_RETRY, &message)?;
                return Err(err);
            }
        }
    }
    Ok(report)
}

/// One round: pull (if `pull`), then drain the outbox unless the source is rate limited.
///
/// A failed pull still drains the outbox, except when the failure carries a "not before"
/// deadline (rate limit, open circuit): then nothing more is sent.
pub async fn run_round<R: Remote>(
    remote: &mut R,
    store: &mut Store,
    source: &str,
    clock: &SharedClock,
    pull: bool,
) -> RoundResult {
    let mut pulled = None;
    let mut pull_error = None;
    if pull {
        match remote.pull(store, clock.now()).await {
            Ok(report) => pulled = Some(report),
            Err(err) => {
                pull_error = Some((crate::sanitize::line(&err.to_string()), err.retry_at()))
            }
        }
    }
    if let Some((error, retry_at)) = &pull_error {
        if retry_at.is_some() {
            return RoundResult::Failed {
                error: error.clone(),
                retry_at: *retry_at,
                push: DrainReport::default(),
            };
        }
    }
    let (push, drain_error) = match drain_outbox(remote, store, source, clock).await {
        Ok(report) => (report, None),
        Err(err) => (
            DrainReport::default(),
            Some(crate::sanitize::line(&err.to_string())),
        ),
    };
    match (pull_error, drain_error) {
        (Some((error, retry_at)), _) => RoundResult::Failed {
            error,
            retry_at,
            push,
        },
        (None, Some(error)) => RoundResult::Failed {
            error,
            retry_at: None,
            push,
        },
        (None, None) => RoundResult::Ok { pull: pulled, push },
    }
}
