//! Sync ingest benchmark: a local fake GitHub (the tests' wiremock fake, vendor shapes) serves
//! 10,000 issues, 100 per page; measures the initial pull (items/s, peak RSS from
//! `/proc/self/status` VmHWM, database size), then the no-change re-syncs (requests, wall time).
//!
//! Run: `cargo run --release --example bench_sync` (the fake server runs in the same process,
//! so its rendering time is included in the figures: they are conservative).

#[path = "../tests/github_fake/mod.rs"]
mod github_fake;

use opsdeck::sync::{Build as _, Source as _};
use std::time::Instant;

use github_fake::{config_toml, GithubFake};
use opsdeck::config::Config;
use opsdeck::store::Store;
use opsdeck::sync::engine::http_clock;
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::secret::Secret;

const ISSUES: u64 = 10_000;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let fake = GithubFake::start().await;
    fake.seed(ISSUES, 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("cache.db");
    let clock = opsdeck::clock::system();
    let config =
        Config::parse(&config_toml("bench", &fake.uri(), "UNUSED"), "bench.toml").expect("config");
    let mut gh = GithubSource::new(
        &config.sources[0],
        Some(Secret::new("ghp_bench")),
        http_clock(&clock),
    )
    .expect("source");
    let mut store = Store::open(&db).expect("store");
    let rss_before = vm_hwm_kib().unwrap_or(0);

    // The fake's own cost: fetch every page with a bare client and discard it.
    let plain = reqwest::Client::new();
    let t = Instant::now();
    let mut bytes = 0usize;
    for page in 1..=ISSUES.div_ceil(100) {
        let url = format!("{}/repos/octo/hello/issues?state=all&sort=updated&direction=asc&per_page=100&page={page}", fake.uri());
        bytes += plain
            .get(url)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body")
            .len();
    }
    let serve = t.elapsed();
    println!(
        "fake server alone: {} pages, {:.1} MiB in {:.3} s",
        ISSUES.div_ceil(100),
        bytes as f64 / 1_048_576.0,
        serve.as_secs_f64()
    );
    fake.clear_log();

    let t0 = Instant::now();
    let report = gh
        .pull(&mut store, clock.now())
        .await
        .expect("initial pull");
    let initial = t0.elapsed();
    let rows: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM bugs", [], |r| r.get(0))
        .expect("count");
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("cache.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "initial sync: {} items ({rows} rows) in {} requests, {:.3} s = {:.0} items/s; VmHWM {} MiB (before {} MiB); db+wal {:.1} MiB",
        report.fetched,
        report.requests,
        initial.as_secs_f64(),
        report.fetched as f64 / initial.as_secs_f64(),
        vm_hwm_kib().unwrap_or(0) / 1024,
        rss_before / 1024,
        db_bytes as f64 / 1_048_576.0
    );
    let own = initial.saturating_sub(serve);
    println!(
        "  of which opsdeck (minus the fake's serving time): {:.3} s = {:.0} items/s",
        own.as_secs_f64(),
        report.fetched as f64 / own.as_secs_f64()
    );

    for label in [
        "re-sync 1 (cursor moved: reads the overlap)",
        "re-sync 2 (no change)",
        "re-sync 3 (no change)",
    ] {
        fake.clear_log();
        let t = Instant::now();
        let r = gh.pull(&mut store, clock.now()).await.expect("re-sync");
        let took = t.elapsed();
        let log = fake.log();
        let conditional = log.iter().filter(|l| l.if_none_match.is_some()).count();
        println!(
            "{label}: {} requests ({conditional} conditional), {} items, changed {:?}, {:.1} ms",
            log.len(),
            r.fetched,
            r.changed,
            took.as_secs_f64() * 1000.0
        );
    }
}
