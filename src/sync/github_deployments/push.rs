//! GitHub Deployments push: a rollback marker written as a deployment status, read back first
//! after an unknown outcome so the remote never gets the same rollback twice.

use chrono::{DateTime, Utc};
use reqwest::Method;
use rusqlite::OptionalExtension;

use super::dto::StatusDto;
use super::{GithubDeploymentsSource, DESCRIPTION_MAX_CHARS};
use crate::store::{Operation, OutboxEntry, Store};
use crate::sync::http::{ApiError, ApiRequest};
use crate::sync::source::{Meta, Now, PullResult, PushResult, Source};
use crate::sync::PushOutcome;

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

impl Source for GithubDeploymentsSource {
    const META: Meta = Meta::new("github-deployments", "GitHub Deployments");

    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        self.pull_all(store, now).await
    }

    /// Pushes one rollback marker; see the module doc. HTTP failures become the matching
    /// [`PushOutcome`].
    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
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

    fn name(&self) -> &str {
        &self.name
    }
}
