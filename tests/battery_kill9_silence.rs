//! RELIABILITY.md §7 A1, the kill -9 crash loop, for the last edit kind: silencing an
//! Alertmanager alert. A stateful Alertmanager fake (`kill9_fakes::alertmanager`) creates a
//! silence the moment `POST /api/v2/silences` arrives and answers `{"silenceID"}` 150 ms later.
//! A CHILD process (this binary re-invoked with `BATTERY_SILENCE_CHILD`) presses `m` on an
//! alert synced from the fake (`State::update`: default duration, the comment typed key by
//! key, Enter), commits the edit that yields through the real store, printing `ACK` after each
//! commit, then runs `run_headless --once`. The parent SIGKILLs it at a random moment: before a
//! commit, between commit and push, during the POST, and after the fake applied the silence but
//! before its answer. `integrity_check` after every kill; after a final drain: every
//! acknowledged edit is `done`, every committed silence edit has exactly one silence on the
//! fake (none lost, none duplicated), nothing uncommitted has any, each silence carries the
//! typed comment and the alert's labels, the cache shows the alert silenced by exactly that
//! silence, and each edit has exactly one audit row.
//!
//! A second test kills the child exactly in the "applied, not answered" window (it waits for
//! the fake to hold the silence, then kills while the answer is held back, 5 s there) and
//! checks the retry finds the silence instead of posting another one.
//!
//! Every fourth kill is aimed at the "applied, not answered" window the same way; the others
//! land at a uniformly random moment in 0..100, 0..400 or 0..2000 ms.
//!
//! Quick tier: 10 kills; long tier: 200.

mod battery_common;
mod kill9_fakes;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use battery_common::{acks, kill_and_read, record, sized, spawn_role, wait_exit};
use kill9_fakes::alertmanager::AmFake;
use opsdeck::app::action::Action;
use opsdeck::app::keymap::Keymap;
use opsdeck::app::msg::{Edit, Effect, InputKey as K, Msg, Rows};
use opsdeck::app::state::{bindings_table, State};
use opsdeck::config::{Config, Policy};
use opsdeck::domain::Tab;
use opsdeck::store::{OpState, Store};
use opsdeck::sync::headless::run_headless;
use rand::{Rng, SeedableRng};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

const CHILD_ENV: &str = "BATTERY_SILENCE_CHILD";

/// The comment the on-call engineer "typed" at the `m` prompt for alert `n`.
fn typed(n: usize) -> String {
    format!("db failover #{n} — host-{n:06} reboots, back by 14:30")
}

fn labels(n: usize) -> BTreeMap<String, String> {
    [
        ("alertname", "BatteryDiskFull".to_owned()),
        ("instance", format!("host-{n:06}")),
        ("severity", "page".to_owned()),
        ("service", "checkout".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn fingerprint(n: usize) -> String {
    format!("{n:016x}")
}

/// The edits the `m` key makes on cached alert `alert_id` (src/app/edits/incidents.rs), driven
/// through `State::update` as the TUI does: `m`, Enter on the default duration (1 hour), the
/// comment typed key by key, Enter.
fn m_key_edits(store: &Store, alert_id: i64, comment: &str) -> Vec<Edit> {
    let now = opsdeck::clock::system().now();
    let mut state = State::new(now, chrono_tz::UTC, Policy::default());
    state.bindings = bindings_table(&Keymap::defaults());
    state.update(Msg::Loaded {
        rows: Rows::Incidents(
            store.load_incidents(None).unwrap(),
            store.load_alerts().unwrap(),
        ),
        complete: true,
    });
    state.tab = Tab::Incidents;
    state.alerts_focus = true;
    let row = state
        .alerts
        .visible()
        .position(|a| a.id == alert_id)
        .expect("the alert is listed");
    state.alerts.selected = row;
    let mut fx = state.update(Msg::Action(Action::Silence));
    fx.extend(state.update(Msg::Input(K::Enter)));
    for c in comment.chars() {
        fx.extend(state.update(Msg::Input(K::Char(c))));
    }
    fx.extend(state.update(Msg::Input(K::Enter)));
    fx.into_iter()
        .flat_map(|e| match e {
            Effect::Commit(edits) => edits,
            other => panic!("the m key did {other:?}, not a commit"),
        })
        .collect()
}

/// The child's role; a no-op unless the parent started this binary with `CHILD_ENV` set.
#[test]
fn battery_silence_child_role() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(3, '|').collect();
    let (db, uri, edits) = (parts[0], parts[1], parts.get(2).copied().unwrap_or(""));
    let clock = opsdeck::clock::system();
    {
        let mut store = Store::open(Path::new(db)).unwrap();
        for n in edits.split(',').filter(|e| !e.is_empty()) {
            let n: usize = n.parse().unwrap();
            let id: i64 = store
                .conn()
                .query_row(
                    "SELECT id FROM alerts WHERE source = 'am' AND fingerprint = ?1",
                    [fingerprint(n)],
                    |r| r.get(0),
                )
                .unwrap();
            let mut committed = None;
            for edit in m_key_edits(&store, id, &typed(n)) {
                let out = store
                    .commit_edit(edit.entity, &edit.op, clock.now(), "me", &["am".to_owned()])
                    .unwrap();
                committed = Some(out);
            }
            let out = committed.expect("the m key committed a silence");
            println!("ACK {n} {}", out.op_id);
            let _ = std::io::Write::flush(&mut std::io::stdout());
        }
    }
    let toml =
        format!("[[sources]]\nname = \"am\"\nkind = \"alertmanager\"\nbase_url = \"{uri}\"\n");
    let config = Config::parse(&toml, "silence.toml").unwrap();
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

fn child(db: &Path, uri: &str, edits: &str) -> Child {
    spawn_role(
        "battery_silence_child_role",
        &[(CHILD_ENV, format!("{}|{uri}|{edits}", db.display()))],
    )
}

async fn run_to_end(db: &Path, uri: &str) {
    wait_exit(&mut child(db, uri, ""), Duration::from_secs(150)).await;
}

/// A fake with `alerts` firing alerts, served on loopback, and a cache that pulled them once.
async fn setup(alerts: usize) -> (AmFake, MockServer, tempfile::TempDir) {
    let fake = AmFake::default();
    {
        let mut s = fake.0.lock().unwrap();
        s.started = (opsdeck::clock::system().now() - chrono::TimeDelta::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for n in 1..=alerts {
            s.alerts.insert(fingerprint(n), labels(n));
        }
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    run_to_end(&db, &server.uri()).await;
    let store = Store::open(&db).unwrap();
    let cached: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM alerts WHERE source = 'am'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(cached, i64::try_from(alerts).unwrap(), "first pull");
    (fake, server, dir)
}

/// Runs children to the end until nothing is pending (a retry after a transport error waits
/// 30 s+, so the retry clock is moved by re-running, bounded).
async fn drain(db: &Path, uri: &str) {
    for _ in 0..3 {
        run_to_end(db, uri).await;
        let store = Store::open(db).unwrap();
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
}

/// What the end state shows, per offered alert number.
#[derive(Debug, Default)]
struct Tally {
    committed: usize,
    lost: usize,
    not_done: usize,
    duplicated: usize,
    missing: usize,
    phantom: usize,
    wrong_silence: usize,
    cache_mismatch: usize,
    audit_not_once: usize,
}

impl Tally {
    fn failures(&self) -> usize {
        self.lost
            + self.not_done
            + self.duplicated
            + self.missing
            + self.phantom
            + self.wrong_silence
            + self.cache_mismatch
            + self.audit_not_once
    }
}

/// Compares the cache, the outbox and the fake after the drain.
fn tally(db: &Path, fake: &AmFake, offered: &[usize], acked: &BTreeMap<usize, String>) -> Tally {
    let store = Store::open(db).unwrap();
    store.check_integrity().unwrap();
    let mut t = Tally::default();
    let entries = store.list_outbox(100_000).unwrap();
    let by_op: BTreeMap<&str, OpState> = entries
        .iter()
        .map(|e| (e.op_id.as_str(), e.state))
        .collect();
    for id in acked.values() {
        match by_op.get(id.as_str()) {
            None => t.lost += 1,
            Some(OpState::Done) => {}
            Some(_) => t.not_done += 1,
        }
    }
    // Committed silence edits by alert fingerprint: state, cached silenced_by.
    let committed: BTreeMap<String, (String, String)> = {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT a.fingerprint, o.state, a.silenced_by FROM outbox o \
                 JOIN alerts a ON o.entity_kind = 'alert' AND a.id = o.entity_id",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
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
    let s = fake.0.lock().unwrap();
    for &n in offered {
        let on_alert: Vec<_> = s
            .silences
            .iter()
            .filter(|x| x.matches(&labels(n)))
            .collect();
        let Some((state, silenced_by)) = committed.get(&fingerprint(n)) else {
            t.phantom += usize::from(!on_alert.is_empty());
            continue;
        };
        t.committed += 1;
        match (state.as_str(), on_alert.as_slice()) {
            (_, [_, _, ..]) => t.duplicated += 1,
            ("done", []) => t.missing += 1,
            ("done", [one]) => {
                let want: Vec<(String, String, bool)> =
                    labels(n).into_iter().map(|(k, v)| (k, v, false)).collect();
                let mut have = one.matchers.clone();
                have.sort();
                if one.comment != typed(n) || one.created_by != "opsdeck" || have != want {
                    t.wrong_silence += 1;
                }
                let cached: Vec<String> = serde_json::from_str(silenced_by).unwrap_or_default();
                if cached != [one.id.clone()] {
                    t.cache_mismatch += 1;
                }
            }
            _ => t.not_done += usize::from(!acked.contains_key(&n)),
        }
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_kill9_loop_alertmanager_silence() {
    let kills: usize = std::env::var("OPSDECK_BATTERY_SILENCE_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| sized(10, 200));
    let per_child = 2usize;
    let (fake, server, dir) = setup(kills * per_child + 10).await;
    let uri = server.uri();
    let db = dir.path().join("cache.sqlite3");
    let started = Instant::now();

    let mut rng = rand::rngs::StdRng::seed_from_u64(1313);
    let mut next = 1usize;
    let mut offered: Vec<usize> = Vec::new();
    let mut acked: BTreeMap<usize, String> = BTreeMap::new();
    let mut phases: BTreeMap<&str, usize> = BTreeMap::new();
    let mut integrity_failures = 0usize;
    for kill_no in 0..kills {
        let edits: Vec<usize> = (next..next + per_child).collect();
        next += per_child;
        offered.extend(&edits);
        let spec: Vec<String> = edits.iter().map(ToString::to_string).collect();
        let before = fake.0.lock().unwrap().silences.len();
        let c = child(&db, &uri, &spec.join(","));
        if kill_no % 4 == 3 {
            // Aimed: wait (bounded) for the fake to hold a new silence, then kill inside the
            // 150 ms its answer is held back.
            let deadline = Instant::now() + Duration::from_secs(60);
            while fake.0.lock().unwrap().silences.len() == before && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        } else {
            let window = [100u64, 400, 2000][kill_no % 3];
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..window))).await;
        }
        let stdout = kill_and_read(c);
        let got = acks(&stdout);
        let writes = fake.0.lock().unwrap().silences.len() - before;
        acked.extend(got.clone());
        let inflight: i64 = Store::open(&db)
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
        } else if got.len() < per_child {
            "before or during commit"
        } else if writes == 0 {
            "between commit and push (or POST sent, not yet applied)"
        } else if inflight > 0 {
            "after the remote applied, before the answer"
        } else {
            "after the answer (re-pull)"
        };
        *phases.entry(phase).or_default() += 1;
        if Store::open(&db).and_then(|s| s.check_integrity()).is_err() {
            integrity_failures += 1;
        }
    }
    drain(&db, &uri).await;
    let t = tally(&db, &fake, &offered, &acked);
    let failed = t.failures() + integrity_failures;
    record(
        "A1 kill -9 loop (Alertmanager: silence alert)",
        kills,
        if failed == 0 { kills } else { 0 },
        usize::from(failed > 0) * kills,
        &format!(
            "{} silence edits committed ({} acked): {} lost, {} duplicated, {} done but never \
             applied, {} phantom, {} with another comment/matchers/author, {} cached wrongly, \
             {} not done; {integrity_failures} integrity failures; {} edits without exactly \
             one audit row; {:.0} s; kills: {phases:?}",
            t.committed,
            acked.len(),
            t.lost,
            t.duplicated,
            t.missing,
            t.phantom,
            t.wrong_silence,
            t.cache_mismatch,
            t.not_done,
            t.audit_not_once,
            started.elapsed().as_secs_f64(),
        ),
    );
    assert!(t.committed >= acked.len(), "{t:?}");
    assert_eq!(failed, 0, "{t:?}, integrity failures {integrity_failures}");
}

/// A SIGKILL after Alertmanager created the silence but before its `{"silenceID"}` answer
/// reached opsdeck: the entry stays in flight, and the retry must find the silence it already
/// made (same matchers, author and comment) rather than POST a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_silence_killed_after_applied_before_answer_is_not_posted_twice() {
    let (fake, server, dir) = setup(3).await;
    let uri = server.uri();
    let db = dir.path().join("cache.sqlite3");
    // The answer is held back 5 s here, so the kill lands in the window even on a busy machine.
    fake.0.lock().unwrap().answer_delay_ms = 5_000;
    let c = child(&db, &uri, "2");
    // Wait (bounded) until the fake holds the silence.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.0.lock().unwrap().silences.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the child never posted the silence"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let stdout = kill_and_read(c);
    let got = acks(&stdout);
    assert!(got.contains_key(&2), "the edit was acknowledged: {stdout}");
    {
        let store = Store::open(&db).unwrap();
        store.check_integrity().unwrap();
        let state: String = store
            .conn()
            .query_row("SELECT state FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(state, "inflight", "killed before the answer arrived");
    }
    drain(&db, &uri).await;
    let t = tally(&db, &fake, &[1, 2, 3], &got);
    assert_eq!(t.committed, 1, "{t:?}");
    assert_eq!(t.failures(), 0, "{t:?}");
    assert_eq!(
        fake.0.lock().unwrap().silences.len(),
        1,
        "exactly one silence"
    );
}
