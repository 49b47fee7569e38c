//! Plans kept in GitHub issues (`kind = "github-tasklist"`): the Markdown task lists of a
//! configured list of issue bodies, shown in the checklist tab like plan files and edited
//! line by line through the outbox.
//!
//! This module owns the round trip between an issue body and its cached checklist document
//! (`checklist_docs` row with `source` = this source, `path` = `owner/repo#123`):
//!
//! - **Pull**: `GET /repos/{o}/{r}/issues/{n}` per issue with `If-None-Match` (one ETag per issue
//!   in `http_cache`); a 304 costs nothing more. A changed body is re-imported through
//!   [`crate::checklist::store::import_remote_document`]: the same Markdown parser as plan files, item
//!   texts and titles sanitized there, while the cached *base* keeps the raw body byte for byte.
//! - **Push** (one outbox entry at a time): read the issue, compare its `updated_at` with the
//!   one the base was read at, then re-apply the queued edit onto the body just read with
//!   [`crate::checklist::merge::rebase`] (the edit carries the value the user saw, so when the body
//!   moved this is the three-way merge base → ours against theirs). A clean result is written
//!   with one `PATCH {"body": ..}`; an edit whose line changed remotely becomes an outbox
//!   conflict and nothing is written; a target already present costs no write. The merge runs
//!   on the remote's raw body, never on sanitized text, so every other line (control
//!   characters, CRLF endings, trailing spaces) goes back exactly as GitHub holds it.
//!
//! Limit: GitHub has no conditional `PATCH` for issues, so an edit made by someone else in the
//! window between our read and our `PATCH` (one round trip) is overwritten by our body; the
//! window is the same as GitHub's own web editor has.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::github::Repo;
use super::http::{ApiError, ApiRequest, HttpClient};
use super::source::{get_if_changed, Build, Meta, Now, PullResult, PushResult, Settings, Source};
use super::{PullReport, PushOutcome, SyncError};
use crate::checklist::merge::{self, OpOutcome};
use crate::checklist::{parse, store as checklist_store};
use crate::domain::Tab;
use crate::store::{sync_meta, OutboxEntry, Store};

/// The connector kind recorded in `sync_state`.
pub const KIND: &str = "github-tasklist";

/// One configured issue, `owner/repo#number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRef {
    /// The repository.
    pub repo: Repo,
    /// The issue number.
    pub number: u64,
}

impl IssueRef {
    /// Parses `owner/repo#123`.
    #[must_use]
    pub fn parse(s: &str) -> Option<IssueRef> {
        let (repo, number) = s.trim().rsplit_once('#')?;
        let number: u64 = number.parse().ok().filter(|n| *n > 0)?;
        if repo.trim() != repo {
            return None;
        }
        Some(IssueRef {
            repo: Repo::parse(repo)?,
            number,
        })
    }

    /// `owner/repo#123`: the checklist document's path.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{}#{}", self.repo.full(), self.number)
    }
}

/// The fields of GitHub's issue payload this connector reads (raw: sanitized on import).
#[derive(Debug, Deserialize)]
struct IssueBody {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

/// The `github-tasklist` source: its issues and HTTP client.
#[derive(Debug)]
pub struct GithubTasklistSource {
    name: String,
    issues: Vec<IssueRef>,
    http: HttpClient,
}

/// The cached document behind one outbox entry.
struct Target {
    path: String,
    base: String,
    seen_updated_at: Option<String>,
    key: Option<parse::ItemKey>,
}

impl Source for GithubTasklistSource {
    const META: Meta = Meta::new(KIND, "GitHub");

    /// One pull: a conditional read of every configured issue.
    ///
    /// An issue refused for good (404, 410, 403) is recorded on its document and the others
    /// are still read; any other failure (rate limit, 5xx, network) stops the pull. A
    /// persisted rate-limit deadline in the future fails at once without a request.
    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        super::tracker::check_rate_limit(store, &self.name, now)?;
        let mut report = PullReport::default();
        let mut failure = None;
        for issue in self.issues.clone() {
            match self.pull_issue(store, &issue, now, &mut report).await {
                Ok(()) => {}
                // One issue gone or refused (404, 410, 403) does not hide the others' plans.
                Err(SyncError::Api(e @ ApiError::Permanent { .. })) => {
                    let message = crate::sanitize::line(&format!("{}: {e}", issue.label()));
                    let (name, path) = (self.name.clone(), issue.label());
                    store.write(|tx| {
                        tx.execute(
                            "UPDATE checklist_docs SET last_error = ?1 WHERE path = ?2 AND source = ?3",
                            rusqlite::params![message, path, name],
                        )?;
                        Ok(())
                    })?;
                    failure.get_or_insert(SyncError::Api(e));
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        failure.map_or(Ok(report), Err)
    }

    /// A failed pull persists a rate limit's deadline so the next pull waits for it.
    fn record_failure(&self, store: &mut Store, err: &SyncError, now: Now) {
        super::tracker::note_limited_failure(store, &self.name, KIND, err, now);
    }

    /// Pushes ONE checklist edit (already marked in flight by the engine); see the module doc.
    /// Remote failures are outcomes (404/403/422 fail, the rest retry).
    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
        let Some(target) = self.target(store, entry.entity.id)? else {
            return Ok(PushOutcome::Failed(format!(
                "{} is no longer in the cache; nothing to push",
                entry.entity_label
            )));
        };
        let Some(issue) = IssueRef::parse(&target.path) else {
            return Ok(PushOutcome::Failed(format!(
                "{} does not name an issue as owner/repo#123",
                target.path
            )));
        };
        let base_doc = parse::parse(&target.base);
        let Some(op) = target
            .key
            .clone()
            .and_then(|key| checklist_store::item_op(&base_doc, key, &entry.op))
        else {
            return Ok(PushOutcome::Failed(
                "this edit cannot be written to an issue's task list".into(),
            ));
        };
        match self.push_op(store, &issue, &target, &op, now).await {
            Ok(outcome) => Ok(outcome),
            Err(PushStop::Store(e)) => Err(e),
            Err(PushStop::Api(err)) => {
                if let ApiError::RateLimited { until, .. } = &err {
                    let (name, until) = (self.name.clone(), *until);
                    store.write(|tx| sync_meta::note_rate_limit(tx, &name, KIND, until))?;
                }
                Ok(super::github::outcome_for(err, entry.attempts, now))
            }
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

impl Build for GithubTasklistSource {
    /// Builds the source; fails for a bad base URL, issue list, header or token.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
        let names = ["issue", "issues", "issues", "owner/repo#123"];
        let issues = super::github::parse_list(cfg, &cfg.issues, IssueRef::parse, names)?;
        let http = super::github::github_client(cfg, token, clock, tune)?;
        Ok(Self {
            name: cfg.name.clone(),
            issues,
            http,
        })
    }
}

impl GithubTasklistSource {
    /// The configured source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn issue_url(&self, issue: &IssueRef) -> Result<Url, ApiError> {
        self.http.url(&format!(
            "repos/{}/{}/issues/{}",
            issue.repo.owner, issue.repo.name, issue.number
        ))
    }

    async fn pull_issue(
        &mut self,
        store: &mut Store,
        issue: &IssueRef,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let url = self.issue_url(issue)?;
        let Some((etag, response)) =
            get_if_changed(&self.http, store, &self.name, &url, report).await?
        else {
            return Ok(());
        };
        let dto: IssueBody = response.json()?;
        report.fetched += 1;
        let path = issue.label();
        let raw = dto.body.unwrap_or_default();
        let cached: Option<(String, Option<String>)> = store
            .conn()
            .query_row(
                "SELECT base_content, remote_updated_at FROM checklist_docs WHERE path = ?1 AND source = ?2",
                rusqlite::params![path, self.name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(crate::store::StoreError::from(e)),
            })?;
        let changed = cached.as_ref().is_none_or(|(base, seen)| {
            *base != raw || seen.as_deref() != dto.updated_at.as_deref()
        });
        let name = self.name.clone();
        let title = format!("{path} {}", dto.title.as_deref().unwrap_or(""));
        // `?` after the URL keeps this row only: `…/issues/1` must not clear `…/issues/12`.
        let prefix = format!("{url}?");
        store.write(|tx| {
            if changed {
                checklist_store::import_remote_document(
                    tx,
                    &name,
                    &path,
                    title.trim(),
                    &raw,
                    dto.updated_at.as_deref(),
                    now,
                )?;
            }
            sync_meta::set_etag(tx, &name, &prefix, url.as_str(), etag.as_deref())
        })?;
        if changed && !report.changed.contains(&Tab::Checklist) {
            report.changed.push(Tab::Checklist);
        }
        Ok(())
    }

    async fn push_op(
        &self,
        store: &mut Store,
        issue: &IssueRef,
        target: &Target,
        op: &merge::ItemOp,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, PushStop> {
        let url = self.issue_url(issue)?;
        let current: IssueBody = self
            .http
            .send_with_retry(ApiRequest::get(url.clone()))
            .await?
            .json()?;
        let theirs = current.body.clone().unwrap_or_default();
        let moved = current.updated_at != target.seen_updated_at || theirs != target.base;
        if moved {
            tracing::debug!(source = %self.name, issue = %issue.label(), "issue moved since last seen; merging");
        }
        let merged = merge::rebase(&theirs, std::slice::from_ref(op));
        match merged.outcomes.first() {
            Some(OpOutcome::Conflict(c)) => {
                let value = c
                    .theirs
                    .clone()
                    .unwrap_or_else(|| "(item no longer in the issue)".into());
                return Ok(super::tracker::conflict(&value));
            }
            Some(OpOutcome::AlreadyApplied) | None => {
                if moved {
                    self.record(store, issue, target, &current, &theirs, now)?;
                }
                return Ok(PushOutcome::Done);
            }
            Some(OpOutcome::Applied) => {}
        }
        if merged.content == theirs {
            return Ok(PushOutcome::Done);
        }
        let req = ApiRequest::new(Method::PATCH, url).json(&json!({ "body": merged.content }))?;
        let written: IssueBody = self.http.send(req).await?.json()?;
        let body = written.body.clone().unwrap_or_default();
        self.record(store, issue, target, &written, &body, now)?;
        Ok(PushOutcome::Done)
    }

    /// Makes `body` (as GitHub now holds it) the document's new base.
    fn record(
        &self,
        store: &mut Store,
        issue: &IssueRef,
        target: &Target,
        dto: &IssueBody,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PushStop> {
        let title = format!("{} {}", issue.label(), dto.title.as_deref().unwrap_or(""));
        let name = self.name.clone();
        store
            .write(|tx| {
                checklist_store::import_remote_document(
                    tx,
                    &name,
                    &target.path,
                    title.trim(),
                    body,
                    dto.updated_at.as_deref(),
                    now,
                )
                .map(|_| ())
            })
            .map_err(|e| PushStop::Store(e.into()))
    }

    fn target(&self, store: &Store, item_id: i64) -> Result<Option<Target>, SyncError> {
        let row = store.conn().query_row(
            "SELECT d.path, d.base_content, d.remote_updated_at, i.item_key FROM checklist_items i \
             JOIN checklist_docs d ON d.id = i.doc_id WHERE i.id = ?1 AND d.source = ?2",
            rusqlite::params![item_id, self.name],
            |r| {
                Ok(Target {
                    path: r.get(0)?,
                    base: r.get(1)?,
                    seen_updated_at: r.get(2)?,
                    key: r
                        .get::<_, Option<String>>(3)?
                        .as_deref()
                        .and_then(checklist_store::key_from_json),
                })
            },
        );
        match row {
            Ok(t) => Ok(Some(t)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(crate::store::StoreError::from(e).into()),
        }
    }
}

/// Why a push stopped before an outcome.
enum PushStop {
    Api(ApiError),
    Store(SyncError),
}

impl From<ApiError> for PushStop {
    fn from(e: ApiError) -> Self {
        PushStop::Api(e)
    }
}
