//! Query building of the Prometheus connector, without a server: selector validation and
//! rendering, numeric `le` matching ("0.5" == "0.50", as Prometheus 3 normalises), the exact
//! PromQL sent per window, the windows queried, and the parameter formats.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use opsdeck::config::{DurationSpec, SloConfig};
use opsdeck::metrics::slo::{AlertPolicy, Window};
use opsdeck::sync::prometheus::api::parse_sample;
use opsdeck::sync::prometheus::query::{
    le_matcher, le_matches, matching_le_values, parse_le, prom_time, Selector, SloPlan,
};
use rstest::rstest;

fn slo(kind: &str, window_days: u64) -> SloConfig {
    SloConfig {
        name: "s".into(),
        service: "checkout".into(),
        objective: "99.9".into(),
        window: DurationSpec(Duration::from_secs(window_days * 86_400)),
        kind: kind.into(),
        good: None,
        bad: None,
        total: None,
        histogram: None,
        threshold_le: None,
        source: None,
    }
}

#[rstest]
#[case::same_text("0.5", 0.5, true)]
#[case::trailing_zero_as_prometheus_3_writes_it("0.50", 0.5, true)]
#[case::exponent_form("5e-1", 0.5, true)]
#[case::integer_and_float_spelling("1.0", 1.0, true)]
#[case::plus_infinity("+Inf", f64::INFINITY, true)]
#[case::a_neighbouring_bucket("0.25", 0.5, false)]
#[case::almost_but_not_equal("0.5000001", 0.5, false)]
#[case::not_a_number("NaN", 0.5, false)]
#[case::garbage("fast", 0.5, false)]
fn le_labels_match_the_threshold_numerically(
    #[case] label: &str,
    #[case] threshold: f64,
    #[case] matches: bool,
) {
    assert_eq!(le_matches(label, threshold), matches);
}

#[rstest]
#[case::plain("0.5", Some(0.5))]
#[case::padded(" 0.50 ", Some(0.5))]
#[case::integer("1", Some(1.0))]
#[case::infinity("+Inf", Some(f64::INFINITY))]
#[case::words("fast", None)]
#[case::hex("0x10", None)]
#[case::empty("", None)]
fn thresholds_parse_as_numbers_or_are_refused(#[case] text: &str, #[case] value: Option<f64>) {
    assert_eq!(parse_le(text), value);
}

#[rstest]
#[case::one_spelling_is_an_exact_match(&["0.5"], r#"le="0.5""#)]
#[case::infinity_needs_no_escaping_in_an_exact_match(&["+Inf"], r#"le="+Inf""#)]
#[case::two_spellings_become_an_escaped_regex(&["0.5", "0.50"], r#"le=~"0\\.5|0\\.50""#)]
fn the_le_matcher_uses_exactly_the_spellings_found(
    #[case] values: &[&str],
    #[case] expected: &str,
) {
    let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    assert_eq!(le_matcher(&values), expected);
}

#[test]
fn matching_buckets_are_deduplicated_in_server_order() {
    let found = ["0.25", "0.50", "+Inf", "0.5", "0.50"];
    assert_eq!(
        matching_le_values(found, 0.5),
        vec!["0.50".to_owned(), "0.5".to_owned()]
    );
    assert!(matching_le_values(found, 0.3).is_empty());
}

#[rstest]
#[case::name_and_matchers(
    r#"http_requests_total{service="checkout",code=~"5.."}"#,
    r#"http_requests_total{service="checkout",code=~"5.."}"#
)]
#[case::spaces_and_a_trailing_comma_are_normalised(
    r#"  http_requests_total { service = "checkout" , }  "#,
    r#"http_requests_total{service="checkout"}"#
)]
#[case::name_only("up", "up")]
#[case::recording_rule_name_with_colons("job:http_requests:rate5m", "job:http_requests:rate5m")]
#[case::matchers_only(r#"{__name__="x",job="y"}"#, r#"{__name__="x",job="y"}"#)]
#[case::single_quotes_kept("x{a='b'}", "x{a='b'}")]
#[case::escaped_quote_inside_a_value(r#"x{a="b\"c,}"}"#, r#"x{a="b\"c,}"}"#)]
#[case::backtick_raw_string(r#"x{path=~`/api/.*`}"#, r#"x{path=~`/api/.*`}"#)]
#[case::negative_matchers(r#"x{a!="b",c!~"d"}"#, r#"x{a!="b",c!~"d"}"#)]
fn plain_selectors_render_back_as_written(#[case] text: &str, #[case] rendered: &str) {
    assert_eq!(Selector::parse(text).unwrap().render(), rendered);
}

#[rstest]
#[case::a_function("rate(x_total[5m])")]
#[case::a_range("x_total[5m]")]
#[case::an_offset("x_total offset 5m")]
#[case::an_operator("x_total + y_total")]
#[case::an_unclosed_brace(r#"x{a="b""#)]
#[case::a_matcher_without_value("x{a}")]
#[case::an_unquoted_value("x{a=b}")]
#[case::an_unterminated_string(r#"x{a="b}"#)]
#[case::nothing_at_all("  ")]
#[case::empty_braces("{}")]
fn anything_but_a_plain_selector_is_refused(#[case] text: &str) {
    let err = Selector::parse(text).unwrap_err();
    assert!(!err.is_empty());
}

#[test]
fn a_ratio_slo_counts_bad_events_with_a_zero_default_and_totals_without() {
    let mut cfg = slo("ratio", 30);
    cfg.bad = Some(r#"http_requests_total{service="checkout",code=~"5.."}"#.into());
    cfg.total = Some(r#"http_requests_total{service="checkout"}"#.into());
    let q = SloPlan::from_config(&cfg).unwrap().queries(&[]);
    assert!(!q.events_are_good);
    assert_eq!(
        q.events_query("5m"),
        r#"sum(increase(http_requests_total{service="checkout",code=~"5.."}[5m])) or vector(0)"#
    );
    assert_eq!(
        q.total_query("30d"),
        r#"sum(increase(http_requests_total{service="checkout"}[30d]))"#
    );
}

#[test]
fn a_ratio_slo_given_good_events_derives_bad_as_total_minus_good() {
    let mut cfg = slo("ratio", 30);
    cfg.good = Some(r#"http_requests_total{code!~"5.."}"#.into());
    cfg.total = Some("http_requests_total".into());
    let q = SloPlan::from_config(&cfg).unwrap().queries(&[]);
    assert!(q.events_are_good);
    assert_eq!(
        q.events_query("1h"),
        r#"sum(increase(http_requests_total{code!~"5.."}[1h])) or vector(0)"#
    );
}

#[rstest]
#[case::bucket_metric_with_matchers(
    r#"http_request_duration_seconds_bucket{service="checkout"}"#,
    r#"sum(increase(http_request_duration_seconds_bucket{service="checkout",le="0.50"}[1h]))"#,
    r#"sum(increase(http_request_duration_seconds_count{service="checkout"}[1h]))"#
)]
#[case::base_name_without_the_bucket_suffix(
    r#"http_request_duration_seconds{service="checkout"}"#,
    r#"sum(increase(http_request_duration_seconds_bucket{service="checkout",le="0.50"}[1h]))"#,
    r#"sum(increase(http_request_duration_seconds_count{service="checkout"}[1h]))"#
)]
#[case::no_matchers(
    "h_bucket",
    r#"sum(increase(h_bucket{le="0.50"}[1h]))"#,
    "sum(increase(h_count[1h]))"
)]
fn a_latency_slo_counts_the_matching_bucket_as_good_and_count_as_total(
    #[case] histogram: &str,
    #[case] good: &str,
    #[case] total: &str,
) {
    let mut cfg = slo("latency", 28);
    cfg.histogram = Some(histogram.into());
    cfg.threshold_le = Some("0.5".into());
    let plan = SloPlan::from_config(&cfg).unwrap();
    let q = plan.queries(&["0.50".to_owned()]);
    assert!(
        q.events_are_good && q.events_required,
        "a missing bucket is an error, never 0 good"
    );
    assert_eq!(
        q.events_query("1h"),
        good,
        "no `or vector(0)` on the bucket"
    );
    assert_eq!(q.total_query("1h"), total);
    let (lookup, threshold) = plan.bucket_lookup().unwrap();
    assert!(
        lookup.ends_with("_bucket") || lookup.contains("_bucket{"),
        "{lookup}"
    );
    assert_eq!(threshold, 0.5);
}

#[rstest]
#[case::thirty_days(30, Window::Days30)]
#[case::twenty_eight_days(28, Window::Days28)]
fn every_alert_window_and_the_slo_window_are_queried(#[case] days: u64, #[case] last: Window) {
    let mut cfg = slo("ratio", days);
    cfg.bad = Some("e".into());
    cfg.total = Some("t".into());
    let windows = SloPlan::from_config(&cfg)
        .unwrap()
        .windows(&AlertPolicy::sre_workbook());
    let labels: Vec<&str> = windows.iter().map(|w| w.label()).collect();
    assert_eq!(
        labels,
        ["5m", "30m", "1h", "2h", "6h", "1d", "3d", last.label()]
    );
}

#[rstest]
#[case::a_week(7)]
#[case::a_quarter(90)]
fn only_28_or_30_day_windows_are_accepted(#[case] days: u64) {
    let mut cfg = slo("ratio", days);
    cfg.bad = Some("e".into());
    cfg.total = Some("t".into());
    assert!(SloPlan::from_config(&cfg)
        .unwrap_err()
        .contains("\"28d\" or \"30d\""));
}

#[test]
fn a_hundred_percent_objective_is_refused() {
    let mut cfg = slo("ratio", 30);
    cfg.objective = "100".into();
    cfg.bad = Some("e".into());
    cfg.total = Some("t".into());
    assert!(SloPlan::from_config(&cfg)
        .unwrap_err()
        .contains("below 100"));
}

#[test]
fn query_times_are_unix_seconds_with_milliseconds_only_when_needed() {
    let whole = Utc.timestamp_opt(1_795_320_900, 0).unwrap();
    assert_eq!(prom_time(whole), "1795320900");
    let fraction = Utc.timestamp_opt(1_795_320_900, 250_000_000).unwrap();
    assert_eq!(prom_time(fraction), "1795320900.250");
}

#[rstest]
#[case::integer("12", 12.0)]
#[case::exponent("1e+03", 1000.0)]
#[case::plus_infinity("+Inf", f64::INFINITY)]
#[case::minus_infinity("-Inf", f64::NEG_INFINITY)]
fn sample_strings_parse_as_prometheus_prints_them(#[case] text: &str, #[case] value: f64) {
    assert_eq!(parse_sample(text), Some(value));
}

#[test]
fn nan_samples_parse_as_nan_and_junk_is_refused() {
    assert!(parse_sample("NaN").unwrap().is_nan());
    assert_eq!(parse_sample("twelve"), None);
}
