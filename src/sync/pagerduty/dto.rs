//! PagerDuty REST v2 payloads (tolerant DTOs) and their conversion to opsdeck's domain.
//!
//! Owns: the response shapes opsdeck reads (`incidents`, `log_entries`, `notes`, `users`),
//! time parsing (PagerDuty mixes `Z` and `-05:00` offsets; everything becomes UTC here), the
//! P0–P3 severity mapping, and sanitizing every string once on its way in.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::super::super::domain::{Incident, IncidentEvent, IncidentStatus, Priority};
use super::super::super::sanitize;
use crate::sync::source::nullable;

/// A `*_reference` object (`service_reference`, `user_reference`, …).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct Reference {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub summary: Option<String>,
}

/// `assignments[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct Assignment {
    pub assignee: Option<Reference>,
}

/// `acknowledgements[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct Acknowledgement {
    pub at: Option<String>,
    pub acknowledger: Option<Reference>,
}

/// One incident as `GET /incidents` and `GET/PUT /incidents/{id}` return it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct PdIncident {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub incident_number: i64,
    pub title: Option<String>,
    pub summary: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    pub urgency: Option<String>,
    pub priority: Option<Reference>,
    pub service: Option<Reference>,
    #[serde(deserialize_with = "nullable")]
    pub assignments: Vec<Assignment>,
    #[serde(deserialize_with = "nullable")]
    pub acknowledgements: Vec<Acknowledgement>,
    pub html_url: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub last_status_change_at: Option<String>,
    pub resolved_at: Option<String>,
}

/// `GET /incidents` page.
///
/// `incidents` is required (API-CONTRACTS.md §3.2: the listing is `{"incidents":[…], …}`): a
/// 200 whose JSON has no `incidents` key is not an incident listing (a proxy's or portal's
/// JSON, a different endpoint) and is a decode error, never an empty page. Read as empty it
/// would hide every incident, and on `declare` it would create a duplicate incident.
/// An explicit `null` is still read as an empty list.
#[derive(Debug, Default, Deserialize)]
pub(super) struct IncidentPage {
    #[serde(deserialize_with = "nullable")]
    pub incidents: Vec<PdIncident>,
    #[serde(default, deserialize_with = "nullable")]
    pub more: bool,
}

/// `{"incident": {…}}`.
#[derive(Debug, Deserialize)]
pub(super) struct IncidentEnvelope {
    pub incident: PdIncident,
}

/// One log entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct LogEntry {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    pub summary: Option<String>,
    pub created_at: Option<String>,
    pub agent: Option<Reference>,
    /// The incident it belongs to (set on the account-wide `/log_entries` feed).
    pub incident: Option<Reference>,
}

/// `GET /incidents/{id}/log_entries` page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LogEntryPage {
    #[serde(deserialize_with = "nullable")]
    pub log_entries: Vec<LogEntry>,
    #[serde(deserialize_with = "nullable")]
    pub more: bool,
}

/// One note.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct Note {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub user: Option<Reference>,
    #[serde(deserialize_with = "nullable")]
    pub content: String,
    pub created_at: Option<String>,
}

/// `GET /incidents/{id}/notes`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NoteList {
    #[serde(deserialize_with = "nullable")]
    pub notes: Vec<Note>,
}

/// `{"note": {…}}`.
#[derive(Debug, Deserialize)]
pub(super) struct NoteEnvelope {
    pub note: Note,
}

/// One user from `GET /users`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct User {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// `GET /users` page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct UserList {
    #[serde(deserialize_with = "nullable")]
    pub users: Vec<User>,
}

/// Parses an RFC 3339 time with any offset into UTC.
pub(super) fn utc(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How PagerDuty's priority and urgency become P0–P3.
#[derive(Debug, Clone, Default)]
pub(super) struct SeverityMap {
    /// `priority_map` from the config (remote priority name or urgency → P0–P3).
    pub configured: BTreeMap<String, Priority>,
}

impl SeverityMap {
    fn lookup(&self, key: &str) -> Option<Priority> {
        self.configured.get(key).copied().or_else(|| {
            self.configured
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| *v)
        })
    }

    /// Configured mapping first; then PagerDuty's default priority names (`P1`→P0, `P2`→P1,
    /// `P3`→P2, `P4`/`P5`→P3); without a usable priority, urgency (`high`→P1, `low`→P3).
    pub fn severity(&self, priority: Option<&str>, urgency: Option<&str>) -> Priority {
        if let Some(p) = priority.map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(mapped) = self.lookup(p) {
                return mapped;
            }
            match p.to_ascii_uppercase().as_str() {
                "P1" => return Priority::P0,
                "P2" => return Priority::P1,
                "P3" => return Priority::P2,
                "P4" | "P5" => return Priority::P3,
                _ => {}
            }
        }
        let urgency = urgency.map(str::trim).unwrap_or("high");
        if let Some(mapped) = self.lookup(urgency) {
            return mapped;
        }
        if urgency.eq_ignore_ascii_case("low") {
            Priority::P3
        } else {
            Priority::P1
        }
    }
}

/// The remote facts push decisions rest on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RemoteState {
    pub status: IncidentStatus,
    /// `(user id, name, at)` of each acknowledgement.
    pub acknowledgers: Vec<(String, String, Option<DateTime<Utc>>)>,
    /// `(user id, name)` of each assignee.
    pub assignees: Vec<(String, String)>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl PdIncident {
    /// The status, or `None` for a value this build does not know.
    pub fn parsed_status(&self) -> Option<IncidentStatus> {
        self.status.parse().ok()
    }

    /// The first explicit acknowledgement listed on the incident (empty once resolved).
    pub fn first_ack(&self) -> Option<DateTime<Utc>> {
        self.acknowledgements
            .iter()
            .filter_map(|a| utc(a.at.as_deref()))
            .min()
    }

    /// `updated_at`, else `last_status_change_at`.
    pub fn remote_updated_at(&self) -> Option<DateTime<Utc>> {
        utc(self.updated_at.as_deref()).or_else(|| utc(self.last_status_change_at.as_deref()))
    }

    /// The facts used by push.
    pub fn remote_state(&self) -> Option<RemoteState> {
        let name = |r: &Reference| sanitize::line(r.summary.as_deref().unwrap_or(&r.id));
        Some(RemoteState {
            status: self.parsed_status()?,
            acknowledgers: self
                .acknowledgements
                .iter()
                .filter_map(|a| {
                    let who = a.acknowledger.as_ref()?;
                    Some((who.id.clone(), name(who), utc(a.at.as_deref())))
                })
                .collect(),
            assignees: self
                .assignments
                .iter()
                .filter_map(|a| a.assignee.as_ref())
                .map(|r| (r.id.clone(), name(r)))
                .collect(),
            resolved_at: utc(self.resolved_at.as_deref()),
        })
    }

    /// Assignee names joined with `, ` (sanitized), if any.
    pub fn assignee_names(&self) -> Option<String> {
        let names: Vec<String> = self
            .assignments
            .iter()
            .filter_map(|a| a.assignee.as_ref())
            .map(|r| sanitize::line(r.summary.as_deref().unwrap_or(&r.id)))
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }

    /// Converts to a domain incident; `None` when the id, status or creation time is unusable.
    pub fn to_domain(
        &self,
        source: &str,
        severity: &SeverityMap,
        service_map: &BTreeMap<String, String>,
    ) -> Option<Incident> {
        if self.id.trim().is_empty() {
            return None;
        }
        let status = self.parsed_status()?;
        let created_at = utc(self.created_at.as_deref())?;
        let service_name = self
            .service
            .as_ref()
            .and_then(|s| s.summary.clone())
            .unwrap_or_default();
        let service = service_map
            .get(&service_name)
            .cloned()
            .unwrap_or(service_name);
        let title = self
            .title
            .as_deref()
            .or(self.summary.as_deref())
            .unwrap_or("(untitled incident)");
        Some(Incident {
            id: 0,
            source: source.to_owned(),
            external_id: sanitize::line(&self.id),
            number: self.incident_number,
            title: sanitize::line(title),
            severity: severity.severity(
                self.priority.as_ref().and_then(|p| p.summary.as_deref()),
                self.urgency.as_deref(),
            ),
            status,
            service: sanitize::line(&service),
            assignee: self.assignee_names(),
            created_at,
            acknowledged_at: self.first_ack(),
            // A resolution time only counts on a resolved incident (a reopened or oddly filled
            // payload must not stop the SLA clock or the MTTR of a live incident).
            resolved_at: (status == IncidentStatus::Resolved)
                .then(|| utc(self.resolved_at.as_deref()))
                .flatten(),
            url: sanitize::opt_line(self.html_url.as_deref()),
            customers: Vec::new(),
            pending: false,
            conflict: false,
        })
    }
}

/// The timeline kind of a log entry type; `None` for entries left out of the timeline
/// (notifications are noise; `annotate` duplicates the notes fetched separately).
fn event_kind(kind: &str) -> Option<String> {
    let short = kind
        .trim_end_matches("_reference")
        .trim_end_matches("_log_entry");
    match short {
        "notify" | "annotate" | "" => None,
        other => Some(sanitize::line(other)),
    }
}

impl LogEntry {
    /// Whether this is an explicit acknowledgement.
    pub fn is_ack(&self) -> bool {
        self.kind == "acknowledge_log_entry"
    }

    /// A timeline event and its idempotency key (`log:<id>`).
    pub fn to_event(&self) -> Option<(IncidentEvent, String)> {
        let kind = event_kind(&self.kind)?;
        let text = sanitize::line(self.summary.as_deref().unwrap_or(""));
        let who = self.agent.as_ref();
        timeline(
            ("log", &self.id),
            self.created_at.as_deref(),
            who,
            kind,
            text,
        )
    }
}

/// A timeline event from PagerDuty (`who` is the reference's summary) and its idempotency key
/// `<prefix>:<id>`; `None` without an id or a time.
fn timeline(
    (prefix, id): (&str, &str),
    created_at: Option<&str>,
    who: Option<&Reference>,
    kind: String,
    text: String,
) -> Option<(IncidentEvent, String)> {
    let at = utc(created_at)?;
    if id.is_empty() {
        return None;
    }
    let who = who
        .and_then(|r| r.summary.as_deref())
        .map(sanitize::line)
        .unwrap_or_default();
    let event = IncidentEvent {
        at,
        kind,
        who,
        text,
        origin: "source".to_owned(),
    };
    Some((event, format!("{prefix}:{}", sanitize::line(id))))
}

impl Note {
    /// A timeline event and its idempotency key (`note:<id>`).
    pub fn to_event(&self) -> Option<(IncidentEvent, String)> {
        let text = sanitize::text(&self.content);
        let who = self.user.as_ref();
        timeline(
            ("note", &self.id),
            self.created_at.as_deref(),
            who,
            "note".into(),
            text,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_and_urgencies_map_to_the_documented_defaults() {
        let map = SeverityMap::default();
        assert_eq!(map.severity(Some("P1"), Some("high")), Priority::P0);
        assert_eq!(map.severity(Some("P2"), Some("low")), Priority::P1);
        assert_eq!(map.severity(Some("P3"), None), Priority::P2);
        assert_eq!(map.severity(Some("P4"), None), Priority::P3);
        assert_eq!(map.severity(Some("P5"), None), Priority::P3);
        assert_eq!(map.severity(None, Some("high")), Priority::P1);
        assert_eq!(map.severity(None, Some("low")), Priority::P3);
        assert_eq!(map.severity(Some("SEV-1"), Some("low")), Priority::P3);
    }

    #[test]
    fn the_configured_map_wins_over_the_defaults() {
        let mut configured = BTreeMap::new();
        configured.insert("SEV-1".to_owned(), Priority::P0);
        configured.insert("low".to_owned(), Priority::P2);
        let map = SeverityMap { configured };
        assert_eq!(map.severity(Some("sev-1"), Some("low")), Priority::P0);
        assert_eq!(map.severity(None, Some("low")), Priority::P2);
    }

    /// REGRESSION: a 200 listing without `incidents` (the battery's C7 "wrong type" body
    /// `{"total":"many","issues":42,"data":"x"}`) was read as an empty page, so a sync against
    /// a server answering something other than an incident listing reported "0 items" as
    /// success. It is now a decode error; `{"incidents": null}` and `[]` stay empty pages.
    #[test]
    fn a_listing_without_incidents_is_an_error_not_an_empty_page() {
        let wrong = r#"{"total": "many", "issues": 42, "data": "x"}"#;
        assert!(serde_json::from_str::<IncidentPage>(wrong).is_err());
        assert!(serde_json::from_str::<IncidentPage>("{}").is_err());
        let wrong_type = r#"{"incidents": 42, "more": false}"#;
        assert!(serde_json::from_str::<IncidentPage>(wrong_type).is_err());
        let empty: IncidentPage =
            serde_json::from_str(r#"{"incidents": [], "more": false}"#).unwrap();
        assert!(empty.incidents.is_empty() && !empty.more);
        let null: IncidentPage = serde_json::from_str(r#"{"incidents": null}"#).unwrap();
        assert!(null.incidents.is_empty() && !null.more);
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = utc(Some("2013-03-06T15:28:51-05:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2013-03-06T20:28:51+00:00");
    }
}
