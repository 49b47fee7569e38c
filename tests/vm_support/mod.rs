//! VictoriaMetrics for `slo_victoriametrics_real`: start/stop a real `victoria-metrics` on
//! 127.0.0.1 under a path prefix, import the generator's history (OpenMetrics seconds →
//! exposition milliseconds), wait until it is searchable, and a reverse proxy that demands a
//! tenant header (`X-Scope-OrgID`), as a Mimir/Cortex front end does.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Port VictoriaMetrics listens on (127.0.0.1 only).
pub const VM_PORT: u16 = 18413;
/// `-http.pathPrefix`: the engine answers under this sub-path only.
pub const VM_PREFIX: &str = "/vm";
/// The tenant the proxy demands.
pub const TENANT: &str = "tenant-a";
const READY_POLLS: usize = 300; // × 100 ms = 30 s at most

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A VictoriaMetrics process we started; killed (by its own pid) and reaped when dropped.
pub struct Vm {
    /// The process.
    pub child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn vm_binary() -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin"] {
        let p = Path::new(dir).join("victoria-metrics");
        if p.exists() {
            return p;
        }
    }
    panic!(
        "victoria-metrics is not installed: run scripts/install-deps.sh (Debian package \
         victoria-metrics); this test does not skip"
    );
}

pub fn start_vm() -> Vm {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("vm.log")).unwrap();
    let child = Command::new(vm_binary())
        .arg(format!(
            "-storageDataPath={}",
            dir.path().join("data").display()
        ))
        .arg(format!("-httpListenAddr=127.0.0.1:{VM_PORT}"))
        .arg(format!("-http.pathPrefix={VM_PREFIX}"))
        .arg("-retentionPeriod=100y")
        .arg("-search.latencyOffset=0s")
        .arg("-search.disableCache")
        .arg("-loggerLevel=ERROR")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start victoria-metrics: {e}"));
    Vm { child, _dir: dir }
}

pub fn vm_url(path: &str) -> String {
    format!("http://127.0.0.1:{VM_PORT}{VM_PREFIX}{path}")
}

pub async fn wait_ready(client: &reqwest::Client, vm: &mut Vm) {
    for _ in 0..READY_POLLS {
        if let Ok(r) = client.get(vm_url("/health")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = vm.child.try_wait() {
            panic!("victoria-metrics exited before it was ready: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("victoria-metrics not ready on port {VM_PORT} after 30 s");
}

/// OpenMetrics (timestamps in seconds, `# EOF`) → Prometheus exposition (milliseconds).
pub fn to_exposition(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len() + openmetrics.len() / 8);
    for line in openmetrics.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (head, ts) = line.rsplit_once(' ').unwrap();
        let secs: f64 = ts
            .parse()
            .unwrap_or_else(|_| panic!("bad timestamp in {line}"));
        let _ = writeln!(out, "{head} {}", (secs * 1000.0).round() as i64);
    }
    out
}

/// Regenerates the stack's history (deterministic for the same `--end`) and imports it.
pub async fn import_history(client: &reqwest::Client, end: i64) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(repo().join("scripts/gen_openmetrics.py"))
        .args(["--out-dir", &dir.path().join("om").display().to_string()])
        .args([
            "--expected",
            &dir.path().join("expected.json").display().to_string(),
        ])
        .args(["--days", "30", "--step", "60", "--end", &end.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "gen_openmetrics.py failed: {status}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path().join("om"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut samples = 0;
    for f in &files {
        let body = to_exposition(&std::fs::read_to_string(f).unwrap());
        samples += body.lines().count();
        let r = client
            .post(vm_url("/api/v1/import/prometheus"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "import of {}: {}",
            f.display(),
            r.status()
        );
    }
    let r = client
        .get(vm_url("/internal/force_flush"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "force_flush: {}", r.status());
    samples
}

pub const SERIES_QUERY: &str = "count({__name__=~\"http_request.*\"})";

pub async fn series_count(client: &reqwest::Client, query_url: &str, end: i64) -> Value {
    let r: Value = client
        .get(query_url)
        .query(&[("query", SERIES_QUERY), ("time", &end.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"]["result"][0]["value"][1].clone()
}

/// Waits (bounded) until VictoriaMetrics answers at `end` with as many series as Prometheus.
pub async fn wait_searchable(client: &reqwest::Client, end: i64, prom_url: &str) {
    let want = series_count(client, &format!("{prom_url}/api/v1/query"), end).await;
    assert!(want.is_string(), "Prometheus has no series: {want}");
    let mut got = Value::Null;
    for _ in 0..READY_POLLS {
        got = series_count(client, &vm_url("/api/v1/query"), end).await;
        if got == want {
            eprintln!("victoria-metrics: {want} series searchable, as in Prometheus");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("imported series not searchable in 30 s: {got} of {want}");
}

/// A reverse proxy that requires `X-Scope-OrgID: tenant-a` on every request (401 otherwise)
/// and forwards it to VictoriaMetrics with `Connection: close`, so that each request of the
/// client arrives on a new connection and is checked. Counts what it forwarded / refused.
pub async fn tenant_proxy(forwarded: Arc<AtomicUsize>, refused: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (forwarded, refused) = (forwarded.clone(), refused.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
                    match client.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let has_tenant = text.lines().any(|l| {
                    l.split_once(':').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("x-scope-orgid") && v.trim() == TENANT
                    })
                });
                if !has_tenant {
                    refused.fetch_add(1, Ordering::SeqCst);
                    let _ = client
                        .write_all(
                            b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 9\r\nconnection: close\r\n\r\nno tenant",
                        )
                        .await;
                    return;
                }
                forwarded.fetch_add(1, Ordering::SeqCst);
                let mut lines: Vec<&str> = text
                    .trim_end()
                    .lines()
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .collect();
                lines.push("Connection: close");
                let new_head = format!("{}\r\n\r\n", lines.join("\r\n"));
                let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", VM_PORT)).await else {
                    return;
                };
                if upstream.write_all(new_head.as_bytes()).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    addr
}
