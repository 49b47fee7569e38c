//! PrometheusSource against a stubbed Prometheus HTTP API (wiremock on 127.0.0.1): one SLO's
//! failing query marks only that SLO, warnings are surfaced, an unreachable server marks every
//! SLO, long PromQL goes out as a POST form, auth/tenant headers and path prefixes are kept,
//! and pushes are refused. Success bodies follow the vendor's envelope
//! (tests/fixtures/prometheus/query-vector.json); `warnings` payloads are schema-derived (the
//! vendor ships no example, API-CONTRACTS §7.5).

use opsdeck::sync::Source as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::config::Config;
use opsdeck::domain::{EntityKind, EntityRef, Slo};
use opsdeck::metrics::slo::AlertState;
use opsdeck::metrics::stored::evaluate_stored;
use opsdeck::store::{OpState, Operation, OutboxEntry, Store};
use opsdeck::sync::prometheus::{PrometheusSource, WARNING_PREFIX};
use opsdeck::sync::secret::Secret;
use opsdeck::sync::{PushOutcome, SyncError};
use rstest::rstest;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// 2026-03-10 14:30:00 UTC: 14.5 h into the day, so today's partial day is queried too.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 14, 30, 0).unwrap()
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/prometheus/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `query` (or `match[]`) parameter, whether sent as GET or as a POST form.
fn param(req: &Request, key: &str) -> Option<String> {
    let from_url = req
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned());
    from_url.or_else(|| {
        url::form_urlencoded::parse(&req.body)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

/// A healthy Prometheus: bad-event queries (`5..` or `le=`) answer `bad`, totals `total`, in
/// the vendor's vector/matrix shapes; `/series` lists the buckets in `buckets`.
struct FakeProm {
    bad: &'static str,
    total: &'static str,
    buckets: Vec<&'static str>,
    warnings: Vec<&'static str>,
}

impl FakeProm {
    fn healthy() -> Self {
        Self {
            bad: "2",
            total: "1000",
            buckets: vec!["0.25", "0.5", "+Inf"],
            warnings: vec![],
        }
    }
}

impl Respond for FakeProm {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path();
        let mut body = if path.ends_with("/api/v1/series") {
            let series: Vec<Value> = self
                .buckets
                .iter()
                .map(|le| json!({"__name__": "http_request_duration_seconds_bucket", "le": le}))
                .collect();
            json!({"status": "success", "data": series})
        } else {
            let query = param(req, "query").unwrap_or_default();
            let value = if query.contains("5..") {
                self.bad
            } else {
                self.total
            };
            let value = if query.contains("le=") { "995" } else { value };
            if path.ends_with("/api/v1/query_range") {
                let start: i64 = param(req, "start").unwrap().parse().unwrap();
                let end: i64 = param(req, "end").unwrap().parse().unwrap();
                let step: i64 = param(req, "step").unwrap().parse().unwrap();
                let values: Vec<Value> = (0..)
                    .map(|k| start + k * step)
                    .take_while(|t| *t <= end)
                    .map(|t| json!([t, value]))
                    .collect();
                json!({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": values}]}})
            } else {
                // The vendor's vector example with our value.
                let mut v = fixture("query-vector.json");
                let sample = json!({"metric": {}, "value": [now().timestamp(), value]});
                v["data"]["result"] = json!([sample]);
                v
            }
        };
        if !self.warnings.is_empty() {
            body["warnings"] = json!(self.warnings);
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

fn config_toml(base: &str, extra_source: &str, slos: &str) -> Config {
    let text = format!(
        "[[sources]]\nname = \"prom\"\nkind = \"prometheus\"\nbase_url = \"{base}\"\n{extra_source}\n{slos}"
    );
    Config::parse(&text, "test.toml").unwrap()
}

const TWO_SLOS: &str = r#"
[[slos]]
name = "checkout-availability"
service = "checkout"
objective = "99.9"
window = "30d"
kind = "ratio"
bad = 'http_requests_total{service="checkout",code=~"5.."}'
total = 'http_requests_total{service="checkout"}'

[[slos]]
name = "payments-availability"
service = "payments"
objective = "99.9"
window = "28d"
kind = "ratio"
bad = 'http_requests_total{service="payments",code=~"5.."}'
total = 'http_requests_total{service="payments"}'
"#;

fn source_with(cfg: &Config, token: Option<Secret>) -> PrometheusSource {
    let mut http = PrometheusSource::http_config(&cfg.sources[0], token).unwrap();
    http.retry.max_attempts = 1; // one try per query keeps the failure tests fast
    let now = now();
    PrometheusSource::from_http_config(http, Arc::new(move || now), cfg.slos.clone()).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.db")).unwrap();
    (dir, store)
}

fn slo<'a>(slos: &'a [Slo], name: &str) -> &'a Slo {
    slos.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no SLO {name}"))
}

async fn mount_failure_for(server: &MockServer, service: &'static str, status: u16, body: Value) {
    Mock::given(move |req: &Request| param(req, "query").is_some_and(|q| q.contains(service)))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .with_priority(1)
        .mount(server)
        .await;
}

#[rstest]
#[case::bad_data_400_from_the_vendor_fixture(
    400,
    fixture("error-bad-data.json"),
    "bad_data (400): invalid parameter"
)]
#[case::execution_422(422, json!({"status": "error", "errorType": "execution", "error": "expanding series: too many samples"}), "execution (422): expanding series: too many samples")]
#[case::timeout_503(503, json!({"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}), "timeout (503)")]
#[tokio::test]
async fn a_failing_query_marks_only_its_slo_and_the_other_still_gets_counts(
    #[case] status: u16,
    #[case] body: Value,
    #[case] expected_error: &str,
) {
    let server = MockServer::start().await;
    mount_failure_for(&server, "payments", status, body).await;
    Mock::given(|_: &Request| true)
        .respond_with(FakeProm::healthy())
        .mount(&server)
        .await;
    let cfg = config_toml(&server.uri(), "", TWO_SLOS);
    let (_dir, mut store) = store();

    // The round fails naming the broken SLO (issue #11 defect 10); the other is still stored.
    let err = source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SLO 'payments-availability'") && err.contains(expected_error),
        "{err}"
    );
    let slos = store.load_slos().unwrap();
    let payments = slo(&slos, "payments-availability");
    let err = payments.last_error.as_deref().unwrap();
    assert!(err.contains(expected_error), "{err}");
    assert_eq!(payments.last_error_at, Some(now()));
    assert!(payments.windows.is_empty(), "no partial counts stored");
    let checkout = slo(&slos, "checkout-availability");
    assert_eq!(checkout.last_error, None);
    assert_eq!(checkout.windows.len(), 8, "5m 30m 1h 2h 6h 1d 3d 30d");
    let w = checkout.window("30d").unwrap();
    assert_eq!((w.bad, w.total), (2.0, 1000.0));
    assert!(
        checkout.total_query.contains("[30d]"),
        "{}",
        checkout.total_query
    );
    // 30 full days + today so far.
    assert_eq!(checkout.daily.len(), 31);
    assert_eq!(checkout.daily.last().unwrap().day, now().date_naive());
    let eval = evaluate_stored(checkout).unwrap();
    assert!((eval.attainment.unwrap() - 0.998).abs() < 1e-12);
    let state = store.sync_states().unwrap();
    assert_eq!(state[0].last_error, None, "the source itself is healthy");
}

#[tokio::test]
async fn warnings_are_kept_on_the_slo_next_to_its_fresh_counts() {
    let server = MockServer::start().await;
    let fake = FakeProm {
        warnings: vec!["PromQL warning: partial response from store"],
        ..FakeProm::healthy()
    };
    Mock::given(|_: &Request| true)
        .respond_with(fake)
        .mount(&server)
        .await;
    let cfg = config_toml(&server.uri(), "", TWO_SLOS);
    let (_dir, mut store) = store();

    source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap();

    let slos = store.load_slos().unwrap();
    for s in &slos {
        let text = s.last_error.as_deref().unwrap();
        assert!(
            text.starts_with(WARNING_PREFIX) && text.contains("partial response"),
            "{text}"
        );
        assert_eq!(s.windows.len(), 8, "counts are stored despite the warning");
        // 0.2 % errors everywhere: burn 2 trips only the 3d/6h ticket row.
        assert_eq!(evaluate_stored(s).unwrap().alerts.state, AlertState::Ticket);
    }
}

#[tokio::test]
async fn an_unreachable_server_marks_every_slo_and_fails_the_pull_without_panicking() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = config_toml(&format!("http://127.0.0.1:{port}"), "", TWO_SLOS);
    let (_dir, mut store) = store();

    let err = source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap_err();

    assert!(matches!(err, SyncError::Api(_)), "{err}");
    let slos = store.load_slos().unwrap();
    assert_eq!(slos.len(), 2);
    for s in &slos {
        let text = s.last_error.as_deref().unwrap();
        assert!(text.contains("could not connect"), "{text}");
        assert_eq!(s.last_error_at, Some(now()));
    }
    let state = &store.sync_states().unwrap()[0];
    assert!(state
        .last_error
        .as_deref()
        .unwrap()
        .contains("could not connect"));
    assert_eq!(state.last_success_at, None);
}

#[tokio::test]
async fn an_html_login_page_is_a_source_failure_not_a_count() {
    let server = MockServer::start().await;
    Mock::given(|_: &Request| true)
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>login</html>", "text/html"))
        .mount(&server)
        .await;
    let cfg = config_toml(&server.uri(), "", TWO_SLOS);
    let (_dir, mut store) = store();

    assert!(source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .is_err());
    for s in store.load_slos().unwrap() {
        assert!(s.last_error.unwrap().contains("text/html"));
        assert!(s.windows.is_empty());
    }
}

#[tokio::test]
async fn empty_results_store_zero_totals_which_evaluate_to_no_data() {
    let server = MockServer::start().await;
    Mock::given(|req: &Request| req.url.path().ends_with("/api/v1/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "success", "data": {"resultType": "vector", "result": []}}),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(|_: &Request| true)
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "success", "data": {"resultType": "matrix", "result": []}}),
        ))
        .mount(&server)
        .await;
    let cfg = config_toml(&server.uri(), "", TWO_SLOS);
    let (_dir, mut store) = store();

    source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap();

    for s in store.load_slos().unwrap() {
        assert!(s.windows.iter().all(|w| w.bad == 0.0 && w.total == 0.0));
        let eval = evaluate_stored(&s).unwrap();
        assert_eq!(eval.alerts.state, AlertState::NoData);
        assert_eq!(eval.attainment, None, "never 0 % or 100 %");
    }
}

#[tokio::test]
async fn long_promql_is_sent_as_a_post_form_and_still_computes() {
    let server = MockServer::start().await;
    Mock::given(|_: &Request| true)
        .respond_with(FakeProm::healthy())
        .mount(&server)
        .await;
    let pods: Vec<String> = (0..300).map(|i| format!("checkout-pod-{i:04}")).collect();
    let slos = format!(
        "[[slos]]\nname = \"long\"\nservice = \"checkout\"\nobjective = \"99.9\"\nwindow = \"30d\"\n\
         kind = \"ratio\"\nbad = 'http_requests_total{{code=~\"5..\",pod=~\"{0}\"}}'\n\
         total = 'http_requests_total{{pod=~\"{0}\"}}'\n",
        pods.join("|")
    );
    let cfg = config_toml(&server.uri(), "", &slos);
    let (_dir, mut store) = store();

    source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    assert!(!received.is_empty());
    for req in &received {
        assert_eq!(req.method.as_str(), "POST", "{}", req.url);
        let ct = req.headers.get("content-type").unwrap().to_str().unwrap();
        assert_eq!(ct, "application/x-www-form-urlencoded");
        assert!(param(req, "query").unwrap().contains("checkout-pod-0299"));
    }
    let slos = store.load_slos().unwrap();
    assert_eq!(slo(&slos, "long").window("1h").unwrap().total, 1000.0);
}

#[tokio::test]
async fn tenant_header_bearer_token_and_path_prefix_reach_the_server() {
    let server = MockServer::start().await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    Mock::given(move |req: &Request| {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let org = req
            .headers
            .get("x-scope-orgid")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        log.lock().unwrap().push(req.url.path().to_owned());
        auth == "Bearer s3cr3t-canary"
            && org == "team-a"
            && req.url.path().starts_with("/prometheus/api/v1/")
    })
    .respond_with(FakeProm::healthy())
    .mount(&server)
    .await;
    let base = format!("{}/prometheus", server.uri());
    let cfg = config_toml(&base, "headers = { X-Scope-OrgID = \"team-a\" }", TWO_SLOS);
    let (_dir, mut store) = store();

    let report = source_with(&cfg, Some(Secret::new("s3cr3t-canary")))
        .pull(&mut store, now())
        .await
        .unwrap();

    assert_eq!(report.fetched, 2);
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|p| p.starts_with("/prometheus/api/v1/")));
    let dump = format!("{:?}", store.load_slos().unwrap());
    assert!(
        !dump.contains("s3cr3t-canary"),
        "the token never reaches the store"
    );
}

const LATENCY: &str = r#"
[[slos]]
name = "checkout-latency"
service = "checkout"
objective = "99"
window = "28d"
kind = "latency"
histogram = 'http_request_duration_seconds_bucket{service="checkout"}'
threshold_le = "0.5"
"#;

#[tokio::test]
async fn a_bucket_written_0_50_on_the_server_matches_threshold_0_5() {
    let server = MockServer::start().await;
    let fake = FakeProm {
        buckets: vec!["0.25", "0.50", "+Inf", "0.50"],
        ..FakeProm::healthy()
    };
    Mock::given(|_: &Request| true)
        .respond_with(fake)
        .mount(&server)
        .await;
    let cfg = config_toml(&server.uri(), "", LATENCY);
    let (_dir, mut store) = store();

    source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap();

    let slos = store.load_slos().unwrap();
    let s = slo(&slos, "checkout-latency");
    assert_eq!(s.last_error, None);
    assert!(s.good_query.contains(r#"le="0.50""#), "{}", s.good_query);
    assert!(s
        .total_query
        .contains("http_request_duration_seconds_count{service=\"checkout\"}[28d]"));
    let w = s.window("28d").unwrap();
    assert_eq!((w.bad, w.total), (5.0, 1000.0), "bad = total − good");
}

#[tokio::test]
async fn a_threshold_that_is_not_a_bucket_is_a_clear_error_listing_the_buckets() {
    let server = MockServer::start().await;
    Mock::given(|_: &Request| true)
        .respond_with(FakeProm::healthy())
        .mount(&server)
        .await;
    let slos = format!("{}{}", LATENCY.replace("\"0.5\"", "\"0.3\""), TWO_SLOS);
    let cfg = config_toml(&server.uri(), "", &slos);
    let (_dir, mut store) = store();

    let failure = source_with(&cfg, None)
        .pull(&mut store, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        failure.contains("SLO 'checkout-latency'") && failure.contains(r#"threshold_le "0.3""#),
        "the round fails naming the SLO and why: {failure}"
    );
    let slos = store.load_slos().unwrap();
    let err = slo(&slos, "checkout-latency").last_error.clone().unwrap();
    assert!(
        err.contains(r#"threshold_le "0.3" is not a bucket"#) && err.contains("0.25, 0.5, +Inf"),
        "{err}"
    );
}

#[tokio::test]
async fn pushing_anything_to_prometheus_fails_as_read_only() {
    let cfg = config_toml("http://127.0.0.1:9", "", TWO_SLOS);
    let (_dir, mut store) = store();
    let entry = OutboxEntry {
        seq: 1,
        op_id: "op".into(),
        entity: EntityRef {
            kind: EntityKind::Bug,
            id: 1,
        },
        entity_label: "#1".into(),
        source: "prom".into(),
        remote: true,
        op: Operation::AddBugComment { body: "hi".into() },
        observed_remote: None,
        state: OpState::Inflight,
        attempts: 1,
        next_attempt_at: None,
        last_error: None,
        remote_value: None,
        created_at: now(),
    };
    let outcome = source_with(&cfg, None)
        .push(&mut store, &entry, now())
        .await
        .unwrap();
    assert_eq!(outcome, PushOutcome::Failed("read-only source".into()));
}

#[rstest]
#[case::ratio_without_total("kind = \"ratio\"\nbad = 'x_total'", "needs `total`")]
#[case::ratio_with_a_range(
    "kind = \"ratio\"\nbad = 'x_total[5m]'\ntotal = 'y_total'",
    "not a plain selector"
)]
#[case::ratio_with_a_function(
    "kind = \"ratio\"\nbad = 'rate(x_total)'\ntotal = 'y_total'",
    "not a plain selector"
)]
#[case::latency_with_le_in_the_selector(
    "kind = \"latency\"\nhistogram = 'h_bucket{le=\"1\"}'\nthreshold_le = \"1\"",
    "must not match on le"
)]
#[case::latency_threshold_not_a_number(
    "kind = \"latency\"\nhistogram = 'h_bucket'\nthreshold_le = \"fast\"",
    "not a number"
)]
#[case::unknown_kind("kind = \"freshness\"\ntotal = 'y'", "use \"ratio\" or \"latency\"")]
fn a_broken_slo_definition_is_a_config_error_naming_the_slo(
    #[case] body: &str,
    #[case] expected: &str,
) {
    let slos = format!("[[slos]]\nname = \"broken\"\nservice = \"s\"\nobjective = \"99.9\"\nwindow = \"30d\"\n{body}\n");
    let cfg = config_toml("http://127.0.0.1:9", "", &slos);
    let http = PrometheusSource::http_config(&cfg.sources[0], None).unwrap();
    let now = now();
    let err =
        PrometheusSource::from_http_config(http, Arc::new(move || now), cfg.slos).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("SLO 'broken'") && text.contains(expected),
        "{text}"
    );
}

#[test]
fn a_token_over_plain_http_to_a_remote_host_is_refused() {
    let cfg = config_toml("http://prometheus.example:9090", "", TWO_SLOS);
    let err = PrometheusSource::http_config(&cfg.sources[0], Some(Secret::new("t"))).unwrap_err();
    assert!(err.to_string().contains("use https://"), "{err}");
    let cfg = config_toml("http://prometheus.example:9090", "", TWO_SLOS);
    assert!(
        PrometheusSource::http_config(&cfg.sources[0], None).is_ok(),
        "no token: http is fine"
    );
}

/// Re-sync audit (issue #11 defect 4): Prometheus has no pages, ETags or cursors; every pull
/// re-runs every window query, so changed counts always replace the stored ones, at the same
/// request cost as the first pull.
#[tokio::test]
async fn a_second_pull_replaces_changed_counts_at_the_same_cost() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(FakeProm::healthy())
        .mount(&server)
        .await;
    let cfg = config_toml(&server.uri(), "", TWO_SLOS);
    let (_dir, mut store) = store();
    let mut src = source_with(&cfg, None);
    let first = src.pull(&mut store, now()).await.unwrap();

    server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(FakeProm {
            bad: "40",
            ..FakeProm::healthy()
        })
        .mount(&server)
        .await;
    let second = src.pull(&mut store, now()).await.unwrap();

    assert_eq!(second.requests, first.requests);
    let slos = store.load_slos().unwrap();
    let hour = slo(&slos, "checkout-availability")
        .windows
        .iter()
        .find(|w| w.window == "1h")
        .unwrap()
        .clone();
    assert_eq!((hour.bad, hour.total), (40.0, 1000.0));
}
