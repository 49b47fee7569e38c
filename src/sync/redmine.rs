//! The Redmine connector: pulls issues (all statuses) of the configured projects into the bugs
//! table and pushes triage edits (status, priority, assignee, notes) with `PUT /issues/{id}.json`.
//!
//! Auth is the API key in `X-Redmine-API-Key`. Pull: `GET /issues.json?status_id=*` sorted by
//! `updated_on` then `id`, `updated_on=>=<cursor>`, offset paging (100 per page, `total_count`).
//! Redmine widens `>=` to "after cursor − 1 s", so the boundary is re-fetched; rows already
//! cached as is are skipped and an issue seen twice in one pull is counted once. Offset paging
//! can skip an issue when another one moves to the end while we page (it was updated) or the
//! total shrinks; when either is seen, the cursor stops advancing for the rest of the pull so
//! the next pull re-reads from there. Each page and its cursor are one transaction.
//!
//! Mapping (overridable with `priority_map` / `status_map`): Immediate → P0, Urgent and High →
//! P1, Normal → P2, Low → P3 (writes pick the least severe remote priority of the target
//! level, e.g. P1 → High); a status that closes issues → closed, "In Progress" → in progress,
//! else open (writes: the first status in workflow order with the target meaning, e.g. Closed,
//! New). Keys are `RM-<id>` so they never collide with GitHub's `#<n>`. A close reason is sent
//! as the note of the same update.
//!
//! Pushes of status, priority and assignee read the issue first (already at target → done;
//! moved away from what the user saw → conflict); a note re-sent after an unknown outcome is
//! looked for in the journals first.

pub mod dto;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Map, Value};
use url::Url;

use super::http::{ApiError, ApiRequest, AuthScheme, HttpClient};
use super::source::{Build, Meta, Now, PullResult, Settings};
use super::tracker::ingest::{self, Pages};
use super::tracker::{self, Names, Tracker};
use super::{PullReport, PushOutcome, SyncError};
use crate::config::SourceKind;
use crate::domain::{BugStatus, Priority};
use crate::store::outbox::{Operation, OutboxEntry};
use crate::store::trackers::RemoteBug;
use crate::store::Store;
use dto::{
    IssueDto, IssueWrap, IssuesPage, Mapping, PrioritiesDto, PriorityDef, StatusesDto, UsersDto,
};

/// Issues per page (Redmine's cap).
pub const PAGE_SIZE: u32 = 100;
/// The API key header.
pub const KEY_HEADER: &str = "X-Redmine-API-Key";
/// Upper bound on pages per pull.
const MAX_PAGES: usize = 10_000;

/// Default priority names of Redmine's English default data.
pub const DEFAULT_PRIORITIES: tracker::Defaults = &[
    (Priority::P0, &["Immediate"]),
    (Priority::P1, &["Urgent", "High"]),
    (Priority::P2, &["Normal"]),
    (Priority::P3, &["Low"]),
];

/// A Redmine source.
#[derive(Debug)]
pub struct RedmineSource {
    name: String,
    projects: Vec<String>,
    client: Arc<HttpClient>,
    site: Url,
    map: Mapping,
    /// Numeric ids of `projects` (only needed with more than one project).
    project_ids: Option<Vec<u64>>,
    priorities: Option<Vec<PriorityDef>>,
}

/// What a pull learned about one issue within the pull.
type Seen = HashMap<u64, DateTime<Utc>>;

impl Build for RedmineSource {
    /// Builds the source; `token` is the API key. Fails without `base_url` or key, or with a
    /// bad map entry.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
        if cfg.kind != SourceKind::Redmine {
            return Err(tracker::config_error(cfg, "not a redmine source"));
        }
        let token = token.ok_or_else(|| {
            tracker::config_error(
                cfg,
                "an API key is required: set token_env or token_command",
            )
        })?;
        let map = Mapping {
            names: Names::new(cfg, DEFAULT_PRIORITIES)?,
            defs: Vec::new(),
        };
        let scheme = AuthScheme::Header {
            name: KEY_HEADER.to_owned(),
        };
        let auth = tracker::auth(cfg, scheme, token, &tracker::unset_token(cfg));
        let (client, site) = tracker::client(cfg, Some(auth), clock, tune)?;
        Ok(RedmineSource {
            name: cfg.name.clone(),
            projects: tracker::projects(cfg),
            client: Arc::new(client),
            site,
            map,
            project_ids: None,
            priorities: None,
        })
    }
}

impl Tracker for RedmineSource {
    const TRACKER: Meta = Meta::new("redmine", "Redmine");

    /// One incremental pull (see the module docs).
    async fn pages(&mut self, store: &mut Store, cursor: Option<String>, now: Now) -> PullResult {
        let mut report = PullReport::default();
        if self.map.defs.is_empty() {
            self.load_statuses(&mut report).await?;
        }
        if self.projects.len() > 1 && self.project_ids.is_none() {
            self.load_project_ids(&mut report).await?;
        }
        let since = cursor.as_deref().and_then(|c| dto::parse_time(Some(c)));
        let mut max_updated = since;
        let mut seen = Seen::new();
        let mut first_total: Option<u64> = None;
        let mut frozen = false;
        let mut offset: u64 = 0;
        let first = ApiRequest::get(self.issues_url(since, 0)?);
        let name = self.name.clone();
        let mut pages = Pages::start(&self.client, &self.name, first, MAX_PAGES, move |answer| {
            let page: IssuesPage = answer.json()?;
            page.issues.warn_skipped(&name, "Redmine");
            Ok(page)
        });
        let mut batch = ingest::Batch::default();
        let walked: Result<(), SyncError> = async {
            loop {
                let next_request = |page: &IssuesPage| -> Result<Option<ApiRequest>, SyncError> {
                    let received = page.received();
                    let next = offset + received;
                    if received == 0 || next >= page.total_count.unwrap_or(0) {
                        return Ok(None);
                    }
                    Ok(Some(ApiRequest::get(self.issues_url(since, next)?)))
                };
                let Some(page) = pages.next(next_request).await? else {
                    break;
                };
                let total = page.total_count.unwrap_or(0);
                match first_total {
                    None => first_total = Some(total),
                    Some(first) if total < first => frozen = true,
                    Some(_) => {}
                }
                offset += page.received();
                let issues = page.issues.items;
                if issues
                    .iter()
                    .any(|i| !self.map.knows_status(i.status.as_ref().and_then(|s| s.id)))
                {
                    self.load_statuses(&mut report).await?;
                }
                let mut bugs = Vec::new();
                let mut page_max = max_updated;
                for issue in &issues {
                    let draft = dto::draft(issue, &self.site, &self.map);
                    let Some(bug) = draft.and_then(|d| d.into_bug(&self.name, now)) else {
                        continue;
                    };
                    let Some(id) = issue.id else { continue };
                    match seen.insert(id, bug.updated_at) {
                        Some(before) if before == bug.updated_at => continue,
                        // Seen earlier in this pull and updated since: the list shifted under us.
                        Some(_) => frozen = true,
                        None => report.fetched += 1,
                    }
                    if dto::parse_time(issue.updated_on.as_deref()).is_some() {
                        page_max = page_max.max(Some(bug.updated_at));
                    }
                    bugs.push(bug);
                }
                if !frozen {
                    max_updated = page_max;
                }
                let cursor_text = max_updated.map(format_cursor);
                batch.add(store, &self.name, bugs, cursor_text, now)?;
            }
            Ok(())
        }
        .await;
        batch.finish(store, &self.name, now, walked, &pages, &mut report)?;
        if frozen {
            tracing::info!(source = %self.name, "issues moved while paging; the next pull re-reads from the last safe point");
        }
        Ok(report)
    }

    /// One bug edit (see the module docs for the per-operation rules).
    async fn op(&mut self, bug: &RemoteBug, entry: &OutboxEntry) -> Result<PushOutcome, ApiError> {
        let id = &bug.external_id;
        let mut fields = Map::new();
        match &entry.op {
            Operation::SetBugStatus { old, new, reason } => {
                let issue = self.get_issue(id, false).await?;
                if !self
                    .map
                    .knows_status(issue.status.as_ref().and_then(|s| s.id))
                    || self.map.defs.is_empty()
                {
                    self.reload_statuses().await?;
                }
                let remote = self.map.status_of(issue.status.as_ref());
                if let Some(stop) =
                    tracker::guard(remote, *old, *new, || status_label(&issue, remote))
                {
                    return Ok(stop);
                }
                let target = self.map.defs.iter().find(|d| {
                    self.map
                        .status(Some(&d.name), Some(d.id), Some(d.is_closed))
                        == *new
                });
                let Some(target) = target else {
                    return Ok(PushOutcome::Failed(format!(
                        "no Redmine status means {new}; map one with status_map"
                    )));
                };
                fields.insert("status_id".into(), json!(target.id));
                if let Some(reason) = reason.as_deref().filter(|r| !r.trim().is_empty()) {
                    fields.insert("notes".into(), json!(reason));
                }
            }
            Operation::SetBugPriority { old, new } => {
                let issue = self.get_issue(id, false).await?;
                let name = issue.priority.as_ref().and_then(|p| p.name.clone());
                let remote = self.map.names.priority(name.as_deref());
                let shown = || format!("{remote} ({})", name.as_deref().unwrap_or("no priority"));
                if let Some(stop) = tracker::guard(remote, *old, *new, shown) {
                    return Ok(stop);
                }
                let priorities = self.priorities().await?;
                // Least severe first in Redmine's order: P1 → High rather than Urgent.
                let target = priorities
                    .iter()
                    .filter(|p| p.active != Some(false))
                    .find(|p| self.map.names.priorities.get(&p.name) == Some(*new));
                let Some(target) = target else {
                    return Ok(PushOutcome::Failed(format!(
                        "no Redmine priority maps to {new}; add one to priority_map"
                    )));
                };
                fields.insert("priority_id".into(), json!(target.id));
            }
            Operation::SetBugAssignee { old, new } => {
                let issue = self.get_issue(id, false).await?;
                let remote = issue.assigned_to.clone();
                let remote_name = remote.as_ref().and_then(|r| r.name.clone());
                if same_name(remote_name.as_deref(), new.as_deref()) {
                    return Ok(PushOutcome::Done);
                }
                let target = match new {
                    None => None,
                    Some(who) => match self.user_id(who).await? {
                        Ok(uid) => Some(uid),
                        Err(message) => return Ok(PushOutcome::Failed(message)),
                    },
                };
                if target.is_some() && remote.as_ref().and_then(|r| r.id) == target {
                    return Ok(PushOutcome::Done);
                }
                if !same_name(remote_name.as_deref(), old.as_deref()) {
                    return Ok(tracker::conflict(
                        remote_name.as_deref().unwrap_or("unassigned"),
                    ));
                }
                fields.insert(
                    "assigned_to_id".into(),
                    target.map_or_else(|| json!(""), |uid| json!(uid)),
                );
            }
            Operation::AddBugComment { body } => {
                if entry.attempts > 1 {
                    let issue = self.get_issue(id, true).await?;
                    let wanted = body.trim();
                    if issue
                        .journals
                        .iter()
                        .any(|j| j.notes.as_deref().map(str::trim) == Some(wanted))
                    {
                        return Ok(PushOutcome::Done);
                    }
                }
                fields.insert("notes".into(), json!(body));
            }
            Operation::AddBugLabel { .. } | Operation::RemoveBugLabel { .. } => {
                return Ok(PushOutcome::Failed(
                    "Redmine issues have no labels; this edit stays local".into(),
                ));
            }
            other => {
                return Ok(PushOutcome::Failed(format!(
                    "Redmine cannot take this edit ({})",
                    other.describe()
                )));
            }
        }
        let url = self.client.url(&format!("issues/{}.json", encode(id)))?;
        let req = ApiRequest::new(Method::PUT, url).json(&json!({ "issue": fields }))?;
        self.client.send(req).await?;
        Ok(PushOutcome::Done)
    }

    fn source_name(&self) -> &str {
        &self.name
    }
}

impl RedmineSource {
    fn issues_url(&self, since: Option<DateTime<Utc>>, offset: u64) -> Result<Url, ApiError> {
        let mut url = self.client.url("issues.json")?;
        {
            let mut q = url.query_pairs_mut();
            match (&self.project_ids, self.projects.as_slice()) {
                (Some(ids), _) => {
                    // Several projects: the generic filter form (short filters are then ignored).
                    q.append_pair("set_filter", "1")
                        .append_pair("f[]", "status_id")
                        .append_pair("op[status_id]", "*")
                        .append_pair("f[]", "project_id")
                        .append_pair("op[project_id]", "=");
                    for id in ids {
                        q.append_pair("v[project_id][]", &id.to_string());
                    }
                    if let Some(s) = since {
                        q.append_pair("f[]", "updated_on")
                            .append_pair("op[updated_on]", ">=")
                            .append_pair("v[updated_on][]", &format_cursor(s));
                    }
                }
                (None, projects) => {
                    q.append_pair("status_id", "*");
                    if let [project] = projects {
                        q.append_pair("project_id", project);
                    }
                    if let Some(s) = since {
                        q.append_pair("updated_on", &format!(">={}", format_cursor(s)));
                    }
                }
            }
            q.append_pair("sort", "updated_on:asc,id:asc")
                .append_pair("offset", &offset.to_string())
                .append_pair("limit", &PAGE_SIZE.to_string());
        }
        Ok(url)
    }

    async fn load_statuses(&mut self, report: &mut PullReport) -> Result<(), SyncError> {
        let url = self.client.url("issue_statuses.json")?;
        let response = self.client.send_with_retry(ApiRequest::get(url)).await?;
        report.requests += 1;
        let list: StatusesDto = response.json()?;
        self.map.defs = list.items;
        Ok(())
    }

    async fn load_project_ids(&mut self, report: &mut PullReport) -> Result<(), SyncError> {
        let mut ids = Vec::new();
        for project in &self.projects {
            if let Ok(id) = project.parse::<u64>() {
                ids.push(id);
                continue;
            }
            let path = format!("projects/{}.json", encode(project));
            let response = self
                .client
                .send_with_retry(ApiRequest::get(self.client.url(&path)?))
                .await?;
            report.requests += 1;
            let body: Value = response.json()?;
            let id = body
                .pointer("/project/id")
                .and_then(Value::as_u64)
                .ok_or_else(|| {
                    tracker::protocol_error(&self.name, format!("project {project:?} has no id"))
                })?;
            ids.push(id);
        }
        self.project_ids = Some(ids);
        Ok(())
    }

    async fn get_issue(&self, id: &str, journals: bool) -> Result<IssueDto, ApiError> {
        let mut url = self.client.url(&format!("issues/{}.json", encode(id)))?;
        if journals {
            url.query_pairs_mut().append_pair("include", "journals");
        }
        let wrap: IssueWrap = self.client.send(ApiRequest::get(url)).await?.json()?;
        Ok(wrap.issue)
    }

    async fn reload_statuses(&mut self) -> Result<(), ApiError> {
        let url = self.client.url("issue_statuses.json")?;
        let list: StatusesDto = self.client.send(ApiRequest::get(url)).await?.json()?;
        self.map.defs = list.items;
        Ok(())
    }

    async fn priorities(&mut self) -> Result<Vec<PriorityDef>, ApiError> {
        if let Some(p) = &self.priorities {
            return Ok(p.clone());
        }
        let url = self.client.url("enumerations/issue_priorities.json")?;
        let list: PrioritiesDto = self.client.send(ApiRequest::get(url)).await?.json()?;
        self.priorities = Some(list.items.clone());
        Ok(list.items)
    }

    /// The user id for a login, full name or email via `/users.json?name=` (admin keys only).
    /// `Err(message)` when no single user matches or the key may not list users.
    async fn user_id(&self, who: &str) -> Result<Result<u64, String>, ApiError> {
        let mut url = self.client.url("users.json")?;
        url.query_pairs_mut().append_pair("name", who);
        let users: UsersDto = match self.client.send(ApiRequest::get(url)).await {
            Ok(r) => r.json()?,
            Err(ApiError::Permanent { status: 403, .. }) => {
                return Ok(Err(format!(
                    "cannot look up Redmine user {who:?}: listing users needs an administrator's API key"
                )));
            }
            Err(e) => return Err(e),
        };
        let matches: Vec<u64> = users
            .items
            .iter()
            .filter(|u| u.matches(who))
            .map(|u| u.id)
            .collect();
        Ok(match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "no Redmine user has the login, name or email {who:?}"
            )),
            _ => Err(format!(
                "{} Redmine users match {who:?}; use the login",
                matches.len()
            )),
        })
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn status_label(issue: &IssueDto, status: BugStatus) -> String {
    match issue.status.as_ref().and_then(|s| s.name.as_deref()) {
        Some(name) => format!("{status} ({name})"),
        None => status.to_string(),
    }
}

fn same_name(remote: Option<&str>, who: Option<&str>) -> bool {
    let norm = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    };
    norm(remote) == norm(who)
}

/// The stored cursor and `updated_on` filter form: RFC 3339 UTC, whole seconds.
#[must_use]
pub fn format_cursor(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
