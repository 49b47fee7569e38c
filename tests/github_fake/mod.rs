//! A stateful GitHub Issues fake on wiremock, serving the vendor's own payload shapes.
//!
//! Items are rendered from GitHub's recorded issue (`issues-list-recorded-page1.json`, octokit
//! fixtures) and the OpenAPI pull-request example (`issues-list.json`), with id, number, state,
//! labels, assignees and times replaced. Pagination follows GitHub: `per_page`/`page`, a `Link`
//! header whose `next` switches to the `/repositories/{id}/issues` form (as recorded), `since`
//! inclusive at second precision, `sort=updated&direction=asc`, ETags over the page body and
//! 304 on `If-None-Match`. Writes change the state, bump `updated_at` and are counted per issue.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Repository id used in the `/repositories/{id}` links.
pub const REPO_ID: u64 = 1000;

const ISSUE_TEMPLATE: &str = include_str!("../fixtures/github/issues-list-recorded-page1.json");
const PR_TEMPLATE: &str = include_str!("../fixtures/github/issues-list.json");

/// One issue (or PR) held by the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub open: bool,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub updated_at: i64,
    pub is_pr: bool,
    pub comments: Vec<String>,
    /// The raw body (`None` renders the template's "Body of N").
    pub body: Option<String>,
}

/// One request the fake saw.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub if_none_match: Option<String>,
    pub authorization: Option<String>,
    pub body: Option<Value>,
    pub at: Instant,
    pub status: u16,
}

impl Logged {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

pub struct FakeState {
    pub owner: String,
    pub repo: String,
    pub base: String,
    pub issues: BTreeMap<u64, Issue>,
    pub clock: i64,
    pub log: Vec<Logged>,
    /// State-changing requests that changed something, per issue number.
    pub effects: BTreeMap<u64, usize>,
    /// Answers for the next requests: `Some` replaces the fake's answer, `None` lets it answer.
    pub injected: VecDeque<Option<ResponseTemplate>>,
    pub write_delay: Duration,
    /// Simulate a token without push access: label/assignee writes are ignored with a 200.
    pub ignore_label_and_assignee_writes: bool,
    issue_template: Value,
    pr_template: Value,
}

pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn rfc3339(secs: i64) -> String {
    Utc.timestamp_opt(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl FakeState {
    fn issue_json(&self, i: &Issue) -> Value {
        let mut v = if i.is_pr {
            self.pr_template.clone()
        } else {
            self.issue_template.clone()
        };
        let labels: Vec<Value> = i
            .labels
            .iter()
            .enumerate()
            .map(|(k, name)| {
                json!({"id": 208_045_946 + k as u64, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
                       "url": format!("{}/repos/{}/{}/labels/{}", self.base, self.owner, self.repo, name),
                       "name": name, "description": null, "color": "ededed", "default": false})
            })
            .collect();
        let users: Vec<Value> = i
            .assignees
            .iter()
            .map(|l| json!({"login": l, "id": 1, "type": "User", "site_admin": false}))
            .collect();
        v["id"] = json!(i.id);
        v["number"] = json!(i.number);
        v["title"] = json!(i.title);
        v["body"] = match &i.body {
            Some(b) => json!(b),
            None => json!(format!("Body of {}", i.number)),
        };
        v["state"] = json!(if i.open { "open" } else { "closed" });
        v["state_reason"] = json!(i.state_reason);
        v["labels"] = Value::Array(labels);
        v["assignee"] = users.first().cloned().unwrap_or(Value::Null);
        v["assignees"] = Value::Array(users);
        v["created_at"] = json!(rfc3339(epoch().timestamp()));
        v["updated_at"] = json!(rfc3339(i.updated_at));
        v["closed_at"] = if i.open {
            Value::Null
        } else {
            json!(rfc3339(i.updated_at))
        };
        v["comments"] = json!(i.comments.len());
        v["html_url"] = json!(format!(
            "https://github.com/{}/{}/issues/{}",
            self.owner, self.repo, i.number
        ));
        v
    }

    fn tick(&mut self) -> i64 {
        self.clock += 1;
        self.clock
    }

    fn list(&self, req: &Request) -> ResponseTemplate {
        let q: BTreeMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let per_page: usize = q
            .get("per_page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30)
            .min(100);
        let page: usize = q
            .get("page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
            .max(1);
        let since = q
            .get("since")
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp());
        let mut items: Vec<&Issue> = self
            .issues
            .values()
            .filter(|i| since.is_none_or(|s| i.updated_at >= s))
            .collect();
        items.sort_by_key(|i| (i.updated_at, i.id));
        let total_pages = items.len().div_ceil(per_page).max(1);
        let slice: Vec<Value> = items
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|i| self.issue_json(i))
            .collect();
        let body = serde_json::to_vec(&slice).unwrap();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        let etag = format!("\"{:016x}\"", h.finish());
        let inm = req
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok());
        if inm == Some(etag.as_str()) {
            return ResponseTemplate::new(304).insert_header("etag", etag.as_str());
        }
        let link_for = |p: usize| {
            let mut qq: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| k.as_str() != "page")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            qq.push(("page".into(), p.to_string()));
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(qq)
                .finish();
            format!("{}/repositories/{REPO_ID}/issues?{query}", self.base)
        };
        let mut links = Vec::new();
        if page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", link_for(page - 1)));
        }
        if page < total_pages {
            links.push(format!("<{}>; rel=\"next\"", link_for(page + 1)));
            links.push(format!("<{}>; rel=\"last\"", link_for(total_pages)));
        }
        if page > 1 {
            links.push(format!("<{}>; rel=\"first\"", link_for(1)));
        }
        let mut t = ResponseTemplate::new(200)
            .set_body_raw(body, "application/json; charset=utf-8")
            .insert_header("etag", etag.as_str())
            .insert_header("x-ratelimit-limit", "5000")
            .insert_header("x-ratelimit-remaining", "4999")
            .insert_header("x-ratelimit-resource", "core");
        if !links.is_empty() {
            t = t.insert_header("link", links.join(", ").as_str());
        }
        t
    }

    fn bump(&mut self, number: u64) {
        let now = self.tick();
        if let Some(i) = self.issues.get_mut(&number) {
            i.updated_at = now;
        }
        *self.effects.entry(number).or_default() += 1;
    }

    fn handle(&mut self, req: &Request) -> ResponseTemplate {
        let prefix = format!("/repos/{}/{}/issues", self.owner, self.repo);
        let path = req.url.path().to_owned();
        let method = req.method.as_str().to_owned();
        if path == prefix || path == format!("/repositories/{REPO_ID}/issues") {
            return self.list(req);
        }
        let Some(rest) = path.strip_prefix(&format!("{prefix}/")) else {
            return ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}));
        };
        let mut parts = rest.splitn(3, '/');
        let number: u64 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let sub = parts.next().unwrap_or("");
        let arg = parts.next().map(percent_decode);
        if !self.issues.contains_key(&number) {
            return ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}));
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let strings = |key: &str| -> Vec<String> {
            body[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let delay = self.write_delay;
        let ignore = self.ignore_label_and_assignee_writes;
        match (method.as_str(), sub) {
            ("GET", "") => {
                // Single-issue reads carry an ETag over the payload and answer 304 on a match,
                // as GitHub does.
                let payload = self.issue_json(&self.issues[&number]);
                let text = payload.to_string();
                let mut h = std::collections::hash_map::DefaultHasher::new();
                text.hash(&mut h);
                let etag = format!("\"{:016x}\"", h.finish());
                let inm = req
                    .headers
                    .get("if-none-match")
                    .and_then(|v| v.to_str().ok());
                if inm == Some(etag.as_str()) {
                    return ResponseTemplate::new(304).insert_header("etag", etag.as_str());
                }
                ResponseTemplate::new(200)
                    .insert_header("etag", etag.as_str())
                    .set_body_raw(text, "application/json; charset=utf-8")
            }
            ("PATCH", "") => {
                let issue = self.issues.get_mut(&number).unwrap();
                let mut changed = false;
                if let Some(state) = body["state"].as_str() {
                    let open = state == "open";
                    if issue.open != open {
                        issue.open = open;
                        issue.state_reason = if open {
                            Some("reopened".into())
                        } else {
                            body["state_reason"]
                                .as_str()
                                .map(str::to_owned)
                                .or(Some("completed".into()))
                        };
                        changed = true;
                    }
                }
                if let Some(text) = body["body"].as_str() {
                    if issue.body.as_deref() != Some(text) {
                        issue.body = Some(text.to_owned());
                        changed = true;
                    }
                }
                if changed {
                    self.bump(number);
                }
                ResponseTemplate::new(200)
                    .set_body_json(self.issue_json(&self.issues[&number]))
                    .set_delay(delay)
            }
            ("POST", "labels") => {
                if !ignore {
                    let issue = self.issues.get_mut(&number).unwrap();
                    let mut changed = false;
                    for l in strings("labels") {
                        if !issue.labels.iter().any(|x| x.eq_ignore_ascii_case(&l)) {
                            issue.labels.push(l);
                            changed = true;
                        }
                    }
                    if changed {
                        self.bump(number);
                    }
                }
                let labels = self.issue_json(&self.issues[&number])["labels"].clone();
                ResponseTemplate::new(200)
                    .set_body_json(labels)
                    .set_delay(delay)
            }
            ("DELETE", "labels") => {
                let name = arg.unwrap_or_default();
                let issue = self.issues.get_mut(&number).unwrap();
                let before = issue.labels.len();
                if !ignore {
                    issue.labels.retain(|l| l != &name);
                }
                if issue.labels.len() == before && !ignore {
                    return ResponseTemplate::new(404)
                        .set_body_json(json!({"message": "Label does not exist"}));
                }
                if !ignore {
                    self.bump(number);
                }
                let labels = self.issue_json(&self.issues[&number])["labels"].clone();
                ResponseTemplate::new(200)
                    .set_body_json(labels)
                    .set_delay(delay)
            }
            ("POST" | "DELETE", "assignees") => {
                if !ignore {
                    let issue = self.issues.get_mut(&number).unwrap();
                    let before = issue.assignees.clone();
                    for a in strings("assignees") {
                        if method == "POST" && !issue.assignees.contains(&a) {
                            issue.assignees.push(a);
                        } else if method == "DELETE" {
                            issue.assignees.retain(|x| x != &a);
                        }
                    }
                    if issue.assignees != before {
                        self.bump(number);
                    }
                }
                let status = if method == "POST" { 201 } else { 200 };
                ResponseTemplate::new(status)
                    .set_body_json(self.issue_json(&self.issues[&number]))
                    .set_delay(delay)
            }
            ("POST", "comments") => {
                let text = body["body"].as_str().unwrap_or("").to_owned();
                self.issues
                    .get_mut(&number)
                    .unwrap()
                    .comments
                    .push(text.clone());
                self.bump(number);
                let mut c: Value = serde_json::from_str(include_str!(
                    "../fixtures/github/issue-comment-create-response.json"
                ))
                .unwrap();
                c["body"] = json!(text);
                ResponseTemplate::new(201).set_body_json(c).set_delay(delay)
            }
            ("GET", "comments") => {
                let list: Vec<Value> = self.issues[&number]
                    .comments
                    .iter()
                    .map(|b| json!({"id": 1, "body": b}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(list)
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
        }
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[derive(Clone)]
struct Handler(Arc<Mutex<FakeState>>);

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let injected = s.injected.pop_front().flatten();
        let response = match injected {
            Some(t) => t,
            None => s.handle(req),
        };
        let header = |n: &str| {
            req.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let logged = Logged {
            method: req.method.as_str().to_owned(),
            path: req.url.path().to_owned(),
            query: req.url.query().map(str::to_owned),
            if_none_match: header("if-none-match"),
            authorization: header("authorization"),
            body: serde_json::from_slice(&req.body).ok(),
            at: Instant::now(),
            status: 0,
        };
        s.log.push(logged);
        response
    }
}

/// The fake server and its state.
pub struct GithubFake {
    pub server: MockServer,
    pub state: Arc<Mutex<FakeState>>,
}

impl GithubFake {
    pub async fn start() -> Self {
        Self::start_with(MockServer::start().await).await
    }

    /// A fake listening on `listener` (a test that takes the server down and brings it back
    /// on the same port binds the port itself).
    pub async fn start_on(listener: std::net::TcpListener) -> Self {
        Self::start_with(MockServer::builder().listener(listener).start().await).await
    }

    async fn start_with(server: MockServer) -> Self {
        let issue_template = serde_json::from_str::<Vec<Value>>(ISSUE_TEMPLATE)
            .unwrap()
            .remove(0);
        let pr_template = serde_json::from_str::<Vec<Value>>(PR_TEMPLATE)
            .unwrap()
            .remove(0);
        let state = Arc::new(Mutex::new(FakeState {
            owner: "octo".into(),
            repo: "hello".into(),
            base: server.uri(),
            issues: BTreeMap::new(),
            clock: epoch().timestamp() + 100_000,
            log: Vec::new(),
            effects: BTreeMap::new(),
            injected: VecDeque::new(),
            write_delay: Duration::ZERO,
            ignore_label_and_assignee_writes: false,
            issue_template,
            pr_template,
        }));
        Mock::given(wiremock::matchers::any())
            .respond_with(Handler(state.clone()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Adds `issues` issues (numbers 1..) and `prs` pull requests after them; `updated_at`
    /// ties in groups of three so page boundaries fall inside a second.
    pub fn seed(&self, issues: u64, prs: u64) {
        let mut s = self.state.lock().unwrap();
        let base = epoch().timestamp();
        for k in 0..issues + prs {
            let number = k + 1;
            s.issues.insert(
                number,
                Issue {
                    id: 5_000_000 + number,
                    number,
                    title: format!("Issue {number}"),
                    open: number % 5 != 0,
                    state_reason: None,
                    labels: if number % 4 == 0 {
                        vec!["P1".into(), "customer:acme".into()]
                    } else {
                        vec!["bug".into()]
                    },
                    assignees: Vec::new(),
                    updated_at: base + (k as i64) / 3,
                    is_pr: k >= issues,
                    comments: Vec::new(),
                    body: None,
                },
            );
        }
    }

    pub fn add(&self, issue: Issue) {
        self.state
            .lock()
            .unwrap()
            .issues
            .insert(issue.number, issue);
    }

    /// A plain open issue with these labels.
    pub fn issue(number: u64, labels: &[&str], assignees: &[&str]) -> Issue {
        Issue {
            id: 5_000_000 + number,
            number,
            title: format!("Issue {number}"),
            open: true,
            state_reason: None,
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            assignees: assignees.iter().map(|s| (*s).to_owned()).collect(),
            updated_at: epoch().timestamp() + number as i64,
            is_pr: false,
            comments: Vec::new(),
            body: None,
        }
    }

    /// A remote edit (someone else on GitHub): bumps `updated_at`, not counted as our effect.
    pub fn edit(&self, number: u64, f: impl FnOnce(&mut Issue)) {
        let mut s = self.state.lock().unwrap();
        let now = s.tick();
        let issue = s.issues.get_mut(&number).unwrap();
        f(issue);
        issue.updated_at = now;
    }

    pub fn get(&self, number: u64) -> Issue {
        self.state.lock().unwrap().issues[&number].clone()
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    /// The next request not yet scripted gets `t` instead of the fake's answer.
    pub fn inject(&self, t: ResponseTemplate) {
        self.state.lock().unwrap().injected.push_back(Some(t));
    }

    /// The next request not yet scripted is answered normally.
    pub fn pass(&self) {
        self.state.lock().unwrap().injected.push_back(None);
    }

    /// The JSON body of issue `number` as the list endpoint renders it.
    pub fn render(&self, number: u64) -> Value {
        let s = self.state.lock().unwrap();
        s.issue_json(&s.issues[&number])
    }

    pub fn set_write_delay(&self, d: Duration) {
        self.state.lock().unwrap().write_delay = d;
    }

    pub fn effects(&self, number: u64) -> usize {
        self.state
            .lock()
            .unwrap()
            .effects
            .get(&number)
            .copied()
            .unwrap_or(0)
    }
}

/// A `[[sources]]` config for the fake.
pub fn config_toml(name: &str, uri: &str, token_env: &str) -> String {
    format!(
        "[[sources]]\nname = \"{name}\"\nkind = \"github\"\nbase_url = \"{uri}\"\nrepos = [\"octo/hello\"]\ntoken_env = \"{token_env}\"\ninterval = \"60s\"\n"
    )
}
