//! ASCII mode means ASCII: every screen opsdeck draws (six tabs, the alert section, the outbox,
//! the sources view, every review page, help, palette, a prompt, a confirm) rendered with
//! `ascii_borders = true` at 80×24 and 160×48 holds only 7-bit characters; plus 80×24 ASCII
//! snapshots of every tab.

mod ui_support;

use opsdeck::app::action::Action;
use opsdeck::app::msg::{InputKey, Msg};
use opsdeck::app::state::{Overlay, State};
use opsdeck::domain::Tab;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ui_support::{demo_store, now, render, show, state_from};

/// The first cell of `terminal` holding a non-ASCII glyph, as `(x, y, glyph)`.
fn first_non_ascii(terminal: &Terminal<TestBackend>) -> Option<(u16, u16, String)> {
    let buf = terminal.backend().buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let s = buf[(x, y)].symbol();
            if !s.is_ascii() {
                return Some((x, y, s.to_string()));
            }
        }
    }
    None
}

fn assert_ascii(what: &str, state: &State) {
    for (w, h) in [(80, 24), (160, 48)] {
        let terminal = render(state, w, h);
        if let Some((x, y, glyph)) = first_non_ascii(&terminal) {
            let line: String = {
                let buf = terminal.backend().buffer();
                (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
            };
            panic!(
                "{what} at {w}x{h}: cell ({x},{y}) holds {glyph:?} (U+{:04X}) in ASCII mode\n{line}",
                glyph.chars().next().map_or(0, u32::from)
            );
        }
    }
}

fn ascii_state(store: &opsdeck::store::Store, tab: Tab) -> State {
    let mut state = state_from(store);
    state.ascii = true;
    show(&mut state, store, tab);
    state
}

#[test]
fn every_screen_is_seven_bit_in_ascii_mode() {
    let store = demo_store();
    for &tab in Tab::ALL {
        let state = ascii_state(&store, tab);
        assert_ascii(&format!("tab {}", tab.as_str()), &state);
    }
    // The alert section with focus.
    let mut state = ascii_state(&store, Tab::Incidents);
    state.update(Msg::Action(Action::ToggleAlerts));
    assert_ascii("alerts focus", &state);
    // Outbox, sources, help, palette.
    let mut state = ascii_state(&store, Tab::Bugs);
    state.overlay = Some(Overlay::Outbox {
        entries: store.list_outbox(50).unwrap(),
        selected: 0,
    });
    assert_ascii("outbox", &state);
    state.overlay = Some(Overlay::Sources);
    assert_ascii("sources", &state);
    state.overlay = Some(Overlay::Help {
        scroll: 0,
        query: String::new(),
        searching: false,
    });
    assert_ascii("help", &state);
    state.overlay = Some(Overlay::Help {
        scroll: 30,
        query: "sil".into(),
        searching: true,
    });
    assert_ascii("help search", &state);
    state.overlay = Some(Overlay::Detail { scroll: 0 });
    assert_ascii("full-screen detail", &state);
    state.overlay = Some(Overlay::Palette {
        query: String::new(),
        selected: 0,
    });
    assert_ascii("palette", &state);
    // A choice prompt and a text prompt.
    state.overlay = None;
    state.update(Msg::Action(Action::SetPriority));
    assert_ascii("priority prompt", &state);
    state.update(Msg::Input(InputKey::Esc));
    state.update(Msg::Action(Action::Comment));
    for c in "rolled back".chars() {
        state.update(Msg::Input(InputKey::Char(c)));
    }
    assert_ascii("comment prompt", &state);
    // A confirm.
    let mut state = ascii_state(&store, Tab::Incidents);
    state.update(Msg::Action(Action::Resolve));
    state.update(Msg::Input(InputKey::Enter));
    assert!(matches!(state.overlay, Some(Overlay::Confirm { .. })));
    assert_ascii("confirm", &state);
    // Every review page, loading and loaded.
    let mut state = ascii_state(&store, Tab::Incidents);
    state.overlay = Some(Overlay::Review { page: 1 });
    assert_ascii("review loading", &state);
    let week = opsdeck::review::current_week(now(), state.tz);
    state.review = Some(
        opsdeck::review::take_snapshot(&store, &week, state.tz, &state.policy, now()).unwrap(),
    );
    for page in 0..opsdeck::review::PAGES.len() {
        state.overlay = Some(Overlay::Review { page });
        assert_ascii(&format!("review page {page}"), &state);
    }
}

#[test]
fn ascii_snapshots_of_every_tab_at_80x24() {
    let store = demo_store();
    for &tab in Tab::ALL {
        let state = ascii_state(&store, tab);
        let terminal = render(&state, 80, 24);
        insta::assert_snapshot!(
            format!("ascii_tab_{}_80x24", tab.as_str()),
            terminal.backend()
        );
    }
}
