//! Huge Markdown plans (issue #13 finding 6): refused by size before any parsing, with a
//! message naming the file, the limit and the fix; the limit is configurable; a large plan
//! under the limit imports with a bounded peak RSS (measured with `/usr/bin/time`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use opsdeck::checklist::file::{read_plan_limited, FileError};

fn plan_of(bytes: usize) -> String {
    let mut s = String::from("# Plan\n\n## Tasks\n\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("- [ ] task {i}\n"));
        i += 1;
    }
    s
}

fn import(dir: &Path, general: &str, plan: &Path) -> (Option<i32>, String, Duration) {
    let config = dir.join("config.toml");
    std::fs::write(&config, format!("[general]\n{general}\n")).unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("OPSDECK_CONFIG_DIR", dir)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .arg("--config")
        .arg(&config)
        .args(["checklist", "import"])
        .arg(plan)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text, started.elapsed())
}

/// REGRESSION: a 50 MB plan was read whole and parsed (24 s, 709 MB). A plan over the default
/// 8 MiB limit is now refused at once with the file, the limit and the fix.
#[test]
fn a_plan_over_the_default_limit_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("huge.md");
    std::fs::write(&plan, plan_of(9 * 1024 * 1024)).unwrap();
    let (code, text, took) = import(dir.path(), "", &plan);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("huge.md"), "{text}");
    assert!(text.contains("8388608-byte limit"), "{text}");
    assert!(text.contains("general.max_plan_bytes"), "{text}");
    assert!(took < Duration::from_secs(10), "refusing took {took:?}");
}

/// The limit comes from `general.max_plan_bytes`; a plan under it imports.
#[test]
fn the_limit_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.md");
    std::fs::write(&plan, plan_of(4096)).unwrap();
    let (code, text, _) = import(dir.path(), "max_plan_bytes = 1000", &plan);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("1000-byte limit"), "{text}");
    let (code, text, _) = import(dir.path(), "max_plan_bytes = 100000", &plan);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("registered"), "{text}");
}

/// A file that is not what its size says (a device, a file still growing) is cut off while
/// reading: at most `limit + 1` bytes are held.
#[cfg(unix)]
#[test]
fn an_endless_file_is_cut_off_while_reading() {
    let err = read_plan_limited(Path::new("/dev/zero"), 64 * 1024).unwrap_err();
    assert!(matches!(err, FileError::TooLarge { .. }), "{err:?}");
}

/// REGRESSION: a plan under the 8 MiB limit but large (7 MB, 414k task lines) took 300 MB at
/// peak (measured 2026-12-05 with `/usr/bin/time -f %M`, debug build): the parsed document and
/// a second full copy of every row were alive together, and each row was written twice
/// (insert, then an update for its key). The first import now writes each row, key included,
/// as it goes: 198 MB. The bound sits between the two.
#[test]
fn a_large_plan_under_the_limit_imports_with_bounded_peak_memory() {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is needed to measure peak RSS (apt-get install time)"
    );
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("big.md");
    let text = plan_of(7 * 1024 * 1024);
    let items = text.lines().filter(|l| l.starts_with("- [ ]")).count();
    std::fs::write(&plan, text).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[general]\n").unwrap();
    let out = Command::new(time)
        .args(["-f", "peak_kb=%M"])
        .arg(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_DATA_DIR", dir.path().join("data"))
        .env("OPSDECK_CONFIG_DIR", dir.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .arg("--config")
        .arg(&config)
        .args(["checklist", "import"])
        .arg(&plan)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{items} items")),
        "every task line imported: {stdout}"
    );
    let peak_kb: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_kb="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in: {stderr}"));
    eprintln!("7 MB plan, {items} items: peak RSS {peak_kb} KB");
    assert!(
        peak_kb < 250 * 1024,
        "peak RSS {peak_kb} KB for a 7 MB plan (was 300 MB before streaming rows)"
    );
}

/// REGRESSION: re-reading a plan already in the cache (every file push and every refresh does
/// it) matched each item against every cached row, so it grew with the square of the plan:
/// a 50k-item plan imported in 2 s and re-imported in 136 s (the quadratic term alone makes a
/// re-import of these 38k items ~80× the first import). Re-importing now costs a small multiple
/// of the first import (~5×: three statements per row instead of one), measured against it on
/// the same machine so load cancels out.
#[test]
fn re_reading_a_large_plan_costs_about_what_the_first_import_does() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.md");
    std::fs::write(&plan, plan_of(40_000 * 16)).unwrap();
    let mut store = opsdeck::store::Store::open(&dir.path().join("cache.sqlite3")).unwrap();
    let now = opsdeck::clock::system().now();
    let started = Instant::now();
    opsdeck::checklist::store::register_file(&mut store, &plan, &[], now).unwrap();
    let first = started.elapsed();
    let started = Instant::now();
    opsdeck::checklist::store::register_file(&mut store, &plan, &[], now).unwrap();
    let again = started.elapsed();
    let items: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM checklist_items", [], |r| r.get(0))
        .unwrap();
    eprintln!("{items} items: first import {first:?}, re-import {again:?}");
    assert!(items > 35_000, "{items}");
    assert!(
        again < first * 20 + Duration::from_secs(2),
        "re-import {again:?} vs first import {first:?} for {items} items"
    );
}
