//! A stateful Redmine REST fake for the kill -9 loop over tracker edits
//! (`battery_kill9_trackers.rs`). It serves what `src/sync/redmine.rs` reads: `GET
//! /issues.json` (offset/limit paging with `total_count`; filters are not evaluated, every
//! issue comes back and the connector skips unchanged rows), one issue with or without
//! `include=journals`, the status and priority enumerations; and what it writes: `PUT
//! /issues/{id}.json` with `status_id`, `priority_id` and `notes`. A write is applied the moment
//! it arrives and answered (204) only 150 ms later (or `answer_delay_ms`), so a SIGKILL can land
//! after Redmine applied it and before opsdeck heard back. Effects are counted per issue (each
//! note appended, each status or priority change), so duplicates show.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

/// Redmine's default statuses (as in tests/fixtures/redmine/issue_statuses.json).
const STATUSES: [(u64, &str, bool); 3] = [
    (1, "New", false),
    (2, "In Progress", false),
    (5, "Closed", true),
];
/// Redmine's default priorities, in Redmine's order.
const PRIORITIES: [(u64, &str); 5] = [
    (1, "Low"),
    (2, "Normal"),
    (3, "High"),
    (4, "Urgent"),
    (5, "Immediate"),
];

/// One issue `RM-<n>` as the fake holds it.
#[derive(Debug, Clone)]
pub struct RmIssue {
    pub status_id: u64,
    pub priority_id: u64,
    /// Journal notes in the order they were written (a close reason is one too).
    pub notes: Vec<String>,
    /// Writes that changed `status_id`.
    pub status_changes: usize,
    /// Writes that changed `priority_id`.
    pub priority_changes: usize,
    /// Bumped on every write; `updated_on` is derived from it.
    pub updated: u64,
}

impl Default for RmIssue {
    fn default() -> Self {
        Self {
            status_id: 1,
            priority_id: 2,
            notes: Vec::new(),
            status_changes: 0,
            priority_changes: 0,
            updated: 0,
        }
    }
}

#[derive(Default)]
pub struct RmState {
    /// n → issue `n`.
    pub issues: BTreeMap<u64, RmIssue>,
    pub clock: u64,
    /// How long a write's answer is held back after it is applied (0: 150 ms).
    pub answer_delay_ms: u64,
    /// Writes applied so far.
    pub writes: usize,
}

/// The Redmine fake; `Clone` shares the state.
#[derive(Clone, Default)]
pub struct RmFake(pub Arc<Mutex<RmState>>);

/// When the fake's issues were created (a day ago, fixed per process).
static BASE: OnceLock<chrono::DateTime<chrono::Utc>> = OnceLock::new();

fn stamp(n: u64) -> String {
    let t = *BASE.get_or_init(|| opsdeck::clock::system().now() - chrono::TimeDelta::days(1))
        + chrono::TimeDelta::seconds(i64::try_from(n).unwrap_or(0));
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn issue_json(n: u64, i: &RmIssue, journals: bool) -> Value {
    let (sid, sname, closed) = STATUSES
        .iter()
        .copied()
        .find(|s| s.0 == i.status_id)
        .unwrap_or(STATUSES[0]);
    let (pid, pname) = PRIORITIES
        .iter()
        .copied()
        .find(|p| p.0 == i.priority_id)
        .unwrap_or(PRIORITIES[1]);
    let mut v = json!({
        "id": n, "project": {"id": 1, "name": "ops"}, "tracker": {"id": 1, "name": "Bug"},
        "status": {"id": sid, "name": sname, "is_closed": closed},
        "priority": {"id": pid, "name": pname},
        "subject": format!("battery bug {n}"), "description": "",
        "created_on": stamp(0), "updated_on": stamp(i.updated),
        "closed_on": if closed { json!(stamp(i.updated)) } else { Value::Null },
    });
    if journals {
        v["journals"] = i
            .notes
            .iter()
            .enumerate()
            .map(|(k, note)| json!({"id": k + 1, "notes": note, "details": []}))
            .collect();
    }
    v
}

impl Respond for RmFake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = req.url.path().trim_matches('/').to_owned();
        let parts: Vec<&str> = path.split('/').collect();
        let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        let held = Duration::from_millis(if s.answer_delay_ms == 0 {
            150
        } else {
            s.answer_delay_ms
        });
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["issues.json"]) => {
                let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
                let limit: usize = q
                    .get("limit")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(25)
                    .min(100);
                let page: Vec<Value> = s
                    .issues
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|(n, i)| issue_json(*n, i, false))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({
                    "issues": page, "total_count": s.issues.len(), "offset": offset, "limit": limit
                }))
            }
            ("GET", ["issue_statuses.json"]) => ResponseTemplate::new(200).set_body_json(json!({
                "issue_statuses": STATUSES.iter().map(|(id, name, closed)|
                    json!({"id": id, "name": name, "is_closed": closed})).collect::<Vec<_>>()
            })),
            ("GET", ["enumerations", "issue_priorities.json"]) => ResponseTemplate::new(200)
                .set_body_json(json!({
                    "issue_priorities": PRIORITIES.iter().map(|(id, name)|
                        json!({"id": id, "name": name, "is_default": *id == 2, "active": true}))
                        .collect::<Vec<_>>()
                })),
            ("GET", ["issues", file]) => {
                let n: Option<u64> = file.strip_suffix(".json").and_then(|n| n.parse().ok());
                match n.and_then(|n| Some((n, s.issues.get(&n)?))) {
                    Some((n, i)) => ResponseTemplate::new(200).set_body_json(
                        json!({"issue": issue_json(n, i, q.get("include").is_some_and(|v| v.contains("journals")))}),
                    ),
                    None => ResponseTemplate::new(404),
                }
            }
            ("PUT", ["issues", file]) => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let n: Option<u64> = file.strip_suffix(".json").and_then(|n| n.parse().ok());
                s.clock += 1;
                s.writes += 1;
                let now = s.clock;
                let Some(i) = n.and_then(|n| s.issues.get_mut(&n)) else {
                    return ResponseTemplate::new(404);
                };
                let fields = &body["issue"];
                i.updated = now;
                if let Some(id) = fields["status_id"].as_u64() {
                    if id != i.status_id {
                        i.status_id = id;
                        i.status_changes += 1;
                    }
                }
                if let Some(id) = fields["priority_id"].as_u64() {
                    if id != i.priority_id {
                        i.priority_id = id;
                        i.priority_changes += 1;
                    }
                }
                if let Some(note) = fields["notes"].as_str().filter(|t| !t.is_empty()) {
                    i.notes.push(note.to_owned());
                }
                ResponseTemplate::new(204).set_delay(held)
            }
            _ => ResponseTemplate::new(404),
        }
    }
}
