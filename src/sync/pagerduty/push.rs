//! PagerDuty writes: acknowledge, resolve, reassign, add note, and creating locally declared
//! incidents — each guarded by a read so a queued edit never fights the remote.
//!
//! Rules (RELIABILITY §8.1, battery E4):
//! - every write carries `From: <email>`; a source without `email` cannot write
//!   ([`SyncError::Config`]);
//! - an incident already resolved remotely (known from the last pull or read) makes any status
//!   edit a local no-op: `Done` with **no request**; reopening it is a `Conflict` instead;
//! - before a status edit the incident is read: resolved → `Done` without a write; an
//!   acknowledge on an incident acknowledged by **someone else** → `Conflict("acknowledged by
//!   <name> at <time>")` and no PUT (re-acking resets their timers and steals the ack);
//! - reassign: `Conflict` when the assignees moved away from the value the user saw;
//! - a note retried after an unknown outcome is not posted twice (same content found → `Done`);
//! - locally declared incidents are created with `POST /incidents` (service = first of
//!   `services`, `incident_key = opsdeck-<op id>` so a retry finds the first attempt) and the
//!   local row is re-keyed to the new remote incident, keeping its audit trail.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::json;

use super::super::super::domain::{EntityKind, IncidentEvent, IncidentStatus, Priority};
use super::super::super::store::incidents::{self, LocalDeclaration};
use super::super::super::store::{write, Operation, OutboxEntry, Store};
use super::super::http::{ApiError, ApiRequest};
use super::super::source::{Meta, Now, PullResult, PushResult, Source};
use super::super::{PushOutcome, SyncError};
use super::dto::{
    self, IncidentEnvelope, IncidentPage, NoteEnvelope, NoteList, RemoteState, UserList,
};
use super::{segment, PagerDutySource};

/// Longest wait suggested after a server or network error.
const MAX_RETRY_SECS: i64 = 15 * 60;

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Maps a failed call to the outbox outcome (contract: rate limit, 5xx, transport → retry).
pub(in super::super) fn outcome_of(
    err: ApiError,
    attempts: u32,
    now: DateTime<Utc>,
) -> PushOutcome {
    let error = err.to_string();
    match err {
        ApiError::RateLimited { until, .. } | ApiError::CircuitOpen { until } => {
            PushOutcome::Retry { at: until, error }
        }
        ApiError::Server { .. } | ApiError::Transport { .. } => {
            let secs = 30i64.saturating_mul(1 << attempts.clamp(1, 10).saturating_sub(1));
            PushOutcome::Retry {
                at: now + TimeDelta::seconds(secs.min(MAX_RETRY_SECS)),
                error,
            }
        }
        _ => PushOutcome::Failed(error),
    }
}

/// `Conflict` text for an incident someone else acknowledged.
fn acked_by_text(state: &RemoteState) -> String {
    match state.acknowledgers.first() {
        Some((_, name, Some(at))) => format!("acknowledged by {name} at {}", stamp(*at)),
        Some((_, name, None)) => format!("acknowledged by {name}"),
        None => "acknowledged by someone else".to_owned(),
    }
}

fn resolved_text(state: &RemoteState) -> String {
    match state.resolved_at {
        Some(at) => format!("resolved at {}", stamp(at)),
        None => "resolved".to_owned(),
    }
}

impl Source for PagerDutySource {
    const META: Meta = Meta::new("pagerduty", "PagerDuty")
        .edits(EntityKind::Incident)
        .records_own_success();

    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult {
        self.pull_inner(store, now).await
    }

    /// A failed pull keeps the HTTP layer's breaker deadline when the error has none.
    fn record_failure(&self, store: &mut Store, err: &SyncError, now: Now) {
        let until = err.retry_at().or_else(|| self.http.blocked_until());
        crate::sync::tracker::note_failure(store, &self.name, err, until, now);
    }

    /// Pushes one incident edit (see the module docs of [`super`]).
    ///
    /// Fails with [`SyncError::Config`] when a write is needed and `email` is not configured
    /// (or no service id is configured for creating incidents); store errors.
    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
        if let Operation::DeclareIncident {
            title,
            severity,
            service,
        } = &entry.op
        {
            let decl = LocalDeclaration {
                incident_id: entry.entity.id,
                op_id: entry.op_id.clone(),
                title: title.clone(),
                severity: *severity,
                service: service.clone(),
                created_at: entry.created_at,
            };
            let (source, _) = incidents::incident_key(store.conn(), entry.entity.id)?;
            if source == self.name {
                return Ok(PushOutcome::Done);
            }
            let mut requests = 0;
            return self
                .create_remote(store, &decl, entry.attempts, now, &mut requests)
                .await;
        }
        let external_id = match incidents::incident_key(store.conn(), entry.entity.id) {
            Ok((_, ext)) => ext,
            Err(super::super::super::store::StoreError::NotFound(what)) => {
                return Ok(PushOutcome::Failed(format!("{what} is no longer cached")));
            }
            Err(e) => return Err(e.into()),
        };
        match &entry.op {
            Operation::SetIncidentStatus {
                new, resolution, ..
            } => {
                self.push_status(store, entry, &external_id, *new, resolution.as_deref(), now)
                    .await
            }
            Operation::SetIncidentAssignee { old, new } => {
                self.push_assignee(
                    store,
                    entry,
                    &external_id,
                    old.as_deref(),
                    new.as_deref(),
                    now,
                )
                .await
            }
            Operation::AddIncidentNote { body } => {
                self.push_note(store, entry, &external_id, body, now).await
            }
            other => Ok(PushOutcome::Failed(format!(
                "PagerDuty cannot apply '{}'",
                other.describe()
            ))),
        }
    }
}

impl PagerDutySource {
    /// The `From` header value; writes are refused without it.
    fn sender_header(&self) -> Result<HeaderValue, SyncError> {
        let config = |message: String| SyncError::Config {
            source_name: self.name.clone(),
            message,
        };
        let email = self.email.as_deref().ok_or_else(|| {
            config("PagerDuty writes need `email` (a user of the account, sent as From)".to_owned())
        })?;
        HeaderValue::from_str(email.trim())
            .map_err(|_| config(format!("email '{email}' cannot be sent as a header")))
    }

    fn write_request(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<ApiRequest, SyncError> {
        let from = self.sender_header()?;
        let url = self.url(path, &[])?;
        Ok(ApiRequest::new(method, url)
            .json(body)?
            .header(HeaderName::from_static("from"), from))
    }

    /// Reads one incident without retrying (push path) and remembers its remote state.
    async fn read_incident(&mut self, external_id: &str) -> Result<dto::PdIncident, ApiError> {
        let url = self.url(&format!("incidents/{}", segment(external_id)), &[])?;
        let env: IncidentEnvelope = self.http.send(ApiRequest::get(url)).await?.json()?;
        if let Some(state) = env.incident.remote_state() {
            self.remote.insert(external_id.to_owned(), state);
        }
        Ok(env.incident)
    }

    /// Caches what a write returned (status, acknowledgement time, assignees).
    fn store_incident(
        &mut self,
        store: &mut Store,
        incident: &dto::PdIncident,
        now: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        if let Some(state) = incident.remote_state() {
            self.remote.insert(incident.id.clone(), state);
        }
        if let Some(domain) = incident.to_domain(&self.name, &self.severity, &self.service_map) {
            let updated = incident.remote_updated_at();
            store.write(|tx| write::upsert_incident(tx, &domain, updated, now).map(|_| ()))?;
        }
        Ok(())
    }

    /// Sends `body` with `PUT incidents/{id}` and caches the incident PagerDuty answers with.
    async fn put_incident(
        &mut self,
        store: &mut Store,
        external_id: &str,
        body: &serde_json::Value,
        attempts: u32,
        now: Now,
    ) -> PushResult {
        let path = format!("incidents/{}", segment(external_id));
        let req = self.write_request(Method::PUT, &path, body)?;
        match self.http.send(req).await {
            Ok(resp) => {
                if let Ok(env) = resp.json::<IncidentEnvelope>() {
                    self.store_incident(store, &env.incident, now)?;
                }
                Ok(PushOutcome::Done)
            }
            Err(e) => Ok(outcome_of(e, attempts, now)),
        }
    }

    /// The PagerDuty user id behind `email` (looked up once with `GET /users?query=`).
    async fn my_user_id(&mut self) -> Option<String> {
        if self.me.is_some() {
            return self.me.clone();
        }
        let email = self.email.clone()?;
        let url = self.url("users", &[("query", email.clone())]).ok()?;
        let list: UserList = self
            .http
            .send(ApiRequest::get(url))
            .await
            .ok()?
            .json()
            .ok()?;
        let id = list
            .users
            .into_iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            })
            .map(|u| u.id)?;
        self.me = Some(id.clone());
        Some(id)
    }

    async fn push_status(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        external_id: &str,
        new: IncidentStatus,
        resolution: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        if let Some(state) = self.remote.get(external_id) {
            if state.status == IncidentStatus::Resolved {
                return Ok(match new {
                    IncidentStatus::Triggered => PushOutcome::Conflict(resolved_text(state)),
                    _ => PushOutcome::Done,
                });
            }
        }
        let remote = match self.read_incident(external_id).await {
            Ok(incident) => incident,
            Err(e) => return Ok(outcome_of(e, entry.attempts, now)),
        };
        let Some(state) = remote.remote_state() else {
            return Ok(PushOutcome::Failed(format!(
                "PagerDuty returned an unknown status '{}'",
                super::super::super::sanitize::line(&remote.status)
            )));
        };
        match (state.status, new) {
            (IncidentStatus::Resolved, IncidentStatus::Triggered) => {
                return Ok(PushOutcome::Conflict(resolved_text(&state)));
            }
            (IncidentStatus::Resolved, _) => return Ok(PushOutcome::Done),
            (IncidentStatus::Triggered, IncidentStatus::Triggered) => return Ok(PushOutcome::Done),
            (IncidentStatus::Acknowledged, IncidentStatus::Acknowledged) => {
                let me = self.my_user_id().await;
                let mine =
                    me.is_some_and(|me| state.acknowledgers.iter().any(|(id, ..)| *id == me));
                return Ok(if mine {
                    PushOutcome::Done
                } else {
                    PushOutcome::Conflict(acked_by_text(&state))
                });
            }
            _ => {}
        }
        let mut incident = json!({"type": "incident_reference", "status": new.as_str()});
        if let (IncidentStatus::Resolved, Some(text)) = (new, resolution) {
            incident["resolution"] = json!(text);
        }
        let body = json!({ "incident": incident });
        self.put_incident(store, external_id, &body, entry.attempts, now)
            .await
    }

    /// A PagerDuty user id for `who`: an id as is, else an exact email or name match.
    async fn resolve_user(&mut self, who: &str) -> Result<Option<String>, ApiError> {
        let looks_like_id = who.len() >= 6
            && who.starts_with('P')
            && who
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if looks_like_id {
            return Ok(Some(who.to_owned()));
        }
        let url = self.url("users", &[("query", who.to_owned())])?;
        let list: UserList = self.http.send(ApiRequest::get(url)).await?.json()?;
        Ok(list
            .users
            .into_iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(who))
                    || u.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(who))
            })
            .map(|u| u.id))
    }

    async fn push_assignee(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        external_id: &str,
        old: Option<&str>,
        new: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        let Some(new) = new else {
            return Ok(PushOutcome::Failed(
                "PagerDuty incidents cannot be left unassigned; reassign to a person".to_owned(),
            ));
        };
        let user_id = match self.resolve_user(new).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Ok(PushOutcome::Failed(format!(
                    "no PagerDuty user matches '{new}'"
                )))
            }
            Err(e) => return Ok(outcome_of(e, entry.attempts, now)),
        };
        let remote = match self.read_incident(external_id).await {
            Ok(incident) => incident,
            Err(e) => return Ok(outcome_of(e, entry.attempts, now)),
        };
        let Some(state) = remote.remote_state() else {
            return Ok(PushOutcome::Failed(
                "PagerDuty returned an unknown status".to_owned(),
            ));
        };
        if state.status == IncidentStatus::Resolved {
            return Ok(PushOutcome::Conflict(resolved_text(&state)));
        }
        if state.assignees.iter().any(|(id, _)| *id == user_id) {
            return Ok(PushOutcome::Done);
        }
        let names: Vec<&str> = state.assignees.iter().map(|(_, n)| n.as_str()).collect();
        let joined = names.join(", ");
        let as_seen = match old {
            None => names.is_empty(),
            Some(o) => {
                joined == o
                    || state
                        .assignees
                        .iter()
                        .any(|(id, n)| id == o || n.eq_ignore_ascii_case(o))
            }
        };
        if !as_seen {
            let now_assigned = if joined.is_empty() {
                "nobody".to_owned()
            } else {
                joined
            };
            return Ok(PushOutcome::Conflict(format!("assigned to {now_assigned}")));
        }
        let body = json!({"incident": {
            "type": "incident_reference",
            "assignments": [{"assignee": {"id": user_id, "type": "user_reference"}}],
        }});
        self.put_incident(store, external_id, &body, entry.attempts, now)
            .await
    }

    async fn push_note(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        external_id: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        let path = format!("incidents/{}/notes", segment(external_id));
        let from = self.sender_header()?;
        if entry.attempts > 1 {
            let url = self.url(&path, &[])?;
            let existing = match self.http.send(ApiRequest::get(url)).await {
                Ok(resp) => resp.json::<NoteList>(),
                Err(e) => Err(e),
            };
            match existing {
                Ok(list) if list.notes.iter().any(|n| n.content.trim() == body.trim()) => {
                    return Ok(PushOutcome::Done);
                }
                Ok(_) => {}
                Err(e) => return Ok(outcome_of(e, entry.attempts, now)),
            }
        }
        let url = self.url(&path, &[])?;
        let req = ApiRequest::new(Method::POST, url)
            .json(&json!({"note": {"content": body}}))?
            .header(HeaderName::from_static("from"), from);
        match self.http.send(req).await {
            Ok(resp) => {
                if let Some((event, key)) = resp
                    .json::<NoteEnvelope>()
                    .ok()
                    .and_then(|env| env.note.to_event())
                {
                    let id = entry.entity.id;
                    store.write(|tx| write::insert_incident_event(tx, id, &event, Some(&key)))?;
                }
                Ok(PushOutcome::Done)
            }
            Err(e) => Ok(outcome_of(e, entry.attempts, now)),
        }
    }

    /// Creates one locally declared incident at PagerDuty (or finds the one an earlier
    /// attempt created) and re-keys the local row to it.
    async fn create_remote(
        &mut self,
        store: &mut Store,
        decl: &LocalDeclaration,
        attempts: u32,
        now: DateTime<Utc>,
        requests: &mut usize,
    ) -> Result<PushOutcome, SyncError> {
        let service_id = self.service_ids.first().cloned().ok_or_else(|| SyncError::Config {
            source_name: self.name.clone(),
            message: "creating incidents needs a PagerDuty service id as the first entry of `services`"
                .to_owned(),
        })?;
        let key = format!("opsdeck-{}", decl.op_id);
        let from = self.sender_header()?;
        let url = self.url(
            "incidents",
            &[
                ("incident_key", key.clone()),
                ("date_range", "all".to_owned()),
            ],
        )?;
        *requests += 1;
        let existing = match self.http.send(ApiRequest::get(url)).await {
            Ok(resp) => resp.json::<IncidentPage>(),
            Err(e) => Err(e),
        };
        let found = match existing {
            Ok(page) => page.incidents.into_iter().find(|i| !i.id.is_empty()),
            Err(e) => return Ok(outcome_of(e, attempts, now)),
        };
        let created = match found {
            Some(incident) => incident,
            None => {
                let urgency = if decl.severity <= Priority::P1 {
                    "high"
                } else {
                    "low"
                };
                let body = json!({"incident": {
                    "type": "incident",
                    "title": decl.title,
                    "service": {"id": service_id, "type": "service_reference"},
                    "urgency": urgency,
                    "incident_key": key,
                    "body": {
                        "type": "incident_body",
                        "details": format!(
                            "Declared in opsdeck at {} as {} for service {}.",
                            stamp(decl.created_at), decl.severity, decl.service
                        ),
                    },
                }});
                let req = ApiRequest::new(Method::POST, self.url("incidents", &[])?)
                    .json(&body)?
                    .header(HeaderName::from_static("from"), from);
                *requests += 1;
                let sent = match self.http.send(req).await {
                    Ok(resp) => resp.json::<IncidentEnvelope>(),
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(env) => env.incident,
                    Err(e) => return Ok(outcome_of(e, attempts, now)),
                }
            }
        };
        if created.id.is_empty() {
            return Ok(PushOutcome::Failed(
                "PagerDuty answered without an incident id".to_owned(),
            ));
        }
        let ext = super::super::super::sanitize::line(&created.id);
        let url = super::super::super::sanitize::opt_line(created.html_url.as_deref());
        let name = self.name.clone();
        store.write(|tx| {
            incidents::adopt_local_incident(
                tx,
                decl.incident_id,
                &name,
                &ext,
                created.incident_number,
                url.as_deref(),
            )
        })?;
        if let Some(state) = created.remote_state() {
            self.remote.insert(ext, state);
        }
        Ok(PushOutcome::Done)
    }

    /// Creates every open locally declared incident at PagerDuty (when `push_local_incidents`
    /// is set; the pull calls this first). A refusal is recorded on the incident's timeline
    /// and not retried automatically; a rate limit or outage stops the round quietly.
    ///
    /// # Errors
    /// Configuration (no email or service id) and store errors.
    pub async fn push_local_incidents(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
        requests: &mut usize,
    ) -> Result<usize, SyncError> {
        let mut created = 0;
        for decl in incidents::local_declarations(store.conn(), &self.name)? {
            match self.create_remote(store, &decl, 1, now, requests).await? {
                PushOutcome::Done => created += 1,
                PushOutcome::Retry { error, .. } => {
                    tracing::info!(source = %self.name, %error, "creating local incidents later");
                    break;
                }
                PushOutcome::Failed(message) | PushOutcome::Conflict(message) => {
                    let event = IncidentEvent {
                        at: now,
                        kind: "push-failed".to_owned(),
                        who: self.name.clone(),
                        text: super::super::super::sanitize::line(&format!(
                            "PagerDuty refused to create this incident: {message}"
                        )),
                        origin: "source".to_owned(),
                    };
                    let key = format!("push-failed:{}", self.name);
                    store.write(|tx| {
                        write::insert_incident_event(tx, decl.incident_id, &event, Some(&key))
                    })?;
                }
            }
        }
        Ok(created)
    }
}
