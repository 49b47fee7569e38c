//! Incident metrics against the METRICS.md §2.3 worked example, plus business-day deadlines in
//! time zones west and east of UTC.

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use opsdeck::metrics::incident::{
    median_secs, response_stats, sla_state, sla_summary, sla_summary_by_priority, IncidentTimes,
    Priority, ResponseTarget, SlaPolicy, SlaState,
};
use rstest::rstest;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn inc(
    priority: Priority,
    created: DateTime<Utc>,
    ack: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
) -> IncidentTimes {
    IncidentTimes {
        priority,
        created_at: created,
        first_ack_at: ack,
        resolved_at: resolved,
    }
}

/// The five incidents of METRICS.md §2.3 (I1..I5), report time 2025-03-10 12:00 UTC.
fn worked_example() -> Vec<IncidentTimes> {
    vec![
        inc(
            Priority::P1,
            utc(2025, 3, 3, 9, 0),
            Some(utc(2025, 3, 3, 9, 4)),
            Some(utc(2025, 3, 3, 9, 45)),
        ),
        inc(
            Priority::P2,
            utc(2025, 3, 4, 14, 10),
            Some(utc(2025, 3, 4, 14, 40)),
            Some(utc(2025, 3, 4, 16, 10)),
        ),
        inc(
            Priority::P0,
            utc(2025, 3, 5, 2, 30),
            Some(utc(2025, 3, 5, 2, 36)),
            Some(utc(2025, 3, 5, 5, 0)),
        ),
        inc(
            Priority::P3,
            utc(2025, 3, 7, 17, 30),
            None,
            Some(utc(2025, 3, 7, 18, 0)),
        ),
        inc(
            Priority::P1,
            utc(2025, 3, 8, 11, 0),
            Some(utc(2025, 3, 8, 11, 12)),
            None,
        ),
    ]
}

fn report_time() -> DateTime<Utc> {
    utc(2025, 3, 10, 12, 0)
}

#[test]
fn worked_example_mtta_and_mttr_use_only_acked_and_resolved_incidents() {
    let stats = response_stats(&worked_example());
    assert_eq!(stats.acknowledged, 4);
    assert_eq!(stats.mtta_secs, Some(780.0));
    assert_eq!(stats.median_tta_secs, Some(540.0));
    assert_eq!(stats.resolved, 4);
    assert_eq!(stats.mttr_secs, Some(5_175.0));
    assert_eq!(stats.median_ttr_secs, Some(4_950.0));
    // The wrong answers METRICS.md names: unacked I4 as 0 s, open I5 by its age.
    assert_ne!(stats.mtta_secs, Some(624.0));
    assert_ne!(stats.mttr_secs, Some(39_420.0));
}

#[test]
fn worked_example_sla_states_and_compliance() {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    let states: Vec<SlaState> = worked_example()
        .iter()
        .map(|i| sla_state(&policy, i, report_time()))
        .collect();
    assert_eq!(
        states,
        vec![
            SlaState::Met { margin_secs: 660 },
            SlaState::Met { margin_secs: 1_800 },
            SlaState::Breached { by_secs: 60 },
            SlaState::Met {
                margin_secs: 71 * 3_600
            },
            SlaState::Met { margin_secs: 180 },
        ]
    );
    let summary = sla_summary(&policy, &worked_example(), report_time());
    assert_eq!((summary.met, summary.breached, summary.pending), (4, 1, 0));
    assert_eq!(summary.compliance(), Some(0.8));
}

#[test]
fn friday_evening_p3_is_due_monday_at_five() {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    assert_eq!(
        policy.deadline(Priority::P3, utc(2025, 3, 7, 17, 30)),
        utc(2025, 3, 10, 17, 0)
    );
}

#[rstest]
#[case::p0_five_minutes(Priority::P0, 5)]
#[case::p1_fifteen_minutes(Priority::P1, 15)]
#[case::p2_one_hour(Priority::P2, 60)]
fn round_the_clock_targets_ignore_weekends(#[case] priority: Priority, #[case] minutes: i64) {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    let saturday_night = utc(2025, 3, 8, 23, 58);
    assert_eq!(
        policy.deadline(priority, saturday_night),
        saturday_night + TimeDelta::minutes(minutes)
    );
}

#[rstest]
#[case::la_friday_afternoon_crosses_us_dst_start(
    "America/Los_Angeles",
    utc(2025, 3, 7, 23, 30),
    utc(2025, 3, 11, 0, 0)
)]
#[case::la_friday_evening_is_saturday_in_utc(
    "America/Los_Angeles",
    utc(2025, 3, 8, 1, 30),
    utc(2025, 3, 11, 0, 0)
)]
#[case::la_sunday_local("America/Los_Angeles", utc(2025, 3, 9, 20, 0), utc(2025, 3, 11, 0, 0))]
#[case::tokyo_monday_morning_is_sunday_in_utc(
    "Asia/Tokyo",
    utc(2025, 3, 9, 20, 0),
    utc(2025, 3, 11, 8, 0)
)]
#[case::tokyo_friday_evening_utc_is_saturday_local(
    "Asia/Tokyo",
    utc(2025, 3, 7, 16, 0),
    utc(2025, 3, 10, 8, 0)
)]
#[case::sydney_during_daylight_saving(
    "Australia/Sydney",
    utc(2025, 3, 5, 1, 0),
    utc(2025, 3, 6, 6, 0)
)]
fn p3_deadline_follows_the_team_time_zone(
    #[case] zone: &str,
    #[case] created: DateTime<Utc>,
    #[case] expected: DateTime<Utc>,
) {
    let policy = SlaPolicy::with_defaults(zone.parse::<Tz>().unwrap());
    assert_eq!(policy.deadline(Priority::P3, created), expected);
}

#[test]
fn unanswered_incident_is_pending_then_breached() {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    let open = inc(Priority::P1, utc(2025, 3, 10, 11, 50), None, None);
    assert_eq!(
        sla_state(&policy, &open, report_time()),
        SlaState::Pending {
            remaining_secs: 300
        }
    );
    let later = report_time() + TimeDelta::minutes(7);
    assert_eq!(
        sla_state(&policy, &open, later),
        SlaState::Breached { by_secs: 120 }
    );
}

#[test]
fn an_ack_recorded_after_now_is_not_known_yet() {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    let acked_later = inc(
        Priority::P2,
        utc(2025, 3, 10, 11, 30),
        Some(utc(2025, 3, 10, 12, 10)),
        None,
    );
    assert_eq!(
        sla_state(&policy, &acked_later, report_time()),
        SlaState::Pending {
            remaining_secs: 1_800
        }
    );
}

#[test]
fn compliance_ignores_pending_and_is_none_without_decisions() {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    let only_pending = [inc(Priority::P3, utc(2025, 3, 10, 9, 0), None, None)];
    let summary = sla_summary(&policy, &only_pending, report_time());
    assert_eq!((summary.pending, summary.compliance()), (1, None));
}

#[test]
fn compliance_per_priority() {
    let policy = SlaPolicy::with_defaults(Tz::UTC);
    let by = sla_summary_by_priority(&policy, &worked_example(), report_time());
    assert_eq!(by[&Priority::P0].compliance(), Some(0.0));
    assert_eq!(by[&Priority::P1].met, 2);
    assert_eq!(by.len(), 4);
}

#[test]
fn custom_targets_are_respected() {
    let mut policy = SlaPolicy::with_defaults(Tz::UTC);
    policy.p3 = ResponseTarget::NextBusinessDayAt(NaiveTime::from_hms_opt(9, 30, 0).unwrap());
    policy.p0 = ResponseTarget::Within(TimeDelta::minutes(2));
    assert_eq!(
        policy.deadline(Priority::P3, utc(2025, 3, 10, 8, 0)),
        utc(2025, 3, 11, 9, 30)
    );
    assert_eq!(
        policy.deadline(Priority::P0, utc(2025, 3, 10, 8, 0)),
        utc(2025, 3, 10, 8, 2)
    );
}

#[test]
fn no_incidents_means_no_means() {
    let stats = response_stats(&[]);
    assert_eq!((stats.mtta_secs, stats.mttr_secs), (None, None));
    assert_eq!(median_secs(&[]), None);
    assert_eq!(median_secs(&[5, 1, 3]), Some(3.0));
}

#[test]
fn priorities_parse_and_print() {
    for p in Priority::ALL {
        assert_eq!(Priority::from_label(&p.to_string().to_lowercase()), Some(p));
    }
    assert_eq!(Priority::from_label("P9"), None);
}
