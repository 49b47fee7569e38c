//! Stateful fakes for the kill -9 loop over PagerDuty and GitHub Deployments edits
//! (`battery_kill9_kinds.rs`) and Alertmanager silences ([`alertmanager`],
//! `battery_kill9_silence.rs`): each applies a write the moment it arrives and answers it only
//! 150 ms later, so a SIGKILL can land after the remote applied the write but before the
//! client heard back, and each counts the remote effects per target. Jira Cloud and Redmine
//! ([`jira`], [`redmine`]) serve the tracker loop, `battery_kill9_trackers.rs`.
#![allow(dead_code)]

pub mod alertmanager;
pub mod jira;
pub mod redmine;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

pub const EMAIL: &str = "oncall@example.com";
pub const ME: &str = "PME0001";

#[derive(Default)]
pub struct PdState {
    /// id → (status, updated_at counter).
    pub status: BTreeMap<String, (String, u64)>,
    /// id → status PUTs received (each one a remote effect: a re-sent ack resets timers).
    pub puts: BTreeMap<String, usize>,
    /// id → note contents.
    pub notes: BTreeMap<String, Vec<String>>,
    pub clock: u64,
}

/// A PagerDuty fake with state: listings, reads, status PUTs and notes. Writes are applied
/// when they arrive and answered 150 ms later, so a kill can land in between.
#[derive(Clone, Default)]
pub struct PdFake(pub Arc<Mutex<PdState>>);

fn stamp(n: u64) -> String {
    let t = chrono::DateTime::from_timestamp(1_790_000_000 + i64::try_from(n).unwrap_or(0), 0)
        .unwrap_or_default();
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn incident_json(id: &str, status: &str, updated: u64) -> Value {
    let number: i64 = id.trim_start_matches("PB").parse().unwrap_or(0);
    let acks = if status == "acknowledged" {
        json!([{"at": stamp(updated), "acknowledger": {"id": ME, "summary": "Me"}}])
    } else {
        json!([])
    };
    json!({
        "id": id, "type": "incident", "incident_number": number, "title": format!("battery {id}"),
        "status": status, "urgency": "high",
        "service": {"id": "PSVC001", "summary": "checkout"},
        "assignments": [], "acknowledgements": acks,
        "html_url": format!("https://example.pagerduty.com/incidents/{id}"),
        "created_at": stamp(0), "updated_at": stamp(updated),
        "last_status_change_at": stamp(updated),
        "resolved_at": if status == "resolved" { json!(stamp(updated)) } else { Value::Null },
    })
}

impl Respond for PdFake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = req.url.path().trim_matches('/').to_owned();
        let parts: Vec<&str> = path.split('/').collect();
        let get = req.method == wiremock::http::Method::GET;
        let held = Duration::from_millis(150);
        match (get, parts.as_slice()) {
            (true, ["incidents"]) => {
                let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
                let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
                let all: Vec<Value> = s
                    .status
                    .iter()
                    .map(|(id, (st, up))| incident_json(id, st, *up))
                    .collect();
                let page: Vec<Value> = all.iter().skip(offset).take(100).cloned().collect();
                ResponseTemplate::new(200).set_body_json(json!({
                    "incidents": page, "limit": 100, "offset": offset,
                    "more": offset + 100 < all.len()
                }))
            }
            (true, ["incidents", id]) => match s.status.get(*id) {
                Some((st, up)) => ResponseTemplate::new(200)
                    .set_body_json(json!({"incident": incident_json(id, st, *up)})),
                None => ResponseTemplate::new(404),
            },
            (false, ["incidents", id]) => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let new = body["incident"]["status"].as_str().unwrap_or("").to_owned();
                s.clock += 1;
                let now = s.clock;
                *s.puts.entry((*id).to_owned()).or_default() += 1;
                let Some(entry) = s.status.get_mut(*id) else {
                    return ResponseTemplate::new(404);
                };
                *entry = (new.clone(), now);
                ResponseTemplate::new(200)
                    .set_body_json(json!({"incident": incident_json(id, &new, now)}))
                    .set_delay(held)
            }
            (true, ["incidents", id, "notes"]) => {
                let notes: Vec<Value> = s
                    .notes
                    .get(*id)
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, c)| json!({"id": format!("N{id}{i}"), "content": c, "created_at": stamp(1)}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({ "notes": notes }))
            }
            (false, ["incidents", id, "notes"]) => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let content = body["note"]["content"].as_str().unwrap_or("").to_owned();
                let list = s.notes.entry((*id).to_owned()).or_default();
                list.push(content.clone());
                let n = list.len();
                ResponseTemplate::new(201)
                    .set_body_json(json!({"note": {
                        "id": format!("N{id}{n}"), "content": content, "created_at": stamp(1),
                        "user": {"id": ME, "summary": "Me"}
                    }}))
                    .set_delay(held)
            }
            (true, ["incidents", _, "log_entries"] | ["log_entries"]) => {
                ResponseTemplate::new(200).set_body_json(json!({"log_entries": [], "more": false}))
            }
            (true, ["users"]) => ResponseTemplate::new(200)
                .set_body_json(json!({"users": [{"id": ME, "name": "Me", "email": EMAIL}]})),
            _ => ResponseTemplate::new(404),
        }
    }
}

#[derive(Default)]
pub struct DepState {
    /// The server's base URL (for `Link` headers).
    pub base: String,
    /// When the deployments were created (recent: the pull reads 90 days back).
    pub created: String,
    /// deployment id → statuses (state, description), oldest first.
    pub statuses: BTreeMap<u64, Vec<(String, String)>>,
    /// deployment id → status POSTs received.
    pub posts: BTreeMap<u64, usize>,
}

/// A GitHub Deployments fake with state: `Link`-paged listing, statuses read and written;
/// a status POST is applied at once and answered 150 ms later.
#[derive(Clone, Default)]
pub struct DepFake(pub Arc<Mutex<DepState>>);

impl Respond for DepFake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = req.url.path().trim_matches('/').to_owned();
        let parts: Vec<&str> = path.split('/').collect();
        let get = req.method == wiremock::http::Method::GET;
        let status_json = |id: u64, n: usize, st: &str, desc: &str, at: &str| {
            json!({"id": id * 1000 + n as u64, "state": st, "description": desc,
                   "creator": {"login": "me"}, "created_at": at, "updated_at": at})
        };
        match (get, parts.as_slice()) {
            (true, ["repos", "o", "r", "deployments"]) => {
                let page: usize = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "page")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let ids: Vec<u64> = s.statuses.keys().rev().copied().collect();
                let list: Vec<Value> = ids
                    .iter()
                    .skip((page - 1) * 100)
                    .take(100)
                    .map(|id| {
                        json!({"id": id, "sha": format!("{id:040x}"), "ref": "main", "task": "deploy",
                               "environment": "production", "description": "battery",
                               "creator": {"login": "me"}, "created_at": s.created, "updated_at": s.created})
                    })
                    .collect();
                let mut t = ResponseTemplate::new(200).set_body_json(Value::Array(list));
                if page * 100 < ids.len() {
                    t = t.insert_header(
                        "link",
                        format!(
                            "<{}/repos/o/r/deployments?per_page=100&page={}>; rel=\"next\"",
                            s.base,
                            page + 1
                        )
                        .as_str(),
                    );
                }
                t
            }
            (true, ["repos", "o", "r", "deployments", id, "statuses"]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let at = s.created.clone();
                let empty = Vec::new();
                let list: Vec<Value> = s
                    .statuses
                    .get(&id)
                    .unwrap_or(&empty)
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(n, (st, d))| status_json(id, n, st, d, &at))
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(list))
            }
            (false, ["repos", "o", "r", "deployments", id, "statuses"]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let st = body["state"].as_str().unwrap_or("").to_owned();
                let desc = body["description"].as_str().unwrap_or("").to_owned();
                *s.posts.entry(id).or_default() += 1;
                let at = s.created.clone();
                let list = s.statuses.entry(id).or_default();
                list.push((st.clone(), desc.clone()));
                let n = list.len();
                ResponseTemplate::new(201)
                    .set_body_json(status_json(id, n, &st, &desc, &at))
                    .set_delay(Duration::from_millis(150))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}
