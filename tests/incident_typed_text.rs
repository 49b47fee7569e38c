//! What the user types on an incident (a note, a resolution) reads back unchanged: in the
//! detail timeline, in the exported report, through the real store. The edits are made the
//! way the app makes them: keys into `State::update`, then the `Effect::Commit` it returns is
//! committed with `Store::commit_edit` exactly as the runtime does.

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::app::action::Action;
use opsdeck::app::msg::{Edit, Effect, InputKey, Msg, Rows};
use opsdeck::app::rows::RowView;
use opsdeck::app::state::State;
use opsdeck::config::Policy;
use opsdeck::domain::{IncidentStatus, Tab};
use opsdeck::store::{Operation, Store};
use opsdeck::sync::incident_report::incident_report_markdown;

const NOTE: &str = "Rolled back to 1.4.2 — «Zürich» pod said \"OOM\", it's 'fine' now ✅";
const RESOLUTION: &str =
    "Root fix: raise heap to 2 GiB; pinned \"libfoo\" ≤ 3.1 — see 東京 runbook";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn demo_on_incidents() -> (Store, State) {
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now()).unwrap();
    let mut state = State::new(now(), chrono_tz::UTC, Policy::default());
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

/// Types `text` into the open prompt and presses Enter (and Enter again on a confirmation);
/// returns the edits the app asked to commit.
fn type_and_submit(state: &mut State, text: &str) -> Vec<Edit> {
    for c in text.chars() {
        assert!(state.update(Msg::Input(InputKey::Char(c))).is_empty());
    }
    let mut fx = state.update(Msg::Input(InputKey::Enter));
    if fx.is_empty() {
        // A confirmation ("Resolve PXXXX?") opened: accept it.
        fx = state.update(Msg::Input(InputKey::Enter));
    }
    match fx.as_slice() {
        [Effect::Commit(edits)] => edits.clone(),
        other => panic!("expected one commit, got {other:?}"),
    }
}

fn commit(store: &mut Store, edits: &[Edit]) {
    for e in edits {
        store
            .commit_edit(e.entity, &e.op, now(), "me", &["pagerduty".to_owned()])
            .unwrap();
    }
}

fn report(store: &Store, id: i64) -> String {
    incident_report_markdown(store, id, &Policy::default(), chrono_tz::UTC, now()).unwrap()
}

/// The body of the report's `## Resolution` section.
fn resolution_section(md: &str) -> String {
    md.split("## Resolution\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// REGRESSION: issue #11 defect 1. A note's audit entry stored the description "note" instead
/// of the body, and a resolve kept no resolution text, so the timeline read `note | note` and
/// the exported report had an empty `## Resolution`.
#[test]
fn a_typed_note_and_resolution_read_back_unchanged_in_timeline_and_report() {
    let (mut store, mut state) = demo_on_incidents();
    let incident = state.incidents.selected_row().unwrap().clone();
    assert_ne!(incident.status, IncidentStatus::Resolved);

    assert!(state.update(Msg::Action(Action::Note)).is_empty());
    let edits = type_and_submit(&mut state, NOTE);
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].entity.id, incident.id);
    commit(&mut store, &edits);

    assert!(state.update(Msg::Action(Action::Resolve)).is_empty());
    let edits = type_and_submit(&mut state, RESOLUTION);
    assert_eq!(edits.len(), 1);
    commit(&mut store, &edits);

    let timeline = store.incident_timeline(incident.id).unwrap();
    let mine: Vec<_> = timeline.iter().filter(|e| e.origin == "opsdeck").collect();
    assert!(
        mine.iter().any(|e| e.kind == "note" && e.text == NOTE),
        "the note's text is in the timeline: {mine:#?}"
    );
    assert!(
        mine.iter().any(|e| e.text == RESOLUTION),
        "the resolution text is in the timeline: {mine:#?}"
    );

    let md = report(&store, incident.id);
    assert!(md.contains(NOTE), "note in the report:\n{md}");
    assert_eq!(resolution_section(&md), RESOLUTION, "report:\n{md}");
}

/// REGRESSION: issue #11 defect 1, multi-line text (as a paste would bring it): every line of
/// a note survives into the timeline, and into the report as one table cell with `<br>`.
#[test]
fn a_multi_line_note_keeps_its_lines() {
    let (mut store, state) = demo_on_incidents();
    let incident = state.incidents.selected_row().unwrap().clone();
    let body = "line one: \"quoted\"\nline two: 日本語 | pipe\n\nline four ✓";
    let edit = Edit {
        entity: incident.entity(),
        op: Operation::AddIncidentNote { body: body.into() },
    };
    commit(&mut store, &[edit]);

    let timeline = store.incident_timeline(incident.id).unwrap();
    assert!(
        timeline.iter().any(|e| e.text == body),
        "timeline: {timeline:#?}"
    );
    let md = report(&store, incident.id);
    assert!(
        md.contains("line one: \"quoted\"<br>line two: 日本語 \\| pipe<br><br>line four ✓"),
        "report:\n{md}"
    );
}

/// An undone resolve leaves no resolution in the report's Resolution section (its audit rows
/// stay in the timeline: it did happen, and was taken back).
#[test]
fn an_undone_resolution_is_not_reported() {
    let (mut store, mut state) = demo_on_incidents();
    let incident = state.incidents.selected_row().unwrap().clone();
    assert!(state.update(Msg::Action(Action::Resolve)).is_empty());
    let edits = type_and_submit(&mut state, RESOLUTION);
    commit(&mut store, &edits);
    store.undo_last(now(), "me").unwrap();
    let md = report(&store, incident.id);
    assert_eq!(resolution_section(&md), "", "report:\n{md}");
}

/// A note for two marked incidents asks first, quoting the typed text and naming both; yes
/// writes the same text to both timelines — neither to the cursor row alone.
#[test]
fn a_note_for_marked_incidents_is_quoted_in_the_question_and_reaches_both() {
    let (mut store, mut state) = demo_on_incidents();
    let first = state.incidents.selected_row().unwrap().clone();
    state.update(Msg::Action(Action::ToggleMark));
    let second = state.incidents.selected_row().unwrap().clone();
    assert_ne!(first.id, second.id, "the mark moves the cursor down");
    state.update(Msg::Action(Action::ToggleMark));
    assert!(state.update(Msg::Action(Action::Note)).is_empty());
    for c in NOTE.chars() {
        assert!(state.update(Msg::Input(InputKey::Char(c))).is_empty());
    }
    assert!(state.update(Msg::Input(InputKey::Enter)).is_empty());
    let Some(opsdeck::app::state::Overlay::Confirm { message, .. }) = state.overlay.clone() else {
        panic!("a note for two incidents asks first");
    };
    // Quoted as typed, cut to its first 60 characters.
    let start: String = NOTE.chars().take(60).collect();
    assert!(
        message.contains(&format!("“{}…”", start.trim_end())),
        "{message}"
    );
    assert!(
        message.contains(&first.external_id) && message.contains(&second.external_id),
        "{message}"
    );
    let fx = state.update(Msg::Input(InputKey::Char('y')));
    let [Effect::Commit(edits)] = fx.as_slice() else {
        panic!("yes commits: {fx:?}");
    };
    let mut ids: Vec<i64> = edits.iter().map(|e| e.entity.id).collect();
    ids.sort_unstable();
    let mut want = vec![first.id, second.id];
    want.sort_unstable();
    assert_eq!(ids, want);
    commit(&mut store, edits);
    for id in want {
        let timeline = store.incident_timeline(id).unwrap();
        assert!(
            timeline.iter().any(|e| e.kind == "note" && e.text == NOTE),
            "incident {id}: {timeline:#?}"
        );
    }
}
