//! AlertmanagerSource against a REAL Alertmanager (`prometheus-alertmanager`, Debian package)
//! started by the test on 127.0.0.1 (ports 18301 and 18303, gossip off, temp storage), with a
//! real on-disk store: pull, silence through the outbox, expire, and pruning of resolved alerts.
//! The round trip of issue #11 is here too: a typed silence comment (Unicode, quotes, newlines)
//! arrives byte-exact, and a silence someone else creates on the server reaches the cache on the
//! next pull. A server that cannot start fails the test with the reason; it never skips.

mod real_alertmanager;

use opsdeck::sync::{Build as _, Source as _};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use opsdeck::config::Config;
use opsdeck::domain::{Alert, AlertState, EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::alertmanager::AlertmanagerSource;
use opsdeck::sync::http::Clock;
use opsdeck::sync::PushOutcome;
use real_alertmanager::{stamp, wall, RealAlertmanager};
use serde_json::{json, Value};

fn two_alerts(ends: DateTime<Utc>) -> Value {
    json!([
        {"labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
         "annotations": {"summary": "5xx ratio above SLO"},
         "startsAt": stamp(wall()), "endsAt": stamp(ends), "generatorURL": "http://127.0.0.1:18302/graph"},
        {"labels": {"alertname": "HighLatency", "service": "payments", "severity": "warning"},
         "annotations": {"summary": "p99 above 1s"},
         "startsAt": stamp(wall()), "endsAt": stamp(ends)}
    ])
}

fn source(url: &str) -> AlertmanagerSource {
    let text = format!(
        "[[sources]]\nname = \"am\"\nkind = \"alertmanager\"\nbase_url = \"{url}\"\n\
         created_by = \"opsdeck-ci\"\n"
    );
    let cfg = Config::parse(&text, "test.toml").unwrap().sources.remove(0);
    let clock: Clock = Arc::new(wall);
    AlertmanagerSource::new(&cfg, None, clock).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.db")).unwrap();
    (dir, store)
}

fn cached(store: &Store, name: &str) -> Alert {
    store
        .load_alerts()
        .unwrap()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

/// Commits `op` on the alert like the UI does, then pushes it like the engine does.
async fn commit_and_push(
    store: &mut Store,
    am: &mut AlertmanagerSource,
    alert_id: i64,
    op: Operation,
) -> PushOutcome {
    let entity = EntityRef {
        kind: EntityKind::Alert,
        id: alert_id,
    };
    store
        .commit_edit(entity, &op, wall(), "me", &["am".to_owned()])
        .unwrap();
    let entry = store
        .next_to_push("am", wall())
        .unwrap()
        .expect("the edit is queued for the Alertmanager");
    store.mark_inflight(entry.seq, wall()).unwrap();
    let outcome = am.push(store, &entry, wall()).await.unwrap();
    if outcome == PushOutcome::Done {
        store.mark_done(entry.seq, wall()).unwrap();
    }
    outcome
}

#[tokio::test]
async fn alerts_are_pulled_silenced_through_the_outbox_and_unsilenced_on_a_real_alertmanager() {
    let server = RealAlertmanager::start(18301).await;
    server
        .post_alerts(two_alerts(wall() + TimeDelta::hours(1)))
        .await;
    let (_dir, mut store) = store();
    let mut am = source(&server.url);

    let report = am.pull(&mut store, wall()).await.unwrap();

    assert_eq!(report.fetched, 2);
    let errors = cached(&store, "HighErrorRate");
    assert_eq!(errors.state, AlertState::Active);
    assert_eq!(
        (errors.severity.as_str(), errors.service.as_str()),
        ("critical", "checkout")
    );
    assert_eq!(errors.annotations["summary"], "5xx ratio above SLO");
    assert_eq!(errors.labels.len(), 3);
    assert_eq!(cached(&store, "HighLatency").state, AlertState::Active);

    let matchers: Vec<(String, String)> = errors.labels.clone().into_iter().collect();
    let silence = Operation::SilenceAlert {
        matchers,
        duration_secs: 3600,
        comment: "deploy in progress".into(),
        created_by: String::new(),
    };
    assert_eq!(
        commit_and_push(&mut store, &mut am, errors.id, silence).await,
        PushOutcome::Done
    );

    let remote = server.alert("HighErrorRate").await;
    assert_eq!(remote["status"]["state"], "suppressed");
    let silence_id = remote["status"]["silencedBy"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let silenced = cached(&store, "HighErrorRate");
    assert_eq!(
        silenced.state,
        AlertState::Suppressed,
        "the re-pull after the push updated the cache"
    );
    assert_eq!(silenced.silenced_by, vec![silence_id.clone()]);
    assert_eq!(
        cached(&store, "HighLatency").state,
        AlertState::Active,
        "only the matching alert is silenced"
    );
    let stored = server.get(&format!("/api/v2/silence/{silence_id}")).await;
    assert_eq!(stored["createdBy"], "opsdeck-ci");
    assert_eq!(stored["comment"], "deploy in progress");
    assert!(stored["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["isRegex"] == false));

    let expire = Operation::ExpireSilence {
        silence_id: silence_id.clone(),
    };
    assert_eq!(
        commit_and_push(&mut store, &mut am, silenced.id, expire).await,
        PushOutcome::Done
    );

    assert_eq!(
        server.alert("HighErrorRate").await["status"]["state"],
        "active"
    );
    assert_eq!(
        server.get(&format!("/api/v2/silence/{silence_id}")).await["status"]["state"],
        "expired"
    );
    let back = cached(&store, "HighErrorRate");
    assert_eq!(back.state, AlertState::Active);
    assert!(back.silenced_by.is_empty());
}

#[tokio::test]
async fn alerts_that_resolve_drop_out_of_the_cache_on_the_next_pull() {
    let server = RealAlertmanager::start(18303).await;
    server
        .post_alerts(two_alerts(wall() + TimeDelta::hours(1)))
        .await;
    let (_dir, mut store) = store();
    let mut am = source(&server.url);
    am.pull(&mut store, wall()).await.unwrap();
    assert_eq!(store.load_alerts().unwrap().len(), 2);

    let resolved = json!([{
        "labels": {"alertname": "HighLatency", "service": "payments", "severity": "warning"},
        "annotations": {"summary": "p99 above 1s"},
        "endsAt": stamp(wall() - TimeDelta::seconds(1))
    }]);
    server.post_alerts(resolved).await;
    let report = am
        .pull(&mut store, wall() + TimeDelta::seconds(5))
        .await
        .unwrap();

    assert_eq!(report.fetched, 1);
    let names: Vec<String> = store
        .load_alerts()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["HighErrorRate"]);
}

#[tokio::test]
async fn an_alertmanager_error_is_reported_with_its_bare_string_message() {
    let server = RealAlertmanager::start(18305).await;
    let (_dir, mut store) = store();
    let mut am = source(&server.url);
    server
        .post_alerts(two_alerts(wall() + TimeDelta::hours(1)))
        .await;
    am.pull(&mut store, wall()).await.unwrap();
    let alert = cached(&store, "HighLatency");

    // Alertmanager refuses a matcher whose name is not a valid label name (400, bare string).
    let bad = Operation::SilenceAlert {
        matchers: vec![("not a label!".into(), "x".into())],
        duration_secs: 600,
        comment: "x".into(),
        created_by: String::new(),
    };
    let outcome = commit_and_push(&mut store, &mut am, alert.id, bad).await;

    let PushOutcome::Failed(message) = outcome else {
        panic!("expected Failed, got {outcome:?}")
    };
    assert!(message.contains("400"), "{message}");
}

/// REGRESSION (issue 11, defects 5 and 6): a silence shows at once as queued ("silencing…",
/// out of the firing count), then, once Alertmanager confirmed it, as applied with its end and
/// author and the mark that opsdeck created it; a silence someone else created is cached with
/// who created it, why and what it matches (so `M` can ask before expiring it).
#[tokio::test]
async fn silences_show_queued_then_applied_and_other_peoples_silences_say_whose_they_are() {
    let server = RealAlertmanager::start(18307).await;
    server
        .post_alerts(two_alerts(wall() + TimeDelta::hours(1)))
        .await;
    let (_dir, mut store) = store();
    let mut am = source(&server.url);
    am.pull(&mut store, wall()).await.unwrap();

    // Someone else's maintenance silence on HighLatency.
    let latency = cached(&store, "HighLatency");
    let theirs = json!({
        "matchers": latency.labels.iter().map(|(k, v)| json!({
            "name": k, "value": v, "isRegex": false, "isEqual": true,
        })).collect::<Vec<_>>(),
        "startsAt": stamp(wall()),
        "endsAt": stamp(wall() + TimeDelta::hours(2)),
        "createdBy": "sofia",
        "comment": "db1 maintenance",
    });
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v2/silences", server.url))
        .json(&theirs)
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "POST silence: {}",
        resp.status()
    );
    am.pull(&mut store, wall()).await.unwrap();
    let latency = cached(&store, "HighLatency");
    assert_eq!(latency.state, AlertState::Suppressed);
    let s = latency.silences.first().expect("silence metadata cached");
    assert_eq!(
        (s.created_by.as_str(), s.comment.as_str(), s.by_opsdeck),
        ("sofia", "db1 maintenance", false)
    );
    assert!(
        s.matchers.iter().any(|m| m == "alertname=HighLatency"),
        "{s:?}"
    );
    assert!(s.ends_at.is_some());

    // Ours: queued first, applied after the push.
    let errors = cached(&store, "HighErrorRate");
    let firing = store.tab_counts(wall()).unwrap().alerts;
    let entity = EntityRef {
        kind: EntityKind::Alert,
        id: errors.id,
    };
    let op = Operation::SilenceAlert {
        matchers: errors.labels.clone().into_iter().collect(),
        duration_secs: 3600,
        comment: "deploy in progress".into(),
        created_by: String::new(),
    };
    store
        .commit_edit(entity, &op, wall(), "me", &["am".to_owned()])
        .unwrap();
    let queued = cached(&store, "HighErrorRate");
    assert_eq!(
        opsdeck::app::silences::alert_state_label(&queued, chrono_tz::UTC, true),
        "silencing…"
    );
    assert_eq!(store.tab_counts(wall()).unwrap().alerts, firing - 1);
    let entry = store.next_to_push("am", wall()).unwrap().unwrap();
    store.mark_inflight(entry.seq, wall()).unwrap();
    assert_eq!(
        am.push(&mut store, &entry, wall()).await.unwrap(),
        PushOutcome::Done
    );
    let applied = cached(&store, "HighErrorRate");
    assert!(
        applied
            .silenced_by
            .iter()
            .all(|id| !id.starts_with("pending:")),
        "{:?}",
        applied.silenced_by
    );
    let mine = applied.silences.first().expect("our silence cached");
    assert!(mine.by_opsdeck, "{mine:?}");
    assert_eq!(mine.created_by, "opsdeck-ci");
    let label = opsdeck::app::silences::alert_state_label(&applied, chrono_tz::UTC, true);
    assert!(
        label.starts_with("silenced until ") && label.ends_with(" by me"),
        "{label}"
    );
}

/// Round trip (issue #11): the silence comment the user typed reaches the real Alertmanager
/// byte-exact; a silence created on the server by someone else shows on the next pull.
#[tokio::test]
async fn a_typed_silence_comment_arrives_byte_exact_and_foreign_silences_sync() {
    let server = RealAlertmanager::start(18311).await;
    server
        .post_alerts(two_alerts(wall() + TimeDelta::hours(1)))
        .await;
    let (_dir, mut store) = store();
    let mut am = source(&server.url);
    am.pull(&mut store, wall()).await.unwrap();

    let errors = cached(&store, "HighErrorRate");
    let comment = "Deploy «v2.3» in progress — don't page \"checkout\"\n2nd line: 東京 edge ✓";
    let silence = Operation::SilenceAlert {
        matchers: errors.labels.clone().into_iter().collect(),
        duration_secs: 3600,
        comment: comment.into(),
        created_by: String::new(),
    };
    assert_eq!(
        commit_and_push(&mut store, &mut am, errors.id, silence).await,
        PushOutcome::Done
    );
    let id = cached(&store, "HighErrorRate").silenced_by[0].clone();
    let stored = server.get(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(stored["comment"], json!(comment), "comment byte-exact");

    // Someone else silences HighLatency directly on the server.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v2/silences", server.url))
        .json(&json!({
            "matchers": [{"name": "alertname", "value": "HighLatency", "isRegex": false, "isEqual": true}],
            "startsAt": stamp(wall()), "endsAt": stamp(wall() + TimeDelta::hours(1)),
            "createdBy": "someone-else", "comment": "db1 maintenance"
        }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        server.alert("HighLatency").await["status"]["state"],
        "suppressed"
    );
    am.pull(&mut store, wall()).await.unwrap();
    let latency = cached(&store, "HighLatency");
    assert_eq!(latency.state, AlertState::Suppressed);
    assert_eq!(latency.silenced_by.len(), 1);
}
