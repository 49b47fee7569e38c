//! The PagerDuty REST v2 connector: incidents in, acknowledge / resolve / reassign / notes out.
//!
//! Owns the pull loop (API-CONTRACTS §3.3), the HTTP setup for PagerDuty (`Token token=…`,
//! the versioned `Accept`, the `From` header on writes), the P0–P3 mapping and the push rules
//! of RELIABILITY §8.1 and battery item E4.
//!
//! **Pull.** (1) the active set, `statuses[]=triggered&statuses[]=acknowledged`, always in full;
//! (2) incidents resolved in the window `since=<cursor>&until=<now>` (first pull: the last 30
//! days; the window is clamped to PagerDuty's 6-month maximum); (3) any incident the cache still
//! shows as open that neither listing returned is read with `GET /incidents/{id}` (it resolved
//! but was created before the window). Listings use `offset`/`limit=100`/`more`; filters come
//! from `services` (`team:<id>` entries become `team_ids[]`, the rest `service_ids[]`). Only
//! incidents that are new, whose `updated_at` moved, or that have an entry in the account-wide
//! change feed `GET /log_entries?since=<cursor>` (a note or log entry need not move
//! `updated_at`; the feed costs one request a pull) get their timeline fetched
//! (`/log_entries`, skipping `notify` and `annotate` entries, and `/notes`); those events are
//! stored idempotently (`log:<id>`, `note:<id>`), and a resolved incident's first explicit
//! acknowledgement (`acknowledgements[]` is empty once resolved) comes from its
//! `acknowledge_log_entry`. Each page is committed with its events in one transaction; the
//! cursor (`now − 10 min`, RFC 3339) is written only when the whole pull succeeded. When the
//! feed since the cursor is empty and this source read the listings less than 10 minutes ago,
//! nothing in the account changed: that one feed request is the whole re-sync.
//!
//! **Severity.** `priority_map` first (keys: PagerDuty priority names such as `P1` or `SEV-1`,
//! or the urgencies `high`/`low`), then PagerDuty's default names `P1`→P0, `P2`→P1, `P3`→P2,
//! `P4`/`P5`→P3, then urgency `high`→P1, `low`→P3.
//!
//! **Push** lives in the `push` submodule; DTOs and mapping in `dto`.

mod dto;
mod push;

pub(super) use push::outcome_of as push_outcome;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use url::Url;

use super::super::domain::{IncidentEvent, Priority, Tab};
use super::super::store::{incidents, write, Store};
use super::http::{ApiError, ApiRequest, AuthScheme, HttpClient, SourceConfig};
use super::source::{auth, http_client, Build, Now, PullResult, Settings};
use super::{PullReport, SyncError};
use dto::{IncidentPage, LogEntryPage, NoteList, PdIncident, RemoteState, SeverityMap};

/// PagerDuty's public API.
pub const DEFAULT_BASE_URL: &str = "https://api.pagerduty.com/";
/// The versioning `Accept` header PagerDuty requires on every call.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
/// Page size of every listing (PagerDuty's maximum).
pub const PAGE_LIMIT: usize = 100;
/// How far back the first pull looks for resolved incidents.
pub const FIRST_SYNC_DAYS: i64 = 30;
/// PagerDuty's largest `since`/`until` range.
const MAX_WINDOW_DAYS: i64 = 180;
/// The next window starts this long before the end of the last one.
pub const CURSOR_OVERLAP_SECS: i64 = 600;
/// Pages read per listing at most (10,000 incidents).
const MAX_LIST_PAGES: usize = 100;
/// Log-entry pages read per incident at most.
const MAX_LOG_PAGES: usize = 5;
/// Pages of the account-wide log entry feed read per pull at most.
const MAX_FEED_PAGES: usize = 10;
/// Incidents re-read one by one per pull at most.
const MAX_STRAGGLERS: usize = 50;
/// Longest time between two full listings when the change feed stays empty (a field change
/// that leaves no log entry still arrives within this).
const FULL_LISTING_EVERY_SECS: i64 = 600;

/// The PagerDuty source: one account, one `From` user.
#[derive(Debug)]
pub struct PagerDutySource {
    name: String,
    http: HttpClient,
    email: Option<String>,
    service_ids: Vec<String>,
    team_ids: Vec<String>,
    severity: SeverityMap,
    service_map: BTreeMap<String, String>,
    push_local: bool,
    /// Remote facts seen by the latest pull or read (push consults them before any request).
    remote: HashMap<String, RemoteState>,
    /// The PagerDuty user id of `email`, once looked up.
    me: Option<String>,
    /// Incidents with log entries since the cursor (this pull's change feed).
    touched: HashSet<String>,
    /// When this source last read the incident listings in full.
    listed_at: Option<DateTime<Utc>>,
}

/// Parses a base URL and makes sure it ends with `/` so relative paths keep any prefix.
pub(super) fn base_url(raw: &str) -> Result<Url, String> {
    let mut url =
        Url::parse(raw.trim()).map_err(|e| format!("base_url '{raw}' is not a URL: {e}"))?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether `url` is plain HTTP to this machine (allowed for tests and local proxies).
pub(super) fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http"
        && matches!(
            url.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        )
}

/// How a 401 hint names the token when neither `token_env` nor `token_command` is configured.
pub(super) const NO_TOKEN_ENV: &str = "(no token_env configured)";

/// A path segment made safe for a URL (ids come from the cache).
pub(super) fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

impl Build for PagerDutySource {
    /// Builds the source; `token` is the resolved API key. Fails without a token, with a bad
    /// `base_url` (plain `http` only to 127.0.0.1/localhost), a `priority_map` value that is
    /// not P0–P3, or a header the HTTP client refuses.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
        let config_err = |message: String| SyncError::Config {
            source_name: cfg.name.clone(),
            message,
        };
        let token = token.ok_or_else(|| {
            config_err("PagerDuty needs an API key: set token_env or token_command".to_owned())
        })?;
        let base =
            base_url(cfg.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL)).map_err(config_err)?;
        let loopback = is_loopback_http(&base);
        if base.scheme() != "https" && !loopback {
            return Err(config_err(format!(
                "base_url {base} must use https (plain http only to 127.0.0.1 or localhost)"
            )));
        }
        let mut hc = SourceConfig::new(cfg.name.clone(), base);
        hc.https_only = !loopback;
        hc.accept = ACCEPT.to_owned();
        hc.auth = Some(auth(cfg, AuthScheme::PagerDutyToken, token, NO_TOKEN_ENV));
        hc.mutation_gap = Duration::ZERO;
        let http = http_client(cfg, hc, clock, tune)?;
        let mut configured = BTreeMap::new();
        for (key, value) in &cfg.priority_map {
            let p: Priority = value.parse().map_err(|_| {
                config_err(format!(
                    "priority_map maps '{key}' to '{value}'; use P0, P1, P2 or P3"
                ))
            })?;
            configured.insert(key.clone(), p);
        }
        let (teams, services): (Vec<&String>, Vec<&String>) =
            cfg.services.iter().partition(|s| s.starts_with("team:"));
        Ok(Self {
            name: cfg.name.clone(),
            http,
            email: cfg.email.clone().filter(|e| !e.trim().is_empty()),
            service_ids: services.into_iter().cloned().collect(),
            team_ids: teams
                .into_iter()
                .map(|t| t.trim_start_matches("team:").to_owned())
                .collect(),
            severity: SeverityMap { configured },
            service_map: cfg.service_map.clone(),
            push_local: cfg.push_local_incidents,
            remote: HashMap::new(),
            me: None,
            touched: HashSet::new(),
            listed_at: None,
        })
    }
}

impl PagerDutySource {
    /// The configured source name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The HTTP client (breaker state, rate-limit deadline for the status bar).
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, ApiError> {
        let mut url = self.http.url(path)?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// GET with the HTTP layer's retries (pull path).
    async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        requests: &mut usize,
    ) -> Result<T, ApiError> {
        *requests += 1;
        self.http
            .send_with_retry(ApiRequest::get(url))
            .await?
            .json()
    }

    /// One incremental pull (see the module docs); the bookkeeping around it is
    /// [`Source::pull`](super::Source::pull)'s.
    ///
    /// # Errors
    /// HTTP errors (rate limits carry their deadline), store errors. Pages committed before
    /// the error stay; the cursor does not move.
    pub(super) async fn pull_inner(&mut self, store: &mut Store, now: Now) -> PullResult {
        let mut report = PullReport::default();
        if self.push_local {
            self.push_local_incidents(store, now, &mut report.requests)
                .await?;
        }
        let cursor = store
            .sync_states()?
            .into_iter()
            .find(|s| s.source == self.name)
            .and_then(|s| s.cursor)
            .and_then(|c| dto::utc(Some(&c)));
        let since = cursor
            .unwrap_or(now - TimeDelta::days(FIRST_SYNC_DAYS))
            .max(now - TimeDelta::days(MAX_WINDOW_DAYS));
        let feed = match cursor {
            Some(since) => self.changed_since(since, now, &mut report.requests).await?,
            None => None,
        };
        let listed_lately = self
            .listed_at
            .is_some_and(|at| now - at < TimeDelta::seconds(FULL_LISTING_EVERY_SECS));
        if listed_lately && feed.as_ref().is_some_and(HashSet::is_empty) {
            // Nothing in the account changed since the cursor: the feed is the whole re-sync.
            return self.finish_quiet_pull(store, since, now, report);
        }
        self.touched = feed.unwrap_or_default();
        let mut seen = HashSet::new();
        let active = [
            ("statuses[]", "triggered".to_owned()),
            ("statuses[]", "acknowledged".to_owned()),
        ];
        self.pull_listing(store, now, &active, &mut seen, &mut report)
            .await?;
        let resolved = [
            ("statuses[]", "resolved".to_owned()),
            ("since", since.to_rfc3339_opts(SecondsFormat::Secs, true)),
            ("until", now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        ];
        self.pull_listing(store, now, &resolved, &mut seen, &mut report)
            .await?;
        let stragglers: Vec<String> = incidents::open_incident_ids(store.conn(), &self.name)?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .take(MAX_STRAGGLERS)
            .collect();
        for id in stragglers {
            let url = self.url(&format!("incidents/{}", segment(&id)), &[])?;
            match self
                .get_json::<dto::IncidentEnvelope>(url, &mut report.requests)
                .await
            {
                Ok(env) => {
                    report.fetched += 1;
                    self.commit_incidents(store, vec![env.incident], now, &mut report)
                        .await?;
                }
                Err(ApiError::Permanent { status: 404, .. }) => {
                    tracing::info!(source = %self.name, incident = %id, "incident no longer exists");
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.listed_at = Some(now);
        if report.fetched > 0 {
            report.changed = vec![Tab::Incidents];
        }
        self.finish_quiet_pull(store, since, now, report)
    }

    /// Records the pull's success with the next cursor (`now − overlap`, never before `since`).
    fn finish_quiet_pull(
        &self,
        store: &mut Store,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        report: PullReport,
    ) -> Result<PullReport, SyncError> {
        let next = (now - TimeDelta::seconds(CURSOR_OVERLAP_SECS))
            .max(since)
            .to_rfc3339_opts(SecondsFormat::Secs, true);
        let name = self.name.clone();
        store.write(|tx| write::sync_success(tx, &name, Some(&next), now))?;
        Ok(report)
    }

    fn filters(&self) -> Vec<(&'static str, String)> {
        let services = self
            .service_ids
            .iter()
            .map(|s| ("service_ids[]", s.clone()));
        let teams = self.team_ids.iter().map(|t| ("team_ids[]", t.clone()));
        services.chain(teams).collect()
    }

    async fn pull_listing(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
        query: &[(&'static str, String)],
        seen: &mut HashSet<String>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let mut offset = 0usize;
        for _ in 0..MAX_LIST_PAGES {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.extend(self.filters());
            q.push(("limit", PAGE_LIMIT.to_string()));
            q.push(("offset", offset.to_string()));
            let url = self.url("incidents", &q)?;
            let page: IncidentPage = self.get_json(url, &mut report.requests).await?;
            let count = page.incidents.len();
            report.fetched += count;
            seen.extend(page.incidents.iter().map(|i| i.id.clone()));
            self.commit_incidents(store, page.incidents, now, report)
                .await?;
            if !page.more || count == 0 {
                break;
            }
            offset += PAGE_LIMIT;
        }
        Ok(())
    }

    /// Converts, fetches timelines of changed incidents, and commits them in one transaction.
    async fn commit_incidents(
        &mut self,
        store: &mut Store,
        list: Vec<PdIncident>,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let mut prepared = Vec::with_capacity(list.len());
        for inc in list {
            let Some(mut domain) = inc.to_domain(&self.name, &self.severity, &self.service_map)
            else {
                tracing::warn!(source = %self.name, "skipped an incident without id, status or created_at");
                continue;
            };
            if let Some(state) = inc.remote_state() {
                self.remote.insert(domain.external_id.clone(), state);
            }
            let cached = incidents::cached_incident(store.conn(), &self.name, &domain.external_id)?;
            let updated = inc.remote_updated_at();
            let changed = cached
                .as_ref()
                .is_none_or(|c| c.remote_updated_at != updated)
                || self.touched.contains(&domain.external_id);
            if domain.assignee.is_none() {
                domain.assignee = cached.and_then(|c| c.assignee);
            }
            let mut events = Vec::new();
            if changed {
                let (timeline, first_ack) = self
                    .fetch_timeline(&domain.external_id, &mut report.requests)
                    .await?;
                events = timeline;
                if domain.acknowledged_at.is_none() {
                    domain.acknowledged_at = first_ack;
                }
            }
            prepared.push((domain, updated, events));
        }
        store.write(|tx| {
            for (incident, updated, events) in &prepared {
                let id = write::upsert_incident(tx, incident, *updated, now)?;
                for (event, key) in events {
                    write::insert_incident_event(tx, id, event, Some(key))?;
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Incidents with a log entry (a note is an `annotate` entry) since `since`, from the
    /// account-wide change feed: their timeline is re-read even when `updated_at` did not move,
    /// because a note or log entry is a child resource (issue #11 defect 4). A feed the account
    /// cannot read (4xx) is `None`: the listings and `updated_at` still decide.
    async fn changed_since(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        requests: &mut usize,
    ) -> Result<Option<HashSet<String>>, SyncError> {
        let mut touched = HashSet::new();
        let mut offset = 0usize;
        for _ in 0..MAX_FEED_PAGES {
            let q = [
                ("since", since.to_rfc3339_opts(SecondsFormat::Secs, true)),
                ("until", now.to_rfc3339_opts(SecondsFormat::Secs, true)),
                ("is_overview", "false".to_owned()),
                ("limit", PAGE_LIMIT.to_string()),
                ("offset", offset.to_string()),
            ];
            let url = self.url("log_entries", &q)?;
            let page: LogEntryPage = match self.get_json(url, requests).await {
                Ok(page) => page,
                Err(ApiError::Permanent { status, message }) => {
                    tracing::warn!(source = %self.name, status, %message, "log entry feed unavailable");
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            touched.extend(
                page.log_entries
                    .iter()
                    .filter_map(|e| e.incident.as_ref())
                    .map(|i| i.id.clone())
                    .filter(|id| !id.is_empty()),
            );
            if !page.more || page.log_entries.is_empty() {
                break;
            }
            offset += PAGE_LIMIT;
        }
        Ok(Some(touched))
    }

    /// Log entries (paged) and notes of one incident, and its first explicit acknowledgement.
    async fn fetch_timeline(
        &self,
        external_id: &str,
        requests: &mut usize,
    ) -> Result<(Vec<(IncidentEvent, String)>, Option<DateTime<Utc>>), SyncError> {
        let mut events = Vec::new();
        let mut first_ack: Option<DateTime<Utc>> = None;
        let base = format!("incidents/{}", segment(external_id));
        let mut offset = 0usize;
        for _ in 0..MAX_LOG_PAGES {
            let q = [
                ("limit", PAGE_LIMIT.to_string()),
                ("offset", offset.to_string()),
            ];
            let url = self.url(&format!("{base}/log_entries"), &q)?;
            let page: LogEntryPage = match self.get_json(url, requests).await {
                Ok(page) => page,
                Err(ApiError::Permanent { status, message }) => {
                    tracing::warn!(source = %self.name, status, %message, "log entries unavailable");
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            for entry in &page.log_entries {
                if entry.is_ack() {
                    if let Some(at) = dto::utc(entry.created_at.as_deref()) {
                        first_ack = Some(first_ack.map_or(at, |f| f.min(at)));
                    }
                }
                events.extend(entry.to_event());
            }
            if !page.more || page.log_entries.is_empty() {
                break;
            }
            offset += PAGE_LIMIT;
        }
        let url = self.url(&format!("{base}/notes"), &[])?;
        match self.get_json::<NoteList>(url, requests).await {
            Ok(list) => events.extend(list.notes.iter().filter_map(dto::Note::to_event)),
            Err(ApiError::Permanent { status, message }) => {
                tracing::warn!(source = %self.name, status, %message, "notes unavailable");
            }
            Err(e) => return Err(e.into()),
        }
        Ok((events, first_ack))
    }
}
