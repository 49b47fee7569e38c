//! The HTTP client for one source (GitHub, Jira, PagerDuty, Prometheus, Alertmanager).
//!
//! Owns: timeouts (connect/read/total), rustls, same-origin-only redirects, default headers
//! with a sensitive `Authorization`, the streamed 16 MiB body cap, mapping of statuses to
//! typed [`ApiError`]s, retries (rate-limit deadlines first, then full-jitter backoff), the
//! rate-limit gate (no calls before a known deadline), the circuit breaker, the serialising
//! [`Mutations`] gate and conditional GETs.
//!
//! Submodules: `config` (what a source is configured with), `error` (`ApiError`,
//! `BuildError`), `message` (requests, responses, redaction, the mutation gate).

mod config;
mod error;
mod message;

pub use config::{
    Auth, AuthScheme, Clock, HttpTimeouts, RetryPolicy, SourceConfig, MAX_BODY_BYTES,
};
pub use error::{ApiError, BuildError, TransportKind};
pub use message::{ApiRequest, Conditional, HttpResponse, Mutations};

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::redirect;
use url::Url;

use super::ratelimit::{self, BreakerState, CircuitBreaker, RateLimit};
use super::secret::Secret;
use message::Redactor;

/// Largest part of an error response body read to build a message.
const ERROR_BODY_BYTES: usize = 64 * 1024;

/// Characters of a server's error message kept in [`ApiError::Permanent`].
const MESSAGE_CHARS: usize = 300;

/// Redirect hops followed (same-origin only).
const MAX_REDIRECTS: usize = 10;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The HTTP client of one source; cheap to share behind an `Arc`.
pub struct HttpClient {
    name: String,
    base: Url,
    client: reqwest::Client,
    clock: Clock,
    auth_hint: Option<String>,
    max_body_bytes: usize,
    retry: RetryPolicy,
    redactor: Redactor,
    mutations: Mutations,
    breaker: Mutex<CircuitBreaker>,
    blocked: Mutex<Option<RateLimit>>,
    rng: Mutex<StdRng>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("name", &self.name)
            .field("base", &self.base.as_str())
            .field("auth", &self.auth_hint)
            .finish_non_exhaustive()
    }
}

/// The auth header's name and value, and the strings to redact; `None` for a bad header name.
fn auth_header(auth: &Auth) -> Option<(HeaderName, Secret, Vec<Secret>)> {
    let token = auth.token.expose();
    let mut needles = vec![auth.token.clone()];
    let mut name = header::AUTHORIZATION;
    let value = match &auth.scheme {
        AuthScheme::Bearer => format!("Bearer {token}"),
        AuthScheme::PagerDutyToken => format!("Token token={token}"),
        AuthScheme::Basic { email } => {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"));
            needles.push(Secret::new(encoded.clone()));
            format!("Basic {encoded}")
        }
        AuthScheme::Header { name: custom } => {
            name = HeaderName::from_bytes(custom.as_bytes()).ok()?;
            token.to_owned()
        }
    };
    Some((name, Secret::new(value), needles))
}

impl HttpClient {
    /// Builds the client: timeouts, rustls (TLS ≥ 1.2), same-origin redirects, default headers.
    pub fn new(config: SourceConfig, clock: Clock) -> Result<Self, BuildError> {
        let name = config.name.clone();
        let bad_header = |header: &str| BuildError::InvalidHeader {
            source_name: name.clone(),
            header: header.to_owned(),
        };
        let mut headers = HeaderMap::new();
        let accept = HeaderValue::from_str(&config.accept).map_err(|_| bad_header("accept"))?;
        headers.insert(header::ACCEPT, accept);
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("opsdeck/", env!("CARGO_PKG_VERSION"))),
        );
        for (key, value) in &config.extra_headers {
            let key_name = HeaderName::from_bytes(key.as_bytes()).map_err(|_| bad_header(key))?;
            let value = HeaderValue::from_str(value).map_err(|_| bad_header(key))?;
            headers.insert(key_name, value);
        }
        let mut needles = Vec::new();
        if let Some(auth) = &config.auth {
            let (auth_name, value, secrets) =
                auth_header(auth).ok_or_else(|| match &auth.scheme {
                    AuthScheme::Header { name } => bad_header(name),
                    _ => bad_header("authorization"),
                })?;
            let mut value =
                HeaderValue::from_str(value.expose()).map_err(|_| BuildError::InvalidToken {
                    source_name: name.clone(),
                    origin: auth.origin.describe(),
                })?;
            value.set_sensitive(true);
            headers.insert(auth_name, value);
            needles = secrets;
        }
        let t = config.timeouts;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .https_only(config.https_only)
            .connect_timeout(t.connect)
            .read_timeout(t.read)
            .timeout(t.total)
            .default_headers(headers)
            .redirect(same_origin_redirects());
        if !config.use_env_proxy {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| BuildError::Client {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let rng = match config.rng_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Ok(Self {
            auth_hint: config.auth.as_ref().map(|a| a.origin.describe()),
            name,
            base: config.base_url,
            client,
            clock,
            max_body_bytes: config.max_body_bytes,
            retry: config.retry,
            redactor: Redactor(Arc::new(needles)),
            mutations: Mutations::new(config.mutation_gap),
            breaker: Mutex::new(config.breaker),
            blocked: Mutex::new(None),
            rng: Mutex::new(rng),
        })
    }

    /// The source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The time on the clock this client reads (rate-limit deadlines, breaker).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }

    /// Resolves `path_and_query` against the base URL.
    pub fn url(&self, path_and_query: &str) -> Result<Url, ApiError> {
        self.base
            .join(path_and_query)
            .map_err(|e| ApiError::InvalidRequest {
                message: format!("bad path {path_and_query:?}: {e}"),
            })
    }

    /// The circuit breaker's state (for the status bar).
    pub fn breaker_state(&self) -> BreakerState {
        lock(&self.breaker).state()
    }

    /// The rate-limit deadline this client is honouring, if any (to persist in the DB).
    pub fn blocked_until(&self) -> Option<DateTime<Utc>> {
        lock(&self.blocked).as_ref().map(|l| l.until)
    }

    /// Sends one request (no retry) and maps the outcome; see [`ApiError`].
    ///
    /// Refuses other origins, calls before a known rate-limit deadline, and calls while the
    /// breaker is open. Mutations wait for the [`Mutations`] gate.
    pub async fn send(&self, req: ApiRequest) -> Result<HttpResponse, ApiError> {
        if req.url.origin() != self.base.origin() {
            return Err(ApiError::CrossOriginRequest {
                origin: req.url.origin().ascii_serialization(),
            });
        }
        let now = (self.clock)();
        self.check_not_blocked(now)?;
        {
            let mut breaker = lock(&self.breaker);
            if !breaker.allow(now) {
                let until = breaker.open_until().unwrap_or(now);
                return Err(ApiError::CircuitOpen { until });
            }
        }
        let result = if req.is_mutation() {
            // Re-check inside the gate: a rate limit may have arrived while we queued.
            let gated = async {
                self.check_not_blocked((self.clock)())?;
                self.execute(req).await
            };
            self.mutations.run(gated).await
        } else {
            self.execute(req).await
        };
        let mut breaker = lock(&self.breaker);
        match &result {
            Err(ApiError::Server { .. } | ApiError::Transport { .. }) => {
                breaker.record_failure((self.clock)())
            }
            Err(ApiError::CircuitOpen { .. }) => {}
            Ok(_) | Err(_) => breaker.record_success(),
        }
        if let Err(ApiError::RateLimited {
            until,
            kind,
            reason,
        }) = &result
        {
            *lock(&self.blocked) = Some(RateLimit {
                until: *until,
                kind: *kind,
                reason: reason.clone(),
            });
        }
        result
    }

    /// Sends with retries: waits out rate-limit deadlines (up to `max_wait`) and backs off
    /// with full jitter on 5xx / network errors, up to `max_attempts` attempts.
    ///
    /// POST and PATCH are retried only when the request surely was not processed
    /// (rate limited, or the connection never opened).
    pub async fn send_with_retry(&self, req: ApiRequest) -> Result<HttpResponse, ApiError> {
        let mut attempt: u32 = 0;
        loop {
            let err = match self.send(req.clone()).await {
                Ok(response) => return Ok(response),
                Err(err) => err,
            };
            attempt = attempt.saturating_add(1);
            let unsent = matches!(
                err,
                ApiError::RateLimited { .. }
                    | ApiError::Transport {
                        kind: TransportKind::Connect,
                        ..
                    }
            );
            let may_retry = err.is_retryable() && (unsent || req.is_idempotent());
            if !may_retry || attempt >= self.retry.max_attempts {
                return Err(err);
            }
            let wait = match &err {
                ApiError::RateLimited { until, .. } => {
                    let wait = (*until - (self.clock)()).to_std().unwrap_or(Duration::ZERO);
                    if wait > self.retry.max_wait {
                        return Err(err);
                    }
                    wait
                }
                _ => self.retry.backoff.delay(attempt - 1, &mut *lock(&self.rng)),
            };
            tracing::debug!(source = %self.name, attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// Conditional GET: sends `If-None-Match` when an ETag is known (with retries).
    pub async fn get_conditional(
        &self,
        url: Url,
        etag: Option<&str>,
    ) -> Result<Conditional, ApiError> {
        let mut req = ApiRequest::get(url);
        if let Some(tag) = etag {
            let value = HeaderValue::from_str(tag).map_err(|_| ApiError::InvalidRequest {
                message: "stored ETag is not a valid header value".to_owned(),
            })?;
            req = req.header(header::IF_NONE_MATCH, value);
        }
        let response = self.send_with_retry(req).await?;
        if response.status == 304 {
            return Ok(Conditional::NotModified);
        }
        Ok(Conditional::Fresh {
            etag: response.etag().map(str::to_owned),
            response: Box::new(response),
        })
    }

    fn check_not_blocked(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        match lock(&self.blocked).clone().filter(|l| l.until > now) {
            Some(limit) => Err(ApiError::from_rate_limit(limit)),
            None => Ok(()),
        }
    }

    async fn execute(&self, req: ApiRequest) -> Result<HttpResponse, ApiError> {
        let mut builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(ApiError::from_reqwest)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let url = response.url().clone();
        tracing::debug!(source = %self.name, method = %req.method, path = url.path(), status, "response");
        if response.status().is_success() || status == 304 {
            let body = read_body(response, self.max_body_bytes).await?;
            return Ok(HttpResponse {
                status,
                headers,
                body,
                url,
                redactor: self.redactor.clone(),
            });
        }
        let body = read_error_body(response).await;
        if let Some(limit) = ratelimit::classify(status, &headers, &body, (self.clock)()) {
            return Err(ApiError::from_rate_limit(limit));
        }
        Err(match status {
            401 => ApiError::Unauthorized {
                hint: self
                    .auth_hint
                    .clone()
                    .unwrap_or_else(|| "the config (no token is configured)".to_owned()),
            },
            500..=599 => ApiError::Server { status },
            300..=399 => redirect_error(status, &headers, &url),
            _ => ApiError::Permanent {
                status,
                message: self.error_message(&body),
            },
        })
    }

    /// The server's own message from the common error shapes, else a body excerpt.
    fn error_message(&self, body: &[u8]) -> String {
        let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let pick = |v: &serde_json::Value| -> Option<String> {
            let text = v
                .as_str()
                .map(str::to_owned)
                .or_else(|| v.get("message")?.as_str().map(str::to_owned))
                .or_else(|| v.get("error")?.as_str().map(str::to_owned))
                .or_else(|| v.get("error")?.get("message")?.as_str().map(str::to_owned))
                .or_else(|| v.get("errorMessages")?.get(0)?.as_str().map(str::to_owned))
                .or_else(|| {
                    v.get("errors")
                        .filter(|e| e.is_object())
                        .map(|e| e.to_string())
                })?;
            Some(text)
        };
        match value.as_ref().and_then(pick) {
            Some(text) => self.redactor.excerpt(text.as_bytes(), MESSAGE_CHARS),
            None => self.redactor.excerpt(body, MESSAGE_CHARS),
        }
    }
}

fn same_origin_redirects() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        let same = attempt.previous().first().map(Url::origin) == Some(attempt.url().origin());
        if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn redirect_error(status: u16, headers: &HeaderMap, url: &Url) -> ApiError {
    let target = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| url.join(loc).ok());
    match target {
        Some(to) if to.origin() != url.origin() => ApiError::CrossOriginRedirect {
            to_origin: to.origin().ascii_serialization(),
        },
        _ => ApiError::Permanent {
            status,
            message: "unexpected redirect".to_owned(),
        },
    }
}

async fn read_body(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::BodyTooLarge { limit_bytes: cap };
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(too_large);
    }
    // Sized once from Content-Length (already checked against the cap), instead of doubling
    // through the chunks of a 100-item page.
    let expected = response.content_length().map_or(0, |len| len as usize);
    let mut body = Vec::with_capacity(expected);
    while let Some(chunk) = response.chunk().await.map_err(ApiError::from_reqwest)? {
        if body.len().saturating_add(chunk.len()) > cap {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads at most [`ERROR_BODY_BYTES`] of an error body; failures just end the read.
async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = ERROR_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ERROR_BODY_BYTES {
            break;
        }
    }
    body
}
