//! Canary sweep (RELIABILITY F1): a sync at TRACE log level with a unique token, against a fake
//! GitHub that echoes the token back in an HTML page and in a 422 message. The token must reach
//! the server in `Authorization`, and appear nowhere else: not in the log, the database file or
//! its WAL, the headless output, the stored error texts, or `Debug` output.

mod github_fake;

use opsdeck::sync::Build as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

use github_fake::{config_toml, GithubFake};
use opsdeck::config::Config;
use opsdeck::domain::{BugStatus, EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::engine::{http_clock, Connector};
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::headless::run_headless;
use opsdeck::sync::secret::Secret;
use wiremock::ResponseTemplate;

const CANARY: &str = "ghp_CANARY_7d1e0c4b9a_never_log_me";
const TOKEN_ENV: &str = "OPSDECK_CANARY_TOKEN";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_only_in_the_authorization_header() {
    let log = Buffer::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    std::env::set_var(TOKEN_ENV, CANARY);

    let fake = GithubFake::start().await;
    fake.seed(20, 1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.db");
    let config =
        Config::parse(&config_toml("gh-canary", &fake.uri(), TOKEN_ENV), "c.toml").unwrap();
    let clock = opsdeck::clock::system();

    let mut out1 = Vec::new();
    assert_eq!(
        run_headless(&config, &db, None, true, clock.clone(), &mut out1).await,
        0
    );

    {
        let mut store = Store::open(&db).unwrap();
        let id: i64 = store
            .conn()
            .query_row("SELECT id FROM bugs WHERE key = '#1'", [], |r| r.get(0))
            .unwrap();
        let op = Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: None,
        };
        store
            .commit_edit(
                EntityRef {
                    kind: EntityKind::Bug,
                    id,
                },
                &op,
                clock.now(),
                "me",
                &["gh-canary".into()],
            )
            .unwrap();
    }
    // List: an SSO-style HTML page echoing the token. GET #1: normal. PATCH: 422 echoing it.
    fake.inject(ResponseTemplate::new(200).set_body_raw(
        format!("<html>signed in as Bearer {CANARY}</html>"),
        "text/html",
    ));
    fake.pass();
    fake.inject(ResponseTemplate::new(422).set_body_json(serde_json::json!({
        "message": format!("Validation Failed for token {CANARY}"),
        "errors": [{"resource": "Issue", "code": "invalid", "field": "state"}]
    })));
    let mut out2 = Vec::new();
    assert_eq!(
        run_headless(&config, &db, None, true, clock.clone(), &mut out2).await,
        1,
        "the pull failed"
    );

    // The token did go to the right place, and the server did echo it back.
    let sent = fake.log();
    assert!(sent
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {CANARY}"))));

    let store = Store::open(&db).unwrap();
    let mut errors: Vec<String> = store
        .sync_states()
        .unwrap()
        .into_iter()
        .filter_map(|s| s.last_error)
        .collect();
    errors.extend(
        store
            .list_outbox(10)
            .unwrap()
            .into_iter()
            .filter_map(|e| e.last_error),
    );
    assert!(errors.len() >= 2, "both failures were recorded: {errors:?}");
    let gh = GithubSource::new(
        &config.sources[0],
        Some(Secret::new(CANARY)),
        http_clock(&clock),
    )
    .unwrap();
    let debug = format!("{:?}", Connector::Github(gh));
    assert!(debug.contains("GithubSource"), "{debug}");
    drop(store);

    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("log".into(), log.0.lock().unwrap().clone()),
        ("headless output (ok run)".into(), out1),
        ("headless output (failed run)".into(), out2.clone()),
        ("stored errors".into(), errors.join("\n").into_bytes()),
        ("debug output".into(), debug.into_bytes()),
    ];
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        places.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(places.iter().any(|(n, _)| n.ends_with("cache.db")));
    assert!(
        !places[0].1.is_empty(),
        "the log captured the sync at trace level"
    );
    assert!(
        String::from_utf8_lossy(&out2).contains("FAILED"),
        "the error was printed"
    );
    for (name, bytes) in &places {
        assert!(!contains(bytes, CANARY), "the token leaked into {name}");
        assert!(
            !contains(bytes, "CANARY_7d1e0c4b9a"),
            "part of the token leaked into {name}"
        );
    }
}
