//! One-shot edits from the shell (`opsdeck ack|resolve|close|silence`), run as the real binary
//! against a PagerDuty fake, a GitHub fake and a real Alertmanager: one remote effect each, one
//! audit row each, the typed text arriving byte-exact, and exit codes that say whether the remote
//! confirmed (0) or the edit only waits in the outbox (1), or the id was wrong (2).

mod github_fake;
mod pagerduty_fake;
mod real_alertmanager;

use opsdeck::sync::{Build as _, Source as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::TimeDelta;
use github_fake::GithubFake;
use opsdeck::config::Config;
use opsdeck::domain::IncidentStatus;
use opsdeck::store::Store;
use opsdeck::sync::alertmanager::AlertmanagerSource;
use opsdeck::sync::engine::{http_clock, Connector, Remote};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::http::Clock;
use opsdeck::sync::secret::Secret;
use pagerduty_fake::{fixture, forbid_writes_without_from, incident, EMAIL};
use real_alertmanager::{stamp, wall, RealAlertmanager};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Typed text with Unicode, quotes, a dash, a tab and a newline: it must arrive unchanged.
const TYPED: &str = "Rolled back v2.3.1 — “cache stampede” after 'deploy'\n\tsee #ops-123 ✓";

/// A config folder and a data folder, as a user on a jump host would have them.
struct Workspace {
    _tmp: tempfile::TempDir,
    config_dir: PathBuf,
    data_dir: PathBuf,
}

impl Workspace {
    fn new(sources_toml: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let config_dir = tmp.path().join("config");
        let data_dir = tmp.path().join("data");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::create_dir_all(&data_dir).unwrap();
        std::fs::write(config_dir.join("config.toml"), sources_toml).unwrap();
        Self {
            _tmp: tmp,
            config_dir,
            data_dir,
        }
    }

    fn db(&self) -> PathBuf {
        self.data_dir.join("cache.sqlite3")
    }

    fn config(&self) -> Config {
        let text = std::fs::read_to_string(self.config_dir.join("config.toml")).unwrap();
        Config::parse(&text, "config.toml").unwrap()
    }

    /// Runs the real binary (blocking: call it from `spawn_blocking` while a fake is served).
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(args)
            .env("OPSDECK_CONFIG_DIR", &self.config_dir)
            .env("OPSDECK_DATA_DIR", &self.data_dir)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env("ONESHOT_TOKEN", "test-token-oneshot")
            .output()
            .unwrap()
    }
}

async fn run(ws: &Arc<Workspace>, args: &[&str]) -> (i32, String) {
    let ws = ws.clone();
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ws.run(&refs)
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `(action, old, new)` of every audit row.
fn audit(db: &Path) -> Vec<(String, Option<String>, Option<String>)> {
    let store = Store::open(db).unwrap();
    let mut stmt = store
        .conn()
        .prepare("SELECT action, old_value, new_value FROM audit ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn outbox_states(db: &Path) -> Vec<String> {
    let store = Store::open(db).unwrap();
    let mut stmt = store
        .conn()
        .prepare("SELECT state FROM outbox ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn pagerduty_toml(base: &str) -> String {
    format!(
        "[[sources]]\nname = \"pd\"\nkind = \"pagerduty\"\nbase_url = \"{base}\"\n\
         token_env = \"ONESHOT_TOKEN\"\nemail = \"{EMAIL}\"\n"
    )
}

fn seed_incident(ws: &Workspace, external_id: &str) {
    let mut store = Store::open(&ws.db()).unwrap();
    pagerduty_fake::seed(&mut store, external_id, IncidentStatus::Triggered);
}

async fn pagerduty_with_put(server: &MockServer, id: &str, puts: u64) {
    forbid_writes_without_from(server).await;
    Mock::given(method("GET"))
        .and(path(format!("/incidents/{id}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"incident": incident(id, 7, "triggered")})),
        )
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/incidents/{id}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("incident-update-response.json")),
        )
        .expect(puts)
        .mount(server)
        .await;
}

fn puts(reqs: &[wiremock::Request]) -> Vec<Value> {
    reqs.iter()
        .filter(|r| r.method == wiremock::http::Method::PUT)
        .map(|r| r.body_json::<Value>().unwrap())
        .collect()
}

#[tokio::test]
async fn ack_pushes_one_put_with_from_audits_once_and_a_second_ack_does_nothing() {
    let server = MockServer::start().await;
    pagerduty_with_put(&server, "PABC", 1).await;
    let ws = Arc::new(Workspace::new(&pagerduty_toml(&server.uri())));
    seed_incident(&ws, "PABC");

    let (code, out) = run(&ws, &["ack", "PABC"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("queued: status → acknowledged on PABC"),
        "{out}"
    );
    assert!(out.contains("pushed: pd confirmed"), "{out}");

    let (again, out2) = run(&ws, &["ack", "7"]).await;
    assert_eq!(again, 0, "{out2}");
    assert!(
        out2.contains("nothing to do (already acknowledged)"),
        "{out2}"
    );

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        puts(&reqs),
        vec![json!({"incident": {"type": "incident_reference", "status": "acknowledged"}})]
    );
    assert_eq!(audit(&ws.db()).len(), 1, "one audit row for one edit");
    assert_eq!(outbox_states(&ws.db()), vec!["done"]);
}

#[tokio::test]
async fn resolve_sends_the_typed_resolution_byte_exact() {
    let server = MockServer::start().await;
    pagerduty_with_put(&server, "PRES", 1).await;
    let ws = Arc::new(Workspace::new(&pagerduty_toml(&server.uri())));
    seed_incident(&ws, "PRES");

    let (code, out) = run(&ws, &["resolve", "PRES", "--note", TYPED]).await;

    assert_eq!(code, 0, "{out}");
    let reqs = server.received_requests().await.unwrap();
    let bodies = puts(&reqs);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["incident"]["status"], "resolved");
    assert_eq!(bodies[0]["incident"]["resolution"], TYPED);
    let rows = audit(&ws.db());
    assert_eq!(rows.len(), 1, "{rows:?}");
}

#[tokio::test]
async fn with_the_pager_down_the_edit_stays_queued_and_the_exit_code_says_so() {
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ws = Arc::new(Workspace::new(&pagerduty_toml(&format!(
        "http://127.0.0.1:{port}"
    ))));
    seed_incident(&ws, "PDOWN");

    let (code, out) = run(&ws, &["ack", "PDOWN"]).await;

    assert_eq!(code, 1, "{out}");
    assert!(out.contains("still queued"), "{out}");
    assert_eq!(outbox_states(&ws.db()), vec!["pending"]);
    assert_eq!(audit(&ws.db()).len(), 1);

    // --queue-only never sends: a resolve is queued behind the ack and exits 0.
    let (code, out) = run(&ws, &["resolve", "PDOWN", "--queue-only"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("not pushed (--queue-only)"), "{out}");
    assert_eq!(outbox_states(&ws.db()), vec!["pending", "pending"]);
}

#[tokio::test]
async fn an_unknown_or_ambiguous_id_exits_2_and_queues_nothing() {
    let ws = Arc::new(Workspace::new(&pagerduty_toml("http://127.0.0.1:9")));
    seed_incident(&ws, "PONE");

    let (code, out) = run(&ws, &["ack", "PNOPE"]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no incident `PNOPE` in the cache"), "{out}");
    let (code, out) = run(&ws, &["close", "#404"]).await;
    assert_eq!(code, 2, "{out}");
    assert!(outbox_states(&ws.db()).is_empty());
    assert!(audit(&ws.db()).is_empty());
}

#[tokio::test]
async fn close_on_the_github_fake_closes_the_issue_once_with_the_reason() {
    let fake = GithubFake::start().await;
    fake.add(GithubFake::issue(1, &["bug"], &[]));
    fake.add(GithubFake::issue(2, &["bug"], &[]));
    let ws = Arc::new(Workspace::new(&github_fake::config_toml(
        "gh",
        &fake.uri(),
        "ONESHOT_TOKEN",
    )));
    {
        let clock = opsdeck::clock::system();
        let mut store = Store::open(&ws.db()).unwrap();
        let gh = GithubSource::new(
            &ws.config().sources[0],
            Some(Secret::new("test-token-oneshot")),
            http_clock(&clock),
        )
        .unwrap();
        Connector::Github(gh)
            .pull(&mut store, clock.now())
            .await
            .unwrap();
    }
    fake.clear_log();

    let (code, out) = run(&ws, &["close", "1", "--reason", "completed"]).await;

    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pushed: gh confirmed the edit on #1"), "{out}");
    assert!(!fake.get(1).open, "issue 1 is closed at GitHub");
    assert!(fake.get(2).open, "issue 2 is untouched");
    assert_eq!(fake.effects(1), 1, "exactly one remote effect");
    assert_eq!(fake.effects(2), 0);
    let rows = audit(&ws.db());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].0.contains("closed"), "{rows:?}");
}

fn alertmanager_toml(url: &str) -> String {
    format!(
        "[[sources]]\nname = \"am\"\nkind = \"alertmanager\"\nbase_url = \"{url}\"\n\
         created_by = \"opsdeck-oneshot\"\n"
    )
}

#[tokio::test]
async fn silence_on_a_real_alertmanager_creates_one_silence_with_the_typed_comment() {
    let server = RealAlertmanager::start(18321).await;
    let ends = wall() + TimeDelta::hours(1);
    server
        .post_alerts(json!([
            {"labels": {"alertname": "DiskFull", "service": "db", "severity": "critical", "instance": "db1"},
             "annotations": {"summary": "disk 97%"}, "startsAt": stamp(wall()), "endsAt": stamp(ends)},
            {"labels": {"alertname": "HighLatency", "service": "payments", "severity": "warning"},
             "annotations": {"summary": "p99 above 1s"}, "startsAt": stamp(wall()), "endsAt": stamp(ends)}
        ]))
        .await;
    let ws = Arc::new(Workspace::new(&alertmanager_toml(&server.url)));
    {
        let clock: Clock = Arc::new(wall);
        let mut store = Store::open(&ws.db()).unwrap();
        let mut am = AlertmanagerSource::new(&ws.config().sources[0], None, clock).unwrap();
        am.pull(&mut store, wall()).await.unwrap();
    }

    let (code, out) = run(
        &ws,
        &["silence", "DiskFull", "--for", "30m", "--comment", TYPED],
    )
    .await;

    assert_eq!(code, 0, "{out}");
    let silences = server.get("/api/v2/silences").await;
    let active: Vec<&Value> = silences
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"]["state"] == "active")
        .collect();
    assert_eq!(active.len(), 1, "exactly one silence: {silences}");
    assert_eq!(active[0]["comment"], TYPED);
    let matched: Vec<(String, String)> = active[0]["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        matched.contains(&("alertname".into(), "DiskFull".into()))
            && matched.contains(&("instance".into(), "db1".into())),
        "{matched:?}"
    );
    assert_eq!(
        server.alert("DiskFull").await["status"]["state"],
        "suppressed"
    );
    assert_eq!(
        server.alert("HighLatency").await["status"]["state"],
        "active",
        "only the named alert is silenced"
    );
    assert_eq!(audit(&ws.db()).len(), 1);
    assert_eq!(outbox_states(&ws.db()), vec!["done"]);
}
