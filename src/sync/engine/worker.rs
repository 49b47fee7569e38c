//! The task of one source: owns its store connection and connector, waits for its next round
//! (interval, backoff, rate-limit deadline) or a request, runs the round, reports.

use std::path::PathBuf;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::round::{run_round, DrainReport, RoundOutcome, RoundResult};
use super::{http_clock, kind_name, lock, resolve_token, Connector};
use crate::clock::SharedClock;
use crate::config::SourceConfig;
use crate::store::{sync_meta, Store};
use crate::sync::events::SyncEvent;
use crate::sync::scheduler::{self, Pending, Request};

/// What a worker is started with.
pub(crate) struct Setup {
    /// The source's config section.
    pub(crate) cfg: SourceConfig,
    /// The SLOs (a Prometheus source computes them).
    pub(crate) slos: Vec<crate::config::SloConfig>,
    /// The cache the worker opens its own connection to.
    pub(crate) db_path: PathBuf,
    /// The shared clock.
    pub(crate) clock: SharedClock,
    /// Where the worker says what changed.
    pub(crate) events: mpsc::UnboundedSender<SyncEvent>,
    /// Where each round's report goes (the headless CLI), if anywhere.
    pub(crate) reports: Option<mpsc::UnboundedSender<RoundOutcome>>,
}

/// One source's worker.
pub(crate) struct Worker {
    setup: Setup,
    store: Option<Store>,
    connector: Option<Connector>,
    failures: u32,
    rng: StdRng,
}

impl Worker {
    pub(crate) fn new(setup: Setup) -> Self {
        Self {
            setup,
            store: None,
            connector: None,
            failures: 0,
            rng: StdRng::from_os_rng(),
        }
    }

    /// Runs until cancelled or every handle is dropped; the first round starts at once.
    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Request>,
        cancel: CancellationToken,
    ) {
        let mut pending = Pending {
            refresh: true,
            push: false,
        };
        let mut next_due = Instant::now();
        loop {
            if let Some(pull) = pending.take() {
                let outcome = tokio::select! {
                    () = cancel.cancelled() => return,
                    outcome = self.round(pull) => outcome,
                };
                let delay = self.after_round(&outcome, pull);
                if pull || matches!(outcome.result, RoundResult::Failed { .. }) {
                    next_due = Instant::now() + delay;
                }
                // Requests that arrived during the round collapse into one more round.
                while let Ok(request) = rx.try_recv() {
                    pending.note(request);
                }
                continue;
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep_until(next_due) => pending.note(Request::Refresh),
                request = rx.recv() => match request {
                    Some(request) => pending.note(request),
                    None => return,
                },
            }
        }
    }

    /// One round, start to report; used by the loop and by `opsdeck sync --once`.
    pub(crate) async fn round(&mut self, pull: bool) -> RoundOutcome {
        let started = std::time::Instant::now();
        let result = self.round_inner(pull).await;
        RoundOutcome {
            source: self.setup.cfg.name.clone(),
            result,
            elapsed: started.elapsed(),
        }
    }

    async fn round_inner(&mut self, pull: bool) -> RoundResult {
        let name = self.setup.cfg.name.clone();
        let kind = kind_name(self.setup.cfg.kind);
        if self.store.is_none() {
            match Store::open(&self.setup.db_path) {
                Ok(store) => self.store = Some(store),
                Err(e) => {
                    return RoundResult::Failed {
                        error: format!("cannot open the cache: {e}"),
                        retry_at: None,
                        push: DrainReport::default(),
                    }
                }
            }
        }
        if self.connector.is_none() {
            let built = match resolve_token(&self.setup.cfg).await {
                Ok(token) => Connector::build(
                    &self.setup.cfg,
                    &self.setup.slos,
                    token,
                    http_clock(&self.setup.clock),
                ),
                Err(e) => Err(e),
            };
            match built {
                Ok(c) => self.connector = Some(c),
                Err(e) => {
                    let message = crate::sanitize::line(&e.to_string());
                    if let Some(store) = self.store.as_mut() {
                        let now = self.setup.clock.now();
                        let _ = store.write(|tx| {
                            sync_meta::note_source_error(tx, &name, kind, &message, now)
                        });
                    }
                    return RoundResult::ConfigError(message);
                }
            }
        }
        let (Some(store), Some(connector)) = (self.store.as_mut(), self.connector.as_mut()) else {
            return RoundResult::ConfigError("internal: source not initialised".into());
        };
        let now = self.setup.clock.now();
        match store.rate_limited_until(&name) {
            Ok(Some(until)) if until > now => {
                return RoundResult::Skipped(format!(
                    "rate limited until {}; no request before then",
                    until.format("%Y-%m-%d %H:%M:%S UTC")
                ))
            }
            Ok(_) => {}
            Err(e) => {
                return RoundResult::Failed {
                    error: e.to_string(),
                    retry_at: None,
                    push: DrainReport::default(),
                }
            }
        }
        let guard = match lock::acquire(&self.setup.db_path, &name, lock::LOCK_WAIT).await {
            Ok(Some(guard)) => guard,
            Ok(None) => {
                return RoundResult::Skipped(
                    "another opsdeck process is syncing this source; skipped this round".into(),
                )
            }
            Err(e) => {
                return RoundResult::Failed {
                    error: format!("cannot create the sync lock file: {e}"),
                    retry_at: None,
                    push: DrainReport::default(),
                }
            }
        };
        if pull {
            let _ = self.setup.events.send(SyncEvent::Started {
                source: name.clone(),
            });
        }
        let result = run_round(connector, store, &name, &self.setup.clock, pull).await;
        drop(guard);
        result
    }

    /// Emits events and reports for a round; returns the wait before the next scheduled one.
    fn after_round(&mut self, outcome: &RoundOutcome, pull: bool) -> Duration {
        let source = outcome.source.clone();
        let interval = self.setup.cfg.interval.0;
        let mut retry_at = None;
        match &outcome.result {
            RoundResult::Ok { pull: report, push } => {
                self.failures = 0;
                let mut changed = report
                    .as_ref()
                    .map(|r| r.changed.clone())
                    .unwrap_or_default();
                for tab in &push.changed {
                    if !changed.contains(tab) {
                        changed.push(*tab);
                    }
                }
                if push.touched() {
                    let _ = self.setup.events.send(SyncEvent::OutboxChanged);
                }
                if pull || !changed.is_empty() {
                    let _ = self.setup.events.send(SyncEvent::Finished {
                        source,
                        changed,
                        at: self.setup.clock.now(),
                    });
                }
            }
            RoundResult::Failed {
                error,
                retry_at: at,
                push,
            } => {
                self.failures = self.failures.saturating_add(1);
                retry_at = *at;
                if push.touched() {
                    let _ = self.setup.events.send(SyncEvent::OutboxChanged);
                }
                let _ = self.setup.events.send(SyncEvent::Failed {
                    source,
                    error: error.clone(),
                });
            }
            RoundResult::ConfigError(error) => {
                self.failures = self.failures.saturating_add(1);
                let _ = self.setup.events.send(SyncEvent::Failed {
                    source,
                    error: error.clone(),
                });
            }
            RoundResult::Skipped(reason) => {
                if pull {
                    let _ = self.setup.events.send(SyncEvent::Failed {
                        source,
                        error: reason.clone(),
                    });
                }
            }
        }
        if let Some(reports) = &self.setup.reports {
            let _ = reports.send(outcome.clone());
        }
        let mut delay = scheduler::next_delay(interval, self.failures, &mut self.rng);
        let persisted = self
            .store
            .as_ref()
            .and_then(|s| s.rate_limited_until(&self.setup.cfg.name).ok().flatten());
        let now = self.setup.clock.now();
        for until in [retry_at, persisted] {
            if let Some(wait) = scheduler::rate_limit_wait(now, until) {
                delay = delay.max(wait + Duration::from_millis(100));
            }
        }
        delay
    }
}
