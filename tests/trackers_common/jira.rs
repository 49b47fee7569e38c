//! Jira test helpers: the source pointed at a fake, and SCHEMA-DERIVED issues.
//!
//! Atlassian's issue examples have no priority/status/assignee/labels and carry `"updated": 1`,
//! so the issues served by the fakes are built here from the `IssueBean`, `StatusDetails`,
//! `Priority` and `UserDetails` schemas and the documented time format (see
//! tests/fixtures/jira/SOURCES.md).

use opsdeck::sync::Build as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::config::{SourceConfig, SourceKind};
use opsdeck::domain::{Bug, BugStatus, Priority};
use opsdeck::store::{write, Store};
use opsdeck::sync::jira::JiraSource;
use opsdeck::sync::ratelimit::Backoff;
use opsdeck::sync::secret::Secret;
use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

/// A token that must never show up anywhere.
pub const TOKEN: &str = "jira_CANARY_7d1e_never_log";
/// The Atlassian account of the token.
pub const EMAIL: &str = "oncall@example.com";
/// The enhanced search endpoint.
pub const SEARCH: &str = "/rest/api/3/search/jql";

/// A vendor fixture from tests/fixtures/jira.
pub fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/fixtures/jira/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The `jira` source section for project OPS with these `transitions`.
pub fn config(base: &str, transitions: &[(&str, &str)]) -> SourceConfig {
    let mut c = super::source_config("jira", SourceKind::Jira, base, "JIRA_TOKEN");
    c.projects = vec!["OPS".into()];
    c.email = Some(EMAIL.into());
    c.transitions = transitions
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    c
}

/// The source with fast backoff, no mutation gap and `max_attempts` tries per request.
pub fn source_with(cfg: &SourceConfig, max_attempts: u32) -> JiraSource {
    JiraSource::with_http(cfg, Some(Secret::new(TOKEN)), super::real_clock(), |h| {
        h.retry.max_attempts = max_attempts;
        h.retry.backoff = Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        };
        h.mutation_gap = Duration::ZERO;
        h.rng_seed = Some(3);
    })
    .unwrap()
}

/// The default source at `base`.
pub fn source(base: &str) -> JiraSource {
    source_with(&config(base, &[]), 4)
}

/// The time the fake issues start at.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 10, 0, 0).unwrap()
}

/// Jira's `2021-01-18T23:45:00.000+0000` form.
pub fn jira_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// A SCHEMA-DERIVED issue `OPS-<n>` (id `10000 + n`): To Do, High, assigned, two labels,
/// ADF description.
pub fn schema_issue(n: usize, updated: DateTime<Utc>) -> Value {
    json!({
        "id": format!("{}", 10000 + n),
        "key": format!("OPS-{n}"),
        "self": format!("https://example.atlassian.net/rest/api/3/issue/{}", 10000 + n),
        "fields": {
            "summary": format!("checkout fails for cart {n}"),
            "status": {"name": "To Do", "id": "1",
                       "statusCategory": {"id": 2, "key": "new", "name": "To Do", "colorName": "blue-gray"}},
            "priority": {"id": "2", "name": "High"},
            "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Mia Krystof", "active": true},
            "labels": ["checkout", "customer:acme"],
            "updated": jira_time(updated),
            "created": jira_time(t0() - TimeDelta::days(3)),
            "resolution": null,
            "description": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Carts over 10 items fail."}]}
            ]}
        }
    })
}

/// `count` issues, 7 s apart from [`t0`].
pub fn issues(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| schema_issue(i + 1, t0() + TimeDelta::seconds(7 * i as i64)))
        .collect()
}

/// Serves issues 100 per page, keyed by `nextPageToken` (`tok-<page>`), in the vendor's shape:
/// `isLast`, and no `nextPageToken` on the last page.
pub struct Pager(pub Vec<Value>);

impl Respond for Pager {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: usize = super::param(req, "nextPageToken")
            .and_then(|v| v.strip_prefix("tok-").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let start = (page * 100).min(self.0.len());
        let end = (start + 100).min(self.0.len());
        let mut body =
            json!({"issues": self.0[start..end].to_vec(), "isLast": end >= self.0.len()});
        if end < self.0.len() {
            body["nextPageToken"] = json!(format!("tok-{}", page + 1));
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// Caches bug OPS-42 (id 10042) of source `jira`; returns its row id.
pub fn seed_bug(store: &mut Store, status: BugStatus, priority: Priority) -> i64 {
    let bug = Bug {
        id: 0,
        source: "jira".into(),
        external_id: "10042".into(),
        key: "OPS-42".into(),
        title: "checkout 5xx".into(),
        body: String::new(),
        priority,
        status,
        assignee: Some("Mia Krystof".into()),
        labels: vec!["checkout".into()],
        customers: vec![],
        created_at: t0(),
        updated_at: t0(),
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    };
    store.write(|tx| write::upsert_bug(tx, &bug, t0())).unwrap()
}
