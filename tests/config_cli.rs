//! Config and CLI: every invalid example exits 2 with its file, line and fix, writing nothing;
//! the commented example parses; `init` writes it.

use std::path::Path;
use std::process::Command;

use opsdeck::config::{Config, EXAMPLE_TOML};

fn opsdeck(config_dir: &Path, data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    c.env("OPSDECK_CONFIG_DIR", config_dir)
        .env("OPSDECK_DATA_DIR", data_dir)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME");
    c
}

/// Reads the `# expect:` and `# line:` headers of an invalid example.
fn expectations(text: &str) -> (String, Option<usize>) {
    let expect = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect: "))
        .unwrap_or_default()
        .to_string();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# line: "))
        .and_then(|l| l.trim().parse().ok());
    (expect, line)
}

#[test]
fn every_invalid_example_exits_2_with_file_line_and_fix_and_writes_nothing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configs/invalid");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let (expect, line) = expectations(&text);
        assert!(
            !expect.is_empty(),
            "{} has no '# expect:' header",
            path.display()
        );
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let out = opsdeck(tmp.path(), &data)
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(
            stderr.contains(&expect),
            "{}: expected '{expect}' in: {stderr}",
            path.display()
        );
        assert!(
            stderr.contains(&path.display().to_string()),
            "{}: the message names the file: {stderr}",
            path.display()
        );
        assert!(
            stderr.contains("fix:"),
            "{}: the message says what to do: {stderr}",
            path.display()
        );
        // REGRESSION (issue #13 finding 5): duplicate names, objectives, time zones, unknown
        // keys inside [[sources]] and bad base URLs came without (or with a wrong) line:col.
        let line = line.unwrap_or_else(|| panic!("{} has no '# line:' header", path.display()));
        assert!(
            stderr.contains(&format!("{}:{line}:", path.display())),
            "{}: expected file:{line}:col in: {stderr}",
            path.display()
        );
        assert!(
            !stderr.contains('\u{1b}'),
            "no terminal escapes on a config error"
        );
        assert!(
            !data.exists(),
            "{}: a bad config must write nothing",
            path.display()
        );
        seen += 1;
    }
    assert!(
        seen >= 10,
        "expected at least 10 invalid examples, found {seen}"
    );
}

/// REGRESSION: a config file that is a symlink loop was treated as "no config file": the demo
/// opened and `sync` exited 0 with "no sources are configured". It is now an error (exit 2)
/// naming the file and the fix, and nothing is created.
#[cfg(unix)]
#[test]
fn a_symlink_loop_as_the_config_file_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let a = tmp.path().join("config.toml");
    let b = tmp.path().join("other.toml");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    for args in [&["sync", "--once"][..], &["doctor"][..]] {
        let out = opsdeck(tmp.path(), &data).args(args).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains(&a.display().to_string()), "{all}");
        assert!(all.contains("fix:") && all.contains("symlink"), "{all}");
    }
    assert!(!data.exists(), "a bad config must write nothing");
}

#[test]
fn the_commented_example_parses_and_equals_the_defaults() {
    let parsed = Config::parse(EXAMPLE_TOML, "config.example.toml").unwrap();
    assert_eq!(
        parsed,
        Config::default(),
        "the example documents the defaults exactly"
    );
}

#[test]
fn a_valid_config_keeps_its_values() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configs/valid/minimal.toml");
    let c = Config::load(&path).unwrap();
    assert_eq!(c.general.team_timezone, "Europe/Berlin");
    assert_eq!(c.sources[0].interval.0.as_secs(), 120);
    assert_eq!(
        c.policy.sla.p0,
        opsdeck::config::SlaPolicy::default().p0,
        "unset keys keep their defaults"
    );
}

#[test]
fn init_writes_the_example_once_and_paths_lists_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = opsdeck(tmp.path(), &data).arg("init").output().unwrap();
    assert!(out.status.success());
    let written = std::fs::read_to_string(tmp.path().join("config.toml")).unwrap();
    assert_eq!(written, EXAMPLE_TOML);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tmp.path().join("config.toml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the config is private");
    }
    let again = opsdeck(tmp.path(), &data).arg("init").output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "init never overwrites without --force"
    );
    let paths = opsdeck(tmp.path(), &data).arg("paths").output().unwrap();
    let text = String::from_utf8_lossy(&paths.stdout);
    for needle in [
        "config.toml",
        "cache.sqlite3",
        "demo.sqlite3",
        "opsdeck.log",
    ] {
        assert!(text.contains(needle), "paths lists {needle}: {text}");
    }
}

#[test]
fn durations_parse_in_every_documented_form() {
    use opsdeck::config::DurationSpec;
    for (s, secs) in [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("2d", 172_800),
        ("1h30m", 5400),
        ("1w", 604_800),
    ] {
        assert_eq!(s.parse::<DurationSpec>().unwrap().0.as_secs(), secs, "{s}");
    }
    for bad in ["", "5", "5 minutes", "m", "1y"] {
        assert!(
            bad.parse::<DurationSpec>().is_err(),
            "{bad:?} must be refused"
        );
    }
}
