//! `opsdeck doctor`'s connectivity check: for each source, resolve its token the way a sync
//! does, then send the source's cheapest authenticated read, once, without retries, and report
//! whether the server was reachable, whether it accepted the credential, and how much
//! rate-limit budget it says is left.
//!
//! Owns the per-kind choice of that read: GitHub (Issues and Deployments) `GET /rate_limit`
//! (free of charge), Jira `GET /rest/api/3/myself`, Redmine `GET /users/current.json`,
//! PagerDuty `GET /abilities`, Alertmanager `GET /api/v2/status`, Prometheus
//! `GET /api/v1/status/buildinfo`. The token is never printed.

use std::time::Duration;

use url::Url;

use super::engine::resolve_token;
use super::http::{self, ApiError, ApiRequest, Auth, AuthScheme, Clock, HttpClient, RetryPolicy};
use super::secret::TokenSource;
use crate::config::{SourceConfig, SourceKind};

/// How long the check waits for one source.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// What the check found for one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCheck {
    /// Source name.
    pub source: String,
    /// The request that was sent (method and path), or `None` when none could be.
    pub probe: Option<String>,
    /// Whether the server answered at all.
    pub reachable: bool,
    /// Whether it accepted the credential (`false` also when none could be obtained).
    pub authenticated: bool,
    /// Requests left in the current rate-limit window, when the server says.
    pub rate_limit_remaining: Option<u64>,
    /// Why the source cannot work; `None` when it can.
    pub problem: Option<String>,
}

impl SourceCheck {
    /// True when the source can sync.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }

    /// One line for the doctor's output.
    #[must_use]
    pub fn line(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let budget = self.rate_limit_remaining.map_or_else(
            || "not reported".to_owned(),
            |n| format!("{n} requests left"),
        );
        let mut line = format!(
            "{}  source {}: reachable {}, authenticated {}, rate limit {budget}",
            if self.ok() { "ok  " } else { "FAIL" },
            self.source,
            yes(self.reachable),
            yes(self.authenticated),
        );
        if let Some(probe) = &self.probe {
            line.push_str(&format!(" ({probe})"));
        }
        if let Some(problem) = &self.problem {
            line.push_str(&format!(": {problem}"));
        }
        crate::sanitize::line(&line)
    }
}

fn default_base(kind: SourceKind) -> Option<&'static str> {
    match kind {
        SourceKind::Github | SourceKind::GithubDeployments | SourceKind::GithubTasklist => {
            Some("https://api.github.com/")
        }
        SourceKind::Pagerduty => Some(super::pagerduty::DEFAULT_BASE_URL),
        _ => None,
    }
}

fn probe_path(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Github | SourceKind::GithubDeployments | SourceKind::GithubTasklist => {
            "rate_limit"
        }
        SourceKind::Jira => "rest/api/3/myself",
        SourceKind::Redmine => "users/current.json",
        SourceKind::Pagerduty => "abilities",
        SourceKind::Alertmanager => "api/v2/status",
        SourceKind::Prometheus => "api/v1/status/buildinfo",
    }
}

fn scheme(cfg: &SourceConfig) -> AuthScheme {
    match cfg.kind {
        SourceKind::Pagerduty => AuthScheme::PagerDutyToken,
        SourceKind::Redmine => AuthScheme::Header {
            name: "X-Redmine-API-Key".to_owned(),
        },
        SourceKind::Jira | SourceKind::Prometheus => match &cfg.email {
            Some(email) => AuthScheme::Basic {
                email: email.clone(),
            },
            None => AuthScheme::Bearer,
        },
        _ => AuthScheme::Bearer,
    }
}

fn accept(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Github | SourceKind::GithubDeployments | SourceKind::GithubTasklist => {
            "application/vnd.github+json"
        }
        SourceKind::Pagerduty => super::pagerduty::ACCEPT,
        _ => "application/json",
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Requests left, from the headers GitHub (`x-ratelimit-remaining`) or the IETF draft that
/// Jira and others use (`ratelimit-remaining`, possibly `r=…` structured) send.
fn remaining(response: &http::HttpResponse) -> Option<u64> {
    ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .filter_map(|h| response.header(h))
        .find_map(|v| {
            let v = v.trim();
            v.parse::<u64>().ok().or_else(|| {
                v.split([';', ','])
                    .map(str::trim)
                    .find_map(|p| p.strip_prefix("r="))
                    .and_then(|n| n.parse().ok())
            })
        })
}

/// Checks one source; never panics and never prints the token.
pub async fn check_source(cfg: &SourceConfig, clock: Clock) -> SourceCheck {
    let mut check = SourceCheck {
        source: cfg.name.clone(),
        probe: None,
        reachable: false,
        authenticated: false,
        rate_limit_remaining: None,
        problem: None,
    };
    let token = match resolve_token(cfg).await {
        Ok(t) => t,
        Err(e) => {
            check.problem = Some(format!("no token: {e}"));
            return check;
        }
    };
    let raw = cfg
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or(default_base(cfg.kind));
    let Some(raw) = raw else {
        check.problem = Some("base_url is not set".to_owned());
        return check;
    };
    let mut base = match Url::parse(raw) {
        Ok(u) => u,
        Err(e) => {
            check.problem = Some(format!("base_url {raw:?} is not a URL: {e}"));
            return check;
        }
    };
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let mut hc = http::SourceConfig::new(cfg.name.clone(), base.clone());
    hc.https_only = !(base.scheme() == "http" && is_loopback(&base));
    hc.accept = accept(cfg.kind).to_owned();
    hc.extra_headers = cfg
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if matches!(
        cfg.kind,
        SourceKind::Github | SourceKind::GithubDeployments | SourceKind::GithubTasklist
    ) {
        hc.extra_headers.push((
            "X-GitHub-Api-Version".to_owned(),
            super::github_deployments::API_VERSION.to_owned(),
        ));
    }
    hc.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    hc.auth = token.map(|token| Auth {
        scheme: scheme(cfg),
        token,
        origin: match (&cfg.token.token_env, &cfg.token.token_command) {
            (Some(var), _) => TokenSource::Env(var.clone()),
            (None, Some(argv)) => TokenSource::Command(argv.clone()),
            (None, None) => TokenSource::Env(format!("the token of source {}", cfg.name)),
        },
    });
    let has_token = hc.auth.is_some();
    let client = match HttpClient::new(hc, clock) {
        Ok(c) => c,
        Err(e) => {
            check.problem = Some(e.to_string());
            return check;
        }
    };
    let path = probe_path(cfg.kind);
    check.probe = Some(format!("GET /{path}"));
    let url = match client.url(path) {
        Ok(u) => u,
        Err(e) => {
            check.problem = Some(e.to_string());
            return check;
        }
    };
    let sent = tokio::time::timeout(CHECK_TIMEOUT, client.send(ApiRequest::get(url))).await;
    match sent {
        Err(_) => {
            check.problem = Some(format!(
                "unreachable: no answer within {} s",
                CHECK_TIMEOUT.as_secs()
            ))
        }
        Ok(Ok(response)) => {
            check.reachable = true;
            check.authenticated = has_token;
            check.rate_limit_remaining = remaining(&response);
        }
        Ok(Err(e)) => {
            check.reachable = !matches!(
                e,
                ApiError::Transport { .. } | ApiError::CrossOriginRedirect { .. }
            );
            check.problem = Some(match &e {
                ApiError::Transport { .. } => format!("unreachable: {e}"),
                ApiError::RateLimited { .. } => {
                    check.authenticated = true;
                    check.rate_limit_remaining = Some(0);
                    e.to_string()
                }
                _ => e.to_string(),
            });
        }
    }
    check
}
