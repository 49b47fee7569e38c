//! Requests and responses of the HTTP layer, token redaction, and the `Mutations` gate.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::super::secret::Secret;
use super::ApiError;

/// Characters of a body quoted in a decode error.
const EXCERPT_CHARS: usize = 120;

/// A request to send; cloneable so it can be retried.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: Method,
    /// Absolute URL (same origin as the source's base URL).
    pub url: Url,
    /// Per-request headers on top of the source defaults.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Option<Vec<u8>>,
}

impl ApiRequest {
    /// A request without body or extra headers.
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    /// A GET request.
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ApiError::InvalidRequest {
            message: e.to_string(),
        })?;
        self.body = Some(bytes);
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(self)
    }

    /// POST, PATCH, PUT and DELETE go through the [`Mutations`] gate.
    pub fn is_mutation(&self) -> bool {
        !matches!(
            self.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        )
    }

    pub(super) fn is_idempotent(&self) -> bool {
        !matches!(self.method, Method::POST | Method::PATCH)
    }
}

/// Replaces known secrets in text taken from responses.
#[derive(Clone, Default)]
pub(super) struct Redactor(pub(super) Arc<Vec<Secret>>);

impl Redactor {
    pub(super) fn apply(&self, text: &str) -> String {
        self.0
            .iter()
            .filter(|s| !s.is_empty())
            .fold(text.to_owned(), |acc, s| acc.replace(s.expose(), "***"))
    }

    fn longest(&self) -> usize {
        self.0.iter().map(|s| s.expose().len()).max().unwrap_or(0)
    }

    /// First `max_chars` of `body`, secrets redacted before cutting, control chars blanked.
    pub(super) fn excerpt(&self, body: &[u8], max_chars: usize) -> String {
        let window = &body[..body.len().min(max_chars * 4 + self.longest())];
        self.apply(&String::from_utf8_lossy(window))
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(max_chars)
            .collect()
    }
}

/// A complete response: status, headers and the (capped) body.
pub struct HttpResponse {
    /// HTTP status (2xx or 304).
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes (empty for 304).
    pub body: Vec<u8>,
    /// Final URL after same-origin redirects.
    pub url: Url,
    pub(super) redactor: Redactor,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("url", &self.url.as_str())
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl HttpResponse {
    /// A header as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `ETag` to send back as `If-None-Match`.
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// Pagination links from the `Link` header (`next`, `last`, …).
    pub fn links(&self) -> BTreeMap<String, Url> {
        self.header("link")
            .map(|v| super::super::link::parse(v, &self.url))
            .unwrap_or_default()
    }

    /// Decodes the body as JSON, checking the content type first (HTML login pages).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let excerpt = || self.redactor.excerpt(&self.body, EXCERPT_CHARS);
        if let Some(ct) = self.header("content-type") {
            if !ct.to_ascii_lowercase().contains("json") {
                return Err(ApiError::Decode {
                    message: format!("expected JSON but the content type is {ct}"),
                    excerpt: excerpt(),
                });
            }
        }
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Decode {
            message: e.to_string(),
            excerpt: excerpt(),
        })
    }
}

/// Outcome of [`super::HttpClient::get_conditional`].
#[derive(Debug)]
pub enum Conditional {
    /// 304: the cached copy is current (doesn't count against GitHub's primary limit).
    NotModified,
    /// New content and its ETag to store.
    Fresh {
        /// `ETag` of the new content.
        etag: Option<String>,
        /// The full response (body, `Link` header, …).
        response: Box<HttpResponse>,
    },
}

/// Serialises mutating requests and keeps a minimum gap between them.
///
/// The gap runs from the end of one mutation to the start of the next (GitHub: ≥ 1 s).
/// Waiters are served in order (tokio's mutex is fair).
#[derive(Debug)]
pub struct Mutations {
    gap: Duration,
    last_done: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Mutations {
    /// A gate with this minimum gap.
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            last_done: tokio::sync::Mutex::new(None),
        }
    }

    /// Runs `op` once no other mutation runs and the gap since the last one has passed.
    pub async fn run<F: Future>(&self, op: F) -> F::Output {
        let mut last_done = self.last_done.lock().await;
        if let Some(done) = *last_done {
            tokio::time::sleep_until(done + self.gap).await;
        }
        let out = op.await;
        *last_done = Some(tokio::time::Instant::now());
        out
    }
}
