//! The runtime: executes [`Effect`]s against the store on a dedicated thread and reports back
//! with [`Msg`]s. The UI task never touches SQLite, so a slow query can never freeze a frame.
//!
//! The bugs, incidents, deployments and checklist lists are read in windows ([`Effect::LoadWindow`], see
//! [`super::list_window`]): a few screens at a position of the filtered, sorted list, with its
//! count; the app's dispatch turns their `Effect::Reload` into a window request. The small
//! tabs load whole. (An `Effect::Reload` of a big tab that reaches this thread directly still
//! loads it whole, first page then the rest — only tests and tools do that.)

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::{Detail, Edit, Effect, Msg, OutboxCommand, Rows};
use super::stale_reads::{StaleReads, CHECK_EVERY_STEPS};
use crate::clock::SharedClock;
use crate::domain::{EntityKind, Tab};
use crate::store::{OpState, Store, StoreError};

/// Rows sent before the rest of a tab (a screenful with margin).
pub const FIRST_PAGE_ROWS: u32 = 60;

/// The UI store connection's page cache. Its reads are windows of a few screens and the
/// index pages above them (the OS page cache holds the rest), so SQLite's default 2,000 KiB
/// was mostly resident memory with no use (issue #12, peak RSS); sync workers keep the default.
pub const UI_CACHE_KIB: u32 = 1_024;

/// The page check's cache: `quick_check` reads every page once, so a cache only costs memory.
pub const CHECK_CACHE_KIB: u32 = 128;

/// How long the store thread must have had nothing to do before a requested page check starts:
/// started right away it read the whole cache (358 MB at 1M rows) on another thread while the
/// first frame was still being drawn, competing for the cores and, cold, for the disk (issue
/// #12). A damaged cache is still found within about a second of start: a check still
/// waiting [`CHECK_AT_LATEST`] after it was asked for starts even if the thread is busy.
pub const CHECK_AFTER_IDLE: std::time::Duration = std::time::Duration::from_millis(100);

/// The longest a requested page check waits for the store thread to be idle.
pub const CHECK_AT_LATEST: std::time::Duration = std::time::Duration::from_millis(500);

/// How often an idle store thread checks that the cache file was not deleted or replaced.
pub const CACHE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Everything the store thread needs to know about the session.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Name recorded in the audit log.
    pub actor: String,
    /// Sources with a configured connector.
    pub remote_sources: Vec<String>,
    /// Where incident reports go.
    pub reports_dir: PathBuf,
    /// Policies for reports.
    pub policy: crate::config::Policy,
    /// Team time zone.
    pub tz: chrono_tz::Tz,
    /// Hide customer names and people in the review (screen sharing).
    pub redact: bool,
    /// Checklist sections configured as gates.
    pub checklist_gates: Vec<String>,
}

/// A handle on the store thread.
#[derive(Debug, Clone)]
pub struct Runtime {
    jobs: std_mpsc::Sender<Effect>,
    stale: Arc<StaleReads>,
}

impl Runtime {
    /// Starts the store thread; it owns `store` and reports on `msgs`.
    #[must_use]
    pub fn spawn(
        store: Store,
        config: RuntimeConfig,
        clock: SharedClock,
        msgs: UnboundedSender<Msg>,
    ) -> Runtime {
        let (tx, rx) = std_mpsc::channel::<Effect>();
        if let Err(e) = store.set_cache_kib(UI_CACHE_KIB) {
            tracing::warn!(error = %e, "could not size the page cache");
        }
        let worker = Worker::new(store, config, clock, msgs);
        let stale = Arc::clone(&worker.stale);
        let spawned = thread::Builder::new()
            .name("opsdeck-store".into())
            .spawn(move || {
                let mut worker = worker;
                // When a page check not started yet was asked for (it waits for a quiet
                // moment, at most CHECK_AT_LATEST).
                let mut check_asked: Option<Instant> = None;
                loop {
                    if check_asked.is_some_and(|at| at.elapsed() >= CHECK_AT_LATEST) {
                        check_asked = None;
                        worker.check_pages();
                    }
                    // Idle: check the cache file is still ours (deleted or replaced files are
                    // reported once; writes check it themselves too).
                    let idle = match check_asked {
                        Some(at) => {
                            CHECK_AFTER_IDLE.min(CHECK_AT_LATEST.saturating_sub(at.elapsed()))
                        }
                        None => CACHE_CHECK_EVERY,
                    };
                    let effect = match rx.recv_timeout(idle) {
                        Ok(Effect::CheckCachePages) => {
                            check_asked.get_or_insert_with(Instant::now);
                            continue;
                        }
                        Ok(effect) => effect,
                        Err(std_mpsc::RecvTimeoutError::Timeout) if check_asked.is_some() => {
                            check_asked = None;
                            worker.check_pages();
                            continue;
                        }
                        Err(std_mpsc::RecvTimeoutError::Timeout) => {
                            worker.check_cache();
                            continue;
                        }
                        Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    // Collapse queued reloads of the same tab: only the latest matters.
                    let mut batch = vec![effect];
                    while let Ok(more) = rx.try_recv() {
                        batch.push(more);
                    }
                    // Of the window requests for one tab only the last matters (keys pressed
                    // while the store was busy); a reload among them makes it a reload.
                    let batch = super::window_reads::latest_windows(batch);
                    let mut seen = Vec::new();
                    for effect in batch {
                        if effect == Effect::CheckCachePages {
                            check_asked.get_or_insert_with(Instant::now);
                            continue;
                        }
                        if matches!(effect, Effect::Reload(_) | Effect::ReloadStatus) {
                            if seen.contains(&effect) {
                                continue;
                            }
                            seen.push(effect.clone());
                        }
                        worker.run(effect);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the store thread");
        }
        Runtime { jobs: tx, stale }
    }

    /// Queues an effect for the store thread.
    pub fn submit(&self, effect: Effect) {
        if let Effect::LoadWindow(req) = &effect {
            self.stale.asked(req.tab, req.generation);
        }
        if self.jobs.send(effect).is_err() {
            tracing::error!("store thread is gone");
        }
    }
}

/// The store thread's work done on the caller's thread, one effect at a time: for tests that
/// drive `State::update` against a real store, step by step, with no timing involved.
pub struct Inline {
    worker: Worker,
}

impl Inline {
    /// An executor over `store` that reports on `msgs`.
    #[must_use]
    pub fn new(
        store: Store,
        config: RuntimeConfig,
        clock: SharedClock,
        msgs: UnboundedSender<Msg>,
    ) -> Inline {
        Inline {
            worker: Worker::new(store, config, clock, msgs),
        }
    }

    /// What decides whether a window read is stale: a test says a newer generation was asked
    /// for, as the UI does while the store thread is busy.
    #[must_use]
    pub fn stale_reads(&self) -> &StaleReads {
        &self.worker.stale
    }

    /// Runs one effect as the store thread would.
    pub fn run(&mut self, effect: Effect) {
        self.worker.run(effect);
    }

    /// The store, to check what an effect wrote.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.worker.store
    }
}

struct Worker {
    store: Store,
    config: RuntimeConfig,
    clock: SharedClock,
    msgs: UnboundedSender<Msg>,
    gone_reported: bool,
    /// Which window read is worthless now ([`super::stale_reads`]).
    stale: Arc<StaleReads>,
}

impl Worker {
    /// A worker over `store`, whose window reads stop once they are stale.
    fn new(
        mut store: Store,
        config: RuntimeConfig,
        clock: SharedClock,
        msgs: UnboundedSender<Msg>,
    ) -> Worker {
        let stale = Arc::new(StaleReads::default());
        let watch = Arc::clone(&stale);
        if let Err(e) = store.stop_statements_when(CHECK_EVERY_STEPS, move || watch.is_stale()) {
            tracing::warn!(error = %e, "superseded window reads will run to the end");
        }
        Worker {
            store,
            config,
            clock,
            msgs,
            gone_reported: false,
            stale,
        }
    }

    fn check_cache(&mut self) {
        if let Err(e) = self.store.check_file() {
            self.report_gone(&e);
        }
    }

    /// `PRAGMA quick_check` of the cache, after the first frame so start-up stays fast. It
    /// reads every page (~50 ms at 100k rows, ~1 s at 1M), so it runs on a thread of its own
    /// with its own read-only connection: the store thread stays free for the windows and
    /// details the first keys ask for (issue #12). Damage is reported like a deleted cache —
    /// edits refused, said loudly — after the readable outbox rows are saved beside it.
    fn check_pages(&mut self) {
        let db = PathBuf::from(self.store.path());
        let stamp = self.now().format("%Y%m%dT%H%M%SZ").to_string();
        let msgs = self.msgs.clone();
        let spawned = thread::Builder::new()
            .name("opsdeck-check".into())
            .spawn(move || {
                let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = match rusqlite::Connection::open_with_flags(&db, flags) {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot open the cache to check its pages");
                        return;
                    }
                };
                let cache = -i64::from(CHECK_CACHE_KIB);
                if let Err(e) = conn.pragma_update(None, "cache_size", cache) {
                    tracing::warn!(error = %e, "could not size the page check's cache");
                }
                let Err(damage) = crate::store::health::check_pages(&conn, false) else {
                    return;
                };
                drop(conn);
                let rescue = db
                    .parent()
                    .unwrap_or_else(|| std::path::Path::new("."))
                    .join(format!("outbox-rescue-{stamp}.jsonl"));
                let saved = match crate::store::health::export_outbox(&db, &rescue) {
                    Ok(n) => format!("{n} readable outbox entries saved to {}", rescue.display()),
                    Err(e) => format!("the outbox could not be saved ({e})"),
                };
                let text = format!(
                    "the cache {} is corrupt ({damage}); {saved}. Edits are off: quit and run \
                     `opsdeck rebuild-cache`",
                    db.display()
                );
                tracing::error!(%text, "cache pages damaged");
                let _ = msgs.send(Msg::CacheGone(text));
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the page check");
        }
    }

    fn report_gone(&mut self, e: &StoreError) {
        if !self.gone_reported {
            tracing::error!(error = %e, "cache file gone");
            self.gone_reported = true;
            self.send(Msg::CacheGone(e.to_string()));
        }
    }

    fn send(&self, msg: Msg) {
        let _ = self.msgs.send(msg);
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn run(&mut self, effect: Effect) {
        let result = match effect {
            Effect::Reload(tab) => self.reload(tab),
            Effect::ReloadStatus => self.status(),
            Effect::CheckCachePages => {
                self.check_pages();
                Ok(())
            }
            Effect::LoadDetail(e) => self.detail(e),
            Effect::LoadWindow(req) => {
                if req.tab == Tab::Checklist && req.reload {
                    if let Err(e) = self.refresh_checklist_files() {
                        self.send(Msg::EffectFailed(format!("checklist file: {e}")));
                    }
                }
                let now = self.now();
                let guess = self.config.policy.dora.guess_links;
                let stale = &self.stale;
                super::window_reads::window(&self.store, &req, now, guess, &self.msgs, stale)
            }
            Effect::LoadIncidentFigures => {
                super::window_reads::incident_figures(&self.store, self.now(), &self.msgs)
            }
            Effect::LoadPools => super::window_reads::pools(&self.store, &self.msgs),
            Effect::Commit(edits) => self.commit(edits),
            Effect::Undo => self.undo(),
            Effect::LoadOutbox => self
                .store
                .list_outbox(500)
                .map(|e| self.send(Msg::OutboxLoaded(e))),
            Effect::Outbox(seq, cmd) => self.outbox(seq, cmd),
            Effect::ExportIncident(id) => self.export(id),
            Effect::SaveReviewNote { week, area, text } => {
                let now = self.now();
                self.store
                    .write(|tx| crate::store::write::save_review_note(tx, &week, &area, &text, now))
                    .map(|()| self.send(Msg::Notice(format!("note saved for {area}, week {week}"))))
            }
            Effect::TakeReviewSnapshot => self.review(),
            Effect::PushFiles => {
                self.push_files();
                Ok(())
            }
            // Handled by the app itself.
            Effect::SyncNow(_)
            | Effect::PushNow
            | Effect::OpenUrl(_)
            | Effect::Copy(_)
            | Effect::Quit => Ok(()),
        };
        if let Err(e) = result {
            if matches!(e, StoreError::CacheGone(_)) {
                self.report_gone(&e);
                return;
            }
            tracing::warn!(error = %e, "effect failed");
            self.send(Msg::EffectFailed(e.to_string()));
        }
    }

    /// The files are the checklist's source: pick up edits made elsewhere (another editor,
    /// git pull) and write anything still queued.
    fn refresh_checklist_files(&mut self) -> Result<(), StoreError> {
        let now = self.now();
        crate::checklist::store::refresh_from_disk(
            &mut self.store,
            &self.config.checklist_gates,
            now,
        )?;
        self.push_files();
        Ok(())
    }

    fn reload(&mut self, tab: Tab) -> Result<(), StoreError> {
        let now = self.now();
        if tab == Tab::Checklist {
            self.refresh_checklist_files()?;
        }
        let first = |w: &Self, complete: bool| -> Result<Rows, StoreError> {
            let limit = (!complete).then_some(FIRST_PAGE_ROWS);
            Ok(match tab {
                Tab::Customers => Rows::Customers(w.store.load_customers(now)?),
                Tab::Bugs => Rows::Bugs(w.store.load_bugs(limit)?),
                Tab::Incidents => {
                    Rows::Incidents(w.store.load_incidents(limit)?, w.store.load_alerts()?)
                }
                Tab::Deployments => Rows::Deployments(w.store.load_deployments(limit)?),
                Tab::Slos => Rows::Slos(w.store.load_slos()?),
                Tab::Checklist => {
                    Rows::Checklist(w.store.checklist_docs()?, w.store.load_checklist()?)
                }
            })
        };
        let paged = matches!(tab, Tab::Bugs | Tab::Incidents | Tab::Deployments);
        if paged {
            if let Some(shape) = self.store.list_shape(tab)? {
                self.send(Msg::ListShape(tab, shape));
            }
            let rows = first(self, false)?;
            let n = match &rows {
                Rows::Bugs(r) => r.len(),
                Rows::Incidents(r, _) => r.len(),
                Rows::Deployments(r) => r.len(),
                _ => 0,
            };
            let complete = n < usize::try_from(FIRST_PAGE_ROWS).unwrap_or(usize::MAX);
            self.send(Msg::Loaded { rows, complete });
            if !complete {
                self.send(Msg::Loaded {
                    rows: first(self, true)?,
                    complete: true,
                });
            }
        } else {
            self.send(Msg::Loaded {
                rows: first(self, true)?,
                complete: true,
            });
        }
        Ok(())
    }

    fn status(&mut self) -> Result<(), StoreError> {
        self.store.check_file()?;
        let now = self.now();
        let msg = Msg::Status {
            counts: self.store.tab_counts(now)?,
            outbox: self.store.outbox_summary()?,
            sources: self.store.sync_states()?,
        };
        self.send(msg);
        Ok(())
    }

    fn detail(&mut self, e: crate::domain::EntityRef) -> Result<(), StoreError> {
        match e.kind {
            EntityKind::Incident => {
                let t = self.store.incident_timeline(e.id)?;
                let candidate = self.store.rollback_candidate(e.id)?;
                self.send(Msg::RollbackCandidate(e.id, candidate.map(Box::new)));
                self.send(Msg::DetailLoaded(Detail::Timeline(e.id, t)));
            }
            EntityKind::Customer => {
                let n = self.store.customer_notes(e.id)?;
                self.send(Msg::DetailLoaded(Detail::CustomerNotes(e.id, n)));
            }
            _ => {}
        }
        Ok(())
    }

    fn commit(&mut self, edits: Vec<Edit>) -> Result<(), StoreError> {
        let now = self.now();
        let total = edits.len();
        let mut queued = false;
        let mut last = String::new();
        for edit in edits {
            let outcome = self.store.commit_edit(
                edit.entity,
                &edit.op,
                now,
                &self.config.actor,
                &self.config.remote_sources,
            )?;
            queued |= outcome.state == OpState::Pending;
            last = edit.op.describe();
        }
        let description = if total == 1 {
            last
        } else {
            format!("{total} edits")
        };
        self.send(Msg::Committed {
            description,
            queued,
        });
        if queued {
            self.push_files();
            self.send(Msg::Sync(super::msg::SyncEvent::OutboxChanged));
        }
        Ok(())
    }

    /// Writes pending checklist edits to their Markdown files (local, so done right here).
    fn push_files(&mut self) {
        let now = self.now();
        match crate::checklist::store::push_pending(&mut self.store, now) {
            Ok(report) if report.changed => {
                self.send(Msg::Sync(super::msg::SyncEvent::OutboxChanged))
            }
            Ok(_) => {}
            Err(e) => self.send(Msg::EffectFailed(format!("checklist file: {e}"))),
        }
    }

    fn undo(&mut self) -> Result<(), StoreError> {
        let now = self.now();
        match self.store.undo_last(now, &self.config.actor) {
            Ok(Some(u)) => {
                self.send(Msg::Committed {
                    description: format!("undone: {}", u.description),
                    queued: false,
                });
                Ok(())
            }
            Ok(None) => {
                self.send(Msg::Notice("nothing to undo".into()));
                Ok(())
            }
            Err(StoreError::Refused(why)) => {
                self.send(Msg::EffectFailed(why));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn outbox(&mut self, seq: i64, cmd: OutboxCommand) -> Result<(), StoreError> {
        let now = self.now();
        let actor = self.config.actor.clone();
        match cmd {
            OutboxCommand::Retry => self.store.retry_entry(seq, now)?,
            OutboxCommand::Discard => self.store.discard_entry(seq, now, &actor)?,
            OutboxCommand::KeepMine => self.store.resolve_conflict(seq, true, now, &actor)?,
            OutboxCommand::TakeTheirs => self.store.resolve_conflict(seq, false, now, &actor)?,
        }
        self.send(Msg::Sync(super::msg::SyncEvent::OutboxChanged));
        if cmd == OutboxCommand::Retry || cmd == OutboxCommand::KeepMine {
            self.push_files();
            // Back in the queue: report it like a commit so the engine pushes it now.
            let description = if cmd == OutboxCommand::Retry {
                "retry"
            } else {
                "keep mine"
            };
            self.send(Msg::Committed {
                description: description.into(),
                queued: true,
            });
        }
        Ok(())
    }

    fn review(&mut self) -> Result<(), StoreError> {
        let now = self.now();
        let week = crate::review::current_week(now, self.config.tz);
        match crate::review::take_snapshot(
            &self.store,
            &week,
            self.config.tz,
            &self.config.policy,
            now,
        ) {
            Ok(mut snap) => {
                if self.config.redact {
                    crate::review::redact::redact(&mut snap);
                }
                self.send(Msg::ReviewLoaded(Box::new(snap)));
            }
            Err(e) => self.send(Msg::EffectFailed(format!("review: {e}"))),
        }
        Ok(())
    }

    fn export(&mut self, id: i64) -> Result<(), StoreError> {
        let now = self.now();
        let text = crate::sync::incident_report::incident_report_markdown(
            &self.store,
            id,
            &self.config.policy,
            self.config.tz,
            now,
        )?;
        let dir = &self.config.reports_dir;
        let written = crate::config::paths::create_private_dir(dir).and_then(|()| {
            let path = dir.join(format!("incident-{id}-{}.md", now.format("%Y%m%dT%H%M%SZ")));
            crate::store::health::create_private_file(&path)?;
            std::fs::write(&path, text).map(|()| path)
        });
        match written {
            Ok(path) => self.send(Msg::Notice(format!("report written to {}", path.display()))),
            Err(e) => self.send(Msg::EffectFailed(format!(
                "could not write the report in {}: {e}",
                dir.display()
            ))),
        }
        Ok(())
    }
}
