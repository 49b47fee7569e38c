//! RELIABILITY.md §7 D1 through a real connector: a generated corpus of ≥ 1,000 hostile strings
//! (CSI, OSC 0/2/8/52, DCS, APC, C1, NUL/BEL/BS/CR/DEL, bidi overrides, zero-width, combining
//! floods, invalid UTF-8 replacement) is served by the GitHub fake as issue titles, labels
//! and assignees, pulled by the GitHub connector into a real cache, then checked where a user
//! would meet it: the cached fields, every cell of the bugs tab on a ratatui TestBackend (not a
//! pty byte capture: a pty per string is too costly for the quick tier), and the Friday
//! report's Markdown output. The canary token must appear nowhere but `Authorization`.

mod battery_common;
mod github_fake;
mod ui_support;

use battery_common::{bad_char, corpus, record, sized};
use github_fake::{config_toml, GithubFake};
use opsdeck::config::Config;
use opsdeck::domain::Tab;
use opsdeck::store::Store;
use opsdeck::sync::engine::{http_clock, Connector, Remote};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::Build as _;

const CANARY: &str = "ghp_BATTERY_CANARY_0d1e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_d1_hostile_corpus_through_the_github_connector() {
    let n = sized(1000, 5000);
    let corpus = corpus(n);
    let fake = GithubFake::start().await;
    for (i, s) in corpus.iter().enumerate() {
        let mut issue = GithubFake::issue(u64::try_from(i + 1).unwrap(), &["bug"], &[]);
        issue.title = s.clone();
        issue.labels = vec![s.chars().take(50).collect(), "bug".into()];
        issue.assignees = vec![s.chars().take(39).collect()];
        fake.add(issue);
    }
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("cache.sqlite3");
    let mut store = Store::open(&store_path).unwrap();
    let clock = opsdeck::clock::system();
    let config = Config::parse(&config_toml("gh", &fake.uri(), "X"), "t.toml").unwrap();
    let gh = GithubSource::new(
        &config.sources[0],
        Some(Secret::new(CANARY)),
        http_clock(&clock),
    )
    .unwrap();
    Connector::Github(gh)
        .pull(&mut store, clock.now())
        .await
        .unwrap();

    // 1. The cache: every text field of every bug.
    let mut dirty_fields = 0usize;
    let mut rows = 0usize;
    {
        let mut stmt = store
            .conn()
            .prepare("SELECT title, labels, coalesce(assignee, '') FROM bugs")
            .unwrap();
        let fields = stmt
            .query_map([], |r| {
                Ok([
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ])
            })
            .unwrap();
        for f in fields {
            rows += 1;
            for text in f.unwrap() {
                if text.chars().any(bad_char) {
                    dirty_fields += 1;
                }
            }
        }
    }
    // 2. Every cell of the bugs tab, scrolled through all rows.
    let mut state = ui_support::state_from(&store);
    ui_support::show(&mut state, &store, Tab::Bugs);
    let mut dirty_cells = 0usize;
    let mut frames = 0usize;
    let pages = rows / 30 + 1;
    for _ in 0..pages {
        let terminal = ui_support::render(&state, 160, 40);
        frames += 1;
        for cell in terminal.backend().buffer().content() {
            if cell.symbol().chars().any(bad_char) {
                dirty_cells += 1;
            }
        }
        for _ in 0..30 {
            state.update(opsdeck::app::msg::Msg::Action(
                opsdeck::app::action::Action::MoveDown,
            ));
        }
    }
    // 3. The report (an out-of-band channel, RELIABILITY.md §3.3 point 7).
    let report = opsdeck::review::run_report(
        &store,
        None,
        opsdeck::cli::Format::Md,
        chrono_tz::UTC,
        &opsdeck::config::Policy::default(),
        clock.now(),
        false,
    )
    .unwrap();
    let dirty_report = report.chars().filter(|c| bad_char(*c)).count();
    // 4. The canary: only in Authorization headers, never in the cache files.
    drop(store);
    let mut canary_hits = 0usize;
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        if bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()) {
            canary_hits += 1;
        }
    }
    if report.contains(CANARY) {
        canary_hits += 1;
    }
    let failed = dirty_fields + dirty_cells + dirty_report + canary_hits;
    record(
        "D1 hostile corpus via GitHub connector → cache, TestBackend, report",
        n,
        if failed == 0 { n } else { 0 },
        if failed == 0 { 0 } else { n },
        &format!(
            "{rows} issues pulled; {dirty_fields} dirty fields, {dirty_cells} dirty cells in \
             {frames} frames, {dirty_report} control chars in the report, {canary_hits} canary hits"
        ),
    );
    assert_eq!(rows, n, "every hostile issue was pulled");
    assert_eq!(failed, 0);
}
