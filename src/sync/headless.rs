//! `opsdeck sync [--source NAME] [--once]`: the engine without the TUI, for cron and scripts.
//!
//! Prints one progress line per source round and a summary, then how many edits are still
//! queued and when they will be tried (an edit in backoff is not "pushed"); the exit code says whether every
//! source worked (0), one failed (1) or the configuration is wrong (2). Safe next to a running
//! TUI on the same cache: SQLite in WAL with `BEGIN IMMEDIATE` writes, and a per-source file
//! lock so the two never run the same source's round (or push the same edit) at once.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use tokio::sync::mpsc;

use super::engine::{spawn_workers, RoundOutcome, RoundResult};
use crate::clock::SharedClock;
use crate::config::Config;

/// Every source worked.
pub const EXIT_OK: i32 = 0;
/// At least one source failed (or was skipped while rate limited / busy).
pub const EXIT_SOURCE_FAILED: i32 = 1;
/// The configuration is wrong (unknown `--source`, no sources, missing token).
pub const EXIT_CONFIG: i32 = 2;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The progress line of one round, e.g.
/// `github-platform: 250 items in 3 requests, 2 pushed, 0 conflicts (1.2 s)`.
pub fn progress_line(o: &RoundOutcome) -> String {
    let secs = o.elapsed.as_secs_f64();
    match &o.result {
        RoundResult::Ok { pull, push } => {
            let pulled = match pull {
                Some(p) => format!(
                    "{} in {}",
                    plural(p.fetched, "item", "items"),
                    plural(p.requests, "request", "requests")
                ),
                None => "push only".to_owned(),
            };
            let mut line = format!(
                "{}: {pulled}, {} pushed, {}",
                o.source,
                push.pushed,
                plural(push.conflicts, "conflict", "conflicts")
            );
            if push.failed > 0 {
                line.push_str(&format!(", {} failed", push.failed));
            }
            if push.deferred > 0 {
                line.push_str(&format!(", {} waiting to retry", push.deferred));
            }
            format!("{line} ({secs:.1} s)")
        }
        RoundResult::Failed { error, push, .. } => {
            format!(
                "{}: FAILED: {error} ({} pushed, {secs:.1} s)",
                o.source, push.pushed
            )
        }
        RoundResult::ConfigError(error) => format!("{}: CONFIG ERROR: {error}", o.source),
        RoundResult::Skipped(reason) => format!("{}: skipped: {reason}", o.source),
    }
}

#[derive(Default)]
struct Totals {
    ok: usize,
    failed: usize,
    config: usize,
    items: usize,
    pushed: usize,
    conflicts: usize,
    failed_edits: usize,
}

impl Totals {
    fn exit_code(&self) -> i32 {
        if self.config > 0 {
            EXIT_CONFIG
        } else if self.failed > 0 {
            EXIT_SOURCE_FAILED
        } else {
            EXIT_OK
        }
    }
}

fn summarise(last: &BTreeMap<String, RoundOutcome>, all: &[RoundOutcome]) -> Totals {
    let mut t = Totals::default();
    for o in last.values() {
        match &o.result {
            RoundResult::Ok { .. } => t.ok += 1,
            RoundResult::ConfigError(_) => t.config += 1,
            RoundResult::Failed { .. } | RoundResult::Skipped(_) => t.failed += 1,
        }
    }
    for o in all {
        match &o.result {
            RoundResult::Ok { pull, push } => {
                t.items += pull.as_ref().map_or(0, |p| p.fetched);
                t.pushed += push.pushed;
                t.conflicts += push.conflicts;
                t.failed_edits += push.failed;
            }
            RoundResult::Failed { push, .. } => {
                t.pushed += push.pushed;
                t.conflicts += push.conflicts;
                t.failed_edits += push.failed;
            }
            _ => {}
        }
    }
    t
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs the sync without the TUI and returns the process exit code.
///
/// `only` restricts to one source; `once` runs one pull + push round per source and returns,
/// otherwise rounds repeat on each source's interval until SIGINT or SIGTERM.
pub async fn run_headless(
    config: &Config,
    db_path: &Path,
    only: Option<&str>,
    once: bool,
    clock: SharedClock,
    out: &mut (dyn Write + Send),
) -> i32 {
    if let Some(name) = only {
        if !config.sources.iter().any(|s| s.name == name) {
            let known: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
            let _ = writeln!(
                out,
                "no source named '{name}'; configured sources: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
            return EXIT_CONFIG;
        }
    }
    if config.sources.is_empty() {
        let _ = writeln!(
            out,
            "no sources configured; add a [[sources]] section to the config"
        );
        return EXIT_CONFIG;
    }
    let (events_tx, mut events_rx) = mpsc::unbounded_channel();
    let (reports_tx, mut reports_rx) = mpsc::unbounded_channel();
    let handle = match spawn_workers(
        config,
        only,
        db_path.to_path_buf(),
        clock.clone(),
        events_tx,
        Some(reports_tx),
    ) {
        Ok(h) => h,
        Err(e) => {
            let _ = writeln!(out, "{e}");
            return EXIT_CONFIG;
        }
    };
    let sources = handle.sources();
    let expected = sources.len();
    // `--once` has an overall deadline (issue #13 finding 4): a server trickling one byte a
    // second must not hold a cron job for minutes.
    let deadline = tokio::time::sleep(config.general.sync_deadline.0);
    tokio::pin!(deadline);
    let mut timed_out = false;
    let mut last: BTreeMap<String, RoundOutcome> = BTreeMap::new();
    let mut all = Vec::new();
    let stop = stop_signal();
    tokio::pin!(stop);
    let mut events_open = true;
    loop {
        tokio::select! {
            report = reports_rx.recv() => {
                let Some(report) = report else { break };
                let _ = writeln!(out, "{}", progress_line(&report));
                let _ = out.flush();
                last.insert(report.source.clone(), report.clone());
                all.push(report);
                if once && last.len() >= expected {
                    break;
                }
            }
            event = events_rx.recv(), if events_open => events_open = event.is_some(),
            () = &mut stop => break,
            () = &mut deadline, if once => {
                timed_out = true;
                break;
            }
        }
    }
    if timed_out {
        let secs = config.general.sync_deadline.0.as_secs_f64();
        for name in sources.iter().filter(|n| !last.contains_key(*n)) {
            let _ = writeln!(
                out,
                "{name}: UNFINISHED: no answer within the {secs:.0} s deadline (raise \
                 general.sync_deadline or pass --deadline)"
            );
        }
    }
    handle.shutdown();
    handle.join().await;
    let t = summarise(&last, &all);
    let _ = writeln!(
        out,
        "summary: {} ok, {} failed, {} misconfigured; {}, {} pushed, {}, {} failed edits",
        t.ok,
        t.failed,
        t.config,
        plural(t.items, "item", "items"),
        t.pushed,
        plural(t.conflicts, "conflict", "conflicts"),
        t.failed_edits
    );
    if let Some(line) = queued_line(db_path, clock.now()) {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    if timed_out {
        return EXIT_SOURCE_FAILED;
    }
    t.exit_code()
}

/// `still queued: 2 edits (github-platform: 2, next try 14:05:10 UTC, in 4m 10s)`: edits that
/// this run did not push (e.g. in backoff after an outage), so "0 pushed" never hides them.
/// `None` when nothing is queued or the cache cannot be read.
fn queued_line(db_path: &Path, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let store = crate::store::Store::open(db_path).ok()?;
    let queued = crate::store::sync_meta::queued_edits(store.conn()).ok()?;
    let total: u32 = queued.iter().map(|q| q.count).sum();
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = queued
        .iter()
        .map(|q| {
            let when = match q.next_attempt_at {
                Some(at) if at > now => format!(
                    "next try {} UTC, in {}",
                    at.format("%Y-%m-%d %H:%M:%S"),
                    super::incident_report::human_secs((at - now).num_seconds())
                ),
                _ => "due at the next sync".to_owned(),
            };
            format!("{}: {}, {when}", q.source, q.count)
        })
        .collect();
    Some(format!(
        "still queued: {} ({})",
        plural(
            usize::try_from(total).unwrap_or(usize::MAX),
            "edit",
            "edits"
        ),
        parts.join("; ")
    ))
}
