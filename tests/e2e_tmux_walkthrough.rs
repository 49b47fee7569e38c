//! A new user at 80×24 over SSH (issue #15): from the help screen, find how to silence an
//! alert and do it with the keyboard only — `?`, `/silence`, Esc Esc, `3`, `A`, `m`,
//! a duration, a comment, Enter — then see the alert silenced and, full-screen, the silence
//! with the typed comment. Every screen is written to `target/walkthrough/` so the closing
//! note can quote what the user saw. The real binary in tmux on the embedded demo.

mod tmux_support;

use std::path::PathBuf;

use tmux_support::Tmux;

fn keep(name: &str, screen: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/walkthrough");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.txt")), screen).unwrap();
    for line in screen.lines() {
        assert!(
            line.chars().count() <= 80,
            "{name}: wider than 80: {line:?}"
        );
    }
}

#[test]
fn from_help_to_a_silenced_alert_at_80x24() {
    let tmux = Tmux::new();
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = (tmp.path().join("config"), tmp.path().join("data"));
    std::fs::create_dir_all(&config).unwrap();
    tmux.start_sized("w", &config, &data, 80, 24);
    let s = tmux.wait_for("w", "the first frame", |s| s.contains("DEMO workspace"));
    assert!(
        s.contains("? help"),
        "the key-hint footer points at help:\n{s}"
    );
    keep("01-start", &s);

    tmux.keys("w", "?");
    let s = tmux.wait_for("w", "help", |s| s.contains("/ search"));
    keep("02-help", &s);
    tmux.keys("w", "/");
    tmux.keys("w", "silence");
    let s = tmux.wait_for("w", "the search result", |s| {
        s.lines()
            .any(|l| l.contains("silence") && l.contains(" m "))
    });
    keep("03-help-search-silence", &s);
    assert!(
        s.lines()
            .any(|l| l.contains("silence the alert") || l.contains("silence")),
        "{s}"
    );

    // One Esc clears the search, the next closes help. Wait in between: two ESC bytes that
    // arrive together read as one Alt-Esc to the terminal parser.
    tmux.keys("w", "Escape");
    tmux.wait_for("w", "the search cleared", |s| {
        s.contains("/ to search keys")
    });
    tmux.keys("w", "Escape");
    let s = tmux.wait_for("w", "help closed", |s| !s.contains("/ search"));
    keep("04-help-closed", &s);

    tmux.keys("w", "3");
    // The tab bar always says "Incidents": wait for the tab's rows and its alerts section,
    // which arrive from the store thread with the tab's first window.
    tmux.wait_for("w", "the incidents tab with its alerts", |s| {
        s.contains("(A to focus)")
    });
    tmux.keys("w", "A");
    let s = tmux.wait_for("w", "alerts focused", |s| {
        s.contains("Alerts") && !s.contains("(A to focus)")
    });
    keep("05-alerts-focused", &s);
    assert!(s.contains("firing"), "{s}");

    tmux.keys("w", "m");
    let s = tmux.wait_for("w", "the duration choice", |s| s.contains("1 hour"));
    keep("06-silence-for", &s);
    tmux.keys("w", "j");
    tmux.keys("w", "Enter");
    let s = tmux.wait_for("w", "the comment prompt", |s| {
        s.contains("comment") || s.contains("Comment")
    });
    keep("07-comment-prompt", &s);
    tmux.run(&[
        "send-keys",
        "-t",
        "w",
        "-l",
        "db failover drill, back by 15:30",
    ]);
    let s = tmux.wait_for("w", "the typed comment", |s| {
        s.contains("db failover drill")
    });
    keep("08-comment-typed", &s);
    tmux.keys("w", "Enter");
    // "saved" comes with the commit; the alert row is re-read from the cache just after it,
    // so wait for the row rather than race the reload.
    let s = tmux.wait_for("w", "the silence saved and the alert silenced", |s| {
        s.contains("— saved") && s.contains("silenced until")
    });
    keep("09-silenced", &s);

    // Enter: the alert full-screen, with the silence and the words typed into it.
    tmux.keys("w", "Enter");
    let s = tmux.wait_for("w", "the full-screen alert", |s| s.contains("esc back"));
    keep("10-alert-full-screen", &s);
    assert!(
        s.lines()
            .any(|l| l.contains("silence") && l.contains("\"db failover drill, back by 15:30\"")),
        "the typed comment is on the silence:\n{s}"
    );
}
