//! Redmine REST payload shapes opsdeck reads (tolerant: unknown fields ignored, every field
//! optional) and the vendor mapping of an issue to a [`BugDraft`] (which turns it into a
//! sanitized bug).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use crate::domain::BugStatus;
use crate::sync::tracker::ingest::{Lenient, Listed};
use crate::sync::tracker::{self, BugDraft, Names};

pub use crate::sync::tracker::DEFAULT_PRIORITY;

/// One page of `GET /issues.json`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssuesPage {
    /// The issues, decoded one by one so a malformed issue does not sink the page.
    pub issues: Lenient<IssueDto>,
    /// Issues matching the query (all pages).
    pub total_count: Option<u64>,
}

impl IssuesPage {
    /// Issues on the page, undecodable ones included (offset paging counts them).
    #[must_use]
    pub fn received(&self) -> u64 {
        (self.issues.items.len() + self.issues.skipped.len()) as u64
    }
}

/// `GET /issues/{id}.json`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueWrap {
    /// The issue.
    pub issue: IssueDto,
}

/// An issue.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueDto {
    /// Numeric id.
    pub id: Option<u64>,
    /// Tracker (Bug, Feature, Support).
    pub tracker: Option<RefDto>,
    /// Status (`is_closed` only from Redmine 5.1).
    pub status: Option<StatusRef>,
    /// Priority.
    pub priority: Option<RefDto>,
    /// Assignee (user or group).
    pub assigned_to: Option<RefDto>,
    /// Title.
    pub subject: Option<String>,
    /// Body (Textile/Markdown source).
    pub description: Option<String>,
    /// `2026-11-22T03:23:35Z`.
    pub created_on: Option<String>,
    /// Last change, same format.
    pub updated_on: Option<String>,
    /// When it was closed, same format.
    pub closed_on: Option<String>,
    /// With `include=journals`: the history.
    pub journals: Vec<JournalDto>,
}

/// `{id, name}`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RefDto {
    /// Id.
    pub id: Option<u64>,
    /// Display name.
    pub name: Option<String>,
}

/// An issue's status.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StatusRef {
    /// Status id.
    pub id: Option<u64>,
    /// Name (`In Progress`).
    pub name: Option<String>,
    /// Whether the status closes the issue (Redmine ≥ 5.1 only).
    pub is_closed: Option<bool>,
}

/// A journal entry.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JournalDto {
    /// The note text, if any.
    pub notes: Option<String>,
}

/// `GET /issue_statuses.json`: the statuses in workflow position order.
pub type StatusesDto = Listed<StatusDef>;

/// One status definition.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StatusDef {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Whether it closes the issue.
    pub is_closed: bool,
}

/// `GET /enumerations/issue_priorities.json`: the priorities, least severe first.
pub type PrioritiesDto = Listed<PriorityDef>;

/// One priority.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PriorityDef {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Whether it can be chosen (absent on old Redmines: treated as active).
    pub active: Option<bool>,
}

/// `GET /users.json?name=…`: the matching users.
pub type UsersDto = Listed<UserDto>;

/// One user.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserDto {
    /// Id.
    pub id: u64,
    /// Login.
    pub login: Option<String>,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Email.
    pub mail: Option<String>,
}

impl UserDto {
    /// Whether `who` is this user's login, full name or email (case-insensitive).
    #[must_use]
    pub fn matches(&self, who: &str) -> bool {
        let full = format!(
            "{} {}",
            self.firstname.as_deref().unwrap_or(""),
            self.lastname.as_deref().unwrap_or("")
        );
        [
            self.login.as_deref(),
            Some(full.trim()),
            self.mail.as_deref(),
        ]
        .iter()
        .flatten()
        .any(|v| v.trim().eq_ignore_ascii_case(who.trim()))
    }
}

/// Parses Redmine's RFC 3339 times to UTC.
#[must_use]
pub fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How statuses and priorities are normalised for one source.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The user's and Redmine's priority and status names.
    pub names: Names,
    /// Known status definitions (from `/issue_statuses.json`).
    pub defs: Vec<StatusDef>,
}

impl Mapping {
    /// `status_map` by name, else closed when the status closes issues, in progress for
    /// "In Progress", open otherwise.
    #[must_use]
    pub fn status(
        &self,
        name: Option<&str>,
        id: Option<u64>,
        is_closed: Option<bool>,
    ) -> BugStatus {
        if let Some(mapped) = name.and_then(|n| self.names.status_override(n)) {
            return mapped;
        }
        let name = name.map(|n| n.trim().to_lowercase());
        let closed = is_closed
            .or_else(|| {
                self.defs
                    .iter()
                    .find(|d| Some(d.id) == id)
                    .map(|d| d.is_closed)
            })
            .unwrap_or(false);
        if closed {
            BugStatus::Closed
        } else if name.as_deref() == Some("in progress") {
            BugStatus::InProgress
        } else {
            BugStatus::Open
        }
    }

    /// The status of an issue's status reference.
    #[must_use]
    pub fn status_of(&self, s: Option<&StatusRef>) -> BugStatus {
        match s {
            Some(s) => self.status(s.name.as_deref(), s.id, s.is_closed),
            None => BugStatus::Open,
        }
    }

    /// Whether a status id is known (else the definitions are re-read).
    #[must_use]
    pub fn knows_status(&self, id: Option<u64>) -> bool {
        id.is_none() || self.defs.iter().any(|d| Some(d.id) == id)
    }
}

/// The display key of Redmine issue `id`: `RM-<id>` (distinct from GitHub's `#n`).
#[must_use]
pub fn key(id: u64) -> String {
    format!("RM-{id}")
}

/// The vendor mapping of one issue (see [`BugDraft::into_bug`] for the rest); `None` without
/// an id.
///
/// The tracker name (lowercased) is the bug's only label: Redmine has no labels.
#[must_use]
pub fn draft<'a>(issue: &'a IssueDto, site: &Url, map: &Mapping) -> Option<BugDraft<'a>> {
    let id = issue.id?;
    let tracker = issue.tracker.as_ref().and_then(|t| t.name.as_deref());
    Some(BugDraft {
        external_id: id.to_string(),
        key: key(id).into(),
        url: site.join(&format!("issues/{id}")).ok().map(String::from),
        title: issue.subject.as_deref(),
        body: issue.description.as_deref().unwrap_or("").into(),
        priority: map
            .names
            .priority(issue.priority.as_ref().and_then(|p| p.name.as_deref())),
        status: map.status_of(issue.status.as_ref()),
        assignee: issue.assigned_to.as_ref().and_then(|a| a.name.as_deref()),
        labels: tracker::clean_labels(tracker)
            .iter()
            .map(|t| t.to_lowercase())
            .collect(),
        created: parse_time(issue.created_on.as_deref()),
        updated: parse_time(issue.updated_on.as_deref()),
        closed: parse_time(issue.closed_on.as_deref()),
    })
}
