//! The embedded demo rows: `assets/demo/demo.json` (the demo plan is added by `crate::demo`).
//!
//! Times in the JSON are relative (`*_min_ago`, `*_days_ago`) and are resolved against the
//! clock at load time, so SLA countdowns run on a fresh demo. All text still goes through the
//! sanitizer, like any other ingest. The demo is loaded once into its own cache file (never the
//! user's real cache) and kept between runs until `opsdeck --demo --reset`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::Transaction;
use serde::Deserialize;

use super::{write, Result, StoreError};
use crate::domain::{
    Alert, AlertState, Bug, Customer, Deployment, Incident, IncidentEvent, LOCAL_SOURCE,
};
use crate::sanitize;

/// The demo data, embedded at build time.
pub const DEMO_JSON: &str = include_str!("../../assets/demo/demo.json");

#[derive(Deserialize)]
struct DemoFile {
    customers: Vec<DemoCustomer>,
    bugs: Vec<DemoBug>,
    incidents: Vec<DemoIncident>,
    alerts: Vec<DemoAlert>,
    #[serde(default)]
    silences: Vec<DemoSilence>,
    deployments: Vec<DemoDeployment>,
    slos: Vec<DemoSlo>,
}

/// A silence someone else created (so `M` has someone to ask about).
#[derive(Deserialize)]
struct DemoSilence {
    source: String,
    id: String,
    created_by: String,
    comment: String,
    matchers: Vec<String>,
    ends_in_min: i64,
}

#[derive(Deserialize)]
struct DemoCustomer {
    slug: String,
    name: String,
    stage: String,
    vertical: String,
    acv_usd: i64,
    owner: String,
    poc_start_days_ago: Option<i64>,
    signed_days_ago: Option<i64>,
    go_live_days_ago: Option<i64>,
    usage_days_per_week: Option<f64>,
    feature_adoption_pct: Option<f64>,
    engagement: Option<f64>,
    churn_risk: String,
    #[serde(default)]
    nps: Vec<DemoNps>,
    #[serde(default)]
    notes: Vec<DemoNote>,
}

#[derive(Deserialize)]
struct DemoNps {
    score: u8,
    min_ago: i64,
    #[serde(default)]
    comment: String,
}

#[derive(Deserialize)]
struct DemoNote {
    kind: String,
    min_ago: i64,
    author: String,
    text: String,
}

#[derive(Deserialize)]
struct DemoBug {
    source: String,
    key: String,
    title: String,
    priority: String,
    status: String,
    assignee: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    created_min_ago: i64,
    updated_min_ago: i64,
    closed_min_ago: Option<i64>,
    url: Option<String>,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct DemoIncident {
    source: String,
    number: i64,
    key: String,
    title: String,
    severity: String,
    status: String,
    service: String,
    assignee: Option<String>,
    created_min_ago: i64,
    acknowledged_min_ago: Option<i64>,
    resolved_min_ago: Option<i64>,
    url: Option<String>,
    #[serde(default)]
    customers: Vec<String>,
    #[serde(default)]
    timeline: Vec<DemoEvent>,
}

#[derive(Deserialize)]
struct DemoEvent {
    min_ago: i64,
    kind: String,
    who: String,
    text: String,
}

#[derive(Deserialize)]
struct DemoAlert {
    source: String,
    fingerprint: String,
    name: String,
    severity: String,
    service: String,
    state: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_min_ago: i64,
    #[serde(default)]
    silenced_by: Vec<String>,
}

#[derive(Deserialize)]
struct DemoDeployment {
    source: String,
    id: String,
    service: String,
    environment: String,
    #[serde(rename = "ref")]
    git_ref: String,
    sha: String,
    status: String,
    creator: String,
    created_min_ago: i64,
    finished_min_ago: Option<i64>,
    rollback_of: Option<String>,
    #[serde(default)]
    rolled_back: bool,
    url: Option<String>,
    #[serde(default)]
    incident_keys: Vec<String>,
    #[serde(default)]
    commit_min_ago: Vec<i64>,
}

#[derive(Deserialize)]
struct DemoSlo {
    name: String,
    service: String,
    objective: String,
    window_days: u32,
    kind: String,
    good_query: String,
    total_query: String,
    threshold_le: Option<String>,
    daily: Vec<DemoDaily>,
    windows: BTreeMap<String, (f64, f64)>,
}

#[derive(Deserialize)]
struct DemoDaily {
    total: f64,
    bad: f64,
}

fn ago(now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    now - Duration::minutes(minutes)
}

fn day(now: DateTime<Utc>, days: Option<i64>) -> Option<NaiveDate> {
    days.map(|d| (now - Duration::days(d)).date_naive())
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("demo {what}: {e}"))
}

/// The demo's source names are presented as they would be in a real setup, but no connector
/// exists for them: every edit in the demo completes locally.
fn demo_source(s: &str) -> String {
    let s = sanitize::line(s);
    if s.is_empty() {
        LOCAL_SOURCE.to_string()
    } else {
        s
    }
}

/// Writes the embedded demo rows into an empty store inside `tx`, relative to `now`.
///
/// # Errors
/// [`StoreError::Corrupt`] if the embedded data does not parse (a build-time mistake), or SQLite
/// errors.
pub fn seed(tx: &Transaction<'_>, now: DateTime<Utc>) -> Result<()> {
    let demo: DemoFile = serde_json::from_str(DEMO_JSON).map_err(|e| bad("json", e))?;
    {
        for c in &demo.customers {
            let customer = Customer {
                id: 0,
                slug: sanitize::line(&c.slug),
                name: sanitize::line(&c.name),
                stage: c.stage.parse().map_err(|e| bad("stage", e))?,
                vertical: sanitize::line(&c.vertical),
                acv_usd: c.acv_usd,
                owner: sanitize::line(&c.owner),
                poc_start: day(now, c.poc_start_days_ago),
                signed_on: day(now, c.signed_days_ago),
                go_live: day(now, c.go_live_days_ago),
                usage_days_per_week: c.usage_days_per_week,
                feature_adoption_pct: c.feature_adoption_pct,
                engagement: c.engagement,
                churn_risk: c.churn_risk.parse().map_err(|e| bad("churn risk", e))?,
                nps: Vec::new(),
                tickets_per_week: 0.0,
                open_p0_p1_bugs: 0,
                open_incidents: 0,
                pending: false,
            };
            let id = write::upsert_customer(tx, &customer, LOCAL_SOURCE)?;
            for n in &c.nps {
                write::insert_nps(
                    tx,
                    id,
                    n.score,
                    ago(now, n.min_ago),
                    &sanitize::text(&n.comment),
                )?;
            }
            for n in &c.notes {
                let kind: crate::domain::NoteKind =
                    n.kind.parse().map_err(|e| bad("note kind", e))?;
                write::insert_customer_note(
                    tx,
                    id,
                    kind.as_str(),
                    ago(now, n.min_ago),
                    &sanitize::line(&n.author),
                    &sanitize::text(&n.text),
                )?;
            }
        }
        for b in &demo.bugs {
            let labels: Vec<String> = b.labels.iter().map(|l| sanitize::line(l)).collect();
            let bug = Bug {
                id: 0,
                source: demo_source(&b.source),
                external_id: sanitize::line(&b.key),
                key: sanitize::line(&b.key),
                title: sanitize::line(&b.title),
                body: sanitize::text(&b.body),
                priority: b.priority.parse().map_err(|e| bad("priority", e))?,
                status: b.status.parse().map_err(|e| bad("bug status", e))?,
                assignee: sanitize::opt_line(b.assignee.as_deref()),
                customers: crate::domain::bug::customers_from_labels(&labels),
                labels,
                created_at: ago(now, b.created_min_ago),
                updated_at: ago(now, b.updated_min_ago),
                closed_at: b.closed_min_ago.map(|m| ago(now, m)),
                url: sanitize::opt_line(b.url.as_deref()),
                pending: false,
                conflict: false,
            };
            write::upsert_bug(tx, &bug, now)?;
        }
        for i in &demo.incidents {
            let incident = Incident {
                id: 0,
                source: demo_source(&i.source),
                external_id: sanitize::line(&i.key),
                number: i.number,
                title: sanitize::line(&i.title),
                severity: i.severity.parse().map_err(|e| bad("severity", e))?,
                status: i.status.parse().map_err(|e| bad("incident status", e))?,
                service: sanitize::line(&i.service),
                assignee: sanitize::opt_line(i.assignee.as_deref()),
                created_at: ago(now, i.created_min_ago),
                acknowledged_at: i.acknowledged_min_ago.map(|m| ago(now, m)),
                resolved_at: i.resolved_min_ago.map(|m| ago(now, m)),
                url: sanitize::opt_line(i.url.as_deref()),
                customers: i.customers.iter().map(|c| sanitize::line(c)).collect(),
                pending: false,
                conflict: false,
            };
            let id = write::upsert_incident(tx, &incident, None, now)?;
            for (n, e) in i.timeline.iter().enumerate() {
                let event = IncidentEvent {
                    at: ago(now, e.min_ago),
                    kind: sanitize::line(&e.kind),
                    who: sanitize::line(&e.who),
                    text: sanitize::text(&e.text),
                    origin: "source".into(),
                };
                write::insert_incident_event(tx, id, &event, Some(&format!("demo-{n}")))?;
            }
        }
        for a in &demo.alerts {
            let alert = Alert {
                id: 0,
                source: demo_source(&a.source),
                fingerprint: sanitize::line(&a.fingerprint),
                name: sanitize::line(&a.name),
                severity: sanitize::line(&a.severity),
                service: sanitize::line(&a.service),
                state: a
                    .state
                    .parse::<AlertState>()
                    .map_err(|e| bad("alert state", e))?,
                labels: a
                    .labels
                    .iter()
                    .map(|(k, v)| (sanitize::line(k), sanitize::line(v)))
                    .collect(),
                annotations: a
                    .annotations
                    .iter()
                    .map(|(k, v)| (sanitize::line(k), sanitize::text(v)))
                    .collect(),
                starts_at: ago(now, a.starts_min_ago),
                silenced_by: a.silenced_by.iter().map(|s| sanitize::line(s)).collect(),
                pending: false,
                silences: Vec::new(),
            };
            write::upsert_alert(tx, &alert, None, None, now)?;
        }
        for s in &demo.silences {
            let silence = crate::domain::Silence {
                id: sanitize::line(&s.id),
                created_by: sanitize::line(&s.created_by),
                comment: sanitize::line(&s.comment),
                matchers: s.matchers.iter().map(|m| sanitize::line(m)).collect(),
                ends_at: Some(now + chrono::TimeDelta::minutes(s.ends_in_min)),
                by_opsdeck: false,
            };
            super::incidents::upsert_silence(tx, &demo_source(&s.source), &silence)?;
        }
        for d in &demo.deployments {
            let dep = Deployment {
                id: 0,
                source: demo_source(&d.source),
                external_id: sanitize::line(&d.id),
                service: sanitize::line(&d.service),
                environment: sanitize::line(&d.environment),
                git_ref: sanitize::line(&d.git_ref),
                sha: sanitize::line(&d.sha),
                status: d.status.parse().map_err(|e| bad("deployment status", e))?,
                creator: sanitize::line(&d.creator),
                created_at: ago(now, d.created_min_ago),
                finished_at: d.finished_min_ago.map(|m| ago(now, m)),
                rollback_of: sanitize::opt_line(d.rollback_of.as_deref()),
                rolled_back: d.rolled_back,
                url: sanitize::opt_line(d.url.as_deref()),
                incident_keys: d.incident_keys.iter().map(|k| sanitize::line(k)).collect(),
                commit_times: d.commit_min_ago.iter().map(|m| ago(now, *m)).collect(),
                pending: false,
            };
            write::upsert_deployment(tx, &dep, now)?;
        }
        for s in &demo.slos {
            let (name, service, objective) = (
                sanitize::line(&s.name),
                sanitize::line(&s.service),
                sanitize::line(&s.objective),
            );
            let (kind, good, total) = (
                sanitize::line(&s.kind),
                sanitize::line(&s.good_query),
                sanitize::line(&s.total_query),
            );
            let threshold = s.threshold_le.as_deref().map(sanitize::line);
            let def = write::SloDef {
                name: &name,
                service: &service,
                objective: &objective,
                window_days: s.window_days,
                kind: &kind,
                good_query: &good,
                total_query: &total,
                threshold_le: threshold.as_deref(),
            };
            let id = write::upsert_slo(tx, &def)?;
            let days = i64::try_from(s.daily.len()).unwrap_or(0);
            let (mut bad_sum, mut total_sum) = (0.0, 0.0);
            for (n, d) in s.daily.iter().enumerate() {
                let offset = days - i64::try_from(n).unwrap_or(0);
                write::set_slo_daily(
                    tx,
                    id,
                    (now - Duration::days(offset - 1)).date_naive(),
                    d.bad,
                    d.total,
                )?;
                bad_sum += d.bad;
                total_sum += d.total;
            }
            for (w, (b, t)) in &s.windows {
                write::set_slo_window(tx, id, w, *b, *t, now)?;
            }
            write::set_slo_window(
                tx,
                id,
                &format!("{}d", s.window_days),
                bad_sum,
                total_sum,
                now,
            )?;
        }
    }
    Ok(())
}
