//! The Redmine connector against a wiremock Redmine serving shapes recorded from a real
//! Redmine 5.0.4 (tests/fixtures/redmine): offset paging, the `updated_on` cursor and its ~1 s
//! overlap, list shifts while paging, mapping, and the triage writes.

mod trackers_common;

use opsdeck::sync::{Build as _, Source as _};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck::config::{SourceConfig, SourceKind};
use opsdeck::domain::{Bug, BugStatus, Priority, Tab};
use opsdeck::store::outbox::{Operation, OutboxEntry};
use opsdeck::store::trackers::{bug_count, cursor};
use opsdeck::store::{write, Store};
use opsdeck::sync::redmine::RedmineSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PushOutcome;
use rstest::rstest;
use serde_json::{json, Value};
use trackers_common::{
    count, fixed_now, param, pulled, real_clock, requests_to, the_only_bug_terminal_safe,
};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/fixtures/redmine/{name}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn config(base: &str) -> SourceConfig {
    let mut c = trackers_common::source_config("redmine", SourceKind::Redmine, base, "REDMINE_KEY");
    c.projects = vec!["ops".into()];
    c
}

fn source(base: &str) -> RedmineSource {
    RedmineSource::with_http(&config(base), Some(Secret::new(KEY)), real_clock(), |h| {
        h.mutation_gap = Duration::ZERO;
    })
    .unwrap()
}

fn open_store(dir: &Path) -> Store {
    trackers_common::open_store(dir)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The recorded issue with another id, subject, update time, status and priority.
fn issue(
    id: u64,
    updated: DateTime<Utc>,
    status: (u64, &str, bool),
    priority: (u64, &str),
) -> Value {
    let mut i = fixture("issue.json");
    i["id"] = json!(id);
    i["subject"] = json!(format!("issue {id}"));
    i["updated_on"] = json!(iso(updated));
    i["status"] = json!({"id": status.0, "name": status.1, "is_closed": status.2});
    i["priority"] = json!({"id": priority.0, "name": priority.1});
    if status.2 {
        i["closed_on"] = json!(iso(updated));
    }
    i
}

fn plain(id: u64, updated: DateTime<Utc>) -> Value {
    issue(id, updated, (1, "New", false), (2, "Normal"))
}

/// Serves `issues` by `offset`/`limit` in Redmine's envelope.
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
            "total_count": self.0.len(),
            "offset": offset,
            "limit": limit,
        }))
    }
}

async fn mount_statuses(server: &MockServer) {
    Mock::given(path("/issue_statuses.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("issue_statuses.json")))
        .mount(server)
        .await;
}

#[rstest]
#[case::no_issues(0, 1)]
#[case::one_issue(1, 1)]
#[case::exactly_one_page(100, 1)]
#[case::one_past_a_page(101, 2)]
#[case::two_and_a_half_pages(250, 3)]
#[tokio::test]
async fn offset_paging_brings_every_issue_once(#[case] count: u64, #[case] pages: usize) {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let all: Vec<Value> = (1..=count)
        .map(|i| plain(i, t0() + TimeDelta::seconds(i as i64)))
        .collect();
    Mock::given(path("/issues.json"))
        .and(header("x-redmine-api-key", KEY))
        .respond_with(Pager(all))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let report = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();

    assert_eq!(report.fetched as u64, count);
    assert_eq!(report.requests, pages + 1, "the pages plus one status list");
    assert_eq!(
        u64::from(bug_count(store.conn(), "redmine").unwrap()),
        count
    );
    let reqs = requests_to(&server, "/issues.json").await;
    let offsets: Vec<String> = reqs.iter().map(|r| param(r, "offset").unwrap()).collect();
    let expected: Vec<String> = (0..pages).map(|p| (p * 100).to_string()).collect();
    assert_eq!(offsets, expected);
    for r in &reqs {
        assert_eq!(
            param(r, "status_id").as_deref(),
            Some("*"),
            "closed issues too"
        );
        assert_eq!(param(r, "project_id").as_deref(), Some("ops"));
        assert_eq!(param(r, "limit").as_deref(), Some("100"));
        assert_eq!(param(r, "sort").as_deref(), Some("updated_on:asc,id:asc"));
        assert_eq!(param(r, "updated_on"), None, "first sync: no lower bound");
    }
    let expected_cursor = (count > 0).then(|| iso(t0() + TimeDelta::seconds(count as i64)));
    assert_eq!(cursor(store.conn(), "redmine").unwrap(), expected_cursor);
}

#[tokio::test]
async fn the_one_second_overlap_is_refetched_but_neither_duplicated_nor_rewritten() {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let last = t0() + TimeDelta::seconds(9);
    Mock::given(path("/issues.json"))
        .respond_with(Pager(vec![
            plain(1, t0()),
            plain(2, t0() + TimeDelta::seconds(5)),
            plain(3, last),
        ]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut redmine = source(&server.uri());
    let first = redmine.pull(&mut store, fixed_now()).await.unwrap();
    assert_eq!(first.changed, vec![Tab::Bugs]);

    // Redmine answers `updated_on>=T` with everything after T − 1 s: #3 comes back unchanged.
    Mock::given(path("/issues.json"))
        .respond_with(Pager(vec![plain(3, last)]))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let second = redmine.pull(&mut store, fixed_now()).await.unwrap();
    let reqs = requests_to(&server, "/issues.json").await;
    assert_eq!(
        param(&reqs[1], "updated_on"),
        Some(format!(">={}", iso(last)))
    );
    assert_eq!(second.fetched, 1);
    assert!(
        second.changed.is_empty(),
        "an unchanged overlap writes nothing"
    );
    assert_eq!(bug_count(store.conn(), "redmine").unwrap(), 3);

    // The overlap again, plus #3 changed within the same second and a new #4.
    let mut changed3 = plain(3, last);
    changed3["subject"] = json!("issue 3, renamed");
    Mock::given(path("/issues.json"))
        .respond_with(Pager(vec![
            changed3,
            plain(4, last + TimeDelta::seconds(30)),
        ]))
        .mount(&server)
        .await;
    let third = redmine.pull(&mut store, fixed_now()).await.unwrap();
    assert_eq!(third.changed, vec![Tab::Bugs]);
    assert_eq!(bug_count(store.conn(), "redmine").unwrap(), 4);
    let bugs = store.load_bugs(None).unwrap();
    assert!(bugs
        .iter()
        .any(|b| b.key == "RM-3" && b.title == "issue 3, renamed"));
    assert_eq!(
        cursor(store.conn(), "redmine").unwrap(),
        Some(iso(last + TimeDelta::seconds(30)))
    );
}

/// Page two as Redmine would serve it if #1 was updated between our two requests: everything
/// moved up by one, so #101 slid onto page one (already read) and #1 shows up at the end.
struct ShiftingPager(Vec<Value>, Value);

impl Respond for ShiftingPager {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let offset = param(req, "offset")
            .and_then(|o| o.parse::<usize>().ok())
            .unwrap_or(0);
        let issues: Vec<Value> = if offset == 0 {
            self.0[..100].to_vec()
        } else {
            let mut rest = self.0[101..].to_vec();
            rest.push(self.1.clone());
            rest
        };
        ResponseTemplate::new(200).set_body_json(
            json!({"issues": issues, "total_count": self.0.len(), "offset": offset, "limit": 100}),
        )
    }
}

#[tokio::test]
async fn an_issue_moving_while_we_page_holds_the_cursor_so_the_skipped_one_is_read_next_time() {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let at = |i: u64| t0() + TimeDelta::seconds(i as i64);
    let all: Vec<Value> = (1..=150).map(|i| plain(i, at(i))).collect();
    let moved = plain(1, at(500));
    Mock::given(path("/issues.json"))
        .respond_with(ShiftingPager(all.clone(), moved))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut redmine = source(&server.uri());
    let report = redmine.pull(&mut store, fixed_now()).await.unwrap();

    assert_eq!(
        report.fetched, 149,
        "#101 was skipped by the shift; #1 counted once"
    );
    assert_eq!(
        cursor(store.conn(), "redmine").unwrap(),
        Some(iso(at(100))),
        "held at page one"
    );

    Mock::given(path("/issues.json"))
        .respond_with(Pager(all[100..].to_vec()))
        .mount(&server)
        .await;
    redmine.pull(&mut store, fixed_now()).await.unwrap();
    assert_eq!(
        bug_count(store.conn(), "redmine").unwrap(),
        150,
        "#101 arrived"
    );
    let reqs = requests_to(&server, "/issues.json").await;
    assert_eq!(
        param(&reqs[2], "updated_on"),
        Some(format!(">={}", iso(at(100))))
    );
}

#[tokio::test]
async fn issues_map_to_rm_keys_priorities_and_statuses() {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let seeded = vec![
        issue(1, t0(), (1, "New", false), (5, "Immediate")),
        issue(2, t0(), (2, "In Progress", false), (4, "Urgent")),
        issue(3, t0(), (1, "New", false), (3, "High")),
        issue(4, t0(), (4, "Feedback", false), (2, "Normal")),
        issue(5, t0(), (5, "Closed", true), (1, "Low")),
    ];
    Mock::given(path("/issues.json"))
        .respond_with(Pager(seeded))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap();
    let mut bugs: Vec<(String, Priority, BugStatus)> = store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .map(|b| (b.key, b.priority, b.status))
        .collect();
    bugs.sort();
    assert_eq!(
        bugs,
        vec![
            ("RM-1".into(), Priority::P0, BugStatus::Open),
            ("RM-2".into(), Priority::P1, BugStatus::InProgress),
            ("RM-3".into(), Priority::P1, BugStatus::Open),
            ("RM-4".into(), Priority::P2, BugStatus::Open),
            ("RM-5".into(), Priority::P3, BugStatus::Closed),
        ]
    );
    let rm1 = store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.key == "RM-1")
        .unwrap();
    assert_eq!(rm1.labels, vec!["bug"]);
    assert!(rm1.url.unwrap().ends_with("/issues/1"));
}

// ---- pushes ----

fn seed_bug(store: &mut Store) -> i64 {
    let bug = Bug {
        id: 0,
        source: "redmine".into(),
        external_id: "2".into(),
        key: "RM-2".into(),
        title: "payments latency regression".into(),
        body: String::new(),
        priority: Priority::P1,
        status: BugStatus::InProgress,
        assignee: None,
        labels: vec!["bug".into()],
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

fn queue(store: &mut Store, id: i64, op: Operation) -> OutboxEntry {
    trackers_common::queue(store, "redmine", id, op)
}

async fn mount_issue_2(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/issues/2.json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"issue": fixture("issue.json")})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn closing_sends_the_first_closed_status_with_the_reason_as_a_note() {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    mount_issue_2(&server).await;
    Mock::given(method("PUT"))
        .and(path("/issues/2.json"))
        .and(body_json(
            json!({"issue": {"status_id": 5, "notes": "fixed by rollback"}}),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
    let op = Operation::SetBugStatus {
        old: BugStatus::InProgress,
        new: BugStatus::Closed,
        reason: Some("fixed by rollback".into()),
    };
    let entry = queue(&mut store, id, op);
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Done);
}

#[tokio::test]
async fn assigning_by_login_looks_the_user_up_and_sends_the_id() {
    let server = MockServer::start().await;
    mount_issue_2(&server).await;
    Mock::given(method("GET"))
        .and(path("/users.json"))
        .and(query_param("name", "admin"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users-name-admin.json")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/issues/2.json"))
        .and(body_json(json!({"issue": {"assigned_to_id": 1}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
    let entry = queue(
        &mut store,
        id,
        Operation::SetBugAssignee {
            old: None,
            new: Some("admin".into()),
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Done);
}

#[tokio::test]
async fn an_unknown_login_fails_with_a_clear_message_and_sends_nothing() {
    let server = MockServer::start().await;
    mount_issue_2(&server).await;
    Mock::given(path("/users.json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"users": [], "total_count": 0})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
    let entry = queue(
        &mut store,
        id,
        Operation::SetBugAssignee {
            old: None,
            new: Some("nobody".into()),
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        PushOutcome::Failed("no Redmine user has the login, name or email \"nobody\"".into())
    );
    let puts = count(&server, "PUT").await;
    assert_eq!(puts, 0);
}

#[rstest]
#[case::validation_error_422(422, json!({"errors": ["Priority cannot be blank"]}), "Priority cannot be blank")]
#[case::issue_gone_404(404, json!({}), "404")]
#[tokio::test]
async fn a_refused_write_fails_for_good_with_redmines_reason(
    #[case] status: u16,
    #[case] body: Value,
    #[case] expected: &str,
) {
    let server = MockServer::start().await;
    mount_issue_2(&server).await;
    Mock::given(path("/enumerations/issue_priorities.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("issue_priorities.json")))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/issues/2.json"))
        .and(body_json(json!({"issue": {"priority_id": 5}})))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
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
    assert!(message.contains(expected), "{message}");
}

#[tokio::test]
async fn a_priority_changed_by_someone_else_is_a_conflict_not_an_overwrite() {
    let server = MockServer::start().await;
    mount_issue_2(&server).await; // remote says Urgent (P1)
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
    // The user saw P2 and lowered it to P3; meanwhile someone raised it to Urgent.
    let entry = queue(
        &mut store,
        id,
        Operation::SetBugPriority {
            old: Priority::P2,
            new: Priority::P3,
        },
    );
    let outcome = source(&server.uri())
        .push(&mut store, &entry, fixed_now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Conflict("P1 (Urgent)".into()));
}

#[tokio::test]
async fn labels_cannot_go_to_redmine() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
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
    assert!(matches!(outcome, PushOutcome::Failed(m) if m.contains("no labels")));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_note_whose_first_attempt_landed_is_not_sent_twice() {
    let server = MockServer::start().await;
    let mut with_journal = fixture("issue.json");
    with_journal["journals"] = json!([{"id": 7, "notes": "rolled back v2.3.1", "details": []}]);
    Mock::given(method("GET"))
        .and(path("/issues/2.json"))
        .and(query_param("include", "journals"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"issue": with_journal})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let id = seed_bug(&mut store);
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
    let puts = count(&server, "PUT").await;
    assert_eq!(puts, 0);
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_header_and_never_echoed_back_in_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/issue_statuses.json"))
        .and(header("x-redmine-api-key", KEY))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"errors": [format!("key {KEY} lacks access")]})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let err = source(&server.uri())
        .pull(&mut store, fixed_now())
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?} {:?}", store.sync_states().unwrap());
    assert!(
        shown.contains("lacks access") && shown.contains("***"),
        "{shown}"
    );
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!format!("{:?}", source(&server.uri())).contains(KEY));
}

/// Hostile text in every field Redmine sends (subject, description, assignee, tracker name)
/// reaches the cache sanitized: visible caret / `<U+…>` text, nothing a terminal would act on.
/// The mapping hands raw text to the shared `tracker::BugDraft`, which sanitizes it once.
#[tokio::test]
async fn hostile_text_in_an_issue_is_cached_sanitized() {
    let server = MockServer::start().await;
    mount_statuses(&server).await;
    let mut evil = plain(7, t0());
    evil["subject"] = json!("pay\u{1b}[2Jnow\u{202e}");
    evil["description"] = json!("line\r\none\u{1b}]52;c;Zm9v\u{7}");
    evil["assigned_to"] = json!({"id": 3, "name": "Mia\u{9b}31m"});
    evil["tracker"] = json!({"id": 1, "name": "Bug\u{200b}"});
    Mock::given(path("/issues.json"))
        .respond_with(Pager(vec![evil]))
        .mount(&server)
        .await;
    let (_dir, store) = pulled(source(&server.uri())).await;
    let bug = the_only_bug_terminal_safe(&store);
    let assignee = bug.assignee.clone().unwrap_or_default();
    assert_eq!(bug.key, "RM-7");
    assert_eq!(bug.title, "pay^[[2Jnow<U+202E>");
    assert_eq!(bug.body, "line\none^[]52;c;Zm9v^G");
    assert_eq!(assignee, "MiaM-^[31m");
    assert_eq!(bug.labels.len(), 1, "the tracker name is the only label");
}
