//! A deployment from GitHub Deployments or recorded by hand.

use chrono::{DateTime, Utc};

use super::persisted_enum;

persisted_enum!(
    /// The deployment's latest status (GitHub's deployment status states).
    DeployStatus, "deployment status", {
        /// Waiting to start.
        Queued => "queued",
        /// Created, not started.
        Pending => "pending",
        /// Running.
        InProgress => "in_progress",
        /// Live.
        Success => "success",
        /// Failed.
        Failure => "failure",
        /// Errored.
        Error => "error",
        /// Superseded or rolled back.
        Inactive => "inactive",
    }
);

/// One cached deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// Local row id.
    pub id: i64,
    /// Source name.
    pub source: String,
    /// The source's id.
    pub external_id: String,
    /// opsdeck service name (mapped by config).
    pub service: String,
    /// Environment (`production`, `staging`).
    pub environment: String,
    /// Version or ref.
    pub git_ref: String,
    /// Commit sha.
    pub sha: String,
    /// Latest status.
    pub status: DeployStatus,
    /// Who deployed.
    pub creator: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it finished, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// The external id of the deployment this one rolls back.
    pub rollback_of: Option<String>,
    /// Marked rolled back.
    pub rolled_back: bool,
    /// Link.
    pub url: Option<String>,
    /// Keys of linked incidents.
    pub incident_keys: Vec<String>,
    /// Commit times of the changes it shipped (for lead time).
    pub commit_times: Vec<DateTime<Utc>>,
    /// An edit is waiting in the outbox.
    pub pending: bool,
}

impl Deployment {
    /// Whether this deployment went to production.
    #[must_use]
    pub fn is_production(&self) -> bool {
        let env = self.environment.to_ascii_lowercase();
        env == "production" || env == "prod"
    }

    /// Duration in whole seconds, when finished.
    #[must_use]
    pub fn duration_secs(&self) -> Option<i64> {
        self.finished_at
            .map(|f| (f - self.created_at).num_seconds().max(0))
    }
}
