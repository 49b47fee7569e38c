//! The Redmine connector against a REAL Redmine 5 (Debian package) started by
//! `scripts/stack.sh up --with-redmine` on ports 18201–18203: pull the seeded issues, push a
//! close and a priority raise through the outbox the way the engine will, check them with
//! Redmine's own REST API, then stop Redmine, see an edit wait as Retry, restart it and see the
//! edit land. The stack is always torn down (Drop guard running `stack.sh down`).
//!
//! If the stack cannot start, the test FAILS with the script's own error (never skips).

mod trackers_common;

use opsdeck::sync::{Build as _, Source as _};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use opsdeck::config::{SourceConfig, SourceKind};
use opsdeck::domain::{BugStatus, EntityKind, EntityRef, Priority};
use opsdeck::store::outbox::Operation;
use opsdeck::store::trackers::bug_count;
use opsdeck::store::Store;
use opsdeck::sync::redmine::RedmineSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PushOutcome;
use serde_json::Value;

const RM_PORT: &str = "18201";
const PROM_PORT: &str = "18202";
const AM_PORT: &str = "18203";
const SOURCE: &str = "redmine-real";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/stack.sh")
}

fn stack_cmd() -> Command {
    let mut c = Command::new("bash");
    c.arg(script())
        .env("RM_PORT", RM_PORT)
        .env("PROM_PORT", PROM_PORT)
        .env("AM_PORT", AM_PORT);
    c
}

/// A running stack; `Drop` stops it and deletes its directory.
struct Stack {
    work: PathBuf,
    env: HashMap<String, String>,
    _parent: tempfile::TempDir,
}

impl Stack {
    fn up() -> Stack {
        let parent = tempfile::tempdir().unwrap();
        let work = parent.path().join("stack");
        let started = Instant::now();
        let out = stack_cmd()
            .args(["up", "--with-redmine"])
            .env("WORK", &work)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run scripts/stack.sh (bash missing?)");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "scripts/stack.sh up --with-redmine FAILED ({}); install with scripts/install-deps.sh.\n{stderr}",
            out.status
        );
        let env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        eprintln!("stack up in {:.1} s", started.elapsed().as_secs_f64());
        Stack {
            work,
            env,
            _parent: parent,
        }
    }

    fn get(&self, key: &str) -> String {
        let v = self.env.get(key).cloned().unwrap_or_default();
        assert!(
            !v.is_empty(),
            "{key} is missing from stack.env: {:?}",
            self.env
        );
        v
    }

    fn redmine_pid(&self) -> u32 {
        let text = std::fs::read_to_string(self.work.join("redmine.pid")).unwrap();
        text.trim().parse().unwrap()
    }

    /// Stops Redmine (its whole process group, as `stack.sh down` does) and waits until it is gone.
    fn stop_redmine(&self) {
        let pid = self.redmine_pid();
        let status = Command::new("kill")
            .args(["-TERM", "--", &format!("-{pid}")])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM -{pid} failed");
        wait_until(Duration::from_secs(30), "Redmine to exit", || {
            !Path::new(&format!("/proc/{pid}")).exists()
        });
    }

    /// Starts Redmine again on the same database and port, detached from this process (so it
    /// is reaped by init, not left a zombie); `down` stops it through the pid file.
    fn restart_redmine(&self) {
        let server_pid = self.work.join("redmine-server.pid");
        let _ = std::fs::remove_file(&server_pid);
        let script = "setsid bash -c 'cd /usr/share/redmine && exec bin/rails server -e production \
                      -b 127.0.0.1 -p \"$RM_PORT\" -P \"$SERVER_PID\"' > \"$LOG\" 2>&1 < /dev/null & echo $!";
        let out = Command::new("bash")
            .args(["-c", script])
            .env("RAILS_ENV", "production")
            .env(
                "DATABASE_URL",
                format!("sqlite3:{}", self.work.join("redmine.sqlite3").display()),
            )
            .env("RM_PORT", RM_PORT)
            .env("SERVER_PID", &server_pid)
            .env("LOG", self.work.join("redmine-restart.log"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            out.status.success() && pid.parse::<u32>().is_ok(),
            "could not restart Redmine: {out:?}"
        );
        std::fs::write(self.work.join("redmine.pid"), format!("{pid}\n")).unwrap();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let started = Instant::now();
        let out = stack_cmd()
            .arg("down")
            .arg(&self.work)
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let took = started.elapsed().as_secs_f64();
                eprintln!(
                    "stack down in {took:.1} s:\n{}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            Ok(o) => eprintln!(
                "stack.sh down failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("could not run stack.sh down: {e}"),
        }
    }
}

/// Polls `ready` every 200 ms until it holds, failing after `limit`.
fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

async fn wait_for_login(url: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ok = client
            .get(format!("{url}/login"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Redmine did not come back at {url}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn now() -> DateTime<Utc> {
    trackers_common::wall_now()
}

fn config(url: &str) -> SourceConfig {
    let mut c = trackers_common::source_config(SOURCE, SourceKind::Redmine, url, "REDMINE_KEY");
    c.projects = vec!["ops".into()];
    c
}

/// Pushes everything due at `at`, as the engine will: next → in flight → push → mark.
async fn drain(src: &mut RedmineSource, store: &mut Store, at: DateTime<Utc>) -> Vec<PushOutcome> {
    let mut outcomes = Vec::new();
    for _ in 0..20 {
        let Some(entry) = store.next_to_push(SOURCE, at).unwrap() else {
            break;
        };
        store.mark_inflight(entry.seq, at).unwrap();
        let entry = store.next_to_push(SOURCE, at).unwrap().unwrap();
        let outcome = src.push(store, &entry, at).await.unwrap();
        match &outcome {
            PushOutcome::Done => store.mark_done(entry.seq, at).unwrap(),
            PushOutcome::Conflict(v) => store.mark_conflict(entry.seq, at, v).unwrap(),
            PushOutcome::Failed(m) => store.mark_failed(entry.seq, at, m).unwrap(),
            PushOutcome::Retry { at: next, error } => {
                store.mark_retry(entry.seq, at, *next, error).unwrap()
            }
        }
        outcomes.push(outcome);
    }
    outcomes
}

async fn remote_issue(url: &str, key: &str, id: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{url}/issues/{id}.json?include=journals"))
        .header("X-Redmine-API-Key", key)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["issue"]
        .clone()
}

fn bug_id(store: &Store, key: &str) -> i64 {
    store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.key == key)
        .unwrap()
        .id
}

fn edit(store: &mut Store, key: &str, op: Operation) {
    let entity = EntityRef {
        kind: EntityKind::Bug,
        id: bug_id(store, key),
    };
    store
        .commit_edit(entity, &op, now(), "me", &[SOURCE.into()])
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulls_pushes_and_survives_an_outage_against_a_real_redmine() {
    let started = Instant::now();
    let stack = Stack::up();
    let url = stack.get("REDMINE_URL");
    let key = stack.get("REDMINE_KEY");
    let seed: Value =
        serde_json::from_str(&std::fs::read_to_string(stack.get("REDMINE_SEED_JSON")).unwrap())
            .unwrap();
    let seeded = seed["issues"].as_array().unwrap().len();

    let mut src = RedmineSource::new(
        &config(&url),
        Some(Secret::new(key.clone())),
        trackers_common::real_clock(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("cache.db")).unwrap();

    // 1. Pull the seeded issues.
    let report = src.pull(&mut store, now()).await.unwrap();
    assert_eq!(seeded, 5);
    assert_eq!(report.fetched, seeded);
    assert_eq!(bug_count(store.conn(), SOURCE).unwrap() as usize, seeded);
    let mut mapped: Vec<(String, Priority, BugStatus)> = store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .map(|b| (b.key, b.priority, b.status))
        .collect();
    mapped.sort();
    assert_eq!(
        mapped,
        vec![
            ("RM-1".into(), Priority::P0, BugStatus::Open), // Immediate, New
            ("RM-2".into(), Priority::P1, BugStatus::InProgress), // Urgent, In Progress
            ("RM-3".into(), Priority::P1, BugStatus::Open), // High, New
            ("RM-4".into(), Priority::P2, BugStatus::Open), // Normal, Feedback
            ("RM-5".into(), Priority::P3, BugStatus::Closed), // Low, Closed
        ]
    );

    // 2. Two edits through the store, pushed like the engine will.
    edit(
        &mut store,
        "RM-1",
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: Some("fixed by rolling back v2.3.1".into()),
        },
    );
    edit(
        &mut store,
        "RM-4",
        Operation::SetBugPriority {
            old: Priority::P2,
            new: Priority::P2.raised(),
        },
    );
    let outcomes = drain(&mut src, &mut store, now()).await;
    assert_eq!(outcomes, vec![PushOutcome::Done, PushOutcome::Done]);

    // 3. Redmine's own API agrees.
    let one = remote_issue(&url, &key, "1").await;
    assert_eq!(one["status"]["name"], "Closed");
    let notes: Vec<&str> = one["journals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["notes"].as_str())
        .collect();
    assert!(notes.contains(&"fixed by rolling back v2.3.1"), "{notes:?}");
    let four = remote_issue(&url, &key, "4").await;
    assert_eq!(
        four["priority"]["name"], "High",
        "Normal raised to P1 = High (least severe P1)"
    );

    // 4. A second sync: nothing pending, no duplicates, the cache shows the remote truth.
    src.pull(&mut store, now()).await.unwrap();
    let summary = store.outbox_summary().unwrap();
    assert_eq!(
        (summary.queued, summary.conflicts, summary.failed),
        (0, 0, 0)
    );
    assert_eq!(bug_count(store.conn(), SOURCE).unwrap() as usize, seeded);
    let bugs = store.load_bugs(None).unwrap();
    let rm1 = bugs.iter().find(|b| b.key == "RM-1").unwrap();
    let rm4 = bugs.iter().find(|b| b.key == "RM-4").unwrap();
    assert_eq!((rm1.status, rm1.pending), (BugStatus::Closed, false));
    assert!(rm1.closed_at.is_some());
    assert_eq!((rm4.priority, rm4.pending), (Priority::P1, false));

    // 5. Redmine goes away: the third edit waits as Retry, still queued.
    stack.stop_redmine();
    edit(
        &mut store,
        "RM-3",
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::InProgress,
            reason: None,
        },
    );
    let outcomes = drain(&mut src, &mut store, now()).await;
    let [PushOutcome::Retry {
        at: retry_at,
        error,
    }] = outcomes.as_slice()
    else {
        panic!("expected one Retry while Redmine is down, got {outcomes:?}");
    };
    assert!(error.contains("network error"), "{error}");
    assert!(!error.contains(&key), "the key never shows up in errors");
    assert_eq!(store.outbox_summary().unwrap().queued, 1);

    // 6. Redmine is back: at the retry time the edit lands (bounded: a few retries at most).
    stack.restart_redmine();
    wait_for_login(&url).await;
    let mut at = *retry_at;
    let mut landed = false;
    for _ in 0..5 {
        let outcomes = drain(&mut src, &mut store, at).await;
        match outcomes.last() {
            Some(PushOutcome::Done) => {
                landed = true;
                break;
            }
            Some(PushOutcome::Retry { at: next, .. }) => at = *next + TimeDelta::seconds(1),
            other => panic!("unexpected outcome after restart: {other:?}"),
        }
    }
    assert!(landed, "the queued edit never landed");
    let three = remote_issue(&url, &key, "3").await;
    assert_eq!(three["status"]["name"], "In Progress");
    assert_eq!(store.outbox_summary().unwrap().queued, 0);

    eprintln!(
        "whole test before teardown: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
