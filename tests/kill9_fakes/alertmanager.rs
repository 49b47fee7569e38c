//! A stateful Alertmanager API v2 fake for the kill -9 loop over silences
//! (`battery_kill9_silence.rs`): `GET /api/v2/alerts` and `GET /api/v2/silences` answer from
//! its state (an alert silenced by a live silence reads `suppressed` with `silencedBy`), and
//! `POST /api/v2/silences` creates the silence the moment it arrives but answers
//! `{"silenceID": ...}` only 150 ms later (or `answer_delay_ms`), so a SIGKILL can land after
//! the remote applied the write and before the client heard back. Every silence ever created
//! is kept, so duplicates are counted rather than hidden.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

/// One silence as the fake stored it.
#[derive(Debug, Clone)]
pub struct FakeSilence {
    pub id: String,
    /// (name, value, isRegex), as posted.
    pub matchers: Vec<(String, String, bool)>,
    pub created_by: String,
    pub comment: String,
    pub starts_at: String,
    pub ends_at: String,
}

impl FakeSilence {
    /// Whether every (non-regex, equality) matcher holds on `labels`.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.matchers.is_empty()
            && self
                .matchers
                .iter()
                .all(|(n, v, re)| !re && labels.get(n) == Some(v))
    }
}

#[derive(Default)]
pub struct AmState {
    /// fingerprint → labels of a firing alert.
    pub alerts: BTreeMap<String, BTreeMap<String, String>>,
    /// Every silence created, in order (never removed: expiry is not part of this loop).
    pub silences: Vec<FakeSilence>,
    /// When the alerts started firing (RFC 3339).
    pub started: String,
    /// How long a silence POST's answer is held back after the silence is created (0: 150 ms).
    pub answer_delay_ms: u64,
}

/// The Alertmanager fake; `Clone` shares the state.
#[derive(Clone, Default)]
pub struct AmFake(pub Arc<Mutex<AmState>>);

fn silence_json(s: &FakeSilence) -> Value {
    json!({
        "id": s.id,
        "matchers": s.matchers.iter().map(|(n, v, re)| json!({
            "name": n, "value": v, "isRegex": re, "isEqual": true,
        })).collect::<Vec<_>>(),
        "startsAt": s.starts_at, "endsAt": s.ends_at, "updatedAt": s.starts_at,
        "createdBy": s.created_by, "comment": s.comment,
        "status": {"state": "active"},
    })
}

impl Respond for AmFake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = req.url.path().trim_matches('/').to_owned();
        let parts: Vec<&str> = path.split('/').collect();
        let get = req.method == wiremock::http::Method::GET;
        match (get, parts.as_slice()) {
            (true, ["api", "v2", "alerts"]) => {
                let list: Vec<Value> = s
                    .alerts
                    .iter()
                    .map(|(fp, labels)| {
                        let by: Vec<&str> = s
                            .silences
                            .iter()
                            .filter(|x| x.matches(labels))
                            .map(|x| x.id.as_str())
                            .collect();
                        let state = if by.is_empty() {
                            "active"
                        } else {
                            "suppressed"
                        };
                        json!({
                            "fingerprint": fp, "labels": labels,
                            "annotations": {"summary": format!("battery alert {fp}")},
                            "startsAt": s.started, "endsAt": "2099-01-01T00:00:00Z",
                            "updatedAt": s.started,
                            "generatorURL": "http://127.0.0.1/graph",
                            "receivers": [{"name": "oncall"}],
                            "status": {"state": state, "silencedBy": by, "inhibitedBy": []},
                        })
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(list))
            }
            (true, ["api", "v2", "silences"]) => ResponseTemplate::new(200)
                .set_body_json(Value::Array(s.silences.iter().map(silence_json).collect())),
            (true, ["api", "v2", "silence", id]) => match s.silences.iter().find(|x| x.id == *id) {
                Some(x) => ResponseTemplate::new(200).set_body_json(silence_json(x)),
                None => ResponseTemplate::new(404).set_body_json(json!("silence not found")),
            },
            (false, ["api", "v2", "silences"]) => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let text = |k: &str| body[k].as_str().unwrap_or("").to_owned();
                let matchers: Vec<(String, String, bool)> = body["matchers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| {
                        (
                            m["name"].as_str().unwrap_or("").to_owned(),
                            m["value"].as_str().unwrap_or("").to_owned(),
                            m["isRegex"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect();
                if matchers.is_empty() {
                    return ResponseTemplate::new(400).set_body_json(json!("missing matchers"));
                }
                let id = format!("5e1e0000-0000-4000-8000-{:012}", s.silences.len() + 1);
                s.silences.push(FakeSilence {
                    id: id.clone(),
                    matchers,
                    created_by: text("createdBy"),
                    comment: text("comment"),
                    starts_at: text("startsAt"),
                    ends_at: text("endsAt"),
                });
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "silenceID": id }))
                    .set_delay(Duration::from_millis(if s.answer_delay_ms == 0 {
                        150
                    } else {
                        s.answer_delay_ms
                    }))
            }
            _ => ResponseTemplate::new(404).set_body_json(json!("not found")),
        }
    }
}
