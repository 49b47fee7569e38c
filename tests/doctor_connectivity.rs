//! `opsdeck doctor` checks that each source can work: a fake server that answers (ok), one
//! that refuses the token (401), a port where nothing listens, and a failing `token_command`.
//! Run through the real binary, as a user would.

use std::path::Path;
use std::process::Command;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_ENV: &str = "OPSDECK_DOCTOR_TEST_TOKEN";

/// A loopback port with nothing listening on it (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn fake() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rate_limit"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "4987")
                .set_body_json(serde_json::json!({"resources": {}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/current.json"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(serde_json::json!({"errors": ["invalid"]})),
        )
        .mount(&server)
        .await;
    server
}

fn doctor(dir: &Path, config: &str) -> (i32, String) {
    let file = dir.join("config.toml");
    std::fs::write(&file, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_CONFIG_DIR", dir)
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env(TOKEN_ENV, "doctor-test-token-value")
        .arg("--config")
        .arg(&file)
        .arg("doctor")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn line<'a>(text: &'a str, source: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(&format!("source {source}:")))
        .unwrap_or_else(|| panic!("no line for {source}:\n{text}"))
}

/// REGRESSION: issue #11 defect 11. `doctor` printed "ok" for a source whose token_command
/// fails and for one whose base_url is unreachable; it now sends each source's cheapest
/// authenticated read and fails for any source that cannot work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_reachable_authenticated_and_budget_per_source_and_fails_broken_ones() {
    let server = fake().await;
    let uri = server.uri();
    let dead = closed_port();
    let config = format!(
        "[[sources]]\nname = \"gh-ok\"\nkind = \"github\"\nbase_url = \"{uri}\"\nrepos = [\"octo/hello\"]\ntoken_env = \"{TOKEN_ENV}\"\n\n\
         [[sources]]\nname = \"redmine-401\"\nkind = \"redmine\"\nbase_url = \"{uri}\"\nprojects = [\"ops\"]\ntoken_env = \"{TOKEN_ENV}\"\n\n\
         [[sources]]\nname = \"gh-dead\"\nkind = \"github\"\nbase_url = \"http://127.0.0.1:{dead}\"\nrepos = [\"octo/hello\"]\ntoken_env = \"{TOKEN_ENV}\"\n\n\
         [[sources]]\nname = \"gh-badcmd\"\nkind = \"github\"\nbase_url = \"{uri}\"\nrepos = [\"octo/hello\"]\ntoken_command = [\"false\"]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let config_for_thread = config.clone();
    let path = dir.path().to_path_buf();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&path, &config_for_thread))
        .await
        .unwrap();

    assert_eq!(code, 1, "a broken source fails the doctor:\n{text}");
    let ok = line(&text, "gh-ok");
    assert!(
        ok.starts_with("ok")
            && ok.contains("reachable yes, authenticated yes, rate limit 4987 requests left"),
        "{ok}"
    );
    let refused = line(&text, "redmine-401");
    assert!(
        refused.starts_with("FAIL")
            && refused.contains("reachable yes, authenticated no")
            && refused.contains("401"),
        "{refused}"
    );
    let dead_line = line(&text, "gh-dead");
    assert!(
        dead_line.starts_with("FAIL")
            && dead_line.contains("reachable no")
            && dead_line.contains("unreachable"),
        "{dead_line}"
    );
    let badcmd = line(&text, "gh-badcmd");
    assert!(
        badcmd.starts_with("FAIL") && badcmd.contains("no token"),
        "{badcmd}"
    );
    assert!(
        !text.contains("doctor-test-token-value"),
        "the token is never printed"
    );

    // Only the healthy source: exit 0.
    let only_ok = config.split("\n\n").next().unwrap().to_owned();
    let path = dir.path().to_path_buf();
    let (code, text) = tokio::task::spawn_blocking(move || doctor(&path, &only_ok))
        .await
        .unwrap();
    assert_eq!(code, 0, "{text}");
}
