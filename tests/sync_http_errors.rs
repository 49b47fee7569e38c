//! Status mapping, body caps, decoding, redirects, conditional GETs and token hygiene.

mod common;

use std::time::Duration;

use common::{client, config, fixed_clock, raw_server, url, CANARY};
use opsdeck::sync::http::{ApiError, ApiRequest, Conditional, HttpClient, TransportKind};
use opsdeck::sync::secret::{Secret, TokenError, TokenSource};
use rstest::rstest;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn capped_client(base: &str, cap: usize) -> HttpClient {
    let mut cfg = config(base);
    cfg.max_body_bytes = cap;
    HttpClient::new(cfg, fixed_clock()).unwrap()
}

#[tokio::test]
async fn every_request_carries_the_source_default_headers() {
    let server = MockServer::start().await;
    Mock::given(path("/h"))
        .and(header("authorization", format!("Bearer {CANARY}").as_str()))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    c.send(ApiRequest::get(url(&server.uri(), "/h")))
        .await
        .unwrap();
    let reqs = server.received_requests().await.unwrap();
    let ua = reqs[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("opsdeck/"), "{ua}");
}

#[rstest]
#[case::github_422_validation(422, "error-422-validation-failed.json", "Validation Failed")]
#[case::jira_404_error_collection(
    404,
    "error-404-dashboard-gadget.json",
    "The dashboard you requested"
)]
#[case::pagerduty_404_error_object(404, "error-not-found.json", "Not Found")]
#[case::github_410_plain_text_body(410, "Issues are disabled for this repo", "Issues are disabled")]
#[tokio::test]
async fn client_errors_are_permanent_and_carry_the_vendor_message(
    #[case] status: u16,
    #[case] fixture_or_text: &str,
    #[case] expected: &str,
) {
    let body = if fixture_or_text.ends_with(".json") {
        std::fs::read_to_string(format!("tests/fixtures/{fixture_or_text}")).unwrap()
    } else {
        fixture_or_text.to_owned()
    };
    let server = MockServer::start().await;
    Mock::given(path("/e"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .send_with_retry(ApiRequest::get(url(&server.uri(), "/e")))
        .await
        .unwrap_err();
    let ApiError::Permanent {
        status: got,
        message,
    } = &err
    else {
        panic!("expected Permanent, got {err:?}");
    };
    assert_eq!(*got, status);
    assert!(message.contains(expected), "{message}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_403_that_is_not_a_rate_limit_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(path("/p"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "4999")
                .set_body_raw(
                    r#"{"message":"Resource not accessible by integration"}"#,
                    "application/json",
                ),
        )
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .send(ApiRequest::get(url(&server.uri(), "/p")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Permanent { status: 403, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_401_tells_the_user_which_env_var_holds_the_token() {
    let server = MockServer::start().await;
    Mock::given(path("/u"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Bad credentials"))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .send_with_retry(ApiRequest::get(url(&server.uri(), "/u")))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }));
    assert!(
        err.to_string()
            .contains("check the token in env var GITHUB_TOKEN"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_json_is_a_decode_error_with_a_short_sanitized_excerpt() {
    let server = MockServer::start().await;
    let body = format!("{{\"items\": [1, 2, \x1b]0;pwned\x07 {}", "x".repeat(5000));
    Mock::given(path("/j"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let resp = client(&server.uri())
        .send(ApiRequest::get(url(&server.uri(), "/j")))
        .await
        .unwrap();
    let err = resp.json::<serde_json::Value>().unwrap_err();
    let ApiError::Decode { excerpt, .. } = &err else {
        panic!("expected Decode, got {err:?}");
    };
    assert!(excerpt.chars().count() <= 120);
    assert!(excerpt.starts_with("{\"items\""));
    assert!(!excerpt.chars().any(char::is_control), "{excerpt:?}");
}

#[tokio::test]
async fn an_html_login_page_with_status_200_is_a_decode_error_not_data() {
    let server = MockServer::start().await;
    Mock::given(path("/sso"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>Sign in</html>", "text/html"))
        .mount(&server)
        .await;
    let resp = client(&server.uri())
        .send(ApiRequest::get(url(&server.uri(), "/sso")))
        .await
        .unwrap();
    let err = resp.json::<serde_json::Value>().unwrap_err();
    assert!(err.to_string().contains("text/html"), "{err}");
}

#[tokio::test]
async fn a_body_declared_larger_than_the_cap_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; 4096]))
        .mount(&server)
        .await;
    let err = capped_client(&server.uri(), 1024)
        .send(ApiRequest::get(url(&server.uri(), "/big")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::BodyTooLarge { limit_bytes: 1024 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_chunked_body_without_length_is_cut_off_at_the_cap_while_streaming() {
    let mut raw =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..8 {
        raw.extend_from_slice(b"200\r\n");
        raw.extend_from_slice(&[b' '; 512]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let base = format!("http://{}", raw_server(raw).await);
    let err = capped_client(&base, 1024)
        .send(ApiRequest::get(url(&base, "/stream")))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BodyTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_body_cut_mid_way_is_a_retryable_transport_error() {
    let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"items\": [1, 2,".to_vec();
    let base = format!("http://{}", raw_server(raw).await);
    let err = client(&base)
        .send(ApiRequest::get(url(&base, "/cut")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportKind::Body,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_conditional_get_returns_fresh_with_its_etag_then_not_modified() {
    let server = MockServer::start().await;
    let etag = "\"644b5b0155e6404a9cc4bd9d8b1ae730\"";
    Mock::given(path("/issues"))
        .and(header("if-none-match", etag))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/issues"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", etag)
                .insert_header("link", "</issues?page=2>; rel=\"next\"")
                .set_body_json(serde_json::json!([{"id": 1}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let first = c
        .get_conditional(url(&server.uri(), "/issues"), None)
        .await
        .unwrap();
    let Conditional::Fresh {
        etag: got,
        response,
    } = first
    else {
        panic!("expected Fresh, got {first:?}");
    };
    assert_eq!(got.as_deref(), Some(etag));
    assert_eq!(response.json::<serde_json::Value>().unwrap()[0]["id"], 1);
    assert!(response.links()["next"]
        .as_str()
        .ends_with("/issues?page=2"));

    let second = c
        .get_conditional(url(&server.uri(), "/issues"), got.as_deref())
        .await
        .unwrap();
    assert!(matches!(second, Conditional::NotModified), "{second:?}");
}

#[tokio::test]
async fn a_cross_origin_redirect_is_refused_and_the_other_host_receives_no_credentials() {
    let api = MockServer::start().await;
    let attacker = MockServer::start().await;
    Mock::given(path("/moved"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/steal?x=1", attacker.uri()).as_str()),
        )
        .mount(&api)
        .await;
    Mock::given(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&attacker)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&attacker)
        .await;
    let err = client(&api.uri())
        .send_with_retry(ApiRequest::get(url(&api.uri(), "/moved")))
        .await
        .unwrap_err();
    let ApiError::CrossOriginRedirect { to_origin } = &err else {
        panic!("expected CrossOriginRedirect, got {err:?}");
    };
    assert_eq!(to_origin, &attacker.uri());
    let seen = attacker.received_requests().await.unwrap();
    assert!(seen
        .iter()
        .all(|r| !r.headers.contains_key("authorization")));
    assert!(seen.is_empty());
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_credentials() {
    let server = MockServer::start().await;
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/new"))
        .mount(&server)
        .await;
    Mock::given(path("/new"))
        .and(header("authorization", format!("Bearer {CANARY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"moved": true})))
        .expect(1)
        .mount(&server)
        .await;
    let resp = client(&server.uri())
        .send(ApiRequest::get(url(&server.uri(), "/old")))
        .await
        .unwrap();
    assert_eq!(resp.url.path(), "/new");
}

#[tokio::test]
async fn a_request_to_another_origin_is_refused_before_it_is_sent() {
    let api = MockServer::start().await;
    let other = MockServer::start().await;
    let err = client(&api.uri())
        .send(ApiRequest::get(url(&other.uri(), "/issues?page=2")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::CrossOriginRequest { .. }),
        "{err:?}"
    );
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_canary_token_never_appears_in_any_error_or_debug_output() {
    let server = MockServer::start().await;
    let echo = format!("{{\"message\":\"bad token Bearer {CANARY} for you\"}}");
    let routes: [(&str, ResponseTemplate); 6] = [
        (
            "/401",
            ResponseTemplate::new(401).set_body_string(echo.clone()),
        ),
        (
            "/404",
            ResponseTemplate::new(404).set_body_raw(echo.clone(), "application/json"),
        ),
        (
            "/422",
            ResponseTemplate::new(422).set_body_string(format!("token={CANARY}")),
        ),
        (
            "/500",
            ResponseTemplate::new(500).set_body_string(echo.clone()),
        ),
        (
            "/bad",
            ResponseTemplate::new(200)
                .set_body_raw(format!("oops {CANARY} {{"), "application/json"),
        ),
        (
            "/429",
            ResponseTemplate::new(429).insert_header("retry-after", "9999"),
        ),
    ];
    for (p, template) in routes.clone() {
        Mock::given(path(p))
            .respond_with(template)
            .mount(&server)
            .await;
    }
    let mut cfg = config(&server.uri());
    cfg.max_body_bytes = 1 << 20;
    let c = HttpClient::new(cfg, fixed_clock()).unwrap();
    let mut shown = vec![format!("{c:?}")];
    for (p, _) in &routes {
        match c.send(ApiRequest::get(url(&server.uri(), p))).await {
            Ok(resp) => {
                shown.push(format!("{resp:?}"));
                let err = resp.json::<serde_json::Value>().unwrap_err();
                shown.push(format!("{err} {err:?}"));
            }
            Err(err) => shown.push(format!("{err} {err:?}")),
        }
    }
    let refused = format!("http://127.0.0.1:{}", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    let err = client(&refused)
        .send(ApiRequest::get(url(&refused, "/")))
        .await
        .unwrap_err();
    shown.push(format!("{err} {err:?}"));
    let token_err: TokenError = TokenSource::Env("NOPE".into())
        .resolve_with(&|_| None, Duration::from_secs(1))
        .await
        .unwrap_err();
    shown.push(format!(
        "{token_err} {token_err:?} {:?}",
        Secret::new(CANARY)
    ));
    shown.push(format!("{:?}", config(&server.uri())));

    assert!(shown.len() >= 10);
    for text in &shown {
        assert!(!text.contains(CANARY), "token leaked in: {text}");
    }
    assert!(
        shown[2].contains("Bearer ***"),
        "echoed tokens are redacted: {}",
        shown[2]
    );
    assert!(shown
        .iter()
        .any(|t| t.contains("Decode") && t.contains("oops ***")));
}
