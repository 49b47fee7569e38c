//! A bug from a tracker (GitHub Issues, Jira, Redmine) or created locally.

use chrono::{DateTime, Utc};

use super::{persisted_enum, Priority};

persisted_enum!(
    /// Where a bug is in its life, normalised across trackers.
    BugStatus, "bug status", {
        /// Reported, nobody on it yet.
        Open => "open",
        /// Someone is working on it.
        InProgress => "in_progress",
        /// Fixed, won't fix or duplicate.
        Closed => "closed",
    }
);

/// One cached bug.
#[derive(Debug, Clone, PartialEq)]
pub struct Bug {
    /// Local row id.
    pub id: i64,
    /// Configured source name (`github-platform`, `jira`, `local`, ...).
    pub source: String,
    /// The tracker's own id.
    pub external_id: String,
    /// Display key: `#123`, `OPS-42`.
    pub key: String,
    /// Title, sanitized.
    pub title: String,
    /// Body / description, sanitized (may be long; only the detail pane shows it).
    pub body: String,
    /// P0–P3.
    pub priority: Priority,
    /// Normalised status.
    pub status: BugStatus,
    /// Assignee login or account name.
    pub assignee: Option<String>,
    /// Labels, in tracker order.
    pub labels: Vec<String>,
    /// Customer slugs linked through `customer:<slug>` labels.
    pub customers: Vec<String>,
    /// When it was reported.
    pub created_at: DateTime<Utc>,
    /// The tracker's last update time.
    pub updated_at: DateTime<Utc>,
    /// When it was closed, if it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// Link to the tracker.
    pub url: Option<String>,
    /// An edit to this bug is waiting in the outbox.
    pub pending: bool,
    /// An edit to this bug is in conflict with the remote.
    pub conflict: bool,
}

impl Bug {
    /// Whether the bug still needs work.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.status != BugStatus::Closed
    }
}

/// Customer slugs named by `customer:<slug>` labels, in label order.
#[must_use]
pub fn customers_from_labels(labels: &[String]) -> Vec<String> {
    labels
        .iter()
        .filter_map(|l| l.strip_prefix("customer:"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
