//! Jira re-sync with the change on the last page (page 1 byte-identical), and a typed comment
//! arriving at the server with its text unchanged; an unchanged re-sync is one search request.

mod trackers_common;

use chrono::TimeDelta;
use opsdeck::domain::{BugStatus, Priority};
use opsdeck::store::Operation;
use opsdeck::sync::PushOutcome;
use opsdeck::sync::Source as _;
use serde_json::{json, Value};
use trackers_common::jira::{issues, jira_time, seed_bug, source, t0, Pager, SEARCH};
use trackers_common::{fixed_now, open_store, queue, requests_to};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A transition on OPS-150 (page 2 of 2) moves its status and `updated`; page 1 is unchanged.
/// Jira has no conditional requests: the cursor query is read to its last page, so the change
/// arrives. (Audit for issue #11 defect 4: no early stop on an unchanged first page.)
#[tokio::test]
async fn a_transition_on_the_last_page_syncs_while_page_one_is_unchanged() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/api/3/myself"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"accountId": "x", "timeZone": "UTC"})),
        )
        .mount(&server)
        .await;
    let first = issues(150);
    Mock::given(path(SEARCH))
        .respond_with(Pager(first.clone()))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut jira = source(&server.uri());
    jira.pull(&mut store, fixed_now()).await.unwrap();

    let mut second = first.clone();
    second[149]["fields"]["status"] = json!({"name": "Done", "id": "3",
        "statusCategory": {"id": 3, "key": "done", "name": "Done", "colorName": "green"}});
    second[149]["fields"]["updated"] = json!(jira_time(t0() + TimeDelta::hours(5)));
    assert_eq!(first[..100], second[..100], "page 1 byte-identical");
    Mock::given(path(SEARCH))
        .respond_with(Pager(second))
        .mount(&server)
        .await;
    let before = requests_to(&server, SEARCH).await.len();
    jira.pull(&mut store, fixed_now()).await.unwrap();
    assert_eq!(
        requests_to(&server, SEARCH).await.len() - before,
        2,
        "both pages read"
    );

    let status: String = store
        .conn()
        .query_row("SELECT status FROM bugs WHERE key = 'OPS-150'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, BugStatus::Closed.as_str());
}

/// The plain text of an ADF document as a person reads it: paragraphs split by a blank line,
/// `hardBreak` as a line break.
fn adf_text(doc: &Value) -> String {
    let paragraphs: Vec<String> = doc["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| match n["type"].as_str() {
                    Some("hardBreak") => "\n".to_owned(),
                    _ => n["text"].as_str().unwrap_or("").to_owned(),
                })
                .collect()
        })
        .collect();
    paragraphs.join("\n\n")
}

/// Round trip: a comment with Unicode, quotes and newlines reaches Jira with every character
/// (as ADF: paragraphs and hard breaks).
#[tokio::test]
async fn a_typed_comment_arrives_with_its_text_unchanged() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/OPS-42/comment"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "1"})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let text = "Seen on 東京 edge: \"502\" after 'deploy' — café ✓\nsecond line\n\nnew paragraph";
    let entry = queue(
        &mut store,
        "jira",
        id,
        Operation::AddBugComment { body: text.into() },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Done);
    let posted: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(adf_text(&posted["body"]), text);
}

/// An unchanged re-sync is one search request: the cursor-bounded query comes back with the
/// rows already cached (nothing is rewritten, no tab is marked changed), and the API user's
/// zone, asked once per source, is not asked again.
#[tokio::test]
async fn an_unchanged_resync_is_one_search_request() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/api/3/myself"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"accountId": "x", "timeZone": "UTC"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(SEARCH))
        .respond_with(Pager(issues(40)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut jira = source(&server.uri());
    jira.pull(&mut store, fixed_now()).await.unwrap();
    jira.pull(&mut store, fixed_now()).await.unwrap();

    let before = server.received_requests().await.unwrap().len();
    let report = jira.pull(&mut store, fixed_now()).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    let paths: Vec<&str> = sent[before..].iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, [SEARCH], "one search request and nothing else");
    assert_eq!(report.requests, 1);
    assert!(report.changed.is_empty(), "nothing rewritten: {report:?}");
}
