//! Shared helpers for the HTTP integration tests: configs, clocks, recorders, raw servers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::sync::http::{Auth, AuthScheme, Clock, HttpClient, SourceConfig};
use opsdeck::sync::ratelimit::Backoff;
use opsdeck::sync::secret::{Secret, TokenSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;
use wiremock::{Request, Respond, ResponseTemplate};

/// A token that must never show up in any output.
pub const CANARY: &str = "ghp_CANARY_4f9c2b7e1d_do_not_log";

pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 26, 12, 0, 0).unwrap()
}

pub fn fixed_clock() -> Clock {
    Arc::new(fixed_now)
}

/// A GitHub-like source pointed at a local server, with the canary token and fast backoff.
pub fn config(base: &str) -> SourceConfig {
    let mut c = SourceConfig::new("github", Url::parse(base).unwrap());
    c.https_only = false;
    c.auth = Some(Auth {
        scheme: AuthScheme::Bearer,
        token: Secret::new(CANARY),
        origin: TokenSource::Env("GITHUB_TOKEN".into()),
    });
    c.extra_headers = vec![("X-GitHub-Api-Version".into(), "2022-11-28".into())];
    c.accept = "application/vnd.github+json".into();
    c.rng_seed = Some(7);
    c.retry.backoff = Backoff {
        base: Duration::from_millis(50),
        cap: Duration::from_millis(500),
    };
    c
}

/// The real wall clock (the retry tests observe real delays).
#[allow(clippy::disallowed_methods)]
pub fn real_clock() -> Clock {
    Arc::new(Utc::now)
}

pub fn client(base: &str) -> HttpClient {
    HttpClient::new(config(base), real_clock()).unwrap()
}

pub fn url(base: &str, path: &str) -> Url {
    Url::parse(base).unwrap().join(path).unwrap()
}

/// Answers with `responses[i]` on the i-th call (the last one repeats) and records arrival times.
#[derive(Clone)]
pub struct Sequence {
    pub arrivals: Arc<Mutex<Vec<Instant>>>,
    responses: Vec<ResponseTemplate>,
}

impl Sequence {
    pub fn new(responses: Vec<ResponseTemplate>) -> Self {
        Self {
            arrivals: Arc::default(),
            responses,
        }
    }

    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(Instant::now());
        let i = (arrivals.len() - 1).min(self.responses.len() - 1);
        self.responses[i].clone()
    }
}

/// A one-shot raw HTTP/1.1 server that reads the request head, writes `response`, and closes.
pub async fn raw_server(response: Vec<u8>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        for _ in 0..64 {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let _ = sock.write_all(&response).await;
        let _ = sock.shutdown().await;
    });
    addr
}
