//! Plans kept in GitHub issue bodies (`kind = "github-tasklist"`), against the GitHub fake with
//! GitHub's issue payload shape: the body's task list shows as checklist items, a toggle sends
//! exactly one `PATCH` that changes exactly that line (raw bytes of every other line kept,
//! control characters and CRLF included), someone else's edit to another line survives, an
//! edit of the same line is an outbox conflict with nothing written, an edit made while the
//! server is down waits in the outbox and lands when it is back, and an unchanged issue costs
//! one conditional request per sync.

mod github_fake;

use opsdeck::sync::Build as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use github_fake::{GithubFake, Issue};
use opsdeck::clock::{Clock, SharedClock};
use opsdeck::config::Config;
use opsdeck::domain::{EntityKind, EntityRef};
use opsdeck::store::{OpState, Operation, Store};
use opsdeck::sync::engine::{drain_outbox, http_clock, run_round, Connector, Remote};
use opsdeck::sync::github_tasklist::GithubTasklistSource;
use opsdeck::sync::secret::Secret;
use rstest::rstest;
use serde_json::Value;

const NAME: &str = "plans";
const ISSUE: u64 = 7;
const DOC: &str = "octo/hello#7";

/// A clock the test moves by hand (retry deadlines, circuit breaker).
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn advance(clock: &Arc<TestClock>, by: Duration) {
    let mut t = clock.0.lock().unwrap();
    *t += by;
}

fn config(uri: &str, issues: &[&str]) -> Config {
    let list: Vec<String> = issues.iter().map(|i| format!("\"{i}\"")).collect();
    let toml = format!(
        "[[sources]]\nname = \"{NAME}\"\nkind = \"github-tasklist\"\nbase_url = \"{uri}\"\nissues = [{}]\ntoken_env = \"UNUSED\"\n",
        list.join(", ")
    );
    Config::parse(&toml, "t.toml").unwrap()
}

fn connector(uri: &str, issues: &[&str], clock: &SharedClock) -> Connector {
    let cfg = config(uri, issues);
    let source = GithubTasklistSource::with_http(
        &cfg.sources[0],
        Some(Secret::new("ghp_test")),
        http_clock(clock),
        |hc| {
            hc.mutation_gap = std::time::Duration::ZERO;
            hc.retry.max_attempts = 1;
            hc.rng_seed = Some(7);
        },
    )
    .unwrap();
    Connector::GithubTasklist(source)
}

fn issue_with_body(number: u64, body: &str) -> Issue {
    let mut i = GithubFake::issue(number, &[], &[]);
    i.title = format!("Rollout plan {number}");
    i.body = Some(body.to_owned());
    i
}

/// CRLF line endings, a raw ESC in a line nobody edits, and two sections.
const BODY: &str = "Tracking issue for the rollout.\r\n\r\n## Prepare\r\n\r\n- [ ] Freeze the schema\r\n- [x] Announce in #ops \u{1b}[31mnow\u{1b}[0m\r\n\r\n## Ship\r\n\r\n- [ ] Deploy canary\r\n- [ ] Watch error budget\r\n";

struct Rig {
    fake: GithubFake,
    _dir: tempfile::TempDir,
    store: Store,
    remote: Connector,
    clock: Arc<TestClock>,
    shared: SharedClock,
}

async fn rig(body: &str) -> Rig {
    let fake = GithubFake::start().await;
    fake.add(issue_with_body(ISSUE, body));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.db")).unwrap();
    let clock = Arc::new(TestClock(Mutex::new(
        github_fake::epoch() + Duration::days(30),
    )));
    let shared: SharedClock = clock.clone();
    let mut remote = connector(&fake.uri(), &[DOC], &shared);
    remote.pull(&mut store, shared.now()).await.unwrap();
    fake.clear_log();
    Rig {
        fake,
        _dir: dir,
        store,
        remote,
        clock,
        shared,
    }
}

fn item(store: &Store, text: &str) -> (i64, bool) {
    store
        .conn()
        .query_row(
            "SELECT i.id, i.checked FROM checklist_items i JOIN checklist_docs d ON d.id = i.doc_id \
             WHERE d.path = ?1 AND i.text = ?2",
            [DOC, text],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

fn commit(store: &mut Store, id: i64, op: &Operation, now: DateTime<Utc>) -> String {
    let entity = EntityRef {
        kind: EntityKind::ChecklistItem,
        id,
    };
    store
        .commit_edit(entity, op, now, "me", &[NAME.to_owned()])
        .unwrap()
        .op_id
}

fn toggle(store: &mut Store, text: &str, now: DateTime<Utc>) -> String {
    let (id, checked) = item(store, text);
    let op = Operation::SetItemChecked {
        old: checked,
        new: !checked,
    };
    commit(store, id, &op, now)
}

fn state_of(store: &Store, op_id: &str) -> (OpState, Option<String>) {
    let e = store
        .list_outbox(100)
        .unwrap()
        .into_iter()
        .find(|e| e.op_id == op_id)
        .unwrap();
    (e.state, e.remote_value)
}

/// Bodies of the PATCH requests the fake received, in order.
async fn patches(fake: &GithubFake) -> Vec<String> {
    fake.server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            assert_eq!(r.method.as_str(), "PATCH");
            assert_eq!(r.url.path(), "/repos/octo/hello/issues/7");
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(
                v.as_object().unwrap().len(),
                1,
                "only the body is sent: {v}"
            );
            v["body"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The lines (with their endings) that differ between two bodies of the same line count.
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    assert_eq!(a.len(), b.len(), "line count changed:\n{old:?}\n{new:?}");
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()))
        .collect()
}

#[tokio::test]
async fn pull_shows_the_issue_task_list_as_sections_and_items() {
    let rig = rig(BODY).await;
    let docs = rig.store.checklist_docs().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].path, DOC);
    assert_eq!(docs[0].title, "octo/hello#7 Rollout plan 7");
    let items = rig.store.load_checklist().unwrap();
    let seen: Vec<(&str, &str, bool)> = items
        .iter()
        .map(|i| (i.section.as_str(), i.text.as_str(), i.checked))
        .collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], ("Prepare", "Freeze the schema", false));
    assert_eq!(seen[1].0, "Prepare");
    assert!(seen[1].2);
    assert!(
        !seen[1].1.contains('\u{1b}') && seen[1].1.starts_with("Announce in #ops"),
        "the escape sequence never reaches the screen: {:?}",
        seen[1].1
    );
    assert_eq!(seen[2], ("Ship", "Deploy canary", false));
    assert_eq!(seen[3], ("Ship", "Watch error budget", false));
}

/// The raw body (ESC, CRLF) goes back untouched except the toggled line.
#[tokio::test]
async fn a_toggle_sends_one_patch_that_changes_exactly_that_line() {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let op = toggle(&mut rig.store, "Deploy canary", now);
    let report = drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(report.pushed, 1);
    assert_eq!(state_of(&rig.store, &op).0, OpState::Done);
    let sent = patches(&rig.fake).await;
    assert_eq!(sent.len(), 1, "exactly one PATCH");
    assert_eq!(
        changed_lines(BODY, &sent[0]),
        vec![(
            "- [ ] Deploy canary\r\n".to_owned(),
            "- [x] Deploy canary\r\n".to_owned()
        )]
    );
    assert!(sent[0].contains("#ops \u{1b}[31mnow\u{1b}[0m\r\n"));
    assert_eq!(rig.fake.get(ISSUE).body.as_deref(), Some(sent[0].as_str()));
    // The cache now holds GitHub's new body as its base: the item stays checked, nothing queued.
    assert!(item(&rig.store, "Deploy canary").1);
    assert!(rig
        .store
        .list_outbox(100)
        .unwrap()
        .iter()
        .all(|e| e.state == OpState::Done));
}

#[rstest]
#[case::pull_then_push(true)]
#[case::push_only(false)]
#[tokio::test]
async fn someone_elses_edit_to_another_line_is_kept(#[case] pull_first: bool) {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let op = toggle(&mut rig.store, "Deploy canary", now);
    // Meanwhile on GitHub: another line is ticked and a line is added.
    let theirs = BODY
        .replace("- [ ] Freeze the schema", "- [x] Freeze the schema")
        .replace(
            "- [ ] Watch error budget\r\n",
            "- [ ] Watch error budget\r\n- [ ] Page the owner\r\n",
        );
    rig.fake.edit(ISSUE, |i| i.body = Some(theirs.clone()));
    if pull_first {
        let _ = run_round(&mut rig.remote, &mut rig.store, NAME, &rig.shared, true).await;
    } else {
        drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
            .await
            .unwrap();
    }
    assert_eq!(state_of(&rig.store, &op).0, OpState::Done);
    let sent = patches(&rig.fake).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0],
        theirs.replace("- [ ] Deploy canary", "- [x] Deploy canary")
    );
    assert_eq!(
        changed_lines(&theirs, &sent[0]),
        vec![(
            "- [ ] Deploy canary\r\n".to_owned(),
            "- [x] Deploy canary\r\n".to_owned()
        )]
    );
    assert!(item(&rig.store, "Freeze the schema").1);
    assert!(item(&rig.store, "Page the owner").0 > 0);
}

#[rstest]
#[case::pull_then_push(true)]
#[case::push_only(false)]
#[tokio::test]
async fn an_edit_of_the_same_line_is_a_conflict_and_nothing_is_written(#[case] pull_first: bool) {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let (id, _) = item(&rig.store, "Deploy canary");
    let op = commit(
        &mut rig.store,
        id,
        &Operation::SetItemText {
            old: "Deploy canary".into(),
            new: "Deploy canary to 5%".into(),
        },
        now,
    );
    let theirs = BODY.replace("Deploy canary", "Deploy canary in eu-west");
    rig.fake.edit(ISSUE, |i| i.body = Some(theirs.clone()));
    if pull_first {
        let _ = run_round(&mut rig.remote, &mut rig.store, NAME, &rig.shared, true).await;
    } else {
        drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
            .await
            .unwrap();
    }
    let (state, _) = state_of(&rig.store, &op);
    assert_eq!(state, OpState::Conflict);
    assert!(patches(&rig.fake).await.is_empty(), "nothing written");
    assert_eq!(rig.fake.get(ISSUE).body.as_deref(), Some(theirs.as_str()));
}

#[tokio::test]
async fn a_toggle_of_a_line_deleted_remotely_is_a_conflict() {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let op = toggle(&mut rig.store, "Deploy canary", now);
    let theirs = BODY.replace("- [ ] Deploy canary\r\n", "");
    rig.fake.edit(ISSUE, |i| i.body = Some(theirs.clone()));
    drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(state_of(&rig.store, &op).0, OpState::Conflict);
    assert!(patches(&rig.fake).await.is_empty());
}

/// Offline: the server's port refuses connections; the edit stays pending, then lands once
/// a server listens on that port again.
#[tokio::test]
async fn offline_the_edit_stays_queued_and_lands_when_the_server_returns() {
    let mut rig = rig(BODY).await;
    // A port with nothing behind it (bound, then closed).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let uri = format!("http://127.0.0.1:{port}");
    let mut offline = connector(&uri, &[DOC], &rig.shared);
    let now = rig.shared.now();
    let op = toggle(&mut rig.store, "Watch error budget", now);
    let report = drain_outbox(&mut offline, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(report.deferred, 1, "{report:?}");
    assert_eq!(state_of(&rig.store, &op).0, OpState::Pending);
    assert!(
        item(&rig.store, "Watch error budget").1,
        "the tab keeps the edit"
    );

    // The server comes back on the same port, with the issue as it was.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let back = GithubFake::start_on(listener).await;
    back.add(rig.fake.get(ISSUE));
    advance(&rig.clock, Duration::hours(1));
    let report = drain_outbox(&mut offline, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(report.pushed, 1, "{report:?}");
    assert_eq!(state_of(&rig.store, &op).0, OpState::Done);
    let sent = patches(&back).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        changed_lines(BODY, &sent[0]),
        vec![(
            "- [ ] Watch error budget\r\n".to_owned(),
            "- [x] Watch error budget\r\n".to_owned()
        )]
    );
}

#[tokio::test]
async fn a_second_sync_with_nothing_changed_costs_one_conditional_request_per_issue() {
    let fake = GithubFake::start().await;
    fake.add(issue_with_body(7, BODY));
    fake.add(issue_with_body(8, "## Later\n\n- [ ] Retire v1\n"));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.db")).unwrap();
    let clock = opsdeck::clock::system();
    let mut remote = connector(&fake.uri(), &["octo/hello#7", "octo/hello#8"], &clock);
    let first = remote.pull(&mut store, clock.now()).await.unwrap();
    assert_eq!(first.requests, 2);
    assert_eq!(store.load_checklist().unwrap().len(), 5);
    fake.clear_log();

    let second = remote.pull(&mut store, clock.now()).await.unwrap();
    assert_eq!(second.requests, 2);
    assert!(second.changed.is_empty(), "{second:?}");
    let log = fake.log();
    assert_eq!(log.len(), 2, "one request per issue: {log:?}");
    assert!(log
        .iter()
        .all(|l| l.method == "GET" && l.if_none_match.is_some()));

    // A change to one issue re-reads only that body.
    fake.edit(8, |i| i.body = Some("## Later\n\n- [x] Retire v1\n".into()));
    fake.clear_log();
    let third = remote.pull(&mut store, clock.now()).await.unwrap();
    assert_eq!(third.fetched, 1);
    assert_eq!(fake.log().len(), 2);
    let retired = store
        .load_checklist()
        .unwrap()
        .into_iter()
        .find(|i| i.text == "Retire v1")
        .unwrap();
    assert!(retired.checked);
}

#[test]
fn a_malformed_issue_reference_is_a_config_error() {
    let cfg = config("http://127.0.0.1:9", &["octo/hello"]);
    let err =
        GithubTasklistSource::new(&cfg.sources[0], None, http_clock(&opsdeck::clock::system()))
            .unwrap_err();
    assert!(err.to_string().contains("owner/repo#123"), "{err}");
}

/// REGRESSION: a pull between a toggle and its push re-keyed the pending item by ordinal onto
/// the line someone else had just rewritten (the stale row and the new one share the ordinal),
/// so the toggle landed on that rewritten line instead of being a conflict; without the pull
/// the same edit was a conflict.
#[rstest]
#[case::pull_then_push(true)]
#[case::push_only(false)]
#[tokio::test]
async fn a_toggle_of_a_line_rewritten_remotely_is_a_conflict(#[case] pull_first: bool) {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let op = toggle(&mut rig.store, "Deploy canary", now);
    let theirs = BODY.replace("Deploy canary", "Deploy canary in eu-west");
    rig.fake.edit(ISSUE, |i| i.body = Some(theirs.clone()));
    if pull_first {
        let _ = run_round(&mut rig.remote, &mut rig.store, NAME, &rig.shared, true).await;
    } else {
        drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
            .await
            .unwrap();
    }
    assert_eq!(state_of(&rig.store, &op).0, OpState::Conflict);
    assert!(patches(&rig.fake).await.is_empty(), "nothing written");
    assert_eq!(rig.fake.get(ISSUE).body.as_deref(), Some(theirs.as_str()));
}

/// A text edit and an added item each go out as one PATCH that touches only their own line
/// (CRLF kept on the new line, the raw ESC elsewhere untouched).
#[tokio::test]
async fn a_text_edit_and_an_added_item_change_only_their_own_lines() {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let (id, _) = item(&rig.store, "Deploy canary");
    commit(
        &mut rig.store,
        id,
        &Operation::SetItemText {
            old: "Deploy canary".into(),
            new: "Deploy canary to 5%".into(),
        },
        now,
    );
    drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    let (anchor, _) = item(&rig.store, "Watch error budget");
    commit(
        &mut rig.store,
        anchor,
        &Operation::AddItem {
            text: "Page the owner".into(),
            above: false,
        },
        now,
    );
    let report = drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(report.pushed, 1, "{report:?}");
    let sent = patches(&rig.fake).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        changed_lines(BODY, &sent[0]),
        vec![(
            "- [ ] Deploy canary\r\n".to_owned(),
            "- [ ] Deploy canary to 5%\r\n".to_owned()
        )]
    );
    assert_eq!(
        sent[1],
        sent[0].replace(
            "- [ ] Watch error budget\r\n",
            "- [ ] Watch error budget\r\n- [ ] Page the owner\r\n"
        )
    );
    assert!(item(&rig.store, "Page the owner").0 > 0);
}

/// The line holding a raw ESC: a toggle keeps its raw bytes; a text edit (made on the
/// sanitized text the screen showed) is a conflict rather than a write of sanitized text over
/// the user's raw line.
#[tokio::test]
async fn the_line_with_a_control_character_is_never_rewritten_from_sanitized_text() {
    let mut rig = rig(BODY).await;
    let now = rig.shared.now();
    let shown = rig
        .store
        .load_checklist()
        .unwrap()
        .into_iter()
        .find(|i| i.text.starts_with("Announce in #ops"))
        .unwrap();
    let toggled = commit(
        &mut rig.store,
        shown.id,
        &Operation::SetItemChecked {
            old: true,
            new: false,
        },
        now,
    );
    drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(state_of(&rig.store, &toggled).0, OpState::Done);
    let sent = patches(&rig.fake).await;
    assert_eq!(
        changed_lines(BODY, &sent[0]),
        vec![(
            "- [x] Announce in #ops \u{1b}[31mnow\u{1b}[0m\r\n".to_owned(),
            "- [ ] Announce in #ops \u{1b}[31mnow\u{1b}[0m\r\n".to_owned()
        )]
    );

    let edited = commit(
        &mut rig.store,
        shown.id,
        &Operation::SetItemText {
            old: shown.text.clone(),
            new: "Announce in #ops".into(),
        },
        now,
    );
    drain_outbox(&mut rig.remote, &mut rig.store, NAME, &rig.shared)
        .await
        .unwrap();
    assert_eq!(state_of(&rig.store, &edited).0, OpState::Conflict);
    assert_eq!(patches(&rig.fake).await.len(), 1, "no second write");
    assert_eq!(rig.fake.get(ISSUE).body.as_deref(), Some(sent[0].as_str()));
}

/// An issue that is gone (404) is reported, and the other issues' plans still arrive.
#[tokio::test]
async fn a_missing_issue_does_not_hide_the_other_plans() {
    let fake = GithubFake::start().await;
    fake.add(issue_with_body(8, "## Later\n\n- [ ] Retire v1\n"));
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.db")).unwrap();
    let clock = opsdeck::clock::system();
    let mut remote = connector(&fake.uri(), &["octo/hello#7", "octo/hello#8"], &clock);
    let err = remote.pull(&mut store, clock.now()).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let items = store.load_checklist().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].text, "Retire v1");
}
