//! The Jira Cloud connector: pulls issues of the configured projects into the bugs table and
//! pushes triage edits (status by transition, priority, assignee, labels, comments).
//!
//! Pull (API-CONTRACTS.md §2.2–2.4): `GET /rest/api/3/search/jql` with a bounded JQL
//! `project in (…) [AND updated >= "yyyy/MM/dd HH:mm"] ORDER BY updated ASC, key ASC`,
//! `nextPageToken` paging (100 per page). JQL dates have minute resolution and are read in the
//! *calling user's* time zone, so the zone is fetched once from `/rest/api/3/myself` and the
//! bound is the cursor floored to the minute, minus [`JQL_OVERLAP_MINUTES`]. The overlap is
//! re-fetched on purpose; rows already cached as is are skipped. The cursor is the largest
//! `fields.updated` seen, committed with each page in one transaction.
//!
//! Push (§2.5–2.6, RELIABILITY.md §8.1): status, priority and assignee edits read the issue
//! first (target already there → done without a write; moved away from the value the user saw
//! → conflict); status changes go through the transition named in `transitions.<status>` (or,
//! unconfigured, the one whose target category matches); its reason is a comment sent after the
//! transition, so a retry that finds the issue already at the target posts the reason if the
//! issue does not carry it yet (a kill between the two requests lost it). Labels use `update`
//! add/remove so other labels stay; comments are ADF. A comment re-sent after an unknown
//! outcome is looked for first.

mod adf;
pub mod dto;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

use super::http::{ApiError, ApiRequest, AuthScheme, HttpClient};
use super::source::{Build, Meta, Now, PullResult, Settings};
use super::tracker::ingest::{self, Pages};
use super::tracker::{self, Tracker};
use super::{PullReport, PushOutcome, SyncError};
use crate::config::SourceKind;
use crate::domain::{BugStatus, Priority};
use crate::store::outbox::{Operation, OutboxEntry};
use crate::store::trackers::RemoteBug;
use crate::store::Store;
use dto::{CommentsDto, IssueDto, Mapping, MyselfDto, SearchPage, TransitionsDto, UserDto};

pub use adf::{flatten as adf_to_text, from_text as text_to_adf};

/// Issues per search page (Jira's maximum for a few fields).
pub const PAGE_SIZE: u32 = 100;
/// Minutes subtracted from the floored cursor (search index lag, clock skew).
pub const JQL_OVERLAP_MINUTES: i64 = 2;
/// Extra margin when the user's time zone is unknown (covers every UTC offset).
const UNKNOWN_ZONE_MARGIN_MINUTES: i64 = 14 * 60;
/// Upper bound on pages per pull (5000 issues per search × safety).
const MAX_PAGES: usize = 1000;
/// Comments read when checking whether an earlier attempt already landed.
const COMMENT_LOOKBACK: u32 = 100;
/// Fields requested from search.
pub const FIELDS: &str =
    "summary,status,priority,assignee,labels,updated,created,resolution,resolutiondate,description";

/// Default priority names (Jira's current and legacy schemes).
pub const DEFAULT_PRIORITIES: tracker::Defaults = &[
    (Priority::P0, &["Highest", "Blocker"]),
    (Priority::P1, &["High", "Critical"]),
    (Priority::P2, &["Medium", "Major"]),
    (Priority::P3, &["Low", "Lowest", "Minor", "Trivial"]),
];

/// A search page mapped off the runtime: the bugs (with whether Jira dated them) and the
/// token of the page after it.
struct MappedPage {
    bugs: Vec<(crate::domain::Bug, bool)>,
    next: Option<String>,
}

/// A Jira Cloud source.
#[derive(Debug)]
pub struct JiraSource {
    name: String,
    projects: Vec<String>,
    client: Arc<HttpClient>,
    site: Url,
    map: Mapping,
    transitions: BTreeMap<BugStatus, String>,
    /// The API user's zone for JQL dates: `None` until fetched, `Some(None)` when unknown.
    zone: Option<Option<chrono_tz::Tz>>,
}

impl Build for JiraSource {
    /// Builds the source; `token` is the API token. Fails without `base_url`, `email`, token
    /// or projects, or with a bad `priority_map`/`status_map`/`transitions` entry.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
        if cfg.kind != SourceKind::Jira {
            return Err(tracker::config_error(cfg, "not a jira source"));
        }
        let email = cfg
            .email
            .clone()
            .filter(|e| !e.trim().is_empty())
            .ok_or_else(|| {
                tracker::config_error(
                    cfg,
                    "email is required (the Atlassian account of the API token)",
                )
            })?;
        let token = token.ok_or_else(|| {
            tracker::config_error(
                cfg,
                "an API token is required: set token_env or token_command",
            )
        })?;
        let projects = tracker::projects(cfg);
        if projects.is_empty() {
            return Err(tracker::config_error(
                cfg,
                "projects is empty: list the Jira project keys to sync (JQL must be bounded)",
            ));
        }
        let mut transitions = BTreeMap::new();
        for (target, name) in &cfg.transitions {
            let status = tracker::parse_status(target).ok_or_else(|| {
                tracker::config_error(
                    cfg,
                    format!("transitions.{target}: the key must be open, in_progress or closed"),
                )
            })?;
            transitions.insert(status, name.trim().to_owned());
        }
        let map = Mapping::new(cfg, DEFAULT_PRIORITIES)?;
        let auth = tracker::auth(
            cfg,
            AuthScheme::Basic { email },
            token,
            &tracker::unset_token(cfg),
        );
        let (client, site) = tracker::client(cfg, Some(auth), clock, tune)?;
        Ok(JiraSource {
            name: cfg.name.clone(),
            projects,
            client: Arc::new(client),
            site,
            map,
            transitions,
            zone: None,
        })
    }
}

impl Tracker for JiraSource {
    const TRACKER: Meta = Meta::new("jira", "Jira");

    /// One incremental pull (see the module docs).
    async fn pages(&mut self, store: &mut Store, cursor: Option<String>, now: Now) -> PullResult {
        let mut report = PullReport::default();
        let mut max_updated = cursor.as_deref().and_then(parse_cursor);
        let since = match max_updated {
            Some(c) => Some(self.jql_since(c, &mut report).await?),
            None => None,
        };
        let jql = self.jql(since.as_deref());
        let (name, site, map) = (self.name.clone(), self.site.clone(), self.map.clone());
        let first = self.search_request(&jql, None)?;
        let mut pages = Pages::start(&self.client, &self.name, first, MAX_PAGES, move |answer| {
            let page: SearchPage = answer.json()?;
            page.issues.warn_skipped(&name, "Jira");
            let bugs = page
                .issues
                .items
                .iter()
                .filter_map(|issue| {
                    let dated = issue.fields.updated.as_ref().and_then(dto::parse_time);
                    let bug = dto::draft(issue, &site, &map)?.into_bug(&name, now)?;
                    Some((bug, dated.is_some()))
                })
                .collect();
            let next = page.next_page_token.filter(|t| !t.is_empty());
            let next = next.filter(|_| page.is_last != Some(true));
            Ok(MappedPage { bugs, next })
        });
        let mut seen: HashSet<String> = HashSet::new();
        let mut token: Option<String> = None;
        let next_request = |page: &MappedPage, token: &Option<String>| match &page.next {
            None => Ok(None),
            Some(next) if Some(next) == token.as_ref() => Err(tracker::protocol_error(
                &self.name,
                "search returned the same nextPageToken twice",
            )),
            Some(next) => Ok(Some(self.search_request(&jql, Some(next))?)),
        };
        let mut batch = ingest::Batch::default();
        let walked: Result<(), SyncError> = async {
            while let Some(page) = pages.next(|p| next_request(p, &token)).await? {
                let mut bugs = Vec::with_capacity(page.bugs.len());
                for (bug, dated) in page.bugs {
                    if dated {
                        max_updated = max_updated.max(Some(bug.updated_at));
                    }
                    if seen.insert(bug.external_id.clone()) {
                        report.fetched += 1;
                    }
                    bugs.push(bug);
                }
                let cursor_text = max_updated.map(format_cursor);
                batch.add(store, &self.name, bugs, cursor_text, now)?;
                token = page.next;
            }
            Ok(())
        }
        .await;
        batch.finish(store, &self.name, now, walked, &pages, &mut report)?;
        Ok(report)
    }

    /// One bug edit (see the module docs for the per-operation rules).
    async fn op(&mut self, bug: &RemoteBug, entry: &OutboxEntry) -> Result<PushOutcome, ApiError> {
        let key = &bug.key;
        match &entry.op {
            Operation::SetBugStatus { old, new, reason } => {
                let issue = self.get_issue(key).await?;
                let remote = dto::status(&self.map, issue.fields.status.as_ref());
                match tracker::guard(remote, *old, *new, || status_label(&issue, remote)) {
                    Some(PushOutcome::Done) => {
                        // A retry after an unknown outcome: the transition may have been ours
                        // and the reason comment (a second request) never sent. Post it unless
                        // the issue already carries it.
                        let reason = reason.as_deref().filter(|r| !r.trim().is_empty());
                        if let Some(reason) = reason {
                            if entry.attempts > 1 && !self.has_comment(key, reason).await? {
                                let payload = json!({"body": adf::from_text(reason)});
                                let path = issue_path(key, "/comment");
                                self.send_json(Method::POST, &path, &payload).await?;
                            }
                        }
                        Ok(PushOutcome::Done)
                    }
                    Some(stop) => Ok(stop),
                    None => self.transition(key, *new, reason.as_deref()).await,
                }
            }
            Operation::SetBugPriority { old, new } => {
                let issue = self.get_issue(key).await?;
                let name = issue.fields.priority.as_ref().and_then(|p| p.name.clone());
                let remote = self.map.priority(name.as_deref());
                let shown = || format!("{remote} ({})", name.as_deref().unwrap_or("no priority"));
                if let Some(stop) = tracker::guard(remote, *old, *new, shown) {
                    return Ok(stop);
                }
                let Some(target) = self.map.priorities.names_for(*new).into_iter().next() else {
                    return Ok(PushOutcome::Failed(format!(
                        "no Jira priority maps to {new}; add one to priority_map"
                    )));
                };
                let body = json!({"fields": {"priority": {"name": target}}});
                self.send_json(Method::PUT, &issue_path(key, ""), &body)
                    .await
            }
            Operation::SetBugAssignee { old, new } => {
                let issue = self.get_issue(key).await?;
                let remote = issue.fields.assignee;
                if same_user(remote.as_ref(), new.as_deref()) {
                    return Ok(PushOutcome::Done);
                }
                if !same_user(remote.as_ref(), old.as_deref()) {
                    let shown = remote
                        .and_then(|u| u.display_name.or(u.account_id))
                        .unwrap_or_else(|| "unassigned".into());
                    return Ok(tracker::conflict(&shown));
                }
                let account = match new {
                    None => Value::Null,
                    Some(who) => match self.account_id(who).await? {
                        Ok(id) => Value::String(id),
                        Err(message) => return Ok(PushOutcome::Failed(message)),
                    },
                };
                let body = json!({"accountId": account});
                self.send_json(Method::PUT, &issue_path(key, "/assignee"), &body)
                    .await
            }
            Operation::AddBugLabel { label } => {
                let body = json!({"update": {"labels": [{"add": label}]}});
                self.send_json(Method::PUT, &issue_path(key, ""), &body)
                    .await
            }
            Operation::RemoveBugLabel { label } => {
                let body = json!({"update": {"labels": [{"remove": label}]}});
                self.send_json(Method::PUT, &issue_path(key, ""), &body)
                    .await
            }
            Operation::AddBugComment { body } => {
                if entry.attempts > 1 && self.has_comment(key, body).await? {
                    return Ok(PushOutcome::Done);
                }
                let payload = json!({"body": adf::from_text(body)});
                self.send_json(Method::POST, &issue_path(key, "/comment"), &payload)
                    .await
            }
            other => Ok(PushOutcome::Failed(format!(
                "Jira cannot take this edit ({})",
                other.describe()
            ))),
        }
    }

    fn source_name(&self) -> &str {
        &self.name
    }
}

impl JiraSource {
    /// The JQL for a pull; `since` is the lower bound already in the user's zone.
    #[must_use]
    pub fn jql(&self, since: Option<&str>) -> String {
        let projects: Vec<String> = self.projects.iter().map(|p| quote(p)).collect();
        let mut jql = format!("project in ({})", projects.join(", "));
        if let Some(since) = since {
            jql.push_str(&format!(" AND updated >= \"{since}\""));
        }
        jql.push_str(" ORDER BY updated ASC, key ASC");
        jql
    }

    /// The search request for `jql`, continuing after `token`.
    fn search_request(&self, jql: &str, token: Option<&str>) -> Result<ApiRequest, ApiError> {
        let mut url = self.client.url("rest/api/3/search/jql")?;
        url.query_pairs_mut()
            .append_pair("jql", jql)
            .append_pair("fields", FIELDS)
            .append_pair("maxResults", &PAGE_SIZE.to_string());
        if let Some(t) = token {
            url.query_pairs_mut().append_pair("nextPageToken", t);
        }
        Ok(ApiRequest::get(url))
    }

    /// The JQL lower bound for `cursor`: in the API user's zone, floored to the minute, minus
    /// the overlap (a wider margin when the zone is unknown).
    async fn jql_since(
        &mut self,
        cursor: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<String, SyncError> {
        if self.zone.is_none() {
            let url = self.client.url("rest/api/3/myself")?;
            let response = self.client.send_with_retry(ApiRequest::get(url)).await?;
            report.requests += 1;
            let me: MyselfDto = response.json()?;
            let zone = me.time_zone.as_deref().and_then(|z| z.parse().ok());
            if zone.is_none() {
                tracing::warn!(source = %self.name, "Jira did not say the API user's time zone; widening the sync overlap");
            }
            self.zone = Some(zone);
        }
        Ok(jql_bound(cursor, self.zone.flatten()))
    }

    async fn get_issue(&self, key: &str) -> Result<IssueDto, ApiError> {
        let mut url = self.client.url(&issue_path(key, ""))?;
        url.query_pairs_mut()
            .append_pair("fields", "status,priority,assignee");
        self.client.send(ApiRequest::get(url)).await?.json()
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<PushOutcome, ApiError> {
        let req = ApiRequest::new(method, self.client.url(path)?).json(body)?;
        self.client.send(req).await?;
        Ok(PushOutcome::Done)
    }

    async fn transition(
        &self,
        key: &str,
        target: BugStatus,
        reason: Option<&str>,
    ) -> Result<PushOutcome, ApiError> {
        let url = self.client.url(&issue_path(key, "/transitions"))?;
        let list: TransitionsDto = self.client.send(ApiRequest::get(url)).await?.json()?;
        let configured = self.transitions.get(&target);
        let chosen = list.items.iter().find(|t| match configured {
            Some(name) => t
                .name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name)),
            None => dto::status(&self.map, t.to.as_ref()) == target,
        });
        let Some(id) = chosen.and_then(|t| dto::id_text(&t.id)) else {
            let available: Vec<String> = list
                .items
                .iter()
                .filter_map(|t| t.name.as_deref().map(crate::sanitize::line))
                .collect();
            let available = if available.is_empty() {
                "none (does the API user have the Transition issues permission?)".to_owned()
            } else {
                available.join(", ")
            };
            let wanted = match configured {
                Some(name) => format!("the transition {name:?} (transitions.{target})"),
                None => {
                    format!("a transition to {target} (set transitions.{target} in the config)")
                }
            };
            return Ok(PushOutcome::Failed(format!(
                "{key} has no {wanted}; available: {available}"
            )));
        };
        let body = json!({"transition": {"id": id}});
        let outcome = self
            .send_json(Method::POST, &issue_path(key, "/transitions"), &body)
            .await?;
        if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
            let payload = json!({"body": adf::from_text(reason)});
            if let Err(e) = self
                .send_json(Method::POST, &issue_path(key, "/comment"), &payload)
                .await
            {
                tracing::warn!(source = %self.name, key, error = %e, "status changed but the reason comment failed");
            }
        }
        Ok(outcome)
    }

    async fn has_comment(&self, key: &str, body: &str) -> Result<bool, ApiError> {
        let mut url = self.client.url(&issue_path(key, "/comment"))?;
        url.query_pairs_mut()
            .append_pair("orderBy", "-created")
            .append_pair("maxResults", &COMMENT_LOOKBACK.to_string());
        let list: CommentsDto = self.client.send(ApiRequest::get(url)).await?.json()?;
        let wanted = body.trim();
        Ok(list.items.iter().any(|c| adf::flatten(&c.body) == wanted))
    }

    /// The account id for `who`: taken as is when it looks like one, else the single active
    /// user whose display name or email matches exactly. `Err(message)` when none or several.
    async fn account_id(&self, who: &str) -> Result<Result<String, String>, ApiError> {
        if looks_like_account_id(who) {
            return Ok(Ok(who.to_owned()));
        }
        let mut url = self.client.url("rest/api/3/user/search")?;
        url.query_pairs_mut().append_pair("query", who);
        let users: Vec<UserDto> = self.client.send(ApiRequest::get(url)).await?.json()?;
        let matches: Vec<&UserDto> = users
            .iter()
            .filter(|u| u.active != Some(false) && same_user(Some(u), Some(who)))
            .collect();
        Ok(match matches.as_slice() {
            [one] => one
                .account_id
                .clone()
                .ok_or_else(|| format!("Jira user {who:?} has no account id")),
            [] => Err(format!("no active Jira user matches {who:?}")),
            _ => Err(format!(
                "{} Jira users match {who:?}; use the account id",
                matches.len()
            )),
        })
    }
}

fn issue_path(key: &str, tail: &str) -> String {
    let key: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    format!("rest/api/3/issue/{key}{tail}")
}

fn status_label(issue: &IssueDto, status: BugStatus) -> String {
    match issue.fields.status.as_ref().and_then(|s| s.name.as_deref()) {
        Some(name) => format!("{status} ({name})"),
        None => status.to_string(),
    }
}

fn same_user(user: Option<&UserDto>, who: Option<&str>) -> bool {
    match (user, who.map(str::trim).filter(|w| !w.is_empty())) {
        (None, None) => true,
        (Some(u), Some(w)) => [&u.account_id, &u.display_name, &u.email_address]
            .iter()
            .any(|v| {
                v.as_deref()
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case(w))
            }),
        _ => false,
    }
}

/// Cloud account ids: `557058:f581…` or 24 hex digits.
fn looks_like_account_id(s: &str) -> bool {
    let s = s.trim();
    !s.contains(char::is_whitespace)
        && (s.contains(':') || (s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit())))
}

/// A JQL string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The stored cursor form: RFC 3339 UTC with milliseconds.
#[must_use]
pub fn format_cursor(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_cursor(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The JQL `updated >=` bound for `cursor`: in `zone` (UTC plus a 14 h margin when unknown),
/// floored to the minute, minus [`JQL_OVERLAP_MINUTES`]; formatted `yyyy/MM/dd HH:mm`.
#[must_use]
pub fn jql_bound(cursor: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    let margin = JQL_OVERLAP_MINUTES
        + if zone.is_some() {
            0
        } else {
            UNKNOWN_ZONE_MARGIN_MINUTES
        };
    let floored = cursor
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(cursor);
    let bound = floored - TimeDelta::minutes(margin);
    match zone {
        Some(z) => bound.with_timezone(&z).format("%Y/%m/%d %H:%M").to_string(),
        None => bound.format("%Y/%m/%d %H:%M").to_string(),
    }
}
