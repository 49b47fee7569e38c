//! The Prometheus connector: computes the event counts behind every configured SLO and stores
//! them for the SLO tab (METRICS.md §1.6, "compute directly").
//!
//! Owns [`PrometheusSource`]. For each SLO and each window (the alert-policy windows 5m … 3d
//! plus the 28 d / 30 d SLO window) it runs two instant queries at `time = now`:
//! bad (or good) events `sum(increase(sel[W]))` and total events; for latency SLIs good events
//! are the histogram bucket whose `le` equals the threshold numerically (validated against
//! `/api/v1/series` first) and total is `_count`. A daily `query_range` (step 1 d, UTC days)
//! plus today's partial day feed the history sparkline. Counts go to the store; ratios, burn
//! rates and states are computed from them by [`crate::metrics::stored::evaluate_stored`].
//!
//! Failures: a query refused by the server (`bad_data` 400, `execution` 422, `timeout` 503) or
//! a missing bucket marks THAT SLO (`last_error`, shown as ERROR on the tab) and the others
//! carry on; the pull then still fails as a config error naming each such SLO and its reason; a source failure
//! (unreachable, 401, 5xx, …) marks every remaining SLO and fails the pull. `warnings` are
//! kept on the SLO as `warning: …` next to fresh counts. Prometheus is read-only: pushes fail.
//!
//! Submodules: `query` (selector validation, PromQL building, numeric `le` matching) and
//! `api` (HTTP calls, the envelope, error classification).

pub mod api;
pub mod query;

use chrono::{DateTime, Duration as TimeDelta, NaiveDate, Utc};

use api::{Answer, QueryError, Session};
use query::{matching_le_values, Queries, SloPlan};

use super::http::{self, Auth, AuthScheme, Clock, HttpClient};
use super::secret::{Secret, TokenSource};
use super::source::{Meta, Now, PullResult, PushResult, Source};
use super::{PullReport, PushOutcome, SyncError};
use crate::config::{SloConfig, SourceKind};
use crate::domain::Tab;
use crate::metrics::slo::{AlertPolicy, Window};
use crate::store::{self, write, OutboxEntry, Store};

/// Seconds in a day (the sparkline step).
const DAY_SECS: i64 = 86_400;

/// Prefix of a warning stored in an SLO's `last_error` next to fresh counts.
pub const WARNING_PREFIX: &str = "warning: ";

/// A Prometheus-compatible metrics source and the SLOs it computes.
#[derive(Debug)]
pub struct PrometheusSource {
    name: String,
    client: HttpClient,
    plans: Vec<SloPlan>,
    policy: AlertPolicy,
}

/// Counts fetched for one SLO.
struct Fetched {
    queries: Queries,
    windows: Vec<(Window, f64, f64)>,
    daily: Vec<(NaiveDate, f64, f64)>,
    warnings: Vec<String>,
}

fn config_error(source_name: &str, message: impl Into<String>) -> SyncError {
    SyncError::Config {
        source_name: source_name.to_owned(),
        message: message.into(),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl PrometheusSource {
    /// Builds the source from its config section and the `[[slos]]` it serves.
    ///
    /// Same as the connector contract's `new` plus `slos`: the SLOs whose `source` is this
    /// source's name, or unset, are validated here (a broken definition is a config error
    /// naming the SLO); the others are ignored.
    pub fn new(
        cfg: &crate::config::SourceConfig,
        token: Option<Secret>,
        clock: Clock,
        slos: Vec<SloConfig>,
    ) -> Result<Self, SyncError> {
        Self::from_http_config(Self::http_config(cfg, token)?, clock, slos)
    }

    /// The HTTP settings `new` uses: bearer token (basic auth with `email` as the user name
    /// when `email` is set), the configured `headers` (e.g. `X-Scope-OrgID`), no mutation gap.
    ///
    /// Plain `http://` is allowed without a token or on localhost; a token requires https.
    pub fn http_config(
        cfg: &crate::config::SourceConfig,
        token: Option<Secret>,
    ) -> Result<http::SourceConfig, SyncError> {
        let name = cfg.name.as_str();
        if cfg.kind != SourceKind::Prometheus {
            return Err(config_error(name, "not a prometheus source"));
        }
        let raw = cfg.base_url.as_deref().map(str::trim).unwrap_or_default();
        if raw.is_empty() {
            return Err(config_error(
                name,
                "base_url is missing; set it to the Prometheus (or Thanos/Mimir/VictoriaMetrics) \
                 URL that serves /api/v1/query, e.g. \"http://prometheus:9090\"",
            ));
        }
        let mut base = url::Url::parse(raw)
            .map_err(|e| config_error(name, format!("base_url {raw:?} is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(config_error(
                name,
                "base_url must start with http:// or https://",
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut http = http::SourceConfig::new(name, base.clone());
        http.mutation_gap = std::time::Duration::ZERO;
        http.extra_headers = cfg
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        http.https_only = false;
        if let Some(token) = token {
            if base.scheme() != "https" && !is_loopback(&base) {
                return Err(config_error(
                    name,
                    "a token is configured but base_url uses http://; use https:// so the token \
                     is not sent in clear text",
                ));
            }
            let origin = match (&cfg.token.token_env, &cfg.token.token_command) {
                (Some(var), _) => TokenSource::Env(var.clone()),
                (None, Some(argv)) => TokenSource::Command(argv.clone()),
                (None, None) => TokenSource::Env("(token given directly)".to_owned()),
            };
            let scheme = match &cfg.email {
                Some(user) => AuthScheme::Basic {
                    email: user.clone(),
                },
                None => AuthScheme::Bearer,
            };
            http.auth = Some(Auth {
                scheme,
                token,
                origin,
            });
        }
        Ok(http)
    }

    /// Builds the source from ready HTTP settings (tests tune retries this way).
    pub fn from_http_config(
        http: http::SourceConfig,
        clock: Clock,
        slos: Vec<SloConfig>,
    ) -> Result<Self, SyncError> {
        let name = http.name.clone();
        let mut plans: Vec<SloPlan> = Vec::new();
        for slo in slos
            .iter()
            .filter(|s| s.source.as_deref().is_none_or(|s| s == name))
        {
            let plan = SloPlan::from_config(slo).map_err(|m| config_error(&name, m))?;
            if plans.iter().any(|p| p.name == plan.name) {
                return Err(config_error(
                    &name,
                    format!("two SLOs are named '{}'", plan.name),
                ));
            }
            plans.push(plan);
        }
        let client =
            HttpClient::new(http, clock).map_err(|e| config_error(&name, e.to_string()))?;
        Ok(Self {
            name,
            client,
            plans,
            policy: AlertPolicy::sre_workbook(),
        })
    }

    /// Names of the SLOs this source computes, in config order.
    pub fn slo_names(&self) -> Vec<&str> {
        self.plans.iter().map(|p| p.name.as_str()).collect()
    }
}

impl Source for PrometheusSource {
    const META: Meta = Meta::new("prometheus", "Prometheus").records_own_success();

    /// Computes and stores every SLO's window counts and daily history at `now`.
    ///
    /// Each SLO is committed in its own transaction (definition, counts, history, error). A
    /// failure of one SLO's queries marks only that SLO; a source failure marks all the SLOs
    /// not yet computed, records a sync failure and returns the error.
    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        let name = self.name.clone();
        let ids: Vec<i64> = store.write(|tx| {
            self.plans
                .iter()
                .map(|p| upsert_definition(tx, p, &p.queries(&[])))
                .collect()
        })?;
        let mut report = PullReport::default();
        let mut session = Session::new(&self.client);
        let mut failure: Option<(String, http::ApiError)> = None;
        let mut slo_errors: Vec<String> = Vec::new();
        for (plan, id) in self.plans.iter().zip(ids) {
            if let Some((message, _)) = &failure {
                store.write(|tx| write::set_slo_error(tx, id, message, now))?;
                continue;
            }
            match fetch(&mut session, &self.policy, plan, now).await {
                Ok(fetched) => {
                    store.write(|tx| save(tx, id, plan, &fetched, now))?;
                    report.fetched += 1;
                }
                Err((queries, QueryError::Slo(message))) => {
                    tracing::info!(source = %name, slo = %plan.name, error = %message, "slo query failed");
                    slo_errors.push(format!("SLO '{}': {message}", plan.name));
                    store.write(|tx| {
                        upsert_definition(tx, plan, &queries)?;
                        write::set_slo_error(tx, id, &message, now)
                    })?;
                }
                Err((_, QueryError::Source(err))) => {
                    let message = err.to_string();
                    store.write(|tx| write::set_slo_error(tx, id, &message, now))?;
                    failure = Some((message, err));
                }
            }
        }
        report.requests = session.requests;
        if !self.plans.is_empty() {
            report.changed.push(Tab::Slos);
        }
        match failure {
            Some((message, err)) => {
                store.write(|tx| write::sync_failure(tx, &name, &message, err.retry_at(), now))?;
                Err(SyncError::Api(err))
            }
            None if !slo_errors.is_empty() => {
                // The source answered (its sync state is healthy) and the healthy SLOs are
                // stored; the round still fails, naming each broken SLO and why, so
                // `sync --once` exits non-zero (issue #11 defect 10).
                store.write(|tx| write::sync_success(tx, &name, None, now))?;
                Err(config_error(
                    &name,
                    crate::sanitize::line(&slo_errors.join("; ")),
                ))
            }
            None => {
                store.write(|tx| write::sync_success(tx, &name, None, now))?;
                Ok(report)
            }
        }
    }

    /// [`Source::fetch`] records its failures itself (a broken SLO leaves the source healthy).
    fn record_failure(&self, _store: &mut Store, _err: &SyncError, _now: Now) {}

    /// Prometheus is read-only: every outbox entry fails for good.
    async fn send(&mut self, _store: &mut Store, _entry: &OutboxEntry, _now: Now) -> PushResult {
        Ok(PushOutcome::Failed("read-only source".to_owned()))
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// The owned text of a stored definition.
struct DefinitionText {
    objective: String,
    events: String,
    total: String,
}

impl DefinitionText {
    /// The objective without `%` and the SLO-window queries, runnable as shown.
    fn new(plan: &SloPlan, queries: &Queries) -> Self {
        let objective = plan.objective.to_string();
        Self {
            objective: objective.trim_end_matches('%').to_owned(),
            events: queries.events_query(plan.window.label()),
            total: queries.total_query(plan.window.label()),
        }
    }

    fn def<'a>(&'a self, plan: &'a SloPlan) -> write::SloDef<'a> {
        write::SloDef {
            name: &plan.name,
            service: &plan.service,
            objective: &self.objective,
            window_days: u32::try_from(plan.window.secs() / 86_400).unwrap_or(30),
            kind: plan.kind().as_str(),
            good_query: &self.events,
            total_query: &self.total,
            threshold_le: plan.threshold_text(),
        }
    }
}

fn upsert_definition(
    tx: &rusqlite::Transaction<'_>,
    plan: &SloPlan,
    queries: &Queries,
) -> store::Result<i64> {
    write::upsert_slo(tx, &DefinitionText::new(plan, queries).def(plan))
}

/// Stores one SLO's fresh counts, history and warnings in the caller's transaction.
fn save(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    plan: &SloPlan,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> store::Result<()> {
    upsert_definition(tx, plan, &fetched.queries)?;
    for (window, bad, total) in &fetched.windows {
        write::set_slo_window(tx, id, window.label(), *bad, *total, now)?;
    }
    let labels: Vec<&str> = fetched.windows.iter().map(|(w, ..)| w.label()).collect();
    store::prometheus::retain_slo_windows(tx, id, &labels)?;
    for (day, bad, total) in &fetched.daily {
        write::set_slo_daily(tx, id, *day, *bad, *total)?;
    }
    if let Some((first, ..)) = fetched.daily.first() {
        store::prometheus::prune_slo_daily(tx, id, *first)?;
    }
    if !fetched.warnings.is_empty() {
        let text = format!("{WARNING_PREFIX}{}", fetched.warnings.join("; "));
        write::set_slo_error(tx, id, &text, now)?;
    }
    Ok(())
}

/// Validates the histogram bucket (latency SLIs), then fetches every window and the history.
///
/// On failure, also returns the queries known so far so the stored definition shows them.
async fn fetch(
    session: &mut Session<'_>,
    policy: &AlertPolicy,
    plan: &SloPlan,
    now: DateTime<Utc>,
) -> Result<Fetched, (Queries, QueryError)> {
    let mut warnings = Vec::new();
    let mut queries = plan.queries(&[]);
    if let Some((selector, threshold)) = plan.bucket_lookup() {
        let start = now - TimeDelta::seconds(secs_i64(plan.window));
        let found = match session.label_values(&selector, "le", start, now).await {
            Ok(found) => found,
            Err(e) => return Err((queries, e)),
        };
        warnings.extend(found.warnings);
        let matching = matching_le_values(found.value.iter().map(String::as_str), threshold);
        if matching.is_empty() {
            let message = missing_bucket_message(plan, &selector, &found.value);
            return Err((queries, QueryError::Slo(message)));
        }
        queries = plan.queries(&matching);
    }
    match fetch_counts(session, policy, plan, &queries, now).await {
        Ok((windows, daily, more)) => {
            warnings.extend(more);
            warnings.dedup();
            Ok(Fetched {
                queries,
                windows,
                daily,
                warnings,
            })
        }
        Err(e) => Err((queries, e)),
    }
}

type WindowCounts = Vec<(Window, f64, f64)>;
type DailyCounts = Vec<(NaiveDate, f64, f64)>;

async fn fetch_counts(
    session: &mut Session<'_>,
    policy: &AlertPolicy,
    plan: &SloPlan,
    queries: &Queries,
    now: DateTime<Utc>,
) -> Result<(WindowCounts, DailyCounts, Vec<String>), QueryError> {
    let mut counting = Counting {
        session,
        queries,
        now,
        warnings: Vec::new(),
    };
    let mut windows = Vec::new();
    for window in plan.windows(policy) {
        let (bad, total) = counting
            .window(window.label())
            .await?
            .ok_or_else(|| QueryError::Slo(missing_events_message(queries, window.label())))?;
        windows.push((window, bad, total));
    }
    let daily = counting.daily(plan.window).await?;
    Ok((windows, daily, counting.warnings))
}

/// The count queries of one SLO at `now`, keeping the warnings their answers carry.
struct Counting<'s, 'a> {
    session: &'s mut Session<'a>,
    queries: &'s Queries,
    now: DateTime<Utc>,
    warnings: Vec<String>,
}

impl Counting<'_, '_> {
    /// Bad and total events over one range ending at `now`; `None` when a required events
    /// series is missing although there is traffic.
    async fn window(&mut self, range: &str) -> Result<Option<(f64, f64)>, QueryError> {
        let mut answers = [None, None];
        for (answer, query) in answers
            .iter_mut()
            .zip(events_and_total(self.queries, range))
        {
            let found = self.session.instant(&query, self.now).await?;
            *answer = self.keep(found);
        }
        let [events, total] = answers;
        counts(self.queries, events, total).map_err(QueryError::Slo)
    }

    /// One sample per UTC day of the SLO `window` (full days ending at today's midnight) plus
    /// today so far; days whose required bucket series is missing are left out.
    async fn daily(&mut self, window: Window) -> Result<DailyCounts, QueryError> {
        let now = self.now;
        let midnight = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
        let days = secs_i64(window) / DAY_SECS;
        let start = midnight - TimeDelta::seconds((days - 1) * DAY_SECS);
        let step = DAY_SECS.unsigned_abs();
        let mut series = [Vec::new(), Vec::new()];
        for (points, query) in series.iter_mut().zip(events_and_total(self.queries, "1d")) {
            let found = self.session.range(&query, start, midnight, step).await?;
            *points = self.keep(found);
        }
        let [events, totals] = series;
        let at =
            |points: &[(i64, f64)], t: i64| points.iter().find(|(pt, _)| *pt == t).map(|(_, v)| *v);
        let mut out = Vec::new();
        for k in 0..days {
            let end = start + TimeDelta::seconds(k * DAY_SECS);
            let t = end.timestamp();
            let day = (end - TimeDelta::seconds(DAY_SECS)).date_naive();
            if let Some((bad, total)) =
                counts(self.queries, at(&events, t), at(&totals, t)).map_err(QueryError::Slo)?
            {
                out.push((day, bad, total));
            }
        }
        let today_secs = (now - midnight).num_seconds();
        if today_secs > 0 {
            if let Some((bad, total)) = self.window(&format!("{today_secs}s")).await? {
                out.push((now.date_naive(), bad, total));
            }
        }
        Ok(out)
    }

    /// The answer's value; its warnings join the SLO's (each once).
    fn keep<T>(&mut self, answer: Answer<T>) -> T {
        for w in answer.warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        answer.value
    }
}

/// The events query, then the total query, over `range`.
fn events_and_total(queries: &Queries, range: &str) -> [String; 2] {
    [queries.events_query(range), queries.total_query(range)]
}

/// Turns the two query results into `(bad, total)`.
///
/// An empty or NaN total is 0 (no data downstream, never 0 % or 100 %); a missing bad series
/// is 0; good events give `bad = total − good`. Infinity is refused.
fn counts(
    queries: &Queries,
    events: Option<f64>,
    total: Option<f64>,
) -> Result<Option<(f64, f64)>, String> {
    let finite = |v: Option<f64>, what: &str| match v {
        Some(x) if x.is_infinite() => Err(format!(
            "the {what} query returned {x}; check the selector (a counter, not a ratio)"
        )),
        Some(x) => Ok(Some(x.max(0.0))),
        None => Ok(None),
    };
    let total = finite(total, "total")?.unwrap_or(0.0);
    let events = finite(events, "events")?;
    if queries.events_required && events.is_none() && total > 0.0 {
        return Ok(None);
    }
    let events = events.unwrap_or(0.0);
    let bad = if queries.events_are_good {
        (total - events).max(0.0)
    } else {
        events
    };
    Ok(Some((bad, total)))
}

fn secs_i64(window: Window) -> i64 {
    i64::try_from(window.secs()).unwrap_or(i64::MAX)
}

fn missing_events_message(queries: &Queries, range: &str) -> String {
    format!(
        "the histogram has requests but no bucket series for `{}` over {range}; check threshold_le",
        queries.events
    )
}

fn missing_bucket_message(plan: &SloPlan, selector: &str, found: &[String]) -> String {
    let threshold = plan.threshold_text().unwrap_or_default();
    if found.is_empty() {
        return format!(
            "no series match {selector} in the last {}; check the histogram selector (it must name \
             the _bucket metric of a classic histogram)",
            plan.window.label()
        );
    }
    let mut buckets: Vec<&String> = Vec::new();
    for le in found {
        if !buckets.contains(&le) {
            buckets.push(le);
        }
    }
    buckets.sort_by(|a, b| {
        let (x, y) = (query::parse_le(a), query::parse_le(b));
        x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
    });
    let list: Vec<&str> = buckets.iter().map(|s| s.as_str()).collect();
    format!(
        "threshold_le \"{threshold}\" is not a bucket of {selector}; its buckets are le = {}; \
         set threshold_le to one of them",
        list.join(", ")
    )
}
