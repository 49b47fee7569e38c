//! Talking to the team's real systems: the shared HTTP policy and (in later issues) the
//! connectors and the sync engine.
//!
//! - [`secret`]: tokens (never printed, never stored) and where they come from.
//! - [`source`]: the connector skeleton every connector is built on ([`Build`], [`Source`]):
//!   pull bookkeeping, the push kind guard, the HTTP client setup, conditional GETs.
//! - [`ratelimit`]: `Retry-After` and vendor reset headers, full-jitter backoff, circuit breaker.
//! - [`link`]: RFC 5988 `Link` pagination.
//! - [`http`]: one client per source with timeouts, a streamed body cap, same-origin redirects,
//!   typed errors and a serialised mutation gate.
//! - [`pagerduty`], [`alertmanager`]: the incident connectors; [`incident_report`]: the
//!   Markdown incident report (`e`); [`prometheus`]: SLO counts; [`github_deployments`]:
//!   deployments, statuses and rollback markers; [`github_tasklist`]: plans kept in issue
//!   bodies (checklist tab); [`jira`], [`redmine`] (and GitHub Issues):
//!   bug trackers, with [`tracker`] holding what they share (the [`tracker::Tracker`] half of
//!   the skeleton, names, paging).

pub mod alertmanager;
pub mod doctor;
pub mod engine;
pub mod events;
pub mod github;
pub mod github_deployments;
pub mod github_tasklist;
pub mod headless;
pub mod http;
pub mod incident_report;
pub mod jira;
pub mod link;
pub mod pagerduty;
pub mod prometheus;
pub mod ratelimit;
pub mod redmine;
pub mod scheduler;
pub mod secret;
pub mod source;
pub mod tracker;

pub use source::{Build, Source};

use chrono::{DateTime, Utc};

use crate::domain::Tab;

/// Why a pull or push failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The HTTP layer failed (rate limit, server error, transport, decode...).
    #[error(transparent)]
    Api(#[from] http::ApiError),
    /// The cache failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The token could not be obtained.
    #[error(transparent)]
    Token(#[from] secret::TokenError),
    /// The source is misconfigured.
    #[error("source '{source_name}' is misconfigured: {message}")]
    Config {
        /// Source name.
        source_name: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The remote answered something we cannot use.
    #[error("unexpected answer from {source_name}: {message}")]
    Protocol {
        /// Source name.
        source_name: String,
        /// What was wrong (sanitized).
        message: String,
    },
}

impl SyncError {
    /// When the source may be tried again, if it is rate limited.
    #[must_use]
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            SyncError::Api(e) => e.retry_at(),
            _ => None,
        }
    }
}

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Items received (after filtering, e.g. pull requests skipped).
    pub fetched: usize,
    /// HTTP requests sent.
    pub requests: usize,
    /// Tabs whose tables changed.
    pub changed: Vec<Tab>,
}

/// The result of pushing one outbox entry.
#[derive(Debug, Clone, PartialEq)]
pub enum PushOutcome {
    /// The remote now holds the target (sent now, or found already there: no request).
    Done,
    /// The remote moved away from what the user saw; the value found is kept for the user.
    Conflict(String),
    /// Refused for good (404, 410, 403, 422); stays visible as failed.
    Failed(String),
    /// Try again later (rate limit, 5xx, transport); the entry stays pending.
    Retry {
        /// Earliest next attempt.
        at: DateTime<Utc>,
        /// Why.
        error: String,
    },
}
