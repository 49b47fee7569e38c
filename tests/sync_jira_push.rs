//! The Jira connector's pushes against a wiremock Jira Cloud: transitions by configured name,
//! read-before-write (done / conflict without a write), priority by name, labels without
//! clobbering, ADF comments, comment de-duplication after an unknown outcome, 404 and 5xx.

mod trackers_common;

use opsdeck::domain::{BugStatus, Priority};
use opsdeck::store::outbox::Operation;
use opsdeck::store::Store;
use opsdeck::sync::jira::JiraSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PushOutcome;
use opsdeck::sync::{Build as _, Source as _};
use rstest::rstest;
use serde_json::json;
use trackers_common::jira::{
    config, fixture, schema_issue, seed_bug, source, source_with, t0, TOKEN,
};
use trackers_common::{bodies, fixed_now, open_store, real_clock};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn queue(store: &mut Store, id: i64, op: Operation) -> opsdeck::store::outbox::OutboxEntry {
    trackers_common::queue(store, "jira", id, op)
}

fn remote_issue(status: (&str, &str), priority: &str) -> ResponseTemplate {
    let mut issue = schema_issue(42, t0());
    issue["fields"]["status"] = json!({"name": status.0, "statusCategory": {"key": status.1}});
    issue["fields"]["priority"] = json!({"name": priority});
    ResponseTemplate::new(200).set_body_json(issue)
}

#[tokio::test]
async fn closing_reads_the_transitions_and_posts_the_configured_ones_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(remote_issue(("To Do", "new"), "High"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42/transitions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("transitions.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/OPS-42/transitions"))
        .and(body_json(json!({"transition": {"id": "711"}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let op = Operation::SetBugStatus {
        old: BugStatus::Open,
        new: BugStatus::Closed,
        reason: None,
    };
    let entry = queue(&mut store, id, op);
    let mut jira = source_with(&config(&server.uri(), &[("closed", "QA Review")]), 4);

    let outcome = jira.push(&mut store, &entry, fixed_now()).await.unwrap();
    assert_eq!(outcome, PushOutcome::Done);
}

#[tokio::test]
async fn a_missing_transition_fails_naming_the_configured_and_available_ones() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(remote_issue(("To Do", "new"), "High"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42/transitions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("transitions.json")))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let op = Operation::SetBugStatus {
        old: BugStatus::Open,
        new: BugStatus::Closed,
        reason: None,
    };
    let entry = queue(&mut store, id, op);
    let mut jira = source_with(&config(&server.uri(), &[("closed", "Done")]), 4);

    let PushOutcome::Failed(message) = jira.push(&mut store, &entry, fixed_now()).await.unwrap()
    else {
        panic!("expected Failed");
    };
    assert!(message.contains("\"Done\""), "{message}");
    assert!(message.contains("Close Issue, QA Review"), "{message}");
    assert!(
        bodies(&server, "POST", "/rest/api/3/issue/OPS-42/transitions")
            .await
            .is_empty()
    );
}

#[rstest]
#[case::already_closed_remotely_is_done_without_a_write(("Done", "done"), None)]
#[case::moved_to_in_progress_by_someone_is_a_conflict(("In Review", "indeterminate"), Some("in_progress (In Review)"))]
#[tokio::test]
async fn a_status_push_reads_the_issue_first(
    #[case] remote: (&str, &str),
    #[case] conflict: Option<&str>,
) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(remote_issue(remote, "High"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let op = Operation::SetBugStatus {
        old: BugStatus::Open,
        new: BugStatus::Closed,
        reason: None,
    };
    let entry = queue(&mut store, id, op);
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();

    match conflict {
        None => assert_eq!(outcome, PushOutcome::Done),
        Some(v) => assert_eq!(outcome, PushOutcome::Conflict(v.into())),
    }
    let reqs = server.received_requests().await.unwrap();
    assert!(
        reqs.iter().all(|r| r.method.as_str() == "GET"),
        "no write was sent"
    );
}

#[tokio::test]
async fn raising_priority_sets_the_mapped_jira_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(remote_issue(("To Do", "new"), "High"))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .and(body_json(
            json!({"fields": {"priority": {"name": "Highest"}}}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let entry = queue(
        &mut store,
        id,
        Operation::SetBugPriority {
            old: Priority::P1,
            new: Priority::P0,
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Done);
}

#[tokio::test]
async fn adding_a_label_uses_update_add_so_other_labels_survive() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let entry = queue(
        &mut store,
        id,
        Operation::AddBugLabel {
            label: "customer:acme".into(),
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();

    assert_eq!(outcome, PushOutcome::Done);
    let sent = bodies(&server, "PUT", "/rest/api/3/issue/OPS-42").await;
    assert_eq!(
        sent,
        vec![json!({"update": {"labels": [{"add": "customer:acme"}]}})]
    );
    // Same operation shape as the vendor's edit example; no `fields.labels` (which replaces all).
    let vendor = fixture("issue-edit-request.json");
    assert!(vendor["update"]["labels"][0].get("add").is_some());
    assert!(sent[0].get("fields").is_none());
}

#[tokio::test]
async fn a_comment_is_sent_as_an_adf_document() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue/OPS-42/comment"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "10000"})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let entry = queue(
        &mut store,
        id,
        Operation::AddBugComment {
            body: "rolled back v2.3.1".into(),
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();

    assert_eq!(outcome, PushOutcome::Done);
    let sent = bodies(&server, "POST", "/rest/api/3/issue/OPS-42/comment").await;
    let expected = json!({"body": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "rolled back v2.3.1"}]}
    ]}});
    assert_eq!(sent, vec![expected.clone()]);
    // The vendor's example has the same document skeleton.
    let vendor = fixture("comment-add-request.json");
    assert_eq!(vendor["body"]["type"], expected["body"]["type"]);
    assert_eq!(vendor["body"]["version"], expected["body"]["version"]);
    assert_eq!(vendor["body"]["content"][0]["type"], "paragraph");
    assert_eq!(vendor["body"]["content"][0]["content"][0]["type"], "text");
}

#[tokio::test]
async fn a_comment_whose_first_attempt_landed_is_not_posted_twice() {
    let server = MockServer::start().await;
    let landed = json!({"comments": [{"id": "1", "body": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "rolled back v2.3.1"}]}]}}]});
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42/comment"))
        .respond_with(ResponseTemplate::new(200).set_body_json(landed))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let mut entry = queue(
        &mut store,
        id,
        Operation::AddBugComment {
            body: "rolled back v2.3.1".into(),
        },
    );
    entry.attempts = 2;
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Done);
    assert!(bodies(&server, "POST", "/rest/api/3/issue/OPS-42/comment")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_404_fails_the_edit_with_jiras_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(fixture("error-404-dashboard-gadget.json")),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let entry = queue(
        &mut store,
        id,
        Operation::SetBugPriority {
            old: Priority::P1,
            new: Priority::P0,
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    let PushOutcome::Failed(message) = outcome else {
        panic!("expected Failed, got {outcome:?}")
    };
    assert!(message.contains("404"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[tokio::test]
async fn a_server_error_on_push_is_retried_later_not_failed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/3/issue/OPS-42"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store, BugStatus::Open, Priority::P1);
    let entry = queue(
        &mut store,
        id,
        Operation::SetBugPriority {
            old: Priority::P1,
            new: Priority::P0,
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    let PushOutcome::Retry { at, error } = outcome else {
        panic!("expected Retry, got {outcome:?}")
    };
    assert!(at > fixed_now());
    assert!(error.contains("502"), "{error}");
}

#[test]
fn a_source_without_email_or_projects_is_refused_with_the_fix() {
    let mut cfg = config("https://example.atlassian.net", &[]);
    cfg.email = None;
    let err = JiraSource::new(&cfg, Some(Secret::new(TOKEN)), real_clock()).unwrap_err();
    assert!(err.to_string().contains("email is required"), "{err}");
    let mut cfg = config("https://example.atlassian.net", &[]);
    cfg.projects.clear();
    let err = JiraSource::new(&cfg, Some(Secret::new(TOKEN)), real_clock()).unwrap_err();
    assert!(err.to_string().contains("projects is empty"), "{err}");
    let cfg = config("http://jira.example.com", &[]);
    let err = JiraSource::new(&cfg, Some(Secret::new(TOKEN)), real_clock()).unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
}
