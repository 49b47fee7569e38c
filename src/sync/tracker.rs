//! What the tracker connectors ([`super::jira`], [`super::redmine`]) share: building the HTTP
//! client from the user's source config, the priority and status name maps, turning API errors
//! into push outcomes, the rate-limit bookkeeping of the GitHub REST sources, and the
//! [`Tracker`] half of the connector skeleton (cursor, push guard, error → outcome). The paging
//! loop, page decoding and the per-page write live in [`ingest`]; the step from a vendor's
//! mapped fields to a sanitized bug row in [`BugDraft`].

mod draft;
pub mod ingest;

pub use draft::{bug_times, clean_labels, BugDraft};

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use url::Url;

use super::http::{self, ApiError, Auth, Clock, HttpClient};
pub use super::source::{auth, config_error, note_failure};
use super::source::{Meta, Now, PullResult, PushResult, Source, Tune};
use super::{PushOutcome, SyncError};
use crate::config::SourceConfig;
use crate::domain::{BugStatus, Priority};
use crate::store::trackers::RemoteBug;
use crate::store::{write, OutboxEntry, Store};

/// First retry delay after a transient push failure; doubles per attempt.
const PUSH_RETRY_BASE_SECS: i64 = 10;
/// Longest retry delay after a transient push failure.
const PUSH_RETRY_CAP_SECS: i64 = 600;
/// Pause after a 401 before the edit is tried again (the user has to fix the token).
const UNAUTHORIZED_RETRY_SECS: i64 = 300;

/// Builds a "the remote answered something we cannot use" error.
pub fn protocol_error(source: &str, message: impl Into<String>) -> SyncError {
    SyncError::Protocol {
        source_name: source.to_owned(),
        message: crate::sanitize::line(&message.into()),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// How a tracker's 401 hint names the token when neither `token_env` nor `token_command` is set.
#[must_use]
pub fn unset_token(cfg: &SourceConfig) -> String {
    format!("the token of source {}", cfg.name)
}

/// The configured base URL, with a trailing `/` so relative API paths keep any path prefix.
///
/// Plain `http://` is accepted only for loopback hosts (tests, SSH tunnels).
///
/// # Errors
/// [`SyncError::Config`] when missing, unparsable, or plain HTTP to another host.
pub fn base_url(cfg: &SourceConfig) -> Result<Url, SyncError> {
    let raw = cfg
        .base_url
        .as_deref()
        .ok_or_else(|| config_error(cfg, "base_url is required (the tracker's address)"))?;
    let mut url = Url::parse(raw.trim())
        .map_err(|e| config_error(cfg, format!("base_url {raw:?} is not a URL: {e}")))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
        return Err(config_error(
            cfg,
            format!("base_url {raw:?} must use https:// (plain http is allowed only for 127.0.0.1/localhost)"),
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Builds the HTTP client for a tracker source; `tune` may adjust it (tests: retries, seeds).
///
/// # Errors
/// [`SyncError::Config`] for a bad base URL or header.
pub fn client(
    cfg: &SourceConfig,
    auth: Option<Auth>,
    clock: Clock,
    tune: Tune<'_>,
) -> Result<(HttpClient, Url), SyncError> {
    let base = base_url(cfg)?;
    let mut hc = http::SourceConfig::new(cfg.name.clone(), base.clone());
    hc.https_only = base.scheme() == "https";
    hc.auth = auth;
    Ok((super::source::http_client(cfg, hc, clock, tune)?, base))
}

/// The configured project keys, trimmed, blank ones dropped.
#[must_use]
pub fn projects(cfg: &SourceConfig) -> Vec<String> {
    cfg.projects
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A tracker's default priority names: per level, the vendor's names, preferred first.
pub type Defaults = &'static [(Priority, &'static [&'static str])];

/// Remote priority names → P0–P3, user entries first, then the connector's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityMap {
    /// `(lowercased name, display name, priority)`, user entries first.
    entries: Vec<(String, String, Priority)>,
}

impl PriorityMap {
    /// Parses the user's `priority_map` (values `P0`…`P3`) on top of `defaults` (each level's
    /// vendor names, preferred first).
    ///
    /// # Errors
    /// [`SyncError::Config`] naming the bad value.
    pub fn new(cfg: &SourceConfig, defaults: Defaults) -> Result<PriorityMap, SyncError> {
        let mut entries = Vec::new();
        for (name, value) in &cfg.priority_map {
            let p: Priority = value.parse().map_err(|_| {
                config_error(
                    cfg,
                    format!("priority_map.{name} = {value:?}: use one of P0, P1, P2, P3"),
                )
            })?;
            entries.push((name.trim().to_lowercase(), name.trim().to_owned(), p));
        }
        for (p, names) in defaults {
            for name in *names {
                entries.push((name.to_lowercase(), (*name).to_owned(), *p));
            }
        }
        Ok(PriorityMap { entries })
    }

    /// The priority of a remote name (case-insensitive), if mapped.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Priority> {
        let name = name.trim().to_lowercase();
        self.entries
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, p)| *p)
    }

    /// Remote names that map to `p`, preferred first (user entries, then the defaults).
    #[must_use]
    pub fn names_for(&self, p: Priority) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (lower, display, _) in self.entries.iter().filter(|(_, _, q)| *q == p) {
            if self.get(lower) == Some(p) && !out.iter().any(|o| o.to_lowercase() == *lower) {
                out.push(display.clone());
            }
        }
        out
    }
}

/// Priority of an issue that has none, or one that no mapping knows.
pub const DEFAULT_PRIORITY: Priority = Priority::P2;

/// How one tracker source names priorities and statuses: the user's maps over the vendor's
/// defaults. Each vendor's mapping adds how its statuses mean open, in progress or closed.
#[derive(Debug, Clone)]
pub struct Names {
    /// Priority names → P0–P3.
    pub priorities: PriorityMap,
    /// The user's `status_map` (lowercased names).
    pub statuses: BTreeMap<String, BugStatus>,
}

impl Names {
    /// The user's `priority_map` over `defaults`, and the user's `status_map`.
    ///
    /// # Errors
    /// [`SyncError::Config`] naming a bad entry.
    pub fn new(cfg: &SourceConfig, defaults: Defaults) -> Result<Names, SyncError> {
        Ok(Names {
            priorities: PriorityMap::new(cfg, defaults)?,
            statuses: status_overrides(cfg)?,
        })
    }

    /// The user's `status_map` entry for a remote status name, if any.
    #[must_use]
    pub fn status_override(&self, name: &str) -> Option<BugStatus> {
        self.statuses.get(&name.trim().to_lowercase()).copied()
    }

    /// The normalised priority of a priority name (unknown or absent → [`DEFAULT_PRIORITY`]).
    #[must_use]
    pub fn priority(&self, name: Option<&str>) -> Priority {
        name.and_then(|n| self.priorities.get(n))
            .unwrap_or(DEFAULT_PRIORITY)
    }
}

/// The user's `status_map`: remote status name (case-insensitive) → normalised status.
///
/// # Errors
/// [`SyncError::Config`] naming the bad value.
pub fn status_overrides(cfg: &SourceConfig) -> Result<BTreeMap<String, BugStatus>, SyncError> {
    let mut out = BTreeMap::new();
    for (name, value) in &cfg.status_map {
        let s = parse_status(value).ok_or_else(|| {
            config_error(
                cfg,
                format!("status_map.{name} = {value:?}: use open, in_progress or closed"),
            )
        })?;
        out.insert(name.trim().to_lowercase(), s);
    }
    Ok(out)
}

/// `open`, `in_progress` (also `in-progress`, `in progress`) or `closed`.
#[must_use]
pub fn parse_status(value: &str) -> Option<BugStatus> {
    value
        .trim()
        .to_lowercase()
        .replace(['-', ' '], "_")
        .parse()
        .ok()
}

/// How long to wait before pushing again after the `attempts`-th transient failure.
#[must_use]
pub fn retry_delay(attempts: u32) -> TimeDelta {
    let exp = attempts.saturating_sub(1).min(16);
    let secs = PUSH_RETRY_BASE_SECS
        .saturating_mul(1_i64 << exp)
        .min(PUSH_RETRY_CAP_SECS);
    TimeDelta::seconds(secs)
}

/// Maps an API error from a push to its outcome (RELIABILITY.md §8.1).
///
/// Rate limits and an open breaker retry at their deadline; 5xx, network, undecodable answers
/// and 401 retry later; every other refusal (404, 410, 403, 422, …) fails for good.
#[must_use]
pub fn push_outcome(err: &ApiError, now: DateTime<Utc>, attempts: u32) -> PushOutcome {
    let error = err.to_string();
    match err {
        ApiError::RateLimited { until, .. } | ApiError::CircuitOpen { until } => {
            PushOutcome::Retry { at: *until, error }
        }
        ApiError::Server { .. }
        | ApiError::Transport { .. }
        | ApiError::Decode { .. }
        | ApiError::BodyTooLarge { .. } => PushOutcome::Retry {
            at: now + retry_delay(attempts),
            error,
        },
        ApiError::Unauthorized { .. } => PushOutcome::Retry {
            at: now + TimeDelta::seconds(UNAUTHORIZED_RETRY_SECS),
            error,
        },
        ApiError::Permanent { .. }
        | ApiError::CrossOriginRedirect { .. }
        | ApiError::CrossOriginRequest { .. }
        | ApiError::InvalidRequest { .. } => PushOutcome::Failed(error),
    }
}

/// Fails at once, without a request, while a rate-limit deadline persisted for `source` is
/// still ahead of `wall` (GitHub REST sources; [`note_limited_failure`] records it).
///
/// # Errors
/// [`ApiError::RateLimited`] with the persisted deadline; store errors.
pub fn check_rate_limit(store: &Store, source: &str, wall: DateTime<Utc>) -> Result<(), SyncError> {
    match store.rate_limited_until(source)?.filter(|u| *u > wall) {
        Some(until) => Err(SyncError::Api(ApiError::RateLimited {
            until,
            kind: super::ratelimit::RateLimitKind::RetryAfter,
            reason: None,
        })),
        None => Ok(()),
    }
}

/// Records a failed pull of a source that persists rate-limit deadlines: the message, and a
/// rate limit's deadline in `sync_meta` so the next pull waits for it. A store error while
/// recording is logged; the pull's own error is what the caller reports.
pub fn note_limited_failure(
    store: &mut Store,
    source: &str,
    kind: &str,
    err: &SyncError,
    now: DateTime<Utc>,
) {
    let until = match err {
        SyncError::Api(ApiError::RateLimited { until, .. }) => Some(*until),
        _ => None,
    };
    let message = err.to_string();
    let recorded = store.write(|tx| {
        write::sync_failure(tx, source, &message, None, now)?;
        if let Some(until) = until {
            crate::store::sync_meta::note_rate_limit(tx, source, kind, until)?;
        }
        Ok(())
    });
    if let Err(store_err) = recorded {
        tracing::warn!(source, error = %store_err, "could not record the sync failure");
    }
}

/// A conflict outcome carrying the value found at the remote (sanitized, for the user).
#[must_use]
pub fn conflict(value: &str) -> PushOutcome {
    PushOutcome::Conflict(crate::sanitize::line(value))
}

/// The read-first check of a tracker edit (RELIABILITY.md §8.1) on the value just read from the
/// tracker: already at `new` → done, no write; moved away from `old` (what the user saw) → a
/// conflict showing `shown()`; else `None`, the edit is to be sent.
#[must_use]
pub fn guard<T: PartialEq>(
    remote: T,
    old: T,
    new: T,
    shown: impl FnOnce() -> String,
) -> Option<PushOutcome> {
    if remote == new {
        Some(PushOutcome::Done)
    } else if remote != old {
        Some(conflict(&shown()))
    } else {
        None
    }
}

/// The bug an outbox entry edits, or the outcome that ends the push (a non-bug entry, or a bug
/// gone from the cache). Shared by the tracker connectors before their per-operation calls.
///
/// # Errors
/// Store errors.
pub fn bug_for_push(
    store: &Store,
    entry: &crate::store::OutboxEntry,
    tracker: &str,
    source: &str,
) -> Result<Result<crate::store::trackers::RemoteBug, PushOutcome>, SyncError> {
    if entry.entity.kind != crate::domain::EntityKind::Bug {
        return Ok(Err(PushOutcome::Failed(format!(
            "{tracker} source {source} only takes bug edits, not {}",
            entry.entity.kind
        ))));
    }
    Ok(
        crate::store::trackers::remote_bug(store.conn(), entry.entity.id)?
            .ok_or_else(|| PushOutcome::Failed("the bug is no longer in the cache".into())),
    )
}

/// A bug tracker connector (Jira, Redmine): what differs per vendor. Every tracker is a
/// [`Source`] through the impl below, which reads the stored cursor before
/// [`Tracker::pages`], and before [`Tracker::op`] finds the bug an entry edits (or ends the
/// push) and turns an API error into the outbox outcome.
#[allow(
    async_fn_in_trait,
    reason = "implemented and called on concrete types only"
)]
pub trait Tracker: Send {
    /// Pulls the pages after the stored `cursor`; each page and its cursor in one transaction.
    async fn pages(&mut self, store: &mut Store, cursor: Option<String>, now: Now) -> PullResult;

    /// Sends one bug edit; an API error becomes the outcome in [`push_outcome`].
    async fn op(&mut self, bug: &RemoteBug, entry: &OutboxEntry) -> Result<PushOutcome, ApiError>;

    /// The kind and vendor name (see [`Source::META`]).
    const TRACKER: Meta;

    /// The configured source name.
    fn source_name(&self) -> &str;
}

impl<T: Tracker> Source for T {
    const META: Meta = T::TRACKER;

    fn name(&self) -> &str {
        self.source_name()
    }

    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        let cursor = crate::store::trackers::cursor(store.conn(), self.source_name())?;
        self.pages(store, cursor, now).await
    }

    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
        let source = self.source_name().to_owned();
        let bug = match bug_for_push(store, entry, T::TRACKER.vendor, &source)? {
            Ok(bug) => bug,
            Err(outcome) => return Ok(outcome),
        };
        match self.op(&bug, entry).await {
            Ok(outcome) => Ok(outcome),
            Err(err) => Ok(push_outcome(&err, now, entry.attempts)),
        }
    }
}
