//! Keys you can find and detail you can read at 80×24 (issue #15 points 1 and 3), rendered:
//! help scrolled to the global keys and searched, the key-hint footer on every tab (from the
//! live keymap, off in config), the full-screen incident detail with a long timeline, and a
//! short side pane that says `+N more`. Frozen clock, embedded demo, TestBackend.

mod ui_support;

use std::collections::BTreeMap;

use chrono::Duration;
use opsdeck::app::action::Action;
use opsdeck::app::keymap::Keymap;
use opsdeck::app::msg::{Detail, InputKey, Msg};
use opsdeck::app::state::{bindings_table, Overlay};
use opsdeck::domain::{IncidentEvent, Tab};
use ui_support::{demo_store, now, render, screen, show, state_from};

fn act(state: &mut opsdeck::app::state::State, a: Action) {
    state.update(Msg::Action(a));
}

fn type_text(state: &mut opsdeck::app::state::State, text: &str) {
    for c in text.chars() {
        state.update(Msg::Input(InputKey::Char(c)));
    }
}

/// The row above the status bar (the footer), trimmed.
fn footer(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len() - 2].trim_end().to_string()
}

#[test]
fn help_scrolled_to_the_end_shows_every_global_key() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    state.update(Msg::Resize(80, 24));
    act(&mut state, Action::Help);
    let first = screen(&render(&state, 80, 24));
    assert!(
        first.contains("incidents: this view") && first.contains("acknowledge"),
        "the current scope comes first:\n{first}"
    );
    assert!(
        !first.contains("quit opsdeck"),
        "global keys are further down"
    );
    act(&mut state, Action::SelectLast);
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    for (key, what) in [
        ("q", "quit opsdeck"),
        (":", "command palette"),
        ("/", "filter the list"),
        ("O", "show queued edits"),
        ("S", "show sources"),
        ("F", "start the Friday review"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!(" {key:<10}")) && l.contains(what)),
            "`{key}` ({what}) is visible once scrolled:\n{text}"
        );
    }
    assert!(text.contains("j/k scroll · / search · esc close"), "{text}");
    insta::assert_snapshot!("help_global_keys_80x24", terminal.backend());
}

#[test]
fn help_search_finds_silence_from_another_tab_and_says_where() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Resize(80, 24));
    act(&mut state, Action::Help);
    act(&mut state, Action::Filter);
    type_text(&mut state, "silence");
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    assert!(
        text.contains("/silence_"),
        "the search line shows the query"
    );
    assert!(text.contains("incidents: on that tab"), "{text}");
    assert!(text.contains("silence the alert"), "{text}");
    assert!(text.contains("expire the alert's silence"), "{text}");
    assert!(
        !text.contains("set priority"),
        "non-matching keys are hidden"
    );
    insta::assert_snapshot!("help_search_silence_80x24", terminal.backend());
    for (w, h) in [(160, 48)] {
        state.update(Msg::Resize(w, h));
        insta::assert_snapshot!("help_search_silence_160x48", render(&state, w, h).backend());
    }
}

#[test]
fn help_at_160x48_fits_every_key_of_the_scope() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Checklist);
    state.update(Msg::Resize(160, 48));
    act(&mut state, Action::Help);
    let terminal = render(&state, 160, 48);
    let text = screen(&terminal);
    assert!(text.contains("checklist: this view") && text.contains("fold / unfold"));
    insta::assert_snapshot!("help_checklist_160x48", terminal.backend());
}

#[test]
fn every_tab_has_a_one_line_key_hint_footer_that_fits_80_columns() {
    let store = demo_store();
    let mut state = state_from(&store);
    let expected = [
        (Tab::Customers, "e edit"),
        (Tab::Bugs, "p priority"),
        (Tab::Incidents, "a ack"),
        (Tab::Deployments, "b rolled back"),
        (Tab::Slos, "w window"),
        (Tab::Checklist, "space check"),
    ];
    for (tab, hint) in expected {
        show(&mut state, &store, tab);
        let text = screen(&render(&state, 80, 24));
        let line = footer(&text);
        assert!(line.starts_with("? help"), "{tab:?}: {line}");
        assert!(line.contains(hint), "{tab:?}: {line}");
        assert!(line.chars().count() <= 80, "{tab:?}: never wraps");
        // 4–6 hints.
        let n = line.matches(" · ").count() + 1;
        assert!((4..=6).contains(&n), "{tab:?}: {n} hints in {line}");
        // The footer's look on each tab is in ui_snapshots' `tab_*_80x24` snapshots.
    }
    // The alert section has its own hints.
    show(&mut state, &store, Tab::Incidents);
    act(&mut state, Action::ToggleAlerts);
    let line = footer(&screen(&render(&state, 80, 24)));
    assert!(line.contains("m silence"), "{line}");
    // At 40 columns hints drop from the right, whole.
    let line = footer(&screen(&render(&state, 40, 24)));
    assert!(line.starts_with("? help · m silence"), "{line}");
    assert!(!line.contains("filter"), "{line}");
}

#[test]
fn the_footer_names_rebound_keys_and_can_be_turned_off() {
    let store = demo_store();
    let mut state = state_from(&store);
    let overrides = BTreeMap::from([(
        "incidents".to_string(),
        BTreeMap::from([
            ("a".to_string(), "noop".to_string()),
            ("K".to_string(), "acknowledge".to_string()),
        ]),
    )]);
    state.bindings = bindings_table(&Keymap::with_overrides(&overrides).unwrap());
    show(&mut state, &store, Tab::Incidents);
    let line = footer(&screen(&render(&state, 80, 24)));
    assert!(line.contains("K ack") && !line.contains("a ack"), "{line}");

    let config = opsdeck::config::Config::parse("[ui]\nkey_hints = false\n", "c.toml").unwrap();
    assert!(!config.ui.key_hints);
    assert!(
        opsdeck::config::Config::parse("[ui]\nkey_hints = \"no\"\n", "c.toml").is_err(),
        "a non-boolean is refused"
    );
    assert!(
        opsdeck::config::Config::parse("[ui]\nkey_hint = false\n", "c.toml").is_err(),
        "a misspelt key is refused"
    );
    state.key_hints = config.ui.key_hints;
    let text = screen(&render(&state, 80, 24));
    assert!(!text.contains("? help"), "{text}");
}

/// 45 timeline events for the selected incident, newest last, one with a three-line text.
fn long_timeline(state: &mut opsdeck::app::state::State) {
    let id = state.incidents.selected_row().unwrap().id;
    let start = now() - Duration::hours(3);
    let events: Vec<IncidentEvent> = (0..45)
        .map(|n| IncidentEvent {
            at: start + Duration::minutes(4 * n),
            kind: if n % 5 == 0 { "note" } else { "escalate" }.to_string(),
            who: format!("oncall-{}", n % 3),
            text: if n == 44 {
                "event 44: rolled back\nsecond line of the note\nthird line".to_string()
            } else {
                format!("event {n}: paged the next level")
            },
            origin: "source".to_string(),
        })
        .collect();
    state.update(Msg::DetailLoaded(Detail::Timeline(id, events)));
}

#[test]
fn full_screen_incident_detail_shows_the_whole_timeline_scrolled() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    long_timeline(&mut state);
    state.update(Msg::Resize(80, 24));
    act(&mut state, Action::OpenDetail);
    let top = screen(&render(&state, 80, 24));
    assert!(top.contains("Incident ·") && top.contains("SLA"), "{top}");
    assert!(!top.contains("Alerts"), "the list is hidden:\n{top}");
    act(&mut state, Action::SelectLast);
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    assert!(text.contains("event 44: rolled back"), "{text}");
    assert!(
        text.contains("third line"),
        "every line of the text:\n{text}"
    );
    assert!(text.contains("esc back to the list"), "{text}");
    insta::assert_snapshot!(
        "detail_incident_long_timeline_end_80x24",
        terminal.backend()
    );
    // Two half pages back up, event 20 is on screen.
    act(&mut state, Action::HalfPageUp);
    act(&mut state, Action::HalfPageUp);
    let text = screen(&render(&state, 80, 24));
    assert!(text.contains("event 20:"), "{text}");
    insta::assert_snapshot!(
        "detail_incident_long_timeline_scrolled_80x24",
        render(&state, 80, 24).backend()
    );
    state.update(Msg::Resize(160, 48));
    act(&mut state, Action::SelectFirst);
    insta::assert_snapshot!(
        "detail_incident_long_timeline_160x48",
        render(&state, 160, 48).backend()
    );
}

#[test]
fn a_short_side_pane_says_how_many_lines_it_could_not_show() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    long_timeline(&mut state);
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    let more = text
        .lines()
        .filter_map(|l| l.trim_matches(|c| c == '│' || c == ' ').strip_prefix('+'))
        .filter_map(|l| l.strip_suffix(" more"))
        .filter_map(|n| n.parse::<usize>().ok())
        .collect::<Vec<_>>();
    // The alerts box (5 alerts in 2 rows) and the detail pane both say what they hide.
    assert_eq!(more.len(), 2, "{text}");
    assert_eq!(more[0], 4, "5 alerts, 1 shown:\n{text}");
    assert!(more[1] > 45, "the timeline is counted: {more:?}");
    insta::assert_snapshot!("side_pane_more_80x24", terminal.backend());
}

#[test]
fn full_screen_detail_works_on_every_tab() {
    let store = demo_store();
    let mut state = state_from(&store);
    let titles = [
        (Tab::Customers, "Customer"),
        (Tab::Bugs, "Bug"),
        (Tab::Incidents, "Incident"),
        (Tab::Deployments, "DORA & deployment"),
        (Tab::Slos, "SLO"),
        (Tab::Checklist, "Checklist item"),
    ];
    for (tab, title) in titles {
        show(&mut state, &store, tab);
        act(&mut state, Action::OpenDetail);
        assert!(
            matches!(state.overlay, Some(Overlay::Detail { .. })),
            "{tab:?}"
        );
        let text = screen(&render(&state, 80, 24));
        assert!(
            text.contains(&format!("┌ {title} · 1-")),
            "{tab:?}:\n{text}"
        );
        act(&mut state, Action::Back);
        assert_eq!(state.overlay, None);
    }
    show(&mut state, &store, Tab::Incidents);
    act(&mut state, Action::ToggleAlerts);
    act(&mut state, Action::OpenDetail);
    let text = screen(&render(&state, 80, 24));
    assert!(
        text.contains("┌ Alert · 1-") && text.contains("Annotations"),
        "{text}"
    );
}

/// No limit in the full-screen view: a 5,000-event timeline scrolls to its last event (the side
/// pane stops at 200 and says how many more there are).
#[test]
fn full_screen_detail_has_no_line_limit() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    let id = state.incidents.selected_row().unwrap().id;
    let events: Vec<IncidentEvent> = (0..5000)
        .map(|n| IncidentEvent {
            at: now() - Duration::seconds(5000 - n),
            kind: "note".to_string(),
            who: "bot".to_string(),
            text: format!("event {n}"),
            origin: "source".to_string(),
        })
        .collect();
    state.update(Msg::DetailLoaded(Detail::Timeline(id, events)));
    let pane = screen(&render(&state, 160, 48));
    assert!(
        pane.lines()
            .any(|l| l.contains("│+") && l.contains(" more ")),
        "{pane}"
    );
    state.update(Msg::Resize(80, 24));
    act(&mut state, Action::OpenDetail);
    let started = std::time::Instant::now();
    render(&state, 80, 24);
    act(&mut state, Action::SelectLast);
    let text = screen(&render(&state, 80, 24));
    eprintln!(
        "two full-screen frames of a 5,000-event timeline: {:?}",
        started.elapsed()
    );
    assert!(text.contains("event 4999"), "{text}");
    assert!(!text.contains("more events"), "{text}");
}
