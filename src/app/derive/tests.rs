//! Unit tests for the derived values: fix-by boundaries, SLA labels, health mapping.

use chrono::TimeZone;
use rstest::rstest;

use super::*;
use crate::domain::{BugStatus, ChurnRisk, Customer, IncidentStatus, NpsResponse, Stage};
use crate::metrics::customer as cm;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

const BERLIN: Tz = chrono_tz::Europe::Berlin;

/// Created Friday 2026-11-20 23:30 UTC, which is already Saturday 00:30 in Berlin.
#[rstest]
#[case::today_ends_at_berlin_midnight_of_the_local_creation_day("today", utc(2026, 11, 21, 23, 0))]
#[case::this_week_ends_after_the_local_sunday("this-week", utc(2026, 11, 22, 23, 0))]
#[case::this_month_ends_at_the_first_of_december_local("this-month", utc(2026, 11, 30, 23, 0))]
#[case::next_quarter_ends_with_march_in_summer_time("next-quarter", utc(2027, 3, 31, 22, 0))]
#[case::a_duration_counts_from_creation("3d", utc(2026, 11, 23, 23, 30))]
fn fix_by_boundaries_follow_the_team_time_zone(#[case] rule: &str, #[case] want: DateTime<Utc>) {
    let created = utc(2026, 11, 20, 23, 30);
    assert_eq!(fix_by_deadline(rule, created, BERLIN), Some(want));
}

#[test]
fn an_unknown_fix_by_rule_gives_no_deadline() {
    assert_eq!(
        fix_by_deadline("someday", utc(2026, 11, 20, 10, 0), BERLIN),
        None
    );
}

fn bug(priority: Priority, status: BugStatus, created: DateTime<Utc>) -> Bug {
    Bug {
        id: 1,
        source: "local".into(),
        external_id: "1".into(),
        key: "#1".into(),
        title: "t".into(),
        body: String::new(),
        priority,
        status,
        assignee: None,
        labels: vec![],
        customers: vec![],
        created_at: created,
        updated_at: created,
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    }
}

#[test]
fn an_open_p0_from_two_days_ago_is_overdue_and_a_closed_one_is_not() {
    let now = utc(2026, 11, 20, 14, 0);
    let p0_two_days_ago = |status| {
        let created = utc(2026, 11, 18, 10, 0);
        bug_fix_by(
            &Policy::default(),
            BERLIN,
            &bug(Priority::P0, status, created),
            now,
        )
        .unwrap()
    };
    let open = p0_two_days_ago(BugStatus::Open);
    assert_eq!(open.deadline, utc(2026, 11, 18, 23, 0));
    assert_eq!(open.overdue_secs, Some(39 * 3600));
    assert_eq!(p0_two_days_ago(BugStatus::Closed).overdue_secs, None);
}

fn incident(
    sev: Priority,
    created_min_ago: i64,
    ack_min_ago: Option<i64>,
    now: DateTime<Utc>,
) -> Incident {
    Incident {
        id: 1,
        source: "pagerduty".into(),
        external_id: "P1".into(),
        number: 1,
        title: "t".into(),
        severity: sev,
        status: if ack_min_ago.is_some() {
            IncidentStatus::Acknowledged
        } else {
            IncidentStatus::Triggered
        },
        service: "checkout".into(),
        assignee: None,
        created_at: now - Duration::minutes(created_min_ago),
        acknowledged_at: ack_min_ago.map(|m| now - Duration::minutes(m)),
        resolved_at: None,
        url: None,
        customers: vec![],
        pending: false,
        conflict: false,
    }
}

#[rstest]
#[case::an_unacked_p1_four_minutes_old_has_eleven_minutes_left(
    Priority::P1,
    4,
    None,
    "11m left",
    "11m left (target 15m)"
)]
#[case::an_unacked_p0_twenty_minutes_old_is_breached_by_fifteen(
    Priority::P0,
    20,
    None,
    "BREACHED +15m",
    "BREACHED +15m (target 5m)"
)]
#[case::a_p1_acked_after_twelve_minutes_says_acked_in_12m_of_15m(
    Priority::P1,
    30,
    Some(18),
    "acked 12m/15m",
    "acked in 12m (target 15m)"
)]
#[case::a_p0_acked_late_stays_breached(
    Priority::P0,
    30,
    Some(20),
    "BREACHED +5m",
    "BREACHED +5m (target 5m)"
)]
fn sla_countdown_labels(
    #[case] sev: Priority,
    #[case] created: i64,
    #[case] ack: Option<i64>,
    #[case] want: &str,
    #[case] sentence: &str,
) {
    let now = utc(2026, 11, 20, 14, 0);
    let sla = incident_sla(
        &Policy::default(),
        chrono_tz::UTC,
        &incident(sev, created, ack, now),
        now,
    );
    let target_secs = (sla.deadline - incident(sev, created, ack, now).created_at).num_seconds();
    assert_eq!(sla_label(sla.state, target_secs), want);
    assert_eq!(sla_sentence(sla.state, target_secs), sentence);
}

fn customer() -> Customer {
    let at = utc(2026, 11, 1, 0, 0);
    Customer {
        id: 1,
        slug: "acme".into(),
        name: "Acme".into(),
        stage: Stage::Live,
        vertical: "insurance".into(),
        acv_usd: 1,
        owner: "me".into(),
        poc_start: None,
        signed_on: None,
        go_live: None,
        usage_days_per_week: Some(7.0),
        feature_adoption_pct: Some(60.0),
        engagement: Some(90.0),
        churn_risk: ChurnRisk::Low,
        nps: [10, 9, 9, 8, 7, 7, 6, 5, 3, 10]
            .iter()
            .map(|s| NpsResponse {
                score: *s,
                at,
                comment: String::new(),
            })
            .collect(),
        tickets_per_week: 2.0,
        open_p0_p1_bugs: 0,
        open_incidents: 0,
        pending: false,
    }
}

#[test]
fn health_maps_each_measure_as_documented_and_matches_vector_h2() {
    let h = customer_health(&Policy::default(), &customer(), Some(0.4));
    assert_eq!(
        h.measures.usage,
        Some(80.0),
        "7/7 days and 60 % adoption blend to 80"
    );
    assert_eq!(
        h.measures.support,
        Some(60.0),
        "2 tickets a week cost 40 points"
    );
    assert_eq!(h.measures.nps, Some(55.0), "NPS +10 maps to 55");
    assert_eq!(h.measures.reliability, Some(40.0));
    assert_eq!(h.latest_nps, Some(10));
    assert_eq!(h.nps.map(|n| (n.score, n.respondents)), Some((10, 10)));
    let score = h.health.unwrap();
    assert_eq!(score.score, 67);
    assert_eq!(score.band, cm::HealthBand::Yellow);
}

/// REGRESSION: the customers tab clamped health weights at 1000 while the Friday review clamped
/// them at 1,000,000, so a config weight above 1000 gave a customer one health score on the tab
/// and another in the review. Both now take `review::policy::health_weights`.
#[test]
fn a_large_health_weight_scores_the_same_on_the_tab_as_in_the_review() {
    let mut policy = Policy::default();
    policy.health.usage = 5000.0;
    let h = customer_health(&policy, &customer(), Some(0.4));
    let review_weights = crate::review::policy::health_weights(&policy);
    assert_eq!(review_weights.usage, 5000);
    let review = cm::health_score(&h.measures, &review_weights).unwrap();
    assert_eq!(h.health, review);
    // Usage (80) dominates at that weight: the score is pulled right up to it.
    assert_eq!(h.health.map(|s| s.score), Some(80));
}

#[test]
fn health_without_slo_data_lists_reliability_as_missing() {
    let mut c = customer();
    c.feature_adoption_pct = None;
    c.tickets_per_week = 9.0;
    let h = customer_health(&Policy::default(), &c, None);
    assert_eq!(
        h.measures.usage,
        Some(100.0),
        "days alone when adoption is unknown"
    );
    assert_eq!(h.measures.support, Some(0.0), "support is clamped at 0");
    assert_eq!(h.health.unwrap().missing, vec![cm::Measure::Reliability]);
}

#[rstest]
#[case::seconds(45, "45s")]
#[case::minutes(660, "11m")]
#[case::hours_and_minutes(7500, "2h05m")]
#[case::days_and_hours(100_800, "1d4h")]
fn short_durations_read_naturally(#[case] secs: i64, #[case] want: &str) {
    assert_eq!(short_duration(secs), want);
}
