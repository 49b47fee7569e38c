//! RELIABILITY.md §7 B1: two opsdeck processes on one cache, each making one edit a second and
//! reading the bugs tab at 4 Hz, while a third process runs `sync --once` rounds back to back
//! against the GitHub fake. Pass: 0 "database is locked" / SQLITE_BUSY surfaced anywhere, every
//! edit committed. Long tier: 10 minutes; quick tier: 10 seconds (the same code, shorter).

mod battery_common;
mod github_fake;

use opsdeck::sync::Build as _;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use battery_common::{record, sized};
use github_fake::{config_toml, GithubFake};
use opsdeck::config::Config;
use opsdeck::domain::{EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::engine::{http_clock, Connector, Remote};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::headless::run_headless;
use opsdeck::sync::secret::Secret;

const CHILD_ENV: &str = "BATTERY_B1_CHILD";
const TOKEN_ENV: &str = "BATTERY_B1_TOKEN";

/// The children's roles; a no-op unless the parent set `CHILD_ENV` (`role|db|uri|secs`).
#[test]
fn battery_b1_child_role() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let p: Vec<&str> = spec.split('|').collect();
    let (role, db, uri, secs) = (p[0], Path::new(p[1]), p[2], p[3].parse::<u64>().unwrap());
    let until = Instant::now() + Duration::from_secs(secs);
    let clock = opsdeck::clock::system();
    if role == "sync" {
        let config = Config::parse(&config_toml("gh", uri, TOKEN_ENV), "b1.toml").unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut rounds = 0;
        while Instant::now() < until {
            let mut out = Vec::new();
            let code = rt.block_on(run_headless(
                &config,
                db,
                None,
                true,
                clock.clone(),
                &mut out,
            ));
            rounds += 1;
            let text = String::from_utf8_lossy(&out);
            // A round cut by the run's deadline (1 mutation/s against a growing outbox) is
            // exit 1 with UNFINISHED: counted, not an error. Lock errors and crashes are.
            if text.contains("locked") || text.contains("busy") || !(code == 0 || code == 1) {
                println!("ERR sync round {rounds} (exit {code}): {text}");
            } else if code == 1 {
                println!("CUT 1");
            }
            // Pacing like a tight cron (a round a second), not synchronisation.
            std::thread::sleep(Duration::from_secs(1));
        }
        println!("ROUNDS {rounds}");
        return;
    }
    let mut store = Store::open(db).unwrap();
    let ids: Vec<i64> = {
        let mut stmt = store.conn().prepare("SELECT id FROM bugs").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .filter_map(Result::ok)
            .collect()
    };
    let mut edits = 0usize;
    let mut tick = 0u64;
    while Instant::now() < until {
        tick += 1;
        if let Err(e) = store.load_bugs(None) {
            println!("ERR read: {e}");
        }
        if tick % 4 == 0 {
            let e = EntityRef {
                kind: EntityKind::Bug,
                id: ids[usize::try_from(tick).unwrap() % ids.len()],
            };
            let op = Operation::AddBugComment {
                body: format!("{role} {tick}"),
            };
            match store.commit_edit(e, &op, clock.now(), role, &["gh".to_owned()]) {
                Ok(_) => edits += 1,
                Err(err) => println!("ERR edit: {err}"),
            }
        }
        // Pacing of the load (4 Hz reads, 1 edit/s), not synchronisation.
        std::thread::sleep(Duration::from_millis(250));
    }
    println!("EDITS {edits}");
}

fn child(role: &str, db: &Path, uri: &str, secs: u64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "battery_b1_child_role",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{role}|{}|{uri}|{secs}", db.display()))
        .env(TOKEN_ENV, "ghp_b1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_b1_two_processes_and_sync_share_one_cache() {
    let secs = sized(10, 600);
    let fake = GithubFake::start().await;
    fake.seed(200, 0);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    {
        let clock = opsdeck::clock::system();
        let config = Config::parse(&config_toml("gh", &fake.uri(), TOKEN_ENV), "t.toml").unwrap();
        let mut store = Store::open(&db).unwrap();
        let gh = GithubSource::new(
            &config.sources[0],
            Some(Secret::new("ghp_b1")),
            http_clock(&clock),
        )
        .unwrap();
        Connector::Github(gh)
            .pull(&mut store, clock.now())
            .await
            .unwrap();
    }
    let children = vec![
        child("alice", &db, &fake.uri(), secs),
        child("bob", &db, &fake.uri(), secs),
        child("sync", &db, &fake.uri(), secs),
    ];
    let deadline = Instant::now() + Duration::from_secs(secs + 120);
    let mut outputs = String::new();
    for mut c in children {
        while c.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a B1 child did not finish");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut s = String::new();
        if let Some(mut out) = c.stdout.take() {
            let _ = out.read_to_string(&mut s);
        }
        outputs.push_str(&s);
    }
    let count = |tag: &str| -> usize {
        outputs
            .lines()
            .filter_map(|l| l.find(tag).map(|at| &l[at + tag.len()..]))
            .filter_map(|n| n.trim().parse::<usize>().ok())
            .sum()
    };
    let edits = count("EDITS ");
    let rounds = count("ROUNDS ");
    let cut = count("CUT ");
    let errors: Vec<&str> = outputs.lines().filter(|l| l.contains("ERR ")).collect();
    let locked = outputs.matches("locked").count() + outputs.matches("busy").count();
    let store = Store::open(&db).unwrap();
    store.check_integrity().unwrap();
    record(
        &format!("B1 two processes + sync on one cache ({secs} s)"),
        edits,
        if errors.is_empty() { edits } else { 0 },
        errors.len(),
        &format!(
            "{edits} edits, {rounds} sync rounds ({cut} cut by the 90 s deadline), {locked} \
             lock/busy errors surfaced"
        ),
    );
    assert!(edits > 0 && rounds > 0, "{outputs}");
    assert!(errors.is_empty(), "{errors:#?}");
}
