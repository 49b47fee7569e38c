//! After the selected row leaves the list on a reload (deleted at the source, or no longer
//! matching the filter after its title changed), the cursor stays at the same position
//! (clamped to the list), not jumping to the top or following another row; a row that is still
//! there keeps the cursor wherever it moved.

mod ui_support;

use opsdeck::app::action::Action;
use opsdeck::app::msg::{InputKey, Msg};
use opsdeck::domain::Tab;
use ui_support::{demo_store, reload, show, state_from};

fn keys(state: &opsdeck::app::state::State) -> Vec<String> {
    state.bugs.visible().map(|b| b.key.clone()).collect()
}

#[test]
fn a_row_deleted_at_the_source_leaves_the_cursor_at_its_position() {
    let mut store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    for _ in 0..3 {
        state.update(Msg::Action(Action::SelectNext));
    }
    assert_eq!(state.bugs.selected, 3);
    let before = keys(&state);
    let gone = state.bugs.selected_row().unwrap().id;
    store
        .write(|tx| {
            tx.execute("DELETE FROM bugs WHERE id = ?1", [gone])?;
            Ok(())
        })
        .unwrap();
    reload(&mut state, &store);
    assert_eq!(state.bugs.selected, 3, "same position");
    assert_eq!(
        state.bugs.selected_row().unwrap().key,
        before[4],
        "the row that moved up into the position is selected"
    );
}

#[test]
fn the_last_row_leaving_clamps_the_cursor_to_the_new_last_row() {
    let mut store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Action(Action::SelectLast));
    let n = state.bugs.view.len();
    let gone = state.bugs.selected_row().unwrap().id;
    store
        .write(|tx| {
            tx.execute("DELETE FROM bugs WHERE id = ?1", [gone])?;
            Ok(())
        })
        .unwrap();
    reload(&mut state, &store);
    assert_eq!(state.bugs.view.len(), n - 1);
    assert_eq!(state.bugs.selected, n - 2, "clamped to the new last row");
}

#[test]
fn a_row_filtered_out_by_a_reload_leaves_the_cursor_at_its_position() {
    let mut store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    // Filter by a word many bugs share, then select the second match.
    state.update(Msg::Action(Action::Filter));
    for c in "ingest".chars() {
        state.update(Msg::Input(InputKey::Char(c)));
    }
    state.update(Msg::Input(InputKey::Enter));
    let before = keys(&state);
    assert!(
        before.len() >= 3,
        "the demo has several ingest bugs: {before:?}"
    );
    state.update(Msg::Action(Action::SelectNext));
    assert_eq!(state.bugs.selected, 1);
    let id = state.bugs.selected_row().unwrap().id;
    // The tracker renames it so it no longer matches `ingest` anywhere.
    store
        .write(|tx| {
            tx.execute(
                "UPDATE bugs SET title = 'zz', body = '', labels = '[]', customers = '[]', \
                 key = 'ZZ-1' WHERE id = ?1",
                [id],
            )?;
            Ok(())
        })
        .unwrap();
    reload(&mut state, &store);
    let after = keys(&state);
    assert!(!after.contains(&"ZZ-1".to_string()), "{after:?}");
    assert_eq!(state.bugs.selected, 1, "same position");
    assert_eq!(state.bugs.selected_row().unwrap().key, before[2]);
}

#[test]
fn a_row_still_in_the_list_keeps_the_cursor_when_it_moves() {
    let mut store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    for _ in 0..3 {
        state.update(Msg::Action(Action::SelectNext));
    }
    let key = state.bugs.selected_row().unwrap().key.clone();
    let first = state.bugs.visible().next().unwrap().id;
    store
        .write(|tx| {
            tx.execute("DELETE FROM bugs WHERE id = ?1", [first])?;
            Ok(())
        })
        .unwrap();
    reload(&mut state, &store);
    assert_eq!(state.bugs.selected, 2, "the row moved up one");
    assert_eq!(state.bugs.selected_row().unwrap().key, key);
}

/// REGRESSION: resolving the selected incident sorted it into the resolved group at the
/// bottom and the cursor followed it there, so the next `a`/`R` hit a resolved incident far
/// from where the operator was looking. The cursor now stays at the same position.
#[test]
fn resolving_the_selected_incident_leaves_the_cursor_at_its_position() {
    use opsdeck::domain::IncidentStatus;
    use opsdeck::store::Operation;
    let mut store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    let before: Vec<String> = state
        .incidents
        .visible()
        .map(|i| i.external_id.clone())
        .collect();
    let sel = state.incidents.selected_row().unwrap().clone();
    assert_eq!(state.incidents.selected, 0);
    assert_ne!(
        sel.status,
        IncidentStatus::Resolved,
        "the demo's first incident is open"
    );
    let op = Operation::SetIncidentStatus {
        old: sel.status,
        new: IncidentStatus::Resolved,
        resolution: Some("fixed".into()),
        at: ui_support::now(),
    };
    store
        .commit_edit(
            opsdeck::domain::EntityRef {
                kind: opsdeck::domain::EntityKind::Incident,
                id: sel.id,
            },
            &op,
            ui_support::now(),
            "me",
            std::slice::from_ref(&sel.source),
        )
        .unwrap();
    reload(&mut state, &store);
    let moved = state
        .incidents
        .visible()
        .position(|i| i.id == sel.id)
        .unwrap();
    assert!(moved > 0, "the resolved incident sank below the open ones");
    assert_eq!(state.incidents.selected, 0, "same position");
    assert_eq!(
        state.incidents.selected_row().unwrap().external_id,
        before[1],
        "the next open incident is selected"
    );
}

/// Closing the selected bug (it sinks to the closed rows) leaves the cursor where it was.
#[test]
fn closing_the_selected_bug_leaves_the_cursor_at_its_position() {
    use opsdeck::domain::BugStatus;
    use opsdeck::store::Operation;
    let mut store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.update(Msg::Action(Action::SelectNext));
    let before = keys(&state);
    let sel = state.bugs.selected_row().unwrap().clone();
    let op = Operation::SetBugStatus {
        old: sel.status,
        new: BugStatus::Closed,
        reason: Some("fixed".into()),
    };
    store
        .commit_edit(
            ui_support::bug_entity(sel.id),
            &op,
            ui_support::now(),
            "me",
            std::slice::from_ref(&sel.source),
        )
        .unwrap();
    reload(&mut state, &store);
    assert_eq!(state.bugs.selected, 1, "same position");
    assert_eq!(state.bugs.selected_row().unwrap().key, before[2]);
}
