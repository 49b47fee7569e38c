//! Shared by the `battery_*` test targets (RELIABILITY.md §7, driven by `scripts/battery`):
//! the tier (quick by default, `OPSDECK_BATTERY_TIER=long` for the long one), result rows for
//! the table, raw loopback fault servers, a helper running the real binary, and the kill -9
//! batteries' child harness (start the child role, kill it, read its `ACK` lines).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
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
    opsdeck_with_token(dir, config_text, args, "battery-token")
}

/// [`opsdeck`] with `$OPSDECK_BATTERY_TOKEN` set to `token` (a canary).
pub fn opsdeck_with_token(dir: &Path, config_text: &str, args: &[&str], token: &str) -> Run {
    let config = dir.join("config.toml");
    std::fs::write(&config, config_text).expect("write config");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("OPSDECK_CONFIG_DIR", dir)
        .env("OPSDECK_BATTERY_TOKEN", token)
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

/// `n` hostile strings: every attack × every carrier × a counter to keep them distinct.
pub fn corpus(n: usize) -> Vec<String> {
    let attacks = [
        "\x1b[2J\x1b[H",
        "\x1b[31;1m",
        "\x1b[10A\x1b[5C",
        "\x1b]0;pwned\x07",
        "\x1b]2;title\x1b\\",
        "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
        "\x1b]52;c;aGVsbG8=\x07",
        "\x1bP$q\"p\x1b\\",
        "\x1b_apc\x1b\\",
        "\x1b^pm\x1b\\",
        "\x1bXsos\x1b\\",
        "\x1b[21t",
        "\x1b]50;?\x07",
        "\u{9b}31m",
        "\u{9d}0;t\u{9c}",
        "\0\x07\x08\r\x7f",
        "\u{202e}gnp.exe",
        "\u{2066}\u{2067}\u{2068}\u{2069}",
        "\u{200b}\u{200d}\u{feff}\u{2060}",
        "\u{fffd}\u{fffd}",
        "a\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}\u{309}\u{30a}\u{30b}\u{30c}\u{30d}\u{30e}\u{30f}\u{310}\u{311}",
        "\x1b[?1049h\x1b[?25l",
        "\x1b[6n",
        "\x1bc",
        "\t\n\x0b\x0c",
    ];
    let carriers: [fn(&str, usize) -> String; 5] = [
        |a, i| format!("{a}{i}"),
        |a, i| format!("title {i} {a} end"),
        |a, i| format!("{a}{a}{i}{a}"),
        |a, i| format!("{i}{}", a.repeat(8)),
        |a, i| format!("ok{i}{a}"),
    ];
    (0..n)
        .map(|i| {
            let a = attacks[i % attacks.len()];
            let c = carriers[(i / attacks.len()) % carriers.len()];
            c(a, i)
        })
        .collect()
}

/// A character that must never reach a cell, a field or a report.
pub fn bad_char(c: char) -> bool {
    (c.is_control() && c != '\n') || opsdeck::sanitize::is_format_control(c)
}

/// Starts this test binary again running only the test `role` (the child half of a kill -9
/// battery), with `env` set and its stdout piped back.
pub fn spawn_role(role: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([role, "--exact", "--nocapture", "--test-threads=1"]);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills `c` (SIGKILL) and returns what it printed until then.
pub fn kill_and_read(mut c: Child) -> String {
    let _ = c.kill();
    let _ = c.wait();
    let mut stdout = String::new();
    if let Some(mut s) = c.stdout.take() {
        let _ = s.read_to_string(&mut stdout);
    }
    stdout
}

/// The `ACK <n> <op id>` lines a child printed: n → op id. libtest prints "test name ... "
/// without a newline first, so an ACK can share a line.
pub fn acks<N: FromStr + Ord>(stdout: &str) -> BTreeMap<N, String> {
    stdout
        .lines()
        .filter_map(|l| l.find("ACK ").map(|at| &l[at..]))
        .filter_map(|a| {
            let mut it = a.split(' ').skip(1);
            Some((it.next()?.parse().ok()?, it.next()?.to_owned()))
        })
        .collect()
}

/// Waits until `c` exits by itself; fails the test if that takes longer than `limit`.
pub async fn wait_exit(c: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    while c.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "a full child run took > {} s",
            limit.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
