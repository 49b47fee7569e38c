//! RELIABILITY.md §7 A1, the kill -9 crash loop, over the edit kinds `battery_kill9.rs` does
//! not cover: PagerDuty acknowledge, resolve and note (a stateful PagerDuty fake that applies
//! every write at once and answers it only 150 ms later), rollback (a stateful GitHub
//! Deployments fake, status POSTs answered 150 ms late) and the checklist toggle of a local
//! plan file (written through the temp-file + rename path). A CHILD process (this binary
//! re-invoked with `BATTERY_KINDS_CHILD`) commits a few edits through the real store, printing
//! `ACK` once each commit returned, writes pending checklist edits to the plan file, then runs
//! `run_headless --once` against the fake. The parent SIGKILLs it at a uniformly random moment:
//! before a commit, between commit and push, during the file write or the HTTP write, and after
//! the remote applied a write but before its answer. The next child is the restart; a final
//! child drains. Checked after every kill: `integrity_check`, and that the plan file is exactly
//! the original with some committed items ticked (never torn, never another byte changed).
//! At the end: every acknowledged edit is `done`; every committed edit has exactly one remote
//! effect (one status PUT, one note POST, one rollback status POST, one `[x]` in the file) and
//! nothing uncommitted has
//! any; each committed toggle has exactly one audit row.
//!
//! Quick tier: 24 kills (with `battery_kill9`'s 26 GitHub kills and `battery_kill9_silence`'s
//! 10: 60 across all kinds); long tier: 400 (with GitHub's 700 and silence's 200: 1,300).

mod battery_common;
mod kill9_fakes;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use battery_common::{acks, kill_and_read, record, sized, spawn_role, wait_exit};
use kill9_fakes::{DepFake, PdFake, EMAIL};
use opsdeck::config::Config;
use opsdeck::domain::{EntityKind, EntityRef, IncidentStatus};
use opsdeck::store::{OpState, Operation, Store};
use opsdeck::sync::headless::run_headless;
use rand::{Rng, SeedableRng};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

const CHILD_ENV: &str = "BATTERY_KINDS_CHILD";
const TOKEN_ENV: &str = "BATTERY_KINDS_TOKEN";

fn config_toml(uri: &str) -> String {
    let (pd, dep) = uri.split_once(' ').unwrap_or((uri, uri));
    format!(
        "[[sources]]\nname = \"pd\"\nkind = \"pagerduty\"\nbase_url = \"{pd}\"\n\
         token_env = \"{TOKEN_ENV}\"\nemail = \"{EMAIL}\"\nservices = [\"PSVC001\"]\n\
         [[sources]]\nname = \"deploys\"\nkind = \"github-deployments\"\nbase_url = \"{dep}\"\n\
         repos = [\"o/r\"]\ntoken_env = \"{TOKEN_ENV}\"\n"
    )
}

fn op_of(kind: &str) -> Operation {
    let at = opsdeck::clock::system().now();
    match kind {
        "ack" => Operation::SetIncidentStatus {
            old: IncidentStatus::Triggered,
            new: IncidentStatus::Acknowledged,
            resolution: None,
            at,
        },
        "resolve" => Operation::SetIncidentStatus {
            old: IncidentStatus::Triggered,
            new: IncidentStatus::Resolved,
            resolution: None,
            at,
        },
        "note" => Operation::AddIncidentNote {
            body: "battery note".into(),
        },
        "rollback" => Operation::MarkRolledBack {
            reason: "battery".into(),
            state: String::new(),
        },
        _ => Operation::SetItemChecked {
            old: false,
            new: true,
        },
    }
}

/// The child's role; a no-op unless the parent started this binary with `CHILD_ENV` set.
#[test]
fn battery_kinds_child_role() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(3, '|').collect();
    let (db, uri, edits) = (parts[0], parts[1], parts.get(2).copied().unwrap_or(""));
    let clock = opsdeck::clock::system();
    {
        let mut store = Store::open(Path::new(db)).unwrap();
        let mut any_file_edit = false;
        for edit in edits.split(',').filter(|e| !e.is_empty()) {
            let (kind, target) = edit.split_once(':').unwrap();
            let (entity, sources) = if kind == "rollback" {
                let id: i64 = store
                    .conn()
                    .query_row(
                        "SELECT id FROM deployments WHERE source = 'deploys' AND external_id = ?1",
                        [format!("o/r/{target}")],
                        |r| r.get(0),
                    )
                    .unwrap();
                (
                    EntityRef {
                        kind: EntityKind::Deployment,
                        id,
                    },
                    vec!["deploys".to_owned()],
                )
            } else if kind == "check" {
                any_file_edit = true;
                let id: i64 = store
                    .conn()
                    .query_row(
                        "SELECT id FROM checklist_items WHERE ordinal = ?1",
                        [target.parse::<i64>().unwrap()],
                        |r| r.get(0),
                    )
                    .unwrap();
                (
                    EntityRef {
                        kind: EntityKind::ChecklistItem,
                        id,
                    },
                    vec![],
                )
            } else {
                let id: i64 = store
                    .conn()
                    .query_row(
                        "SELECT id FROM incidents WHERE source = 'pd' AND external_id = ?1",
                        [target],
                        |r| r.get(0),
                    )
                    .unwrap();
                (
                    EntityRef {
                        kind: EntityKind::Incident,
                        id,
                    },
                    vec!["pd".to_owned()],
                )
            };
            let out = store
                .commit_edit(entity, &op_of(kind), clock.now(), "me", &sources)
                .unwrap();
            println!("ACK {edit} {}", out.op_id);
            let _ = std::io::Write::flush(&mut std::io::stdout());
        }
        if any_file_edit {
            opsdeck::checklist::store::push_pending(&mut store, clock.now()).unwrap();
            println!("FILE-PUSHED");
        }
    }
    let config = Config::parse(&config_toml(uri), "kinds.toml").unwrap();
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

fn child(db: &Path, uri: &str, edits: &str) -> std::process::Child {
    spawn_role(
        "battery_kinds_child_role",
        &[
            (CHILD_ENV, format!("{}|{uri}|{edits}", db.display())),
            (TOKEN_ENV, "pd_battery_token".into()),
        ],
    )
}

async fn run_to_end(db: &Path, uri: &str) {
    wait_exit(&mut child(db, uri, ""), Duration::from_secs(150)).await;
}

fn plan_text(items: usize) -> String {
    let mut s = String::from("# Battery plan\n\n## Steps\n\n");
    for i in 0..items {
        s.push_str(&format!("- [ ] step {i} @me\n"));
    }
    s
}

/// The plan with exactly the items in `checked` ticked.
fn plan_with(items: usize, checked: &std::collections::BTreeSet<usize>) -> String {
    let mut s = String::from("# Battery plan\n\n## Steps\n\n");
    for i in 0..items {
        let mark = if checked.contains(&i) { 'x' } else { ' ' };
        s.push_str(&format!("- [{mark}] step {i} @me\n"));
    }
    s
}

/// Which items the file shows ticked, if the file is exactly the plan with some ticks.
fn ticked(content: &str, items: usize) -> Option<std::collections::BTreeSet<usize>> {
    let set: std::collections::BTreeSet<usize> = content
        .lines()
        .filter_map(|l| l.strip_prefix("- [x] step "))
        .filter_map(|r| r.split(' ').next()?.parse().ok())
        .collect();
    (plan_with(items, &set) == content).then_some(set)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_a1_kill9_loop_pagerduty_ack_resolve_note_rollback_and_checklist_toggle() {
    let kills: usize = std::env::var("OPSDECK_BATTERY_KIND_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| sized(24, 400));
    let per_child = 2usize;
    let kinds = ["ack", "check", "resolve", "note", "rollback"];
    let total_edits = kills * per_child;
    let incidents = total_edits + 10;
    let items = total_edits + 10;

    let fake = PdFake::default();
    {
        let mut s = fake.0.lock().unwrap();
        for n in 1..=incidents {
            s.status
                .insert(format!("PB{n:06}"), ("triggered".to_owned(), 0));
        }
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    let deploys = total_edits / 5 + 10;
    let dep = DepFake::default();
    let dep_server = MockServer::start().await;
    {
        let mut s = dep.0.lock().unwrap();
        s.base = dep_server.uri();
        s.created = (opsdeck::clock::system().now() - chrono::TimeDelta::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for id in 1..=deploys {
            let id = u64::try_from(id).unwrap();
            s.statuses
                .insert(id, vec![("success".to_owned(), "deployed".to_owned())]);
        }
    }
    Mock::given(any())
        .respond_with(dep.clone())
        .mount(&dep_server)
        .await;
    let uri = format!("{} {}", server.uri(), dep_server.uri());

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let plan = dir.path().join("plan.md");
    let original = plan_text(items);
    std::fs::write(&plan, &original).unwrap();
    {
        let mut store = Store::open(&db).unwrap();
        opsdeck::checklist::store::register_file(
            &mut store,
            &plan,
            &[],
            opsdeck::clock::system().now(),
        )
        .unwrap();
    }
    // The first pull, uninterrupted.
    run_to_end(&db, &uri).await;
    {
        let store = Store::open(&db).unwrap();
        let cached: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM incidents WHERE source = 'pd'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cached, i64::try_from(incidents).unwrap(), "first pull");
        let cached: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM deployments WHERE source = 'deploys'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cached, i64::try_from(deploys).unwrap(), "first pull");
    }

    let mut rng = rand::rngs::StdRng::seed_from_u64(1313);
    let mut next_incident = 1usize;
    let mut next_item = 0usize;
    let mut next_deploy = 1usize;
    // edit → kind, for every edit offered to a child.
    let mut offered: Vec<(String, String)> = Vec::new();
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let mut phases: BTreeMap<&str, usize> = BTreeMap::new();
    let mut integrity_failures = 0usize;
    let mut torn_files = 0usize;
    let mut edit_no = 0usize;
    for kill_no in 0..kills {
        let mut edits = Vec::new();
        for _ in 0..per_child {
            let kind = kinds[edit_no % kinds.len()];
            edit_no += 1;
            let target = if kind == "check" {
                next_item += 1;
                (next_item - 1).to_string()
            } else if kind == "rollback" {
                next_deploy += 1;
                (next_deploy - 1).to_string()
            } else {
                next_incident += 1;
                format!("PB{:06}", next_incident - 1)
            };
            let edit = format!("{kind}:{target}");
            offered.push((edit.clone(), kind.to_owned()));
            edits.push(edit);
        }
        let remote_writes = || {
            let s = fake.0.lock().unwrap();
            let d = dep.0.lock().unwrap();
            s.puts.values().sum::<usize>()
                + s.notes.values().map(Vec::len).sum::<usize>()
                + d.posts.values().sum::<usize>()
        };
        let writes_before = remote_writes();
        let c = child(&db, &uri, &edits.join(","));
        let window = [100u64, 400, 2000][kill_no % 3];
        let delay = Duration::from_millis(rng.random_range(0..window));
        tokio::time::sleep(delay).await;
        let stdout = kill_and_read(c);
        let got: BTreeMap<String, String> = acks(&stdout);
        let acks = got.len();
        acked.extend(got);
        let writes = remote_writes() - writes_before;
        let phase = if stdout.contains("summary:") {
            "after the round ended"
        } else if acks < per_child {
            "before or during commit"
        } else if writes == 0 && !stdout.contains("FILE-PUSHED") {
            "between commit and push (file or HTTP)"
        } else if writes == 0 {
            "after the file write, before the HTTP push"
        } else {
            "during an HTTP write (applied, answer maybe pending)"
        };
        *phases.entry(phase).or_default() += 1;
        let store = Store::open(&db).unwrap();
        if store.check_integrity().is_err() {
            integrity_failures += 1;
        }
        drop(store);
        let content = std::fs::read_to_string(&plan).unwrap_or_default();
        if ticked(&content, items).is_none() {
            torn_files += 1;
        }
    }
    // Drain: children run to the end until nothing is pending (retries wait 30 s+ after a
    // transport error, so the drain clock is moved by re-running, bounded).
    for _ in 0..3 {
        run_to_end(&db, &uri).await;
        let store = Store::open(&db).unwrap();
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
    let mut store = Store::open(&db).unwrap();
    opsdeck::checklist::store::push_pending(&mut store, opsdeck::clock::system().now()).unwrap();
    store.check_integrity().unwrap();

    let entries = store.list_outbox(100_000).unwrap();
    let by_op: BTreeMap<String, OpState> =
        entries.iter().map(|e| (e.op_id.clone(), e.state)).collect();
    let mut lost = 0usize;
    let mut not_done = 0usize;
    for id in acked.values() {
        match by_op.get(id) {
            None => lost += 1,
            Some(OpState::Done) => {}
            Some(_) => not_done += 1,
        }
    }
    // Committed edits, by target: incidents by external id, items by ordinal.
    let committed_targets: BTreeMap<String, OpState> = {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT o.state, COALESCE(i.external_id, d.external_id, ''), COALESCE(c.ordinal, -1), o.entity_kind \
                 FROM outbox o LEFT JOIN incidents i ON o.entity_kind = 'incident' AND i.id = o.entity_id \
                 LEFT JOIN checklist_items c ON o.entity_kind = 'checklist_item' AND c.id = o.entity_id \
                 LEFT JOIN deployments d ON o.entity_kind = 'deployment' AND d.id = o.entity_id",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .unwrap()
        .filter_map(Result::ok)
        .map(|(state, ext, ordinal, kind)| {
            let key = match kind.as_str() {
                "incident" => ext,
                "deployment" => format!("dep:{}", ext.trim_start_matches("o/r/")),
                _ => format!("item:{ordinal}"),
            };
            let st = if state == "done" {
                OpState::Done
            } else {
                OpState::Pending
            };
            (key, st)
        })
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
    let audit_not_once = entries
        .iter()
        .filter(|e| audit_rows.get(&e.op_id).copied() != Some(1))
        .count();
    let file = std::fs::read_to_string(&plan).unwrap();
    let final_ticks = ticked(&file, items);
    if final_ticks.is_none() {
        torn_files += 1;
    }
    let final_ticks = final_ticks.unwrap_or_default();
    let s = fake.0.lock().unwrap();
    let d = dep.0.lock().unwrap();
    let (mut duplicated, mut missing_effect, mut phantom, mut still_queued) = (0, 0, 0, 0);
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (edit, kind) in &offered {
        let target = edit.split_once(':').map_or("", |(_, t)| t);
        let effects = match kind.as_str() {
            "note" => s.notes.get(target).map_or(0, Vec::len),
            "rollback" => target
                .parse::<u64>()
                .ok()
                .and_then(|id| d.posts.get(&id).copied())
                .unwrap_or(0),
            "check" => usize::from(
                target
                    .parse::<usize>()
                    .is_ok_and(|n| final_ticks.contains(&n)),
            ),
            _ => s.puts.get(target).copied().unwrap_or(0),
        };
        let key = match kind.as_str() {
            "check" => format!("item:{target}"),
            "rollback" => format!("dep:{target}"),
            _ => target.to_owned(),
        };
        let committed = committed_targets.get(&key);
        let slot = per_kind.entry(kind.clone()).or_default();
        if committed.is_some() {
            slot.0 += 1;
        }
        slot.1 += effects;
        match committed {
            Some(_) if effects > 1 => duplicated += 1,
            Some(OpState::Done) if effects == 0 => missing_effect += 1,
            Some(OpState::Done) => {}
            Some(_) => still_queued += 1,
            None if effects > 0 => phantom += 1,
            None => {}
        }
    }
    let leftover_temp = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(".plan.md") || n.ends_with(".tmp")
        })
        .count();
    let failed = lost
        + not_done
        + duplicated
        + missing_effect
        + phantom
        + integrity_failures
        + torn_files
        + audit_not_once;
    let kinds_fig: Vec<String> = per_kind
        .iter()
        .map(|(k, (c, e))| format!("{k} {c} committed/{e} effects"))
        .collect();
    record(
        "A1 kill -9 loop (PagerDuty: ack, resolve, note; GitHub Deployments: rollback; checklist toggle in a plan file)",
        kills,
        if failed == 0 { kills } else { 0 },
        usize::from(failed > 0) * kills,
        &format!(
            "{} edits committed ({} acked): {lost} lost, {duplicated} duplicated, \
             {missing_effect} done but never applied, {phantom} phantom, {still_queued} still \
             queued; {integrity_failures} integrity failures; {torn_files} torn plan files; \
             {audit_not_once} edits without exactly one audit row; {leftover_temp} temp files \
             left; {}; kills: {phases:?}",
            entries.len(),
            acked.len(),
            kinds_fig.join(", ")
        ),
    );
    assert_eq!(
        failed, 0,
        "lost {lost}, not done {not_done}, dup {duplicated}, missing {missing_effect}, \
         phantom {phantom}, integrity {integrity_failures}, torn {torn_files}, audit {audit_not_once}"
    );
}
