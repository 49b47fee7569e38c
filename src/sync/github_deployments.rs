//! GitHub Deployments: deployments and their statuses per repository, lead-time commits from
//! the compare API, and rollback marking written back as a deployment status.
//!
//! Pull: for each repository and configured environment, every page is fetched with its own
//! `If-None-Match` (per-page ETags in `http_cache`, each page also remembering the URL of the
//! page after it), so a 304 on page 1 says nothing about page 2: the walk goes on to the last
//! page, or to the first page reaching past [`HORIZON_DAYS`], at most [`MAX_PAGES`]. A no-change
//! re-sync costs one conditional request per page in the horizon (GitHub does not count 304s
//! against the rate limit). On a fresh page, a deployment whose `updated_at` moved or that is
//! not settled gets its statuses read (newest first; the history is kept); cached deployments
//! still in flight that the walk did not read (their page answered 304) get their statuses
//! re-read too, at most [`MAX_UNSETTLED_REFRESH`]. Each page is committed with its ETag in one
//! transaction. The outcome and finish time come from the deployment's own run, never from a
//! later `inactive` status (see `Outcome`). Lead times: for successful
//! production deployments without commit times, the compare API between the previous
//! successful production sha and this one gives the commit times (cached in the row).
//!
//! Push: `MarkRolledBack` posts a deployment status (`inactive` or `failure`, configurable) with
//! a description; after an unknown outcome the statuses are read first, so the remote never
//! gets the same rollback twice.

mod dto;
mod push;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::http::{
    ApiError, ApiRequest, AuthScheme, Conditional, HttpClient, SourceConfig as HttpConfig,
};
use super::source::{auth, http_client, Build, Now, PullResult, Settings};
use super::{PullReport, SyncError};
use crate::domain::{Deployment, Tab};
use crate::sanitize;
use crate::store::{sync_meta, write, Store};
use dto::{CompareDto, DeploymentDto, Outcome, StatusDto};

/// The GitHub REST API version opsdeck speaks.
pub const API_VERSION: &str = "2022-11-28";
/// Most deployments examined per repository and environment in one pull.
pub const MAX_PAGES: usize = 20;
/// Most compare calls per pull (lead-time commits are cached, so this bounds only catch-up).
pub const MAX_COMPARES_PER_PULL: usize = 20;
/// Pages older than this (by their oldest deployment's creation) end a walk: beyond every
/// DORA window opsdeck shows.
pub const HORIZON_DAYS: i64 = 90;
/// Most in-flight deployments whose statuses are re-read outside the walk per pull.
pub const MAX_UNSETTLED_REFRESH: i64 = 20;
/// GitHub caps a deployment status description at this many characters.
pub const DESCRIPTION_MAX_CHARS: usize = 140;

/// One configured GitHub Deployments source.
#[derive(Debug)]
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

/// The `http_cache` key under which a page remembers the URL of the page after it.
fn next_key(page_url: &str) -> String {
    format!("{page_url}#next")
}

/// Stores (or, with `None`, forgets) one `http_cache` value of exactly `key`.
fn remember(
    tx: &rusqlite::Transaction<'_>,
    source: &str,
    key: &str,
    value: Option<&str>,
) -> crate::store::Result<()> {
    match value {
        Some(v) => tx.execute(
            "INSERT INTO http_cache (source, url, etag) VALUES (?1, ?2, ?3) \
             ON CONFLICT (source, url) DO UPDATE SET etag = excluded.etag",
            params![source, key, v],
        )?,
        None => tx.execute(
            "DELETE FROM http_cache WHERE source = ?1 AND url = ?2",
            params![source, key],
        )?,
    };
    Ok(())
}

/// Keeps every status as history (idempotent on the status id).
fn insert_statuses(
    tx: &rusqlite::Transaction<'_>,
    deployment_id: i64,
    statuses: &[StatusDto],
) -> crate::store::Result<()> {
    for s in statuses {
        tx.execute(
            "INSERT OR IGNORE INTO deployment_statuses (deployment_id, external_id, state, description, creator, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                deployment_id,
                s.id.to_string(),
                sanitize::line(&s.state),
                sanitize::line(s.description.as_deref().unwrap_or("")),
                sanitize::line(s.creator.as_ref().map_or("", |c| c.login.as_str())),
                s.created_at.timestamp()
            ],
        )?;
    }
    Ok(())
}

impl Build for GithubDeploymentsSource {
    /// Builds the source; fails for a bad base URL, a bad repository name or a bad rollback
    /// state.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
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
        http.https_only = !is_loopback(&base);
        http.auth = token.map(|token| auth(cfg, AuthScheme::Bearer, token, "GITHUB_TOKEN"));
        let client = http_client(cfg, http, clock, tune)?;
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
}

impl GithubDeploymentsSource {
    fn service_for(&self, repo: &str, environment: &str) -> String {
        self.service_map
            .get(repo)
            .or_else(|| self.service_map.get(&format!("{repo}:{environment}")))
            .cloned()
            .unwrap_or_else(|| repo.to_string())
    }

    /// One pull of every repository and environment (nothing partial is committed).
    pub(super) async fn pull_all(&mut self, store: &mut Store, now: Now) -> PullResult {
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
                self.pull_list(
                    store,
                    &owner,
                    &repo,
                    &path,
                    env.as_deref(),
                    now,
                    &mut report,
                )
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

    #[allow(
        clippy::too_many_arguments,
        reason = "one repository and environment's walk"
    )]
    async fn pull_list(
        &mut self,
        store: &mut Store,
        owner: &str,
        repo: &str,
        path: &str,
        environment: Option<&str>,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let horizon = now - chrono::Duration::days(HORIZON_DAYS);
        let mut next = Some(self.client.url(path)?);
        let mut visited = std::collections::HashSet::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            let key = url.to_string();
            let etag = sync_meta::etag(store.conn(), &self.name, &key)?;
            report.requests += 1;
            let (new_etag, response) =
                match self.client.get_conditional(url, etag.as_deref()).await? {
                    Conditional::NotModified => {
                        // This page is unchanged; later pages may not be (issue #11 defect 4): go on
                        // to the next page remembered with this one.
                        next = sync_meta::etag(store.conn(), &self.name, &next_key(&key))?
                            .and_then(|u| url::Url::parse(&u).ok());
                        if pages >= MAX_PAGES {
                            break;
                        }
                        continue;
                    }
                    Conditional::Fresh { etag, response } => (etag, response),
                };
            let list: Vec<DeploymentDto> = response.json()?;
            let mut rows = Vec::with_capacity(list.len());
            for dto in &list {
                let external_id = format!("{owner}/{repo}/{}", dto.id);
                visited.insert(external_id.clone());
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
                let statuses = self.statuses(owner, repo, dto.id, report).await?;
                rows.push((dto, external_id, statuses));
            }
            // Newest first: a page that reaches past the horizon ends the walk.
            let past_horizon = list.iter().any(|d| d.created_at < horizon);
            let link = response
                .links()
                .get("next")
                .cloned()
                .filter(|_| !past_horizon && pages < MAX_PAGES);
            store.write(|tx| {
                for (dto, external_id, statuses) in &rows {
                    self.store_deployment(tx, owner, repo, dto, external_id, statuses, now)?;
                }
                // Each page keeps its own ETag and the page after it, so an unchanged page
                // never hides a changed one behind it.
                remember(tx, &self.name, &key, new_etag.as_deref())?;
                remember(
                    tx,
                    &self.name,
                    &next_key(&key),
                    link.as_ref().map(url::Url::as_str),
                )?;
                Ok(())
            })?;
            report.fetched += rows.len();
            next = link;
        }
        self.refresh_unsettled(
            store,
            owner,
            repo,
            environment,
            &visited,
            horizon,
            now,
            report,
        )
        .await
    }

    /// Re-reads the statuses of cached deployments still in flight (queued, pending,
    /// in progress) that the walk did not read, e.g. because their page answered 304: a new
    /// status is a child resource and need not change the list page.
    #[allow(clippy::too_many_arguments, reason = "one repository's walk state")]
    async fn refresh_unsettled(
        &mut self,
        store: &mut Store,
        owner: &str,
        repo: &str,
        environment: Option<&str>,
        visited: &std::collections::HashSet<String>,
        horizon: DateTime<Utc>,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let prefix = format!("{owner}/{repo}/%");
        let open: Vec<String> = {
            let mut stmt = store
                .conn()
                .prepare(
                    "SELECT external_id FROM deployments WHERE source = ?1 AND external_id LIKE ?2 \
                     AND status NOT IN ('success', 'failure', 'error', 'inactive') AND created_at >= ?3 \
                     AND (?5 IS NULL OR environment = ?5) ORDER BY created_at DESC LIMIT ?4",
                )
                .map_err(crate::store::StoreError::from)?;
            let rows = stmt
                .query_map(
                    params![
                        self.name,
                        prefix,
                        horizon.timestamp(),
                        MAX_UNSETTLED_REFRESH,
                        environment.map(sanitize::line)
                    ],
                    |r| r.get(0),
                )
                .map_err(crate::store::StoreError::from)?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(crate::store::StoreError::from)?
        };
        for external_id in open.into_iter().filter(|e| !visited.contains(e)) {
            let Some(id) = external_id
                .rsplit('/')
                .next()
                .and_then(|i| i.parse::<i64>().ok())
            else {
                continue;
            };
            let statuses = self.statuses(owner, repo, id, report).await?;
            let outcome = Outcome::of(&statuses);
            store.write(|tx| {
                let row: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM deployments WHERE source = ?1 AND external_id = ?2",
                        params![self.name, external_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(row) = row else { return Ok(()) };
                tx.execute(
                    "UPDATE deployments SET status = ?1, finished_at = ?2, \
                     rolled_back = MAX(rolled_back, ?3) WHERE id = ?4",
                    params![
                        outcome.status.as_str(),
                        outcome.finished_at.map(|t| t.timestamp()),
                        outcome.rolled_back,
                        row
                    ],
                )?;
                insert_statuses(tx, row, &statuses)?;
                crate::store::Store::reapply_pending(
                    tx,
                    crate::domain::EntityRef {
                        kind: crate::domain::EntityKind::Deployment,
                        id: row,
                    },
                    now,
                )?;
                Ok(())
            })?;
            report.fetched += 1;
        }
        Ok(())
    }

    /// Upserts one listed deployment with its statuses (inside the page's transaction).
    #[allow(clippy::too_many_arguments, reason = "one row and where it came from")]
    fn store_deployment(
        &self,
        tx: &rusqlite::Transaction<'_>,
        owner: &str,
        repo: &str,
        dto: &DeploymentDto,
        external_id: &str,
        statuses: &[StatusDto],
        now: DateTime<Utc>,
    ) -> crate::store::Result<()> {
        let outcome = Outcome::of(statuses);
        let deployment = Deployment {
            id: 0,
            source: self.name.clone(),
            external_id: external_id.to_owned(),
            service: sanitize::line(&self.service_for(repo, &dto.environment)),
            environment: sanitize::line(&dto.environment),
            git_ref: sanitize::line(&dto.git_ref),
            sha: sanitize::line(&dto.sha),
            status: outcome.status,
            creator: sanitize::line(dto.creator.as_ref().map_or("", |c| c.login.as_str())),
            created_at: dto.created_at,
            finished_at: outcome.finished_at,
            rollback_of: None,
            rolled_back: outcome.rolled_back,
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
        insert_statuses(tx, id, statuses)
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
}
