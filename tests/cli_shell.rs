//! The CLI a shell user expects: completions that load in bash, a man page that `man` renders,
//! and `--version` naming the commit — all generated from the one clap definition.

use std::io::Write;
use std::process::{Command, Stdio};

fn opsdeck(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "opsdeck {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every subcommand a user can type, as `--help` lists them.
const SUBCOMMANDS: &[&str] = &[
    "init",
    "paths",
    "sync",
    "doctor",
    "review",
    "report",
    "customers",
    "checklist",
    "ack",
    "resolve",
    "close",
    "silence",
    "completions",
    "man",
];

#[test]
fn bash_completions_parse_load_and_complete_every_subcommand() {
    let script = opsdeck(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("opsdeck.bash");
    std::fs::write(&file, &script).unwrap();

    let syntax = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // Source it and ask bash what it would complete after `opsdeck `.
    let probe = format!(
        "source '{}'; complete -p opsdeck; COMP_WORDS=(opsdeck ''); COMP_CWORD=1; \
         COMP_LINE='opsdeck '; COMP_POINT=8; _opsdeck opsdeck '' opsdeck; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = Command::new("bash").arg("-c").arg(&probe).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sourcing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout
            .lines()
            .next()
            .unwrap_or_default()
            .starts_with("complete ")
            && stdout.contains(" opsdeck"),
        "complete -p opsdeck: {stdout}"
    );
    let offered: Vec<&str> = stdout.lines().skip(1).collect();
    for sub in SUBCOMMANDS {
        assert!(
            offered.contains(sub),
            "`opsdeck <TAB>` misses {sub}: {offered:?}"
        );
    }
}

#[test]
fn zsh_and_fish_completions_name_the_one_shot_commands() {
    for shell in ["zsh", "fish"] {
        let script = String::from_utf8(opsdeck(&["completions", shell]).stdout).unwrap();
        for sub in ["ack", "resolve", "close", "silence", "sync", "report"] {
            assert!(script.contains(sub), "{shell} completion misses {sub}");
        }
    }
}

#[test]
fn the_man_page_renders_with_man_and_documents_every_subcommand() {
    let page = opsdeck(&["man"]).stdout;
    let mut man = Command::new("man")
        .args(["-l", "-"])
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`man` must be installed (scripts/install-deps.sh installs man-db)");
    man.stdin.take().unwrap().write_all(&page).unwrap();
    let out = man.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "man -l -: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("NAME") && text.contains("SYNOPSIS"), "{text}");
    for sub in SUBCOMMANDS {
        assert!(
            text.contains(&format!("opsdeck-{sub}")),
            "man page misses {sub}:\n{text}"
        );
    }
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let version = String::from_utf8(opsdeck(&["--version"]).stdout).unwrap();
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        head.status.success(),
        "the tests run in a git checkout; `git rev-parse HEAD` failed"
    );
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(
        version.trim(),
        format!(
            "opsdeck {} (commit {})",
            env!("CARGO_PKG_VERSION"),
            head.trim()
        )
    );
}
