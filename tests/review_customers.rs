//! The customers page at review level: METRICS.md §4 examples as a user sees them (NPS with n,
//! the weighted health example, a missing measure renormalised), and the at-risk list.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use opsdeck::cli::Format;
use opsdeck::config::Policy;
use opsdeck::domain::{
    Bug, BugStatus, ChurnRisk, Customer, Incident, IncidentStatus, Priority, Stage,
};
use opsdeck::review::{run_report, take_snapshot, CustomerLine};
use opsdeck::store::{write, Store};

const WEEK: &str = "2026-W47";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap()
}

fn customer(
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
        acv_usd: 90_000,
        owner: "mo".into(),
        poc_start: None,
        signed_on: None,
        go_live: None,
        usage_days_per_week: usage,
        feature_adoption_pct: None,
        engagement,
        churn_risk: risk,
        nps: Vec::new(),
        tickets_per_week: 0.0,
        open_p0_p1_bugs: 0,
        open_incidents: 0,
        pending: false,
    }
}

fn support_bug(n: usize, slug: &str, at: DateTime<Utc>) -> Bug {
    Bug {
        id: 0,
        source: "github".into(),
        external_id: format!("{slug}-{n}"),
        key: format!("#{n}"),
        title: "support ticket".into(),
        body: String::new(),
        priority: Priority::P3,
        status: BugStatus::Open,
        assignee: None,
        labels: vec![format!("customer:{slug}")],
        customers: Vec::new(),
        created_at: at,
        updated_at: at,
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    }
}

/// METRICS.md §4.2 H2: usage 80, support 60, NPS 55, reliability 40, engagement 90.
/// Usage 5.6 days/week → 80; 8 tickets in 28 days (2 a week) → 60; NPS +10 → 55; an incident
/// on `api`, whose SLO has 40 % of its budget left → 40; engagement 90.
fn store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let t0 = now() - Duration::days(30);
    s.write(|tx| {
        let h2 = write::upsert_customer(
            tx,
            &customer("harbor", "Harbor Re", Some(5.6), Some(90.0), ChurnRisk::Low),
            "local",
        )?;
        for (n, score) in [10u8, 9, 9, 8, 7, 7, 6, 5, 3, 10].iter().enumerate() {
            write::insert_nps(
                tx,
                h2,
                *score,
                t0 + Duration::hours(i64::try_from(n).unwrap()),
                "",
            )?;
        }
        for n in 0..8 {
            write::upsert_bug(
                tx,
                &support_bug(
                    n,
                    "harbor",
                    now() - Duration::days(2 + i64::try_from(n).unwrap() * 3),
                ),
                t0,
            )?;
        }
        let inc = Incident {
            id: 0,
            source: "pagerduty".into(),
            external_id: "P1".into(),
            number: 1,
            title: "api errors".into(),
            severity: Priority::P2,
            status: IncidentStatus::Resolved,
            service: "api".into(),
            assignee: None,
            created_at: now() - Duration::days(3),
            acknowledged_at: None,
            resolved_at: Some(now() - Duration::days(3) + Duration::hours(1)),
            url: None,
            customers: vec!["harbor".into()],
            pending: false,
            conflict: false,
        };
        write::upsert_incident(tx, &inc, None, t0)?;
        let slo = write::SloDef {
            name: "api-availability",
            service: "api",
            objective: "99.9",
            window_days: 28,
            kind: "ratio",
            good_query: "",
            total_query: "",
            threshold_le: None,
        };
        let id = write::upsert_slo(tx, &slo)?;
        // 600 bad in 1,000,000 over the window (EB1): 60 % of the budget spent, 40 % left.
        write::set_slo_daily(
            tx,
            id,
            NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            600.0,
            1_000_000.0,
        )?;
        // Only engagement known: usage, NPS and reliability are missing.
        write::upsert_customer(
            tx,
            &customer("quiet", "Quiet Life", None, Some(90.0), ChurnRisk::Low),
            "local",
        )?;
        // High churn risk, otherwise healthy.
        write::upsert_customer(
            tx,
            &customer(
                "wary",
                "Wary Mutual",
                Some(7.0),
                Some(100.0),
                ChurnRisk::High,
            ),
            "local",
        )?;
        Ok(())
    })
    .unwrap();
    s
}

fn line<'a>(lines: &'a [CustomerLine], slug: &str) -> &'a CustomerLine {
    lines.iter().find(|c| c.slug == slug).unwrap()
}

#[test]
fn a_customer_with_the_ten_example_responses_shows_nps_plus_ten_with_n() {
    let s = store();
    let snap = take_snapshot(&s, WEEK, chrono_tz::UTC, &Policy::default(), now()).unwrap();
    let c = line(&snap.customers.customers, "harbor");
    assert_eq!(c.nps.this, Some(10.0));
    assert_eq!(c.nps_n.this, Some(10.0));
    let md = run_report(
        &s,
        Some(WEEK),
        Format::Md,
        chrono_tz::UTC,
        &Policy::default(),
        now(),
        false,
    )
    .unwrap();
    assert!(
        md.contains("| Harbor Re | live | low | 67 | yellow | +10 (n=10) | – |"),
        "{md}"
    );
}

#[test]
fn the_weighted_example_scores_67_yellow() {
    let snap = take_snapshot(&store(), WEEK, chrono_tz::UTC, &Policy::default(), now()).unwrap();
    let c = line(&snap.customers.customers, "harbor");
    assert_eq!(c.health.this, Some(67.0), "66.5 rounds half away from zero");
    assert_eq!(c.band.this.as_deref(), Some("yellow"));
    assert!(c.missing_measures.is_empty());
}

#[test]
fn missing_measures_are_dropped_and_the_weights_renormalised() {
    let snap = take_snapshot(&store(), WEEK, chrono_tz::UTC, &Policy::default(), now()).unwrap();
    let c = line(&snap.customers.customers, "quiet");
    // support 100 (no tickets, weight 20) and engagement 90 (weight 15): 3,350 / 35 = 95.7.
    assert_eq!(c.health.this, Some(96.0));
    assert_eq!(c.band.this.as_deref(), Some("green"));
    assert_eq!(c.missing_measures, ["usage", "nps", "reliability"]);
}

#[test]
fn high_churn_risk_or_a_red_score_puts_a_customer_on_the_at_risk_list() {
    let snap = take_snapshot(&store(), WEEK, chrono_tz::UTC, &Policy::default(), now()).unwrap();
    assert_eq!(snap.customers.at_risk, ["Wary Mutual"]);
    assert!(line(&snap.customers.customers, "wary").at_risk);
    assert!(!line(&snap.customers.customers, "harbor").at_risk);
}

#[test]
fn health_weights_come_from_the_policy() {
    let mut policy = Policy::default();
    policy.health.usage = 0.0;
    policy.health.support = 0.0;
    policy.health.nps = 0.0;
    policy.health.reliability = 0.0;
    policy.health.engagement = 1.0;
    let snap = take_snapshot(&store(), WEEK, chrono_tz::UTC, &policy, now()).unwrap();
    assert_eq!(
        line(&snap.customers.customers, "harbor").health.this,
        Some(90.0)
    );
}
