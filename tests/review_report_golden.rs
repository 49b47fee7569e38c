//! The Friday report of a fixed cache, byte for byte, in all three formats; and the figures a
//! reader checks first (METRICS.md §2.3 worked example, notes, redaction).
//!
//! `UPDATE_GOLDEN=1 cargo test --test review_report_golden` rewrites the golden files; read the
//! diff before committing it.

mod review_common;

use std::path::PathBuf;

use opsdeck::cli::Format;
use opsdeck::config::Policy;
use opsdeck::review::{run_report, take_snapshot};
use review_common::{build, now, tz, WEEK};
use rstest::rstest;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[rstest]
#[case::markdown(Format::Md, "report-2026-W47.md")]
#[case::json(Format::Json, "report-2026-W47.json")]
#[case::csv(Format::Csv, "report-2026-W47.csv")]
fn the_report_matches_its_golden_file(#[case] format: Format, #[case] file: &str) {
    let store = build();
    let out = run_report(
        &store,
        Some(WEEK),
        format,
        tz(),
        &Policy::default(),
        now(),
        false,
    )
    .unwrap();
    let path = golden(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &out).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert!(
        out == want,
        "{file} differs from the golden file; run with UPDATE_GOLDEN=1 and review the diff\n{out}"
    );
}

#[test]
fn the_same_cache_week_and_now_give_identical_reports() {
    let a = run_report(
        &build(),
        Some(WEEK),
        Format::Json,
        tz(),
        &Policy::default(),
        now(),
        false,
    )
    .unwrap();
    let b = run_report(
        &build(),
        Some(WEEK),
        Format::Json,
        tz(),
        &Policy::default(),
        now(),
        false,
    )
    .unwrap();
    assert_eq!(a, b);
}

#[test]
fn incident_figures_follow_the_metrics_worked_example() {
    let snap = take_snapshot(&build(), WEEK, tz(), &Policy::default(), now()).unwrap();
    let i = &snap.incidents;
    assert_eq!(i.total.this, Some(5.0));
    assert_eq!(i.total.last, Some(2.0));
    assert_eq!(
        i.mtta_mean_secs.this,
        Some(780.0),
        "acknowledged incidents only"
    );
    assert_eq!(i.mtta_median_secs.this, Some(540.0));
    assert_eq!(
        i.mttr_mean_secs.this,
        Some(5175.0),
        "resolved incidents only"
    );
    assert_eq!(i.mttr_median_secs.this, Some(4950.0));
    assert_eq!(i.sla_compliance.this, Some(0.8));
    assert_eq!(i.sla_breached.this, Some(1.0));
    assert_eq!(
        i.longest[0].key, "I5",
        "the open incident runs to the end of the week"
    );
    assert!(i.longest[0].open);
    let md = run_report(
        &build(),
        Some(WEEK),
        Format::Md,
        tz(),
        &Policy::default(),
        now(),
        false,
    )
    .unwrap();
    assert!(md.contains("| MTTA mean | 13m | 15m | ↓ −2m |"), "{md}");
    assert!(
        md.contains("| SLA compliance | 80.0% | 50.0% | ↑ +30.0 pp |"),
        "{md}"
    );
}

#[test]
fn notes_of_the_week_appear_in_every_format_and_other_weeks_do_not() {
    let store = build();
    for format in [Format::Md, Format::Json, Format::Csv] {
        let out = run_report(
            &store,
            Some(WEEK),
            format,
            tz(),
            &Policy::default(),
            now(),
            false,
        )
        .unwrap();
        assert!(
            out.contains("Call Granite Life before Tuesday"),
            "{format:?}"
        );
        assert!(out.contains("I3 was the ingest"), "{format:?}");
        assert!(!out.contains("not this week's note"), "{format:?}");
    }
}

#[test]
fn redaction_hides_customer_names_and_people_in_every_format() {
    let store = build();
    for format in [Format::Md, Format::Json, Format::Csv] {
        let out = run_report(
            &store,
            Some(WEEK),
            format,
            tz(),
            &Policy::default(),
            now(),
            true,
        )
        .unwrap();
        for secret in [
            "Acme Mutual",
            "acme-mutual",
            "Granite Life",
            "Northwind Re",
            "dana",
            "sam",
            "lee",
            "@mo",
            "tfinch",
            "mobi",
        ] {
            assert!(!out.contains(secret), "{format:?} leaks {secret}:\n{out}");
        }
        assert!(out.contains("Customer A"), "{format:?}");
        assert!(out.contains("Person 1"), "{format:?}");
    }
    let md = run_report(
        &store,
        Some(WEEK),
        Format::Md,
        tz(),
        &Policy::default(),
        now(),
        true,
    )
    .unwrap();
    assert!(
        md.contains("Call Customer B before Tuesday (Person "),
        "{md}"
    );
}

#[test]
fn a_week_that_is_not_iso_is_refused_with_the_expected_form() {
    let err = run_report(
        &build(),
        Some("2026-47"),
        Format::Md,
        tz(),
        &Policy::default(),
        now(),
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("2026-W47"), "{err}");
}

/// REGRESSION (#11 defect 12): `report --format json` wrote counts as floats (`"this": 8.0`);
/// a tool reading the report as typed JSON saw a float where it expects a count.
#[test]
fn json_counts_are_integers() {
    let out = run_report(
        &build(),
        Some(WEEK),
        Format::Json,
        tz(),
        &Policy::default(),
        now(),
        false,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["incidents"]["total"]["this"], serde_json::json!(5));
    assert!(v["incidents"]["total"]["this"].is_u64());
    assert!(v["incidents"]["by_severity"]["P0"]["last"].is_u64());
    assert!(v["deployments"]["week"]["deployments"]["this"].is_u64());
    assert!(v["deployments"]["failed_attempts"]["this"].is_u64());
    assert!(!out.contains(": 5.0"), "no count written as a float");
    // Fractions stay fractions.
    assert!(v["deployments"]["week"]["per_day"]["this"].is_f64());
}

/// REGRESSION (#11 defect 12): in a running week `per_day` divided the week's deployments by
/// the days elapsed so far (2 deployments by Wednesday noon showed as 0.8 a day); it is now
/// always deployments / 7 for the ISO week and / 28 for the rolling window.
#[test]
fn per_day_of_a_running_week_divides_by_seven() {
    let wednesday_noon = review_common::at(18, 12, 0);
    let snap = take_snapshot(&build(), WEEK, tz(), &Policy::default(), wednesday_noon).unwrap();
    let w = &snap.deployments.week;
    // 101 (Mon) and 102 (Tue) are in production by Wednesday noon.
    assert_eq!(w.deployments.this, Some(2.0));
    assert_eq!(
        w.per_day.this,
        Some(0.286),
        "2 / 7, not 2 / 2.5 elapsed days"
    );
    let done = take_snapshot(&build(), WEEK, tz(), &Policy::default(), now()).unwrap();
    assert_eq!(done.deployments.week.deployments.this, Some(4.0));
    assert_eq!(done.deployments.week.per_day.this, Some(0.571));
    assert_eq!(done.deployments.rolling_28d.window_days, 28);
}

/// MTTA/MTTR per priority on the METRICS.md §2.3 worked example, and open incidents by age,
/// in every format: P1 MTTA = (240 + 720) / 2 = 480 s; P3 was never acknowledged, so its MTTA
/// is null (never 0); P1 MTTR counts only the resolved I1 (2,700 s); the open I5 (created
/// Sat 11:00) is 2 d 1 h old at Monday noon.
#[test]
fn per_priority_response_times_and_open_ages_follow_the_worked_example() {
    let snap = take_snapshot(&build(), WEEK, tz(), &Policy::default(), now()).unwrap();
    let i = &snap.incidents;
    let mtta = |p: &str| i.mtta_mean_secs_by_severity[p].this;
    let mttr = |p: &str| i.mttr_mean_secs_by_severity[p].this;
    assert_eq!(mtta("P0"), Some(360.0));
    assert_eq!(mtta("P1"), Some(480.0));
    assert_eq!(mtta("P2"), Some(1_800.0));
    assert_eq!(mtta("P3"), None, "nothing acknowledged: null, not 0");
    assert_eq!(mttr("P1"), Some(2_700.0), "the open I5 is not counted");
    assert_eq!(mttr("P3"), Some(1_800.0));
    let ages: Vec<(&str, Option<f64>)> = i
        .open_by_age
        .iter()
        .map(|a| (a.bucket.as_str(), a.open.this))
        .collect();
    assert_eq!(
        ages,
        vec![
            ("<1h", Some(0.0)),
            ("1h-1d", Some(0.0)),
            ("1d-7d", Some(1.0)),
            (">=7d", Some(0.0))
        ]
    );
    let report = |f| {
        run_report(
            &build(),
            Some(WEEK),
            f,
            tz(),
            &Policy::default(),
            now(),
            false,
        )
        .unwrap()
    };
    let md = report(Format::Md);
    assert!(md.contains("| MTTA P1 | 8m | 20m | ↓ −12m |"), "{md}");
    assert!(md.contains("| MTTA P3 | – | – | – |"), "{md}");
    assert!(md.contains("| Open, age 1d-7d | 1 | 0 | ↑ +1 |"), "{md}");
    let csv = report(Format::Csv);
    assert!(
        csv.contains("2026-W47,incidents,mtta_mean_secs,P1,480,1200,-720,"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-W47,incidents,mtta_mean_secs,P3,,,,"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-W47,incidents,open_by_age,1d-7d,1,0,1,"),
        "{csv}"
    );
    let json: serde_json::Value = serde_json::from_str(&report(Format::Json)).unwrap();
    assert_eq!(
        json["incidents"]["mtta_mean_secs_by_severity"]["P1"]["this"],
        480
    );
    assert!(json["incidents"]["mtta_mean_secs_by_severity"]["P3"]["this"].is_null());
    assert_eq!(json["incidents"]["open_by_age"][2]["open"]["this"], 1);
}

/// Rework rate in every format: a rollback of 102 on Wednesday makes 1 of this week's 5
/// production deployments rework (20 %); NPS shares sit beside the score.
#[test]
fn rework_rate_and_nps_shares_appear_in_every_format() {
    let mut store = build();
    let mut rollback = review_common::deploy(
        "107",
        "production",
        opsdeck::domain::DeployStatus::Success,
        review_common::at(18, 1, 0),
        &[],
        &[],
    );
    rollback.rollback_of = Some("102".into());
    store
        .write(|tx| {
            opsdeck::store::write::upsert_deployment(
                tx,
                &rollback,
                now() - chrono::Duration::days(40),
            )
        })
        .unwrap();
    let snap = take_snapshot(&store, WEEK, tz(), &Policy::default(), now()).unwrap();
    let w = &snap.deployments.week;
    assert_eq!(w.deployments.this, Some(5.0));
    assert_eq!(w.rework.this, Some(1.0));
    assert_eq!(w.rework_rate.this, Some(0.2));
    assert_eq!(w.rework_rate.last, Some(0.0));
    let report = |f| {
        run_report(
            &store,
            Some(WEEK),
            f,
            tz(),
            &Policy::default(),
            now(),
            false,
        )
    };
    let md = report(Format::Md).unwrap();
    assert!(
        md.contains("| Rework rate (wk) | 20.0% | 0.0% | ↑ +20.0 pp |"),
        "{md}"
    );
    assert!(md.contains("| · promoters | 100.0% | 0.0% |"), "{md}");
    let csv = report(Format::Csv).unwrap();
    assert!(
        csv.contains("2026-W47,deployments,rework_rate,week,0.2,0,0.2,"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-W47,customers,detractors_pct,,0,1,-1,"),
        "{csv}"
    );
    let json: serde_json::Value = serde_json::from_str(&report(Format::Json).unwrap()).unwrap();
    assert_eq!(json["deployments"]["week"]["rework"]["this"], 1);
    assert_eq!(json["deployments"]["week"]["rework_rate"]["this"], 0.2);
    assert_eq!(json["customers"]["promoters_pct_week"]["this"], 1);
}
