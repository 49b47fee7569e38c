//! Helpers shared by the tracker connector tests (Jira, Redmine): config sections as users
//! write them, on-disk stores, queueing an edit the way the engine does, request inspection.
#![allow(dead_code)]

pub mod jira;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::config::{DurationSpec, SourceConfig, SourceKind, TokenConfig};
use opsdeck::domain::{Bug, EntityKind, EntityRef};
use opsdeck::store::outbox::{Operation, OutboxEntry};
use opsdeck::store::Store;
use opsdeck::sync::http::Clock;
use opsdeck::sync::Source;
use serde_json::Value;
use wiremock::{MockServer, Request};

/// The fixed "now" of the fake-server tests.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 26, 12, 0, 0).unwrap()
}

/// The wall-clock time (the real server's timestamps are real).
#[allow(clippy::disallowed_methods)]
pub fn wall_now() -> DateTime<Utc> {
    Utc::now()
}

/// The wall clock: rate-limit waits and the real server's times are real.
pub fn real_clock() -> Clock {
    std::sync::Arc::new(wall_now)
}

/// A `[[sources]]` section with everything optional left empty.
pub fn source_config(name: &str, kind: SourceKind, base: &str, token_env: &str) -> SourceConfig {
    SourceConfig {
        name: name.into(),
        kind,
        base_url: Some(base.into()),
        interval: DurationSpec(Duration::from_secs(60)),
        token: TokenConfig {
            token_env: Some(token_env.into()),
            token_command: None,
        },
        repos: vec![],
        projects: vec![],
        services: vec![],
        email: None,
        created_by: None,
        priority_map: BTreeMap::new(),
        status_map: BTreeMap::new(),
        service_map: BTreeMap::new(),
        transitions: BTreeMap::new(),
        environments: vec![],
        rollback_state: None,
        headers: BTreeMap::new(),
        push_local_incidents: false,
        issues: Vec::new(),
    }
}

/// A real on-disk cache in `dir`.
pub fn open_store(dir: &Path) -> Store {
    Store::open(&dir.join("cache.db")).unwrap()
}

/// A fresh on-disk cache after one pull by `source` (keep the directory while the store is
/// used).
pub async fn pulled(mut source: impl Source) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    source.pull(&mut store, fixed_now()).await.unwrap();
    (dir, store)
}

/// The one bug in `store`, once every text field it shows (key, title, body, assignee,
/// labels, customers) is checked safe to print: hostile text must arrive sanitized.
pub fn the_only_bug_terminal_safe(store: &Store) -> Bug {
    let bugs = store.load_bugs(None).unwrap();
    let [bug] = bugs.as_slice() else {
        panic!("one bug expected, got {}", bugs.len());
    };
    let assignee = bug.assignee.clone().unwrap_or_default();
    let mut fields = vec![&bug.key, &bug.title, &bug.body, &assignee];
    fields.extend(bug.labels.iter());
    fields.extend(bug.customers.iter());
    for text in fields {
        assert!(opsdeck::sanitize::is_terminal_safe(text), "{text:?}");
    }
    bug.clone()
}

/// Commits `op` on bug `id` through the store and hands back its outbox entry as the engine
/// would before pushing: marked in flight, attempt counted.
pub fn queue(store: &mut Store, source: &str, id: i64, op: Operation) -> OutboxEntry {
    let entity = EntityRef {
        kind: EntityKind::Bug,
        id,
    };
    store
        .commit_edit(entity, &op, fixed_now(), "me", &[source.into()])
        .unwrap();
    let entry = store.next_to_push(source, fixed_now()).unwrap().unwrap();
    store.mark_inflight(entry.seq, fixed_now()).unwrap();
    store.next_to_push(source, fixed_now()).unwrap().unwrap()
}

/// A query parameter of a received request.
pub fn param(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Requests received on `p`, in order.
pub async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

/// JSON bodies of the `verb` requests received on `p`.
pub async fn bodies(server: &MockServer, verb: &str, p: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// How many `verb` requests the server received.
pub async fn count(server: &MockServer, verb: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}
