//! GitHub Issues pulls against a wiremock GitHub that serves the vendor's own shapes
//! (`tests/github_fake`): pagination boundaries, 304s, rate limits, server errors, hung and
//! broken responses. Every test uses a real on-disk store in a tempdir.

mod github_fake;

use opsdeck::sync::{Build as _, Source as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use github_fake::{config_toml, GithubFake};
use opsdeck::config::Config;
use opsdeck::store::{sync_meta, Store};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::http::{ApiError, Clock, HttpTimeouts, TransportKind};
use opsdeck::sync::ratelimit::Backoff;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::SyncError;
use rstest::rstest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::ResponseTemplate;

const NAME: &str = "github-platform";

#[allow(clippy::disallowed_methods)]
fn real_clock() -> Clock {
    Arc::new(Utc::now)
}

fn now() -> DateTime<Utc> {
    real_clock()()
}

fn source_with(
    uri: &str,
    tune: impl FnOnce(&mut opsdeck::sync::http::SourceConfig),
) -> GithubSource {
    let config = Config::parse(&config_toml(NAME, uri, "UNUSED_TOKEN_VAR"), "test.toml").unwrap();
    GithubSource::with_http(
        &config.sources[0],
        Some(Secret::new("ghp_test")),
        real_clock(),
        |h| {
            h.retry.backoff = Backoff {
                base: Duration::from_millis(20),
                cap: Duration::from_millis(100),
            };
            tune(h);
        },
    )
    .unwrap()
}

fn source(uri: &str) -> GithubSource {
    source_with(uri, |_| {})
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("cache.db")).unwrap()
}

fn bug_count(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM bugs", [], |r| r.get(0))
        .unwrap()
}

fn cursor(store: &Store) -> Option<String> {
    sync_meta::cursor(store.conn(), NAME).unwrap()
}

/// Bugs without local ids, sorted: two caches with the same content compare equal.
fn snapshot(store: &Store) -> Vec<String> {
    let mut rows: Vec<String> = store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .map(|b| {
            format!(
                "{} {} {} {} {} {:?} {:?} {}",
                b.external_id,
                b.key,
                b.title,
                b.status,
                b.priority,
                b.labels,
                b.assignee,
                b.updated_at
            )
        })
        .collect();
    rows.sort();
    rows
}

#[rstest]
#[case::empty_repo(0)]
#[case::one_issue(1)]
#[case::just_under_a_page(99)]
#[case::exactly_a_page(100)]
#[case::one_over_a_page(101)]
#[case::two_and_a_half_pages(250)]
#[tokio::test]
async fn every_issue_lands_once_and_pull_requests_are_skipped(#[case] issues: u64) {
    let fake = GithubFake::start().await;
    fake.seed(issues, 3);
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let report = source(&fake.uri()).pull(&mut store, now()).await.unwrap();

    let pages = (issues + 3).div_ceil(100) as usize;
    assert_eq!(bug_count(&store), issues as i64, "exact count");
    let distinct: i64 = store
        .conn()
        .query_row("SELECT count(DISTINCT external_id) FROM bugs", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(distinct, issues as i64, "no duplicates");
    let prs: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM bugs WHERE CAST(external_id AS INTEGER) > ?1",
            [5_000_000 + issues as i64],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(prs, 0, "pull requests are not bugs");
    assert_eq!(report.fetched, issues as usize);
    assert_eq!(report.requests, pages);
    let log = fake.log();
    assert_eq!(log.len(), pages);
    assert!(log[0]
        .query
        .as_deref()
        .unwrap()
        .contains("state=all&sort=updated&direction=asc&per_page=100"));
    assert!(
        log.iter()
            .skip(1)
            .all(|r| r.path == "/repositories/1000/issues"),
        "rel=next followed as given"
    );
    assert!(log
        .iter()
        .all(|r| r.authorization.as_deref() == Some("Bearer ghp_test")));
    if issues > 0 {
        let p1: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM bugs WHERE priority = 'P1' AND customers LIKE '%acme%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            p1,
            (issues / 4) as i64,
            "P1 and customer:acme labels mapped"
        );
        let closed: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM bugs WHERE status = 'closed'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(closed, (issues / 5) as i64);
    }
}

#[tokio::test]
async fn an_unchanged_repository_costs_one_conditional_request_and_changes_nothing() {
    let fake = GithubFake::start().await;
    fake.seed(250, 3);
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let mut gh = source(&fake.uri());
    gh.pull(&mut store, now()).await.unwrap();
    let (rows, cur) = (snapshot(&store), cursor(&store));

    // The cursor moved, so the URL (with `since`) is new: one plain request reads the overlap.
    fake.clear_log();
    let settle = gh.pull(&mut store, now()).await.unwrap();
    assert_eq!(fake.log().len(), 1);
    assert!(
        settle.changed.is_empty(),
        "re-reading the overlap changes nothing"
    );
    assert_eq!(
        (snapshot(&store), cursor(&store)),
        (rows.clone(), cur.clone())
    );

    fake.clear_log();
    let again = gh.pull(&mut store, now()).await.unwrap();
    let log = fake.log();
    assert_eq!(log.len(), 1, "exactly one request");
    assert!(log[0].if_none_match.is_some(), "sent If-None-Match");
    assert_eq!((again.fetched, again.requests), (0, 1));
    assert!(again.changed.is_empty());
    assert_eq!((snapshot(&store), cursor(&store)), (rows, cur));

    // A remote change is picked up by the next pull with one page.
    fake.edit(7, |i| i.title = "Renamed".into());
    fake.clear_log();
    let changed = gh.pull(&mut store, now()).await.unwrap();
    assert_eq!(fake.log().len(), 1);
    assert_eq!(changed.changed, vec![opsdeck::domain::Tab::Bugs]);
    let title: String = store
        .conn()
        .query_row("SELECT title FROM bugs WHERE key = '#7'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(title, "Renamed");
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_with_exactly_two_requests() {
    let fake = GithubFake::start().await;
    fake.seed(5, 0);
    fake.inject(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "2")
            .set_body_json(serde_json::json!({"message": "API rate limit exceeded"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    source(&fake.uri()).pull(&mut store, now()).await.unwrap();
    let log = fake.log();
    assert_eq!(log.len(), 2, "exactly two requests");
    let gap = log[1].at - log[0].at;
    assert!(
        gap >= Duration::from_secs(2),
        "second request after {gap:?}"
    );
    assert_eq!(bug_count(&store), 5);
}

#[tokio::test]
async fn a_secondary_rate_limit_is_persisted_and_honoured_after_reopening() {
    let fake = GithubFake::start().await;
    fake.seed(5, 0);
    fake.inject(ResponseTemplate::new(403).set_body_json(serde_json::json!({
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    })));
    let dir = tempfile::tempdir().unwrap();
    let started = now();
    {
        let mut store = open(&dir);
        let err = source(&fake.uri())
            .pull(&mut store, now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, SyncError::Api(ApiError::RateLimited { .. })),
            "{err}"
        );
    }
    let mut store = open(&dir);
    let until = store
        .rate_limited_until(NAME)
        .unwrap()
        .expect("deadline persisted");
    assert!(
        until >= started + chrono::TimeDelta::seconds(60),
        "{until} vs {started}"
    );
    let err = source(&fake.uri())
        .pull(&mut store, now())
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Api(ApiError::RateLimited { .. })));
    assert_eq!(
        fake.log().len(),
        1,
        "no request before the persisted deadline"
    );
    let state = store.sync_states().unwrap();
    assert!(state[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("rate limited"));
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_sync_completes() {
    let fake = GithubFake::start().await;
    fake.seed(150, 0);
    fake.inject(ResponseTemplate::new(502));
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    source(&fake.uri()).pull(&mut store, now()).await.unwrap();
    assert_eq!(fake.log().len(), 3, "502, then two pages");
    assert_eq!(bug_count(&store), 150);
}

#[tokio::test]
async fn a_hung_server_is_abandoned_by_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            open.push(sock); // accept, read nothing, answer nothing
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let mut gh = source_with(&format!("http://{addr}"), |h| {
        h.timeouts = HttpTimeouts {
            connect: Duration::from_millis(500),
            read: Duration::from_millis(800),
            total: Duration::from_secs(1),
        };
        h.retry.max_attempts = 1;
    });
    let t0 = Instant::now();
    let err = gh.pull(&mut store, now()).await.unwrap_err();
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(2500), "ended after {took:?}");
    assert!(
        matches!(
            err,
            SyncError::Api(ApiError::Transport {
                kind: TransportKind::Timeout,
                ..
            })
        ),
        "{err}"
    );
    assert!(
        store.sync_states().unwrap()[0].last_error.is_some(),
        "failure recorded"
    );
    held.abort();
}

#[tokio::test]
async fn invalid_json_mid_walk_keeps_earlier_pages_and_resuming_equals_a_clean_sync() {
    let fake = GithubFake::start().await;
    fake.seed(250, 0);
    fake.pass();
    fake.inject(
        ResponseTemplate::new(200).set_body_raw("[{\"id\": 1, \"number\": ", "application/json"),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let mut gh = source(&fake.uri());
    let err = gh.pull(&mut store, now()).await.unwrap_err();
    assert!(
        matches!(err, SyncError::Api(ApiError::Decode { .. })),
        "{err}"
    );
    assert_eq!(
        bug_count(&store),
        100,
        "page 1 committed, page 2 not at all"
    );
    let after_page_one = cursor(&store).unwrap();
    assert!(
        after_page_one.contains("2026-03-01T00:00:33Z"),
        "{after_page_one}"
    );

    gh.pull(&mut store, now()).await.unwrap();
    let clean_dir = tempfile::tempdir().unwrap();
    let mut clean = open(&clean_dir);
    source(&fake.uri()).pull(&mut clean, now()).await.unwrap();
    assert_eq!(bug_count(&store), 250);
    assert_eq!(snapshot(&store), snapshot(&clean), "resumed == clean");
    assert_eq!(cursor(&store), cursor(&clean));
}

/// Serves `full` on the first connection, then a body cut mid-way on every later one.
fn cutting_server(listener: tokio::net::TcpListener, full: Vec<u8>, cut: Vec<u8>) {
    tokio::spawn(async move {
        for n in 0..20 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let response = if n == 0 { full.clone() } else { cut.clone() };
            let _ = sock.write_all(&response).await;
            let _ = sock.shutdown().await;
        }
    });
}

#[tokio::test]
async fn a_body_cut_mid_way_is_a_typed_error_and_commits_nothing_of_that_page() {
    let fake = GithubFake::start().await;
    fake.seed(200, 0);
    let page1: Vec<serde_json::Value> = (1..=100).map(|n| fake.render(n)).collect();
    let page2: Vec<serde_json::Value> = (101..=200).map(|n| fake.render(n)).collect();
    let body1 = serde_json::to_vec(&page1).unwrap();
    let body2 = serde_json::to_vec(&page2).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let head1 = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nlink: <http://{addr}/repositories/1000/issues?page=2>; rel=\"next\"\r\nconnection: close\r\n\r\n",
        body1.len()
    );
    let head2 = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body2.len()
    );
    let mut full = head1.into_bytes();
    full.extend_from_slice(&body1);
    let mut cut = head2.into_bytes();
    cut.extend_from_slice(&body2[..body2.len() / 2]);
    cutting_server(listener, full, cut);

    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    let err = source(&format!("http://{addr}"))
        .pull(&mut store, now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SyncError::Api(ApiError::Transport {
                kind: TransportKind::Body,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(bug_count(&store), 100, "only the whole first page");
    let max_first: i64 = store
        .conn()
        .query_row("SELECT max(updated_at) FROM bugs", [], |r| r.get(0))
        .unwrap();
    let expected =
        opsdeck::sync::github::format_since(DateTime::from_timestamp(max_first, 0).unwrap());
    assert!(
        cursor(&store).unwrap().contains(&expected),
        "cursor is page 1's newest"
    );
}
