//! SLO arithmetic against the METRICS.md §1 vectors: EB1, the AC1–AC10 alert table, no-data
//! handling, window-specific burn factors and objective validation.

use opsdeck::metrics::slo::{
    allowed_bad_events, budget_status, burn_rate, burn_rate_exceeds, evaluate_alerts, evaluate_slo,
    is_low_traffic, single_bad_event_burn_rate, time_budget_secs, time_to_exhaustion_secs,
    AlertPolicy, AlertState, BurnFactor, ErrorRatio, Objective, ObjectiveError, RatioError,
    Severity, Window, WindowRatios,
};
use proptest::prelude::*;
use rstest::rstest;

fn objective(text: &str) -> Objective {
    Objective::from_percent_str(text).unwrap()
}

fn ratio(text: &str) -> Option<ErrorRatio> {
    ErrorRatio::parse(text).unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

#[rstest]
#[case::three_nines("99.9", 999_000)]
#[case::with_percent_sign("99.95 %", 999_500)]
#[case::whole_number("90", 900_000)]
#[case::trailing_zeros_are_not_precision("99.900000", 999_000)]
#[case::finest_step("99.9999", 999_999)]
#[case::tiny_but_positive("0.0001", 1)]
fn objectives_parse_to_exact_parts_per_million(#[case] text: &str, #[case] ppm: u32) {
    let parsed = objective(text);
    assert_eq!(parsed.ppm(), ppm);
    assert_eq!(parsed.budget_ppm(), 1_000_000 - ppm);
}

#[rstest]
#[case::hundred_leaves_no_budget("100", ObjectiveError::NotBelowHundred("100".into()))]
#[case::hundred_with_decimals("100.0", ObjectiveError::NotBelowHundred("100.0".into()))]
#[case::above_hundred("250", ObjectiveError::NotBelowHundred("250".into()))]
#[case::zero("0", ObjectiveError::NotAboveZero("0".into()))]
#[case::negative("-5", ObjectiveError::NotAboveZero("-5".into()))]
#[case::too_precise("99.99999", ObjectiveError::TooPrecise("99.99999".into()))]
#[case::not_a_number("ninety", ObjectiveError::NotDecimal("ninety".into()))]
#[case::float_exponent("9.99e1", ObjectiveError::NotDecimal("9.99e1".into()))]
#[case::blank("  ", ObjectiveError::Empty)]
fn bad_objectives_are_rejected_with_a_reason(#[case] text: &str, #[case] expected: ObjectiveError) {
    assert_eq!(Objective::from_percent_str(text), Err(expected));
}

#[test]
fn objective_error_messages_say_what_to_do() {
    let err = Objective::from_percent_str("100").unwrap_err().to_string();
    assert!(
        err.contains("below 100 %") && err.contains("no error budget"),
        "{err}"
    );
}

#[test]
fn openslo_ratio_targets_and_display_round_trip() {
    assert_eq!(
        Objective::from_ratio_str("0.999").unwrap(),
        objective("99.9")
    );
    assert!(Objective::from_ratio_str("1").is_err());
    assert_eq!(objective("99.95").to_string(), "99.95%");
    assert_eq!(objective("90").to_string(), "90%");
    assert_eq!("99.9".parse::<Objective>().unwrap().ppm(), 999_000);
}

#[test]
fn eb1_budget_consumption_and_time_to_exhaustion() {
    let obj = objective("99.9");
    let month = ErrorRatio::from_counts(600, 1_000_000).unwrap();
    assert!(close(allowed_bad_events(obj, 1_000_000), 1_000.0));
    let budget = budget_status(obj, month);
    assert!(close(budget.consumed, 0.6), "consumed {}", budget.consumed);
    assert!(
        close(budget.remaining, 0.4),
        "remaining {}",
        budget.remaining
    );
    assert!(close(burn_rate(month, obj), 0.6));
    let tte = time_to_exhaustion_secs(budget.remaining, Window::Days30, Some(4.0)).unwrap();
    assert!(close(tte, 72.0 * 3_600.0), "tte {tte}");
}

#[test]
fn overspent_budget_goes_negative_and_exhaustion_is_now() {
    let obj = objective("99.9");
    let budget = budget_status(obj, ErrorRatio::from_counts(1_500, 1_000_000).unwrap());
    assert!(close(budget.remaining, -0.5));
    assert!(budget.is_exhausted());
    assert_eq!(
        time_to_exhaustion_secs(budget.remaining, Window::Days30, Some(0.0)),
        Some(0.0)
    );
}

#[test]
fn no_burn_means_no_projected_exhaustion() {
    assert_eq!(
        time_to_exhaustion_secs(0.4, Window::Days30, Some(0.0)),
        None
    );
    assert_eq!(time_to_exhaustion_secs(0.4, Window::Days30, None), None);
}

#[test]
fn time_budget_matches_the_workbook() {
    let obj = objective("99.9");
    assert!(close(time_budget_secs(obj, Window::Days30), 43.2 * 60.0));
    assert!(close(time_budget_secs(obj, Window::Days28), 40.32 * 60.0));
}

#[test]
fn zero_traffic_is_no_data_never_zero_or_hundred_percent() {
    assert_eq!(ErrorRatio::from_counts(0, 0), None);
    assert_eq!(ErrorRatio::from_fractional_counts(0.0, 0.0), Ok(None));
    assert_eq!(ErrorRatio::parse("NaN"), Ok(None));
    let ratios = WindowRatios::new();
    let eval = evaluate_slo(
        objective("99.9"),
        Window::Days30,
        &AlertPolicy::default(),
        &ratios,
    );
    assert_eq!(eval.alerts.state, AlertState::NoData);
    assert_eq!(eval.attainment, None);
    assert_eq!(eval.budget, None);
    assert_eq!(eval.time_to_exhaustion_secs, None);
}

#[test]
fn ratio_inputs_are_exact_or_rejected() {
    let exact = ErrorRatio::from_counts(144, 10_000);
    assert_eq!(ratio("0.0144"), exact);
    assert_eq!(ErrorRatio::from_f64(0.0144).unwrap(), exact);
    assert_eq!(
        ErrorRatio::from_fractional_counts(144.0, 10_000.0).unwrap(),
        exact
    );
    assert_eq!(ratio("1e-05"), ErrorRatio::from_counts(1, 100_000));
    assert_eq!(
        ratio("1.7"),
        ErrorRatio::from_counts(1, 1),
        "capped at 100 %"
    );
    assert!(matches!(
        ErrorRatio::parse("-0.1"),
        Err(RatioError::Negative(_))
    ));
    assert!(matches!(
        ErrorRatio::parse("+Inf"),
        Err(RatioError::Infinite(_))
    ));
    assert!(matches!(
        ErrorRatio::parse("abc"),
        Err(RatioError::NotANumber(_))
    ));
    assert_eq!(
        ErrorRatio::from_counts(7, 5),
        ErrorRatio::from_counts(1, 1),
        "bad > total caps"
    );
}

#[rstest]
#[case::days_30(Window::Days30, [(72, 5), (6, 1), (3, 1), (1, 1)], [14.4, 6.0, 3.0, 1.0])]
#[case::days_28(Window::Days28, [(336, 25), (28, 5), (14, 5), (14, 15)], [13.44, 5.6, 2.8, 0.9333])]
fn burn_factors_are_derived_from_the_slo_window(
    #[case] slo_window: Window,
    #[case] exact: [(u64, u64); 4],
    #[case] shown: [f64; 4],
) {
    let policy = AlertPolicy::sre_workbook();
    for ((row, (num, den)), approx) in policy.rows.iter().zip(exact).zip(shown) {
        let factor = row.factor(slo_window);
        assert_eq!(factor, BurnFactor::new(num, den).unwrap(), "{row:?}");
        assert!((factor.as_f64() - approx).abs() < 1e-4);
    }
}

#[test]
fn workbook_policy_rows_are_the_documented_ones() {
    let rows = AlertPolicy::default().rows;
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.severity,
                r.budget_share_pct,
                r.long_window.label(),
                r.short_window.label(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (Severity::Page, 2, "1h", "5m"),
            (Severity::Page, 5, "6h", "30m"),
            (Severity::Ticket, 10, "1d", "2h"),
            (Severity::Ticket, 10, "3d", "6h"),
        ]
    );
}

/// Builds the trailing-window ratios of one AC row (SLO window given a benign value).
fn ac_ratios(row: [&str; 7]) -> WindowRatios {
    let windows = [
        Window::Minutes5,
        Window::Minutes30,
        Window::Hour1,
        Window::Hours2,
        Window::Hours6,
        Window::Day1,
        Window::Days3,
    ];
    let mut ratios = WindowRatios::new().with(Window::Days30, ratio("0.0005"));
    for (window, value) in windows.into_iter().zip(row) {
        ratios.set(window, if value == "null" { None } else { ratio(value) });
    }
    ratios
}

#[rstest]
#[case::ac1_fast_burn("99.9", [".02", ".02", ".015", ".008", ".0027", ".0008", ".0004"], [true, false, false, false], AlertState::Page)]
#[case::ac2_burn_stopped_resets_the_page("99.9", [".0005", ".003", ".02", ".01", ".0035", ".0009", ".0003"], [false, false, false, false], AlertState::Ok)]
#[case::ac3_slow_burn("99.9", [".006", ".0065", ".0068", ".007", ".007", ".0025", ".0009"], [false, true, false, false], AlertState::Page)]
#[case::ac4_sustained("99.9", [".004", ".004", ".004", ".004", ".004", ".0035", ".0012"], [false, false, true, true], AlertState::Ticket)]
#[case::ac5_drift("99.9", [".001", ".001", ".001", ".0011", ".0012", ".0014", ".0015"], [false, false, false, true], AlertState::Ticket)]
#[case::ac6_exact_tie_does_not_fire("99.9", [".0144", "0", ".0144", "0", "0", "0", "0"], [false, false, false, false], AlertState::Ok)]
#[case::ac7_just_above_fires("99.9", [".01441", "0", ".01441", "0", "0", "0", "0"], [true, false, false, false], AlertState::Page)]
#[case::ac8_no_5m_traffic_is_false_not_no_data("99.9", ["null", ".05", ".05", ".025", ".0084", ".0021", ".0007"], [false, true, false, false], AlertState::Page)]
#[case::ac9_one_failure_at_10_req_per_hour("99.9", ["1.0", ".2", ".1", ".05", ".0167", ".00417", ".00139"], [true, true, true, true], AlertState::Page)]
#[case::ac10_ninety_percent_cannot_reach_14_4("90", ["1.0", "1.0", "1.0", ".5", ".167", ".0417", ".0139"], [false, false, false, false], AlertState::Ok)]
fn alert_table_cases(
    #[case] obj: &str,
    #[case] row: [&str; 7],
    #[case] firing: [bool; 4],
    #[case] state: AlertState,
) {
    let eval = evaluate_alerts(
        objective(obj),
        Window::Days30,
        &AlertPolicy::default(),
        &ac_ratios(row),
    );
    let fired: Vec<bool> = eval.rows.iter().map(|r| r.firing).collect();
    assert_eq!(fired, firing);
    assert_eq!(eval.state, state);
}

#[test]
fn ac6_tie_is_decided_exactly_not_by_float_noise() {
    let obj = objective("99.9");
    let page = AlertPolicy::default().rows[0].factor(Window::Days30);
    assert!(!burn_rate_exceeds(ratio("0.0144").unwrap(), obj, page));
    // A float sample 0.0144 (what Prometheus prints for that ratio) is the same exact tie.
    assert!(!burn_rate_exceeds(
        ErrorRatio::from_f64(0.0144).unwrap().unwrap(),
        obj,
        page
    ));
    // Sloth's float threshold 14.4 * 0.0009999999999999432 sits below 0.0144 and would fire.
    let sloth_threshold = std::hint::black_box(14.4) * 0.000_999_999_999_999_943_2;
    assert!(sloth_threshold < 0.0144);
    assert!(burn_rate_exceeds(
        ErrorRatio::from_counts(14_401, 1_000_000).unwrap(),
        obj,
        page
    ));
}

#[test]
fn firing_page_is_never_hidden_behind_no_data() {
    let ratios =
        ac_ratios(["1.0", "1.0", "1.0", "1.0", "1.0", "1.0", "1.0"]).with(Window::Days30, None);
    let eval = evaluate_alerts(
        objective("99.9"),
        Window::Days30,
        &AlertPolicy::default(),
        &ratios,
    );
    assert_eq!(eval.state, AlertState::Page);
}

#[test]
fn evaluate_slo_reports_budget_burn_and_projection_together() {
    let ratios = WindowRatios::new()
        .with(Window::Days30, ErrorRatio::from_counts(600, 1_000_000))
        .with(Window::Hour1, ErrorRatio::from_counts(4, 1_000));
    let eval = evaluate_slo(
        objective("99.9"),
        Window::Days30,
        &AlertPolicy::default(),
        &ratios,
    );
    assert!(close(eval.attainment.unwrap(), 0.9994));
    assert!(close(eval.burn_rate_1h.unwrap(), 4.0));
    assert!(close(eval.time_to_exhaustion_secs.unwrap(), 72.0 * 3_600.0));
    assert_eq!(eval.alerts.state, AlertState::Ok);
    assert_eq!(AlertState::NoData.to_string(), "NO DATA");
}

#[test]
fn low_traffic_flag_and_single_failure_burn() {
    assert!(is_low_traffic(10));
    assert!(is_low_traffic(99));
    assert!(!is_low_traffic(100));
    let one_failure = single_bad_event_burn_rate(10, objective("99.9")).unwrap();
    assert!(
        close(one_failure, 100.0),
        "10 req/h: one failure is a 100x burn, not 1000x"
    );
    assert_eq!(single_bad_event_burn_rate(0, objective("99.9")), None);
}

#[test]
fn windows_have_their_lengths_and_labels() {
    let table: Vec<(&str, u64)> = Window::ALL.iter().map(|w| (w.label(), w.secs())).collect();
    assert_eq!(
        table,
        vec![
            ("5m", 300),
            ("30m", 1_800),
            ("1h", 3_600),
            ("2h", 7_200),
            ("6h", 21_600),
            ("1d", 86_400),
            ("3d", 259_200),
            ("28d", 2_419_200),
            ("30d", 2_592_000),
        ]
    );
    for w in Window::ALL {
        assert_eq!(Window::from_label(w.label()), Some(w));
    }
}

proptest! {
    #[test]
    fn more_errors_never_lower_the_burn_rate_or_unfire_a_row(
        total in 1u64..10_000_000,
        bad_a in 0u64..10_000_000,
        bad_b in 0u64..10_000_000,
        ppm in 1u32..1_000_000,
    ) {
        let obj = Objective::from_ppm(ppm).unwrap();
        let (low, high) = (bad_a.min(bad_b).min(total), bad_a.max(bad_b).min(total));
        let (r_low, r_high) = (ErrorRatio::from_counts(low, total).unwrap(), ErrorRatio::from_counts(high, total).unwrap());
        prop_assert!(burn_rate(r_low, obj) <= burn_rate(r_high, obj));
        for row in AlertPolicy::default().rows {
            let factor = row.factor(Window::Days30);
            prop_assert!(!burn_rate_exceeds(r_low, obj, factor) || burn_rate_exceeds(r_high, obj, factor));
        }
    }

    #[test]
    fn exact_threshold_agrees_with_floats_away_from_ties(
        total in 1u64..10_000_000,
        bad in 0u64..10_000_000,
        ppm in 1u32..1_000_000,
    ) {
        let obj = Objective::from_ppm(ppm).unwrap();
        let r = ErrorRatio::from_counts(bad.min(total), total).unwrap();
        for row in AlertPolicy::default().rows {
            let factor = row.factor(Window::Days28);
            let (burn, limit) = (burn_rate(r, obj), factor.as_f64());
            if (burn - limit).abs() > 1e-9 * limit.max(1.0) {
                prop_assert_eq!(burn_rate_exceeds(r, obj, factor), burn > limit);
            }
        }
    }

    #[test]
    fn any_ppm_objective_round_trips_through_its_display(ppm in 1u32..1_000_000) {
        let obj = Objective::from_ppm(ppm).unwrap();
        let text = obj.to_string();
        prop_assert_eq!(Objective::from_percent_str(&text), Ok(obj));
    }

    #[test]
    fn budget_consumed_plus_remaining_is_one(bad in 0u64..1_000_000, extra in 1u64..1_000_000, ppm in 1u32..1_000_000) {
        let obj = Objective::from_ppm(ppm).unwrap();
        let status = budget_status(obj, ErrorRatio::from_counts(bad, bad + extra).unwrap());
        prop_assert!((status.consumed + status.remaining - 1.0).abs() < 1e-6 * status.consumed.max(1.0));
    }
}

/// REGRESSION: `ErrorRatio::from_fractional_counts` divided the two floats first, so an
/// `increase()` result of 43.2 bad of 3,000 became 0.014400000000000001 and fired the 14.4×
/// page at an exact tie (METRICS.md AC6 says a tie must not fire). The counts are now divided
/// as the decimals they print as.
#[test]
fn fractional_counts_at_an_exact_tie_do_not_page() {
    let obj = objective("99.9");
    let fast_page = AlertPolicy::default().rows[0].factor(Window::Days30);
    let tie = ErrorRatio::from_fractional_counts(43.2, 3_000.0)
        .unwrap()
        .unwrap();
    assert_eq!(
        Some(tie),
        ErrorRatio::from_counts(144, 10_000),
        "exactly 0.0144"
    );
    assert!(
        !burn_rate_exceeds(tie, obj, fast_page),
        "a tie must not fire"
    );
    // Both counts fractional, as two extrapolated increase() results usually are.
    let tie2 = ErrorRatio::from_fractional_counts(0.72, 50.0)
        .unwrap()
        .unwrap();
    assert!(!burn_rate_exceeds(tie2, obj, fast_page));
    let tie3 = ErrorRatio::from_fractional_counts(4.32, 300.000)
        .unwrap()
        .unwrap();
    assert_eq!(tie3, tie);
    // AC6 through the whole policy with fractional inputs: 1h and 5m both exactly at 0.0144.
    let ratios = WindowRatios::new()
        .with(Window::Minutes5, Some(tie3))
        .with(Window::Hour1, Some(tie))
        .with(
            Window::Days30,
            ErrorRatio::from_fractional_counts(43.2, 3_000_000.0).unwrap(),
        );
    let eval = evaluate_slo(obj, Window::Days30, &AlertPolicy::default(), &ratios);
    assert_eq!(eval.alerts.state, AlertState::Ok);
    // AC7: just above the tie still fires.
    let above = ErrorRatio::from_fractional_counts(43.23, 3_000.0)
        .unwrap()
        .unwrap();
    assert!(burn_rate_exceeds(above, obj, fast_page));
    let hair_above = ErrorRatio::from_fractional_counts(43.200000001, 3_000.0)
        .unwrap()
        .unwrap();
    assert!(burn_rate_exceeds(hair_above, obj, fast_page));
}

/// Counts too precise for exact 64-bit terms are rounded in integers, never above 100 %.
#[test]
fn fractional_counts_with_many_digits_stay_in_range() {
    let r =
        ErrorRatio::from_fractional_counts(1.234_567_890_123_456_7e15, 9.876_543_210_987_654e15)
            .unwrap()
            .unwrap();
    assert!((r.as_f64() - 0.125).abs() < 1e-3);
    let small = ErrorRatio::from_fractional_counts(1e-7, 3.3)
        .unwrap()
        .unwrap();
    assert!(small.as_f64() > 0.0 && small.as_f64() < 1e-7);
    let capped = ErrorRatio::from_fractional_counts(5.5, 2.25)
        .unwrap()
        .unwrap();
    assert_eq!(Some(capped), ErrorRatio::from_counts(1, 1));
}
