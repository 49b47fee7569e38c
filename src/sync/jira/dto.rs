//! Jira Cloud v3 payload shapes opsdeck reads (tolerant: unknown fields ignored, every field
//! optional), time parsing, and the vendor mapping of an issue to a [`BugDraft`] (which turns it
//! into a sanitized bug).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::adf;
use crate::domain::BugStatus;
use crate::sync::tracker::ingest::{Lenient, Listed};
use crate::sync::tracker::{self, BugDraft, Names};

pub use crate::sync::tracker::DEFAULT_PRIORITY;

/// One page of `GET /rest/api/3/search/jql`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SearchPage {
    /// The issues, decoded one by one so a malformed issue does not sink the page.
    pub issues: Lenient<IssueDto>,
    /// Token of the next page; absent on the last page.
    pub next_page_token: Option<String>,
    /// Whether this is the last page.
    pub is_last: Option<bool>,
}

/// An issue (search result or `GET /issue/{key}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IssueDto {
    /// Numeric id, sent as a string.
    pub id: Value,
    /// `OPS-42`.
    pub key: String,
    /// The requested fields.
    pub fields: FieldsDto,
}

/// The fields opsdeck requests.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FieldsDto {
    /// Title.
    pub summary: Option<String>,
    /// Workflow status.
    pub status: Option<StatusDto>,
    /// Priority.
    pub priority: Option<NamedDto>,
    /// Assignee; null when unassigned.
    pub assignee: Option<UserDto>,
    /// Labels (non-strings are dropped).
    pub labels: Vec<Value>,
    /// `2021-01-18T23:45:00.000+0000`.
    pub updated: Option<Value>,
    /// Creation time, same format.
    pub created: Option<Value>,
    /// When the issue was resolved, same format.
    pub resolutiondate: Option<Value>,
    /// ADF document (or a plain string in old payloads).
    pub description: Option<Value>,
}

/// `StatusDetails` (also a transition's `to`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StatusDto {
    /// Status name (`In Review`).
    pub name: Option<String>,
    /// Category: `new`, `indeterminate`, `done`.
    pub status_category: Option<CategoryDto>,
}

/// A status category.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CategoryDto {
    /// `new` / `indeterminate` / `done` (others are treated as open).
    pub key: Option<String>,
}

/// Anything with a name (priority).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NamedDto {
    /// Name.
    pub name: Option<String>,
}

/// `UserDetails`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserDto {
    /// Cloud account id.
    pub account_id: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Email, when visible.
    pub email_address: Option<String>,
    /// Whether the account is active.
    pub active: Option<bool>,
}

/// `GET …/transitions`: the transitions available to the caller.
pub type TransitionsDto = Listed<TransitionDto>;

/// One transition.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TransitionDto {
    /// Id to POST.
    pub id: Value,
    /// Transition name (`Close Issue`).
    pub name: Option<String>,
    /// Target status.
    pub to: Option<StatusDto>,
}

/// `GET …/comment`: the comments of the page.
pub type CommentsDto = Listed<CommentDto>;

/// One comment.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentDto {
    /// ADF body.
    pub body: Value,
}

/// `GET /rest/api/3/myself` (only the time zone is used: JQL dates are in the user's zone).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MyselfDto {
    /// IANA zone, e.g. `Australia/Sydney`.
    pub time_zone: Option<String>,
}

/// A string or number id as text.
#[must_use]
pub fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses Jira's `2021-01-18T23:45:00.000+0000` (offset without colon) or RFC 3339, to UTC.
#[must_use]
pub fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?.trim();
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How statuses and priorities are normalised for one source.
pub type Mapping = Names;

/// The normalised status: `status_map` by name, else the category (`done` → closed,
/// `indeterminate` → in progress, anything else → open).
#[must_use]
pub fn status(map: &Mapping, s: Option<&StatusDto>) -> BugStatus {
    let Some(s) = s else {
        return BugStatus::Open;
    };
    if let Some(mapped) = s.name.as_deref().and_then(|n| map.status_override(n)) {
        return mapped;
    }
    match s
        .status_category
        .as_ref()
        .and_then(|c| c.key.as_deref())
        .map(str::trim)
    {
        Some("done") => BugStatus::Closed,
        Some("indeterminate") => BugStatus::InProgress,
        _ => BugStatus::Open,
    }
}

/// The vendor mapping of one issue (see [`BugDraft::into_bug`] for the rest); `None` without
/// an id.
#[must_use]
pub fn draft<'a>(issue: &'a IssueDto, site: &Url, map: &Mapping) -> Option<BugDraft<'a>> {
    let f = &issue.fields;
    let key = issue.key.trim();
    let time = |v: &Option<Value>| v.as_ref().and_then(parse_time);
    let assignee = f.assignee.as_ref();
    Some(BugDraft {
        external_id: id_text(&issue.id)?,
        key: key.into(),
        url: site.join(&format!("browse/{key}")).ok().map(String::from),
        title: f.summary.as_deref(),
        body: f
            .description
            .as_ref()
            .map(adf::flatten)
            .unwrap_or_default()
            .into(),
        priority: map.priority(f.priority.as_ref().and_then(|p| p.name.as_deref())),
        status: status(map, f.status.as_ref()),
        assignee: assignee.and_then(|a| a.display_name.as_deref().or(a.account_id.as_deref())),
        labels: tracker::clean_labels(f.labels.iter().filter_map(Value::as_str)),
        created: time(&f.created),
        updated: time(&f.updated),
        closed: time(&f.resolutiondate),
    })
}
