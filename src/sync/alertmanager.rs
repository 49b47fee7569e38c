//! The Alertmanager API v2 connector: firing alerts in, silences out (several may be configured).
//!
//! Owns the alert pull (API-CONTRACTS §5.2: `GET /api/v2/alerts` with the default filters, so
//! active, silenced, inhibited and unprocessed alerts all come back), the fingerprint-keyed
//! upsert with labels, annotations, `startsAt`/`endsAt`, `status.state` and `silencedBy`, pruning
//! of alerts that are no longer returned (Alertmanager drops resolved alerts), and the two
//! writes (§5.3): `SilenceAlert` → `POST /api/v2/silences` and `ExpireSilence` →
//! `DELETE /api/v2/silence/{id}` (singular path). After either write the alerts are pulled
//! again so the cached state (`suppressed` / `active`) follows at once. When any alert is
//! silenced, `GET /api/v2/silences` caches who created each silence, its comment, matchers and
//! `endsAt` (so expiring one can say whose it is); a silence pushed from here replaces the
//! optimistic `pending:` one and keeps the mark that opsdeck created it.
//!
//! Alertmanager has no incremental sync, no ETag and no rate limit; errors are bare JSON
//! strings (the HTTP layer reads them). A token, when given, is sent as `Bearer` (for a proxy in
//! front of Alertmanager); plain `http` is accepted because on-premise Alertmanagers rarely run
//! TLS.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::super::domain::{Alert, AlertState, EntityKind, Silence, Tab};
use super::super::sanitize;
use super::super::store::{incidents, write, Operation, OutboxEntry, Store, StoreError};
use super::http::{ApiError, ApiRequest, AuthScheme, HttpClient, SourceConfig};
use super::pagerduty::{base_url, segment, NO_TOKEN_ENV};
use super::source::{
    auth, config_error, http_client, nullable, Build, Meta, Now, PullResult, PushResult, Settings,
    Source,
};
use super::{PullReport, PushOutcome, SyncError};

/// `createdBy` when neither the operation nor the config names someone.
pub const DEFAULT_CREATED_BY: &str = "opsdeck";

/// `gettableAlert.status`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AlertStatus {
    #[serde(deserialize_with = "nullable")]
    state: String,
    #[serde(deserialize_with = "nullable")]
    silenced_by: Vec<String>,
}

/// `gettableAlert` (fields added in newer versions are optional or ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct GettableAlert {
    #[serde(deserialize_with = "nullable")]
    fingerprint: String,
    #[serde(deserialize_with = "nullable")]
    labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
    status: Option<AlertStatus>,
}

/// `gettableSilence` (only what reconciliation needs).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct GettableSilence {
    #[serde(deserialize_with = "nullable")]
    id: String,
    #[serde(deserialize_with = "nullable")]
    matchers: Vec<SilenceMatcher>,
    #[serde(deserialize_with = "nullable")]
    created_by: String,
    #[serde(deserialize_with = "nullable")]
    comment: String,
    #[serde(rename = "endsAt")]
    ends_at: Option<String>,
    status: Option<SilenceStatus>,
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
struct SilenceMatcher {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    value: String,
    #[serde(deserialize_with = "nullable")]
    is_regex: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SilenceStatus {
    #[serde(deserialize_with = "nullable")]
    state: String,
}

/// `POST /api/v2/silences` answer.
#[derive(Debug, Deserialize)]
struct SilenceCreated {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

fn utc(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn clean_map(map: &BTreeMap<String, String>, text: bool) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| {
            let v = if text {
                sanitize::text(v)
            } else {
                sanitize::line(v)
            };
            (sanitize::line(k), v)
        })
        .collect()
}

/// One Alertmanager.
#[derive(Debug)]
pub struct AlertmanagerSource {
    name: String,
    http: HttpClient,
    created_by: Option<String>,
    service_map: BTreeMap<String, String>,
}

impl Build for AlertmanagerSource {
    /// Builds the source; `token` is optional (Bearer, for a proxy). Fails without `base_url`
    /// (Alertmanager has no public default) or with a bad one.
    fn build((cfg, token, clock, tune): Settings<'_>) -> Result<Self, SyncError> {
        let raw = cfg.base_url.as_deref().ok_or_else(|| {
            config_error(
                cfg,
                "set base_url to the Alertmanager, e.g. \"http://alertmanager:9093\"",
            )
        })?;
        let base = base_url(raw).map_err(|message| config_error(cfg, message))?;
        let mut hc = SourceConfig::new(cfg.name.clone(), base);
        hc.https_only = false;
        hc.mutation_gap = Duration::ZERO;
        hc.auth = token.map(|token| auth(cfg, AuthScheme::Bearer, token, NO_TOKEN_ENV));
        let http = http_client(cfg, hc, clock, tune)?;
        Ok(Self {
            name: cfg.name.clone(),
            http,
            created_by: cfg.created_by.clone().filter(|c| !c.trim().is_empty()),
            service_map: cfg.service_map.clone(),
        })
    }
}

impl AlertmanagerSource {
    /// The configured source name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    fn to_domain(
        &self,
        a: &GettableAlert,
    ) -> Option<(Alert, Option<DateTime<Utc>>, Option<String>)> {
        if a.fingerprint.trim().is_empty() {
            return None;
        }
        let labels = clean_map(&a.labels, false);
        let annotations = clean_map(&a.annotations, true);
        let label = |k: &str| labels.get(k).cloned().unwrap_or_default();
        let raw_service = labels
            .get("service")
            .or_else(|| labels.get("job"))
            .cloned()
            .unwrap_or_default();
        let service = self
            .service_map
            .get(&raw_service)
            .cloned()
            .unwrap_or(raw_service);
        let status = a.status.as_ref();
        let state = status
            .and_then(|s| s.state.parse().ok())
            .unwrap_or(AlertState::Unprocessed);
        let alert = Alert {
            id: 0,
            source: self.name.clone(),
            fingerprint: sanitize::line(&a.fingerprint),
            name: label("alertname"),
            severity: label("severity"),
            service: sanitize::line(&service),
            state,
            labels,
            annotations,
            starts_at: utc(a.starts_at.as_deref())?,
            silenced_by: status
                .map(|s| s.silenced_by.iter().map(|id| sanitize::line(id)).collect())
                .unwrap_or_default(),
            pending: false,
            silences: Vec::new(),
        };
        Some((
            alert,
            utc(a.ends_at.as_deref()),
            sanitize::opt_line(a.generator_url.as_deref()),
        ))
    }
}

impl Source for AlertmanagerSource {
    const META: Meta = Meta::new("alertmanager", "Alertmanager")
        .edits(EntityKind::Alert)
        .records_own_success();

    /// Pulls every alert, upserts by fingerprint and prunes the ones no longer returned
    /// (nothing is written on error).
    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        let url = self.http.url("api/v2/alerts")?;
        let alerts: Vec<GettableAlert> = self
            .http
            .send_with_retry(ApiRequest::get(url))
            .await?
            .json()?;
        let converted: Vec<_> = alerts.iter().filter_map(|a| self.to_domain(a)).collect();
        if converted.len() < alerts.len() {
            tracing::warn!(source = %self.name, skipped = alerts.len() - converted.len(), "alerts without fingerprint or startsAt");
        }
        let name = self.name.clone();
        let pruned = store.write(|tx| {
            for (alert, ends_at, generator) in &converted {
                write::upsert_alert(tx, alert, *ends_at, generator.as_deref(), now)?;
            }
            let pruned = write::prune_alerts(tx, &name, now)?;
            write::sync_success(tx, &name, None, now)?;
            Ok(pruned)
        })?;
        let mut report = PullReport {
            fetched: converted.len(),
            requests: 1,
            changed: Vec::new(),
        };
        if converted.iter().any(|(a, ..)| !a.silenced_by.is_empty()) {
            self.pull_silences(store).await;
            report.requests += 1;
        }
        if !converted.is_empty() || pruned > 0 {
            report.changed.push(Tab::Incidents);
        }
        Ok(report)
    }

    /// Pushes one silence or its expiry, then re-pulls the alerts.
    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
        let outcome = match &entry.op {
            Operation::SilenceAlert {
                matchers,
                duration_secs,
                comment,
                created_by,
            } => {
                self.silence(
                    store,
                    entry,
                    matchers,
                    *duration_secs,
                    comment,
                    created_by,
                    now,
                )
                .await?
            }
            Operation::ExpireSilence { silence_id } => self.expire(entry, silence_id, now).await,
            other => {
                PushOutcome::Failed(format!("Alertmanager cannot apply '{}'", other.describe()))
            }
        };
        if outcome == PushOutcome::Done {
            if let Err(e) = self.pull(store, now).await {
                tracing::warn!(source = %self.name, error = %e, "re-pull after a silence change failed");
            }
        }
        Ok(outcome)
    }

    fn name(&self) -> &str {
        &self.name
    }
}

impl AlertmanagerSource {
    #[allow(
        clippy::too_many_arguments,
        reason = "the operation's fields, unpacked"
    )]
    async fn silence(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        matchers: &[(String, String)],
        duration_secs: i64,
        comment: &str,
        op_created_by: &str,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        let matchers = if matchers.is_empty() {
            match incidents::alert_labels(store.conn(), entry.entity.id) {
                Ok(labels) => labels,
                Err(StoreError::NotFound(what)) => {
                    return Ok(PushOutcome::Failed(format!("{what} is no longer cached")))
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            matchers.to_vec()
        };
        if matchers.is_empty() {
            return Ok(PushOutcome::Failed(
                "a silence needs at least one matcher".to_owned(),
            ));
        }
        if duration_secs <= 0 {
            return Ok(PushOutcome::Failed(
                "a silence needs a positive duration".to_owned(),
            ));
        }
        let created_by = Some(op_created_by.trim())
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .or_else(|| self.created_by.clone())
            .unwrap_or_else(|| DEFAULT_CREATED_BY.to_owned());
        let comment = if comment.trim().is_empty() {
            "silenced from opsdeck"
        } else {
            comment
        };
        if entry.attempts > 1 {
            match self.find_silence(&matchers, &created_by, comment).await {
                Ok(Some(id)) => {
                    let silence = self.own_silence(&id, &created_by, comment, &matchers, None);
                    self.record_own_silence(store, entry.entity.id, &silence)?;
                    return Ok(PushOutcome::Done);
                }
                Ok(None) => {}
                Err(e) => return Ok(super::pagerduty::push_outcome(e, entry.attempts, now)),
            }
        }
        let ends = now + TimeDelta::seconds(duration_secs);
        let body = json!({
            "matchers": matchers.iter().map(|(name, value)| json!({
                "name": name, "value": value, "isRegex": false, "isEqual": true,
            })).collect::<Vec<_>>(),
            "startsAt": now.to_rfc3339_opts(SecondsFormat::Millis, true),
            "endsAt": ends.to_rfc3339_opts(SecondsFormat::Millis, true),
            "createdBy": created_by,
            "comment": comment,
        });
        let req = ApiRequest::new(Method::POST, self.http.url("api/v2/silences")?).json(&body)?;
        let created = match self.http.send(req).await {
            Ok(resp) => resp.json::<SilenceCreated>(),
            Err(e) => Err(e),
        };
        match created {
            Ok(created) => {
                let id = sanitize::line(&created.silence_id);
                let silence = self.own_silence(&id, &created_by, comment, &matchers, Some(ends));
                self.record_own_silence(store, entry.entity.id, &silence)?;
                Ok(PushOutcome::Done)
            }
            Err(e) => Ok(super::pagerduty::push_outcome(e, entry.attempts, now)),
        }
    }

    fn own_silence(
        &self,
        id: &str,
        created_by: &str,
        comment: &str,
        matchers: &[(String, String)],
        ends_at: Option<DateTime<Utc>>,
    ) -> Silence {
        Silence {
            id: id.to_owned(),
            created_by: sanitize::line(created_by),
            comment: sanitize::line(comment),
            matchers: matchers
                .iter()
                .map(|(n, v)| sanitize::line(&format!("{n}={v}")))
                .collect(),
            ends_at,
            by_opsdeck: true,
        }
    }

    /// The confirmed silence replaces the queued `pending:` one on the alert, and its metadata
    /// is kept with the mark that opsdeck created it (one transaction).
    fn record_own_silence(
        &self,
        store: &mut Store,
        alert: i64,
        silence: &Silence,
    ) -> Result<(), StoreError> {
        store.write(|tx| {
            incidents::remove_pending_silences(tx, alert)?;
            incidents::upsert_silence(tx, &self.name, silence)?;
            incidents::add_alert_silence(tx, alert, &silence.id)
        })
    }

    /// Caches who created each live silence, why, what it matches and until when, so `M` can
    /// say whose silence it would expire. Best effort: alerts stay usable without it.
    async fn pull_silences(&self, store: &mut Store) {
        let list: Result<Vec<GettableSilence>, ApiError> = async {
            let url = self.http.url("api/v2/silences")?;
            self.http.send(ApiRequest::get(url)).await?.json()
        }
        .await;
        let list = match list {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(source = %self.name, error = %e, "silence metadata not read");
                return;
            }
        };
        let silences: Vec<Silence> = list
            .into_iter()
            .filter(|s| s.status.as_ref().is_some_and(|st| st.state != "expired"))
            .map(|s| Silence {
                id: sanitize::line(&s.id),
                created_by: sanitize::line(&s.created_by),
                comment: sanitize::line(&s.comment),
                matchers: s
                    .matchers
                    .iter()
                    .map(|m| {
                        let op = if m.is_regex { "=~" } else { "=" };
                        sanitize::line(&format!("{}{op}{}", m.name, m.value))
                    })
                    .collect(),
                ends_at: utc(s.ends_at.as_deref()),
                by_opsdeck: false,
            })
            .collect();
        let written = store.write(|tx| {
            for s in &silences {
                incidents::upsert_silence(tx, &self.name, s)?;
            }
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(source = %self.name, error = %e, "silence metadata not stored");
        }
    }

    /// An active or pending silence with exactly these matchers, author and comment.
    async fn find_silence(
        &self,
        matchers: &[(String, String)],
        created_by: &str,
        comment: &str,
    ) -> Result<Option<String>, ApiError> {
        let url = self.http.url("api/v2/silences")?;
        let list: Vec<GettableSilence> = self.http.send(ApiRequest::get(url)).await?.json()?;
        let mut wanted: Vec<(&str, &str)> = matchers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        wanted.sort_unstable();
        Ok(list
            .into_iter()
            .filter(|s| {
                let live = s.status.as_ref().is_some_and(|st| st.state != "expired");
                let mut have: Vec<(&str, &str)> = s
                    .matchers
                    .iter()
                    .filter(|m| !m.is_regex)
                    .map(|m| (m.name.as_str(), m.value.as_str()))
                    .collect();
                have.sort_unstable();
                live && s.created_by == created_by && s.comment == comment && have == wanted
            })
            .map(|s| s.id)
            .next())
    }

    async fn expire(
        &mut self,
        entry: &OutboxEntry,
        silence_id: &str,
        now: DateTime<Utc>,
    ) -> PushOutcome {
        let path = format!("api/v2/silence/{}", segment(silence_id));
        let url = match self.http.url(&path) {
            Ok(url) => url,
            Err(e) => return PushOutcome::Failed(e.to_string()),
        };
        let current = match self.http.send(ApiRequest::get(url.clone())).await {
            Ok(resp) => resp.json::<GettableSilence>(),
            Err(e) => Err(e),
        };
        match current {
            Ok(s) if s.status.as_ref().is_some_and(|st| st.state == "expired") => {
                return PushOutcome::Done;
            }
            Ok(_) => {}
            Err(ApiError::Permanent { status: 404, .. }) => return PushOutcome::Done,
            Err(e) => return super::pagerduty::push_outcome(e, entry.attempts, now),
        }
        match self.http.send(ApiRequest::new(Method::DELETE, url)).await {
            Ok(_) | Err(ApiError::Permanent { status: 404, .. }) => PushOutcome::Done,
            Err(e) => super::pagerduty::push_outcome(e, entry.attempts, now),
        }
    }
}
