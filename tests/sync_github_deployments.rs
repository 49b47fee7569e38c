//! GitHub Deployments against a local fake that serves GitHub's own payload shapes: Link
//! pagination, statuses deciding the state, a 304 re-sync that costs one request, lead-time
//! commits from the compare API, and the rollback status written exactly once.

use opsdeck::sync::{Build as _, Source as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use opsdeck::config::{Config, SourceConfig};
use opsdeck::domain::{DeployStatus, EntityKind, EntityRef};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::github_deployments::GithubDeploymentsSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PushOutcome;
use serde_json::Value;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "ghp_deploytesttoken000000000000000000";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn template(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str::<Value>(&text).unwrap()
}

/// `n` production deployments, newest first (id n is the newest).
fn deployments(n: usize) -> Vec<Value> {
    let base = template("deployments-list.json")[0].clone();
    (1..=n)
        .rev()
        .map(|i| {
            let mut d = base.clone();
            let created = now() - Duration::hours(i64::try_from(n - i).unwrap() * 3);
            d["id"] = i.into();
            d["sha"] = format!("{:040x}", i).into();
            d["ref"] = format!("v1.0.{i}").into();
            d["environment"] = "production".into();
            d["created_at"] = created.to_rfc3339().into();
            d["updated_at"] = created.to_rfc3339().into();
            d["url"] =
                format!("https://api.github.com/repos/harbor/platform/deployments/{i}").into();
            d
        })
        .collect()
}

/// Serves the deployments list with Link pagination and an ETag; counts requests.
struct ListResponder {
    all: Vec<Value>,
    base: String,
    hits: Arc<AtomicUsize>,
}

impl Respond for ListResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.hits.fetch_add(1, Ordering::SeqCst);
        if req
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some("\"list-v1\"")
        {
            return ResponseTemplate::new(304);
        }
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let per_page = 100;
        let start = (page - 1) * per_page;
        let items: Vec<Value> = self
            .all
            .iter()
            .skip(start)
            .take(per_page)
            .cloned()
            .collect();
        let mut t = ResponseTemplate::new(200)
            .set_body_json(items)
            .insert_header("etag", "\"list-v1\"");
        if start + per_page < self.all.len() {
            let next = format!("<{}/repos/harbor/platform/deployments?environment=production&per_page=100&page={}>; rel=\"next\"", self.base, page + 1);
            t = t.insert_header("link", next.as_str());
        }
        t
    }
}

/// Statuses: deployment 7 failed, every other one succeeded after six minutes (newest first,
/// as GitHub lists them).
struct StatusResponder {
    n: usize,
}

impl Respond for StatusResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let id: usize = req
            .url
            .path()
            .split('/')
            .nth(5)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let created = now() - Duration::hours(i64::try_from(self.n - id).unwrap() * 3);
        let base = template("deployment-statuses.json")[0].clone();
        let mut pending = base.clone();
        pending["id"] = (id * 10).into();
        pending["state"] = "in_progress".into();
        pending["created_at"] = (created + Duration::minutes(1)).to_rfc3339().into();
        let mut done = base;
        done["id"] = (id * 10 + 1).into();
        done["state"] = if id == 7 {
            "failure".into()
        } else {
            "success".into()
        };
        done["created_at"] = (created + Duration::minutes(6)).to_rfc3339().into();
        ResponseTemplate::new(200).set_body_json(vec![done, pending])
    }
}

async fn fake(n: usize) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let hits = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/repos/harbor/platform/deployments"))
        .respond_with(ListResponder {
            all: deployments(n),
            base: server.uri(),
            hits: hits.clone(),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/repos/harbor/platform/deployments/\d+/statuses$",
        ))
        .respond_with(StatusResponder { n })
        .mount(&server)
        .await;
    let compare = serde_json::json!({ "commits": [
        { "commit": { "committer": { "date": "2026-11-01T01:00:00Z" } } },
        { "commit": { "committer": { "date": "2026-11-01T04:00:00Z" } } }
    ]});
    Mock::given(method("GET"))
        .and(path_regex(r"^/repos/harbor/platform/compare/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(compare))
        .mount(&server)
        .await;
    (server, hits)
}

fn source_config(uri: &str) -> SourceConfig {
    let text = format!(
        "[[sources]]\nname = \"deploys\"\nkind = \"github-deployments\"\nbase_url = \"{uri}\"\nrepos = [\"harbor/platform\"]\nenvironments = [\"production\"]\nservice_map = {{ \"platform\" = \"checkout\" }}\ntoken_env = \"GITHUB_TOKEN\"\n"
    );
    Config::parse(&text, "test.toml").unwrap().sources.remove(0)
}

fn source(uri: &str) -> GithubDeploymentsSource {
    let clock: opsdeck::sync::http::Clock = Arc::new(now);
    GithubDeploymentsSource::new(&source_config(uri), Some(Secret::new(TOKEN)), clock).unwrap()
}

#[tokio::test]
async fn pagination_lands_every_deployment_with_its_latest_status_and_service() {
    let (server, _) = fake(150).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let report = source(&server.uri()).pull(&mut store, now()).await.unwrap();
    assert_eq!(report.fetched, 150);
    let rows = store.load_deployments(None).unwrap();
    assert_eq!(rows.len(), 150, "two pages, no duplicates");
    assert!(
        rows.iter().all(|d| d.service == "checkout"),
        "service mapped from the repository"
    );
    let failed = rows
        .iter()
        .find(|d| d.external_id == "harbor/platform/7")
        .unwrap();
    assert_eq!(
        failed.status,
        DeployStatus::Failure,
        "the latest status decides the state"
    );
    let ok = rows
        .iter()
        .find(|d| d.external_id == "harbor/platform/8")
        .unwrap();
    assert_eq!(ok.status, DeployStatus::Success);
    assert_eq!(
        ok.duration_secs(),
        Some(360),
        "from creation to the first success status"
    );
    let history: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM deployment_statuses", [], |r| r.get(0))
        .unwrap();
    assert_eq!(history, 300, "every status is kept as history");
    assert!(
        !ok.commit_times.is_empty(),
        "lead-time commits come from the compare API"
    );
    let state = store.sync_states().unwrap();
    assert!(state[0].last_success_at.is_some() && state[0].last_error.is_none());
}

#[tokio::test]
async fn a_no_change_resync_costs_one_conditional_request() {
    let (server, hits) = fake(15).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    src.pull(&mut store, now()).await.unwrap();
    let before = server.received_requests().await.unwrap().len();
    let list_before = hits.load(Ordering::SeqCst);
    let report = src.pull(&mut store, now()).await.unwrap();
    let after = server.received_requests().await.unwrap().len();
    assert_eq!(
        after - before,
        1,
        "exactly one request: the conditional list GET"
    );
    assert_eq!(hits.load(Ordering::SeqCst) - list_before, 1);
    assert_eq!(report.fetched, 0);
    assert!(report.changed.is_empty(), "a 304 changes nothing");
}

#[tokio::test]
async fn marking_a_rollback_posts_one_status_with_the_right_body_and_headers() {
    let (server, _) = fake(10).await;
    Mock::given(method("POST"))
        .and(path("/repos/harbor/platform/deployments/9/statuses"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(template("deployment-status-create-response.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    src.pull(&mut store, now()).await.unwrap();
    let dep = store
        .load_deployments(None)
        .unwrap()
        .into_iter()
        .find(|d| d.external_id == "harbor/platform/9")
        .unwrap();
    let e = EntityRef {
        kind: EntityKind::Deployment,
        id: dep.id,
    };
    let op = Operation::MarkRolledBack {
        reason: "checkout 502s after deploy".into(),
        state: String::new(),
    };
    store
        .commit_edit(e, &op, now(), "me", &["deploys".to_string()])
        .unwrap();
    assert!(
        store
            .load_deployments(None)
            .unwrap()
            .iter()
            .find(|d| d.id == dep.id)
            .unwrap()
            .rolled_back,
        "shown at once"
    );
    // Drive the outbox like the engine does, twice: the second round must send nothing.
    for _ in 0..2 {
        while let Some(entry) = store.next_to_push("deploys", now()).unwrap() {
            store.mark_inflight(entry.seq, now()).unwrap();
            let entry = store
                .list_outbox(10)
                .unwrap()
                .into_iter()
                .find(|x| x.seq == entry.seq)
                .unwrap();
            match src.push(&mut store, &entry, now()).await.unwrap() {
                PushOutcome::Done => store.mark_done(entry.seq, now()).unwrap(),
                other => panic!("unexpected outcome {other:?}"),
            }
        }
    }
    let posts: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    assert_eq!(
        posts.len(),
        1,
        "the fake receives the rollback exactly once"
    );
    let body: Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(body["state"], "inactive");
    assert_eq!(
        body["description"],
        "rolled back by opsdeck: checkout 502s after deploy"
    );
    let h = |n: &str| {
        posts[0]
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(h("x-github-api-version"), "2022-11-28");
    assert!(h("accept").contains("application/vnd.github+json"));
    assert_eq!(store.outbox_summary().unwrap().queued, 0);
}

#[tokio::test]
async fn a_retried_rollback_reads_first_and_does_not_post_twice() {
    let (server, _) = fake(3).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("c.db")).unwrap();
    let mut src = source(&server.uri());
    src.pull(&mut store, now()).await.unwrap();
    // The earlier attempt landed: the remote already lists our status.
    let mut already = template("deployment-statuses.json")[0].clone();
    already["state"] = "inactive".into();
    already["description"] = "rolled back by opsdeck: bad deploy".into();
    server.reset().await;
    Mock::given(method("GET"))
        .and(path_regex(r"/statuses$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![already]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let dep = store.load_deployments(None).unwrap().remove(0);
    store
        .commit_edit(
            EntityRef {
                kind: EntityKind::Deployment,
                id: dep.id,
            },
            &Operation::MarkRolledBack {
                reason: "bad deploy".into(),
                state: String::new(),
            },
            now(),
            "me",
            &["deploys".to_string()],
        )
        .unwrap();
    let entry = store.next_to_push("deploys", now()).unwrap().unwrap();
    store.mark_inflight(entry.seq, now()).unwrap();
    store.mark_inflight(entry.seq, now()).unwrap();
    let entry = store.list_outbox(10).unwrap().remove(0);
    assert_eq!(entry.attempts, 2, "an unknown outcome: the second attempt");
    assert_eq!(
        src.push(&mut store, &entry, now()).await.unwrap(),
        PushOutcome::Done
    );
}
