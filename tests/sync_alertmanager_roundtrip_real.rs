//! Alertmanager round trip on a REAL Alertmanager (ports 18311+): a typed silence comment
//! (Unicode, quotes, newlines) arrives byte-exact, and a silence someone else creates directly
//! on the server (the alert list is one full read, no paging, no ETag) reaches the cache on the
//! next pull. The harness is the one of `sync_alertmanager_real.rs`. A server that cannot start
//! fails the test with the reason; it never skips.

use std::fs::File;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use opsdeck::config::Config;
use opsdeck::domain::{Alert, AlertState, EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::alertmanager::AlertmanagerSource;
use opsdeck::sync::http::Clock;
use opsdeck::sync::PushOutcome;
use serde_json::{json, Value};

const AM_YML: &str = r#"route:
  receiver: "null"
  group_by: ["alertname", "service"]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: "null"
"#;

#[allow(clippy::disallowed_methods, reason = "a real server keeps real time")]
fn wall() -> DateTime<Utc> {
    Utc::now()
}

/// A running Alertmanager; killed and its storage removed on drop.
struct RealAlertmanager {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl RealAlertmanager {
    async fn start(port: u16) -> Self {
        if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
            panic!("port {port} is busy ({e}); another test or helper is using it");
        }
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("am.yml");
        std::fs::write(&config, AM_YML).unwrap();
        let log = File::create(dir.path().join("am.log")).unwrap();
        let child = Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start prometheus-alertmanager ({e}); run scripts/install-deps.sh")
            });
        let mut am = RealAlertmanager {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        am.wait_ready().await;
        am
    }

    /// Polls `/-/ready` (bounded: 30 s) and fails early if the process died.
    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "alertmanager exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            let ready = client.get(format!("{}/-/ready", self.url)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "alertmanager not ready at {} after 30 s:\n{}",
            self.url,
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("am.log")).unwrap_or_default()
    }

    async fn post_alerts(&self, alerts: Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "POST alerts: {}", resp.status());
    }

    async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Alertmanager's own view of the alert named `alertname`.
    async fn alert(&self, alertname: &str) -> Value {
        let alerts = self.get("/api/v2/alerts").await;
        alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["alertname"] == alertname)
            .cloned()
            .unwrap_or_else(|| panic!("{alertname} not in {alerts}"))
    }
}

impl Drop for RealAlertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn two_alerts(ends: DateTime<Utc>) -> Value {
    json!([
        {"labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
         "annotations": {"summary": "5xx ratio above SLO"},
         "startsAt": stamp(wall()), "endsAt": stamp(ends), "generatorURL": "http://127.0.0.1:18302/graph"},
        {"labels": {"alertname": "HighLatency", "service": "payments", "severity": "warning"},
         "annotations": {"summary": "p99 above 1s"},
         "startsAt": stamp(wall()), "endsAt": stamp(ends)}
    ])
}

fn source(url: &str) -> AlertmanagerSource {
    let text = format!(
        "[[sources]]\nname = \"am\"\nkind = \"alertmanager\"\nbase_url = \"{url}\"\n\
         created_by = \"opsdeck-ci\"\n"
    );
    let cfg = Config::parse(&text, "test.toml").unwrap().sources.remove(0);
    let clock: Clock = Arc::new(wall);
    AlertmanagerSource::new(&cfg, None, clock).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.db")).unwrap();
    (dir, store)
}

fn cached(store: &Store, name: &str) -> Alert {
    store
        .load_alerts()
        .unwrap()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

/// Commits `op` on the alert like the UI does, then pushes it like the engine does.
async fn commit_and_push(
    store: &mut Store,
    am: &mut AlertmanagerSource,
    alert_id: i64,
    op: Operation,
) -> PushOutcome {
    let entity = EntityRef {
        kind: EntityKind::Alert,
        id: alert_id,
    };
    store
        .commit_edit(entity, &op, wall(), "me", &["am".to_owned()])
        .unwrap();
    let entry = store
        .next_to_push("am", wall())
        .unwrap()
        .expect("the edit is queued for the Alertmanager");
    store.mark_inflight(entry.seq, wall()).unwrap();
    let outcome = am.push(store, &entry, wall()).await.unwrap();
    if outcome == PushOutcome::Done {
        store.mark_done(entry.seq, wall()).unwrap();
    }
    outcome
}

/// Round trip (issue #11): the silence comment the user typed reaches the real Alertmanager
/// byte-exact; a silence created on the server by someone else shows on the next pull.
#[tokio::test]
async fn a_typed_silence_comment_arrives_byte_exact_and_foreign_silences_sync() {
    let server = RealAlertmanager::start(18311).await;
    server
        .post_alerts(two_alerts(wall() + TimeDelta::hours(1)))
        .await;
    let (_dir, mut store) = store();
    let mut am = source(&server.url);
    am.pull(&mut store, wall()).await.unwrap();

    let errors = cached(&store, "HighErrorRate");
    let comment = "Deploy «v2.3» in progress — don't page \"checkout\"\n2nd line: 東京 edge ✓";
    let silence = Operation::SilenceAlert {
        matchers: errors.labels.clone().into_iter().collect(),
        duration_secs: 3600,
        comment: comment.into(),
        created_by: String::new(),
    };
    assert_eq!(
        commit_and_push(&mut store, &mut am, errors.id, silence).await,
        PushOutcome::Done
    );
    let id = cached(&store, "HighErrorRate").silenced_by[0].clone();
    let stored = server.get(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(stored["comment"], json!(comment), "comment byte-exact");

    // Someone else silences HighLatency directly on the server.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v2/silences", server.url))
        .json(&json!({
            "matchers": [{"name": "alertname", "value": "HighLatency", "isRegex": false, "isEqual": true}],
            "startsAt": stamp(wall()), "endsAt": stamp(wall() + TimeDelta::hours(1)),
            "createdBy": "someone-else", "comment": "db1 maintenance"
        }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        server.alert("HighLatency").await["status"]["state"],
        "suppressed"
    );
    am.pull(&mut store, wall()).await.unwrap();
    let latency = cached(&store, "HighLatency");
    assert_eq!(latency.state, AlertState::Suppressed);
    assert_eq!(latency.silenced_by.len(), 1);
}
