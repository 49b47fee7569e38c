//! The checklist tab's window reads (issue #12) over a real store of ~3,000 items in three
//! documents: every window, count, position and section figure the store answers from SQL is
//! what the tab shows today from every item (`State`'s view, regrouped under its headings as
//! the renderer does), under filters, `open only` and folds.

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::app::derive::checklist_sections;
use opsdeck::app::msg::{Msg, Rows};
use opsdeck::app::state::State;
use opsdeck::config::Policy;
use opsdeck::store::read::checklist_window::ChecklistQuery;
use opsdeck::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

/// Three plans of ten phases of 100 items (every third done, owners rotating); the first plan
/// has a `Notes` section twice (its items are shown together, where it first appears) and item
/// 2,987 alone says "zebra".
fn store_with_plans(dir: &std::path::Path) -> Store {
    let mut store = Store::open(&dir.join("cache.sqlite3")).unwrap();
    store
        .write(|tx| {
            let mut n = 0;
            for doc in 0..3 {
                let mut md = format!("# Plan {doc}\n\n");
                if doc == 0 {
                    md.push_str("## Notes\n\n- [ ] read the runbook @ana\n\n");
                }
                for phase in 0..10 {
                    md.push_str(&format!("## Phase {phase}\n\n"));
                    for i in 0..100 {
                        let mark = if n % 3 == 0 { "x" } else { " " };
                        let word = if n == 2_987 { "zebra" } else { "task" };
                        md.push_str(&format!(
                            "- [{mark}] P{doc}-W{phase}-A{i} {word} {n} @dev{}\n",
                            n % 5
                        ));
                        n += 1;
                    }
                    md.push('\n');
                }
                if doc == 0 {
                    md.push_str("## Notes\n\n- [x] write the summary @bo\n");
                }
                opsdeck::checklist::store::import_document(
                    tx,
                    &format!("/plans/plan{doc}.md"),
                    &md,
                    &["Phase 9".to_string()],
                    now(),
                )?;
            }
            Ok(())
        })
        .unwrap();
    store
}

/// The tab as it is built today from every item, for the query `q`.
fn full_state(store: &Store, q: &ChecklistQuery) -> State {
    let mut state = State::new(now(), chrono_tz::UTC, Policy::default());
    state.update(Msg::Loaded {
        rows: Rows::Checklist(
            store.checklist_docs().unwrap(),
            store.load_checklist().unwrap(),
        ),
        complete: true,
    });
    state.checklist.filter = q.filter.clone();
    state.open_only = q.open_only;
    state.folded = q.folded.iter().cloned().collect();
    state.refresh_views();
    state
}

/// Item ids in the order the renderer draws them: sections in order, their shown items under
/// each heading.
fn drawn_order(state: &State) -> Vec<i64> {
    let list = &state.checklist;
    let mut out = Vec::new();
    for s in checklist_sections(&list.rows) {
        out.extend(
            list.visible()
                .filter(|it| it.doc_id == s.doc_id && it.section == s.section)
                .map(|it| it.id),
        );
    }
    out
}

fn queries() -> Vec<ChecklistQuery> {
    let q = |filter: &str, open_only: bool, folded: &[&str]| ChecklistQuery {
        filter: filter.into(),
        open_only,
        folded: folded.iter().map(|s| (*s).to_string()).collect(),
    };
    vec![
        q("", false, &[]),
        q("", true, &[]),
        q("", false, &["Phase 3", "Notes"]),
        q("", true, &["Phase 0"]),
        q("DEV2 task", false, &[]),
        q("zebra", false, &[]),
        q("w7-a1 dev", true, &["Phase 7"]),
        q("notes", false, &[]),
        q("no-such-word", false, &[]),
    ]
}

#[test]
fn windows_counts_and_positions_match_the_list_the_tab_draws() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_plans(dir.path());
    let items = store.load_checklist().unwrap();
    assert_eq!(items.len(), 3_002);
    // Not vacuous: the repeated `Notes` section is drawn together, first; folds and filters
    // shorten the list by what they hide.
    let plain = drawn_order(&full_state(&store, &ChecklistQuery::default()));
    let text = |id: i64| items.iter().find(|it| it.id == id).unwrap().text.clone();
    assert!(text(plain[0]).contains("runbook") && text(plain[1]).contains("summary"));
    let folded = &queries()[2];
    assert_eq!(store.checklist_count(folded).unwrap(), 3_002 - 3 * 99 - 1);
    for q in queries() {
        let state = full_state(&store, &q);
        let want = drawn_order(&state);
        assert_eq!(store.checklist_count(&q).unwrap(), want.len(), "{q:?}");
        // Windows of 240 at every offset stitch into the drawn list.
        let mut got = Vec::new();
        let mut offset = 0;
        loop {
            let w = store.load_checklist_window(&q, offset, 240).unwrap();
            if w.is_empty() {
                break;
            }
            offset += w.len();
            got.extend(w.iter().map(|it| it.id));
        }
        assert_eq!(got, want, "{q:?}");
        // A window far down holds exactly the drawn items there, with their fields.
        if want.len() > 2_000 {
            let w = store.load_checklist_window(&q, 1_900, 60).unwrap();
            let ids: Vec<i64> = w.iter().map(|it| it.id).collect();
            assert_eq!(ids, want[1_900..1_960], "{q:?}");
        }
        for (pos, id) in want.iter().enumerate().step_by(97) {
            assert_eq!(
                store.checklist_count_and_position(&q, *id).unwrap(),
                (want.len(), Some(pos)),
                "{q:?} item {id}"
            );
        }
        let hidden = state
            .checklist
            .rows
            .iter()
            .find(|it| !want.contains(&it.id));
        if let Some(it) = hidden {
            assert_eq!(
                store.checklist_count_and_position(&q, it.id).unwrap(),
                (want.len(), None),
                "{q:?}: a hidden item has no position"
            );
        }
    }
}

#[test]
fn the_filter_finds_an_item_deep_in_the_last_plan() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_plans(dir.path());
    let q = ChecklistQuery {
        filter: "ZEBRA".into(),
        ..ChecklistQuery::default()
    };
    let w = store.load_checklist_window(&q, 0, 240).unwrap();
    assert_eq!(w.len(), 1);
    assert!(w[0].text.contains("zebra 2987"), "{:?}", w[0].text);
    assert_eq!(w[0].section, "Phase 9");
}

#[test]
fn section_figures_come_from_sql_and_match_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_plans(dir.path());
    for q in queries() {
        let state = full_state(&store, &q);
        let want = checklist_sections(&state.checklist.rows);
        let got = store.checklist_sections(&q).unwrap();
        let as_progress: Vec<_> = got
            .iter()
            .map(|s| (s.doc_id, s.section.clone(), s.done, s.total, s.gate))
            .collect();
        let expected: Vec<_> = want
            .iter()
            .map(|s| (s.doc_id, s.section.clone(), s.done, s.total, s.gate))
            .collect();
        assert_eq!(as_progress, expected, "{q:?}");
        // Shown counts say which headings are drawn and how many items sit under each.
        for s in &got {
            let shown = state
                .checklist
                .visible()
                .filter(|it| it.doc_id == s.doc_id && it.section == s.section)
                .count();
            assert_eq!(s.shown, shown, "{q:?} {}", s.section);
        }
    }
    // The gate is green only in the SQL figures of a section whose items are all done.
    let all = store
        .checklist_sections(&ChecklistQuery::default())
        .unwrap();
    assert!(all
        .iter()
        .any(|s| s.gate && s.section == "Phase 9" && s.done < s.total));
}
