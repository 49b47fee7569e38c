//! The GitHub Issues connector: incremental pulls of issues into `bugs`, and triage writes.
//!
//! Pull (API-CONTRACTS §1.2–1.4): per repository,
//! `GET /repos/{o}/{r}/issues?state=all&sort=updated&direction=asc&per_page=100[&since=cursor]`
//! with `If-None-Match` on the first page (ETag per source + URL in `http_cache`), then the
//! `Link: rel="next"` URLs exactly as given. Pull requests (items with a `pull_request` key)
//! are skipped. Each page is committed with its cursor advance in one transaction; the cursor
//! is the newest `updated_at` seen (`since` is inclusive, so the boundary item comes back: the
//! overlap is deduplicated on the issue id by the upsert). The first page's ETag is stored only
//! when the whole list was that one page, so a 304 can never hide a later page (a list of
//! several pages, e.g. more than 100 issues updated in the cursor's second, is re-read).
//!
//! Why the first re-sync after a change is not a 304: the ETag belongs to the exact URL, and the
//! URL carries `since`, which moved. That re-sync reads only the overlap (the items of the
//! cursor's second), stores its ETag, and every later unchanged re-sync is one conditional
//! request answered 304 (which GitHub does not count against the rate limit).
//!
//! Drift: an issue updated while we page moves to the end of the `updated` order and shifts the
//! later items one place left, so one of them can slip between pages. Such an issue shows up
//! twice in one walk; the final cursor is then pulled back to its first-seen `updated_at`, so
//! the next pull re-reads that stretch. (A crash in the middle of such a walk keeps the last
//! page's cursor; the window is one walk.)
//!
//! Push: see [`plan`] for the rules and `push.rs` for the calls. Writes go through the
//! client's [`super::http::Mutations`] gate: serial, ≥ 1 s apart.

mod dto;
pub mod plan;
mod push;

pub use push::outcome_for;

pub use dto::{
    format_since, parse_time, CommentDto, IssueDto, Mapping, RemoteIssue, DEFAULT_PRIORITY,
};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::http::{self, ApiRequest, AuthScheme, Clock, HttpClient, HttpResponse};
use super::secret::Secret;
use super::source::{auth, get_if_changed, http_client, Build, Now, PullResult, Settings, Tune};
use super::tracker;
use super::tracker::config_error;
use super::tracker::ingest::{Lenient, Pages, BATCH_ITEMS};
use super::{PullReport, SyncError};
use crate::config::SourceConfig;
use crate::domain::{Bug, Tab};
use crate::store::{sync_meta, write, Store};

/// `api.github.com`, used when a source sets no `base_url`.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com/";

/// Items per page (GitHub's maximum).
pub const PER_PAGE: u32 = 100;

/// Pages read per repository in one pull at most (bounded loop; 100,000 issues).
pub const MAX_PAGES_PER_PULL: usize = 1000;

/// Longest rate-limit wait slept inside a pull; longer ones end the pull with the deadline
/// persisted, and the engine reschedules.
pub const INLINE_RATE_LIMIT_WAIT: Duration = Duration::from_secs(10);

/// The connector kind recorded in `sync_state`.
pub const KIND: &str = "github";

/// One configured `owner/repo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// Owner (user or org).
    pub owner: String,
    /// Repository name.
    pub name: String,
}

impl Repo {
    /// `owner/name`.
    pub fn full(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Parses `owner/name` (letters, digits, `-`, `_`, `.`; not `.` or `..`).
    pub(crate) fn parse(s: &str) -> Option<Repo> {
        let (owner, name) = s.trim().split_once('/')?;
        let ok = |p: &str| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (ok(owner) && ok(name)).then(|| Repo {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// The GitHub Issues source: config, HTTP client and label mappings.
#[derive(Debug)]
pub struct GithubSource {
    name: String,
    repos: Vec<Repo>,
    mapping: Mapping,
    http: Arc<HttpClient>,
}

/// Parses a configured base URL, allowing plain `http://` only for loopback hosts.
///
/// Returns the URL (with a trailing `/` so relative paths join under it) and whether
/// `https_only` may be enforced.
pub fn base_url(cfg: &SourceConfig, default: &str) -> Result<(Url, bool), SyncError> {
    let raw = cfg.base_url.as_deref().unwrap_or(default).trim();
    let mut url = Url::parse(raw)
        .map_err(|e| config_error(cfg, format!("base_url '{raw}' is not a URL: {e}")))?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    match url.scheme() {
        "https" => Ok((url, true)),
        "http" if loopback => Ok((url, false)),
        _ => Err(config_error(
            cfg,
            format!("base_url '{raw}' must use https:// (plain http is allowed only for 127.0.0.1 and localhost)"),
        )),
    }
}

/// The HTTP settings every GitHub REST source shares (Issues, task lists): the base URL
/// (`https` unless it is a loopback test server), GitHub's media type and API version, the
/// bearer auth and the inline rate-limit wait.
///
/// # Errors
/// [`SyncError::Config`] for a bad base URL.
pub(crate) fn github_http_config(
    cfg: &SourceConfig,
    token: Option<Secret>,
) -> Result<http::SourceConfig, SyncError> {
    let (base, https_only) = base_url(cfg, DEFAULT_BASE_URL)?;
    let mut hc = http::SourceConfig::new(cfg.name.clone(), base);
    hc.https_only = https_only;
    hc.accept = "application/vnd.github+json".to_owned();
    hc.extra_headers = vec![("X-GitHub-Api-Version".to_owned(), "2022-11-28".to_owned())];
    hc.auth = token.map(|token| auth(cfg, AuthScheme::Bearer, token, "GITHUB_TOKEN"));
    hc.retry.max_wait = INLINE_RATE_LIMIT_WAIT;
    Ok(hc)
}

/// The client of a GitHub REST source: [`github_http_config`], the configured extra headers,
/// then `tune`.
///
/// # Errors
/// [`SyncError::Config`] for a bad base URL or header.
pub(crate) fn github_client(
    cfg: &SourceConfig,
    token: Option<Secret>,
    clock: Clock,
    tune: Tune<'_>,
) -> Result<HttpClient, SyncError> {
    http_client(cfg, github_http_config(cfg, token)?, clock, tune)
}

/// Parses a configured list (`repos`, `issues`): every entry with `parse`, and at least one.
/// `names` are the entry, the plural, the config key and the written form, for the messages.
///
/// # Errors
/// [`SyncError::Config`] naming the entry that does not parse, or the empty list.
pub(crate) fn parse_list<T>(
    cfg: &SourceConfig,
    entries: &[String],
    parse: impl Fn(&str) -> Option<T>,
    names: [&str; 4],
) -> Result<Vec<T>, SyncError> {
    let [entry, plural, key, form] = names;
    let parsed = entries
        .iter()
        .map(|e| {
            parse(e)
                .ok_or_else(|| config_error(cfg, format!("{entry} '{e}' is not written as {form}")))
        })
        .collect::<Result<Vec<T>, SyncError>>()?;
    if parsed.is_empty() {
        let message = format!("no {plural} configured; add {key} = [\"{form}\"]");
        return Err(config_error(cfg, message));
    }
    Ok(parsed)
}

impl Build for GithubSource {
    /// Builds the source; fails for a bad base URL, repo list, header or token.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
        let repos = parse_list(
            cfg,
            &cfg.repos,
            Repo::parse,
            ["repo", "repositories", "repos", "owner/name"],
        )?;
        let http = Arc::new(github_client(cfg, token, clock, tune)?);
        Ok(Self {
            name: cfg.name.clone(),
            repos,
            mapping: Mapping::new(&cfg.priority_map, &cfg.status_map),
            http,
        })
    }
}

impl GithubSource {
    /// The configured source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The label mapping in use.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    fn key_prefix(&self, repo: &Repo) -> String {
        if self.repos.len() > 1 {
            repo.full()
        } else {
            String::new()
        }
    }

    /// One incremental pull of every configured repository (the first failing one's error
    /// ends it); a persisted rate-limit deadline in the future fails at once without a request.
    pub(super) async fn pull_all(&mut self, store: &mut Store, now: Now) -> PullResult {
        tracker::check_rate_limit(store, &self.name, self.http.now())?;
        let mut report = PullReport::default();
        for repo in self.repos.clone() {
            self.pull_repo(store, &repo, now, &mut report).await?;
        }
        Ok(report)
    }

    fn list_url(&self, repo: &Repo, since: Option<&str>) -> Result<(Url, String), SyncError> {
        let path = format!("repos/{}/{}/issues", repo.owner, repo.name);
        let mut url = self.http.url(&path)?;
        let prefix = url.as_str().to_owned();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("state", "all")
                .append_pair("sort", "updated")
                .append_pair("direction", "asc")
                .append_pair("per_page", &PER_PAGE.to_string());
            if let Some(since) = since {
                q.append_pair("since", since);
            }
        }
        Ok((url, prefix))
    }

    async fn pull_repo(
        &mut self,
        store: &mut Store,
        repo: &Repo,
        now: DateTime<Utc>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let full = repo.full();
        let mut cursors: BTreeMap<String, String> = sync_meta::cursor(store.conn(), &self.name)?
            .and_then(|c| serde_json::from_str(&c).ok())
            .unwrap_or_default();
        let since = cursors.get(&full).cloned();
        let (first_url, prefix) = self.list_url(repo, since.as_deref())?;
        let mut max_seen = since.as_deref().and_then(|s| parse_time(Some(s)));
        let mut first_seen: HashMap<u64, DateTime<Utc>> = HashMap::new();
        let mut rewind: Option<DateTime<Utc>> = None;
        let key_prefix = self.key_prefix(repo);
        let changed = get_if_changed(&self.http, store, &self.name, &first_url, report).await?;
        let Some((first_etag, first)) = changed else {
            return Ok(());
        };
        let (name, mapping) = (self.name.clone(), self.mapping.clone());
        let mut pages = Pages::start(
            &self.http,
            &self.name,
            first,
            MAX_PAGES_PER_PULL,
            move |answer| decode_page(&answer, &name, &mapping, &key_prefix),
        );
        let mut page_index = 0usize;
        // Pages are written together, up to `BATCH_ITEMS` bugs a transaction, with the cursor
        // of the newest page among them; the last page (and only it) also settles the ETag.
        let mut waiting: Vec<Bug> = Vec::new();
        let mut waiting_cursor: Option<String> = None;
        let name = self.name.clone();
        let write_waiting = |store: &mut Store,
                             waiting: &mut Vec<Bug>,
                             cursor_json: Option<String>,
                             etag: Option<Option<&str>>|
         -> Result<bool, SyncError> {
            let bugs = std::mem::take(waiting);
            let Some(cursor_json) = cursor_json else {
                return Ok(false);
            };
            Ok(store.write_refetchable(|tx| {
                let changed = write::upsert_bugs_if_changed(
                    tx,
                    &bugs,
                    now,
                    write::SameWhen::UpdatedAndTriage,
                )?;
                sync_meta::set_cursor(tx, &name, KIND, &cursor_json)?;
                if let Some(etag) = etag {
                    sync_meta::set_etag(tx, &name, &prefix, first_url.as_str(), etag)?;
                }
                Ok(changed)
            })?)
        };
        let mut changed = false;
        loop {
            let next_page = pages
                .next(|(_, next)| Ok(next.clone().map(ApiRequest::get)))
                .await;
            let (bugs, next) = match next_page {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(err) => {
                    // The pages read whole before the failure are written with their cursor.
                    if let Err(store_err) =
                        write_waiting(store, &mut waiting, waiting_cursor.take(), None)
                    {
                        tracing::warn!(source = %self.name, error = %store_err, "could not write the pages read before a failure");
                    }
                    return Err(err);
                }
            };
            for bug in &bugs {
                let id = bug.external_id.parse::<u64>().unwrap_or_default();
                match first_seen.get(&id) {
                    Some(seen) if *seen != bug.updated_at => {
                        rewind = Some(rewind.map_or(*seen, |r| r.min(*seen)));
                    }
                    Some(_) => {}
                    None => {
                        first_seen.insert(id, bug.updated_at);
                        report.fetched += 1;
                    }
                }
                max_seen = Some(max_seen.map_or(bug.updated_at, |m| m.max(bug.updated_at)));
            }
            let cursor = match (next.is_none(), max_seen, rewind) {
                (true, Some(m), Some(r)) => Some(m.min(r)),
                (_, m, _) => m,
            };
            if let Some(c) = cursor {
                cursors.insert(full.clone(), format_since(c));
            }
            waiting_cursor = Some(serde_json::to_string(&cursors).unwrap_or_else(|_| "{}".into()));
            waiting.extend(bugs);
            // Only a one-page list may be answered by a 304 later: the ETag covers page 1 alone,
            // and an item updated since moves to the END of the `updated` order, so with more
            // pages it can change the last page while page 1 stays byte-identical (#11 defect 4).
            // A multi-page walk drops any ETag stored for this URL.
            let single_page = page_index == 0;
            page_index += 1;
            let store_etag = next.is_none() && rewind.is_none();
            if next.is_none() || waiting.len() >= BATCH_ITEMS {
                let etag = store_etag.then(|| first_etag.as_deref().filter(|_| single_page));
                changed |= write_waiting(store, &mut waiting, waiting_cursor.take(), etag)?;
            }
        }
        // A walk cut at the page limit ends without a last page: write what is waiting.
        changed |= write_waiting(store, &mut waiting, waiting_cursor.take(), None)?;
        if changed && !report.changed.contains(&Tab::Bugs) {
            report.changed.push(Tab::Bugs);
        }
        // The conditional first request is counted above.
        report.requests += pages.requests().saturating_sub(1);
        Ok(())
    }
}

/// Decodes a page off the runtime and maps it: the bugs, and the `Link: rel="next"` URL.
/// Straight into DTOs; an item in an unexpected shape is skipped (and logged), not the page.
fn decode_page(
    response: &HttpResponse,
    source: &str,
    mapping: &Mapping,
    key_prefix: &str,
) -> Result<(Vec<Bug>, Option<Url>), SyncError> {
    let items: Lenient<IssueDto> = response.json()?;
    items.warn_skipped(source, "GitHub issue");
    let bugs = items
        .items
        .iter()
        .filter_map(|dto| mapping.to_bug(dto, source, key_prefix))
        .collect();
    Ok((bugs, response.links().remove("next")))
}
