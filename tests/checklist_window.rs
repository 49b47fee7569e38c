//! The checklist tab's window reads (issue #12) over a real store of ~3,000 items in three
//! documents: every window, count, position and section figure the store answers from SQL is
//! what the tab shows today from every item (`State`'s view, regrouped under its headings as
//! the renderer does), under filters, `open only` and folds.

mod window_support;

use opsdeck::app::derive::checklist_sections;
use opsdeck::app::msg::{Msg, Rows};
use opsdeck::app::state::State;
use opsdeck::config::Policy;
use opsdeck::store::read::checklist_window::ChecklistQuery;
use opsdeck::store::Store;
use window_support::{now, App};

/// Three plans of ten phases of 100 items (every third done, owners rotating); the first plan
/// has a `Notes` section twice (its items are shown together, where it first appears), the last
/// ends with a two-item `Wrap-up`, and item 2,987 alone says "zebra".
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
                if doc == 2 {
                    md.push_str("## Wrap-up\n\n- [ ] archive the plan\n- [ ] close the ticket\n");
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
    assert_eq!(items.len(), 3_004);
    // Not vacuous: the repeated `Notes` section is drawn together, first; folds and filters
    // shorten the list by what they hide.
    let plain = drawn_order(&full_state(&store, &ChecklistQuery::default()));
    let text = |id: i64| items.iter().find(|it| it.id == id).unwrap().text.clone();
    assert!(text(plain[0]).contains("runbook") && text(plain[1]).contains("summary"));
    let folded = &queries()[2];
    assert_eq!(store.checklist_count(folded).unwrap(), 3_004 - 3 * 99 - 1);
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

// -- The tab over windows, driven through `State::update` and the store thread's code --

use opsdeck::app::action::Action;
use opsdeck::app::msg::{InputKey, WindowReply};
use opsdeck::domain::{ChecklistItem, Tab};
use opsdeck::store::read::window::WINDOW_ROWS;

impl App {
    fn new(dir: &std::path::Path) -> App {
        App::open(
            store_with_plans(dir),
            dir,
            Vec::new(),
            vec!["Phase 9".into()],
            Tab::Checklist,
        )
    }

    fn selected(&self) -> &ChecklistItem {
        self.state
            .checklist
            .selected_row()
            .expect("a selected item")
    }
}

/// The screen's text, row by row.
fn screen_of(state: &State) -> Vec<String> {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| opsdeck::ui::draw(f, state)).unwrap();
    let buf = terminal.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// The screen the tab drew when it held every item, with `id` selected.
fn full_screen(store: &Store, id: i64) -> Vec<String> {
    full_screen_for(store, &ChecklistQuery::default(), id)
}

/// The same for the list `q`.
fn full_screen_for(store: &Store, q: &ChecklistQuery, id: i64) -> Vec<String> {
    let mut state = full_state(store, q);
    state.size = (120, 40);
    state.tab = Tab::Checklist;
    let list = &mut state.checklist;
    list.selected = list
        .view
        .iter()
        .position(|i| list.rows[*i].id == id)
        .expect("the item is in the full list");
    screen_of(&state)
}

#[test]
fn the_tab_holds_a_window_and_g_reaches_the_last_item_under_its_heading() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let drawn = drawn_order(&full_state(app.store(), &ChecklistQuery::default()));
    let list = &app.state.checklist;
    assert!(list.windowed);
    assert_eq!(list.len(), 3_004, "the count comes from SQL");
    assert!(
        list.rows.len() <= WINDOW_ROWS,
        "{} items in memory",
        list.rows.len()
    );
    assert_eq!(app.selected().id, drawn[0]);
    assert_eq!(screen_of(&app.state), full_screen(app.store(), drawn[0]));
    app.act(Action::SelectLast);
    assert_eq!(app.state.checklist.selected, 3_003);
    assert_eq!(app.selected().id, drawn[3_003]);
    assert!(app.state.checklist.rows.len() <= WINDOW_ROWS);
    let screen = screen_of(&app.state);
    assert!(
        screen.iter().any(|l| l.contains("Wrap-up"))
            && screen.iter().any(|l| l.contains("close the ticket")),
        "{screen:#?}"
    );
    assert_eq!(
        screen,
        full_screen(app.store(), drawn[3_003]),
        "byte for byte the old screen"
    );
    app.act(Action::SelectFirst);
    assert_eq!(app.selected().id, drawn[0]);
}

#[test]
fn j_and_k_across_window_edges_draw_the_old_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let drawn = drawn_order(&full_state(app.store(), &ChecklistQuery::default()));
    let mut offsets = std::collections::BTreeSet::new();
    for (step, want) in drawn.iter().enumerate().take(601).skip(1) {
        app.act(Action::SelectNext);
        assert_eq!(app.state.checklist.selected, step);
        assert_eq!(app.selected().id, *want, "j to {step}");
        if step % 25 == 0 {
            assert_eq!(
                screen_of(&app.state),
                full_screen(app.store(), *want),
                "at {step}"
            );
        }
        offsets.insert(app.state.checklist.offset);
    }
    assert!(offsets.len() > 2, "the window moved: {offsets:?}");
    for step in (200..600).rev() {
        app.act(Action::SelectPrev);
        assert_eq!(app.selected().id, drawn[step], "k to {step}");
        if step % 25 == 0 {
            assert_eq!(
                screen_of(&app.state),
                full_screen(app.store(), drawn[step]),
                "at {step}"
            );
        }
    }
}

#[test]
fn the_filter_finds_an_item_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    assert!(!app
        .state
        .checklist
        .rows
        .iter()
        .any(|it| it.text.contains("zebra")));
    app.act(Action::Filter);
    app.typed("zebra");
    assert_eq!(app.state.checklist.len(), 1);
    assert!(
        app.selected().text.contains("zebra 2987"),
        "{:?}",
        app.selected().text
    );
    let screen = screen_of(&app.state);
    assert!(
        screen.iter().any(|l| l.contains("Phase 9")),
        "its heading is drawn"
    );
}

#[test]
fn toggling_two_marked_items_far_apart_writes_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let drawn = drawn_order(&full_state(app.store(), &ChecklistQuery::default()));
    let (a, b) = (drawn[10], drawn[2_900]);
    for _ in 0..10 {
        app.act(Action::SelectNext);
    }
    app.act(Action::ToggleMark);
    let mut guard = 0;
    while app.state.checklist.selected < 2_900 {
        guard += 1;
        assert!(guard < 2_000);
        if 2_900 - app.state.checklist.selected > 20 {
            app.act(Action::HalfPageDown);
        } else {
            app.act(Action::SelectNext);
        }
    }
    assert_eq!(app.selected().id, b);
    app.act(Action::ToggleMark);
    assert!(
        !app.state.checklist.rows.iter().any(|it| it.id == a),
        "item 10 is out of the window"
    );
    let before: Vec<bool> = [a, b]
        .iter()
        .map(|id| {
            app.store()
                .conn()
                .query_row(
                    "SELECT checked FROM checklist_items WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .unwrap()
        })
        .collect();
    app.act(Action::ToggleItem);
    if let Some(opsdeck::app::state::Overlay::Confirm { .. }) = app.state.overlay {
        app.input(InputKey::Char('y'));
    }
    for (id, was) in [a, b].iter().zip(before) {
        let now_checked: bool = app
            .store()
            .conn()
            .query_row(
                "SELECT checked FROM checklist_items WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(now_checked, !was, "item {id} toggled in the cache");
    }
    let queued: i64 = app
        .store()
        .conn()
        .query_row(
            "SELECT count(*) FROM outbox WHERE entity_kind = 'checklist_item' AND entity_id IN (?1, ?2)",
            [a, b],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(queued, 2, "both in the outbox");
}

#[test]
fn a_stale_window_reply_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    app.act(Action::Filter);
    app.hold = true;
    app.typed("dev2 task");
    app.hold = false;
    let held = std::mem::take(&mut app.held);
    assert!(held.len() >= 2, "{held:?}");
    let newest = held.last().cloned().unwrap();
    let oldest = held.first().cloned().unwrap();
    app.run(vec![newest]);
    let len = app.state.checklist.len();
    let ids: Vec<i64> = app.state.checklist.rows.iter().map(|it| it.id).collect();
    app.run(vec![oldest]);
    assert_eq!(
        app.state.checklist.len(),
        len,
        "the reply for \"d\" did not replace the newest"
    );
    let after: Vec<i64> = app.state.checklist.rows.iter().map(|it| it.id).collect();
    assert_eq!(after, ids);
    assert_eq!(
        len, 599,
        "every fifth phase item is dev2's, and one of them says zebra"
    );
    let old = app.state.checklist.generation - 1;
    let fx = app.state.update(Msg::Window(WindowReply {
        generation: old,
        offset: 0,
        total: 1,
        rows: Rows::Checklist(Vec::new(), Vec::new()),
        shape: None,
        select: Some(0),
        reload: true,
    }));
    assert!(fx.is_empty());
    assert_eq!(app.state.checklist.len(), len);
}

#[test]
fn folds_and_open_only_draw_the_old_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(dir.path());
    let check = |app: &App, q: &ChecklistQuery, what: &str| {
        let state = full_state(app.store(), q);
        assert_eq!(
            app.state.checklist.len(),
            state.checklist.view.len(),
            "{what}"
        );
        let id = app.selected().id;
        assert_eq!(
            screen_of(&app.state),
            full_screen_for(app.store(), q, id),
            "{what}"
        );
    };
    // Into Phase 1 of the first plan, fold it.
    for _ in 0..150 {
        app.act(Action::SelectNext);
    }
    let section = app.selected().section.clone();
    assert_eq!(section, "Phase 1");
    app.act(Action::Fold);
    let folded = |names: &[&str], open_only: bool| ChecklistQuery {
        filter: String::new(),
        open_only,
        folded: names.iter().map(|s| (*s).to_string()).collect(),
    };
    check(&app, &folded(&["Phase 1"], false), "Phase 1 folded");
    app.act(Action::OpenOnly);
    check(&app, &folded(&["Phase 1"], true), "and open only");
    app.act(Action::SelectLast);
    check(&app, &folded(&["Phase 1"], true), "at the end");
    app.act(Action::OpenOnly);
    app.act(Action::FoldAll);
    assert!(
        app.state.folded.is_empty(),
        "Z with a fold unfolds everything"
    );
    check(&app, &ChecklistQuery::default(), "unfolded");
    app.act(Action::FoldAll);
    assert!(
        app.state.folded.len() >= 12,
        "every section: {:?}",
        app.state.folded
    );
    let all: Vec<String> = app.state.folded.iter().cloned().collect();
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    check(&app, &folded(&names, false), "all folded");
}
