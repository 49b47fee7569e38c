//! The Jira connector against a wiremock Jira Cloud: paging, the JQL cursor, rate limits,
//! broken bodies, and every triage write.
//!
//! Vendor payloads (tests/fixtures/jira, copied from Atlassian's OpenAPI examples) are used
//! where they exist. Atlassian's issue examples have no priority/status/assignee/labels, so the
//! issues served here are SCHEMA-DERIVED (see `schema_issue`), as tests/fixtures/jira/SOURCES.md
//! explains.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::{fixed_now, real_clock, Sequence};
use opsdeck::config::{DurationSpec, SourceConfig, SourceKind, TokenConfig};
use opsdeck::domain::{Bug, BugStatus, EntityKind, EntityRef, Priority};
use opsdeck::store::outbox::{Operation, OutboxEntry};
use opsdeck::store::trackers::{bug_count, cursor};
use opsdeck::store::{write, Store};
use opsdeck::sync::http::{ApiError, TransportKind};
use opsdeck::sync::jira::{jql_bound, JiraSource};
use opsdeck::sync::ratelimit::Backoff;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::{PushOutcome, SyncError};
use rstest::rstest;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "jira_CANARY_7d1e_never_log";
const EMAIL: &str = "oncall@example.com";
const SEARCH: &str = "/rest/api/3/search/jql";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/fixtures/jira/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn config(base: &str, transitions: &[(&str, &str)]) -> SourceConfig {
    SourceConfig {
        name: "jira".into(),
        kind: SourceKind::Jira,
        base_url: Some(base.into()),
        interval: DurationSpec(Duration::from_secs(60)),
        token: TokenConfig {
            token_env: Some("JIRA_TOKEN".into()),
            token_command: None,
        },
        repos: vec![],
        projects: vec!["OPS".into()],
        services: vec![],
        email: Some(EMAIL.into()),
        created_by: None,
        priority_map: BTreeMap::new(),
        status_map: BTreeMap::new(),
        service_map: BTreeMap::new(),
        transitions: transitions
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        environments: vec![],
        rollback_state: None,
        headers: BTreeMap::new(),
        push_local_incidents: false,
    }
}

fn source_with(cfg: &SourceConfig, max_attempts: u32) -> JiraSource {
    JiraSource::with_http(cfg, Some(Secret::new(TOKEN)), real_clock(), |h| {
        h.retry.max_attempts = max_attempts;
        h.retry.backoff = Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        };
        h.mutation_gap = Duration::ZERO;
        h.rng_seed = Some(3);
    })
    .unwrap()
}

fn source(base: &str) -> JiraSource {
    source_with(&config(base, &[]), 4)
}

fn open_store(dir: &Path) -> Store {
    Store::open(&dir.join("cache.db")).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 10, 0, 0).unwrap()
}

fn jira_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// A SCHEMA-DERIVED issue (`IssueBean` with `StatusDetails`, `Priority`, `UserDetails`, ADF
/// description, `+0000` times): Atlassian publishes no example with these fields.
fn schema_issue(n: usize, updated: DateTime<Utc>) -> Value {
    json!({
        "id": format!("{}", 10000 + n),
        "key": format!("OPS-{n}"),
        "self": format!("https://example.atlassian.net/rest/api/3/issue/{}", 10000 + n),
        "fields": {
            "summary": format!("checkout fails for cart {n}"),
            "status": {"name": "To Do", "id": "1",
                       "statusCategory": {"id": 2, "key": "new", "name": "To Do", "colorName": "blue-gray"}},
            "priority": {"id": "2", "name": "High"},
            "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Mia Krystof", "active": true},
            "labels": ["checkout", "customer:acme"],
            "updated": jira_time(updated),
            "created": jira_time(t0() - TimeDelta::days(3)),
            "resolution": null,
            "description": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Carts over 10 items fail."}]}
            ]}
        }
    })
}

fn issues(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| schema_issue(i + 1, t0() + TimeDelta::seconds(7 * i as i64)))
        .collect()
}

/// Serves `issues` 100 per page, keyed by `nextPageToken` (`tok-<page>`), in the vendor's shape:
/// `isLast`, and no `nextPageToken` on the last page.
struct Pager(Vec<Value>);

impl Respond for Pager {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "nextPageToken")
            .and_then(|(_, v)| v.strip_prefix("tok-").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let start = (page * 100).min(self.0.len());
        let end = (start + 100).min(self.0.len());
        let mut body =
            json!({"issues": self.0[start..end].to_vec(), "isLast": end >= self.0.len()});
        if end < self.0.len() {
            body["nextPageToken"] = json!(format!("tok-{}", page + 1));
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

async fn searches(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == SEARCH)
        .collect()
}

fn param(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[rstest]
#[case::no_issues(0, 1)]
#[case::one_issue(1, 1)]
#[case::one_short_of_a_page(99, 1)]
#[case::exactly_one_page(100, 1)]
#[case::one_past_a_page(101, 2)]
#[case::two_and_a_half_pages(250, 3)]
#[tokio::test]
async fn every_issue_arrives_once_whatever_the_page_boundaries(
    #[case] count: usize,
    #[case] pages: usize,
) {
    let server = MockServer::start().await;
    let basic = format!("Basic {}", base64_encode(&format!("{EMAIL}:{TOKEN}")));
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .and(header("authorization", basic.as_str()))
        .respond_with(Pager(issues(count)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let report = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();

    assert_eq!(report.fetched, count);
    assert_eq!(report.requests, pages);
    assert_eq!(bug_count(store.conn(), "jira").unwrap() as usize, count);
    let reqs = searches(&server).await;
    assert_eq!(reqs.len(), pages);
    assert_eq!(
        param(&reqs[0], "jql").as_deref(),
        Some("project in (\"OPS\") ORDER BY updated ASC, key ASC")
    );
    assert_eq!(param(&reqs[0], "maxResults").as_deref(), Some("100"));
    let fields = param(&reqs[0], "fields").unwrap();
    for f in [
        "summary",
        "status",
        "priority",
        "assignee",
        "labels",
        "updated",
        "description",
    ] {
        assert!(
            fields.split(',').any(|x| x == f),
            "{f} missing from {fields}"
        );
    }
    assert_eq!(param(&reqs[0], "nextPageToken"), None);
    for (i, r) in reqs.iter().enumerate().skip(1) {
        assert_eq!(param(r, "nextPageToken"), Some(format!("tok-{i}")));
    }
    let expected_cursor = (count > 0).then(|| {
        (t0() + TimeDelta::seconds(7 * (count as i64 - 1)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    });
    assert_eq!(cursor(store.conn(), "jira").unwrap(), expected_cursor);
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn issues_map_to_bugs_with_priority_status_labels_and_plain_text_body() {
    let server = MockServer::start().await;
    let mut done = schema_issue(4, t0());
    done["fields"]["status"] = json!({"name": "Done", "statusCategory": {"key": "done"}});
    done["fields"]["priority"] = json!({"name": "Highest"});
    done["fields"]["assignee"] = Value::Null;
    let mut doing = schema_issue(5, t0());
    doing["fields"]["status"] =
        json!({"name": "In Review", "statusCategory": {"key": "indeterminate"}});
    doing["fields"]["priority"] = json!({"name": "Trivial"});
    // The vendor's own search example (id 10002): no triage fields, `"updated": 1`, a string
    // description.
    let vendor = fixture("search-jql.json")["issues"][0].clone();
    Mock::given(path(SEARCH))
        .respond_with(Pager(vec![schema_issue(1, t0()), done, doing, vendor]))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();
    let bugs = store.load_bugs(None).unwrap();
    let keys: Vec<&str> = bugs.iter().map(|b| b.key.as_str()).collect();
    let by_key = |k: &str| {
        let found = bugs.iter().find(|b| b.key == k);
        found
            .unwrap_or_else(|| panic!("{k} not in {keys:?}"))
            .clone()
    };

    let one = by_key("OPS-1");
    assert_eq!(one.priority, Priority::P1);
    assert_eq!(one.status, BugStatus::Open);
    assert_eq!(one.assignee.as_deref(), Some("Mia Krystof"));
    assert_eq!(one.labels, vec!["checkout", "customer:acme"]);
    assert_eq!(one.customers, vec!["acme"]);
    assert_eq!(one.body, "Carts over 10 items fail.");
    assert_eq!(one.updated_at, t0());
    assert!(one.url.as_deref().unwrap().ends_with("/browse/OPS-1"));
    let two = by_key("OPS-4");
    assert_eq!(
        (two.priority, two.status, two.assignee),
        (Priority::P0, BugStatus::Closed, None)
    );
    assert!(two.closed_at.is_some());
    let three = by_key("OPS-5");
    assert_eq!(
        (three.priority, three.status),
        (Priority::P3, BugStatus::InProgress)
    );
    let vendor = by_key("ED-1");
    assert_eq!(
        (vendor.priority, vendor.status),
        (Priority::P2, BugStatus::Open)
    );
    assert_eq!(vendor.body, "Main order flow broken");
    assert_eq!(
        vendor.updated_at,
        fixed_now(),
        "`updated: 1` falls back to now"
    );
}

#[tokio::test]
async fn the_second_sync_asks_only_for_issues_updated_since_the_cursor_in_the_users_zone() {
    let server = MockServer::start().await;
    let last =
        Utc.with_ymd_and_hms(2026, 3, 20, 10, 17, 42).unwrap() + TimeDelta::milliseconds(123);
    let first = vec![schema_issue(1, t0()), schema_issue(2, last)];
    Mock::given(path(SEARCH))
        .respond_with(Pager(first.clone()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/rest/api/3/myself"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"accountId": "5b10ac8d82e05b22cc7d4ef5", "timeZone": "Europe/Berlin"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut jira = source(&server.uri());
    jira.pull(&mut store, fixed_now()).await.unwrap();

    // Second sync: the boundary issue comes back (overlap) with one new issue.
    let newer = last + TimeDelta::minutes(5);
    Mock::given(path(SEARCH))
        .respond_with(Pager(vec![schema_issue(2, last), schema_issue(3, newer)]))
        .mount(&server)
        .await;
    let report = jira.pull(&mut store, fixed_now()).await.unwrap();

    let reqs = searches(&server).await;
    assert_eq!(reqs.len(), 2);
    // 10:17:42 UTC floored to 10:17, minus the 2-minute overlap = 10:15 UTC = 11:15 in Berlin.
    assert_eq!(
        param(&reqs[1], "jql").as_deref(),
        Some("project in (\"OPS\") AND updated >= \"2026/03/20 11:15\" ORDER BY updated ASC, key ASC")
    );
    assert_eq!(report.fetched, 2);
    assert_eq!(
        bug_count(store.conn(), "jira").unwrap(),
        3,
        "the overlap adds no duplicate"
    );
    assert_eq!(
        cursor(store.conn(), "jira").unwrap().as_deref(),
        Some("2026-03-20T10:22:42.123Z")
    );
    // A third sync reuses the zone (myself is asked once: `expect(1)`).
    jira.pull(&mut store, fixed_now()).await.unwrap();
}

#[test]
fn an_unknown_user_zone_widens_the_bound_to_cover_every_offset() {
    let cursor = Utc.with_ymd_and_hms(2026, 3, 20, 10, 17, 42).unwrap();
    assert_eq!(jql_bound(cursor, None), "2026/03/19 20:15");
    assert_eq!(jql_bound(cursor, Some(chrono_tz::UTC)), "2026/03/20 10:15");
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_retried_once() {
    let server = MockServer::start().await;
    let page = json!({"issues": [schema_issue(1, t0())], "isLast": true});
    let seq = Sequence::new(vec![
        ResponseTemplate::new(429)
            .insert_header("retry-after", "2")
            .insert_header("ratelimit-reason", "jira-burst-based"),
        ResponseTemplate::new(200).set_body_json(page),
    ]);
    Mock::given(path(SEARCH))
        .respond_with(seq.clone())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let report = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();

    let arrivals = seq.arrivals();
    assert_eq!(arrivals.len(), 2, "exactly two requests");
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_secs(2), "retried after {gap:?}");
    assert_eq!(report.fetched, 1);
}

#[tokio::test]
async fn invalid_json_on_page_two_fails_typed_and_keeps_only_page_one() {
    let server = MockServer::start().await;
    let all = issues(150);
    Mock::given(path(SEARCH))
        .and(query_param("nextPageToken", "tok-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"issues": [{"id": "1""#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(path(SEARCH))
        .respond_with(Pager(all))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let err = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap_err();

    assert!(
        matches!(err, SyncError::Api(ApiError::Decode { .. })),
        "{err:?}"
    );
    assert_eq!(
        bug_count(store.conn(), "jira").unwrap(),
        100,
        "page one only"
    );
    let page_one_max =
        (t0() + TimeDelta::seconds(7 * 99)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(cursor(store.conn(), "jira").unwrap(), Some(page_one_max));
    let state = &store.sync_states().unwrap()[0];
    assert!(state
        .last_error
        .as_deref()
        .unwrap()
        .contains("not the expected JSON"));
    assert!(!format!("{err:?} {err}").contains(TOKEN));
}

/// Serves every connection a 200 whose body stops far short of its Content-Length.
async fn truncating_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let body =
                r#"{"isLast": true, "issues": [{"id": "10001", "key": "OPS-1", "fields": {"summ"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len() + 4000
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_truncated_body_fails_as_a_transport_error_and_commits_nothing() {
    let base = truncating_server().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut jira = source_with(&config(&base, &[]), 2);
    let err = jira.pull(&mut store, fixed_now()).await.unwrap_err();

    assert!(
        matches!(
            err,
            SyncError::Api(ApiError::Transport {
                kind: TransportKind::Body,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(bug_count(store.conn(), "jira").unwrap(), 0);
    assert_eq!(cursor(store.conn(), "jira").unwrap(), None);
}

// ---- pushes ----

fn seed_bug(store: &mut Store, status: BugStatus, priority: Priority) -> i64 {
    let bug = Bug {
        id: 0,
        source: "jira".into(),
        external_id: "10042".into(),
        key: "OPS-42".into(),
        title: "checkout 5xx".into(),
        body: String::new(),
        priority,
        status,
        assignee: Some("Mia Krystof".into()),
        labels: vec!["checkout".into()],
        customers: vec![],
        created_at: t0(),
        updated_at: t0(),
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    };
    store.write(|tx| write::upsert_bug(tx, &bug, t0())).unwrap()
}

/// Commits `op` through the store and hands back the entry as the engine would (in flight).
fn queue(store: &mut Store, id: i64, op: Operation) -> OutboxEntry {
    let entity = EntityRef {
        kind: EntityKind::Bug,
        id,
    };
    store
        .commit_edit(entity, &op, fixed_now(), "me", &["jira".into()])
        .unwrap();
    let entry = store.next_to_push("jira", fixed_now()).unwrap().unwrap();
    store.mark_inflight(entry.seq, fixed_now()).unwrap();
    store.next_to_push("jira", fixed_now()).unwrap().unwrap()
}

fn remote_issue(status: (&str, &str), priority: &str) -> ResponseTemplate {
    let mut issue = schema_issue(42, t0());
    issue["fields"]["status"] = json!({"name": status.0, "statusCategory": {"key": status.1}});
    issue["fields"]["priority"] = json!({"name": priority});
    ResponseTemplate::new(200).set_body_json(issue)
}

async fn posted(server: &MockServer, verb: &str, p: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
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
        posted(&server, "POST", "/rest/api/3/issue/OPS-42/transitions")
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
    let sent = posted(&server, "PUT", "/rest/api/3/issue/OPS-42").await;
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
    let sent = posted(&server, "POST", "/rest/api/3/issue/OPS-42/comment").await;
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
    assert!(posted(&server, "POST", "/rest/api/3/issue/OPS-42/comment")
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
