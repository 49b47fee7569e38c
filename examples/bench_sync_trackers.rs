//! Initial-sync ingest benchmark for the three issue trackers (Jira, GitHub, Redmine).
//!
//! A loopback HTTP/1.1 fake on its own thread serves N vendor-shaped issues, 100 per page, from
//! pages rendered before the clock starts (so the figure is opsdeck's, not the fake's): Jira's
//! `search/jql` with `nextPageToken`, GitHub's `issues` with `Link: rel="next"`, Redmine's
//! `issues.json` with `offset`. Each run pulls into a fresh on-disk cache; the median of the
//! runs is printed per tracker, with the request count of the pull, and the process's CPU time
//! per item (user + system, every thread: a figure that other jobs on a shared machine disturb
//! less than the wall clock; it includes the fake's serving, which is small next to ingest).
//!
//! Run: `cargo run --release --example bench_sync_trackers -- [N=10000] [runs=3] [jira,github,redmine]`

#[path = "../tests/github_fake/mod.rs"]
mod github_fake;
#[path = "../tests/trackers_common/mod.rs"]
mod trackers_common;

use opsdeck::sync::{Build as _, Source as _};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use opsdeck::config::SourceKind;
use opsdeck::store::Store;
use opsdeck::sync::github::GithubSource;
use opsdeck::sync::redmine::RedmineSource;
use opsdeck::sync::secret::Secret;
use opsdeck::sync::PullReport;
use serde_json::{json, Value};

const PAGE: usize = 100;

/// A pre-rendered answer: extra header lines and the body.
#[derive(Clone)]
struct Answer {
    headers: String,
    body: Arc<Vec<u8>>,
}

type Routes = Arc<dyn Fn(&url::Url) -> Option<Answer> + Send + Sync>;

fn serve_conn(stream: TcpStream, routes: &Routes, base: &str) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
                break;
            }
        }
        let url = url::Url::parse(&format!("{base}{target}")).expect("request target");
        let answer = routes(&url);
        let (status, headers, body) = match answer {
            Some(a) => ("200 OK", a.headers, a.body),
            None => (
                "404 Not Found",
                String::new(),
                Arc::new(br#"{"message":"Not Found"}"#.to_vec()),
            ),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n{headers}\r\n",
            body.len()
        );
        out.write_all(head.as_bytes())?;
        out.write_all(&body)?;
        out.flush()?;
    }
}

/// Starts the fake; `make` builds the routes from the base URL (`http://127.0.0.1:port`).
fn start(make: impl FnOnce(&str) -> Routes) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let routes = make(&base);
    let b = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = routes.clone();
            let b = b.clone();
            std::thread::spawn(move || {
                let _ = serve_conn(stream, &routes, &b);
            });
        }
    });
    base
}

fn param(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn json_answer(v: &Value) -> Answer {
    Answer {
        headers: String::new(),
        body: Arc::new(serde_json::to_vec(v).expect("render")),
    }
}

fn jira_fake(n: usize) -> String {
    let issues = trackers_common::jira::issues(n);
    let pages: Vec<Answer> = issues
        .chunks(PAGE)
        .enumerate()
        .map(|(p, chunk)| {
            let last = (p + 1) * PAGE >= n;
            let mut body = json!({"issues": chunk, "isLast": last});
            if !last {
                body["nextPageToken"] = json!(format!("tok-{}", p + 1));
            }
            json_answer(&body)
        })
        .collect();
    let empty = json_answer(&json!({"issues": [], "isLast": true}));
    let myself = json_answer(&json!({"accountId": "bench", "timeZone": "UTC"}));
    start(move |_| {
        Arc::new(move |url| match url.path() {
            "/rest/api/3/search/jql" => {
                let p: usize = param(url, "nextPageToken")
                    .and_then(|t| t.strip_prefix("tok-").and_then(|n| n.parse().ok()))
                    .unwrap_or(0);
                Some(pages.get(p).cloned().unwrap_or_else(|| empty.clone()))
            }
            "/rest/api/3/myself" => Some(myself.clone()),
            _ => None,
        })
    })
}

fn redmine_fake(n: usize) -> String {
    let template: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/redmine/issue.json").expect("redmine fixture"),
    )
    .expect("redmine fixture json");
    let statuses = json_answer(
        &serde_json::from_str(
            &std::fs::read_to_string("tests/fixtures/redmine/issue_statuses.json")
                .expect("statuses fixture"),
        )
        .expect("statuses json"),
    );
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-22T05:00:00Z")
        .expect("t0")
        .to_utc();
    let issues: Vec<Value> = (0..n)
        .map(|k| {
            let mut i = template.clone();
            let updated = t0 + chrono::TimeDelta::seconds(k as i64);
            i["id"] = json!(k + 1);
            i["subject"] = json!(format!("issue {}", k + 1));
            i["updated_on"] = json!(updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            i["status"] = json!({"id": 1, "name": "New", "is_closed": false});
            i["priority"] = json!({"id": 2, "name": "Normal"});
            i
        })
        .collect();
    let pages: Vec<Answer> = issues
        .chunks(PAGE)
        .enumerate()
        .map(|(p, chunk)| {
            json_answer(
                &json!({"issues": chunk, "total_count": n, "offset": p * PAGE, "limit": PAGE}),
            )
        })
        .collect();
    let empty = json_answer(&json!({"issues": [], "total_count": n, "offset": n, "limit": PAGE}));
    start(move |_| {
        Arc::new(move |url| match url.path() {
            "/issues.json" => {
                let offset: usize = param(url, "offset")
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0);
                Some(
                    pages
                        .get(offset / PAGE)
                        .cloned()
                        .unwrap_or_else(|| empty.clone()),
                )
            }
            "/issue_statuses.json" => Some(statuses.clone()),
            _ => None,
        })
    })
}

async fn github_fake(n: usize) -> String {
    let fake = github_fake::GithubFake::start().await;
    fake.seed(n as u64, 0);
    let items: Vec<Value> = (1..=n as u64).map(|k| fake.render(k)).collect();
    let bodies: Vec<Arc<Vec<u8>>> = items
        .chunks(PAGE)
        .map(|c| Arc::new(serde_json::to_vec(c).expect("render")))
        .collect();
    start(move |base| {
        let base = base.to_owned();
        let mut answers: HashMap<usize, Answer> = HashMap::new();
        let total = bodies.len();
        for (p, body) in bodies.into_iter().enumerate() {
            let page = p + 1;
            let mut headers = String::from("etag: \"p");
            headers.push_str(&format!("{page}\"\r\n"));
            if page < total {
                headers.push_str(&format!(
                    "link: <{base}/repositories/1/issues?state=all&per_page=100&page={}>; rel=\"next\"\r\n",
                    page + 1
                ));
            }
            answers.insert(page, Answer { headers, body });
        }
        Arc::new(move |url| {
            let page: usize = param(url, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
            answers.get(&page).cloned().or_else(|| {
                Some(Answer {
                    headers: String::new(),
                    body: Arc::new(b"[]".to_vec()),
                })
            })
        })
    })
}

/// User + system CPU seconds of this process so far (`/proc/self/stat`, 100 ticks a second on
/// Linux); `None` where that file does not exist.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the state field (3).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

async fn pull_once(tracker: &str, base: &str) -> (PullReport, f64, i64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("cache.db")).expect("store");
    let clock = trackers_common::real_clock();
    let now = trackers_common::wall_now();
    let t = Instant::now();
    let report = match tracker {
        "jira" => {
            let mut s = trackers_common::jira::source(base);
            s.pull(&mut store, now).await
        }
        "redmine" => {
            let mut cfg = trackers_common::source_config("redmine", SourceKind::Redmine, base, "K");
            cfg.projects = vec!["ops".into()];
            let mut s = RedmineSource::new(&cfg, Some(Secret::new("k")), clock).expect("source");
            s.pull(&mut store, now).await
        }
        _ => {
            let mut cfg = trackers_common::source_config("gh", SourceKind::Github, base, "K");
            cfg.repos = vec!["octo/hello".into()];
            let mut s = GithubSource::new(&cfg, Some(Secret::new("ghp_x")), clock).expect("source");
            s.pull(&mut store, now).await
        }
    }
    .expect("pull");
    let secs = t.elapsed().as_secs_f64();
    let rows: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM bugs", [], |r| r.get(0))
        .expect("count");
    (report, secs, rows)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let which = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "jira,github,redmine".into());
    for tracker in which.split(',') {
        let base = match tracker {
            "jira" => jira_fake(n),
            "redmine" => redmine_fake(n),
            "github" => github_fake(n).await,
            other => panic!("unknown tracker {other}"),
        };
        let mut rates = Vec::new();
        let mut cpu_per_item_us = Vec::new();
        for run in 0..runs {
            let cpu0 = cpu_secs();
            let (report, secs, rows) = pull_once(tracker, &base).await;
            let cpu_us = cpu0.zip(cpu_secs()).map(|(a, b)| (b - a) * 1e6 / n as f64);
            assert_eq!(rows as usize, n, "{tracker}: every issue cached");
            let rate = n as f64 / secs;
            println!(
                "{tracker} run {}: {n} items ({} fetched) in {} requests, {:.3} s = {:.0} items/s, cpu {} µs/item",
                run + 1,
                report.fetched,
                report.requests,
                secs,
                rate,
                cpu_us.map_or_else(|| "?".to_owned(), |c| format!("{c:.1}"))
            );
            rates.push(rate);
            cpu_per_item_us.extend(cpu_us);
        }
        rates.sort_by(f64::total_cmp);
        cpu_per_item_us.sort_by(f64::total_cmp);
        let cpu = cpu_per_item_us
            .get(cpu_per_item_us.len() / 2)
            .map_or_else(|| "?".to_owned(), |c| format!("{c:.1}"));
        println!(
            "{tracker} N={n}: median {:.0} items/s over {runs} runs, median cpu {cpu} µs/item",
            rates[rates.len() / 2]
        );
    }
}
