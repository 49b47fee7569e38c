//! The `/` filter's ASCII fast path (issue #12: 88 % of a filter keystroke was nucleo scoring
//! although only match / no match is used) accepts exactly the rows nucleo's fuzzy pattern
//! accepts, so the filter shows the same rows as before, in the same (store) order. Checked
//! by property over random ASCII text and queries, and on the words an on-call engineer types.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use opsdeck::app::filter::AsciiWords;
use proptest::prelude::*;

fn nucleo_matches(query: &str, hay: &str) -> bool {
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::new(
        query,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut buf = Vec::new();
    pattern
        .score(Utf32Str::new(hay, &mut buf), &mut matcher)
        .is_some()
}

fn fast(query: &str, hay: &str) -> bool {
    AsciiWords::of(query)
        .expect("an ASCII query without backslashes takes the fast path")
        .all_in(hay)
}

#[test]
fn typed_filters_match_what_they_matched_before() {
    let hay = "OPS-231 P1 open checkout Latency spike on /api/v2/checkout @sofia [needs-triage]";
    for q in [
        "latency checkout",
        "LATENCY",
        "ltcy",
        "ops-231",
        "p1 sofia",
        "checkout  latency",
        "triage]",
        "",
        "   ",
        "latency zebra",
        "ycnetal",
        "/api/v2",
        "@sofia",
    ] {
        assert_eq!(fast(q, hay), nucleo_matches(q, hay), "query {q:?}");
    }
    assert!(fast("latency checkout", hay));
    assert!(!fast("latency zebra", hay));
}

#[test]
fn non_ascii_and_escaped_queries_go_to_nucleo() {
    assert!(AsciiWords::of("müller").is_none());
    assert!(AsciiWords::of("two\\ words").is_none());
    assert!(AsciiWords::of("plain words").is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn the_fast_path_agrees_with_nucleo_on_ascii(
        hay in "[ -~]{0,80}",
        query in "[a-zA-Z0-9 ./@#:_-]{0,12}",
    ) {
        prop_assume!(!query.contains('\\'));
        prop_assert_eq!(fast(&query, &hay), nucleo_matches(&query, &hay), "query {:?} hay {:?}", query, hay);
    }

    #[test]
    fn the_fast_path_agrees_with_nucleo_on_likely_hits(
        hay in "[a-z]{0,20} [A-Za-z0-9-]{0,20} [a-z ]{0,30}",
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        // queries built from the haystack's own letters, so many of them match
        let chars: Vec<char> = hay.chars().collect();
        let mut query = String::new();
        if !chars.is_empty() {
            let mut idx: Vec<usize> = picks.iter().map(|p| p.index(chars.len())).collect();
            idx.sort_unstable();
            query = idx.into_iter().map(|i| chars[i]).collect();
        }
        prop_assert_eq!(fast(&query, &hay), nucleo_matches(&query, &hay), "query {:?} hay {:?}", query, hay);
    }
}
