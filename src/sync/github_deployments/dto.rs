//! GitHub Deployments payload shapes (deployments, statuses, compare) and what a deployment's
//! statuses say about its outcome.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::DeployStatus;

#[derive(Debug, Deserialize)]
pub(super) struct UserDto {
    #[serde(default)]
    pub(super) login: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct DeploymentDto {
    pub(super) id: i64,
    #[serde(default)]
    pub(super) sha: String,
    #[serde(rename = "ref", default)]
    pub(super) git_ref: String,
    #[serde(default)]
    pub(super) environment: String,
    pub(super) creator: Option<UserDto>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusDto {
    pub(super) id: i64,
    pub(super) state: String,
    #[serde(default)]
    pub(super) description: Option<String>,
    pub(super) creator: Option<UserDto>,
    pub(super) created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CompareDto {
    #[serde(default)]
    pub(super) commits: Vec<CompareCommit>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CompareCommit {
    pub(super) commit: CommitInner,
}

#[derive(Debug, Deserialize)]
pub(super) struct CommitInner {
    pub(super) committer: Option<CommitPerson>,
    pub(super) author: Option<CommitPerson>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CommitPerson {
    pub(super) date: Option<DateTime<Utc>>,
}

/// What a deployment's statuses (newest first) say about it.
///
/// The outcome is decided by the deployment's own run: its first `success`, `failure` or
/// `error` status, and `finished_at` is that status's time. A later `inactive` (a rollback
/// marker, or GitHub retiring it when a newer deployment succeeded) is history: it never
/// re-dates the deployment, changes its duration or moves it in the DORA window (issue #11
/// defect 3). Without such an outcome the latest status decides, and `inactive` alone
/// finishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    pub(super) status: DeployStatus,
    pub(super) finished_at: Option<DateTime<Utc>>,
    pub(super) rolled_back: bool,
}

impl Outcome {
    pub(super) fn of(newest_first: &[StatusDto]) -> Outcome {
        let rolled_back = newest_first.iter().any(|s| {
            s.description
                .as_deref()
                .is_some_and(|d| d.starts_with("rolled back"))
        });
        let settled = newest_first
            .iter()
            .rev()
            .find(|s| matches!(s.state.as_str(), "success" | "failure" | "error"));
        if let Some(s) = settled {
            return Outcome {
                status: s.state.parse().unwrap_or(DeployStatus::Pending),
                finished_at: Some(s.created_at),
                rolled_back,
            };
        }
        let latest = newest_first.first();
        Outcome {
            status: latest
                .and_then(|s| s.state.parse::<DeployStatus>().ok())
                .unwrap_or(DeployStatus::Pending),
            finished_at: latest
                .filter(|s| s.state == "inactive")
                .and_then(|_| newest_first.iter().rev().find(|s| s.state == "inactive"))
                .map(|s| s.created_at),
            rolled_back,
        }
    }
}
