//! PagerDuty connector against a wiremock fake that serves PagerDuty's own payload shapes
//! (tests/fixtures/pagerduty, copied from the vendor's OpenAPI examples) with a real on-disk
//! store: paging, the `From` header, rate limits, and the E4 rules for queued status edits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::config::{Config, SourceConfig as Settings};
use opsdeck::domain::{EntityKind, EntityRef, Incident, IncidentStatus, Priority};
use opsdeck::store::{write, Operation, OutboxEntry, Store};
use opsdeck::sync::http::Clock;
use opsdeck::sync::pagerduty::PagerDutySource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::{PushOutcome, SyncError};
use rstest::rstest;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

const EMAIL: &str = "oncall.engineer@example.com";
const TOKEN: &str = "pd_CANARY_7f3a9c_never_logged";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 26, 12, 0, 0).unwrap()
}

fn fixed_clock() -> Clock {
    Arc::new(now)
}

fn settings(base: &str, extra: &str) -> Settings {
    let text = format!(
        "[[sources]]\nname = \"pd\"\nkind = \"pagerduty\"\nbase_url = \"{base}\"\n\
         token_env = \"PD_TOKEN\"\n{extra}\n"
    );
    Config::parse(&text, "test.toml").unwrap().sources.remove(0)
}

fn source_with(base: &str, extra: &str, clock: Clock) -> PagerDutySource {
    PagerDutySource::new(&settings(base, extra), Some(Secret::new(TOKEN)), clock).unwrap()
}

fn source(base: &str) -> PagerDutySource {
    source_with(base, &format!("email = \"{EMAIL}\""), fixed_clock())
}

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/pagerduty/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The vendor's list example incident, re-identified and put in `status`.
fn incident(id: &str, number: i64, status: &str) -> Value {
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

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.db")).unwrap();
    (dir, store)
}

/// Serves a listing with PagerDuty's offset/limit/more paging.
struct Pages(Vec<Value>);

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

async fn mount_listing(server: &MockServer, status: &str, incidents: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("statuses[]", status))
        .respond_with(Pages(incidents))
        .mount(server)
        .await;
}

async fn mount_empty_timelines(server: &MockServer) {
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
struct WriteWithoutFrom;

impl Match for WriteWithoutFrom {
    fn matches(&self, req: &Request) -> bool {
        let write = req.method != wiremock::http::Method::GET;
        let from = req.headers.get("from").and_then(|v| v.to_str().ok());
        write && from != Some(EMAIL)
    }
}

async fn forbid_writes_without_from(server: &MockServer) {
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

fn seed(store: &mut Store, external_id: &str, status: IncidentStatus) -> i64 {
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
fn queue(store: &mut Store, id: i64, op: Operation) -> OutboxEntry {
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

fn ack_op() -> Operation {
    Operation::SetIncidentStatus {
        old: IncidentStatus::Triggered,
        new: IncidentStatus::Acknowledged,
        resolution: None,
        at: now(),
    }
}

fn resolve_op() -> Operation {
    Operation::SetIncidentStatus {
        old: IncidentStatus::Triggered,
        new: IncidentStatus::Resolved,
        resolution: None,
        at: now(),
    }
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn writes(reqs: &[Request]) -> usize {
    reqs.iter()
        .filter(|r| r.method != wiremock::http::Method::GET)
        .count()
}

#[rstest]
#[case::no_incidents(0, 1)]
#[case::one_incident(1, 1)]
#[case::exactly_one_full_page(100, 1)]
#[case::one_past_a_full_page(101, 2)]
#[case::two_and_a_half_pages(250, 3)]
#[tokio::test]
async fn the_active_set_is_read_page_by_page_until_more_is_false(
    #[case] count: usize,
    #[case] pages: usize,
) {
    let server = MockServer::start().await;
    let active: Vec<Value> = (0..count)
        .map(|n| incident(&format!("PA{n:05}"), n as i64, "triggered"))
        .collect();
    mount_listing(&server, "triggered", active).await;
    mount_listing(&server, "resolved", vec![]).await;
    mount_empty_timelines(&server).await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());

    let report = pd.pull(&mut store, now()).await.unwrap();

    assert_eq!(report.fetched, count);
    assert_eq!(store.load_incidents(None).unwrap().len(), count);
    let reqs = requests(&server).await;
    let listing: Vec<&Request> = reqs
        .iter()
        .filter(|r| {
            r.url.path() == "/incidents" && r.url.query().unwrap_or("").contains("triggered")
        })
        .collect();
    assert_eq!(listing.len(), pages, "pages of the active set");
    let offsets: Vec<String> = listing
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .unwrap()
                .1
                .into_owned()
        })
        .collect();
    let expected: Vec<String> = (0..pages).map(|p| (p * 100).to_string()).collect();
    assert_eq!(offsets, expected);
    for r in &reqs {
        assert_eq!(
            r.headers["authorization"],
            format!("Token token={TOKEN}").as_str()
        );
        assert_eq!(
            r.headers["accept"],
            "application/vnd.pagerduty+json;version=2"
        );
    }
    let resolved = reqs
        .iter()
        .find(|r| r.url.query().unwrap_or("").contains("resolved"))
        .unwrap();
    let q: HashMap<_, _> = resolved.url.query_pairs().into_owned().collect();
    assert_eq!(
        q["since"], "2026-02-24T12:00:00Z",
        "first pull looks back 30 days"
    );
    assert_eq!(q["until"], "2026-03-26T12:00:00Z");
}

#[tokio::test]
async fn every_write_carries_the_from_header_and_the_vendor_body_shape() {
    let server = MockServer::start().await;
    forbid_writes_without_from(&server).await;
    Mock::given(method("GET"))
        .and(path("/incidents/PABC"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": incident("PABC", 7, "triggered")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/incidents/PABC"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("incident-update-response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/incidents/PABC/notes"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("incident-note-create-response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, mut store) = store();
    let id = seed(&mut store, "PABC", IncidentStatus::Triggered);
    let mut pd = source(&server.uri());

    let ack = queue(&mut store, id, ack_op());
    assert_eq!(
        pd.push(&mut store, &ack, now()).await.unwrap(),
        PushOutcome::Done
    );
    store.mark_done(ack.seq, now()).unwrap();
    let note = queue(
        &mut store,
        id,
        Operation::AddIncidentNote {
            body: "Firefighters are on the scene.".into(),
        },
    );
    assert_eq!(
        pd.push(&mut store, &note, now()).await.unwrap(),
        PushOutcome::Done
    );

    let reqs = requests(&server).await;
    let put = reqs
        .iter()
        .find(|r| r.method == wiremock::http::Method::PUT)
        .unwrap();
    assert_eq!(
        put.body_json::<Value>().unwrap(),
        json!({"incident": {"type": "incident_reference", "status": "acknowledged"}})
    );
    let post = reqs
        .iter()
        .find(|r| r.method == wiremock::http::Method::POST)
        .unwrap();
    assert_eq!(
        post.body_json::<Value>().unwrap(),
        json!({"note": {"content": "Firefighters are on the scene."}})
    );
    assert!(
        writes(&reqs) == 2
            && reqs
                .iter()
                .filter(|r| r.method != wiremock::http::Method::GET)
                .all(|r| r.headers["from"] == EMAIL)
    );
    let timeline = store.incident_timeline(id).unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "note" && e.who == "Earline Greenholt"),
        "the posted note is on the timeline"
    );
}

#[tokio::test]
async fn a_source_without_email_refuses_writes_as_a_config_error_and_sends_none() {
    let server = MockServer::start().await;
    forbid_writes_without_from(&server).await;
    Mock::given(method("GET"))
        .and(path("/incidents/PABC"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": incident("PABC", 7, "triggered")})),
        )
        .mount(&server)
        .await;
    let (_dir, mut store) = store();
    let id = seed(&mut store, "PABC", IncidentStatus::Triggered);
    let mut pd = source_with(&server.uri(), "", fixed_clock());

    let entry = queue(&mut store, id, ack_op());
    let err = pd.push(&mut store, &entry, now()).await.unwrap_err();

    assert!(matches!(err, SyncError::Config { .. }), "{err}");
    assert!(err.to_string().contains("email"), "{err}");
    assert_eq!(writes(&requests(&server).await), 0);
}

#[allow(clippy::disallowed_methods, reason = "this test observes a real wait")]
fn real_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Answers 429 with `ratelimit-reset: 1` once, then the listing; records arrival times.
struct LimitedOnce {
    arrivals: Arc<std::sync::Mutex<Vec<Instant>>>,
}

impl Respond for LimitedOnce {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(Instant::now());
        if arrivals.len() == 1 {
            ResponseTemplate::new(429)
                .insert_header("ratelimit-limit", "960")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", "1")
                .set_body_json(json!({"error": {"message": "Too many requests", "code": 2020}}))
        } else {
            ResponseTemplate::new(200).set_body_json(
                json!({"incidents": [incident("PABC", 7, "triggered")], "more": false}),
            )
        }
    }
}

#[tokio::test]
async fn a_429_on_pull_waits_out_ratelimit_reset_before_asking_again() {
    let server = MockServer::start().await;
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("statuses[]", "triggered"))
        .respond_with(LimitedOnce {
            arrivals: arrivals.clone(),
        })
        .mount(&server)
        .await;
    mount_listing(&server, "resolved", vec![]).await;
    mount_empty_timelines(&server).await;
    let (_dir, mut store) = store();
    let mut pd = source_with(&server.uri(), &format!("email = \"{EMAIL}\""), real_clock());

    #[allow(clippy::disallowed_methods, reason = "real clock for a real wait")]
    let report = pd.pull(&mut store, Utc::now()).await.unwrap();

    assert_eq!(report.fetched, 1);
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2, "one retry");
    assert!(
        arrivals[1] - arrivals[0] >= Duration::from_secs(1),
        "waited {:?}",
        arrivals[1] - arrivals[0]
    );
}

#[tokio::test]
async fn a_429_on_a_write_becomes_a_retry_at_the_reset_time_and_blocks_further_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/incidents/PABC"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": incident("PABC", 7, "triggered")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/incidents/PABC"))
        .respond_with(ResponseTemplate::new(429).insert_header("ratelimit-reset", "30"))
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, mut store) = store();
    let id = seed(&mut store, "PABC", IncidentStatus::Triggered);
    let mut pd = source(&server.uri());
    let entry = queue(&mut store, id, ack_op());

    let first = pd.push(&mut store, &entry, now()).await.unwrap();
    let before = requests(&server).await.len();
    let second = pd.push(&mut store, &entry, now()).await.unwrap();

    let PushOutcome::Retry { at, .. } = first else {
        panic!("expected Retry, got {first:?}")
    };
    assert_eq!(at, now() + TimeDelta::seconds(30));
    assert!(matches!(second, PushOutcome::Retry { .. }));
    assert_eq!(
        requests(&server).await.len(),
        before,
        "nothing is sent before the reset time"
    );
}

fn acked_by(id: &str, who_id: &str, who: &str) -> Value {
    let mut i = incident(id, 7, "acknowledged");
    i["acknowledgements"] = json!([{
        "at": "2026-03-26T11:58:00Z",
        "acknowledger": {"id": who_id, "type": "user_reference", "summary": who}
    }]);
    i
}

async fn mount_me(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": [
            {"id": "PME0001", "type": "user", "name": "Oncall Engineer", "email": EMAIL}
        ], "more": false})))
        .mount(server)
        .await;
}

#[rstest]
#[case::acked_by_someone_else("POTHER1", "Alice Other", PushOutcome::Conflict("acknowledged by Alice Other at 2026-03-26T11:58:00Z".into()))]
#[case::acked_by_me_elsewhere("PME0001", "Oncall Engineer", PushOutcome::Done)]
#[tokio::test]
async fn an_ack_on_an_already_acknowledged_incident_never_sends_a_put(
    #[case] who_id: &str,
    #[case] who: &str,
    #[case] expected: PushOutcome,
) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/incidents/PABC"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": acked_by("PABC", who_id, who)})),
        )
        .mount(&server)
        .await;
    mount_me(&server).await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let (_dir, mut store) = store();
    let id = seed(&mut store, "PABC", IncidentStatus::Triggered);
    let mut pd = source(&server.uri());

    let entry = queue(&mut store, id, ack_op());
    let outcome = pd.push(&mut store, &entry, now()).await.unwrap();

    assert_eq!(outcome, expected);
    assert_eq!(writes(&requests(&server).await), 0);
}

#[tokio::test]
async fn a_resolve_queued_for_an_incident_resolved_elsewhere_is_done_without_any_request() {
    let server = MockServer::start().await;
    mount_listing(&server, "triggered", vec![]).await;
    mount_listing(&server, "resolved", vec![incident("PABC", 7, "resolved")]).await;
    mount_empty_timelines(&server).await;
    let (_dir, mut store) = store();
    let id = seed(&mut store, "PABC", IncidentStatus::Triggered);
    let mut pd = source(&server.uri());
    let entry = queue(&mut store, id, resolve_op());
    pd.pull(&mut store, now()).await.unwrap();
    let before = requests(&server).await.len();

    let outcome = pd.push(&mut store, &entry, now()).await.unwrap();

    assert_eq!(outcome, PushOutcome::Done);
    assert_eq!(
        requests(&server).await.len(),
        before,
        "no request of any kind for the write"
    );
}

#[tokio::test]
async fn without_a_prior_pull_the_resolve_reads_first_and_still_sends_no_write() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/incidents/PABC"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": incident("PABC", 7, "resolved")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, mut store) = store();
    let id = seed(&mut store, "PABC", IncidentStatus::Triggered);
    let mut pd = source(&server.uri());
    let entry = queue(&mut store, id, resolve_op());

    let outcome = pd.push(&mut store, &entry, now()).await.unwrap();

    assert_eq!(outcome, PushOutcome::Done);
    assert_eq!(writes(&requests(&server).await), 0);
}

/// A log page for PT4KHLK: the vendor's trigger entry plus schema-derived acknowledge and
/// resolve entries (the spec has no example of those two types) and a notify entry.
fn log_entries() -> Value {
    let mut page = fixture("incident-log-entries.json");
    let trigger = page["log_entries"][0].clone();
    let entry = |id: &str, kind: &str, at: &str, summary: &str| {
        let mut e = trigger.clone();
        e["id"] = json!(id);
        e["type"] = json!(kind);
        e["created_at"] = json!(at);
        e["summary"] = json!(summary);
        e["agent"] =
            json!({"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"});
        e
    };
    let ack = entry(
        "R1ACK",
        "acknowledge_log_entry",
        "2015-10-06T17:34:42-04:00",
        "Acknowledged by Earline Greenholt",
    );
    let notify = entry(
        "R2NOT",
        "notify_log_entry",
        "2015-10-06T21:31:00Z",
        "Notified Earline Greenholt",
    );
    let resolve = entry(
        "R3RES",
        "resolve_log_entry",
        "2015-10-06T21:38:23Z",
        "Resolved by Earline Greenholt",
    );
    page["log_entries"][0]["created_at"] = json!("2015-10-06T21:30:42Z");
    let list = page["log_entries"].as_array_mut().unwrap();
    list.extend([ack, notify, resolve]);
    page["more"] = json!(false);
    page
}

#[tokio::test]
async fn a_resolved_incident_gets_its_first_ack_and_timeline_from_log_entries_once() {
    let server = MockServer::start().await;
    mount_listing(&server, "triggered", vec![]).await;
    mount_listing(
        &server,
        "resolved",
        fixture("incidents-list.json")["incidents"]
            .as_array()
            .unwrap()
            .clone(),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/incidents/PT4KHLK/log_entries"))
        .respond_with(ResponseTemplate::new(200).set_body_json(log_entries()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/incidents/PT4KHLK/notes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("incident-notes-list.json")))
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());

    pd.pull(&mut store, now()).await.unwrap();
    pd.pull(&mut store, now() + TimeDelta::minutes(1))
        .await
        .unwrap();

    let incidents = store.load_incidents(None).unwrap();
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert_eq!(i.status, IncidentStatus::Resolved);
    assert_eq!(i.severity, Priority::P1, "PagerDuty priority P2 maps to P1");
    assert_eq!(i.service, "My Mail Service");
    assert_eq!(
        i.acknowledged_at,
        Some(Utc.with_ymd_and_hms(2015, 10, 6, 21, 34, 42).unwrap()),
        "TTA 4 min from the log"
    );
    assert_eq!(
        i.resolved_at,
        Some(Utc.with_ymd_and_hms(2015, 10, 6, 21, 38, 23).unwrap())
    );
    let timeline = store.incident_timeline(i.id).unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["note", "note", "trigger", "acknowledge", "resolve"],
        "notify entries are left out; the unchanged incident is not fetched twice"
    );
}

#[tokio::test]
async fn hostile_text_from_the_api_is_sanitized_before_it_is_stored() {
    let server = MockServer::start().await;
    let mut evil = incident("PEVIL01", 9, "triggered");
    evil["title"] = json!("\u{1b}]52;c;cm0gLXJmIH4=\u{7}Disk full\u{1b}[2J");
    evil["service"]["summary"] = json!("pay\u{202e}ments");
    mount_listing(&server, "triggered", vec![evil]).await;
    mount_listing(&server, "resolved", vec![]).await;
    mount_empty_timelines(&server).await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());

    pd.pull(&mut store, now()).await.unwrap();

    let i = &store.load_incidents(None).unwrap()[0];
    assert!(
        !i.title.contains('\u{1b}') && !i.title.contains('\u{7}'),
        "{:?}",
        i.title
    );
    assert!(i.title.contains("Disk full"));
    assert!(!i.service.contains('\u{202e}'), "{:?}", i.service);
}

#[tokio::test]
async fn a_locally_declared_incident_is_created_once_and_keeps_its_row() {
    let server = MockServer::start().await;
    forbid_writes_without_from(&server).await;
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .and(query_param("date_range", "all"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"incidents": [], "more": false})),
        )
        .mount(&server)
        .await;
    let mut created = incident("PNEW001", 4321, "triggered");
    created["title"] = json!("Pager is down, declared by hand");
    Mock::given(method("POST"))
        .and(path("/incidents"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"incident": created.clone()})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_listing(&server, "triggered", vec![created]).await;
    mount_listing(&server, "resolved", vec![]).await;
    mount_empty_timelines(&server).await;
    let (_dir, mut store) = store();
    let declared = store
        .commit_edit(
            EntityRef {
                kind: EntityKind::Incident,
                id: 0,
            },
            &Operation::DeclareIncident {
                title: "Pager is down, declared by hand".into(),
                severity: Priority::P0,
                service: "checkout".into(),
            },
            now(),
            "me",
            &["pd".to_owned()],
        )
        .unwrap();
    let extra =
        format!("email = \"{EMAIL}\"\nservices = [\"PSVC001\"]\npush_local_incidents = true");
    let mut pd = source_with(&server.uri(), &extra, fixed_clock());

    pd.pull(&mut store, now()).await.unwrap();
    pd.pull(&mut store, now() + TimeDelta::minutes(1))
        .await
        .unwrap();

    let post = requests(&server)
        .await
        .into_iter()
        .find(|r| r.method == wiremock::http::Method::POST)
        .unwrap();
    let body: Value = post.body_json().unwrap();
    assert_eq!(body["incident"]["service"]["id"], "PSVC001");
    assert_eq!(body["incident"]["urgency"], "high");
    assert_eq!(
        body["incident"]["incident_key"],
        format!("opsdeck-{}", declared.op_id)
    );
    let incidents = store.load_incidents(None).unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "no duplicate row after the pull sees it"
    );
    assert_eq!(incidents[0].id, declared.created_id.unwrap());
    assert_eq!(
        (
            incidents[0].source.as_str(),
            incidents[0].external_id.as_str()
        ),
        ("pd", "PNEW001")
    );
}
