//! PagerDuty pull against a wiremock fake serving PagerDuty's own payload shapes, with a real
//! on-disk store: paging with `more`, the `since`/`until` window, `ratelimit-reset`, first
//! acknowledgement and timeline from log entries, sanitizing, and creating local incidents.

mod pagerduty_fake;

use opsdeck::sync::Source as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use opsdeck::domain::{EntityKind, EntityRef, IncidentStatus, Priority};
use opsdeck::store::Operation;
use opsdeck::sync::http::Clock;
use pagerduty_fake::*;
use rstest::rstest;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

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
