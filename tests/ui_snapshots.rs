//! Render snapshots (insta + TestBackend) of every tab at 80×24 and 160×48 and of every overlay,
//! from the embedded demo at a frozen clock, plus checks of what the snapshots cannot show
//! (colours under NO_COLOR, the 16-colour palette, pending markers).

mod ui_support;

use chrono::Duration;
use opsdeck::app::action::Action;
use opsdeck::app::msg::{InputKey, Msg};
use opsdeck::app::state::Overlay;
use opsdeck::domain::{Priority, Tab};
use opsdeck::store::{write, Operation};
use ratatui::style::Color;
use rstest::rstest;
use ui_support::{demo_store, load_detail, now, reload, render, screen, show, state_from};

#[rstest]
#[case::customers(Tab::Customers)]
#[case::bugs(Tab::Bugs)]
#[case::incidents(Tab::Incidents)]
#[case::deployments(Tab::Deployments)]
#[case::slos(Tab::Slos)]
#[case::checklist(Tab::Checklist)]
fn every_tab_renders_at_80x24_and_160x48(#[case] tab: Tab) {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, tab);
    for (w, h) in [(80, 24), (160, 48)] {
        let terminal = render(&state, w, h);
        insta::assert_snapshot!(format!("tab_{}_{w}x{h}", tab.as_str()), terminal.backend());
    }
}

#[test]
fn help_lists_the_live_keymap_grouped_by_scope() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    state.update(Msg::Action(Action::Help));
    let terminal = render(&state, 160, 48);
    let text = screen(&terminal);
    assert!(text.contains("acknowledge"), "incident keys are listed");
    assert!(text.contains("global"), "grouped by scope");
    insta::assert_snapshot!("help_160x48", terminal.backend());
    insta::assert_snapshot!("help_80x24", render(&state, 80, 24).backend());
}

#[test]
fn palette_filters_actions_and_shows_their_keys() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    state.overlay = Some(Overlay::Palette {
        query: "ack".into(),
        selected: 0,
    });
    let terminal = render(&state, 80, 24);
    assert!(screen(&terminal).contains("acknowledge"));
    insta::assert_snapshot!("palette_ack_80x24", terminal.backend());
}

#[test]
fn resolving_an_incident_asks_for_confirmation() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    state.update(Msg::Action(Action::Resolve));
    state.update(Msg::Input(InputKey::Enter));
    assert!(
        matches!(state.overlay, Some(Overlay::Confirm { .. })),
        "{:?}",
        state.overlay
    );
    let terminal = render(&state, 80, 24);
    assert!(screen(&terminal).contains("y/enter = yes · n/esc = no"));
    insta::assert_snapshot!("confirm_resolve_80x24", terminal.backend());
}

#[test]
fn prompts_show_choices_and_text_input() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Action(Action::SetPriority));
    insta::assert_snapshot!("prompt_priority_80x24", render(&state, 80, 24).backend());
    state.update(Msg::Input(InputKey::Esc));
    state.update(Msg::Action(Action::Comment));
    for c in "rolled back in v3.8.1".chars() {
        state.update(Msg::Input(InputKey::Char(c)));
    }
    insta::assert_snapshot!("prompt_comment_80x24", render(&state, 80, 24).backend());
}

/// A prompt with completion candidates at 80×24: the people the cache knows under the empty
/// input, Tab's pick in the input and highlighted, the current assignee as a dim hint, the keys
/// on the last two lines. The cursor is a reversed cell, so it shows without colour and in
/// ASCII mode.
#[test]
fn a_prompt_shows_completion_candidates_the_hint_and_the_cursor() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Action(Action::Assign));
    state.update(Msg::Input(InputKey::Tab));
    state.update(Msg::Input(InputKey::Left));
    insta::assert_snapshot!(
        "prompt_assign_completion_80x24",
        render(&state, 80, 24).backend()
    );
    let typed = match &state.overlay {
        Some(Overlay::Prompt(opsdeck::app::state::Prompt::Text { input, .. })) => {
            input.text().to_string()
        }
        other => panic!("{other:?}"),
    };
    let under_cursor = typed.chars().last().unwrap().to_string();
    state.no_color = true;
    state.ascii = true;
    let terminal = render(&state, 80, 24);
    let buf = terminal.backend().buffer();
    let reversed: Vec<&str> = buf
        .content()
        .iter()
        .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
        .map(|c| c.symbol())
        .collect();
    assert!(
        reversed.contains(&under_cursor.as_str()),
        "the cursor cell on {under_cursor:?} is reversed: {reversed:?}"
    );
    let text = screen(&terminal);
    let keys: Vec<&str> = text.lines().filter(|l| l.contains("history")).collect();
    assert!(
        !keys.is_empty() && keys.iter().all(|l| l.is_ascii()),
        "{keys:?}"
    );
}

fn store_with_outbox() -> (opsdeck::store::Store, String) {
    let mut store = demo_store();
    let bugs = store.load_bugs(None).unwrap();
    let (a, b) = (&bugs[0], &bugs[1]);
    let remotes = vec![a.source.clone(), b.source.clone()];
    let op = Operation::SetBugPriority {
        old: a.priority,
        new: Priority::P0,
    };
    store
        .commit_edit(a.entity_ref(), &op, now(), "me", &remotes)
        .unwrap();
    let op = Operation::SetBugAssignee {
        old: b.assignee.clone(),
        new: Some("mkowalski".into()),
    };
    store
        .commit_edit(b.entity_ref(), &op, now(), "me", &remotes)
        .unwrap();
    let entries = store.list_outbox(50).unwrap();
    let conflicted = entries.iter().find(|e| e.entity.id == b.id).unwrap().seq;
    store
        .mark_conflict(conflicted, now(), "assignee → jtan")
        .unwrap();
    (store, a.key.clone())
}

trait EntityRefExt {
    fn entity_ref(&self) -> opsdeck::domain::EntityRef;
}
impl EntityRefExt for opsdeck::domain::Bug {
    fn entity_ref(&self) -> opsdeck::domain::EntityRef {
        ui_support::bug_entity(self.id)
    }
}

#[test]
fn the_outbox_view_shows_a_pending_edit_and_a_conflict_with_its_keys() {
    let (store, _) = store_with_outbox();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.overlay = Some(Overlay::Outbox {
        entries: store.list_outbox(50).unwrap(),
        selected: 0,
    });
    let terminal = render(&state, 160, 48);
    let text = screen(&terminal);
    assert!(text.contains("pending") && text.contains("conflict"));
    assert!(text.contains("mine: ") && text.contains("theirs: assignee → jtan"));
    insta::assert_snapshot!("outbox_160x48", terminal.backend());
    insta::assert_snapshot!("outbox_80x24", render(&state, 80, 24).backend());
}

#[test]
fn a_bug_with_a_pending_edit_is_marked_in_the_list() {
    let (store, key) = store_with_outbox();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    let row = text.lines().find(|l| l.contains(&key)).unwrap();
    assert!(row.contains('⟳'), "{row}");
    assert!(
        text.lines().any(|l| l.contains("│!")),
        "the conflicted bug carries '!'"
    );
    assert!(text.contains("1 queued · 1 conflict"));
    insta::assert_snapshot!("bugs_pending_edit_80x24", terminal.backend());
}

#[test]
fn the_sources_view_shows_a_failed_source() {
    let mut store = demo_store();
    store
        .write(|tx| {
            write::sync_attempt(tx, "jira", "jira", now() - Duration::minutes(1))?;
            write::sync_failure(
                tx,
                "jira",
                "401 unauthorized: set JIRA_TOKEN",
                None,
                now() - Duration::minutes(1),
            )?;
            Ok(())
        })
        .unwrap();
    let mut state = state_from(&store);
    state.overlay = Some(Overlay::Sources);
    let terminal = render(&state, 160, 48);
    assert!(screen(&terminal).contains("401 unauthorized"));
    insta::assert_snapshot!("sources_160x48", terminal.backend());
}

#[test]
fn every_source_failing_shows_offline() {
    let mut store = demo_store();
    store
        .write(|tx| {
            write::sync_failure(
                tx,
                "github",
                "connection refused",
                None,
                now() - Duration::seconds(5),
            )
        })
        .unwrap();
    let state = state_from(&store);
    let terminal = render(&state, 160, 48);
    assert!(screen(&terminal).contains("OFFLINE"));
    let healthy = state_from(&demo_store());
    assert!(!screen(&render(&healthy, 160, 48)).contains("OFFLINE"));
}

#[test]
fn an_active_filter_shows_in_the_title_and_status_bar() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Action(Action::Filter));
    for c in "ingest".chars() {
        state.update(Msg::Input(InputKey::Char(c)));
    }
    let terminal = render(&state, 80, 24);
    assert!(screen(&terminal).contains("FILTER /ingest"));
    insta::assert_snapshot!("bugs_filter_80x24", terminal.backend());
}

#[test]
fn the_alert_section_takes_focus_and_shows_a_silenced_alert() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    state.update(Msg::Action(Action::ToggleAlerts));
    assert!(state.alerts_focus);
    let silenced = state
        .alerts
        .view
        .iter()
        .position(|i| !state.alerts.rows[*i].silenced_by.is_empty())
        .unwrap();
    state.alerts.selected = silenced;
    let terminal = render(&state, 160, 48);
    assert!(screen(&terminal).contains("silenced"));
    insta::assert_snapshot!("incidents_alerts_focus_160x48", terminal.backend());
}

#[test]
fn review_shows_loading_then_the_frozen_page() {
    let store = demo_store();
    let mut state = state_from(&store);
    state.overlay = Some(Overlay::Review { page: 1 });
    assert!(screen(&render(&state, 80, 24)).contains("loading the review"));
    let week = opsdeck::review::current_week(state.now, state.tz);
    let snap =
        opsdeck::review::take_snapshot(&store, &week, state.tz, &state.policy, state.now).unwrap();
    state.review = Some(snap);
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    assert!(
        text.contains("Friday review") && text.contains("Bugs"),
        "{text}"
    );
    insta::assert_snapshot!("review_80x24", terminal.backend());
}

#[test]
fn no_color_and_ascii_variants() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Slos);
    state.no_color = true;
    let terminal = render(&state, 80, 24);
    let buf = terminal.backend().buffer();
    for cell in &buf.content {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "NO_COLOR leaves every cell uncoloured"
        );
    }
    insta::assert_snapshot!("slos_no_color_80x24", terminal.backend());
    state.no_color = false;
    state.ascii = true;
    let terminal = render(&state, 80, 24);
    let text = screen(&terminal);
    assert!(
        !text.contains('─') && !text.contains('│') && !text.contains('┌'),
        "ASCII borders only"
    );
    insta::assert_snapshot!("slos_ascii_80x24", terminal.backend());
}

#[rstest]
#[case::customers(Tab::Customers)]
#[case::bugs(Tab::Bugs)]
#[case::incidents(Tab::Incidents)]
#[case::deployments(Tab::Deployments)]
#[case::slos(Tab::Slos)]
#[case::checklist(Tab::Checklist)]
fn only_the_16_ansi_colours_are_used(#[case] tab: Tab) {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, tab);
    let terminal = render(&state, 160, 48);
    for cell in &terminal.backend().buffer().content {
        for c in [cell.fg, cell.bg] {
            assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
        }
    }
}

#[test]
fn moving_the_selection_keeps_it_visible_and_reloading_keeps_the_row() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Action(Action::SelectLast));
    let key = state.bugs.selected_row().unwrap().key.clone();
    let text = screen(&render(&state, 80, 24));
    assert!(text.contains(&key), "the last bug scrolled into view");
    reload(&mut state, &store);
    load_detail(&mut state, &store);
    assert_eq!(state.bugs.selected_row().unwrap().key, key);
}
