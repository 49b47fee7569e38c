//! Redmine re-sync with the change on the last page (page 1 byte-identical), and a typed note
//! arriving at the server byte-exact. Shapes recorded from Redmine 5.0.4 (tests/fixtures).

mod trackers_common;

use opsdeck::sync::{Build as _, Source as _};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::config::{SourceConfig, SourceKind};
use opsdeck::domain::{Bug, BugStatus, Priority};
use opsdeck::store::outbox::Operation;
use opsdeck::store::write;
use opsdeck::sync::redmine::RedmineSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PushOutcome;
use serde_json::{json, Value};
use trackers_common::{fixed_now, open_store, real_clock, requests_to};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/fixtures/redmine/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn source(base: &str) -> RedmineSource {
    let mut c: SourceConfig =
        trackers_common::source_config("redmine", SourceKind::Redmine, base, "REDMINE_KEY");
    c.projects = vec!["ops".into()];
    RedmineSource::with_http(&c, Some(Secret::new("k")), real_clock(), |h| {
        h.mutation_gap = Duration::ZERO;
    })
    .unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

fn issue(id: u64, updated: DateTime<Utc>, closed: bool) -> Value {
    let mut i = fixture("issue.json");
    let iso = updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    i["id"] = json!(id);
    i["subject"] = json!(format!("issue {id}"));
    i["updated_on"] = json!(iso);
    i["status"] = if closed {
        json!({"id": 5, "name": "Closed", "is_closed": true})
    } else {
        json!({"id": 1, "name": "New", "is_closed": false})
    };
    if closed {
        i["closed_on"] = json!(iso);
    }
    i
}

struct Pager(Vec<Value>);

impl Respond for Pager {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let get = |k: &str| {
            req.url
                .query_pairs()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let offset = get("offset").unwrap_or(0).min(self.0.len());
        let limit = get("limit").unwrap_or(25);
        let end = (offset + limit).min(self.0.len());
        ResponseTemplate::new(200).set_body_json(json!({
            "issues": self.0[offset..end].to_vec(),
            "total_count": self.0.len(), "offset": offset, "limit": limit,
        }))
    }
}

/// Issue 150 (page 2 of 2) is closed with a journal entry, which moves its `updated_on`; page
/// 1 is unchanged. Redmine has no conditional requests and the cursor query is read to its
/// last page, so the close arrives. (Audit for issue #11 defect 4.)
#[tokio::test]
async fn a_close_on_the_last_page_syncs_while_page_one_is_unchanged() {
    let server = MockServer::start().await;
    Mock::given(path("/issue_statuses.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("issue_statuses.json")))
        .mount(&server)
        .await;
    let first: Vec<Value> = (1..=150)
        .map(|i| issue(i, t0() + TimeDelta::seconds(i as i64), false))
        .collect();
    Mock::given(path("/issues.json"))
        .respond_with(Pager(first.clone()))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut rm = source(&server.uri());
    rm.pull(&mut store, fixed_now()).await.unwrap();

    let mut second = first.clone();
    second[149] = issue(150, t0() + TimeDelta::hours(2), true);
    assert_eq!(first[..100], second[..100], "page 1 byte-identical");
    Mock::given(path("/issues.json"))
        .respond_with(Pager(second))
        .mount(&server)
        .await;
    let before = requests_to(&server, "/issues.json").await.len();
    rm.pull(&mut store, fixed_now()).await.unwrap();
    assert_eq!(requests_to(&server, "/issues.json").await.len() - before, 2);
    let status: String = store
        .conn()
        .query_row("SELECT status FROM bugs WHERE key = 'RM-150'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, BugStatus::Closed.as_str());
}

/// Round trip: a note with Unicode, quotes and newlines reaches Redmine byte-exact.
#[tokio::test]
async fn a_typed_note_arrives_byte_exact() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/issues/2.json"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let bug = Bug {
        id: 0,
        source: "redmine".into(),
        external_id: "2".into(),
        key: "RM-2".into(),
        title: "payments latency".into(),
        body: String::new(),
        priority: Priority::P1,
        status: BugStatus::InProgress,
        assignee: None,
        labels: vec![],
        customers: vec![],
        created_at: t0(),
        updated_at: t0(),
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    };
    let id = store.write(|tx| write::upsert_bug(tx, &bug, t0())).unwrap();
    let text =
        "Repro «p99» on 東京: \"SELECT 1\" takes 2 s — it's the pool\nline two\n\nline four ✓";
    let entry = trackers_common::queue(
        &mut store,
        "redmine",
        id,
        Operation::AddBugComment { body: text.into() },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Done);
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["issue"]["notes"], json!(text));
}
