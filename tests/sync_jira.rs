//! The Jira connector's pull against a wiremock Jira Cloud: paging at every page boundary,
//! mapping, the JQL cursor in the user's zone, a 429, and broken bodies.
//!
//! Vendor payloads (tests/fixtures/jira, copied from Atlassian's OpenAPI examples) are used
//! where they exist; the issues themselves are SCHEMA-DERIVED (`trackers_common::jira`), as
//! tests/fixtures/jira/SOURCES.md explains. Pushes: tests/sync_jira_push.rs.

mod common;
mod trackers_common;

use opsdeck::sync::Source as _;
use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use common::Sequence;
use opsdeck::domain::{BugStatus, Priority};
use opsdeck::store::trackers::{bug_count, cursor};
use opsdeck::sync::http::{ApiError, TransportKind};
use opsdeck::sync::jira::jql_bound;
use opsdeck::sync::SyncError;
use rstest::rstest;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trackers_common::jira::{
    config, fixture, issues, schema_issue, source, source_with, t0, Pager, EMAIL, SEARCH, TOKEN,
};
use trackers_common::{
    fixed_now, open_store, param, pulled, requests_to, the_only_bug_terminal_safe,
};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    let reqs = requests_to(&server, SEARCH).await;
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

    let reqs = requests_to(&server, SEARCH).await;
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

/// Hostile text in every field Jira sends (title, ADF body, assignee, labels) reaches the cache
/// sanitized: visible caret / `<U+…>` text, nothing a terminal would act on. The mapping hands
/// raw text to the shared `tracker::BugDraft`, which sanitizes it once.
#[tokio::test]
async fn hostile_text_in_an_issue_is_cached_sanitized() {
    let server = MockServer::start().await;
    let mut evil = schema_issue(1, t0());
    evil["fields"]["summary"] = json!("pay\u{1b}[2Jnow\u{202e}");
    evil["fields"]["description"] = json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "a\u{1b}]52;c;Zm9v\u{7}b"}]}
    ]});
    evil["fields"]["assignee"] = json!({"accountId": "x:1", "displayName": "Mia\u{9b}31m"});
    evil["fields"]["labels"] = json!(["customer:acme\u{200b}", "ring\u{7}"]);
    Mock::given(path(SEARCH))
        .respond_with(Pager(vec![evil]))
        .mount(&server)
        .await;
    let (_dir, store) = pulled(source(&server.uri())).await;
    let bug = the_only_bug_terminal_safe(&store);
    let assignee = bug.assignee.clone().unwrap_or_default();
    assert_eq!(bug.title, "pay^[[2Jnow<U+202E>");
    assert_eq!(bug.body, "a^[]52;c;Zm9v^Gb");
    assert_eq!(assignee, "MiaM-^[31m");
    assert_eq!(bug.labels, ["customer:acme<U+200B>", "ring^G"]);
    assert_eq!(bug.customers, ["acme<U+200B>"]);
}
