//! RELIABILITY.md §7 A1, the kill -9 crash loop, over the two issue trackers: Jira Cloud (close
//! with a reason, comment, label) and Redmine (close with a reason, note, priority — Redmine
//! issues have no labels, so the connector refuses label edits and the third kind it pushes is
//! priority). Stateful fakes (`kill9_fakes::{jira, redmine}`) apply every write the moment it
//! arrives and answer it 150 ms later. A CHILD process (this binary re-invoked with
//! `BATTERY_TRACKERS_CHILD`) commits a few edits through the real store
//! (`Store::commit_edit`), printing `ACK` after each commit, then runs `run_headless --once`
//! against both fakes. The parent SIGKILLs it at a random moment (before a commit, between
//! commit and push, during a write) or, every fourth kill, aimed after a fake applied a write
//! and before its answer. `integrity_check` after every kill; after a final drain: every
//! acknowledged edit is `done`, every committed edit has exactly one remote effect (one status
//! change, one comment / journal note with the typed text, one label added, one priority
//! change), a Jira close's reason comment is there exactly once, nothing uncommitted has any
//! effect, and each edit has exactly one audit row.
//!
//! A second test kills the child exactly after Jira appended a comment and before it answered
//! (the answer held 5 s), drains, and checks there is exactly one comment; a third does the same
//! for a Redmine note.
//!
//! Quick tier: 10 kills; long tier: 200.

mod battery_common;
mod kill9_fakes;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use battery_common::{acks, kill_and_read, record, sized, spawn_role, wait_exit};
use kill9_fakes::jira::{JiraFake, JiraIssue};
use kill9_fakes::redmine::{RmFake, RmIssue};
use opsdeck::config::Config;
use opsdeck::domain::{BugStatus, EntityKind, EntityRef, Priority};
use opsdeck::store::{OpState, Operation, Store};
use opsdeck::sync::headless::run_headless;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

const CHILD_ENV: &str = "BATTERY_TRACKERS_CHILD";
const TOKEN_ENV: &str = "BATTERY_TRACKERS_TOKEN";

/// The edit kinds, by `n % 6`: Jira close/comment/label, Redmine close/note/priority.
const KINDS: [&str; 6] = [
    "jclose", "jcomment", "jlabel", "rclose", "rcomment", "rprio",
];

fn kind_of(n: u64) -> &'static str {
    KINDS[usize::try_from(n % 6).unwrap_or(0)]
}

/// What the on-call engineer typed for edit `n` (a close reason or a comment).
fn typed(n: u64) -> String {
    match kind_of(n) {
        "jclose" | "rclose" => format!("fixed by deploy #{n} — verified on host-{n:06}"),
        _ => format!("triage #{n}: repro on host-{n:06}, owner paged"),
    }
}

fn label(n: u64) -> String {
    format!("battery-{n}")
}

fn op_of(n: u64) -> Operation {
    match kind_of(n) {
        "jclose" | "rclose" => Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: Some(typed(n)),
        },
        "jlabel" => Operation::AddBugLabel { label: label(n) },
        "rprio" => Operation::SetBugPriority {
            old: Priority::P2,
            new: Priority::P1,
        },
        _ => Operation::AddBugComment { body: typed(n) },
    }
}

/// (source, external id) of the bug edit `n` targets.
fn target(n: u64) -> (&'static str, String) {
    if kind_of(n).starts_with('j') {
        ("jira", (10_000 + n).to_string())
    } else {
        ("rm", n.to_string())
    }
}

fn config_toml(jira: &str, rm: &str) -> String {
    format!(
        "[[sources]]\nname = \"jira\"\nkind = \"jira\"\nbase_url = \"{jira}\"\n\
         projects = [\"OPS\"]\nemail = \"oncall@example.com\"\ntoken_env = \"{TOKEN_ENV}\"\n\
         [[sources]]\nname = \"rm\"\nkind = \"redmine\"\nbase_url = \"{rm}\"\n\
         projects = [\"ops\"]\ntoken_env = \"{TOKEN_ENV}\"\n"
    )
}

/// The child's role; a no-op unless the parent started this binary with `CHILD_ENV` set.
#[test]
fn battery_trackers_child_role() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(4, '|').collect();
    let (db, jira, rm) = (parts[0], parts[1], parts[2]);
    let edits = parts.get(3).copied().unwrap_or("");
    let clock = opsdeck::clock::system();
    {
        let mut store = Store::open(Path::new(db)).unwrap();
        for n in edits.split(',').filter(|e| !e.is_empty()) {
            let n: u64 = n.parse().unwrap();
            let (source, external) = target(n);
            let id: i64 = store
                .conn()
                .query_row(
                    "SELECT id FROM bugs WHERE source = ?1 AND external_id = ?2",
                    [source, external.as_str()],
                    |r| r.get(0),
                )
                .unwrap();
            let entity = EntityRef {
                kind: EntityKind::Bug,
                id,
            };
            let out = store
                .commit_edit(entity, &op_of(n), clock.now(), "me", &[source.to_owned()])
                .unwrap();
            println!("ACK {n} {}", out.op_id);
            let _ = std::io::Write::flush(&mut std::io::stdout());
        }
    }
    let config = Config::parse(&config_toml(jira, rm), "trackers.toml").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = std::io::stdout();
    let code = rt.block_on(run_headless(
        &config,
        Path::new(db),
        None,
        true,
        clock,
        &mut out,
    ));
    std::process::exit(code);
}

struct Fakes {
    jira: JiraFake,
    rm: RmFake,
    _jira_server: MockServer,
    _rm_server: MockServer,
    /// "<db>|<jira uri>|<redmine uri>"
    spec: String,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
}

impl Fakes {
    /// Writes applied by both fakes so far.
    fn writes(&self) -> usize {
        self.jira.0.lock().unwrap().writes + self.rm.0.lock().unwrap().writes
    }
}

fn child(f: &Fakes, edits: &str) -> Child {
    spawn_role(
        "battery_trackers_child_role",
        &[
            (CHILD_ENV, format!("{}|{edits}", f.spec)),
            (TOKEN_ENV, "battery-token".into()),
        ],
    )
}

/// Runs a child with no new edits to its end; returns what it printed (its sync summary).
async fn run_to_end(f: &Fakes) -> String {
    let mut c = child(f, "");
    wait_exit(&mut c, Duration::from_secs(150)).await;
    kill_and_read(c)
}

/// Both fakes with issues 1..=`issues` each, on loopback, and a cache that pulled them once.
async fn setup(issues: u64) -> Fakes {
    let jira = JiraFake::default();
    let rm = RmFake::default();
    for n in 1..=issues {
        jira.0
            .lock()
            .unwrap()
            .issues
            .insert(n, JiraIssue::default());
        rm.0.lock().unwrap().issues.insert(n, RmIssue::default());
    }
    let jira_server = MockServer::start().await;
    Mock::given(any())
        .respond_with(jira.clone())
        .mount(&jira_server)
        .await;
    let rm_server = MockServer::start().await;
    Mock::given(any())
        .respond_with(rm.clone())
        .mount(&rm_server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let spec = format!("{}|{}|{}", db.display(), jira_server.uri(), rm_server.uri());
    let f = Fakes {
        jira,
        rm,
        _jira_server: jira_server,
        _rm_server: rm_server,
        spec,
        _dir: dir,
        db,
    };
    run_to_end(&f).await;
    let store = Store::open(&f.db).unwrap();
    for source in ["jira", "rm"] {
        let cached: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM bugs WHERE source = ?1",
                [source],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            cached,
            i64::try_from(issues).unwrap(),
            "first pull of {source}"
        );
    }
    f
}

/// Runs children to the end until nothing is pending (a retry after a transport error waits
/// 30 s+, so the retry clock is moved by re-running, bounded). Jira writes are spaced about
/// 1 s apart by the client, so the backlog a long loop leaves can outlast one run's 90 s
/// sync deadline: up to 10 runs. Returns the last run's output.
async fn drain(f: &Fakes) -> String {
    let mut out = String::new();
    for _ in 0..10 {
        out = run_to_end(f).await;
        let store = Store::open(&f.db).unwrap();
        let pending: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM outbox WHERE state IN ('pending', 'inflight')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if pending == 0 {
            break;
        }
        store
            .conn()
            .execute(
                "UPDATE outbox SET next_attempt_at = NULL WHERE state IN ('pending', 'inflight')",
                [],
            )
            .unwrap();
    }
    out
}

/// The plain text of an ADF document (its `text` nodes, paragraphs joined by newlines).
fn adf_text(v: &Value) -> String {
    fn walk(v: &Value, out: &mut Vec<String>) {
        if let Some(t) = v["text"].as_str() {
            if let Some(last) = out.last_mut() {
                last.push_str(t);
            }
        }
        if v["type"].as_str() == Some("paragraph") {
            out.push(String::new());
        }
        for c in v["content"].as_array().into_iter().flatten() {
            walk(c, out);
        }
    }
    let mut out = vec![String::new()];
    walk(v, &mut out);
    out.iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the end state shows, per offered edit.
#[derive(Debug, Default)]
struct Tally {
    committed: usize,
    lost: usize,
    not_done: usize,
    duplicated: usize,
    missing: usize,
    phantom: usize,
    /// Jira closes whose reason comment never arrived.
    reason_lost: usize,
    audit_not_once: usize,
    /// Up to 5 acknowledged entries not `done`: state, attempts, last error.
    not_done_why: Vec<String>,
}

impl Tally {
    fn failures(&self) -> usize {
        self.lost
            + self.not_done
            + self.duplicated
            + self.missing
            + self.phantom
            + self.reason_lost
            + self.audit_not_once
    }
}

/// Remote effects of edit `n` on the fakes: (main effect count, reason comments for a Jira
/// close, else 1).
fn effects(f: &Fakes, n: u64) -> (usize, usize) {
    let text = typed(n);
    if kind_of(n).starts_with('j') {
        let s = f.jira.0.lock().unwrap();
        let Some(i) = s.issues.get(&n) else {
            return (0, 1);
        };
        let comments = i.comments.iter().filter(|c| adf_text(c) == text).count();
        match kind_of(n) {
            "jclose" => (i.status_changes, comments),
            "jcomment" => (comments, 1),
            _ => (i.label_adds.get(&label(n)).copied().unwrap_or(0), 1),
        }
    } else {
        let s = f.rm.0.lock().unwrap();
        let Some(i) = s.issues.get(&n) else {
            return (0, 1);
        };
        let notes = i.notes.iter().filter(|t| **t == text).count();
        match kind_of(n) {
            // The reason is the note of the same PUT: one write, both effects.
            "rclose" => (i.status_changes.max(notes), 1),
            "rcomment" => (notes, 1),
            _ => (i.priority_changes, 1),
        }
    }
}

/// Compares the outbox, the audit and the fakes after the drain.
fn tally(f: &Fakes, offered: &[u64], acked: &BTreeMap<u64, String>) -> Tally {
    let store = Store::open(&f.db).unwrap();
    store.check_integrity().unwrap();
    let mut t = Tally::default();
    let entries = store.list_outbox(100_000).unwrap();
    let by_op: BTreeMap<&str, &opsdeck::store::OutboxEntry> =
        entries.iter().map(|e| (e.op_id.as_str(), e)).collect();
    for id in acked.values() {
        match by_op.get(id.as_str()) {
            None => t.lost += 1,
            Some(e) if e.state == OpState::Done => {}
            Some(e) => {
                t.not_done += 1;
                if t.not_done_why.len() < 5 {
                    t.not_done_why.push(format!(
                        "{} {:?} after {} attempts: {:?}",
                        e.entity_label, e.state, e.attempts, e.last_error
                    ));
                }
            }
        }
    }
    // Committed edits by (source, external id) → outbox state.
    let committed: BTreeMap<(String, String), String> = {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT b.source, b.external_id, o.state FROM outbox o \
                 JOIN bugs b ON o.entity_kind = 'bug' AND b.id = o.entity_id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
            .unwrap()
            .filter_map(Result::ok)
            .collect()
    };
    let audit_rows: BTreeMap<String, i64> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT op_id, count(*) FROM audit WHERE op_id IS NOT NULL GROUP BY op_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap()
            .filter_map(Result::ok)
            .collect()
    };
    t.audit_not_once = entries
        .iter()
        .filter(|e| audit_rows.get(&e.op_id).copied() != Some(1))
        .count();
    for &n in offered {
        let (source, external) = target(n);
        let (main, reason) = effects(f, n);
        let Some(state) = committed.get(&(source.to_owned(), external)) else {
            t.phantom += usize::from(main > 0 || (kind_of(n) == "jclose" && reason > 0));
            continue;
        };
        t.committed += 1;
        if main > 1 || reason > 1 {
            t.duplicated += 1;
        } else if state == "done" && main == 0 {
            t.missing += 1;
        } else if state == "done" && reason == 0 {
            t.reason_lost += 1;
        } else if state != "done" && !acked.contains_key(&n) {
            t.not_done += 1;
        }
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_kill9_loop_jira_and_redmine() {
    let kills: usize = std::env::var("OPSDECK_BATTERY_TRACKERS_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| sized(10, 200));
    let per_child = 3u64;
    let f = setup(u64::try_from(kills).unwrap() * per_child + 12).await;
    let started = Instant::now();

    let mut rng = rand::rngs::StdRng::seed_from_u64(1313);
    let mut next = 1u64;
    let mut offered: Vec<u64> = Vec::new();
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut phases: BTreeMap<&str, usize> = BTreeMap::new();
    let mut integrity_failures = 0usize;
    for kill_no in 0..kills {
        let edits: Vec<u64> = (next..next + per_child).collect();
        next += per_child;
        offered.extend(&edits);
        let spec: Vec<String> = edits.iter().map(ToString::to_string).collect();
        let before = f.writes();
        let c = child(&f, &spec.join(","));
        if kill_no % 4 == 3 {
            // Aimed: wait (bounded) for a fake to apply a write, then kill inside the 150 ms
            // its answer is held back.
            let deadline = Instant::now() + Duration::from_secs(60);
            while f.writes() == before && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        } else {
            let window = [100u64, 400, 2000][kill_no % 3];
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..window))).await;
        }
        let stdout = kill_and_read(c);
        let got = acks(&stdout);
        let writes = f.writes() - before;
        acked.extend(got.clone());
        let inflight: i64 = Store::open(&f.db)
            .and_then(|s| {
                Ok(s.conn().query_row(
                    "SELECT count(*) FROM outbox WHERE state = 'inflight'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap_or(0);
        let phase = if stdout.contains("summary:") {
            "after the round ended"
        } else if got.len() < edits.len() {
            "before or during commit"
        } else if writes == 0 {
            "between commit and push (or write sent, not yet applied)"
        } else if inflight > 0 {
            "after the remote applied, before the answer"
        } else {
            "after an answer"
        };
        *phases.entry(phase).or_default() += 1;
        if Store::open(&f.db)
            .and_then(|s| s.check_integrity())
            .is_err()
        {
            integrity_failures += 1;
        }
    }
    let last_run = drain(&f).await;
    let t = tally(&f, &offered, &acked);
    let failed = t.failures() + integrity_failures;
    record(
        "A1 kill -9 loop (Jira: close, comment, label; Redmine: close, note, priority)",
        kills,
        if failed == 0 { kills } else { 0 },
        usize::from(failed > 0) * kills,
        &format!(
            "{} tracker edits committed ({} acked): {} lost, {} duplicated, {} done but never \
             applied, {} Jira close reasons lost, {} phantom, {} not done; \
             {integrity_failures} integrity failures; {} edits without exactly one audit row; \
             {:.0} s; kills: {phases:?}",
            t.committed,
            acked.len(),
            t.lost,
            t.duplicated,
            t.missing,
            t.reason_lost,
            t.phantom,
            t.not_done,
            t.audit_not_once,
            started.elapsed().as_secs_f64(),
        ),
    );
    assert!(t.committed >= acked.len(), "{t:?}");
    assert_eq!(
        failed, 0,
        "{t:?}, integrity failures {integrity_failures}; the last drain run said: {last_run}"
    );
}

/// Kills the child after a fake applied edit `n`'s first write and before it answered (the
/// answer held 5 s), drains, and returns the tally.
async fn killed_after_applied(n: u64) -> (Fakes, Tally) {
    let f = setup(6).await;
    f.jira.0.lock().unwrap().answer_delay_ms = 5_000;
    f.rm.0.lock().unwrap().answer_delay_ms = 5_000;
    let c = child(&f, &n.to_string());
    let deadline = Instant::now() + Duration::from_secs(60);
    while f.writes() == 0 {
        assert!(Instant::now() < deadline, "the child never wrote edit {n}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let stdout = kill_and_read(c);
    let got = acks(&stdout);
    assert!(got.contains_key(&n), "the edit was acknowledged: {stdout}");
    {
        let store = Store::open(&f.db).unwrap();
        store.check_integrity().unwrap();
        let state: String = store
            .conn()
            .query_row("SELECT state FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(state, "inflight", "killed before the answer arrived");
    }
    f.jira.0.lock().unwrap().answer_delay_ms = 0;
    f.rm.0.lock().unwrap().answer_delay_ms = 0;
    drain(&f).await;
    let t = tally(&f, &[1, 2, 3, 4, 5, 6], &got);
    (f, t)
}

/// A SIGKILL after Jira appended the comment but before its 201 reached opsdeck: the entry
/// stays in flight, and the retry must find the comment it already made rather than post a
/// second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_jira_comment_killed_after_applied_before_answer_is_posted_once() {
    let (f, t) = killed_after_applied(1).await; // 1 % 6 → "jcomment"
    assert_eq!(kind_of(1), "jcomment");
    assert_eq!(t.committed, 1, "{t:?}");
    assert_eq!(t.failures(), 0, "{t:?}");
    let s = f.jira.0.lock().unwrap();
    let comments: Vec<String> = s.issues[&1].comments.iter().map(adf_text).collect();
    assert_eq!(comments, [typed(1)], "exactly one comment, the typed text");
}

/// The same for a Redmine note (`PUT /issues/{id}.json` with `notes`): exactly one journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_redmine_note_killed_after_applied_before_answer_is_written_once() {
    let (f, t) = killed_after_applied(4).await; // 4 % 6 → "rcomment"
    assert_eq!(kind_of(4), "rcomment");
    assert_eq!(t.committed, 1, "{t:?}");
    assert_eq!(t.failures(), 0, "{t:?}");
    assert_eq!(f.rm.0.lock().unwrap().issues[&4].notes, [typed(4)]);
}

/// REGRESSION: a Jira close's reason is a comment POSTed after the transition; a SIGKILL after
/// Jira applied the transition but before its answer left the entry in flight, and the retry
/// saw the issue already Done and returned without the comment, so the typed reason was lost
/// (2 of 10 closes in the first quick run). The status must change once and the reason must
/// reach the issue once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_jira_close_killed_after_transition_keeps_its_reason_once() {
    let (f, t) = killed_after_applied(6).await; // 6 % 6 → "jclose"
    assert_eq!(kind_of(6), "jclose");
    assert_eq!(t.committed, 1, "{t:?}");
    let s = f.jira.0.lock().unwrap();
    assert_eq!(s.issues[&6].status_changes, 1, "closed once");
    let comments: Vec<String> = s.issues[&6].comments.iter().map(adf_text).collect();
    assert_eq!(comments, [typed(6)], "the close reason, once: {t:?}");
    assert_eq!(t.failures(), 0, "{t:?}");
}
