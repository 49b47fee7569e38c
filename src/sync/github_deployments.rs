//! GitHub Deployments: deployments and their statuses per repository, lead-time commits from
//! the compare API, and rollback marking written back as a deployment status.
//!
//! Pull: for each repository and configured environment, page 1 is fetched with
//! `If-None-Match` (a 304 costs nothing and ends the pull for that list); pages follow `Link`
//! and stop at the first page whose deployments are all known and settled. Each deployment's
//! statuses are read (newest first: the latest decides the state; the history is kept), and
//! each page is committed with its ETag in one transaction. Lead times: for successful
//! production deployments without commit times, the compare API between the previous
//! successful production sha and this one gives the commit times (cached in the row).
//!
//! Push: `MarkRolledBack` posts a deployment status (`inactive` or `failure`, configurable) with
//! a description; after an unknown outcome the statuses are read first, so the remote never
//! gets the same rollback twice.

use chrono::{DateTime, Utc};
use reqwest::Method;
use rusqlite::{params, OptionalExtension};
use serde::Deserialize;

use super::http::{
    ApiError, ApiRequest, Auth, AuthScheme, Clock, Conditional, HttpClient,
    SourceConfig as HttpConfig,
};
use super::secret::{Secret, TokenSource};
use super::{PullReport, PushOutcome, SyncError};
use crate::config::SourceConfig;
use crate::domain::{DeployStatus, Deployment, Tab};
use crate::sanitize;
use crate::store::{write, Operation, OutboxEntry, Store};

/// The GitHub REST API version opsdeck speaks.
pub const API_VERSION: &str = "2022-11-28";
/// Most deployments examined per repository and environment in one pull.
pub const MAX_PAGES: usize = 20;
/// Most compare calls per pull (lead-time commits are cached, so this bounds only catch-up).
pub const MAX_COMPARES_PER_PULL: usize = 20;
/// GitHub caps a deployment status description at this many characters.
pub const DESCRIPTION_MAX_CHARS: usize = 140;

#[derive(Debug, Deserialize)]
struct UserDto {
    #[serde(default)]
    login: String,
}

#[derive(Debug, Deserialize)]
struct DeploymentDto {
    id: i64,
    #[serde(default)]
    sha: String,
    #[serde(rename = "ref", default)]
    git_ref: String,
    #[serde(default)]
    environment: String,
    creator: Option<UserDto>,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct StatusDto {
    id: i64,
    state: String,
    #[serde(default)]
    description: Option<String>,
    creator: Option<UserDto>,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct CompareDto {
    #[serde(default)]
    commits: Vec<CompareCommit>,
}

#[derive(Debug, Deserialize)]
struct CompareCommit {
    commit: CommitInner,
}

#[derive(Debug, Deserialize)]
struct CommitInner {
    committer: Option<CommitPerson>,
    author: Option<CommitPerson>,
}

#[derive(Debug, Deserialize)]
struct CommitPerson {
    date: Option<DateTime<Utc>>,
}

/// One configured GitHub Deployments source.
pub struct GithubDeploymentsSource {
    name: String,
    repos: Vec<(String, String)>,
    environments: Vec<String>,
    service_map: std::collections::BTreeMap<String, String>,
    rollback_state: String,
    client: HttpClient,
}

fn is_loopback(url: &url::Url) -> bool {
    matches!(
        url.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    )
}

fn map_err(source: &str, e: impl std::fmt::Display) -> SyncError {
    SyncError::Config {
        source_name: source.to_string(),
        message: e.to_string(),
    }
}

/// Maps an HTTP failure of a write to the outbox outcome (RELIABILITY.md §8.1).
fn push_error(e: ApiError, now: DateTime<Utc>) -> PushOutcome {
    if e.is_retryable() || e.retry_at().is_some() {
        let at = e.retry_at().unwrap_or(now + chrono::Duration::seconds(30));
        PushOutcome::Retry {
            at,
            error: e.to_string(),
        }
    } else {
        PushOutcome::Failed(e.to_string())
    }
}

impl GithubDeploymentsSource {
    /// Builds the source from its config section.
    ///
    /// # Errors
    /// [`SyncError::Config`] for a bad base URL, a bad repository name or a bad rollback state.
    pub fn new(cfg: &SourceConfig, token: Option<Secret>, clock: Clock) -> Result<Self, SyncError> {
        let base = cfg
            .base_url
            .clone()
            .unwrap_or_else(|| "https://api.github.com".into());
        let base =
            url::Url::parse(&base).map_err(|e| map_err(&cfg.name, format!("base_url: {e}")))?;
        let mut http = HttpConfig::new(cfg.name.clone(), base.clone());
        http.accept = "application/vnd.github+json".into();
        http.extra_headers
            .push(("X-GitHub-Api-Version".into(), API_VERSION.into()));
        for (k, v) in &cfg.headers {
            http.extra_headers.push((k.clone(), v.clone()));
        }
        http.https_only = !is_loopback(&base);
        if let Some(token) = token {
            let origin = match (&cfg.token.token_env, &cfg.token.token_command) {
                (Some(var), _) => TokenSource::Env(var.clone()),
                (None, Some(cmd)) => TokenSource::Command(cmd.clone()),
                (None, None) => TokenSource::Env("GITHUB_TOKEN".into()),
            };
            http.auth = Some(Auth {
                scheme: AuthScheme::Bearer,
                token,
                origin,
            });
        }
        let client = HttpClient::new(http, clock).map_err(|e| map_err(&cfg.name, e))?;
        let repos = cfg
            .repos
            .iter()
            .map(|r| {
                r.split_once('/')
                    .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
                    .map(|(o, n)| (o.to_string(), n.to_string()))
                    .ok_or_else(|| {
                        map_err(&cfg.name, format!("repository '{r}' must be owner/name"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rollback_state = cfg
            .rollback_state
            .clone()
            .unwrap_or_else(|| "inactive".into());
        if rollback_state != "inactive" && rollback_state != "failure" {
            return Err(map_err(
                &cfg.name,
                format!("rollback_state '{rollback_state}' must be \"inactive\" or \"failure\""),
            ));
        }
        Ok(GithubDeploymentsSource {
            name: cfg.name.clone(),
            repos,
            environments: cfg.environments.clone(),
            service_map: cfg.service_map.clone(),
            rollback_state,
            client,
        })
    }

    fn service_for(&self, repo: &str, environment: &str) -> String {
        self.service_map
            .get(repo)
            .or_else(|| self.service_map.get(&format!("{repo}:{environment}")))
            .cloned()
            .unwrap_or_else(|| repo.to_string())
    }

    /// One pull of every repository and environment.
    ///
    /// # Errors
    /// HTTP, decode or store errors (nothing partial is committed).
    pub async fn pull(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<PullReport, SyncError> {
        store.write(|tx| write::sync_attempt(tx, &self.name, "github-deployments", now))?;
        let result = self.pull_all(store, now).await;
        match &result {
            Ok(_) => store.write(|tx| write::sync_success(tx, &self.name, None, now))?,
            Err(e) => store.write(|tx| {
                write::sync_failure(tx, &self.name, &e.to_string(), e.retry_at(), now)
            })?,
        }
        result
    }

    async fn pull_all(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<PullReport, SyncError> {
        let mut report = PullReport::default();
        let envs: Vec<Option<String>> = if self.environments.is_empty() {
            vec![None]
        } else {
            self.environments.iter().cloned().map(Some).collect()
        };
        for (owner, repo) in self.repos.clone() {
            for env in &envs {
                let mut path = format!("/repos/{owner}/{repo}/deployments?per_page=100");
                if let Some(env) = env {
                    path.push_str("&environment=");
                    path.push_str(
                        &url::form_urlencoded::byte_serialize(env.as_bytes()).collect::<String>(),
                    );
                }
                self.pull_list(store, &owner, &repo, &path, now, &mut report)
                    .await?;
            }
            self.fill_lead_times(store, &owner, &repo, now, &mut report)
                .await?;
        }
        if report.fetched > 0 {
            report.changed.push(Tab::Deployments);
        }
        Ok(report)
    }

    async fn pull_list(
        &mut self,
        store: &mut Store,
        owner: &str,
        repo: &str,
        path: &str,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let first = self.client.url(path)?;
        let etag_key = first.to_string();
        let etag: Option<String> = store
            .conn()
            .query_row(
                "SELECT etag FROM http_cache WHERE source = ?1 AND url = ?2",
                params![self.name, etag_key],
                |r| r.get(0),
            )
            .optional()
            .map_err(crate::store::StoreError::from)?
            .flatten();
        let mut next = Some(first);
        let mut page = 0;
        while let Some(url) = next.take() {
            page += 1;
            let conditional = if page == 1 { etag.as_deref() } else { None };
            report.requests += 1;
            let response = match self.client.get_conditional(url, conditional).await? {
                Conditional::NotModified => return Ok(()),
                Conditional::Fresh { etag, response } => (etag, response),
            };
            let (new_etag, response) = response;
            let list: Vec<DeploymentDto> = response.json()?;
            let mut rows = Vec::with_capacity(list.len());
            let mut all_known = !list.is_empty();
            for dto in &list {
                let external_id = format!("{owner}/{repo}/{}", dto.id);
                let known: Option<(String, Option<i64>)> = store
                    .conn()
                    .query_row(
                        "SELECT status, remote_updated_at FROM deployments WHERE source = ?1 AND external_id = ?2",
                        params![self.name, external_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(crate::store::StoreError::from)?;
                let settled = known.as_ref().is_some_and(|(status, updated)| {
                    matches!(
                        status.as_str(),
                        "success" | "failure" | "error" | "inactive"
                    ) && *updated == dto.updated_at.map(|t| t.timestamp())
                });
                if settled {
                    continue;
                }
                all_known = false;
                let statuses = self.statuses(owner, repo, dto.id, report).await?;
                rows.push((dto, external_id, statuses));
            }
            let links = response.links();
            store.write(|tx| {
                for (dto, external_id, statuses) in &rows {
                    let latest = statuses.first();
                    let status = latest
                        .and_then(|s| s.state.parse::<DeployStatus>().ok())
                        .unwrap_or(DeployStatus::Pending);
                    let finished_at = latest
                        .filter(|s| matches!(s.state.as_str(), "success" | "failure" | "error" | "inactive"))
                        .map(|s| statuses.iter().rev().find(|x| x.state == s.state).map_or(s.created_at, |x| x.created_at));
                    let environment = sanitize::line(&dto.environment);
                    let deployment = Deployment {
                        id: 0,
                        source: self.name.clone(),
                        external_id: external_id.clone(),
                        service: sanitize::line(&self.service_for(repo, &dto.environment)),
                        environment,
                        git_ref: sanitize::line(&dto.git_ref),
                        sha: sanitize::line(&dto.sha),
                        status,
                        creator: sanitize::line(dto.creator.as_ref().map_or("", |c| c.login.as_str())),
                        created_at: dto.created_at,
                        finished_at,
                        rollback_of: None,
                        rolled_back: statuses.iter().any(|s| {
                            s.description.as_deref().is_some_and(|d| d.starts_with("rolled back"))
                        }),
                        url: Some(format!("https://github.com/{owner}/{repo}/deployments")),
                        incident_keys: Vec::new(),
                        commit_times: Vec::new(),
                        pending: false,
                    };
                    let id = write::upsert_deployment(tx, &deployment, now)?;
                    tx.execute(
                        "UPDATE deployments SET remote_updated_at = ?1 WHERE id = ?2",
                        params![dto.updated_at.map(|t| t.timestamp()), id],
                    )?;
                    for s in statuses {
                        tx.execute(
                            "INSERT OR IGNORE INTO deployment_statuses (deployment_id, external_id, state, description, creator, created_at) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![
                                id,
                                s.id.to_string(),
                                sanitize::line(&s.state),
                                sanitize::line(s.description.as_deref().unwrap_or("")),
                                sanitize::line(s.creator.as_ref().map_or("", |c| c.login.as_str())),
                                s.created_at.timestamp()
                            ],
                        )?;
                    }
                }
                if page == 1 {
                    if let Some(tag) = &new_etag {
                        tx.execute(
                            "INSERT INTO http_cache (source, url, etag) VALUES (?1, ?2, ?3) \
                             ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag",
                            params![self.name, etag_key, tag],
                        )?;
                    }
                }
                Ok(())
            })?;
            report.fetched += rows.len();
            // Newest first: a page with nothing new means the rest is known too.
            if all_known || page >= MAX_PAGES {
                break;
            }
            next = links.get("next").cloned();
        }
        Ok(())
    }

    async fn statuses(
        &self,
        owner: &str,
        repo: &str,
        id: i64,
        report: &mut PullReport,
    ) -> Result<Vec<StatusDto>, SyncError> {
        let url = self.client.url(&format!(
            "/repos/{owner}/{repo}/deployments/{id}/statuses?per_page=100"
        ))?;
        report.requests += 1;
        let response = self.client.send_with_retry(ApiRequest::get(url)).await?;
        let mut list: Vec<StatusDto> = response.json()?;
        // Newest first, whatever order the server used.
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(list)
    }

    async fn fill_lead_times(
        &self,
        store: &mut Store,
        owner: &str,
        repo: &str,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let prefix = format!("{owner}/{repo}/%");
        let rows: Vec<(i64, String, i64)> = {
            let mut stmt = store
                .conn()
                .prepare(
                    "SELECT id, sha, created_at FROM deployments WHERE source = ?1 AND external_id LIKE ?2 \
                     AND status IN ('success', 'inactive') AND environment IN ('production', 'prod') ORDER BY created_at",
                )
                .map_err(crate::store::StoreError::from)?;
            let rows = stmt
                .query_map(params![self.name, prefix], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(crate::store::StoreError::from)?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(crate::store::StoreError::from)?
        };
        let mut compares = 0;
        for pair in rows.windows(2) {
            let [(_, base, _), (id, head, _)] = pair else {
                continue;
            };
            let has: String = store
                .conn()
                .query_row(
                    "SELECT commit_times FROM deployments WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .map_err(crate::store::StoreError::from)?;
            if has != "[]" || base == head || compares >= MAX_COMPARES_PER_PULL {
                continue;
            }
            compares += 1;
            report.requests += 1;
            let url = self
                .client
                .url(&format!("/repos/{owner}/{repo}/compare/{base}...{head}"))?;
            let response = match self.client.send_with_retry(ApiRequest::get(url)).await {
                Ok(r) => r,
                // An unknown sha (force-push, other repo) only costs this deployment its lead time.
                Err(ApiError::Permanent { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let compare: CompareDto = response.json()?;
            let times: Vec<i64> = compare
                .commits
                .iter()
                .filter_map(|c| {
                    c.commit
                        .committer
                        .as_ref()
                        .or(c.commit.author.as_ref())
                        .and_then(|p| p.date)
                })
                .map(|t| t.timestamp())
                .collect();
            let json = serde_json::to_string(&times).unwrap_or_else(|_| "[]".into());
            store.write(|tx| {
                tx.execute(
                    "UPDATE deployments SET commit_times = ?1 WHERE id = ?2",
                    params![json, id],
                )?;
                Ok(())
            })?;
        }
        let _ = now;
        Ok(())
    }

    /// Pushes one outbox entry (a rollback marker); see the module doc.
    ///
    /// # Errors
    /// Store errors only; HTTP failures become the matching [`PushOutcome`].
    pub async fn push(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        let Operation::MarkRolledBack { reason, state } = &entry.op else {
            return Ok(PushOutcome::Failed(format!(
                "{} cannot be written to GitHub Deployments",
                entry.op.describe()
            )));
        };
        let external_id: Option<String> = store
            .conn()
            .query_row(
                "SELECT external_id FROM deployments WHERE id = ?1",
                [entry.entity.id],
                |r| r.get(0),
            )
            .optional()
            .map_err(crate::store::StoreError::from)?;
        let Some(external_id) = external_id else {
            return Ok(PushOutcome::Failed(
                "the deployment is no longer in the cache".into(),
            ));
        };
        let mut parts = external_id.rsplitn(2, '/');
        let (Some(id), Some(repo_path)) = (parts.next(), parts.next()) else {
            return Ok(PushOutcome::Failed(format!(
                "unexpected deployment id {external_id}"
            )));
        };
        let target = if state.is_empty() {
            self.rollback_state.clone()
        } else {
            state.clone()
        };
        let description: String = format!("rolled back by opsdeck: {reason}")
            .chars()
            .take(DESCRIPTION_MAX_CHARS)
            .collect();
        let statuses_url = match self
            .client
            .url(&format!("/repos/{repo_path}/deployments/{id}/statuses"))
        {
            Ok(u) => u,
            Err(e) => return Ok(PushOutcome::Failed(e.to_string())),
        };
        if entry.attempts > 1 {
            // The earlier attempt may have landed: read before writing again.
            match self
                .client
                .send_with_retry(ApiRequest::get(statuses_url.clone()))
                .await
            {
                Ok(r) => {
                    let list: Vec<StatusDto> = r.json().unwrap_or_default();
                    if list.iter().any(|s| {
                        s.state == target && s.description.as_deref() == Some(description.as_str())
                    }) {
                        return Ok(PushOutcome::Done);
                    }
                }
                Err(e) => return Ok(push_error(e, now)),
            }
        }
        let body = serde_json::json!({ "state": target, "description": description, "auto_inactive": false });
        let request = match ApiRequest::new(Method::POST, statuses_url).json(&body) {
            Ok(r) => r,
            Err(e) => return Ok(PushOutcome::Failed(e.to_string())),
        };
        Ok(match self.client.send_with_retry(request).await {
            Ok(_) => PushOutcome::Done,
            Err(e) => push_error(e, now),
        })
    }
}
