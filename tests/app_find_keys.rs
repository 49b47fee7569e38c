//! Help, palette and full-screen detail through `State::update` only (no terminal): help's
//! scroll stays in bounds and its search finds keys, the palette offers each action once, and
//! the full-screen detail returns to the same row with marks intact while ignoring list keys.

mod ui_support;

use opsdeck::app::action::Action;
use opsdeck::app::help::{help_lines, help_max_scroll, help_rows, HelpLine};
use opsdeck::app::msg::{Effect, InputKey, Msg};
use opsdeck::app::state::{Overlay, State};
use opsdeck::domain::{IncidentStatus, Tab};
use ui_support::{demo_store, show, state_from};

fn act(state: &mut State, a: Action) -> Vec<Effect> {
    state.update(Msg::Action(a))
}

fn help_scroll(state: &State) -> usize {
    match &state.overlay {
        Some(Overlay::Help { scroll, .. }) => *scroll,
        other => panic!("help is not open: {other:?}"),
    }
}

#[test]
fn help_scrolls_within_its_lines() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    state.update(Msg::Resize(80, 24));
    act(&mut state, Action::Help);
    let lines = help_lines(&state, "").len();
    let rows = help_rows(24);
    assert_eq!(rows, 18, "80x24 shows 18 entry lines");
    let max = help_max_scroll(&state, "");
    assert_eq!(max, lines - rows, "the last page ends on the last line");
    act(&mut state, Action::SelectPrev);
    assert_eq!(help_scroll(&state), 0, "no scrolling above the top");
    act(&mut state, Action::SelectNext);
    assert_eq!(help_scroll(&state), 1);
    act(&mut state, Action::HalfPageDown);
    assert_eq!(help_scroll(&state), 1 + rows / 2);
    act(&mut state, Action::SelectLast);
    assert_eq!(help_scroll(&state), max);
    act(&mut state, Action::SelectNext);
    act(&mut state, Action::HalfPageDown);
    assert_eq!(help_scroll(&state), max, "no scrolling past the end");
    act(&mut state, Action::SelectFirst);
    assert_eq!(help_scroll(&state), 0);
    // The list behind did not move.
    assert_eq!(state.incidents.selected, 0);
}

#[test]
fn help_search_finds_silence_and_esc_clears_then_closes() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    act(&mut state, Action::Help);
    act(&mut state, Action::Filter);
    assert!(state.text_input_focused(), "typing goes to the search");
    for c in "silence".chars() {
        state.update(Msg::Input(InputKey::Char(c)));
    }
    let Some(Overlay::Help { query, .. }) = &state.overlay else {
        panic!("{:?}", state.overlay)
    };
    let found: Vec<(String, &str)> = help_lines(&state, query)
        .into_iter()
        .filter_map(|l| match l {
            HelpLine::Key { key, name, .. } => Some((key, name)),
            HelpLine::Heading(_) => None,
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("m".to_string(), "silence"),
            ("M".to_string(), "expire-silence")
        ]
    );
    // Enter keeps the result and gives j/k back to scrolling.
    state.update(Msg::Input(InputKey::Enter));
    assert!(!state.text_input_focused());
    assert!(matches!(&state.overlay, Some(Overlay::Help { query, .. }) if query == "silence"));
    // First Esc clears the search, the second closes help.
    act(&mut state, Action::Back);
    assert!(matches!(&state.overlay, Some(Overlay::Help { query, .. }) if query.is_empty()));
    act(&mut state, Action::Back);
    assert_eq!(state.overlay, None);
    // Esc while typing clears too.
    act(&mut state, Action::Help);
    act(&mut state, Action::Filter);
    state.update(Msg::Input(InputKey::Char('z')));
    state.update(Msg::Input(InputKey::Esc));
    assert!(matches!(
        &state.overlay,
        Some(Overlay::Help { query, searching: false, .. }) if query.is_empty()
    ));
}

/// REGRESSION: the palette listed an action once per bound key, so `quit` appeared twice
/// (`q` and `ctrl-c`), both shown as `ctrl-c`.
#[test]
fn the_palette_offers_each_action_once_with_its_primary_key() {
    let store = demo_store();
    let mut state = state_from(&store);
    for tab in Tab::ALL {
        show(&mut state, &store, *tab);
        let actions = opsdeck::app::edits::palette_actions(&state, "");
        let mut seen = std::collections::BTreeSet::new();
        for a in &actions {
            assert!(seen.insert(*a), "{tab:?}: {a} listed twice");
        }
        assert_eq!(actions.len(), Action::ALL.len(), "{tab:?}: every action");
        let quits = opsdeck::app::edits::palette_actions(&state, "quit");
        assert_eq!(quits.iter().filter(|a| **a == Action::Quit).count(), 1);
    }
    assert_eq!(
        opsdeck::ui::widgets::overlays::key_of(&state, Action::Quit).as_deref(),
        Some("q"),
        "the plain key is the primary one"
    );
}

#[test]
fn enter_opens_the_row_full_screen_and_esc_returns_to_the_same_row_and_marks() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    act(&mut state, Action::SelectNext);
    act(&mut state, Action::ToggleMark); // marks row 1, moves to row 2
    act(&mut state, Action::SelectNext);
    let row = state.bugs.selected;
    assert_eq!(row, 3);
    let id = state.bugs.selected_row().unwrap().id;
    let marked = state.bugs.marked.clone();
    assert_eq!(marked.len(), 1);

    act(&mut state, Action::OpenDetail);
    assert_eq!(state.overlay, Some(Overlay::Detail { scroll: 0 }));
    act(&mut state, Action::SelectNext);
    act(&mut state, Action::SelectNext);
    assert_eq!(
        state.overlay,
        Some(Overlay::Detail { scroll: 2 }),
        "j scrolls"
    );
    act(&mut state, Action::HalfPageUp);
    assert_eq!(state.overlay, Some(Overlay::Detail { scroll: 0 }));
    act(&mut state, Action::Back);
    assert_eq!(state.overlay, None);
    assert_eq!(state.bugs.selected, row);
    assert_eq!(state.bugs.selected_row().unwrap().id, id);
    assert_eq!(state.bugs.marked, marked, "the mark is intact");
    // `q` also goes back (and does not quit).
    act(&mut state, Action::OpenDetail);
    act(&mut state, Action::Quit);
    assert_eq!(state.overlay, None);
    assert!(!state.quit);
}

/// Deliberate: in the full-screen detail only scrolling, `Esc`/`q`/`enter` and `?` act. Edit
/// keys do nothing there (an acknowledge from a screen that hides the list could hit a row the
/// user no longer sees), and list keys do not move the row behind it.
#[test]
fn keys_in_the_full_screen_detail_do_not_act_on_the_list() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    let before = state.incidents.selected_row().unwrap().clone();
    assert_eq!(before.status, IncidentStatus::Triggered);
    act(&mut state, Action::OpenDetail);
    for a in [
        Action::Acknowledge,
        Action::Resolve,
        Action::ToggleMark,
        Action::TabBugs,
        Action::NextTab,
        Action::Filter,
        Action::Palette,
        Action::ToggleAlerts,
        Action::Silence,
        Action::Undo,
    ] {
        let fx = act(&mut state, a);
        assert!(fx.is_empty(), "{a}: {fx:?}");
        assert!(
            matches!(state.overlay, Some(Overlay::Detail { .. })),
            "{a}: {:?}",
            state.overlay
        );
    }
    assert_eq!(state.tab, Tab::Incidents);
    assert!(!state.alerts_focus);
    assert!(state.incidents.marked.is_empty());
    assert_eq!(state.incidents.selected, 0);
    assert_eq!(state.incidents.selected_row(), Some(&before));
    assert!(!state.filtering);
    // Nothing was queued: no commit effect and the store's outbox is empty.
    assert_eq!(store.outbox_summary().unwrap().queued, 0);
}

#[test]
fn enter_on_an_empty_list_opens_nothing() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.bugs.filter = "zqzqzqxjxj".into();
    state.refresh_views();
    assert_eq!(state.current_len(), 0);
    act(&mut state, Action::OpenDetail);
    assert_eq!(state.overlay, None);
}

#[test]
fn help_over_the_outbox_or_the_review_lists_their_keys_and_goes_back_to_them() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    act(&mut state, Action::Outbox);
    act(&mut state, Action::Help);
    assert!(matches!(state.overlay, Some(Overlay::Help { .. })));
    let names: Vec<&str> = help_lines(&state, "")
        .into_iter()
        .filter_map(|l| match l {
            HelpLine::Key { name, .. } => Some(name),
            HelpLine::Heading(_) => None,
        })
        .collect();
    assert!(
        names.contains(&"retry-entry") && names.contains(&"keep-mine"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"acknowledge"),
        "the incidents keys do not apply here"
    );
    act(&mut state, Action::Back);
    assert!(
        matches!(state.overlay, Some(Overlay::Outbox { .. })),
        "{:?}",
        state.overlay
    );
    act(&mut state, Action::Back);
    assert_eq!(state.overlay, None);

    act(&mut state, Action::Review);
    act(&mut state, Action::Help);
    assert!(help_lines(&state, "").iter().any(|l| matches!(
        l,
        HelpLine::Key {
            name: "review-next",
            ..
        }
    )));
    act(&mut state, Action::Quit); // `q` closes help, back to the review
    assert!(matches!(state.overlay, Some(Overlay::Review { .. })));
    assert!(!state.quit);

    // From the full-screen detail, help goes back to the detail.
    act(&mut state, Action::Back);
    act(&mut state, Action::OpenDetail);
    act(&mut state, Action::Help);
    act(&mut state, Action::Help);
    assert!(matches!(state.overlay, Some(Overlay::Detail { .. })));
}
