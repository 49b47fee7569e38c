//! PagerDuty writes against a wiremock fake with a real on-disk store: the `From` header on
//! every write, `ratelimit-reset` on a write, and the E4 rules for queued status edits (no
//! re-ack of someone else's acknowledgement, no request for an incident resolved elsewhere).

mod pagerduty_fake;

use chrono::TimeDelta;
use opsdeck::domain::IncidentStatus;
use opsdeck::store::Operation;
use opsdeck::sync::Source as _;
use opsdeck::sync::{PushOutcome, SyncError};
use pagerduty_fake::*;
use rstest::rstest;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    let shown = format!("{err} {err:?} {pd:?}");
    assert!(!shown.contains(TOKEN), "the API key leaked: {shown}");
    assert_eq!(writes(&requests(&server).await), 0);
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
