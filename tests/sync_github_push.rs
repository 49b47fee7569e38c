//! Write-back to GitHub through the engine's outbox drain: each edit sends the right
//! incremental call and body, FIFO per issue, conflicts are kept and never overwritten,
//! permanent refusals end as failed and stay visible, and a target already reached costs no
//! write. Requests are asserted with wiremock's `received_requests`.

mod github_fake;

use opsdeck::sync::Build as _;
use std::time::Duration;

use github_fake::{config_toml, GithubFake, Issue};
use opsdeck::clock::SharedClock;
use opsdeck::config::Config;
use opsdeck::domain::{BugStatus, EntityKind, EntityRef, Priority};
use opsdeck::store::{OpState, Operation, Store};
use opsdeck::sync::engine::{drain_outbox, http_clock, Connector, DrainReport, Remote};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::secret::Secret;
use rstest::rstest;
use serde_json::{json, Value};
use wiremock::ResponseTemplate;

const NAME: &str = "github-platform";

struct Rig {
    fake: GithubFake,
    _dir: tempfile::TempDir,
    store: Store,
    remote: Connector,
    clock: SharedClock,
}

async fn rig(issues: Vec<Issue>) -> Rig {
    let fake = GithubFake::start().await;
    for i in issues {
        fake.add(i);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.db")).unwrap();
    let clock = opsdeck::clock::system();
    let config = Config::parse(&config_toml(NAME, &fake.uri(), "UNUSED"), "t.toml").unwrap();
    let gh = GithubSource::new(
        &config.sources[0],
        Some(Secret::new("ghp_test")),
        http_clock(&clock),
    )
    .unwrap();
    let mut remote = Connector::Github(gh);
    remote.pull(&mut store, clock.now()).await.unwrap();
    fake.clear_log();
    Rig {
        fake,
        _dir: dir,
        store,
        remote,
        clock,
    }
}

impl Rig {
    fn edit(&mut self, number: u64, op: Operation) -> String {
        let id: i64 = self
            .store
            .conn()
            .query_row(
                "SELECT id FROM bugs WHERE key = ?1",
                [format!("#{number}")],
                |r| r.get(0),
            )
            .unwrap();
        let entity = EntityRef {
            kind: EntityKind::Bug,
            id,
        };
        self.store
            .commit_edit(entity, &op, self.clock.now(), "me", &[NAME.to_owned()])
            .unwrap()
            .op_id
    }

    async fn drain(&mut self) -> DrainReport {
        drain_outbox(&mut self.remote, &mut self.store, NAME, &self.clock)
            .await
            .unwrap()
    }

    async fn writes(&self) -> Vec<(String, String, Value)> {
        self.fake
            .server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.method.as_str() != "GET")
            .map(|r| {
                let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                (r.method.to_string(), r.url.path().to_owned(), body)
            })
            .collect()
    }

    fn state_of(&self, op_id: &str) -> (OpState, Option<String>, Option<String>) {
        let e = self
            .store
            .list_outbox(100)
            .unwrap()
            .into_iter()
            .find(|e| e.op_id == op_id)
            .unwrap();
        (e.state, e.last_error, e.remote_value)
    }
}

fn issue(number: u64, labels: &[&str], assignees: &[&str]) -> Issue {
    GithubFake::issue(number, labels, assignees)
}

fn closed(number: u64) -> Issue {
    let mut i = GithubFake::issue(number, &["bug"], &[]);
    i.open = false;
    i.state_reason = Some("completed".into());
    i
}

fn w(method: &str, path: &str, body: Value) -> (String, String, Value) {
    (
        method.to_owned(),
        format!("/repos/octo/hello/issues/{path}"),
        body,
    )
}

#[rstest]
#[case::close_with_reason(
    issue(1, &["bug", "P3"], &[]),
    Operation::SetBugStatus { old: BugStatus::Open, new: BugStatus::Closed, reason: Some("not_planned".into()) },
    vec![w("PATCH", "1", json!({"state": "closed", "state_reason": "not_planned"}))]
)]
#[case::reopen(
    closed(1),
    Operation::SetBugStatus { old: BugStatus::Closed, new: BugStatus::Open, reason: None },
    vec![w("PATCH", "1", json!({"state": "open"}))]
)]
#[case::start_work_adds_the_in_progress_label(
    issue(1, &["bug"], &[]),
    Operation::SetBugStatus { old: BugStatus::Open, new: BugStatus::InProgress, reason: None },
    vec![w("POST", "1/labels", json!({"labels": ["in progress"]}))]
)]
#[case::set_priority_adds_the_new_label_and_deletes_the_old(
    issue(1, &["bug", "priority:low"], &[]),
    Operation::SetBugPriority { old: Priority::P3, new: Priority::P1 },
    vec![w("POST", "1/labels", json!({"labels": ["priority:high"]})), w("DELETE", "1/labels/priority:low", Value::Null)]
)]
#[case::assign_someone_new(
    issue(1, &[], &[]),
    Operation::SetBugAssignee { old: None, new: Some("ann".into()) },
    vec![w("POST", "1/assignees", json!({"assignees": ["ann"]}))]
)]
#[case::reassign(
    issue(1, &[], &["bob"]),
    Operation::SetBugAssignee { old: Some("bob".into()), new: Some("ann".into()) },
    vec![w("POST", "1/assignees", json!({"assignees": ["ann"]})), w("DELETE", "1/assignees", json!({"assignees": ["bob"]}))]
)]
#[case::add_one_label(
    issue(1, &["bug"], &[]),
    Operation::AddBugLabel { label: "customer:acme".into() },
    vec![w("POST", "1/labels", json!({"labels": ["customer:acme"]}))]
)]
#[case::remove_one_label_with_a_space(
    issue(1, &["bug", "needs info"], &[]),
    Operation::RemoveBugLabel { label: "needs info".into() },
    vec![w("DELETE", "1/labels/needs%20info", Value::Null)]
)]
#[tokio::test]
async fn each_edit_sends_the_incremental_call_and_body(
    #[case] start: Issue,
    #[case] op: Operation,
    #[case] expected: Vec<(String, String, Value)>,
) {
    let mut r = rig(vec![start]).await;
    let op_id = r.edit(1, op);
    let report = r.drain().await;
    assert_eq!(report.pushed, 1);
    assert_eq!(r.writes().await, expected);
    assert_eq!(r.state_of(&op_id).0, OpState::Done);
    assert_eq!(
        r.fake.effects(1),
        expected.len(),
        "the fake saw each write take effect"
    );
}

#[tokio::test]
async fn a_comment_carries_a_hidden_marker_and_a_retry_after_an_unknown_outcome_finds_it() {
    let mut r = rig(vec![issue(1, &[], &[]), issue(2, &[], &[])]).await;
    let first = r.edit(
        1,
        Operation::AddBugComment {
            body: "Looking into it".into(),
        },
    );
    r.drain().await;
    let writes = r.writes().await;
    assert_eq!(writes.len(), 1);
    assert_eq!(
        (writes[0].0.as_str(), writes[0].1.as_str()),
        ("POST", "/repos/octo/hello/issues/1/comments")
    );
    let body = writes[0].2["body"].as_str().unwrap();
    assert!(
        body.starts_with("Looking into it") && body.contains(&format!("opsdeck:op:{first}")),
        "{body}"
    );

    // A comment whose first attempt landed but whose answer was lost (crash while in flight).
    let second = r.edit(
        2,
        Operation::AddBugComment {
            body: "Second".into(),
        },
    );
    let seq = r
        .store
        .next_to_push(NAME, r.clock.now())
        .unwrap()
        .unwrap()
        .seq;
    r.store.mark_inflight(seq, r.clock.now()).unwrap();
    r.fake.edit(2, |i| {
        i.comments
            .push(format!("Second\n\n<!-- opsdeck:op:{second} -->"))
    });
    let report = r.drain().await;
    assert_eq!(report.pushed, 1);
    assert_eq!(
        r.writes().await.len(),
        1,
        "no second POST for the comment already there"
    );
    assert_eq!(r.fake.get(2).comments.len(), 1);
}

#[tokio::test]
async fn edits_to_one_issue_go_out_in_order_at_least_a_second_apart() {
    let mut r = rig(vec![issue(1, &["P3"], &[])]).await;
    r.edit(
        1,
        Operation::SetBugPriority {
            old: Priority::P3,
            new: Priority::P2,
        },
    );
    r.edit(
        1,
        Operation::SetBugPriority {
            old: Priority::P2,
            new: Priority::P0,
        },
    );
    r.edit(
        1,
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: Some("completed".into()),
        },
    );
    assert_eq!(r.drain().await.pushed, 3);
    assert_eq!(
        r.writes().await,
        vec![
            w("POST", "1/labels", json!({"labels": ["P2"]})),
            w("DELETE", "1/labels/P3", Value::Null),
            w("POST", "1/labels", json!({"labels": ["P0"]})),
            w("DELETE", "1/labels/P2", Value::Null),
            w(
                "PATCH",
                "1",
                json!({"state": "closed", "state_reason": "completed"})
            ),
        ]
    );
    let times: Vec<_> = r
        .fake
        .log()
        .into_iter()
        .filter(|l| l.is_write())
        .map(|l| l.at)
        .collect();
    let min_gap = times.windows(2).map(|p| p[1] - p[0]).min().unwrap();
    assert!(
        min_gap >= Duration::from_millis(990),
        "mutations {min_gap:?} apart"
    );
}

#[tokio::test]
async fn a_conflict_is_kept_blocks_later_edits_of_that_issue_and_the_remote_is_not_overwritten() {
    let mut r = rig(vec![issue(1, &["P3"], &[]), issue(2, &["bug"], &[])]).await;
    let mine = r.edit(
        1,
        Operation::SetBugPriority {
            old: Priority::P3,
            new: Priority::P1,
        },
    );
    let later = r.edit(
        1,
        Operation::AddBugLabel {
            label: "triaged".into(),
        },
    );
    let other = r.edit(
        2,
        Operation::AddBugLabel {
            label: "triaged".into(),
        },
    );
    r.fake.edit(1, |i| i.labels = vec!["P0".into()]); // someone else on GitHub
    let report = r.drain().await;
    assert_eq!((report.conflicts, report.pushed), (1, 1));
    assert_eq!(
        r.state_of(&mine),
        (OpState::Conflict, None, Some("P0".into()))
    );
    assert_eq!(
        r.state_of(&later).0,
        OpState::Pending,
        "FIFO: waits behind the conflict"
    );
    assert_eq!(r.state_of(&other).0, OpState::Done, "other issues carry on");
    assert_eq!(
        r.writes().await,
        vec![w("POST", "2/labels", json!({"labels": ["triaged"]}))]
    );
    assert_eq!(r.fake.get(1).labels, vec!["P0".to_owned()]);
    let now = r.clock.now();
    r.remote.pull(&mut r.store, now).await.unwrap();
    let p: String = r
        .store
        .conn()
        .query_row("SELECT priority FROM bugs WHERE key = '#1'", [], |x| {
            x.get(0)
        })
        .unwrap();
    assert_eq!(
        p, "P0",
        "the cache shows the remote value while the conflict waits for the user"
    );
}

#[rstest]
#[case::issue_deleted_404(404)]
#[case::validation_failed_422(422)]
#[case::forbidden_403(403)]
#[case::gone_410(410)]
#[tokio::test]
async fn a_permanent_refusal_ends_as_failed_and_stays_visible(#[case] status: u16) {
    let mut r = rig(vec![issue(1, &["bug"], &[])]).await;
    let op_id = r.edit(
        1,
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: None,
        },
    );
    if status == 404 {
        r.fake.state.lock().unwrap().issues.remove(&1);
    } else {
        r.fake.pass(); // the read-first GET
        let body: Value = serde_json::from_str(include_str!(
            "fixtures/github/error-422-validation-failed.json"
        ))
        .unwrap();
        r.fake
            .inject(ResponseTemplate::new(status).set_body_json(body));
    }
    let report = r.drain().await;
    assert_eq!(report.failed, 1);
    let (state, error, _) = r.state_of(&op_id);
    assert_eq!(state, OpState::Failed);
    assert!(error.unwrap().contains(&status.to_string()));
    assert_eq!(r.store.outbox_summary().unwrap().failed, 1);
    assert!(
        r.drain().await == DrainReport::default(),
        "not retried on its own"
    );
}

#[tokio::test]
async fn closing_an_issue_already_closed_on_github_is_done_without_a_write() {
    let mut r = rig(vec![issue(1, &["bug"], &[])]).await;
    let op_id = r.edit(
        1,
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: None,
        },
    );
    r.fake.edit(1, |i| i.open = false);
    assert_eq!(r.drain().await.pushed, 1);
    assert_eq!(r.state_of(&op_id).0, OpState::Done);
    assert!(r.writes().await.is_empty(), "zero writes");
}

#[tokio::test]
async fn closing_an_issue_reopened_on_github_since_the_user_saw_it_is_a_conflict() {
    let mut r = rig(vec![closed(1)]).await;
    r.fake.edit(1, |i| {
        i.open = true;
        i.state_reason = Some("reopened".into());
    });
    let now = r.clock.now();
    r.remote.pull(&mut r.store, now).await.unwrap();
    let op_id = r.edit(
        1,
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: None,
        },
    );
    assert_eq!(
        r.drain().await.pushed,
        1,
        "reopened before the user looked: closing is fine"
    );
    assert_eq!(r.state_of(&op_id).0, OpState::Done);

    let mut r = rig(vec![issue(1, &["bug"], &[])]).await;
    let op_id = r.edit(
        1,
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: None,
        },
    );
    r.fake.edit(1, |i| i.open = false);
    r.fake.edit(1, |i| {
        i.open = true;
        i.state_reason = Some("reopened".into());
    });
    assert_eq!(r.drain().await.conflicts, 1);
    assert_eq!(
        r.state_of(&op_id).2.as_deref(),
        Some("open (reopened on GitHub)")
    );
    assert!(r.writes().await.is_empty());
}

#[tokio::test]
async fn a_label_edit_github_drops_silently_is_reported_as_failed() {
    let mut r = rig(vec![issue(1, &["bug"], &[])]).await;
    r.fake
        .state
        .lock()
        .unwrap()
        .ignore_label_and_assignee_writes = true;
    let op_id = r.edit(
        1,
        Operation::AddBugLabel {
            label: "triaged".into(),
        },
    );
    assert_eq!(r.drain().await.failed, 1);
    let (state, error, _) = r.state_of(&op_id);
    assert_eq!(state, OpState::Failed);
    assert!(
        error.unwrap().contains("push"),
        "names the missing push access"
    );
}
