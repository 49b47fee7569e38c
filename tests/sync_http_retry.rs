//! Retry, rate-limit, timeout, breaker and mutation-gap behaviour against local servers.

mod common;

use std::time::{Duration, Instant};

use common::{client, config, fixed_clock, fixed_now, url, Sequence};
use opsdeck::sync::http::{ApiError, ApiRequest, HttpClient, HttpTimeouts, TransportKind};
use opsdeck::sync::ratelimit::{BreakerState, RateLimitKind};
use reqwest::Method;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_429_with_retry_after_2_is_retried_once_no_sooner_than_2_seconds_later() {
    let server = MockServer::start().await;
    let seq = Sequence::new(vec![
        ResponseTemplate::new(429).insert_header("retry-after", "2"),
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})),
    ]);
    Mock::given(path("/issues"))
        .respond_with(seq.clone())
        .mount(&server)
        .await;
    let c = client(&server.uri());

    let resp = c
        .send_with_retry(ApiRequest::get(url(&server.uri(), "/issues")))
        .await
        .unwrap();

    assert_eq!(resp.status, 200);
    let arrivals = seq.arrivals();
    assert_eq!(arrivals.len(), 2, "exactly one retry");
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_secs_f64(2.0), "retried after {gap:?}");
}

#[tokio::test]
async fn a_github_secondary_limit_403_yields_a_deadline_at_least_60_s_out_and_blocks_further_calls()
{
    let server = MockServer::start().await;
    let body = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
    Mock::given(path("/issues"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "4321")
                .set_body_raw(body, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = HttpClient::new(config(&server.uri()), fixed_clock()).unwrap();
    let req = ApiRequest::get(url(&server.uri(), "/issues"));

    let err = c.send(req.clone()).await.unwrap_err();
    let ApiError::RateLimited { until, kind, .. } = err else {
        panic!("expected RateLimited, got {err:?}");
    };
    assert!(until - fixed_now() >= chrono::TimeDelta::seconds(60));
    assert_eq!(kind, RateLimitKind::Secondary);
    assert_eq!(c.blocked_until(), Some(until));

    // Still limited: the second call is answered locally, the server sees no second request.
    let again = c.send(req).await.unwrap_err();
    assert!(matches!(again, ApiError::RateLimited { until: u, .. } if u == until));
}

#[tokio::test]
async fn a_rate_limit_longer_than_max_wait_is_returned_instead_of_slept() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let started = Instant::now();
    let err = c
        .send_with_retry(ApiRequest::get(url(&server.uri(), "/x")))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::RateLimited { .. }), "{err:?}");
    assert!(err.retry_at().is_some());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_5xx_then_success_succeeds_with_exactly_two_requests() {
    let server = MockServer::start().await;
    let seq = Sequence::new(vec![
        ResponseTemplate::new(502),
        ResponseTemplate::new(200).set_body_json(serde_json::json!([])),
    ]);
    Mock::given(path("/alerts"))
        .respond_with(seq.clone())
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let resp = c
        .send_with_retry(ApiRequest::get(url(&server.uri(), "/alerts")))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(seq.arrivals().len(), 2);
    assert_eq!(c.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn a_post_that_got_a_5xx_is_not_resent_so_a_comment_is_never_duplicated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let req = ApiRequest::new(Method::POST, url(&server.uri(), "/issues/1/comments"))
        .json(&serde_json::json!({"body": "ack"}))
        .unwrap();
    let err = c.send_with_retry(req).await.unwrap_err();
    assert!(matches!(err, ApiError::Server { status: 500 }), "{err:?}");
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(path("/q"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let err = c
        .send_with_retry(ApiRequest::get(url(&server.uri(), "/q")))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Server { status: 503 }));
}

#[tokio::test]
async fn a_hung_server_is_abandoned_at_the_total_deadline_with_a_timeout_error() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.timeouts = HttpTimeouts {
        connect: Duration::from_secs(5),
        read: Duration::from_secs(15),
        total: Duration::from_millis(800),
    };
    let c = HttpClient::new(cfg, fixed_clock()).unwrap();
    let started = Instant::now();
    let err = c
        .send(ApiRequest::get(url(&server.uri(), "/slow")))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_stalled_server_trips_the_read_timeout_well_before_the_total_deadline() {
    let server = MockServer::start().await;
    Mock::given(path("/stall"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.timeouts.read = Duration::from_millis(500);
    let c = HttpClient::new(cfg, fixed_clock()).unwrap();
    let started = Instant::now();
    let err = c
        .send(ApiRequest::get(url(&server.uri(), "/stall")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn connection_refused_is_a_retryable_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let c = HttpClient::new(config(&base), fixed_clock()).unwrap();
    let err = c.send(ApiRequest::get(url(&base, "/x"))).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn five_consecutive_failures_open_the_breaker_and_the_sixth_call_never_leaves() {
    let server = MockServer::start().await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(500))
        .expect(5)
        .mount(&server)
        .await;
    let c = HttpClient::new(config(&server.uri()), fixed_clock()).unwrap();
    let req = ApiRequest::get(url(&server.uri(), "/down"));
    for _ in 0..5 {
        assert!(matches!(
            c.send(req.clone()).await,
            Err(ApiError::Server { .. })
        ));
    }
    let err = c.send(req).await.unwrap_err();
    let ApiError::CircuitOpen { until } = err else {
        panic!("expected CircuitOpen, got {err:?}");
    };
    assert!(until > fixed_now());
}

#[tokio::test]
async fn two_concurrent_mutations_reach_the_server_at_least_one_second_apart() {
    let server = MockServer::start().await;
    let seq = Sequence::new(vec![ResponseTemplate::new(200)]);
    Mock::given(method("PATCH"))
        .respond_with(seq.clone())
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let patch = |n: u32| {
        ApiRequest::new(Method::PATCH, url(&server.uri(), &format!("/issues/{n}")))
            .json(&serde_json::json!({"state": "closed"}))
            .unwrap()
    };
    let (a, b) = tokio::join!(c.send(patch(1)), c.send(patch(2)));
    a.unwrap();
    b.unwrap();
    let arrivals = seq.arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[1] - arrivals[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn reads_are_not_held_back_by_the_mutation_gap() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let started = Instant::now();
    for _ in 0..3 {
        c.send(ApiRequest::get(url(&server.uri(), "/x")))
            .await
            .unwrap();
    }
    assert!(started.elapsed() < Duration::from_millis(900));
}
