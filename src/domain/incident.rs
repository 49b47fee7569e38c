//! Incidents (PagerDuty or local) and Alertmanager alerts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{persisted_enum, Priority};

persisted_enum!(
    /// PagerDuty's incident states.
    IncidentStatus, "incident status", {
        /// Paging, nobody has acknowledged.
        Triggered => "triggered",
        /// Someone is on it.
        Acknowledged => "acknowledged",
        /// Over.
        Resolved => "resolved",
    }
);

persisted_enum!(
    /// Alertmanager's alert states.
    AlertState, "alert state", {
        /// Not yet processed.
        Unprocessed => "unprocessed",
        /// Firing and notifying.
        Active => "active",
        /// Silenced or inhibited.
        Suppressed => "suppressed",
    }
);

/// One cached incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Local row id.
    pub id: i64,
    /// Source name (`pagerduty`, `local`).
    pub source: String,
    /// Source id (`PXXXXXX`, `LOCAL-1`).
    pub external_id: String,
    /// Incident number.
    pub number: i64,
    /// Title, sanitized.
    pub title: String,
    /// P0–P3.
    pub severity: Priority,
    /// Status.
    pub status: IncidentStatus,
    /// opsdeck service name.
    pub service: String,
    /// Current assignee.
    pub assignee: Option<String>,
    /// Triggered at.
    pub created_at: DateTime<Utc>,
    /// First explicit acknowledgement.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Resolved at.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Link.
    pub url: Option<String>,
    /// Affected customer slugs.
    pub customers: Vec<String>,
    /// An edit is waiting in the outbox.
    pub pending: bool,
    /// An edit is in conflict.
    pub conflict: bool,
}

/// One entry of an incident's timeline (from the source's log or opsdeck's audit).
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// `trigger`, `acknowledge`, `note`, `resolve`, `escalate`, or an opsdeck action.
    pub kind: String,
    /// Who.
    pub who: String,
    /// What, sanitized.
    pub text: String,
    /// `source` for the pager's log, `opsdeck` for the local audit.
    pub origin: String,
}

/// One Alertmanager alert, identified by fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Local row id.
    pub id: i64,
    /// Which Alertmanager.
    pub source: String,
    /// Alertmanager's fingerprint.
    pub fingerprint: String,
    /// `alertname` label.
    pub name: String,
    /// `severity` label.
    pub severity: String,
    /// `service` label.
    pub service: String,
    /// State.
    pub state: AlertState,
    /// All labels.
    pub labels: BTreeMap<String, String>,
    /// All annotations.
    pub annotations: BTreeMap<String, String>,
    /// Firing since.
    pub starts_at: DateTime<Utc>,
    /// Silences muting it.
    pub silenced_by: Vec<String>,
    /// An edit is waiting in the outbox.
    pub pending: bool,
    /// What is known about the silences in `silenced_by` (who, why, what, until when).
    pub silences: Vec<Silence>,
}

/// The id prefix of a silence opsdeck has queued but Alertmanager has not confirmed yet.
pub const PENDING_SILENCE_PREFIX: &str = "pending:";

/// The id prefix of a silence kept only in the cache (an alert with no Alertmanager
/// connector, e.g. the demo).
pub const LOCAL_SILENCE_PREFIX: &str = "local:";

/// One Alertmanager silence as cached (enough to say who would be overruled by expiring it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// Alertmanager's id (or `pending:<op id>` while queued).
    pub id: String,
    /// `createdBy`.
    pub created_by: String,
    /// `comment`.
    pub comment: String,
    /// Matchers as `name=value` (`name=~value` for a regex).
    pub matchers: Vec<String>,
    /// `endsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Created from opsdeck (from this cache); other people's silences need a second yes.
    pub by_opsdeck: bool,
}

impl Silence {
    /// Whether the silence is still waiting in the outbox.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.id.starts_with(PENDING_SILENCE_PREFIX)
    }
}
