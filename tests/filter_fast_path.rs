//! The `/` filter's rule (issue #12): every word of the query is a substring of the row's
//! shown columns, ASCII case ignored — in Rust for the small in-memory lists
//! (`filter::Words`) and in SQL for the windowed ones (`store::read::window`). Both must accept
//! exactly the same rows: checked on the words an on-call engineer types, and by property over
//! random titles and queries against a real store.
//!
//! (Until #12 the filter was fuzzy — `ltcy` matched `latency` — and this file checked a fast
//! path against nucleo; the rule changed so that SQL can apply it.)

use chrono::{TimeZone, Utc};
use opsdeck::app::filter::Words;
use opsdeck::app::rows::RowView;
use opsdeck::domain::{Bug, BugStatus, Priority, Tab};
use opsdeck::store::read::window::ListQuery;
use opsdeck::store::{write, Store};
use proptest::prelude::*;

fn bug(i: usize, title: &str, assignee: Option<&str>, label: &str) -> Bug {
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    Bug {
        id: 0,
        source: "gh".into(),
        external_id: i.to_string(),
        key: format!("OPS-{i}"),
        title: title.into(),
        body: String::new(),
        priority: Priority::P1,
        status: BugStatus::Open,
        assignee: assignee.map(str::to_string),
        labels: vec![label.into()],
        customers: Vec::new(),
        created_at: t,
        updated_at: t,
        closed_at: None,
        url: None,
        pending: false,
        conflict: false,
    }
}

fn rust_matches(b: &Bug, q: &str) -> bool {
    let mut hay = String::new();
    b.haystack_into(&mut hay);
    Words::of(q).all_in(&hay)
}

#[test]
fn typed_filters_match_words_as_substrings() {
    let hay = "OPS-231 P1 open checkout Latency spike on /api/v2/checkout @sofia [needs-triage]";
    let yes = [
        "latency checkout",
        "LATENCY",
        "ops-231",
        "p1 sofia",
        "checkout  latency",
        "triage]",
        "",
        "   ",
        "/api/v2",
        "@sofia",
        "tency",
    ];
    let no = ["ltcy", "latency zebra", "ycnetal", "checkoutlatency"];
    for q in yes {
        assert!(Words::of(q).all_in(hay), "{q:?} matches");
    }
    for q in no {
        assert!(!Words::of(q).all_in(hay), "{q:?} does not match");
    }
    // ASCII case is ignored, other characters match exactly (as SQLite's LIKE does).
    assert!(Words::of("MÜLLER").all_in("bug for mÜller"));
    assert!(!Words::of("müller").all_in("bug for MÜLLER"));
}

fn store_with(bugs: &[Bug]) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    store
        .write(|tx| {
            for b in bugs {
                write::upsert_bug(tx, b, now)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

#[test]
fn sql_and_rust_agree_on_typed_filters() {
    let bugs = vec![
        bug(1, "Checkout latency spike", Some("sofia"), "needs-triage"),
        bug(2, "Login 50% failures_x", None, "auth"),
        bug(3, "Straße closed for Müller", Some("Jörg"), "i18n"),
        bug(4, "search is slow", Some("dev\\ops"), "perf"),
    ];
    let store = store_with(&bugs);
    let loaded = store.load_bugs(None).unwrap();
    for q in [
        "latency",
        "LATENCY sofia",
        "50%",
        "_x",
        "%",
        "_",
        "müller",
        "MÜLLER",
        "straße",
        "jörg",
        "dev\\ops",
        "\\",
        "needs-triage",
        "triage auth",
        "ops-3",
        "p1",
        "open",
        "ltcy",
    ] {
        sql_agrees_with_rust(&store, &loaded, q);
    }
}

/// The rows and count the store gives for `q` equal the Rust rule over every bug; returns
/// how many matched.
fn sql_agrees_with_rust(store: &Store, loaded: &[Bug], q: &str) -> usize {
    let want: Vec<i64> = loaded
        .iter()
        .filter(|b| rust_matches(b, q))
        .map(|b| b.id)
        .collect();
    let query = ListQuery {
        filter: q.into(),
        sort: 0,
    };
    let got: Vec<i64> = store
        .load_bugs_window(&query, 0, 100)
        .unwrap()
        .iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(got, want, "query {q:?}");
    assert_eq!(
        store.list_count(Tab::Bugs, &query).unwrap(),
        want.len(),
        "count of {q:?}"
    );
    want.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn sql_and_rust_agree_on_random_titles_and_queries(
        titles in proptest::collection::vec("[a-zA-Z0-9 ./@#:_%-]{0,24}", 1..12),
        query in "[a-zA-Z0-9 ./@#:_%-]{0,6}",
    ) {
        let bugs: Vec<Bug> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| bug(i, t, (i % 2 == 0).then_some("Ana"), "lbl"))
            .collect();
        let store = store_with(&bugs);
        let loaded = store.load_bugs(None).unwrap();
        let want: Vec<i64> = loaded.iter().filter(|b| rust_matches(b, &query)).map(|b| b.id).collect();
        let q = ListQuery { filter: query.clone(), sort: 0 };
        let got: Vec<i64> = store.load_bugs_window(&q, 0, 100).unwrap().iter().map(|b| b.id).collect();
        prop_assert_eq!(got, want, "query {:?}", query);
    }
}

/// Labels are matched on their stored JSON text when the word cannot meet JSON syntax, else
/// element by element: words with quotes, backslashes, commas or brackets, and labels holding
/// them, must give the same rows as the Rust rule (a wrong shortcut would let `","` or `[`
/// match every labelled bug, or `b` match the escape in `a\"b`).
#[test]
fn labels_with_json_syntax_in_them_match_as_the_user_sees_them() {
    let mut bugs = vec![
        bug(1, "one", None, "needs-triage"),
        bug(2, "two", None, "a\"b"),
        bug(3, "three", None, "x,y"),
        bug(4, "four", None, "[sev]"),
        bug(5, "five", None, "back\\slash"),
        bug(6, "six", None, "Müller"),
    ];
    bugs[0].labels.push("area:checkout".into());
    bugs[5].labels.clear();
    let store = store_with(&bugs);
    let loaded = store.load_bugs(None).unwrap();
    let mut matched_some = 0;
    for q in [
        "\",\"",
        "\"",
        ",",
        "[",
        "]",
        "[\"",
        "\\",
        "\\\"",
        "b",
        "a\"b",
        "ab",
        "x,y",
        "y",
        "[sev]",
        "sev]",
        "triage",
        "triage,area",
        "checkout",
        "e-t",
        "slash",
        "k\\s",
        "MÜ",
        "mü",
        "müller",
    ] {
        matched_some += usize::from(sql_agrees_with_rust(&store, &loaded, q) > 0);
    }
    assert!(
        matched_some >= 12,
        "the queries exercise matching labels ({matched_some})"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn sql_and_rust_agree_on_random_labels_and_queries(
        labels in proptest::collection::vec(
            proptest::collection::vec("[abü\",\\[\\]\\\\:-]{0,5}", 0..3), 1..10),
        query in "[abü\",\\[\\]\\\\:-]{0,3}( [abü\",\\[\\]\\\\:-]{0,3})?",
    ) {
        let bugs: Vec<Bug> = labels
            .iter()
            .enumerate()
            .map(|(i, ls)| {
                let mut b = bug(i, "t", None, "");
                b.labels = ls.clone();
                b
            })
            .collect();
        let store = store_with(&bugs);
        sql_agrees_with_rust(&store, &store.load_bugs(None).unwrap(), &query);
    }
}
