//! A tmux server of its own per test, to drive the real binary in a real terminal: start a
//! session, send keys, capture the pane, and wait (bounded, polling the screen) for what the
//! user would wait for. Fails loudly when tmux is missing (scripts/install-deps.sh installs it).

#![allow(dead_code, reason = "each test file uses a different part")]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One private tmux server.
pub struct Tmux {
    /// The server socket name (`tmux -L`).
    pub socket: String,
}

impl Tmux {
    pub fn new() -> Tmux {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "tmux is required for this test: run `bash scripts/install-deps.sh` (it installs tmux)"
        );
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        Tmux {
            socket: format!("opsdeck-e2e-{}-{n}", std::process::id()),
        }
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn start(&self, session: &str, config: &Path, data: &Path) {
        let cmd = format!(
            "env -u NO_COLOR OPSDECK_CONFIG_DIR={} OPSDECK_DATA_DIR={} {}",
            config.display(),
            data.display(),
            env!("CARGO_BIN_EXE_opsdeck")
        );
        self.run(&[
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "100",
            "-y",
            "30",
            &cmd,
        ]);
    }

    /// Starts opsdeck in a `cols`×`rows` session with its own config and data folders.
    pub fn start_sized(&self, session: &str, config: &Path, data: &Path, cols: u16, rows: u16) {
        let cmd = format!(
            "env -u NO_COLOR OPSDECK_CONFIG_DIR={} OPSDECK_DATA_DIR={} {}",
            config.display(),
            data.display(),
            env!("CARGO_BIN_EXE_opsdeck")
        );
        let (x, y) = (cols.to_string(), rows.to_string());
        self.run(&["new-session", "-d", "-s", session, "-x", &x, "-y", &y, &cmd]);
    }

    pub fn screen(&self, session: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", session])
    }

    /// Polls the screen (bounded) until `pred` holds; returns the screen.
    pub fn wait_for(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.screen(session);
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn keys(&self, session: &str, keys: &str) {
        self.run(&["send-keys", "-t", session, keys]);
    }

    pub fn alive(&self, session: &str) -> bool {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(["has-session", "-t", session])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
