//! The sync engine: one tokio task per configured source, each with its own SQLite connection,
//! pulling on its interval (or on request), then draining that source's outbox.
//!
//! Talks to its neighbours only through messages (ARCHITECTURE "Event/action" rule 5):
//! [`SyncHandle`] sends [`SyncCommand`]s in; workers send small
//! [`SyncEvent`](crate::sync::events::SyncEvent)s out that say *what* changed (tabs, outbox), never
//! the data, so the UI reloads from SQLite and never waits on the network.
//!
//! - Connectors are a closed set: [`Connector`] is an enum with one variant per connector type,
//!   each built on the skeleton in [`crate::sync::source`] (`Build::new`, `Source::pull`,
//!   `Source::push`). One `match` per method dispatches.
//! - [`Remote`] is the pull/push interface the round logic ([`run_round`], [`drain_outbox`]) is
//!   written against; [`Connector`] implements it, and so does the property test's in-process
//!   fake, so the same outbox/rebase code runs in both.
//! - A source whose token or config is broken reports `Failed` and retries on its backoff; the
//!   other sources carry on. Persisted rate-limit deadlines are honoured before any request.
//! - Rounds of one source are serialised across processes by an OS file lock next to the
//!   database (`lock`), so `opsdeck sync` from cron and the TUI never push one edit twice.
//!
//! Submodules: `round` (one pull + push round), `worker` (the per-source task), `lock`.

mod lock;
mod round;
mod worker;

pub use lock::{acquire as acquire_source_lock, SourceLock};
pub use round::{drain_outbox, run_round, DrainReport, RoundOutcome, RoundResult};

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::github::GithubSource;
use super::http;
use super::scheduler::Request;
use super::secret::{Secret, TokenSource};
use super::{Build, PullReport, PushOutcome, Source, SyncError};
use crate::clock::SharedClock;
use crate::config::{Config, SourceConfig, SourceKind};
use crate::domain::Tab;
use crate::store::{OutboxEntry, Store};
use crate::sync::events::SyncEvent;

/// Commands to the engine (from the runtime or the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncCommand {
    /// Pull (then push) now: these sources, or every source for `None`.
    RefreshNow(Option<Vec<String>>),
    /// Drain the outboxes soon (an edit was just committed).
    PushSoon,
    /// Stop every worker.
    Shutdown,
}

/// The pull/push interface the round logic runs against.
///
/// Implemented by [`Connector`] (the real connectors) and by test fakes.
pub trait Remote: Send {
    /// One incremental pull (see CONNECTOR.md).
    fn pull(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<PullReport, SyncError>> + Send;

    /// Pushes one outbox entry that the engine has marked in flight.
    fn push(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<PushOutcome, SyncError>> + Send;
}

/// Every connector opsdeck has, as a closed set.
///
/// A new connector adds one variant and one arm per `match` below (`build`, `pull`, `push`);
/// every connector implements [`Build`] (except Prometheus, which also takes the SLOs) and
/// [`Source`]. Each source's own `Debug` redacts its credentials (the HTTP client and
/// [`Secret`] never print a token; tested by the canary sweep).
#[derive(Debug)]
pub enum Connector {
    /// GitHub Issues (`kind = "github"`).
    Github(GithubSource),
    /// Jira Cloud.
    Jira(super::jira::JiraSource),
    /// Redmine.
    Redmine(super::redmine::RedmineSource),
    /// PagerDuty.
    PagerDuty(super::pagerduty::PagerDutySource),
    /// Alertmanager.
    Alertmanager(super::alertmanager::AlertmanagerSource),
    /// Prometheus-compatible metrics (SLOs).
    Prometheus(super::prometheus::PrometheusSource),
    /// GitHub Deployments.
    GithubDeployments(super::github_deployments::GithubDeploymentsSource),
    /// Task lists kept in GitHub issue bodies (checklist tab).
    GithubTasklist(super::github_tasklist::GithubTasklistSource),
}

impl Connector {
    /// Builds the connector for one configured source.
    ///
    /// # Errors
    /// [`SyncError::Config`] for a kind this build has no connector for, or the connector's own
    /// config errors.
    pub fn build(
        cfg: &SourceConfig,
        slos: &[crate::config::SloConfig],
        token: Option<Secret>,
        clock: http::Clock,
    ) -> Result<Connector, SyncError> {
        use super::{alertmanager, github_deployments, jira, pagerduty, prometheus, redmine};
        match cfg.kind {
            SourceKind::Github => Ok(Connector::Github(GithubSource::new(cfg, token, clock)?)),
            SourceKind::Jira => Ok(Connector::Jira(jira::JiraSource::new(cfg, token, clock)?)),
            SourceKind::Redmine => Ok(Connector::Redmine(redmine::RedmineSource::new(
                cfg, token, clock,
            )?)),
            SourceKind::Pagerduty => Ok(Connector::PagerDuty(pagerduty::PagerDutySource::new(
                cfg, token, clock,
            )?)),
            SourceKind::Alertmanager => Ok(Connector::Alertmanager(
                alertmanager::AlertmanagerSource::new(cfg, token, clock)?,
            )),
            SourceKind::Prometheus => Ok(Connector::Prometheus(prometheus::PrometheusSource::new(
                cfg,
                token,
                clock,
                slos.to_vec(),
            )?)),
            SourceKind::GithubDeployments => Ok(Connector::GithubDeployments(
                github_deployments::GithubDeploymentsSource::new(cfg, token, clock)?,
            )),
            SourceKind::GithubTasklist => Ok(Connector::GithubTasklist(
                super::github_tasklist::GithubTasklistSource::new(cfg, token, clock)?,
            )),
        }
    }
}

impl Remote for Connector {
    async fn pull(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<PullReport, SyncError> {
        match self {
            Connector::Github(s) => s.pull(store, now).await,
            Connector::Jira(s) => s.pull(store, now).await,
            Connector::Redmine(s) => s.pull(store, now).await,
            Connector::PagerDuty(s) => s.pull(store, now).await,
            Connector::Alertmanager(s) => s.pull(store, now).await,
            Connector::Prometheus(s) => s.pull(store, now).await,
            Connector::GithubDeployments(s) => s.pull(store, now).await,
            Connector::GithubTasklist(s) => s.pull(store, now).await,
        }
    }

    async fn push(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        match self {
            Connector::Github(s) => s.push(store, entry, now).await,
            Connector::Jira(s) => s.push(store, entry, now).await,
            Connector::Redmine(s) => s.push(store, entry, now).await,
            Connector::PagerDuty(s) => s.push(store, entry, now).await,
            Connector::Alertmanager(s) => s.push(store, entry, now).await,
            Connector::Prometheus(s) => s.push(store, entry, now).await,
            Connector::GithubDeployments(s) => s.push(store, entry, now).await,
            Connector::GithubTasklist(s) => s.push(store, entry, now).await,
        }
    }
}

/// The persisted name of a connector kind (`sync_state.kind`, messages).
pub fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Github => "github",
        SourceKind::GithubDeployments => "github-deployments",
        SourceKind::GithubTasklist => "github-tasklist",
        SourceKind::Jira => "jira",
        SourceKind::Redmine => "redmine",
        SourceKind::Pagerduty => "pagerduty",
        SourceKind::Alertmanager => "alertmanager",
        SourceKind::Prometheus => "prometheus",
    }
}

/// Whether a kind cannot work without a token (Prometheus and Alertmanager often run open).
pub fn requires_token(kind: SourceKind) -> bool {
    !matches!(kind, SourceKind::Prometheus | SourceKind::Alertmanager)
}

/// The tabs a source's data shows up in (for "r: refresh this tab").
pub fn tabs_of(kind: SourceKind) -> &'static [Tab] {
    match kind {
        SourceKind::Github | SourceKind::Jira | SourceKind::Redmine => &[Tab::Bugs],
        SourceKind::Pagerduty | SourceKind::Alertmanager => &[Tab::Incidents],
        SourceKind::GithubDeployments => &[Tab::Deployments],
        SourceKind::Prometheus => &[Tab::Slos],
        SourceKind::GithubTasklist => &[Tab::Checklist],
    }
}

/// Names of the configured sources that feed `tab` (argument for [`SyncHandle::refresh`]).
pub fn sources_for_tab(config: &Config, tab: Tab) -> Vec<String> {
    config
        .sources
        .iter()
        .filter(|s| tabs_of(s.kind).contains(&tab))
        .map(|s| s.name.clone())
        .collect()
}

/// Resolves a source's token: `token_env`, else `token_command`.
///
/// # Errors
/// [`SyncError::Config`] naming the source when no token is configured for a kind that needs
/// one, or when the variable is unset / the command fails (message never holds the token).
pub async fn resolve_token(cfg: &SourceConfig) -> Result<Option<Secret>, SyncError> {
    let origin = match (&cfg.token.token_env, &cfg.token.token_command) {
        (Some(var), _) => TokenSource::Env(var.clone()),
        (None, Some(argv)) => TokenSource::Command(argv.clone()),
        (None, None) if requires_token(cfg.kind) => {
            return Err(SyncError::Config {
                source_name: cfg.name.clone(),
                message: "no token configured; set token_env = \"VAR\" or token_command = [\"prog\", \"arg\"]".into(),
            })
        }
        (None, None) => return Ok(None),
    };
    origin
        .resolve()
        .await
        .map(Some)
        .map_err(|e| SyncError::Config {
            source_name: cfg.name.clone(),
            message: e.to_string(),
        })
}

/// Adapts opsdeck's shared clock to the HTTP layer's clock.
pub fn http_clock(clock: &SharedClock) -> http::Clock {
    let clock = clock.clone();
    Arc::new(move || clock.now())
}

/// A cloneable handle on the running engine.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    workers: Arc<Vec<(String, mpsc::UnboundedSender<Request>)>>,
    cancel: CancellationToken,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl SyncHandle {
    /// Sends a command; unknown source names are ignored (a stale tab mapping is harmless).
    pub fn send(&self, command: SyncCommand) {
        match command {
            SyncCommand::RefreshNow(sources) => self.refresh(sources),
            SyncCommand::PushSoon => self.push_soon(),
            SyncCommand::Shutdown => self.shutdown(),
        }
    }

    /// Pull now: these sources, or all for `None`. Repeated requests collapse into one round.
    pub fn refresh(&self, sources: Option<Vec<String>>) {
        for (name, tx) in self.workers.iter() {
            if sources.as_ref().is_none_or(|s| s.iter().any(|n| n == name)) {
                let _ = tx.send(Request::Refresh);
            }
        }
    }

    /// Drain every source's outbox soon (call after committing an edit).
    pub fn push_soon(&self) {
        for (_, tx) in self.workers.iter() {
            let _ = tx.send(Request::PushSoon);
        }
    }

    /// Stops every worker (an in-flight request is abandoned; its edit is reconciled next run).
    pub fn shutdown(&self) {
        self.cancel.cancel();
    }

    /// Names of the sources that have a worker.
    pub fn sources(&self) -> Vec<String> {
        self.workers.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Waits for every worker to stop (call after [`SyncHandle::shutdown`]).
    pub async fn join(&self) {
        let tasks: Vec<JoinHandle<()>> = self
            .tasks
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// Starts one worker task per configured source and returns the handle.
///
/// Every worker opens its own [`Store`] on `db_path`, runs a first round at once, then one per
/// interval (jittered; backed off while failing; never before a persisted rate-limit
/// deadline), and reports through `events`. Must be called inside a tokio runtime.
///
/// # Errors
/// [`SyncError::Config`] when called outside a tokio runtime.
pub fn spawn_engine(
    config: &Config,
    db_path: PathBuf,
    clock: SharedClock,
    events: mpsc::UnboundedSender<SyncEvent>,
) -> Result<SyncHandle, SyncError> {
    spawn_workers(config, None, db_path, clock, events, None)
}

/// [`spawn_engine`] for a subset of sources, with an optional per-round report channel
/// (the headless CLI prints from it).
pub(crate) fn spawn_workers(
    config: &Config,
    only: Option<&str>,
    db_path: PathBuf,
    clock: SharedClock,
    events: mpsc::UnboundedSender<SyncEvent>,
    reports: Option<mpsc::UnboundedSender<RoundOutcome>>,
) -> Result<SyncHandle, SyncError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| SyncError::Config {
        source_name: "engine".into(),
        message: "the sync engine must be started inside a tokio runtime".into(),
    })?;
    let cancel = CancellationToken::new();
    let mut workers = Vec::new();
    let mut tasks = Vec::new();
    for cfg in config
        .sources
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let worker = worker::Worker::new(worker::Setup {
            cfg: cfg.clone(),
            slos: config.slos.clone(),
            db_path: db_path.clone(),
            clock: clock.clone(),
            events: events.clone(),
            reports: reports.clone(),
        });
        tasks.push(runtime.spawn(worker.run(rx, cancel.clone())));
        workers.push((cfg.name.clone(), tx));
    }
    Ok(SyncHandle {
        workers: Arc::new(workers),
        cancel,
        tasks: Arc::new(Mutex::new(tasks)),
    })
}
