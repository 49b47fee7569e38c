//! A stateful Jira Cloud REST v3 fake for the kill -9 loop over tracker edits
//! (`battery_kill9_trackers.rs`). It serves what `src/sync/jira.rs` reads: the search
//! (`GET /rest/api/3/search/jql`, `nextPageToken` paging, 100 a page, the JQL itself is not
//! evaluated: every issue comes back and the connector skips unchanged rows), `/myself`, one
//! issue, its transitions and comments; and what it writes: `POST …/transitions`, `POST
//! …/comment` (ADF kept as posted) and `PUT /issue/{key}` with `update.labels` add/remove.
//! Every write is applied the moment it arrives and answered only 150 ms later (or
//! `answer_delay_ms`), so a SIGKILL can land after Jira applied it and before opsdeck heard
//! back. Effects are counted per issue (status changes, comments, label additions that
//! changed the set), so duplicates show rather than being absorbed.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

/// One issue `OPS-<n>` as the fake holds it.
#[derive(Debug, Clone, Default)]
pub struct JiraIssue {
    /// `true` once in the Done category.
    pub done: bool,
    pub labels: Vec<String>,
    /// Comment bodies (ADF) in the order they were posted.
    pub comments: Vec<Value>,
    /// Transitions that changed the status (a re-sent close shows as 2).
    pub status_changes: usize,
    /// label → times an `add` put it on the issue when it was absent.
    pub label_adds: BTreeMap<String, usize>,
    /// `PUT /issue` label writes received (re-sends included).
    pub label_puts: usize,
    /// Bumped on every write; `fields.updated` is derived from it.
    pub updated: u64,
}

#[derive(Default)]
pub struct JiraState {
    /// n → issue `OPS-<n>` (id `10000 + n`).
    pub issues: BTreeMap<u64, JiraIssue>,
    pub clock: u64,
    /// How long a write's answer is held back after it is applied (0: 150 ms).
    pub answer_delay_ms: u64,
    /// Writes applied so far (any kind), so a test can wait for "applied, not answered".
    pub writes: usize,
}

/// The Jira fake; `Clone` shares the state.
#[derive(Clone, Default)]
pub struct JiraFake(pub Arc<Mutex<JiraState>>);

/// When the fake's issues were created (a day ago, fixed per process).
static BASE: OnceLock<chrono::DateTime<chrono::Utc>> = OnceLock::new();

/// Jira's own timestamp form (`2026-01-01T10:00:00.000+0000`), recent so a pull reads it.
fn stamp(n: u64) -> String {
    let t = *BASE.get_or_init(|| opsdeck::clock::system().now() - chrono::TimeDelta::days(1))
        + chrono::TimeDelta::seconds(i64::try_from(n).unwrap_or(0));
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

fn status_json(done: bool) -> Value {
    if done {
        json!({"name": "Done", "statusCategory": {"key": "done"}})
    } else {
        json!({"name": "To Do", "statusCategory": {"key": "new"}})
    }
}

fn issue_json(n: u64, i: &JiraIssue, created: &str) -> Value {
    json!({
        "id": (10_000 + n).to_string(), "key": format!("OPS-{n}"),
        "fields": {
            "summary": format!("battery bug {n}"),
            "status": status_json(i.done),
            "priority": {"name": "Medium"},
            "assignee": null,
            "labels": i.labels,
            "created": created, "updated": stamp(i.updated),
            "resolutiondate": if i.done { json!(stamp(i.updated)) } else { Value::Null },
        }
    })
}

/// `OPS-<n>` → n.
fn number(key: &str) -> Option<u64> {
    key.strip_prefix("OPS-")?.parse().ok()
}

impl Respond for JiraFake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = req.url.path().trim_matches('/').to_owned();
        let parts: Vec<&str> = path.split('/').collect();
        let method = req.method.as_str().to_owned();
        let held = Duration::from_millis(if s.answer_delay_ms == 0 {
            150
        } else {
            s.answer_delay_ms
        });
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let created = stamp(0);
        let rest: Vec<&str> = match parts.as_slice() {
            ["rest", "api", "3", tail @ ..] => tail.to_vec(),
            _ => return ResponseTemplate::new(404),
        };
        match (method.as_str(), rest.as_slice()) {
            ("GET", ["search", "jql"]) => {
                let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
                let from: usize = q
                    .get("nextPageToken")
                    .and_then(|t| t.strip_prefix("after-"))
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let all: Vec<Value> = s
                    .issues
                    .iter()
                    .map(|(n, i)| issue_json(*n, i, &created))
                    .collect();
                let page: Vec<Value> = all.iter().skip(from).take(100).cloned().collect();
                let last = from + 100 >= all.len();
                let mut answer = json!({"issues": page, "isLast": last});
                if !last {
                    answer["nextPageToken"] = json!(format!("after-{}", from + 100));
                }
                ResponseTemplate::new(200).set_body_json(answer)
            }
            ("GET", ["myself"]) => ResponseTemplate::new(200)
                .set_body_json(json!({"accountId": "557058:me", "timeZone": "UTC"})),
            ("GET", ["issue", key]) => match number(key).and_then(|n| Some((n, s.issues.get(&n)?)))
            {
                Some((n, i)) => {
                    ResponseTemplate::new(200).set_body_json(issue_json(n, i, &created))
                }
                None => ResponseTemplate::new(404),
            },
            ("GET", ["issue", key, "transitions"]) if number(key).is_some() => {
                ResponseTemplate::new(200).set_body_json(json!({"transitions": [
                    {"id": "11", "name": "To Do", "to": status_json(false)},
                    {"id": "31", "name": "Done", "to": status_json(true)},
                ]}))
            }
            ("GET", ["issue", key, "comment"]) => {
                let Some(i) = number(key).and_then(|n| s.issues.get(&n)) else {
                    return ResponseTemplate::new(404);
                };
                let list: Vec<Value> = i
                    .comments
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(c, b)| json!({"id": c.to_string(), "body": b}))
                    .collect();
                let total = list.len();
                ResponseTemplate::new(200).set_body_json(
                    json!({"comments": list, "startAt": 0, "maxResults": 100, "total": total}),
                )
            }
            (write, ["issue", key, ..]) if write != "GET" => {
                s.clock += 1;
                s.writes += 1;
                let now = s.clock;
                let Some(i) = number(key).and_then(|n| s.issues.get_mut(&n)) else {
                    return ResponseTemplate::new(404);
                };
                i.updated = now;
                let answer = match (write, &rest[2..]) {
                    ("POST", ["transitions"]) => {
                        let done = body["transition"]["id"].as_str() == Some("31");
                        if done != i.done {
                            i.status_changes += 1;
                            i.done = done;
                        }
                        ResponseTemplate::new(204)
                    }
                    ("POST", ["comment"]) => {
                        i.comments.push(body["body"].clone());
                        ResponseTemplate::new(201).set_body_json(
                            json!({"id": i.comments.len().to_string(), "body": body["body"]}),
                        )
                    }
                    ("PUT", []) => {
                        i.label_puts += 1;
                        for change in body["update"]["labels"].as_array().into_iter().flatten() {
                            if let Some(l) = change["add"].as_str() {
                                if !i.labels.iter().any(|x| x == l) {
                                    i.labels.push(l.to_owned());
                                    *i.label_adds.entry(l.to_owned()).or_default() += 1;
                                }
                            }
                            if let Some(l) = change["remove"].as_str() {
                                i.labels.retain(|x| x != l);
                            }
                        }
                        ResponseTemplate::new(204)
                    }
                    _ => return ResponseTemplate::new(405),
                };
                answer.set_delay(held)
            }
            _ => ResponseTemplate::new(404),
        }
    }
}
