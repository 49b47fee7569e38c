//! RELIABILITY.md §7 C6 and C7 through the real binary, for every connector at once:
//! `opsdeck sync --once` against loopback servers that trickle, reset, hang or answer
//! malformed bodies. Each source must end FAILED or UNFINISHED (never "ok" on garbage), the
//! process must end within its deadline, nothing may panic, and no garbage may reach the cache.

mod battery_common;

use std::sync::Arc;
use std::time::Duration;

use battery_common::{all_sources_toml, fault_server, opsdeck, record, sized, Fault, ALL_SOURCES};

/// Rows of every synced table (garbage must leave none).
fn cached_rows(dir: &std::path::Path) -> i64 {
    let db = dir.join("data").join("cache.sqlite3");
    let conn = rusqlite::Connection::open(db).expect("cache exists after a sync");
    ["bugs", "incidents", "alerts", "deployments"]
        .iter()
        .map(|t| {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .expect("count")
        })
        .sum()
}

/// What one fault did to the seven sources.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    /// Sources that ignored the garbage as "0 items" (nothing cached): passed, but counted.
    empty: usize,
    worst: Duration,
    notes: Vec<String>,
}

/// Runs one fault against all sources. A source passes when it ends FAILED/UNFINISHED, or
/// (`allow_empty`) when it took the body as an empty answer — with nothing cached, no panic and
/// the run inside its deadline either way.
fn against(fault: Fault, deadline_secs: u64, allow_empty: bool, t: &mut Tally) {
    let uri = fault_server(fault);
    let dir = tempfile::tempdir().expect("tempdir");
    let deadline = format!("{deadline_secs}s");
    let run = opsdeck(
        dir.path(),
        &all_sources_toml(&uri),
        &["sync", "--once", "--deadline", &deadline],
    );
    let bounded = run.took < Duration::from_secs(deadline_secs + 15);
    let calm = !run.text.contains("panicked") && run.code.is_some();
    for name in ALL_SOURCES {
        let line = run
            .text
            .lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or("");
        let refused = line.contains("FAILED") || line.contains("UNFINISHED");
        let empty = allow_empty && line.contains(": 0 items in");
        if (refused || empty) && bounded && calm {
            t.passed += 1;
            t.empty += usize::from(empty && !refused);
        } else {
            t.failed += 1;
            t.notes.push(format!("{name}: {line:?}"));
        }
    }
    if cached_rows(dir.path()) != 0 {
        t.failed += 1;
        t.notes.push("garbage reached the cache".into());
    }
    if !bounded || !calm {
        t.notes.push(format!(
            "exit {:?} after {:?}: {}",
            run.code, run.took, run.text
        ));
    }
    t.worst = t.worst.max(run.took);
}

#[test]
fn battery_c6_slow_loris_reset_and_hang_per_source() {
    let deadline = sized(3, 20);
    let mut t = Tally::default();
    for fault in [Fault::SlowLoris, Fault::Reset, Fault::Hang] {
        against(fault, deadline, false, &mut t);
    }
    record(
        "C6 slow-loris / reset / hang × 7 sources",
        t.passed + t.failed,
        t.passed,
        t.failed,
        &format!(
            "every source FAILED/UNFINISHED; longest run {:.1} s with --deadline {deadline}s",
            t.worst.as_secs_f64()
        ),
    );
    assert_eq!(t.failed, 0, "{:#?}", t.notes);
}

fn malformed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let mut cut = br#"{"issues":[{"id":1,"title":"cut he"#.to_vec();
    cut.truncate(cut.len() - 3);
    let mut bad_utf8 = br#"[{"id":1,"number":1,"title":""#.to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe, 0xc0, 0x80]);
    bad_utf8.extend_from_slice(br#"","state":"open"}]"#);
    let huge_mb = sized(100, 100);
    let mut huge = Vec::with_capacity(huge_mb * 1024 * 1024 + 2);
    huge.push(b'[');
    huge.resize(huge_mb * 1024 * 1024, b' ');
    huge.push(b']');
    vec![
        ("cut", cut),
        ("invalid UTF-8 inside JSON", bad_utf8),
        ("100 MB", huge),
        (
            "wrong type",
            br#"{"total": "many", "issues": 42, "data": "x"}"#.to_vec(),
        ),
    ]
}

#[test]
fn battery_c7_malformed_bodies_per_source() {
    let mut t = Tally::default();
    for (label, body) in malformed_bodies() {
        let before = t.notes.len();
        against(Fault::Body(Arc::new(body)), 60, true, &mut t);
        for n in &mut t.notes[before..] {
            *n = format!("{label}: {n}");
        }
    }
    record(
        "C7 malformed bodies (cut, bad UTF-8, 100 MB, wrong type) × 7 sources",
        t.passed + t.failed,
        t.passed,
        t.failed,
        &format!(
            "0 rows cached; {} typed errors, {} ignored as empty; longest run {:.1} s",
            t.passed - t.empty,
            t.empty,
            t.worst.as_secs_f64()
        ),
    );
    assert_eq!(t.failed, 0, "{:#?}", t.notes);
}
