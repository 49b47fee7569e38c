//! A fixed cache for the review tests, built through the store's write functions and
//! `Store::commit_edit`, with fixed times (the team is in Europe/London, UTC+0 in November).
//!
//! Week 2026-W47 runs Mon 2026-11-16 .. Sun 2026-11-22. Its incidents are the worked example
//! of METRICS.md §2.3 moved from 2025-03-03 to 2026-11-16 (MTTA 780 s, median 540 s; MTTR
//! 5,175 s, median 4,950 s; SLA 4/5).
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use opsdeck::domain::{
    Bug, BugStatus, ChurnRisk, Customer, DeployStatus, Deployment, EntityKind, EntityRef, Incident,
    IncidentStatus, Priority, Stage,
};
use opsdeck::store::{write, Operation, Store};

pub const WEEK: &str = "2026-W47";

pub fn tz() -> chrono_tz::Tz {
    chrono_tz::Europe::London
}

pub fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
}

/// Monday after the week, like the METRICS example's report time.
pub fn now() -> DateTime<Utc> {
    at(23, 12, 0)
}

pub fn incident(
    key: &str,
    sev: Priority,
    created: DateTime<Utc>,
    ack: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    service: &str,
    customers: &[&str],
) -> Incident {
    Incident {
        id: 0,
        source: "pagerduty".into(),
        external_id: key.into(),
        number: 0,
        title: format!("{service} trouble {key}"),
        severity: sev,
        status: if resolved.is_some() {
            IncidentStatus::Resolved
        } else if ack.is_some() {
            IncidentStatus::Acknowledged
        } else {
            IncidentStatus::Triggered
        },
        service: service.into(),
        assignee: Some("dana".into()),
        created_at: created,
        acknowledged_at: ack,
        resolved_at: resolved,
        url: None,
        customers: customers.iter().map(|c| c.to_string()).collect(),
        pending: false,
        conflict: false,
    }
}

pub fn bug(
    key: &str,
    p: Priority,
    created: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
    customer: Option<&str>,
) -> Bug {
    let labels: Vec<String> = customer
        .map(|c| vec![format!("customer:{c}")])
        .unwrap_or_default();
    Bug {
        id: 0,
        source: "github".into(),
        external_id: key.into(),
        key: key.into(),
        title: format!("bug {key}"),
        body: String::new(),
        priority: p,
        status: if closed.is_some() {
            BugStatus::Closed
        } else {
            BugStatus::Open
        },
        assignee: Some("sam".into()),
        customers: Vec::new(),
        labels,
        created_at: created,
        updated_at: closed.unwrap_or(created),
        closed_at: closed,
        url: None,
        pending: false,
        conflict: false,
    }
}

pub fn deploy(
    id: &str,
    env: &str,
    status: DeployStatus,
    finished: DateTime<Utc>,
    commit_hours_before: &[i64],
    incidents: &[&str],
) -> Deployment {
    Deployment {
        id: 0,
        source: "github".into(),
        external_id: id.into(),
        service: "api".into(),
        environment: env.into(),
        git_ref: format!("v{id}"),
        sha: format!("sha{id}"),
        status,
        creator: "lee".into(),
        created_at: finished - Duration::minutes(10),
        finished_at: Some(finished),
        rollback_of: None,
        rolled_back: false,
        url: None,
        incident_keys: incidents.iter().map(|s| s.to_string()).collect(),
        commit_times: commit_hours_before
            .iter()
            .map(|h| finished - Duration::hours(*h))
            .collect(),
        pending: false,
    }
}

pub fn customer(
    slug: &str,
    name: &str,
    usage: Option<f64>,
    engagement: Option<f64>,
    risk: ChurnRisk,
) -> Customer {
    Customer {
        id: 0,
        slug: slug.into(),
        name: name.into(),
        stage: Stage::Live,
        vertical: "insurance".into(),
        acv_usd: 120_000,
        owner: "mo".into(),
        poc_start: NaiveDate::from_ymd_opt(2026, 1, 5),
        signed_on: NaiveDate::from_ymd_opt(2026, 3, 2),
        go_live: None,
        usage_days_per_week: usage,
        feature_adoption_pct: Some(40.0),
        engagement,
        churn_risk: risk,
        nps: Vec::new(),
        tickets_per_week: 0.0,
        open_p0_p1_bugs: 0,
        open_incidents: 0,
        pending: false,
    }
}

pub const PLAN: &str = "# Launch plan\n\n## Week 1\n\n- [ ] W1-A1 Freeze scope @tfinch\n- [ ] W1-A2 Write the brief @mobi\n- [ ] W1-A3 Book reviews @tfinch\n\n## Launch Gate\n\n- [ ] G1-A1 Restore drill passed @obakr\n- [ ] G1-A2 Northwind Re signs off @mobi\n";

/// The whole fixed cache.
pub fn build() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let load = now() - Duration::days(40);
    s.write(|tx| {
        // Incidents: METRICS.md §2.3 moved to W47, plus two in W46.
        let inc = [
            incident(
                "I1",
                Priority::P1,
                at(16, 9, 0),
                Some(at(16, 9, 4)),
                Some(at(16, 9, 45)),
                "api",
                &["acme-mutual"],
            ),
            incident(
                "I2",
                Priority::P2,
                at(17, 14, 10),
                Some(at(17, 14, 40)),
                Some(at(17, 16, 10)),
                "ingest",
                &[],
            ),
            incident(
                "I3",
                Priority::P0,
                at(18, 2, 30),
                Some(at(18, 2, 36)),
                Some(at(18, 5, 0)),
                "api",
                &["acme-mutual"],
            ),
            incident(
                "I4",
                Priority::P3,
                at(20, 17, 30),
                None,
                Some(at(20, 18, 0)),
                "billing",
                &[],
            ),
            incident(
                "I5",
                Priority::P1,
                at(21, 11, 0),
                Some(at(21, 11, 12)),
                None,
                "api",
                &["granite-life"],
            ),
            incident(
                "H1",
                Priority::P1,
                at(10, 8, 0),
                Some(at(10, 8, 20)),
                Some(at(10, 11, 0)),
                "api",
                &[],
            ),
            incident(
                "H2",
                Priority::P2,
                at(12, 22, 0),
                Some(at(12, 22, 10)),
                Some(at(12, 23, 0)),
                "ingest",
                &[],
            ),
        ];
        for i in &inc {
            write::upsert_incident(tx, i, None, load)?;
        }
        // Bugs: opened/closed in both weeks; some overdue at the week's end.
        let bugs = [
            bug(
                "#1",
                Priority::P0,
                at(17, 10, 0),
                Some(at(17, 15, 0)),
                Some("acme-mutual"),
            ),
            bug("#2", Priority::P1, at(18, 9, 0), None, Some("acme-mutual")),
            bug("#3", Priority::P2, at(19, 9, 0), None, Some("acme-mutual")),
            bug("#4", Priority::P3, at(20, 9, 0), None, None),
            bug("#5", Priority::P1, at(3, 9, 0), None, Some("granite-life")),
            bug(
                "#6",
                Priority::P2,
                at(11, 9, 0),
                Some(at(18, 12, 0)),
                Some("acme-mutual"),
            ),
            bug("#7", Priority::P0, at(12, 9, 0), Some(at(13, 9, 0)), None),
            bug(
                "#8",
                Priority::P2,
                Utc.with_ymd_and_hms(2026, 10, 2, 9, 0, 0).unwrap(),
                None,
                Some("acme-mutual"),
            ),
            bug(
                "#9",
                Priority::P3,
                at(9, 9, 0),
                Some(at(10, 9, 0)),
                Some("acme-mutual"),
            ),
        ];
        for b in &bugs {
            write::upsert_bug(tx, b, load)?;
        }
        // Deployments: production successes with commit times, one linked to I3; a staging
        // deployment and a failed attempt that do not count.
        let deps = [
            deploy(
                "101",
                "production",
                DeployStatus::Success,
                at(16, 15, 0),
                &[18, 2],
                &[],
            ),
            deploy(
                "102",
                "production",
                DeployStatus::Success,
                at(17, 23, 0),
                &[4],
                &["I3"],
            ),
            deploy(
                "103",
                "production",
                DeployStatus::Success,
                at(19, 11, 0),
                &[22, 2, 24],
                &[],
            ),
            deploy(
                "104",
                "staging",
                DeployStatus::Success,
                at(19, 12, 0),
                &[1],
                &[],
            ),
            deploy(
                "105",
                "production",
                DeployStatus::Failure,
                at(20, 10, 0),
                &[3],
                &[],
            ),
            deploy(
                "106",
                "production",
                DeployStatus::Success,
                at(20, 16, 0),
                &[12],
                &[],
            ),
            deploy(
                "91",
                "production",
                DeployStatus::Success,
                at(10, 7, 0),
                &[72],
                &["H1"],
            ),
            deploy(
                "92",
                "production",
                DeployStatus::Success,
                at(13, 9, 0),
                &[18, 12],
                &[],
            ),
        ];
        for d in &deps {
            write::upsert_deployment(tx, d, load)?;
        }
        // An SLO with 28 daily samples ending on the Sunday of W47.
        let slo = write::SloDef {
            name: "api-availability",
            service: "api",
            objective: "99.9",
            window_days: 28,
            kind: "ratio",
            good_query: "sum(rate(ok[{{window}}]))",
            total_query: "sum(rate(all[{{window}}]))",
            threshold_le: None,
        };
        let id = write::upsert_slo(tx, &slo)?;
        let last = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        for back in 0..28 {
            let day = last - Duration::days(back);
            let bad = match back {
                4 => 300.0, // Wed of W47: a bad day
                10 => 50.0, // Thu of W46
                _ => 5.0,
            };
            write::set_slo_daily(tx, id, day, bad, 100_000.0)?;
        }
        let ingest = write::SloDef {
            name: "ingest-latency",
            service: "ingest",
            objective: "99",
            kind: "latency",
            threshold_le: Some("0.5"),
            ..slo
        };
        let id2 = write::upsert_slo(tx, &ingest)?;
        for back in 0..28 {
            write::set_slo_daily(tx, id2, last - Duration::days(back), 20.0, 10_000.0)?;
        }
        // Customers: Acme Mutual gets METRICS §4.1's ten responses (NPS +10).
        let acme = write::upsert_customer(
            tx,
            &customer(
                "acme-mutual",
                "Acme Mutual",
                Some(5.6),
                Some(90.0),
                ChurnRisk::Low,
            ),
            "local",
        )?;
        for (n, score) in [10u8, 9, 9, 8, 7, 7, 6, 5, 3].iter().enumerate() {
            let t = at(2, 10, 0) + Duration::hours(i64::try_from(n).unwrap());
            write::insert_nps(tx, acme, *score, t, "")?;
        }
        let granite = write::upsert_customer(
            tx,
            &customer(
                "granite-life",
                "Granite Life",
                Some(2.1),
                Some(35.0),
                ChurnRisk::High,
            ),
            "local",
        )?;
        write::insert_nps(tx, granite, 4, at(11, 10, 0), "too slow")?;
        write::upsert_customer(
            tx,
            &customer(
                "northwind-re",
                "Northwind Re",
                None,
                Some(70.0),
                ChurnRisk::Medium,
            ),
            "local",
        )?;
        opsdeck::checklist::store::import_document(tx, "plans/launch.md", PLAN, &[], load)?;
        write::save_review_note(
            tx,
            WEEK,
            "incidents",
            "I3 was the ingest | api deploy; Acme Mutual noticed.",
            now(),
        )?;
        write::save_review_note(
            tx,
            WEEK,
            "customers",
            "Call Granite Life before Tuesday (@mo).",
            now(),
        )?;
        write::save_review_note(tx, "2026-W46", "incidents", "not this week's note", now())?;
        Ok(())
    })
    .unwrap();
    // Edits through the outbox: the tenth NPS response in W47, items checked in both weeks,
    // one of them undone.
    let acme = s
        .load_customers(now())
        .unwrap()
        .into_iter()
        .find(|c| c.slug == "acme-mutual")
        .unwrap();
    let cust = EntityRef {
        kind: EntityKind::Customer,
        id: acme.id,
    };
    s.commit_edit(
        cust,
        &Operation::RecordNps {
            score: 10,
            comment: "great week".into(),
        },
        at(19, 10, 0),
        "mo",
        &[],
    )
    .unwrap();
    let items = s.load_checklist().unwrap();
    let item = |code: &str| EntityRef {
        kind: EntityKind::ChecklistItem,
        id: items
            .iter()
            .find(|i| i.code.as_deref() == Some(code))
            .unwrap()
            .id,
    };
    let check = Operation::SetItemChecked {
        old: false,
        new: true,
    };
    s.commit_edit(item("W1-A1"), &check, at(11, 9, 0), "tfinch", &[])
        .unwrap();
    s.commit_edit(item("W1-A2"), &check, at(17, 9, 0), "mobi", &[])
        .unwrap();
    s.commit_edit(item("G1-A1"), &check, at(19, 16, 0), "obakr", &[])
        .unwrap();
    s.commit_edit(item("W1-A3"), &check, at(20, 9, 0), "tfinch", &[])
        .unwrap();
    s.undo_last(at(20, 9, 5), "tfinch").unwrap();
    s
}
