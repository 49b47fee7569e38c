//! A new SLO with 9 days of data in a 28-day window (METRICS.md §1.7, partial windows): the
//! SLO tab shows its coverage next to the name and in the detail, the detail shows the budget
//! projection, and `report` shows coverage and the full-window consumption in md, json and csv.
//!
//! Worked example: 99.9 % over 28 d; 100,000 requests a day from Thu 2026-11-12 to Fri 11-20
//! (9 days), 540 of the 900,000 bad → error ratio 0.0006, budget consumed 60 % against observed
//! events (40 % left), projected full-window consumption 0.6 × 9/28 = 19.3 %. The last hour
//! had 16 bad of 4,000 → burn 4 → the 40 % left lasts 0.4 × 28 d / 4 = 2.8 d = 2 d 19 h.

mod ui_support;

use chrono::{Duration, NaiveDate};
use opsdeck::cli::Format;
use opsdeck::config::Policy;
use opsdeck::domain::Tab;
use opsdeck::metrics::slo::coverage::{
    projected_full_window_consumed, projection, projection_sentence, window_coverage, Projection,
    WindowCoverage,
};
use opsdeck::metrics::slo::Window;
use opsdeck::review::{run_report, take_snapshot};
use opsdeck::store::{write, Store};
use ui_support::{now, render, screen, show, state_from};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn store_with_new_slo() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store
        .write(|tx| {
            let id = write::upsert_slo(
                tx,
                &write::SloDef {
                    name: "ledger-availability",
                    service: "ledger",
                    objective: "99.9",
                    window_days: 28,
                    kind: "ratio",
                    good_query: "sum(rate(ledger_ok[{{window}}]))",
                    total_query: "sum(rate(ledger_all[{{window}}]))",
                    threshold_le: None,
                },
            )?;
            for d in 12..=20 {
                write::set_slo_daily(tx, id, day(d), 60.0, 100_000.0)?;
            }
            let at = now() - Duration::minutes(1);
            for (w, bad, total) in [
                ("5m", 1.0, 300.0),
                ("30m", 8.0, 2_000.0),
                ("1h", 16.0, 4_000.0),
                ("2h", 32.0, 8_000.0),
                ("6h", 96.0, 24_000.0),
                ("1d", 200.0, 100_000.0),
                ("3d", 210.0, 300_000.0),
                ("28d", 540.0, 900_000.0),
            ] {
                write::set_slo_window(tx, id, w, bad, total, at)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

#[test]
fn coverage_counts_from_the_first_day_with_traffic() {
    let daily: Vec<(NaiveDate, f64)> = (12..=20).map(|d| (day(d), 100_000.0)).collect();
    let c = window_coverage(&daily, 28, day(20)).unwrap();
    assert_eq!(
        c,
        WindowCoverage {
            covered_days: 9,
            window_days: 28
        }
    );
    assert!(c.is_partial());
    assert_eq!(c.label(), "data for 9 of 28 days");
    let p = projected_full_window_consumed(0.6, c);
    assert!((p - 0.6 * 9.0 / 28.0).abs() < 1e-12);
    // A quiet day in the middle is covered; zero-traffic days before the first are not.
    let mut gappy = daily.clone();
    gappy.insert(0, (day(10), 0.0));
    gappy[4].1 = 0.0;
    assert_eq!(
        window_coverage(&gappy, 28, day(20)).unwrap().covered_days,
        9
    );
    // Nothing but silence: no coverage at all (never "0 of 28" that reads like data).
    assert_eq!(window_coverage(&[(day(20), 0.0)], 28, day(20)), None);
    // Long histories cap at the window.
    let long: Vec<(NaiveDate, f64)> = (0..40)
        .map(|i| (day(20) - Duration::days(i), 1.0))
        .collect();
    assert_eq!(
        window_coverage(&long, 28, day(20)).unwrap().covered_days,
        28
    );
}

#[test]
fn projection_says_when_the_budget_is_gone_or_not_at_this_rate() {
    let p = projection(0.4, Window::Days28, Some(4.0));
    assert_eq!(p, Projection::GoneIn { secs: 241_920.0 });
    assert_eq!(
        projection_sentence(p),
        "at the current 1 h burn the budget is gone in 2 d 19 h"
    );
    // 3 d 4 h exactly: 0.4 × 2,419,200 s / burn = 273,600 s.
    let p = projection(0.4, Window::Days28, Some(0.4 * 2_419_200.0 / 273_600.0));
    assert_eq!(
        projection_sentence(p),
        "at the current 1 h burn the budget is gone in 3 d 4 h"
    );
    for burn in [None, Some(0.0), Some(0.3)] {
        assert_eq!(
            projection(0.4, Window::Days28, burn),
            Projection::NotAtThisRate,
            "{burn:?}: 0.4 × 28 d / 0.3 is longer than the window"
        );
    }
    assert_eq!(
        projection_sentence(Projection::NotAtThisRate),
        "at the current 1 h burn: not at this rate"
    );
    assert_eq!(
        projection(-0.1, Window::Days28, Some(4.0)),
        Projection::Exhausted
    );
}

#[test]
fn the_slo_tab_shows_coverage_and_the_projection() {
    let store = store_with_new_slo();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Slos);
    for (w, h) in [(80, 24), (160, 48)] {
        let terminal = render(&state, w, h);
        let text = screen(&terminal);
        assert!(text.contains("ledger-availability 9/28d"), "{text}");
        assert!(text.contains("data for 9 of 28 days"), "{text}");
        assert!(text.contains("budget is gone in 2 d 19 h"), "{text}");
        insta::assert_snapshot!(format!("new_slo_9_days_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn the_report_shows_coverage_and_full_window_consumption() {
    let store = store_with_new_slo();
    let tz = chrono_tz::Europe::London;
    let snap = take_snapshot(&store, "2026-W47", tz, &Policy::default(), now()).unwrap();
    let l = &snap.slos.slos[0];
    assert_eq!(l.window_days, 28);
    assert_eq!(l.coverage_days.this, Some(9.0), "Nov 12 .. Nov 20");
    assert_eq!(l.coverage_days.last, Some(4.0), "Nov 12 .. Sun Nov 15");
    assert_eq!(
        l.budget_remaining.this,
        Some(0.4),
        "against observed events"
    );
    assert_eq!(l.projected_full_window_consumed.this, Some(0.1929));
    let report = |f| {
        run_report(
            &store,
            Some("2026-W47"),
            f,
            tz,
            &Policy::default(),
            now(),
            false,
        )
        .unwrap()
    };
    let md = report(Format::Md);
    assert!(
        md.contains("| ledger-availability days of data (of 28) | 9 | 4 | ↑ +5 |"),
        "{md}"
    );
    assert!(
        md.contains("| ledger-availability full-window budget used | 19.3% |"),
        "{md}"
    );
    assert!(
        md.contains(
            "- ledger-availability: data for 9 of 28 days — budget against observed events"
        ),
        "{md}"
    );
    let csv = report(Format::Csv);
    assert!(
        csv.contains("2026-W47,slos,coverage_days,ledger-availability,9,4,5,"),
        "{csv}"
    );
    let json: serde_json::Value = serde_json::from_str(&report(Format::Json)).unwrap();
    assert_eq!(json["slos"]["slos"][0]["coverage_days"]["this"], 9);
    assert_eq!(json["slos"]["slos"][0]["window_days"], 28);
}
