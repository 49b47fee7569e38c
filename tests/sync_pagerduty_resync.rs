//! PagerDuty against a stateful fake: a note added to an incident whose `updated_at` did not
//! move still reaches the timeline on the next pull (the change feed), and what the user typed
//! (a note, a resolution) arrives byte-exact and reads back unchanged after the next sync.

mod pagerduty_fake;

use opsdeck::sync::Source as _;
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use opsdeck::domain::IncidentStatus;
use opsdeck::store::Operation;
use opsdeck::sync::PushOutcome;
use pagerduty_fake::*;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ID: &str = "PRS0001";

#[derive(Default)]
struct World {
    status: String,
    /// `(id, content)`, oldest first.
    notes: Vec<(String, String)>,
    /// Incident ids with a log entry since the cursor (the account-wide feed).
    feed: Vec<String>,
    resolutions: Vec<String>,
}

type Shared = Arc<Mutex<World>>;

fn incident_json(world: &World) -> Value {
    // `updated_at` never moves in this fake: only the feed tells that something changed.
    let mut i = incident(ID, 42, &world.status);
    i["updated_at"] = json!("2026-03-26T11:00:00Z");
    i
}

struct Listing(Shared);

impl Respond for Listing {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let world = self.0.lock().unwrap();
        let wanted: Vec<String> = req
            .url
            .query_pairs()
            .filter(|(k, _)| k == "statuses[]")
            .map(|(_, v)| v.into_owned())
            .collect();
        let list: Vec<Value> = if wanted.contains(&world.status) {
            vec![incident_json(&world)]
        } else {
            Vec::new()
        };
        ResponseTemplate::new(200).set_body_json(json!({"incidents": list, "more": false}))
    }
}

struct One(Shared);

impl Respond for One {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut world = self.0.lock().unwrap();
        if req.method == wiremock::http::Method::PUT {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            if let Some(s) = body["incident"]["status"].as_str() {
                world.status = s.to_owned();
            }
            if let Some(r) = body["incident"]["resolution"].as_str() {
                // PagerDuty adds the resolution as a note.
                world.resolutions.push(r.to_owned());
                let n = world.notes.len() + 1;
                world.notes.push((format!("N{n}"), r.to_owned()));
                world.feed.push(ID.to_owned());
            }
        }
        ResponseTemplate::new(200).set_body_json(json!({"incident": incident_json(&world)}))
    }
}

struct Notes(Shared);

impl Respond for Notes {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut world = self.0.lock().unwrap();
        if req.method == wiremock::http::Method::POST {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let content = body["note"]["content"].as_str().unwrap_or("").to_owned();
            let n = world.notes.len() + 1;
            world.notes.push((format!("N{n}"), content.clone()));
            world.feed.push(ID.to_owned());
            return ResponseTemplate::new(201).set_body_json(json!({"note": {
                "id": format!("N{n}"), "content": content,
                "user": {"id": "PU1", "summary": "Oncall Engineer"},
                "created_at": "2026-03-26T11:58:00Z"}}));
        }
        let notes: Vec<Value> = world
            .notes
            .iter()
            .map(|(id, content)| {
                json!({"id": id, "content": content,
                       "user": {"id": "PU1", "summary": "Oncall Engineer"},
                       "created_at": "2026-03-26T11:58:00Z"})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "notes": notes }))
    }
}

struct Feed(Shared);

impl Respond for Feed {
    fn respond(&self, _req: &Request) -> ResponseTemplate {
        let world = self.0.lock().unwrap();
        let entries: Vec<Value> = world
            .feed
            .iter()
            .enumerate()
            .map(|(n, id)| {
                json!({"id": format!("L{n}"), "type": "annotate_log_entry",
                       "created_at": "2026-03-26T11:58:00Z",
                       "incident": {"id": id, "type": "incident_reference"}})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"log_entries": entries, "more": false}))
    }
}

async fn fake(status: &str) -> (MockServer, Shared) {
    let server = MockServer::start().await;
    forbid_writes_without_from(&server).await;
    let world: Shared = Arc::new(Mutex::new(World {
        status: status.to_owned(),
        ..World::default()
    }));
    Mock::given(method("GET"))
        .and(path("/incidents"))
        .respond_with(Listing(world.clone()))
        .mount(&server)
        .await;
    Mock::given(path(format!("/incidents/{ID}")))
        .respond_with(One(world.clone()))
        .mount(&server)
        .await;
    Mock::given(path(format!("/incidents/{ID}/notes")))
        .respond_with(Notes(world.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/log_entries"))
        .respond_with(Feed(world.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/incidents/[^/]+/log_entries$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"log_entries": [], "more": false})),
        )
        .mount(&server)
        .await;
    (server, world)
}

/// REGRESSION: issue #11 defect 4 (PagerDuty). A timeline was re-read only when the incident's
/// `updated_at` moved, so a note added by a colleague (a child resource) never reached the
/// cache. The account-wide log entry feed since the cursor now marks the incident as changed.
#[tokio::test]
async fn a_new_note_syncs_although_the_incident_listing_is_unchanged() {
    let (server, world) = fake("acknowledged").await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());
    pd.pull(&mut store, now()).await.unwrap();
    let text = "Colleague: DB failover done — «ok» \"now\"";
    {
        let mut w = world.lock().unwrap();
        w.notes.push(("N9".into(), text.into()));
        w.feed.push(ID.into());
    }
    pd.pull(&mut store, now() + TimeDelta::minutes(1))
        .await
        .unwrap();
    let id = store.load_incidents(None).unwrap()[0].id;
    let timeline = store.incident_timeline(id).unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.origin == "source" && e.kind == "note" && e.text == text),
        "{timeline:#?}"
    );
}

/// Round trip: a note and a resolution with Unicode, quotes and newlines arrive at the fake
/// byte-exact and read back from the remote into the timeline unchanged.
#[tokio::test]
async fn a_typed_note_and_resolution_arrive_byte_exact_and_read_back() {
    let (server, world) = fake("acknowledged").await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());
    pd.pull(&mut store, now()).await.unwrap();
    let id = store.load_incidents(None).unwrap()[0].id;

    let note = "Rolled back \"v2\" — 東京 edge 'fixed'\nsecond line ✓";
    let resolution = "Cause: bad config «cache=off»\nFix: reverted, see \"PIR-7\"";
    let entry = queue(
        &mut store,
        id,
        Operation::AddIncidentNote { body: note.into() },
    );
    assert_eq!(
        pd.push(&mut store, &entry, now()).await.unwrap(),
        PushOutcome::Done
    );
    store.mark_done(entry.seq, now()).unwrap();
    let entry = queue(
        &mut store,
        id,
        Operation::SetIncidentStatus {
            old: IncidentStatus::Acknowledged,
            new: IncidentStatus::Resolved,
            resolution: Some(resolution.into()),
            at: now(),
        },
    );
    assert_eq!(
        pd.push(&mut store, &entry, now()).await.unwrap(),
        PushOutcome::Done
    );
    store.mark_done(entry.seq, now()).unwrap();

    {
        let w = world.lock().unwrap();
        assert!(w.notes.iter().any(|(_, c)| c == note), "note byte-exact");
        assert_eq!(
            w.resolutions,
            vec![resolution.to_owned()],
            "resolution byte-exact"
        );
    }

    pd.pull(&mut store, now() + TimeDelta::minutes(1))
        .await
        .unwrap();
    let timeline = store.incident_timeline(id).unwrap();
    for text in [note, resolution] {
        assert!(
            timeline
                .iter()
                .any(|e| e.origin == "source" && e.text == text),
            "{text:?} read back from the remote: {timeline:#?}"
        );
        assert!(
            timeline
                .iter()
                .any(|e| e.origin == "opsdeck" && e.text == text),
            "{text:?} in opsdeck's own entry: {timeline:#?}"
        );
    }
}

/// A no-change re-sync is one request: the account-wide log entry feed since the cursor is
/// empty, so neither listing is read (PagerDuty has no conditional requests). Before, it cost
/// three (the feed, the active listing and the resolved window). Ten minutes after the last
/// full listing the listings are read again, so a change that leaves no log entry still lands.
#[tokio::test]
async fn a_no_change_resync_is_one_feed_request_and_lists_again_after_ten_minutes() {
    let (server, _world) = fake("acknowledged").await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());
    pd.pull(&mut store, now()).await.unwrap();
    let before = server.received_requests().await.unwrap().len();
    let report = pd
        .pull(&mut store, now() + TimeDelta::minutes(1))
        .await
        .unwrap();
    let sent = server.received_requests().await.unwrap();
    let paths: Vec<&str> = sent[before..].iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/log_entries"], "only the change feed is read");
    assert_eq!(report.requests, 1);
    assert!(report.changed.is_empty(), "nothing changed: {report:?}");

    let report = pd
        .pull(&mut store, now() + TimeDelta::minutes(11))
        .await
        .unwrap();
    assert_eq!(
        report.requests, 3,
        "feed + active listing + resolved window"
    );
}

/// A note added since the cursor makes the feed non-empty: the re-sync reads the listings and
/// that incident's timeline, even within ten minutes of the last full listing.
#[tokio::test]
async fn a_non_empty_feed_reads_the_listings_again() {
    let (server, world) = fake("acknowledged").await;
    let (_dir, mut store) = store();
    let mut pd = source(&server.uri());
    pd.pull(&mut store, now()).await.unwrap();
    world.lock().unwrap().feed.push(ID.into());
    let before = server.received_requests().await.unwrap().len();
    pd.pull(&mut store, now() + TimeDelta::minutes(1))
        .await
        .unwrap();
    let sent = server.received_requests().await.unwrap();
    let listings = sent[before..]
        .iter()
        .filter(|r| r.url.path() == "/incidents")
        .count();
    assert_eq!(listings, 2, "active listing and resolved window");
}
