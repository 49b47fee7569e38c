//! RELIABILITY.md §7 E1 on a stable toolchain: proptest drives the parsers for a bounded wall
//! time each (quick tier 4 s, long tier 30 s per target) instead of `cargo fuzz`, which needs a
//! nightly this machine does not have. Targets: checklist parser, sanitizer (with its
//! properties), config, Link header, Retry-After / rate-limit reset headers, CSV import,
//! Prometheus sample and `le` parsing. Pass: no panic, and the sanitizer's output holds no
//! control or format character and is idempotent.

mod battery_common;

use std::time::{Duration, Instant};

use battery_common::{record, sized};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};

/// Strings rich in the bytes parsers trip on.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-*#>`\\[\\] \\\\x\n\r\t=\"'{}:;,<>/0-9a-z\u{1b}\u{9b}\u{202e}\u{200b}\u{301}]{0,200}",
        proptest::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Runs `check` on generated inputs until `budget` is spent; returns (cases, failures).
fn fuzz(budget: Duration, check: impl Fn(&str) -> Result<(), String>) -> (usize, Vec<String>) {
    let started = Instant::now();
    let mut cases = 0usize;
    let mut failures = Vec::new();
    // Bounded by the wall-clock budget; a fresh runner (fresh random seed) per batch.
    while started.elapsed() < budget {
        let mut runner = TestRunner::new(PtConfig {
            cases: 64,
            failure_persistence: None,
            ..PtConfig::default()
        });
        let result = runner.run(&nasty(), |s| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&s)));
            match outcome {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(TestCaseError::fail(e)),
                Err(_) => Err(TestCaseError::fail(format!("panic on {s:?}"))),
            }
        });
        cases += 64;
        if let Err(e) = result {
            failures.push(e.to_string());
        }
    }
    (cases, failures)
}

/// One fuzz target: `Err` names a violated property.
type Check = Box<dyn Fn(&str) -> Result<(), String>>;

fn bad_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || opsdeck::sanitize::is_format_control(c)
}

#[test]
fn battery_e1_parser_fuzzing_bounded_time() {
    let budget = Duration::from_secs(sized(4, 30));
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    let base = url::Url::parse("https://api.github.com/repos/o/r/issues").unwrap();
    let targets: Vec<(&str, Check)> = vec![
        (
            "checklist parser",
            Box::new(|s| {
                let _ = opsdeck::checklist::parse::parse(s);
                Ok(())
            }),
        ),
        (
            "sanitizer",
            Box::new(|s| {
                let line = opsdeck::sanitize::line(s);
                if line.chars().any(bad_char) {
                    return Err(format!("control char left in {line:?}"));
                }
                if opsdeck::sanitize::line(&line) != line {
                    return Err(format!("not idempotent on {s:?}"));
                }
                let text = opsdeck::sanitize::text(s);
                if text.chars().any(|c| bad_char(c) && c != '\n') {
                    return Err(format!("control char left in text {text:?}"));
                }
                Ok(())
            }),
        ),
        (
            "config",
            Box::new(|s| {
                let _ = opsdeck::config::Config::parse(s, "fuzz.toml");
                let _ = s.parse::<opsdeck::config::DurationSpec>();
                Ok(())
            }),
        ),
        (
            "Link header",
            Box::new(move |s| {
                let _ = opsdeck::sync::link::parse(s, &base);
                Ok(())
            }),
        ),
        (
            "Retry-After / reset headers",
            Box::new(move |s| {
                let _ = opsdeck::sync::ratelimit::parse_retry_after(s, now);
                let _ = opsdeck::sync::ratelimit::parse_epoch_reset(s, now);
                let _ = opsdeck::sync::ratelimit::parse_delta_reset(s, now);
                let _ = opsdeck::sync::ratelimit::parse_iso_reset(s, now);
                Ok(())
            }),
        ),
        (
            "customers CSV",
            Box::new(|s| {
                let _ = opsdeck::review::customers_csv::parse(s);
                Ok(())
            }),
        ),
        (
            "Prometheus sample / le",
            Box::new(|s| {
                let _ = opsdeck::sync::prometheus::api::parse_sample(s);
                let _ = opsdeck::sync::prometheus::query::parse_le(s);
                Ok(())
            }),
        ),
    ];
    let mut total = 0usize;
    let mut failed_targets = Vec::new();
    let n_targets = targets.len();
    for (name, check) in &targets {
        let (cases, failures) = fuzz(budget, check);
        total += cases;
        if !failures.is_empty() {
            failed_targets.push(format!("{name}: {}", failures[0]));
        }
    }
    record(
        "E1 parser fuzzing (proptest, stable)",
        n_targets,
        n_targets - failed_targets.len(),
        failed_targets.len(),
        &format!(
            "{total} cases over {n_targets} targets, {} s each",
            budget.as_secs()
        ),
    );
    assert!(failed_targets.is_empty(), "{failed_targets:#?}");
}
