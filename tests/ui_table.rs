//! The generic list table as a user sees it: identifiers are never cut (80 and 40 columns),
//! cut text ends in the ellipsis glyph, the sort column shows its direction, and marks and the
//! selection stay visible under NO_COLOR; the checklist and the outbox view are the same table
//! (section headings and an entry's lines drawn across it, the keys under a full outbox).

mod ui_support;

use opsdeck::app::action::Action;
use opsdeck::app::msg::Msg;
use opsdeck::domain::Tab;
use ratatui::style::{Color, Modifier};
use ui_support::{demo_store, render, screen, show, state_from};

fn long_ids() -> opsdeck::store::Store {
    let store = demo_store();
    store
        .conn()
        .execute_batch(
            "UPDATE bugs SET key = CASE WHEN key LIKE '#%' THEN '#' || (123400 + id) \
             ELSE 'PLATFORM-' || (123400 + id) END; \
             UPDATE incidents SET external_id = 'Q' || printf('%013d', 4200000 + id);",
        )
        .unwrap();
    store
}

#[test]
fn ids_are_drawn_whole_at_80_and_40_columns() {
    let store = long_ids();
    let mut state = state_from(&store);
    for (w, h) in [(80u16, 24u16), (40, 24)] {
        show(&mut state, &store, Tab::Bugs);
        let text = screen(&render(&state, w, h));
        let keys: Vec<&str> = state
            .bugs
            .visible()
            .take(6)
            .map(|b| b.key.as_str())
            .collect();
        assert!(keys.iter().any(|k| k.len() == 15), "{keys:?}");
        for key in &keys {
            assert!(
                text.contains(&format!(" {key} ")),
                "{w}x{h}: {key} whole\n{text}"
            );
        }
        show(&mut state, &store, Tab::Incidents);
        let text = screen(&render(&state, w, h));
        let first = &state.incidents.visible().next().unwrap().external_id;
        assert!(
            text.contains(&format!(" {first} ")),
            "{w}x{h}: {first}\n{text}"
        );
    }
}

#[test]
fn cut_titles_end_in_the_ellipsis_glyph_in_unicode_and_ascii() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    for (ascii, glyph) in [(false, '…'), (true, '~')] {
        state.ascii = ascii;
        let text = screen(&render(&state, 80, 24));
        let mut cut = 0;
        for b in state.bugs.visible().take(8) {
            let line = text
                .lines()
                .find(|l| l.contains(&format!(" {} ", b.key)))
                .unwrap_or_else(|| panic!("{} on screen\n{text}", b.key));
            if !line.contains(&b.title) {
                cut += 1;
                let shown: String = b.title.chars().take(12).collect();
                assert!(
                    line.contains(&shown) && line.contains(glyph),
                    "a cut title ends in {glyph:?}: {line}"
                );
            }
        }
        assert!(cut > 0, "the demo has titles longer than 80 columns allow");
    }
}

#[test]
fn the_sort_column_shows_its_direction_in_the_header() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    let header = |state: &opsdeck::app::state::State, w: u16| {
        screen(&render(state, w, 24))
            .lines()
            .find(|l| l.contains("key") && l.contains("title"))
            .unwrap_or_default()
            .to_string()
    };
    // Default order: priority first.
    assert!(
        header(&state, 80).contains("pri▲"),
        "{}",
        header(&state, 80)
    );
    state.update(Msg::Action(Action::CycleSort)); // priority
    assert!(header(&state, 80).contains("pri▲"));
    state.update(Msg::Action(Action::CycleSort)); // age: oldest first
    let h = header(&state, 80);
    assert!(h.contains("age▼") && !h.contains('▲'), "{h}");
    state.update(Msg::Action(Action::CycleSort)); // assignee: not a column at 80
    let text = screen(&render(&state, 80, 24));
    assert!(text.contains("sorted by assignee"), "{text}");
    assert!(header(&state, 160).contains("assignee▲"));
    state.ascii = true;
    assert!(header(&state, 160).contains("assignee^"));
}

#[test]
fn marks_and_the_selection_are_visible_without_colour() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.no_color = true;
    state.update(Msg::Action(Action::ToggleMark));
    state.update(Msg::Action(Action::SelectNext));
    let marked = state.bugs.visible().next().unwrap().key.clone();
    let selected = state.bugs.selected_row().unwrap().key.clone();
    let terminal = render(&state, 80, 24);
    let buf = terminal.backend().buffer();
    let text = screen(&terminal);
    let row_of = |key: &str| {
        text.lines()
            .position(|l| l.contains(&format!(" {key} ")))
            .and_then(|y| u16::try_from(y).ok())
            .unwrap_or_else(|| panic!("{key} on screen"))
    };
    let (my, sy) = (row_of(&marked), row_of(&selected));
    assert_eq!(
        buf[(1, my)].symbol(),
        "•",
        "the mark shows in the marker column"
    );
    for x in 1..79 {
        let cell = &buf[(x, sy)];
        assert!(
            cell.modifier.contains(Modifier::REVERSED),
            "the selected row is reversed at x={x}"
        );
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
    }
    assert!(!buf[(5, my)].modifier.contains(Modifier::REVERSED));
}

/// The row of `terminal` whose every cell from x = 4 to 30 is reversed (the selection).
fn reversed_row(terminal: &ratatui::Terminal<ratatui::backend::TestBackend>) -> Option<String> {
    let buf = terminal.backend().buffer();
    (0..buf.area.height).find_map(|y| {
        (4..30)
            .all(|x| buf[(x, y)].modifier.contains(Modifier::REVERSED))
            .then(|| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
    })
}

#[test]
fn checklist_section_headings_are_table_rows_cut_with_the_ellipsis() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Checklist);
    state.show_detail = false;
    let text = screen(&render(&state, 40, 24));
    let heading = text
        .lines()
        .find(|l| l.contains("Week 1"))
        .unwrap_or_else(|| panic!("the first section heading\n{text}"));
    assert!(
        heading.contains("▾ Week 1 — Scope freeze and foundat…│"),
        "a cut heading ends in the ellipsis: {heading}"
    );
    // The selection scrolls with the cursor past the first screen and stays on its item.
    for _ in 0..30 {
        state.update(Msg::Action(Action::SelectNext));
    }
    let item = state.checklist.selected_row().unwrap();
    let code = item.code.clone().unwrap_or_default();
    assert!(!code.is_empty(), "{item:?}");
    let terminal = render(&state, 80, 24);
    let row = reversed_row(&terminal).unwrap_or_else(|| panic!("{}", screen(&terminal)));
    assert!(row.contains(&code), "{code} selected: {row}");
}

#[test]
fn the_outbox_keeps_the_selected_entry_and_its_keys_on_screen() {
    use opsdeck::domain::Priority;
    use opsdeck::store::Operation;
    let mut store = demo_store();
    let bugs = store.load_bugs(None).unwrap();
    for b in bugs.iter().take(20) {
        let op = Operation::SetBugPriority {
            old: b.priority,
            new: Priority::P0,
        };
        store
            .commit_edit(
                ui_support::bug_entity(b.id),
                &op,
                ui_support::now(),
                "me",
                std::slice::from_ref(&b.source),
            )
            .unwrap();
    }
    let entries = store.list_outbox(50).unwrap();
    assert_eq!(entries.len(), 20);
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    let label = entries[17].entity_label.clone();
    state.overlay = Some(opsdeck::app::state::Overlay::Outbox {
        entries,
        selected: 17,
    });
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    let row = reversed_row(&terminal).unwrap_or_else(|| panic!("{text}"));
    let shown: String = label.chars().take(12).collect();
    assert!(row.contains(&format!("> pending  {shown}")), "{row}");
    assert!(
        text.contains("r retry · D discard"),
        "the keys stay under a full outbox\n{text}"
    );
    // A narrow screen drops the state column, never what the edit is about.
    let narrow = render(&state, 44, 24);
    let row = reversed_row(&narrow).unwrap_or_else(|| panic!("{}", screen(&narrow)));
    let shown: String = label.chars().take(8).collect();
    assert!(row.contains(&format!("> {shown}")), "{row}");
}
