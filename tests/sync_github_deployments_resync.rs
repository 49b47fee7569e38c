//! GitHub Deployments re-syncs against a stateful fake with per-page ETags: a change on page 2
//! or in a deployment's statuses (a child resource) reaches the cache while page 1 answers 304,
//! a no-change re-sync stays one conditional request per page, and a rollback adds a status
//! without re-dating the deployment or moving any DORA figure.

use opsdeck::sync::{Build as _, Source as _};
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use opsdeck::config::{Config, SourceConfig};
use opsdeck::domain::{DeployStatus, Deployment, EntityKind, EntityRef};
use opsdeck::metrics::dora::{self, DoraWindow};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::github_deployments::GithubDeploymentsSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PushOutcome;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

#[derive(Clone)]
struct FakeDeployment {
    id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Oldest first.
    statuses: Vec<(i64, String, String, DateTime<Utc>)>,
}

#[derive(Default)]
struct World {
    /// Newest first.
    deployments: Vec<FakeDeployment>,
    next_status_id: i64,
    /// When a posted (rollback) status is created; default: one minute before [`now`].
    posted_at: Option<DateTime<Utc>>,
    /// Commit times the compare API returns for a head deployment id (default: one commit).
    commits: BTreeMap<i64, Vec<DateTime<Utc>>>,
}

impl World {
    fn add_status(
        &mut self,
        id: i64,
        state: &str,
        description: &str,
        at: DateTime<Utc>,
        bump: bool,
    ) {
        self.next_status_id += 1;
        let sid = self.next_status_id;
        if let Some(d) = self.deployments.iter_mut().find(|d| d.id == id) {
            d.statuses.push((sid, state.into(), description.into(), at));
            if bump {
                d.updated_at = at;
            }
        }
    }
}

type Shared = Arc<Mutex<World>>;

fn dep_json(d: &FakeDeployment) -> Value {
    json!({
        "id": d.id, "sha": format!("{:040x}", d.id), "ref": format!("v1.0.{}", d.id),
        "environment": "production", "creator": {"login": "octocat"},
        "created_at": d.created_at.to_rfc3339(), "updated_at": d.updated_at.to_rfc3339(),
    })
}

/// The list, 100 per page, each page with an ETag over its own body.
struct List {
    world: Shared,
    base: String,
}

impl Respond for List {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let world = self.world.lock().unwrap();
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let items: Vec<Value> = world
            .deployments
            .iter()
            .skip((page - 1) * 100)
            .take(100)
            .map(dep_json)
            .collect();
        let body = serde_json::to_string(&items).unwrap();
        let mut h = DefaultHasher::new();
        body.hash(&mut h);
        let etag = format!("\"{:016x}\"", h.finish());
        let inm = req
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok());
        if inm == Some(etag.as_str()) {
            return ResponseTemplate::new(304).insert_header("etag", etag.as_str());
        }
        let mut t = ResponseTemplate::new(200)
            .set_body_raw(body, "application/json")
            .insert_header("etag", etag.as_str());
        if page * 100 < world.deployments.len() {
            let next = format!(
                "<{}/repos/harbor/platform/deployments?per_page=100&environment=production&page={}>; rel=\"next\"",
                self.base,
                page + 1
            );
            t = t.insert_header("link", next.as_str());
        }
        t
    }
}

struct Statuses {
    world: Shared,
}

fn dep_id(req: &Request) -> i64 {
    req.url
        .path()
        .split('/')
        .nth(5)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

impl Respond for Statuses {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut world = self.world.lock().unwrap();
        let id = dep_id(req);
        if req.method.as_str() == "POST" {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let state = body["state"].as_str().unwrap_or("").to_owned();
            let desc = body["description"].as_str().unwrap_or("").to_owned();
            // The rollback lands one minute before the test's clock reads the cache again.
            let at = world.posted_at.unwrap_or(now() - Duration::minutes(1));
            world.add_status(id, &state, &desc, at, true);
            return ResponseTemplate::new(201)
                .set_body_json(json!({"id": world.next_status_id, "state": state}));
        }
        let list: Vec<Value> = world
            .deployments
            .iter()
            .find(|d| d.id == id)
            .map(|d| {
                d.statuses
                    .iter()
                    .rev()
                    .map(|(sid, state, desc, at)| {
                        json!({"id": sid, "state": state, "description": desc,
                               "creator": {"login": "octocat"}, "created_at": at.to_rfc3339()})
                    })
                    .collect()
            })
            .unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(list)
    }
}

/// The compare API: the commits of the head deployment (its sha is its id in hex).
struct Compare {
    world: Shared,
}

impl Respond for Compare {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let world = self.world.lock().unwrap();
        let head = req
            .url
            .path()
            .rsplit("...")
            .next()
            .and_then(|h| i64::from_str_radix(h, 16).ok())
            .unwrap_or(0);
        let times = world
            .commits
            .get(&head)
            .cloned()
            .unwrap_or_else(|| vec![Utc.with_ymd_and_hms(2026, 11, 1, 1, 0, 0).unwrap()]);
        let commits: Vec<Value> = times
            .iter()
            .map(|t| json!({"commit": {"committer": {"date": t.to_rfc3339()}}}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "commits": commits }))
    }
}

/// `n` production deployments 3 h apart (id n newest); each succeeded after five minutes,
/// except the ids in `in_flight`, which are still `in_progress`.
async fn fake(n: i64, in_flight: &[i64]) -> (MockServer, Shared) {
    let mut world = World::default();
    for id in (1..=n).rev() {
        let created = now() - Duration::hours((n - id) * 3) - Duration::hours(1);
        world.deployments.push(FakeDeployment {
            id,
            created_at: created,
            updated_at: created,
            statuses: Vec::new(),
        });
        world.add_status(id, "in_progress", "", created + Duration::minutes(1), true);
        if !in_flight.contains(&id) {
            world.add_status(id, "success", "", created + Duration::minutes(5), true);
        }
    }
    serve(world).await
}

async fn serve(world: World) -> (MockServer, Shared) {
    let server = MockServer::start().await;
    let world: Shared = Arc::new(Mutex::new(world));
    Mock::given(method("GET"))
        .and(path("/repos/harbor/platform/deployments"))
        .respond_with(List {
            world: world.clone(),
            base: server.uri(),
        })
        .mount(&server)
        .await;
    Mock::given(path_regex(
        r"^/repos/harbor/platform/deployments/\d+/statuses$",
    ))
    .respond_with(Statuses {
        world: world.clone(),
    })
    .mount(&server)
    .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/repos/harbor/platform/compare/"))
        .respond_with(Compare {
            world: world.clone(),
        })
        .mount(&server)
        .await;
    (server, world)
}

fn source(uri: &str) -> GithubDeploymentsSource {
    source_at(uri, now())
}

fn source_at(uri: &str, at: DateTime<Utc>) -> GithubDeploymentsSource {
    let text = format!(
        "[[sources]]\nname = \"deploys\"\nkind = \"github-deployments\"\nbase_url = \"{uri}\"\nrepos = [\"harbor/platform\"]\nenvironments = [\"production\"]\ntoken_env = \"GITHUB_TOKEN\"\n"
    );
    let cfg: SourceConfig = Config::parse(&text, "test.toml").unwrap().sources.remove(0);
    let clock: opsdeck::sync::http::Clock = Arc::new(move || at);
    GithubDeploymentsSource::new(&cfg, Some(Secret::new("ghp_test")), clock).unwrap()
}

fn by_id(store: &Store, id: i64) -> Deployment {
    let key = format!("harbor/platform/{id}");
    store
        .load_deployments(None)
        .unwrap()
        .into_iter()
        .find(|d| d.external_id == key)
        .unwrap()
}

/// First pull, then the lead-time catch-up (at most 20 compare calls a pull) until a pull
/// makes no compare call: later request counts then measure only the re-sync.
async fn pull_until_settled(src: &mut GithubDeploymentsSource, store: &mut Store) {
    for _ in 0..12 {
        let report = src.pull(store, now()).await.unwrap();
        // Fewer than a full round of compare calls: the catch-up is done.
        if report.requests < opsdeck::sync::github_deployments::MAX_COMPARES_PER_PULL {
            return;
        }
    }
    panic!("lead-time catch-up did not finish in 12 pulls");
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// REGRESSION: issue #11 defect 4. A 304 on page 1 ended the walk, so a new status on a
/// deployment on page 2 (its `updated_at` moved, so page 2 changed) never reached the cache.
#[tokio::test]
async fn a_new_status_on_page_two_syncs_while_page_one_answers_304() {
    let (server, world) = fake(150, &[]).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    pull_until_settled(&mut src, &mut store).await;
    assert_eq!(by_id(&store, 30).status, DeployStatus::Success);
    let first_finish = by_id(&store, 30).finished_at;

    // Deployment 30 sits on page 2 (121st newest). A later failure status moves its
    // `updated_at`; page 1 is byte-identical.
    world.lock().unwrap().add_status(
        30,
        "error",
        "health check failed",
        now() - Duration::minutes(2),
        true,
    );
    let before = requests(&server).await;
    let report = src.pull(&mut store, now()).await.unwrap();
    let spent = requests(&server).await - before;
    let log: Vec<String> = server.received_requests().await.unwrap()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.url))
        .collect();

    let d = by_id(&store, 30);
    assert!(
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id \
                 WHERE d.external_id = 'harbor/platform/30' AND s.state = 'error'",
                [],
                |r| r.get::<_, i64>(0)
            )
            .unwrap()
            == 1,
        "the page-2 status is in the cache"
    );
    assert_eq!(
        d.finished_at, first_finish,
        "its own run still decides when it finished"
    );
    assert_eq!(report.fetched, 1);
    assert_eq!(
        spent, 3,
        "page 1 (304), page 2 (fresh), one statuses read: {log:#?}"
    );
}

/// REGRESSION: issue #11 defect 4, child resource only. A deployment still in progress gets
/// its `success` status while neither list page changes (both answer 304): the status is still
/// read, because in-flight deployments are re-read outside the walk.
#[tokio::test]
async fn a_status_on_an_in_flight_deployment_syncs_when_every_page_answers_304() {
    let (server, world) = fake(150, &[30]).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    pull_until_settled(&mut src, &mut store).await;
    assert_eq!(by_id(&store, 30).status, DeployStatus::InProgress);

    let done_at = now() - Duration::minutes(3);
    world
        .lock()
        .unwrap()
        .add_status(30, "success", "", done_at, false);
    src.pull(&mut store, now()).await.unwrap();
    let d = by_id(&store, 30);
    assert_eq!(d.status, DeployStatus::Success);
    assert_eq!(d.finished_at, Some(done_at));
}

/// A no-change re-sync of two pages costs two conditional requests and changes nothing.
#[tokio::test]
async fn a_no_change_resync_costs_one_conditional_request_per_page() {
    let (server, _world) = fake(150, &[]).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    pull_until_settled(&mut src, &mut store).await;
    let before = requests(&server).await;
    let report = src.pull(&mut store, now()).await.unwrap();
    assert_eq!(requests(&server).await - before, 2);
    assert_eq!(report.fetched, 0);
    assert!(report.changed.is_empty());
}

fn dora_input(store: &Store) -> Vec<dora::Deployment> {
    store
        .load_deployments(None)
        .unwrap()
        .into_iter()
        .filter_map(|d| {
            Some(dora::Deployment {
                id: d.external_id.clone(),
                service: d.service.clone(),
                is_production: d.is_production(),
                succeeded: d.status == DeployStatus::Success,
                finished_at: d.finished_at?,
                is_rollback: d.rollback_of.is_some(),
                commit_times: d.commit_times.clone(),
                incident_ids: Vec::new(),
            })
        })
        .collect()
}

/// When each deployment started and finished, and its outcome.
type Dates = BTreeMap<String, (DateTime<Utc>, Option<DateTime<Utc>>, DeployStatus)>;

fn snapshot(store: &Store) -> Dates {
    store
        .load_deployments(None)
        .unwrap()
        .into_iter()
        .map(|d| (d.external_id, (d.created_at, d.finished_at, d.status)))
        .collect()
}

/// REGRESSION: issue #11 defect 3. Rolling back an 8-day-old 5-minute deployment re-dated it:
/// the next sync took the `inactive` rollback status as its finish ("took 7d22h"), moved it
/// into the 7-day DORA window (count +1) and inflated lead time. A rollback adds a status and
/// changes nothing about when the deployment ran.
#[tokio::test]
async fn a_rollback_adds_a_status_and_leaves_every_date_and_dora_figure_alone() {
    // 70 deployments 3 h apart: id 6 was created 64 × 3 h + 1 h = 8 days 1 h ago.
    let (server, _world) = fake(70, &[]).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    pull_until_settled(&mut src, &mut store).await;
    let old = by_id(&store, 6);
    assert!(now() - old.created_at > Duration::days(8));
    assert_eq!(old.duration_secs(), Some(300), "a 5-minute deployment");

    let window = DoraWindow::new(now() - Duration::days(7), now() + Duration::hours(1)).unwrap();
    let before = dora::dora_report(&dora_input(&store), &[], &window);
    let dates_before = snapshot(&store);

    let op = Operation::MarkRolledBack {
        reason: "bad config \"v2\" — reverted".into(),
        state: String::new(),
    };
    let entity = EntityRef {
        kind: EntityKind::Deployment,
        id: old.id,
    };
    store
        .commit_edit(entity, &op, now(), "me", &["deploys".to_owned()])
        .unwrap();
    assert_eq!(
        snapshot(&store),
        dates_before,
        "the local write re-dates nothing"
    );
    assert!(by_id(&store, 6).rolled_back);

    while let Some(entry) = store.next_to_push("deploys", now()).unwrap() {
        store.mark_inflight(entry.seq, now()).unwrap();
        match src.push(&mut store, &entry, now()).await.unwrap() {
            PushOutcome::Done => store.mark_done(entry.seq, now()).unwrap(),
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    src.pull(&mut store, now()).await.unwrap();

    let after_row = by_id(&store, 6);
    assert!(after_row.rolled_back, "the rollback status read back");
    assert_eq!(after_row.created_at, old.created_at);
    assert_eq!(
        after_row.finished_at, old.finished_at,
        "not re-dated to the rollback"
    );
    assert_eq!(after_row.duration_secs(), Some(300));
    assert_eq!(snapshot(&store), dates_before);
    let after = dora::dora_report(&dora_input(&store), &[], &window);
    assert_eq!(after, before, "every DORA figure unchanged");
    assert_eq!(
        dora::counted_deployments(&dora_input(&store), &window).len(),
        dora::counted_deployments(&dora_input(&store), &window)
            .iter()
            .filter(|d| d.id != "harbor/platform/6")
            .count(),
        "the rolled-back deployment stays outside the 7-day window"
    );
}

/// METRICS.md §3.4 worked example as GitHub serves it: D0 (before the window), D1–D10 in
/// production with their commits, F1 failed; each ran five minutes. Ids 1..=12 in time order.
fn metrics_example() -> (World, BTreeMap<i64, &'static str>) {
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap();
    // (finished, lead hours of its commits, success?)
    let runs: [(DateTime<Utc>, &[i64], bool); 12] = [
        (at(2, 23), &[500], true),
        (at(3, 15), &[18], true),
        (at(4, 15), &[2, 4], true),
        (at(5, 15), &[22], true),
        (at(6, 15), &[2], true),
        (at(7, 15), &[24, 12], true),
        (at(10, 10), &[3], true),
        (at(10, 16), &[24], true),
        (at(11, 15), &[72], true),
        (at(12, 15), &[18, 12], true),
        (at(13, 15), &[4, 24, 6], true),
        (at(14, 12), &[100], false),
    ];
    let mut world = World::default();
    for (k, (finished, leads, ok)) in runs.iter().enumerate().rev() {
        let id = i64::try_from(k).unwrap() + 1;
        let created = *finished - Duration::minutes(5);
        world.deployments.push(FakeDeployment {
            id,
            created_at: created,
            updated_at: created,
            statuses: Vec::new(),
        });
        world.add_status(id, "in_progress", "", created + Duration::minutes(1), true);
        world.add_status(
            id,
            if *ok { "success" } else { "failure" },
            "",
            *finished,
            true,
        );
        world.commits.insert(
            id,
            leads
                .iter()
                .map(|h| *finished - Duration::hours(*h))
                .collect(),
        );
    }
    // D6 (id 7) and D9 (id 10) caused INC-A and INC-B.
    (world, BTreeMap::from([(7, "INC-A"), (10, "INC-B")]))
}

/// REGRESSION: issue #11 defect 3, on the METRICS.md §3.4 numbers. Rolling back D5, a
/// 5-minute deployment finished exactly 8 days earlier, must leave every figure as the
/// worked example states: 10 deployments in 14 days (0.714/day), lead time median 12 h,
/// change failure rate 20 %, recovery median 5.5 h. The old read-back took the rollback's
/// `inactive` status as D5's finish, which moved its lead times by 8 days (median 18 h).
#[tokio::test]
async fn rolling_back_an_8_day_old_deployment_keeps_the_metrics_md_dora_numbers() {
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap();
    let now = at(15, 15);
    let (mut world, links) = metrics_example();
    world.posted_at = Some(now - Duration::minutes(1));
    let (server, _world) = serve(world).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source_at(&server.uri(), now);
    src.pull(&mut store, now).await.unwrap();
    src.pull(&mut store, now).await.unwrap();

    let window = DoraWindow::new(at(3, 0), at(17, 0)).unwrap();
    let incidents = vec![
        dora::DoraIncident {
            id: "INC-A".into(),
            resolved_at: Some(at(10, 12)),
        },
        dora::DoraIncident {
            id: "INC-B".into(),
            resolved_at: Some(at(13, 0)),
        },
    ];
    let report = |store: &Store| {
        let deployments: Vec<dora::Deployment> = dora_input(store)
            .into_iter()
            .map(|mut d| {
                let id: i64 = d.id.rsplit('/').next().unwrap().parse().unwrap();
                d.incident_ids = links
                    .get(&id)
                    .map(|i| (*i).to_owned())
                    .into_iter()
                    .collect();
                d
            })
            .collect();
        dora::dora_report(&deployments, &incidents, &window)
    };
    let check = |r: &dora::DoraReport| {
        assert_eq!(r.deployment_frequency.deployments, 10, "{r:?}");
        assert!(
            (r.deployment_frequency.per_day - 10.0 / 14.0).abs() < 1e-9,
            "{r:?}"
        );
        assert_eq!(r.lead_time.median_secs, Some(12.0 * 3600.0), "{r:?}");
        assert_eq!(r.change_failure_rate.rate, Some(0.2), "{r:?}");
        assert_eq!(r.recovery_time.median_secs, Some(5.5 * 3600.0), "{r:?}");
    };
    let before = report(&store);
    check(&before);

    let d5 = by_id(&store, 6);
    assert_eq!(d5.duration_secs(), Some(300));
    assert_eq!(now - d5.finished_at.unwrap(), Duration::days(8));
    let op = Operation::MarkRolledBack {
        reason: "bad migration".into(),
        state: String::new(),
    };
    let entity = EntityRef {
        kind: EntityKind::Deployment,
        id: d5.id,
    };
    store
        .commit_edit(entity, &op, now, "me", &["deploys".to_owned()])
        .unwrap();
    while let Some(entry) = store.next_to_push("deploys", now).unwrap() {
        store.mark_inflight(entry.seq, now).unwrap();
        match src.push(&mut store, &entry, now).await.unwrap() {
            PushOutcome::Done => store.mark_done(entry.seq, now).unwrap(),
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    src.pull(&mut store, now).await.unwrap();

    let after_row = by_id(&store, 6);
    assert!(after_row.rolled_back);
    assert_eq!(after_row.finished_at, d5.finished_at, "not re-dated");
    assert_eq!(after_row.duration_secs(), Some(300));
    let after = report(&store);
    check(&after);
    assert_eq!(after, before);
}
