//! The real binary in a real terminal (tmux), driven as a new user would: the demo opens,
//! `3` shows incidents, `a` acknowledges the first triggered incident and stops its SLA clock,
//! `u` undoes it, acknowledging again and quitting keeps it acknowledged after a relaunch, and
//! the audit log holds every step. Needs tmux (installed by scripts/install-deps.sh); fails
//! loudly without it.

use std::process::Command;
use std::time::{Duration, Instant};

mod tmux_support;

use tmux_support::Tmux;

fn row<'a>(screen: &'a str, key: &str) -> &'a str {
    screen.lines().find(|l| l.contains(key)).unwrap_or("")
}

#[test]
fn acknowledge_undo_and_reacknowledge_survive_a_restart_with_an_audit_trail() {
    let tmux = Tmux::new();
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = (tmp.path().join("config"), tmp.path().join("data"));
    std::fs::create_dir_all(&config).unwrap();
    tmux.start("a", &config, &data);
    let s = tmux.wait_for("a", "the demo banner", |s| s.contains("DEMO workspace"));
    assert!(s.contains("Incidents"), "{s}");
    tmux.keys("a", "3");
    // The demo's newest triggered incident: P1 on ingest, SLA clock running.
    let s = tmux.wait_for("a", "the triggered incident", |s| {
        row(s, "PG6R1XE").contains("triggered")
    });
    assert!(
        row(&s, "PG6R1XE").contains("left"),
        "the SLA countdown runs: {}",
        row(&s, "PG6R1XE")
    );
    tmux.keys("a", "a");
    let s = tmux.wait_for("a", "the acknowledgement", |s| {
        row(s, "PG6R1XE").contains("acknowledged")
    });
    assert!(
        row(&s, "PG6R1XE").contains("acked"),
        "the SLA clock stopped and says how fast: {}",
        row(&s, "PG6R1XE")
    );
    // The selection stays on the acknowledged incident after it re-sorts: undo it.
    tmux.keys("a", "u");
    tmux.wait_for("a", "the undo", |s| {
        row(s, "PG6R1XE").contains("triggered") && s.contains("undone")
    });
    tmux.keys("a", "a");
    tmux.wait_for("a", "the second acknowledgement", |s| {
        row(s, "PG6R1XE").contains("acknowledged")
    });
    tmux.keys("a", "q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive("a") {
        assert!(Instant::now() < deadline, "q did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.start("b", &config, &data);
    tmux.wait_for("b", "the relaunch", |s| s.contains("DEMO workspace"));
    tmux.keys("b", "3");
    let s = tmux.wait_for("b", "the incident after relaunch", |s| {
        row(s, "PG6R1XE").contains("acknowledged")
    });
    assert!(row(&s, "PG6R1XE").contains("acked"), "{s}");
    tmux.keys("b", "q");
    let db = opsdeck::store::Store::open(&data.join("demo.sqlite3")).unwrap();
    let actions: Vec<String> = {
        let mut stmt = db
            .conn()
            .prepare("SELECT action FROM audit WHERE entity_kind = 'incident' ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        actions,
        vec![
            "status → acknowledged",
            "undo: status → acknowledged",
            "status → acknowledged"
        ]
    );
}

#[test]
fn the_screen_fits_80_by_24_and_sigterm_restores_the_terminal() {
    let tmux = Tmux::new();
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = (tmp.path().join("config"), tmp.path().join("data"));
    std::fs::create_dir_all(&config).unwrap();
    let cmd = format!(
        "env OPSDECK_CONFIG_DIR={} OPSDECK_DATA_DIR={} {}; echo EXITED-$?; sleep 30",
        config.display(),
        data.display(),
        env!("CARGO_BIN_EXE_opsdeck")
    );
    tmux.run(&["new-session", "-d", "-s", "c", "-x", "80", "-y", "24", &cmd]);
    let s = tmux.wait_for("c", "the first frame", |s| s.contains("DEMO workspace"));
    for line in s.lines() {
        assert!(
            line.chars().count() <= 80,
            "a line overflows 80 columns: {line:?}"
        );
    }
    for tab in ["1", "2", "4", "5", "6"] {
        tmux.keys("c", tab);
        std::thread::sleep(Duration::from_millis(200));
    }
    let pid = tmux.run(&["list-panes", "-t", "c", "-F", "#{pane_pid}"]);
    // The pane runs a shell; signal its opsdeck child.
    let children = Command::new("pgrep")
        .args(["-P", pid.trim(), "opsdeck"])
        .output()
        .unwrap();
    let child = String::from_utf8_lossy(&children.stdout).trim().to_string();
    assert!(!child.is_empty(), "opsdeck is running in the pane");
    Command::new("kill")
        .args(["-TERM", &child])
        .status()
        .unwrap();
    let s = tmux.wait_for("c", "the exit after SIGTERM", |s| s.contains("EXITED-"));
    assert!(s.contains("EXITED-0"), "SIGTERM ends opsdeck cleanly: {s}");
    // Back on the normal screen: the shell's echo is visible and no frame remains.
    assert!(
        !s.contains("DEMO workspace"),
        "the alternate screen was left: {s}"
    );
}

/// REGRESSION: after an acknowledgement the list re-sorts; the selection must stay on the
/// acknowledged incident, so `e` exports that incident's report (with the acknowledgement).
#[test]
fn export_after_acknowledging_reports_the_same_incident_with_its_ack() {
    let tmux = Tmux::new();
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = (tmp.path().join("config"), tmp.path().join("data"));
    std::fs::create_dir_all(&config).unwrap();
    tmux.start("e", &config, &data);
    tmux.wait_for("e", "the demo", |s| s.contains("DEMO workspace"));
    tmux.keys("e", "3");
    tmux.wait_for("e", "the triggered incident", |s| {
        row(s, "PG6R1XE").contains("triggered")
    });
    tmux.keys("e", "a");
    tmux.wait_for("e", "the acknowledgement", |s| {
        row(s, "PG6R1XE").contains("acknowledged")
    });
    tmux.keys("e", "e");
    let s = tmux.wait_for("e", "the report notice", |s| {
        s.contains("report written to")
    });
    let path = s
        .lines()
        .find_map(|l| l.split("report written to ").nth(1))
        .unwrap()
        .trim()
        .to_string();
    tmux.keys("e", "q");
    let report = std::fs::read_to_string(&path).unwrap();
    assert!(
        report.starts_with("# Incident PG6R1XE"),
        "the acknowledged incident's report: {}",
        &report[..80.min(report.len())]
    );
    assert!(
        report.contains("status → acknowledged"),
        "the timeline includes the acknowledgement"
    );
}
