//! A PagerDuty fake for the connector tests: the vendor's payload shapes (tests/fixtures/pagerduty),
//! offset/limit/more paging, a guard that fails the test on a write without `From`, and store
//! helpers that queue edits the way the UI and the engine do.
#![allow(dead_code)]

use opsdeck::sync::Build as _;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::config::{Config, SourceConfig as Settings};
use opsdeck::domain::{EntityKind, EntityRef, Incident, IncidentStatus, Priority};
use opsdeck::store::{write, Operation, OutboxEntry, Store};
use opsdeck::sync::http::Clock;
use opsdeck::sync::pagerduty::PagerDutySource;
use opsdeck::sync::secret::Secret;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

pub const EMAIL: &str = "oncall.engineer@example.com";
pub const TOKEN: &str = "pd_CANARY_7f3a9c_never_logged";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 26, 12, 0, 0).unwrap()
}

pub fn fixed_clock() -> Clock {
    Arc::new(now)
}

pub fn settings(base: &str, extra: &str) -> Settings {
    let text = format!(
        "[[sources]]\nname = \"pd\"\nkind = \"pagerduty\"\nbase_url = \"{base}\"\n\
         token_env = \"PD_TOKEN\"\n{extra}\n"
    );
    Config::parse(&text, "test.toml").unwrap().sources.remove(0)
}

pub fn source_with(base: &str, extra: &str, clock: Clock) -> PagerDutySource {
    PagerDutySource::new(&settings(base, extra), Some(Secret::new(TOKEN)), clock).unwrap()
}

pub fn source(base: &str) -> PagerDutySource {
    source_with(base, &format!("email = \"{EMAIL}\""), fixed_clock())
}

pub fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/pagerduty/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The vendor's list example incident, re-identified and put in `status`.
pub fn incident(id: &str, number: i64, status: &str) -> Value {
    let mut i = fixture("incidents-list.json")["incidents"][0].clone();
    i["id"] = json!(id);
    i["incident_number"] = json!(number);
    i["status"] = json!(status);
    i["html_url"] = json!(format!("https://subdomain.pagerduty.com/incidents/{id}"));
    if status != "resolved" {
        i["resolved_at"] = Value::Null;
    }
    i
}

pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.db")).unwrap();
    (dir, store)
}

/// Serves a listing with PagerDuty's offset/limit/more paging.
pub struct Pages(pub Vec<Value>);

impl Respond for Pages {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        let offset: usize = q.get("offset").map_or(0, |v| v.parse().unwrap());
        let limit: usize = q.get("limit").map_or(25, |v| v.parse().unwrap());
        assert!(limit <= 100, "PagerDuty caps limit at 100");
        let end = (offset + limit).min(self.0.len());
        let page = &self.0[offset.min(end)..end];
        ResponseTemplate::new(200).set_body_json(json!({
            "incidents": page, "limit": limit, "offset": offset, "more": offset + limit < self.0.len()
        }))
    }
}

pub async fn mount_listing(server: &MockServer, status: &str, incidents: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("statuses[]", status))
        .respond_with(Pages(incidents))
        .mount(server)
        .await;
}

pub async fn mount_empty_timelines(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path_regex(r"^/incidents/[^/]+/log_entries$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"log_entries": [], "more": false})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/incidents/[^/]+/notes$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"notes": []})))
        .mount(server)
        .await;
}

/// Matches any write that lacks `From: <EMAIL>`; mounted with `expect(0)` it fails the test.
pub struct WriteWithoutFrom;

impl Match for WriteWithoutFrom {
    fn matches(&self, req: &Request) -> bool {
        let write = req.method != wiremock::http::Method::GET;
        let from = req.headers.get("from").and_then(|v| v.to_str().ok());
        write && from != Some(EMAIL)
    }
}

pub async fn forbid_writes_without_from(server: &MockServer) {
    Mock::given(WriteWithoutFrom)
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "From header required"}})),
        )
        .with_priority(1)
        .expect(0)
        .named("a write without the From header")
        .mount(server)
        .await;
}

pub fn seed(store: &mut Store, external_id: &str, status: IncidentStatus) -> i64 {
    let created = now() - TimeDelta::minutes(10);
    let inc = Incident {
        id: 0,
        source: "pd".into(),
        external_id: external_id.into(),
        number: 7,
        title: "Checkout 5xx".into(),
        severity: Priority::P1,
        status,
        service: "checkout".into(),
        assignee: Some("Oncall Engineer".into()),
        created_at: created,
        acknowledged_at: None,
        resolved_at: None,
        url: None,
        customers: vec![],
        pending: false,
        conflict: false,
    };
    store
        .write(|tx| write::upsert_incident(tx, &inc, Some(created), now()))
        .unwrap()
}

/// Commits `op` like the UI does and takes it from the outbox like the engine does.
pub fn queue(store: &mut Store, id: i64, op: Operation) -> OutboxEntry {
    let entity = EntityRef {
        kind: EntityKind::Incident,
        id,
    };
    store
        .commit_edit(entity, &op, now(), "me", &["pd".to_owned()])
        .unwrap();
    let entry = store.next_to_push("pd", now()).unwrap().unwrap();
    store.mark_inflight(entry.seq, now()).unwrap();
    store.next_to_push("pd", now()).unwrap().unwrap()
}

pub fn ack_op() -> Operation {
    Operation::SetIncidentStatus {
        old: IncidentStatus::Triggered,
        new: IncidentStatus::Acknowledged,
        resolution: None,
        at: now(),
    }
}

pub fn resolve_op() -> Operation {
    Operation::SetIncidentStatus {
        old: IncidentStatus::Triggered,
        new: IncidentStatus::Resolved,
        resolution: None,
        at: now(),
    }
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

pub fn writes(reqs: &[Request]) -> usize {
    reqs.iter()
        .filter(|r| r.method != wiremock::http::Method::GET)
        .count()
}
