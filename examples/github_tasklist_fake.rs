//! A GitHub fake holding one issue whose body is a rollout plan, for driving the
//! `github-tasklist` checklist source by hand (tmux) against 127.0.0.1.
//!
//! Run: `cargo run --example github_tasklist_fake -- 8787`, then point a source at it:
//!
//! ```toml
//! [[sources]]
//! name = "plans"
//! kind = "github-tasklist"
//! base_url = "http://127.0.0.1:8787"
//! issues = ["octo/hello#7"]
//! token_env = "FAKE_TOKEN"
//! interval = "5s"
//! ```
//!
//! Commands on stdin (one per line): `other` (someone else ticks "Freeze the schema"),
//! `same` (someone else rewrites the "Watch error budget" line), `log` (every write received,
//! with the lines it changed), `body` (the issue body now), `quit`.

#[path = "../tests/github_fake/mod.rs"]
mod github_fake;

use std::io::BufRead;

use github_fake::GithubFake;

const BODY: &str = "Tracking issue for the rollout.\r\n\r\n## Prepare\r\n\r\n- [ ] Freeze the schema\r\n- [x] Announce in #ops\r\n\r\n## Ship\r\n\r\n- [ ] Deploy canary\r\n- [ ] Watch error budget\r\n";

fn changed_lines(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    if a.len() != b.len() {
        return vec![format!("line count {} -> {}", a.len(), b.len())];
    }
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("  - {x:?}\n  + {y:?}"))
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8787);
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let fake = GithubFake::start_on(listener).await;
    let mut issue = GithubFake::issue(7, &[], &[]);
    issue.title = "Rollout plan".into();
    issue.body = Some(BODY.into());
    fake.add(issue);
    println!("github fake on {} serving octo/hello#7", fake.uri());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The body as it was before the next write (someone else's edits included).
    let mut last = BODY.to_owned();
    let mut printed = 0;
    while let Some(cmd) = rx.recv().await {
        match cmd.trim() {
            "other" => {
                fake.edit(7, |i| {
                    let b = i.body.clone().unwrap_or_default();
                    i.body = Some(b.replace("- [ ] Freeze the schema", "- [x] Freeze the schema"));
                });
                last = fake.get(7).body.unwrap_or_default();
                println!("someone else ticked 'Freeze the schema'");
            }
            "same" => {
                fake.edit(7, |i| {
                    let b = i.body.clone().unwrap_or_default();
                    i.body = Some(b.replace("Watch error budget", "Watch error budget for 1h"));
                });
                last = fake.get(7).body.unwrap_or_default();
                println!("someone else rewrote 'Watch error budget'");
            }
            "log" => {
                let writes: Vec<_> = fake
                    .server
                    .received_requests()
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| r.method.as_str() != "GET")
                    .collect();
                println!("{} write(s) received in all", writes.len());
                for r in writes.iter().skip(printed) {
                    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
                    let body = v["body"].as_str().unwrap_or_default().to_owned();
                    println!(
                        "{} {} keys={:?}",
                        r.method,
                        r.url.path(),
                        v.as_object().map(|o| o.keys().collect::<Vec<_>>())
                    );
                    for l in changed_lines(&last, &body) {
                        println!("{l}");
                    }
                    last = body;
                }
                printed = writes.len();
            }
            "body" => println!("{:?}", fake.get(7).body.unwrap_or_default()),
            "quit" => break,
            other => println!("unknown command {other:?}"),
        }
    }
    Ok(())
}
