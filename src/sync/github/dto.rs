//! GitHub issue payloads (tolerant DTOs) and the label conventions that map them to opsdeck
//! bugs: priority from labels, status from `state` + "in progress"-style labels, customers from
//! `customer:<slug>` labels.
//!
//! All text is sanitized here, once, on the way in (CONNECTOR.md). Every field but `id` and
//! `number` is optional so a drifting payload degrades instead of failing the page.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::{Bug, BugStatus, Priority};
use crate::sanitize;
use crate::sync::source::nullable;
use crate::sync::tracker::BugDraft;

/// Priority of an issue that carries no priority label.
pub const DEFAULT_PRIORITY: Priority = Priority::P3;

/// Built-in label families, most severe first (matched case-insensitively).
const PRIORITY_FAMILIES: &[[&str; 4]] = &[
    ["P0", "P1", "P2", "P3"],
    [
        "priority:critical",
        "priority:high",
        "priority:medium",
        "priority:low",
    ],
];

/// Labels that mean "someone is working on it" when no `status_map` is configured.
const DEFAULT_IN_PROGRESS_LABELS: &[&str] = &["in progress", "in-progress"];

/// A label: GitHub sends objects, the spec also allows bare strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LabelDto {
    /// `{"name": "bug", ...}`.
    Object {
        /// Label name.
        #[serde(default)]
        name: Option<String>,
    },
    /// `"bug"`.
    Name(String),
}

impl LabelDto {
    fn name(&self) -> Option<&str> {
        match self {
            LabelDto::Object { name } => name.as_deref(),
            LabelDto::Name(name) => Some(name),
        }
    }
}

/// A user reference (`assignees[]`, `assignee`).
#[derive(Debug, Clone, Deserialize)]
pub struct UserDto {
    /// Login.
    #[serde(default)]
    pub login: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// One item of `GET /repos/{o}/{r}/issues` (or `GET …/issues/{n}`, PATCH responses).
#[derive(Debug, Clone, Deserialize)]
pub struct IssueDto {
    /// Stable issue id (`external_id`).
    pub id: u64,
    /// Per-repository number (`#12`).
    pub number: u64,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Body (Markdown; null when empty).
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: Option<String>,
    /// `completed`, `reopened`, `not_planned`, `duplicate` or null.
    #[serde(default)]
    pub state_reason: Option<String>,
    /// Labels in tracker order.
    #[serde(default, deserialize_with = "nullable")]
    pub labels: Vec<LabelDto>,
    /// Assignees.
    #[serde(default, deserialize_with = "nullable")]
    pub assignees: Vec<UserDto>,
    /// Deprecated single assignee (removed in API version 2026-03-10).
    #[serde(default)]
    pub assignee: Option<UserDto>,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// RFC 3339; the sync cursor.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub closed_at: Option<String>,
    /// Browser link.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Whether the item carries a `pull_request` key (then it is a PR, not an issue).
    #[serde(default, rename = "pull_request", deserialize_with = "present")]
    pub is_pull_request: bool,
}

/// One item of `GET …/issues/{n}/comments`.
#[derive(Debug, Clone, Deserialize)]
pub struct CommentDto {
    /// Comment body.
    #[serde(default)]
    pub body: Option<String>,
}

/// Parses an RFC 3339 time into UTC.
pub fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The cursor form GitHub's `since` expects: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_since(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The remote state of one issue as far as pushing cares (labels and logins sanitized).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoteIssue {
    /// `state == "open"`.
    pub open: bool,
    /// `state_reason`.
    pub state_reason: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// `updated_at` in unix seconds.
    pub updated_at: Option<i64>,
}

impl IssueDto {
    /// Label names, sanitized, empty ones dropped.
    pub fn label_names(&self) -> Vec<String> {
        crate::sync::tracker::clean_labels(self.labels.iter().filter_map(LabelDto::name))
    }

    /// Assignee logins as sent: the non-empty ones of `assignees`, else the deprecated
    /// `assignee`.
    fn raw_logins(&self) -> impl Iterator<Item = &str> {
        let listed = || {
            self.assignees
                .iter()
                .filter_map(|u| u.login.as_deref())
                .filter(|l| !l.is_empty())
        };
        let single = self.assignee.as_ref().and_then(|u| u.login.as_deref());
        let fallback = if listed().next().is_none() {
            single
        } else {
            None
        };
        listed().chain(fallback)
    }

    /// Assignee logins (falling back to the deprecated `assignee`), sanitized.
    pub fn assignee_logins(&self) -> Vec<String> {
        self.raw_logins().map(sanitize::line).collect()
    }

    /// Whether the issue is open (anything but `state: closed`).
    fn remote_open(&self) -> bool {
        self.state.as_deref().map(str::trim) != Some("closed")
    }

    /// What pushing compares against.
    pub fn remote(&self) -> RemoteIssue {
        RemoteIssue {
            open: self.remote_open(),
            state_reason: self.state_reason.as_deref().map(sanitize::line),
            labels: self.label_names(),
            assignees: self.assignee_logins(),
            updated_at: parse_time(self.updated_at.as_deref()).map(|t| t.timestamp()),
        }
    }
}

/// How labels map to priority and status for one source (config first, then defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Lower-cased label → priority, from `priority_map`.
    configured: BTreeMap<String, Priority>,
    /// Lower-cased labels meaning "in progress".
    in_progress: Vec<String>,
    /// The label added when work starts (first configured, else `in progress`).
    in_progress_label: String,
}

impl Mapping {
    /// Builds the mapping from a source's `priority_map` and `status_map`.
    ///
    /// `status_map` entries mapping to `in_progress` name the "in progress" labels; without
    /// any, `in progress` and `in-progress` are used.
    pub fn new(
        priority_map: &BTreeMap<String, String>,
        status_map: &BTreeMap<String, String>,
    ) -> Self {
        let configured = priority_map
            .iter()
            .filter_map(|(label, p)| Some((label.trim().to_lowercase(), p.parse().ok()?)))
            .collect();
        let configured_ip: Vec<&String> = status_map
            .iter()
            .filter(|(_, v)| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "in_progress" | "in progress" | "in-progress"
                )
            })
            .map(|(k, _)| k)
            .collect();
        let (in_progress, in_progress_label) = if configured_ip.is_empty() {
            (
                DEFAULT_IN_PROGRESS_LABELS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                DEFAULT_IN_PROGRESS_LABELS[0].to_owned(),
            )
        } else {
            (
                configured_ip
                    .iter()
                    .map(|s| s.trim().to_lowercase())
                    .collect(),
                configured_ip[0].trim().to_owned(),
            )
        };
        Self {
            configured,
            in_progress,
            in_progress_label,
        }
    }

    /// The priority one label stands for, if it is a priority label.
    pub fn label_priority(&self, label: &str) -> Option<Priority> {
        let lower = label.trim().to_lowercase();
        if let Some(p) = self.configured.get(&lower) {
            return Some(*p);
        }
        PRIORITY_FAMILIES.iter().find_map(|family| {
            family
                .iter()
                .position(|l| l.eq_ignore_ascii_case(&lower))
                .and_then(|i| Priority::ALL.get(i).copied())
        })
    }

    /// The most severe priority among the labels, else [`DEFAULT_PRIORITY`].
    pub fn priority_of(&self, labels: &[String]) -> Priority {
        labels
            .iter()
            .filter_map(|l| self.label_priority(l))
            .min()
            .unwrap_or(DEFAULT_PRIORITY)
    }

    /// Whether a label means "in progress".
    pub fn is_in_progress_label(&self, label: &str) -> bool {
        let lower = label.trim().to_lowercase();
        self.in_progress.contains(&lower)
    }

    /// The label added when work starts.
    pub fn in_progress_label(&self) -> &str {
        &self.in_progress_label
    }

    /// closed → closed; open with an "in progress" label → in progress; else open.
    pub fn status_of(&self, open: bool, labels: &[String]) -> BugStatus {
        if !open {
            BugStatus::Closed
        } else if labels.iter().any(|l| self.is_in_progress_label(l)) {
            BugStatus::InProgress
        } else {
            BugStatus::Open
        }
    }

    /// The label to add for `target`: a configured one, else the family already in use on the
    /// issue, else `P0`…`P3`.
    pub fn label_for(&self, target: Priority, current: &[String]) -> String {
        if let Some((label, _)) = self.configured.iter().find(|(_, p)| **p == target) {
            return label.clone();
        }
        let idx = usize::from(target.rank());
        let family = current
            .iter()
            .find_map(|l| {
                PRIORITY_FAMILIES
                    .iter()
                    .find(|f| f.iter().any(|x| x.eq_ignore_ascii_case(l)))
            })
            .unwrap_or(&PRIORITY_FAMILIES[0]);
        family
            .get(idx)
            .map_or_else(|| target.as_str().to_owned(), |s| (*s).to_owned())
    }

    /// Converts one issue to a bug row of `source`; `None` for pull requests and items
    /// without an `updated_at`. `key_prefix` is `""` for a single-repo source, else `owner/repo`.
    pub fn to_bug(&self, dto: &IssueDto, source: &str, key_prefix: &str) -> Option<Bug> {
        if dto.is_pull_request {
            return None;
        }
        let updated_at = parse_time(dto.updated_at.as_deref())?;
        let labels = dto.label_names();
        let status = self.status_of(dto.remote_open(), &labels);
        let draft = BugDraft {
            external_id: dto.id.to_string(),
            key: format!("{key_prefix}#{}", dto.number).into(),
            url: dto.html_url.clone(),
            title: dto.title.as_deref(),
            body: dto.body.as_deref().unwrap_or("").into(),
            priority: self.priority_of(&labels),
            status,
            assignee: dto.raw_logins().next(),
            labels,
            created: parse_time(dto.created_at.as_deref()),
            updated: Some(updated_at),
            closed: parse_time(dto.closed_at.as_deref()),
        };
        // `updated_at` is there (the cursor needs it), so no time falls back to a clock.
        draft.into_bug(source, updated_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn mapping() -> Mapping {
        Mapping::new(&BTreeMap::new(), &BTreeMap::new())
    }

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[rstest]
    #[case::upper_p_label(&["bug", "P1"], Priority::P1)]
    #[case::lower_p_label(&["p0"], Priority::P0)]
    #[case::priority_word_label(&["priority:medium"], Priority::P2)]
    #[case::most_severe_wins(&["P3", "priority:high"], Priority::P1)]
    #[case::no_label_is_the_default(&["bug"], DEFAULT_PRIORITY)]
    fn priority_comes_from_labels(#[case] names: &[&str], #[case] expected: Priority) {
        assert_eq!(mapping().priority_of(&labels(names)), expected);
    }

    #[test]
    fn configured_priority_labels_win_over_defaults() {
        let mut pm = BTreeMap::new();
        pm.insert("Sev-1".to_owned(), "P0".to_owned());
        let m = Mapping::new(&pm, &BTreeMap::new());
        assert_eq!(m.priority_of(&labels(&["sev-1"])), Priority::P0);
        assert_eq!(m.label_for(Priority::P0, &[]), "sev-1");
        assert_eq!(
            m.label_for(Priority::P2, &labels(&["priority:low"])),
            "priority:medium"
        );
    }

    #[rstest]
    #[case::closed_is_closed(false, &["in progress"], BugStatus::Closed)]
    #[case::open_with_progress_label(true, &["In Progress"], BugStatus::InProgress)]
    #[case::plain_open(true, &["bug"], BugStatus::Open)]
    fn status_comes_from_state_and_labels(
        #[case] open: bool,
        #[case] names: &[&str],
        #[case] expected: BugStatus,
    ) {
        assert_eq!(mapping().status_of(open, &labels(names)), expected);
    }

    /// GitHub now keeps the tracker rule Jira and Redmine keep ([`crate::sync::tracker::bug_times`]):
    /// a closed issue without `closed_at` closed at its update. It used to stay without a
    /// close time, which the weekly review counts as still open.
    #[test]
    fn a_closed_issue_without_closed_at_closes_at_its_update() {
        let issue: IssueDto = serde_json::from_str(
            r#"{"id":1,"number":2,"state":"closed","updated_at":"2026-01-02T00:00:00Z","closed_at":null}"#,
        )
        .unwrap();
        let bug = mapping().to_bug(&issue, "gh", "").unwrap();
        assert_eq!(bug.status, BugStatus::Closed);
        assert_eq!(bug.closed_at, Some(bug.updated_at));
        assert_eq!(bug.created_at, bug.updated_at);
    }

    #[test]
    fn pull_requests_are_not_bugs_and_labels_may_be_strings() {
        let pr: IssueDto = serde_json::from_str(
            r#"{"id":1,"number":2,"updated_at":"2026-01-01T00:00:00Z","pull_request":{}}"#,
        )
        .unwrap();
        assert!(mapping().to_bug(&pr, "gh", "").is_none());
        let issue: IssueDto = serde_json::from_str(
            r#"{"id":1,"number":2,"updated_at":"2026-01-01T00:00:00+02:00","labels":["customer:acme", {"name":"P1"}],"assignees":null,"title":"a\u001b[2Jb"}"#,
        )
        .unwrap();
        let bug = mapping().to_bug(&issue, "gh", "").unwrap();
        assert_eq!(bug.key, "#2");
        assert_eq!(bug.customers, vec!["acme".to_owned()]);
        assert_eq!(bug.priority, Priority::P1);
        assert_eq!(format_since(bug.updated_at), "2025-12-31T22:00:00Z");
        assert!(!bug.title.contains('\u{1b}'));
    }
}
