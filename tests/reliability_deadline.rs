//! Headless sync against a server that trickles one byte per second (issue #13 finding 4):
//! `opsdeck sync --once` stops at its overall deadline, names each unfinished source and exits
//! non-zero — in seconds, not the minutes four ~61 s requests took before.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A loopback server answering every connection with one byte of a valid-looking HTTP
/// response per second (the slow-loris fault, bounded to 120 bytes per connection).
fn slow_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[";
                for b in reply.iter().chain(std::iter::repeat(&b' ')).take(120) {
                    if stream.write_all(&[*b]).is_err() {
                        return;
                    }
                    // The fault itself: one byte per second.
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        }
    });
    format!("http://{addr}")
}

fn config(dir: &Path, uri: &str, general: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[general]\n{general}\n\
             [[sources]]\nname = \"slow-gh\"\nkind = \"github\"\nbase_url = \"{uri}\"\n\
             repos = [\"o/r\"]\ntoken_env = \"OPSDECK_DL_TOKEN\"\n\
             [[sources]]\nname = \"slow-jira\"\nkind = \"jira\"\nbase_url = \"{uri}\"\n\
             projects = [\"OPS\"]\nemail = \"me@example.com\"\ntoken_env = \"OPSDECK_DL_TOKEN\"\n"
        ),
    )
    .unwrap();
    path
}

fn sync_once(dir: &Path, config: &Path, extra: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("OPSDECK_CONFIG_DIR", dir)
        .env("OPSDECK_DL_TOKEN", "t")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .arg("--config")
        .arg(config)
        .args(["sync", "--once"])
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text, started.elapsed())
}

/// REGRESSION: against a 1 byte/s server `opsdeck sync --once` was still running after 200 s;
/// `--deadline 2s` now ends it in seconds with each source named as unfinished and exit 1.
#[test]
fn a_one_byte_per_second_server_is_cut_off_by_the_deadline_flag() {
    let uri = slow_server();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &uri, "");
    let (code, text, took) = sync_once(dir.path(), &config, &["--deadline", "2s"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(took < Duration::from_secs(20), "took {took:?}: {text}");
    for name in ["slow-gh", "slow-jira"] {
        assert!(
            text.contains(&format!("{name}: UNFINISHED")),
            "{name} reported: {text}"
        );
    }
    assert!(text.contains("2 s deadline"), "{text}");
}

/// The config key `general.sync_deadline` applies when no flag is given.
#[test]
fn the_config_key_sets_the_deadline() {
    let uri = slow_server();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &uri, "sync_deadline = \"1s\"");
    let (code, text, took) = sync_once(dir.path(), &config, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(took < Duration::from_secs(20), "took {took:?}: {text}");
    assert!(text.contains("slow-gh: UNFINISHED"), "{text}");
    assert!(text.contains("1 s deadline"), "{text}");
}
