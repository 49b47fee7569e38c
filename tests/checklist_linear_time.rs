//! Parsing time grows linearly on pathological inputs (measured growth, not a wall-clock bound).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use opsdeck::checklist::parse::parse;
use rstest::rstest;

/// Input size (bytes) of the smaller run; the larger run is twice this.
const BASE_BYTES: usize = 48 * 1024;
/// Runs per size; the fastest one is kept to filter scheduler noise on a shared machine.
const RUNS: usize = 5;
/// Allowed growth of time when the input doubles.
const MAX_RATIO: f64 = 2.5;
/// Whole measurements tried before failing: quadratic work gives ~4x every time, while a
/// noisy neighbour on the 2-core machine rarely spoils all of them.
const ATTEMPTS: usize = 3;

/// Serialises the timing cases so they do not compete with each other for the CPU.
static TIMING: Mutex<()> = Mutex::new(());

/// Repeat `unit` until the input reaches `bytes`, then append `tail`.
fn repeat(unit: &str, bytes: usize, tail: &str) -> String {
    let mut s = unit.repeat(bytes / unit.len());
    s.push_str(tail);
    s
}

/// Task items nested ever deeper: line k is indented by 2k spaces (grows to `bytes`).
fn nested_tasks(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 64);
    let mut depth = 0usize;
    while s.len() < bytes {
        s.push_str(&" ".repeat(2 * depth));
        s.push_str("- [ ] a\n");
        depth += 1;
    }
    s
}

fn family(name: &str, bytes: usize) -> String {
    match name {
        "unclosed_link_destination" => repeat("[a](<b", bytes, ""),
        "star_space_nesting" => repeat("* ", bytes, "a"),
        "bracket_paren_soup" => repeat("[ (](", bytes, ""),
        "nested_task_lists" => nested_tasks(bytes),
        "many_identical_tasks" => repeat("- [ ] same @bob\n", bytes, ""),
        "many_sections_and_tasks" => repeat("## S\n- [x] P2-W2-A1 t\n", bytes, ""),
        _ => String::new(),
    }
}

/// Time of one parse of `src`.
fn parse_time(src: &str) -> Duration {
    let start = Instant::now();
    let doc = parse(src);
    let took = start.elapsed();
    std::hint::black_box(doc.items.len());
    took
}

/// Fastest of `RUNS` interleaved parses of each input, so drift hits both sizes alike.
fn best_times(small: &str, large: &str) -> (Duration, Duration) {
    let mut best = (Duration::MAX, Duration::MAX);
    for _ in 0..RUNS {
        best.0 = best.0.min(parse_time(small));
        best.1 = best.1.min(parse_time(large));
    }
    best
}

#[rstest]
#[case::unclosed_link_destination("unclosed_link_destination")]
#[case::star_space_nesting("star_space_nesting")]
#[case::bracket_paren_soup("bracket_paren_soup")]
#[case::nested_task_lists("nested_task_lists")]
#[case::many_identical_tasks("many_identical_tasks")]
#[case::many_sections_and_tasks("many_sections_and_tasks")]
fn doubling_a_pathological_input_at_most_doubles_parse_time(#[case] name: &str) {
    let small = family(name, BASE_BYTES);
    let large = family(name, 2 * BASE_BYTES);
    let size_ratio = large.len() as f64 / small.len() as f64;
    assert!(
        (1.8..=2.2).contains(&size_ratio),
        "{name}: sizes {} and {}",
        small.len(),
        large.len()
    );
    let _guard = TIMING.lock().unwrap_or_else(|e| e.into_inner());
    let _ = parse(&small); // warm up allocator and caches
    let mut ratios = Vec::new();
    for _ in 0..ATTEMPTS {
        let (t1, t2) = best_times(&small, &large);
        // Normalise to an exact doubling of the input size.
        let ratio = t2.as_secs_f64() / t1.as_secs_f64().max(1e-9) / (size_ratio / 2.0);
        eprintln!(
            "{name}: {} B {t1:?}, {} B {t2:?}, ratio {ratio:.2}",
            small.len(),
            large.len()
        );
        ratios.push(ratio);
        if ratio <= MAX_RATIO {
            return;
        }
    }
    panic!("{name}: doubling the input took {ratios:.2?}x the time in every attempt");
}
