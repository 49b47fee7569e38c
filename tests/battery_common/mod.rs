//! Shared by the `battery_*` test targets (RELIABILITY.md §7, driven by `scripts/battery`):
//! the tier (quick by default, `OPSDECK_BATTERY_TIER=long` for the long one), result rows for
//! the table, raw loopback fault servers and a helper running the real binary.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Whether the long tier was asked for.
pub fn long() -> bool {
    std::env::var("OPSDECK_BATTERY_TIER").is_ok_and(|t| t == "long")
}

/// `quick` or `long` depending on the tier.
pub fn sized<T>(quick: T, long_tier: T) -> T {
    if long() {
        long_tier
    } else {
        quick
    }
}

/// Appends one row (test, tried, passed, failed, figure) to `$OPSDECK_BATTERY_OUT` (JSON
/// lines, read by `scripts/battery`) and prints it.
pub fn record(test: &str, tried: usize, passed: usize, failed: usize, figure: &str) {
    let row = serde_json::json!({
        "test": test, "tried": tried, "passed": passed, "failed": failed, "figure": figure,
    });
    eprintln!("battery row: {row}");
    if let Some(path) = std::env::var_os("OPSDECK_BATTERY_OUT") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(PathBuf::from(path))
            .expect("battery output file is writable");
        writeln!(f, "{row}").expect("battery output file is writable");
    }
}

/// How a raw fault server misbehaves.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A valid-looking header, then one byte per second.
    SlowLoris,
    /// Accept, read the request, close at once (the client sees a reset / EOF).
    Reset,
    /// Accept and never answer.
    Hang,
    /// Answer 200 `application/json` with this body (and an honest Content-Length).
    Body(std::sync::Arc<Vec<u8>>),
}

/// Starts a loopback server with `fault` on every connection (at most 256 connections).
pub fn fault_server(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(256) {
            let Ok(stream) = stream else { continue };
            let fault = fault.clone();
            std::thread::spawn(move || serve(stream, &fault));
        }
    });
    format!("http://{addr}")
}

fn serve(mut stream: TcpStream, fault: &Fault) {
    let mut buf = [0u8; 4096];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = stream.read(&mut buf);
    match fault {
        Fault::Reset => drop(stream),
        Fault::Hang => {
            // Hold the connection (bounded) until the client gives up and closes it.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
            let _ = stream.read(&mut buf);
        }
        Fault::SlowLoris => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[";
            for b in head.iter().chain(std::iter::repeat(&b' ')).take(120) {
                if stream.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1)); // the fault: 1 byte/s
            }
        }
        Fault::Body(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            if stream.write_all(head.as_bytes()).is_ok() {
                for chunk in body.chunks(64 * 1024) {
                    if stream.write_all(chunk).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Every connector kind with the keys it needs, all pointed at `uri`.
pub fn all_sources_toml(uri: &str) -> String {
    let t = "token_env = \"OPSDECK_BATTERY_TOKEN\"";
    format!(
        "[[sources]]\nname = \"github\"\nkind = \"github\"\nbase_url = \"{uri}\"\nrepos = [\"o/r\"]\n{t}\n\
         [[sources]]\nname = \"deploys\"\nkind = \"github-deployments\"\nbase_url = \"{uri}\"\nrepos = [\"o/r\"]\n{t}\n\
         [[sources]]\nname = \"jira\"\nkind = \"jira\"\nbase_url = \"{uri}\"\nprojects = [\"OPS\"]\nemail = \"a@b.c\"\n{t}\n\
         [[sources]]\nname = \"redmine\"\nkind = \"redmine\"\nbase_url = \"{uri}\"\nprojects = [\"ops\"]\n{t}\n\
         [[sources]]\nname = \"pagerduty\"\nkind = \"pagerduty\"\nbase_url = \"{uri}\"\nservices = [\"P1\"]\nemail = \"a@b.c\"\n{t}\n\
         [[sources]]\nname = \"alertmanager\"\nkind = \"alertmanager\"\nbase_url = \"{uri}\"\n\
         [[sources]]\nname = \"prometheus\"\nkind = \"prometheus\"\nbase_url = \"{uri}\"\n\
         [[slos]]\nname = \"avail\"\nservice = \"checkout\"\nobjective = \"99.9\"\nwindow = \"28d\"\n\
         kind = \"ratio\"\nbad = 'http_requests_total{{code=~\"5..\"}}'\ntotal = \"http_requests_total\"\n\
         source = \"prometheus\"\n"
    )
}

/// The names in [`all_sources_toml`].
pub const ALL_SOURCES: [&str; 7] = [
    "github",
    "deploys",
    "jira",
    "redmine",
    "pagerduty",
    "alertmanager",
    "prometheus",
];

/// What one run of the binary did.
pub struct Run {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// stdout + stderr.
    pub text: String,
    /// Wall time.
    pub took: Duration,
}

/// Runs `opsdeck --config <dir>/config.toml ARGS` with its data in `dir/data`.
pub fn opsdeck(dir: &Path, config_text: &str, args: &[&str]) -> Run {
    let config = dir.join("config.toml");
    std::fs::write(&config, config_text).expect("write config");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("OPSDECK_CONFIG_DIR", dir)
        .env("OPSDECK_BATTERY_TOKEN", "battery-token")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .arg("--config")
        .arg(&config)
        .args(args)
        .output()
        .expect("run opsdeck");
    Run {
        code: out.status.code(),
        text: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        took: started.elapsed(),
    }
}
