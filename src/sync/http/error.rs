//! Typed errors of the HTTP layer: `ApiError` per call, `BuildError` per client.

use std::fmt;

use chrono::{DateTime, Utc};

use super::super::ratelimit::{RateLimit, RateLimitKind};

/// The HTTP client could not be built from its config.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// An extra header has an invalid name or value.
    #[error("{source_name}: header `{header}` has an invalid name or value; fix it in the config")]
    InvalidHeader {
        /// Source name.
        source_name: String,
        /// Header name as configured.
        header: String,
    },
    /// The token can't be carried in an HTTP header.
    #[error("{source_name}: the token from {origin} contains characters not allowed in a header")]
    InvalidToken {
        /// Source name.
        source_name: String,
        /// Where the token came from.
        origin: String,
    },
    /// reqwest refused the configuration (TLS backend, …).
    #[error("{source_name}: could not build the HTTP client: {message}")]
    Client {
        /// Source name.
        source_name: String,
        /// reqwest's reason.
        message: String,
    },
}

/// What went wrong at the network level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Connection refused / DNS / TLS handshake: the request was not sent.
    Connect,
    /// A connect, read or total deadline passed.
    Timeout,
    /// The body was cut off or unreadable.
    Body,
    /// Anything else.
    Other,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Body => "response body cut off",
            TransportKind::Other => "request failed",
        })
    }
}

/// A failed API call, typed by what the caller should do about it. Never holds a token.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The source asked us to wait; no request may go out before `until`.
    #[error("rate limited until {until}; opsdeck waits before calling this source again")]
    RateLimited {
        /// Earliest next request.
        until: DateTime<Utc>,
        /// Which signal gave the deadline.
        kind: RateLimitKind,
        /// Jira `RateLimit-Reason`, if sent.
        reason: Option<String>,
    },
    /// 5xx: retryable.
    #[error("server error {status}; retrying with backoff")]
    Server {
        /// HTTP status.
        status: u16,
    },
    /// 401: the token is wrong, expired or lacks access.
    #[error("authentication failed (401); check the token in {hint}")]
    Unauthorized {
        /// Where the token comes from (`env var GITHUB_TOKEN`).
        hint: String,
    },
    /// 4xx that retrying won't fix (403 without rate limit, 404, 410, 422, …).
    #[error("request rejected with status {status}: {message}")]
    Permanent {
        /// HTTP status.
        status: u16,
        /// The server's message, sanitized and shortened.
        message: String,
    },
    /// Network failure or timeout: retryable.
    #[error("network error: {kind}: {message}")]
    Transport {
        /// Category.
        kind: TransportKind,
        /// reqwest's reason, without the URL.
        message: String,
    },
    /// The body exceeded the cap (declared or while streaming).
    #[error("response body larger than {limit_bytes} bytes; refused")]
    BodyTooLarge {
        /// The cap.
        limit_bytes: usize,
    },
    /// The body is not the JSON we expected.
    #[error("response is not the expected JSON: {message}; body starts with {excerpt:?}")]
    Decode {
        /// serde_json's reason or the wrong content type.
        message: String,
        /// Start of the body, sanitized, token redacted.
        excerpt: String,
    },
    /// The server redirected to another origin; not followed so credentials stay put.
    #[error("refused to follow a redirect to {to_origin}: credentials are only sent to the configured base URL")]
    CrossOriginRedirect {
        /// `scheme://host:port` of the target.
        to_origin: String,
    },
    /// The caller asked for a URL outside this source's origin (e.g. a hostile `Link`).
    #[error("refused to send a request to {origin}: it is not this source's base URL")]
    CrossOriginRequest {
        /// `scheme://host:port` of the URL.
        origin: String,
    },
    /// Too many consecutive failures; calls pause until `until`.
    #[error("source unavailable after repeated failures; next try after {until}")]
    CircuitOpen {
        /// End of the cool-down.
        until: DateTime<Utc>,
    },
    /// The request could not be built (bad header value, unserializable body).
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What was wrong.
        message: String,
    },
}

impl ApiError {
    /// Whether the same request may succeed later without a config change.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. } | ApiError::Server { .. } | ApiError::Transport { .. }
        )
    }

    /// The deadline to persist for the scheduler, if the error carries one.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ApiError::RateLimited { until, .. } | ApiError::CircuitOpen { until } => Some(*until),
            _ => None,
        }
    }

    pub(super) fn from_rate_limit(limit: RateLimit) -> Self {
        ApiError::RateLimited {
            until: limit.until,
            kind: limit.kind,
            reason: limit.reason,
        }
    }

    pub(super) fn from_reqwest(err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_connect() {
            TransportKind::Connect
        } else if err.is_body() || err.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Other
        };
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ApiError::Transport { kind, message }
    }
}
