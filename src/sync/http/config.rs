//! Configuration of one source's HTTP client: timeouts, auth scheme, retry limits, the clock.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::super::ratelimit::{Backoff, CircuitBreaker};
use super::super::secret::{Secret, TokenSource};

/// Largest response body read for a successful request.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Injected wall clock used for rate-limit deadlines and the circuit breaker.
///
/// From opsdeck's `clock::SharedClock`: `let c = clock.clone(); Arc::new(move || c.now())`.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Connect, per-read idle and total deadlines for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// Longest silence while reading (detects stalled connections).
    pub read: Duration,
    /// Whole request, from connect to the end of the body.
    pub total: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(15),
            total: Duration::from_secs(60),
        }
    }
}

/// How the token is put in the `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Bearer <token>` (GitHub).
    Bearer,
    /// `Token token=<key>` (PagerDuty).
    PagerDutyToken,
    /// `Basic base64(email:token)` (Jira Cloud).
    Basic {
        /// The Atlassian account email.
        email: String,
    },
    /// The bare token in a custom header instead of `Authorization` (Redmine's
    /// `X-Redmine-API-Key`); sent only to the base URL's origin, like every header.
    Header {
        /// The header name.
        name: String,
    },
}

/// A source's credential: scheme, the token, and where it came from (for error hints).
#[derive(Debug, Clone)]
pub struct Auth {
    /// Header format.
    pub scheme: AuthScheme,
    /// The token itself.
    pub token: Secret,
    /// Where it was read from; named in 401 messages.
    pub origin: TokenSource,
}

/// Retry limits for [`super::HttpClient::send_with_retry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first.
    pub max_attempts: u32,
    /// Backoff for 5xx and network errors.
    pub backoff: Backoff,
    /// Longest rate-limit wait slept in-line; longer ones return `RateLimited` to the caller.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            backoff: Backoff::default(),
            max_wait: Duration::from_secs(5 * 60),
        }
    }
}

/// Everything needed to build the [`super::HttpClient`] of one source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Short name for logs (`github`).
    pub name: String,
    /// Base URL; every request must share its origin.
    pub base_url: Url,
    /// Credential, if the source needs one.
    pub auth: Option<Auth>,
    /// `Accept` header value.
    pub accept: String,
    /// Extra default headers (`X-GitHub-Api-Version`, PagerDuty `From`, …).
    pub extra_headers: Vec<(String, String)>,
    /// Request deadlines.
    pub timeouts: HttpTimeouts,
    /// Body cap for successful responses.
    pub max_body_bytes: usize,
    /// Minimum pause between the end of one mutation and the start of the next.
    pub mutation_gap: Duration,
    /// Retry limits.
    pub retry: RetryPolicy,
    /// Starting breaker (thresholds); normally `CircuitBreaker::default()`.
    pub breaker: CircuitBreaker,
    /// Refuse plain `http://` (on by default; tests against 127.0.0.1 turn it off).
    pub https_only: bool,
    /// Honour `HTTP(S)_PROXY` env vars; off unless configured (explicit proxy policy).
    pub use_env_proxy: bool,
    /// Seed for the jitter RNG (tests); `None` seeds from the OS.
    pub rng_seed: Option<u64>,
}

impl SourceConfig {
    /// Defaults: `Accept: application/json`, 5/15/60 s timeouts, 16 MiB cap, 1 s mutation gap.
    pub fn new(name: impl Into<String>, base_url: Url) -> Self {
        Self {
            name: name.into(),
            base_url,
            auth: None,
            accept: "application/json".to_owned(),
            extra_headers: Vec::new(),
            timeouts: HttpTimeouts::default(),
            max_body_bytes: MAX_BODY_BYTES,
            mutation_gap: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            breaker: CircuitBreaker::default(),
            https_only: true,
            use_env_proxy: false,
            rng_seed: None,
        }
    }
}
