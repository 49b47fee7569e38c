//! Pure `State::update` behaviour: what a key does to the state and which effects it asks for.
//! No terminal, no tokio: the demo is loaded into an in-memory store only to build rows.

use chrono::{TimeZone, Utc};
use opsdeck::app::action::Action;
use opsdeck::app::msg::{Effect, Msg, Rows};
use opsdeck::app::state::State;
use opsdeck::config::Policy;
use opsdeck::domain::{IncidentStatus, Tab};
use opsdeck::store::{Operation, Store};

fn state_with_incidents() -> (Store, State) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now).unwrap();
    let mut state = State::new(now, chrono_tz::UTC, Policy::default());
    state.tab = Tab::Incidents;
    let rows = Rows::Incidents(
        store.load_incidents(None).unwrap(),
        store.load_alerts().unwrap(),
    );
    state.update(Msg::Loaded {
        rows,
        complete: true,
    });
    (store, state)
}

#[test]
fn acknowledging_asks_for_one_absolute_commit_of_the_selected_triggered_incident() {
    let (_store, mut state) = state_with_incidents();
    let selected = state.incidents.selected_row().unwrap().clone();
    assert_eq!(selected.status, IncidentStatus::Triggered);
    let fx = state.update(Msg::Action(Action::Acknowledge));
    let [Effect::Commit(edits)] = fx.as_slice() else {
        panic!("expected one commit, got {fx:?}")
    };
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].entity.id, selected.id);
    assert!(matches!(
        edits[0].op,
        Operation::SetIncidentStatus {
            old: IncidentStatus::Triggered,
            new: IncidentStatus::Acknowledged,
            ..
        }
    ));
}

/// REGRESSION: the engine was asked to push when the commit was *submitted*, before the store
/// thread wrote it, so the push found nothing and the edit waited a whole sync interval.
#[test]
fn the_push_request_follows_the_commit_not_the_keypress() {
    let (_store, mut state) = state_with_incidents();
    let fx = state.update(Msg::Action(Action::Acknowledge));
    assert!(
        !fx.contains(&Effect::PushNow),
        "no push before the edit is durable"
    );
    let fx = state.update(Msg::Committed {
        description: "status → acknowledged".into(),
        queued: true,
    });
    assert!(fx.contains(&Effect::PushNow));
    let fx = state.update(Msg::Committed {
        description: "note".into(),
        queued: false,
    });
    assert!(
        !fx.contains(&Effect::PushNow),
        "local-only edits need no push"
    );
}

/// REGRESSION: a reload that re-sorts the list moved the selection to another row.
#[test]
fn a_reload_in_a_new_order_keeps_the_same_row_selected() {
    let (store, mut state) = state_with_incidents();
    let selected = state.incidents.selected_row().unwrap().id;
    let mut rows = store.load_incidents(None).unwrap();
    rows.reverse();
    state.update(Msg::Loaded {
        rows: Rows::Incidents(rows, Vec::new()),
        complete: true,
    });
    assert_eq!(state.incidents.selected_row().unwrap().id, selected);
}

#[test]
fn read_only_mode_refuses_edits_with_a_message() {
    let (_store, mut state) = state_with_incidents();
    state.read_only = true;
    let fx = state.update(Msg::Action(Action::Acknowledge));
    assert!(fx.is_empty());
    assert!(state.toast.unwrap().text.contains("read-only"));
}
