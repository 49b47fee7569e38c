//! A real Alertmanager (`prometheus-alertmanager`, Debian package) for tests: started on
//! 127.0.0.1 with gossip off and temporary storage, killed on drop. A server that cannot start
//! fails the test with the reason; it never skips.
#![allow(dead_code)]

use std::fs::File;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

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
pub fn wall() -> DateTime<Utc> {
    Utc::now()
}

/// A running Alertmanager; killed and its storage removed on drop.
pub struct RealAlertmanager {
    child: Child,
    pub url: String,
    dir: tempfile::TempDir,
}

impl RealAlertmanager {
    pub async fn start(port: u16) -> Self {
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

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("am.log")).unwrap_or_default()
    }

    pub async fn post_alerts(&self, alerts: Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&alerts)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "POST alerts: {}", resp.status());
    }

    pub async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Alertmanager's own view of the alert named `alertname`.
    pub async fn alert(&self, alertname: &str) -> Value {
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

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
