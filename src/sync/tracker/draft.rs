//! The one place a tracker issue becomes a [`Bug`]. Each connector maps its vendor's payload to
//! a [`BugDraft`] (which JSON field is the title, how its statuses and priorities are named,
//! what its key and link look like); [`BugDraft::into_bug`] does what is the same for every
//! tracker (Jira, Redmine, GitHub Issues):
//!
//! - sanitizing the text where it enters opsdeck, once, here (RELIABILITY.md §3.3): id, key,
//!   title, body, assignee and link; labels go through [`clean_labels`] before the draft, since
//!   connectors read priorities and statuses from them;
//! - the timestamps by one rule ([`bug_times`]);
//! - customers from `customer:<slug>` labels, and the defaults of a row not stored yet.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::domain::bug::customers_from_labels;
use crate::domain::{Bug, BugStatus, Priority};
use crate::sanitize;

/// A tracker issue mapped from its vendor's payload; text as the vendor sent it.
#[derive(Debug, Clone)]
pub struct BugDraft<'a> {
    /// The tracker's own id.
    pub external_id: String,
    /// Display key (`OPS-42`, `RM-7`, `#12`); an issue without one is not a bug.
    pub key: Cow<'a, str>,
    /// Link to the issue in the tracker.
    pub url: Option<String>,
    /// Title.
    pub title: Option<&'a str>,
    /// Body / description as plain text.
    pub body: Cow<'a, str>,
    /// Normalised priority.
    pub priority: Priority,
    /// Normalised status.
    pub status: BugStatus,
    /// Assignee login or name.
    pub assignee: Option<&'a str>,
    /// Labels in tracker order, already through [`clean_labels`].
    pub labels: Vec<String>,
    /// When the issue was reported, if the tracker said.
    pub created: Option<DateTime<Utc>>,
    /// The tracker's last update, if it said.
    pub updated: Option<DateTime<Utc>>,
    /// When it was closed, if it said.
    pub closed: Option<DateTime<Utc>>,
}

impl BugDraft<'_> {
    /// The bug of `source`, text sanitized; `None` when the key is blank. `now` stands in for
    /// missing timestamps (see [`bug_times`]).
    #[must_use]
    pub fn into_bug(self, source: &str, now: DateTime<Utc>) -> Option<Bug> {
        let key = sanitize::line(self.key.trim());
        if key.is_empty() {
            return None;
        }
        let (created_at, updated_at, closed_at) =
            bug_times(self.created, self.updated, self.closed, self.status, now);
        Some(Bug {
            id: 0,
            source: source.to_owned(),
            external_id: sanitize::line(&self.external_id),
            key,
            title: sanitize::line(self.title.unwrap_or("")),
            body: sanitize::text(&self.body),
            priority: self.priority,
            status: self.status,
            assignee: sanitize::opt_line(self.assignee),
            customers: customers_from_labels(&self.labels),
            labels: self.labels,
            created_at,
            updated_at,
            closed_at,
            url: sanitize::opt_line(self.url.as_deref()),
            pending: false,
            conflict: false,
        })
    }
}

/// A tracker issue's `(created_at, updated_at, closed_at)`: `updated` falls back to `created`,
/// then `now`; `created` to `updated`; a closed issue without a close time closed at `updated`.
#[must_use]
pub fn bug_times(
    created: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    closed: Option<DateTime<Utc>>,
    status: BugStatus,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>) {
    let updated_at = updated.or(created).unwrap_or(now);
    let closed_at = (status == BugStatus::Closed).then(|| closed.unwrap_or(updated_at));
    (created.unwrap_or(updated_at), updated_at, closed_at)
}

/// Label names as stored: sanitized, empty ones dropped.
pub fn clean_labels<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    names
        .into_iter()
        .map(sanitize::line)
        .filter(|l| !l.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
    }

    fn draft(status: BugStatus) -> BugDraft<'static> {
        BugDraft {
            external_id: "1\u{1b}[2J".to_owned(),
            key: Cow::Borrowed(" OPS-1\u{202e} "),
            url: Some("https://t.example/browse/OPS-1\u{7}".to_owned()),
            title: Some("a\u{1b}[31mred"),
            body: Cow::Borrowed("line one\r\nline\u{9b}two"),
            priority: Priority::P1,
            status,
            assignee: Some(""),
            labels: clean_labels(["customer:acme", "", "bug\u{1b}"]),
            created: None,
            updated: Some(at(200)),
            closed: None,
        }
    }

    #[test]
    fn every_text_field_is_sanitized_and_customers_come_from_labels() {
        let bug = draft(BugStatus::Open).into_bug("jira", at(900));
        let Some(bug) = bug else {
            panic!("a draft with a key is a bug");
        };
        for text in [&bug.external_id, &bug.key, &bug.title, &bug.body] {
            assert!(sanitize::is_terminal_safe(text), "{text:?}");
        }
        assert_eq!(bug.key, "OPS-1<U+202E>");
        assert_eq!(bug.body, "line one\nlineM-^[two");
        assert_eq!(bug.url.as_deref(), Some("https://t.example/browse/OPS-1^G"));
        assert_eq!(bug.assignee, None, "a blank assignee is nobody");
        assert_eq!(bug.labels, ["customer:acme", "bug^["]);
        assert_eq!(bug.customers, ["acme"]);
        assert_eq!((bug.id, bug.pending, bug.conflict), (0, false, false));
    }

    #[test]
    fn missing_times_fall_back_and_a_closed_issue_closes_at_its_update() {
        let Some(open) = draft(BugStatus::Open).into_bug("jira", at(900)) else {
            panic!("a draft with a key is a bug");
        };
        assert_eq!((open.created_at, open.updated_at), (at(200), at(200)));
        assert_eq!(open.closed_at, None);
        let Some(closed) = draft(BugStatus::Closed).into_bug("jira", at(900)) else {
            panic!("a draft with a key is a bug");
        };
        assert_eq!(closed.closed_at, Some(at(200)));
        let undated = BugDraft {
            updated: None,
            ..draft(BugStatus::Open)
        };
        assert_eq!(
            undated.into_bug("jira", at(900)).map(|b| b.updated_at),
            Some(at(900))
        );
    }

    #[test]
    fn a_blank_key_is_no_bug() {
        let blank = BugDraft {
            key: Cow::Borrowed("  "),
            ..draft(BugStatus::Open)
        };
        assert!(blank.into_bug("jira", at(900)).is_none());
    }
}
