//! Crash safety of write-back: a headless sync runs in a CHILD process (this test binary
//! re-invoked with `OPSDECK_KILL9_CHILD` set, which switches `kill9_child_role` from a no-op to
//! "run `run_headless --once`"), is SIGKILLed while a write is in flight (the fake GitHub
//! delays every write's answer by 2 s after applying it), and is restarted. After each of a
//! bounded number of rounds: exactly one remote effect per edit, every edit `done`, and the
//! cache passes `integrity_check` and `foreign_key_check`.

mod github_fake;

use opsdeck::sync::Build as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use github_fake::{config_toml, GithubFake};
use opsdeck::config::Config;
use opsdeck::domain::{BugStatus, EntityKind, EntityRef};
use opsdeck::store::{OpState, Operation, Store};
use opsdeck::sync::engine::{http_clock, Connector, Remote};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::headless::run_headless;
use opsdeck::sync::secret::Secret;

const CHILD_ENV: &str = "OPSDECK_KILL9_CHILD";
const TOKEN_ENV: &str = "OPSDECK_KILL9_TOKEN";
const NAME: &str = "gh";

/// The child's role; a no-op unless the parent started this binary with `CHILD_ENV` set.
#[test]
fn kill9_child_role() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (db, uri) = spec.split_once('|').unwrap();
    let config = Config::parse(&config_toml(NAME, uri, TOKEN_ENV), "kill9.toml").unwrap();
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
        opsdeck::clock::system(),
        &mut out,
    ));
    std::process::exit(code);
}

fn child(db: &Path, uri: &str, stdout: Stdio) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "kill9_child_role",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{}|{uri}", db.display()))
        .env(TOKEN_ENV, "ghp_kill9")
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn prepare(fake: &GithubFake, db: &Path) -> Vec<String> {
    fake.add(GithubFake::issue(1, &["bug"], &[]));
    let mut two = GithubFake::issue(2, &["bug"], &[]);
    two.open = false;
    fake.add(two);
    fake.add(GithubFake::issue(3, &["bug"], &[]));
    let clock = opsdeck::clock::system();
    let config = Config::parse(&config_toml(NAME, &fake.uri(), TOKEN_ENV), "t.toml").unwrap();
    let mut store = Store::open(db).unwrap();
    let gh = GithubSource::new(
        &config.sources[0],
        Some(Secret::new("ghp_kill9")),
        http_clock(&clock),
    )
    .unwrap();
    Connector::Github(gh)
        .pull(&mut store, clock.now())
        .await
        .unwrap();
    let edits = [
        (
            1,
            Operation::SetBugStatus {
                old: BugStatus::Open,
                new: BugStatus::Closed,
                reason: Some("completed".into()),
            },
        ),
        (
            2,
            Operation::SetBugStatus {
                old: BugStatus::Closed,
                new: BugStatus::Open,
                reason: None,
            },
        ),
        (
            3,
            Operation::AddBugComment {
                body: "investigating".into(),
            },
        ),
    ];
    edits
        .into_iter()
        .map(|(n, op)| {
            let id: i64 = store
                .conn()
                .query_row(
                    "SELECT id FROM bugs WHERE key = ?1",
                    [format!("#{n}")],
                    |r| r.get(0),
                )
                .unwrap();
            let e = EntityRef {
                kind: EntityKind::Bug,
                id,
            };
            store
                .commit_edit(e, &op, clock.now(), "me", &[NAME.to_owned()])
                .unwrap()
                .op_id
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_push_and_restarted_applies_each_edit_exactly_once() {
    for kill_after_writes in 1..=3usize {
        let fake = GithubFake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cache.db");
        let ops = prepare(&fake, &db).await;
        fake.clear_log();
        fake.set_write_delay(Duration::from_secs(2));

        let mut first = child(&db, &fake.uri(), Stdio::null());
        let deadline = Instant::now() + Duration::from_secs(60);
        while fake.log().iter().filter(|l| l.is_write()).count() < kill_after_writes {
            assert!(
                Instant::now() < deadline,
                "the child never sent write #{kill_after_writes}"
            );
            assert!(
                first.try_wait().unwrap().is_none(),
                "the child ended before it was killed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.kill().unwrap(); // SIGKILL while the write's answer is still delayed
        first.wait().unwrap();
        let before_restart = fake.log().iter().filter(|l| l.is_write()).count();

        let second = child(&db, &fake.uri(), Stdio::piped());
        let output = tokio::task::spawn_blocking(move || second.wait_with_output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "restart failed: {stdout}");
        assert!(
            stdout.contains("gh: ") && stdout.contains("summary: 1 ok"),
            "{stdout}"
        );

        for n in 1..=3 {
            assert_eq!(
                fake.effects(n),
                1,
                "issue #{n}: exactly one remote effect (round {kill_after_writes})"
            );
        }
        let writes = fake.log().iter().filter(|l| l.is_write()).count();
        assert_eq!(writes, 3, "the edit in flight at the kill was reconciled by a read, not re-sent (sent before restart: {before_restart})");
        assert!(!fake.get(1).open && fake.get(2).open);
        assert_eq!(fake.get(3).comments.len(), 1);

        let store = Store::open(&db).unwrap();
        store.check_integrity().unwrap();
        let entries = store.list_outbox(10).unwrap();
        assert_eq!(entries.len(), 3);
        for e in entries {
            assert!(ops.contains(&e.op_id));
            assert_eq!(e.state, OpState::Done, "{e:?}");
        }
    }
}
