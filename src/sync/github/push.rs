//! Pushing one outbox entry to GitHub: read the issue, [`plan`](super::plan::plan) against it,
//! send the incremental writes, and re-read each response to catch edits GitHub dropped
//! silently (label and assignee changes without push access are ignored with a 200).

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::json;
use url::Url;

use super::dto::{format_since, CommentDto, IssueDto, LabelDto};
use super::plan::{comment_marker, plan, Plan, Write};
use super::{GithubSource, Repo, KIND};
use crate::store::{sync_meta, OutboxEntry, Store};
use crate::sync::http::{ApiError, ApiRequest};
use crate::sync::source::{Meta, Now, PullResult, PushResult, Source};
use crate::sync::{tracker, PushOutcome, SyncError};

/// First retry delay of a push that failed for a transient reason; doubles per attempt.
const PUSH_RETRY_BASE_SECS: i64 = 15;
/// Longest retry delay of a push.
const PUSH_RETRY_CAP_SECS: i64 = 15 * 60;

/// Why a push attempt stopped early.
enum Stop {
    Api(ApiError),
    Dropped(String),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        Stop::Api(e)
    }
}

/// The retry time for a transient failure on attempt `attempts` (1-based).
pub fn retry_at(now: DateTime<Utc>, attempts: u32) -> DateTime<Utc> {
    let shift = attempts.saturating_sub(1).min(10);
    let secs = (PUSH_RETRY_BASE_SECS << shift).min(PUSH_RETRY_CAP_SECS);
    now + TimeDelta::seconds(secs)
}

impl Source for GithubSource {
    const META: Meta = Meta::new(KIND, "GitHub Issues");

    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        self.pull_all(store, now).await
    }

    /// A failed pull persists a rate limit's deadline so the next pull waits for it.
    fn record_failure(&self, store: &mut Store, err: &SyncError, now: Now) {
        tracker::note_limited_failure(store, &self.name, KIND, err, now);
    }

    /// Pushes ONE outbox entry (already marked in flight by the engine).
    ///
    /// Always reads the issue first (every GitHub op needs the remote value to detect a
    /// conflict or an already-reached target). `entry.attempts` counts only attempts that may
    /// have sent a write: one that failed before writing is forgotten again, so `attempts > 1`
    /// really means "an earlier outcome is unknown" (see [`plan`]). 404/410/403/422 → `Failed`; rate limit, 5xx,
    /// transport → `Retry`. A comment retried after an unknown outcome is looked up by its
    /// hidden marker instead of being posted twice.
    ///
    /// Only store errors are errors; remote failures are outcomes.
    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
        let Some(target) = store.bug_remote(entry.entity)? else {
            return Ok(PushOutcome::Failed(format!(
                "{} is no longer in the cache; nothing to push",
                entry.entity_label
            )));
        };
        let Some((repo, number)) = self.locate(&target.key) else {
            return Ok(PushOutcome::Failed(format!(
                "cannot tell which repository {} belongs to; check `repos` of source {}",
                target.key, self.name
            )));
        };
        let observed = entry
            .observed_remote
            .as_deref()
            .and_then(|s| s.trim().parse::<i64>().ok());
        let mut sent = false;
        match self
            .push_inner(&repo, number, entry, observed, &mut sent)
            .await
        {
            Ok(outcome) => Ok(outcome),
            Err(Stop::Dropped(msg)) => Ok(PushOutcome::Failed(msg)),
            Err(Stop::Api(err)) => {
                if !sent {
                    // Nothing was written: this attempt leaves no unknown outcome behind.
                    let seq = entry.seq;
                    store.write(|tx| sync_meta::forget_attempt(tx, seq))?;
                }
                if let ApiError::RateLimited { until, .. } = &err {
                    let (name, until) = (self.name.clone(), *until);
                    store.write(|tx| sync_meta::note_rate_limit(tx, &name, KIND, until))?;
                }
                Ok(outcome_for(err, entry.attempts, now))
            }
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

impl GithubSource {
    /// `#12` → the only repo; `owner/repo#12` → that repo.
    fn locate(&self, key: &str) -> Option<(Repo, u64)> {
        let (prefix, number) = key.rsplit_once('#')?;
        let number = number.trim().parse().ok()?;
        let repo = if prefix.is_empty() {
            (self.repos.len() == 1).then(|| self.repos[0].clone())?
        } else {
            self.repos.iter().find(|r| r.full() == prefix)?.clone()
        };
        Some((repo, number))
    }

    fn issue_url(&self, repo: &Repo, number: u64, tail: &[&str]) -> Result<Url, ApiError> {
        let mut url = self.http.url(&format!(
            "repos/{}/{}/issues/{number}",
            repo.owner, repo.name
        ))?;
        if let Ok(mut seg) = url.path_segments_mut() {
            seg.pop_if_empty().extend(tail);
        }
        Ok(url)
    }

    async fn push_inner(
        &self,
        repo: &Repo,
        number: u64,
        entry: &OutboxEntry,
        observed: Option<i64>,
        sent: &mut bool,
    ) -> Result<PushOutcome, Stop> {
        let issue: IssueDto = self
            .http
            .send_with_retry(ApiRequest::get(self.issue_url(repo, number, &[])?))
            .await?
            .json()?;
        let remote = issue.remote();
        let unknown = entry.attempts > 1;
        let writes = match plan(
            &entry.op,
            &entry.op_id,
            &remote,
            &self.mapping,
            observed,
            unknown,
        ) {
            Plan::Done => return Ok(PushOutcome::Done),
            Plan::Conflict(value) => return Ok(crate::sync::tracker::conflict(&value)),
            Plan::Failed(msg) => return Ok(PushOutcome::Failed(msg)),
            Plan::Writes(writes) => writes,
        };
        if entry.attempts > 1 && self.comment_exists(repo, number, entry).await? {
            return Ok(PushOutcome::Done);
        }
        for w in writes {
            *sent = true;
            self.send_write(repo, number, &w).await?;
        }
        Ok(PushOutcome::Done)
    }

    /// After an unknown outcome: is the comment with this entry's marker already there?
    async fn comment_exists(
        &self,
        repo: &Repo,
        number: u64,
        entry: &OutboxEntry,
    ) -> Result<bool, Stop> {
        if !matches!(entry.op, crate::store::Operation::AddBugComment { .. }) {
            return Ok(false);
        }
        let mut url = self.issue_url(repo, number, &["comments"])?;
        url.query_pairs_mut()
            .append_pair(
                "since",
                &format_since(entry.created_at - TimeDelta::seconds(60)),
            )
            .append_pair("per_page", "100");
        let comments: Vec<CommentDto> = self
            .http
            .send_with_retry(ApiRequest::get(url))
            .await?
            .json()?;
        let marker = comment_marker(&entry.op_id);
        Ok(comments
            .iter()
            .any(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker))))
    }

    async fn send_write(&self, repo: &Repo, number: u64, w: &Write) -> Result<(), Stop> {
        let key = format!("#{number} in {}", repo.full());
        let access = |what: &str| {
            Stop::Dropped(format!(
                "GitHub ignored the {what} on {key}: the token needs push (triage) access to {}",
                repo.full()
            ))
        };
        match w {
            Write::State { open, reason } => {
                let body = match (open, reason) {
                    (false, Some(r)) => json!({"state": "closed", "state_reason": r}),
                    (false, None) => json!({"state": "closed"}),
                    (true, _) => json!({"state": "open"}),
                };
                let req = ApiRequest::new(Method::PATCH, self.issue_url(repo, number, &[])?)
                    .json(&body)?;
                let issue: IssueDto = self.http.send(req).await?.json()?;
                if issue.remote().open != *open {
                    return Err(access("state change"));
                }
            }
            Write::AddLabel(label) => {
                let req = ApiRequest::new(Method::POST, self.issue_url(repo, number, &["labels"])?)
                    .json(&json!({"labels": [label]}))?;
                let labels: Vec<LabelDto> = self.http.send(req).await?.json()?;
                if !label_present(&labels, label) {
                    return Err(access("label change"));
                }
            }
            Write::RemoveLabel(label) => {
                let url = self.issue_url(repo, number, &["labels", label])?;
                match self.http.send(ApiRequest::new(Method::DELETE, url)).await {
                    Ok(resp) => {
                        let labels: Vec<LabelDto> = resp.json()?;
                        if label_present(&labels, label) {
                            return Err(access("label change"));
                        }
                    }
                    // "Label does not exist": already gone, which is the target.
                    Err(ApiError::Permanent { status: 404, .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Write::AddAssignee(login) | Write::RemoveAssignee(login) => {
                let add = matches!(w, Write::AddAssignee(_));
                let method = if add { Method::POST } else { Method::DELETE };
                let req = ApiRequest::new(method, self.issue_url(repo, number, &["assignees"])?)
                    .json(&json!({"assignees": [login]}))?;
                let issue: IssueDto = self.http.send(req).await?.json()?;
                let present = issue
                    .assignee_logins()
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(login));
                if present != add {
                    return Err(access("assignee change"));
                }
            }
            Write::Comment(body) => {
                let req =
                    ApiRequest::new(Method::POST, self.issue_url(repo, number, &["comments"])?)
                        .json(&json!({"body": body}))?;
                self.http.send(req).await?;
            }
        }
        Ok(())
    }
}

fn label_present(labels: &[LabelDto], label: &str) -> bool {
    labels.iter().any(|l| {
        let name = match l {
            LabelDto::Object { name } => name.as_deref().unwrap_or(""),
            LabelDto::Name(n) => n,
        };
        name.eq_ignore_ascii_case(label)
    })
}

/// Turns an API error of a push into an outcome: permanent refusals fail, the rest retry.
pub fn outcome_for(err: ApiError, attempts: u32, now: DateTime<Utc>) -> PushOutcome {
    let error = err.to_string();
    match err {
        ApiError::RateLimited { until, .. } | ApiError::CircuitOpen { until } => {
            PushOutcome::Retry {
                at: until.max(now),
                error,
            }
        }
        ApiError::Permanent { .. }
        | ApiError::CrossOriginRedirect { .. }
        | ApiError::CrossOriginRequest { .. }
        | ApiError::InvalidRequest { .. } => {
            PushOutcome::Failed(format!("GitHub refused the edit: {error}"))
        }
        ApiError::Unauthorized { .. }
        | ApiError::Server { .. }
        | ApiError::Transport { .. }
        | ApiError::BodyTooLarge { .. }
        | ApiError::Decode { .. } => PushOutcome::Retry {
            at: retry_at(now, attempts),
            error,
        },
    }
}
