//! ISO weeks are cut at Monday 00:00 in the team's time zone: an item at the edge of a week
//! lands in the week its local time says, west and east of UTC.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use opsdeck::config::Policy;
use opsdeck::domain::{BugStatus, DeployStatus, Deployment, Incident, IncidentStatus, Priority};
use opsdeck::review::{current_week, take_snapshot, Week};
use opsdeck::store::{write, Store};
use rstest::rstest;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// 2026-11-16T07:30Z is Sunday 23:30 in Los Angeles and Monday 16:30 in Tokyo.
const EDGE: &str = "2026-11-16T07:30:00Z";

fn edge_store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let at = t(EDGE);
    s.write(|tx| {
        let inc = Incident {
            id: 0,
            source: "pagerduty".into(),
            external_id: "EDGE".into(),
            number: 1,
            title: "edge".into(),
            severity: Priority::P2,
            status: IncidentStatus::Resolved,
            service: "api".into(),
            assignee: None,
            created_at: at,
            acknowledged_at: Some(at + chrono::Duration::minutes(5)),
            resolved_at: Some(at + chrono::Duration::minutes(50)),
            url: None,
            customers: Vec::new(),
            pending: false,
            conflict: false,
        };
        write::upsert_incident(tx, &inc, None, at)?;
        let bug = opsdeck::domain::Bug {
            id: 0,
            source: "github".into(),
            external_id: "1".into(),
            key: "#1".into(),
            title: "edge bug".into(),
            body: String::new(),
            priority: Priority::P1,
            status: BugStatus::Open,
            assignee: None,
            labels: Vec::new(),
            customers: Vec::new(),
            created_at: at,
            updated_at: at,
            closed_at: None,
            url: None,
            pending: false,
            conflict: false,
        };
        write::upsert_bug(tx, &bug, at)?;
        let dep = Deployment {
            id: 0,
            source: "github".into(),
            external_id: "d1".into(),
            service: "api".into(),
            environment: "production".into(),
            git_ref: "v1".into(),
            sha: "abc".into(),
            status: DeployStatus::Success,
            creator: "lee".into(),
            created_at: at,
            finished_at: Some(at),
            rollback_of: None,
            rolled_back: false,
            url: None,
            incident_keys: Vec::new(),
            commit_times: Vec::new(),
            pending: false,
        };
        write::upsert_deployment(tx, &dep, at)?;
        Ok(())
    })
    .unwrap();
    s
}

#[rstest]
#[case::los_angeles_is_still_sunday_so_the_previous_week(chrono_tz::America::Los_Angeles, (0.0, 1.0), 6)]
#[case::tokyo_is_already_monday_so_this_week(chrono_tz::Asia::Tokyo, (1.0, 0.0), 0)]
#[case::utc_is_monday_morning_so_this_week(chrono_tz::UTC, (1.0, 0.0), 0)]
fn an_item_at_the_edge_of_a_week_lands_in_its_local_week(
    #[case] tz: Tz,
    #[case] (this, last): (f64, f64),
    #[case] weekday_index: usize,
) {
    let store = edge_store();
    let now = t("2026-11-25T12:00:00Z");
    let snap = take_snapshot(&store, "2026-W47", tz, &Policy::default(), now).unwrap();
    assert_eq!(
        snap.incidents.total.this,
        Some(this),
        "incidents this week in {tz}"
    );
    assert_eq!(
        snap.incidents.total.last,
        Some(last),
        "incidents last week in {tz}"
    );
    assert_eq!(
        snap.bugs.opened.this,
        Some(this),
        "bugs opened this week in {tz}"
    );
    assert_eq!(snap.bugs.opened.last, Some(last));
    assert_eq!(
        snap.deployments.week.deployments.this,
        Some(this),
        "deploys in {tz}"
    );
    let days = if this > 0.0 {
        &snap.deployments.per_day
    } else {
        &snap.deployments.per_day_last
    };
    assert_eq!(
        days[weekday_index], 1,
        "the deploy sits on its local weekday in {tz}: {days:?}"
    );
}

#[rstest]
#[case::los_angeles(
    chrono_tz::America::Los_Angeles,
    "2026-11-16T08:00:00Z",
    "2026-11-23T08:00:00Z"
)]
#[case::tokyo(chrono_tz::Asia::Tokyo, "2026-11-15T15:00:00Z", "2026-11-22T15:00:00Z")]
#[case::london(
    chrono_tz::Europe::London,
    "2026-11-16T00:00:00Z",
    "2026-11-23T00:00:00Z"
)]
fn a_week_runs_from_local_monday_midnight_to_the_next(
    #[case] tz: Tz,
    #[case] start: &str,
    #[case] end: &str,
) {
    let w = Week::parse("2026-W47", tz).unwrap();
    assert_eq!(w.start, t(start));
    assert_eq!(w.end, t(end));
    assert_eq!(w.label(), "2026-W47");
    assert_eq!(w.previous(tz).label(), "2026-W46");
}

#[test]
fn a_week_with_a_daylight_saving_change_is_seven_local_days_long() {
    let tz = chrono_tz::America::Los_Angeles;
    // DST ends Sunday 2026-11-01 in Los Angeles: that week has 169 hours.
    let w = Week::parse("2026-W44", tz).unwrap();
    assert_eq!((w.end - w.start).num_hours(), 169);
    assert_eq!(w.start, t("2026-10-26T07:00:00Z"));
}

#[rstest]
#[case::year_end_belongs_to_week_53("2026-12-31T12:00:00Z", chrono_tz::UTC, "2026-W53")]
#[case::new_year_in_tokyo_is_still_2026_w53(
    "2026-12-31T16:00:00Z",
    chrono_tz::Asia::Tokyo,
    "2026-W53"
)]
#[case::early_january_can_be_last_years_week("2027-01-02T12:00:00Z", chrono_tz::UTC, "2026-W53")]
#[case::monday_after_is_week_1("2027-01-04T12:00:00Z", chrono_tz::UTC, "2027-W01")]
#[case::sunday_night_in_los_angeles_is_still_w46(
    "2026-11-16T07:30:00Z",
    chrono_tz::America::Los_Angeles,
    "2026-W46"
)]
fn the_current_week_is_the_iso_week_of_local_time(
    #[case] now: &str,
    #[case] tz: Tz,
    #[case] want: &str,
) {
    assert_eq!(current_week(t(now), tz), want);
}

#[rstest]
#[case::no_w("2026-47")]
#[case::one_digit("2026-W7")]
#[case::week_zero("2026-W00")]
#[case::week_53_in_a_52_week_year("2025-W53")]
#[case::words("last week")]
fn a_week_that_does_not_exist_is_refused(#[case] text: &str) {
    let err = Week::parse(text, chrono_tz::UTC).unwrap_err();
    assert!(err.to_string().contains("like 2026-W47"), "{err}");
}

#[test]
fn a_response_recorded_after_now_does_not_count_yet() {
    // Reviewing W47 on its Monday: the incident was acknowledged after `now`.
    let store = edge_store();
    let now = Utc.with_ymd_and_hms(2026, 11, 16, 7, 32, 0).unwrap();
    let snap = take_snapshot(&store, "2026-W47", chrono_tz::UTC, &Policy::default(), now).unwrap();
    assert!(snap.in_progress);
    assert_eq!(snap.incidents.acknowledged.this, Some(0.0));
    assert_eq!(
        snap.incidents.mtta_mean_secs.this, None,
        "no ack yet is no data, not zero"
    );
    assert_eq!(snap.incidents.sla_pending.this, Some(1.0));
}
