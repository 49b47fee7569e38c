//! Shared fixtures for the UI tests: a state loaded from a store exactly as the runtime does it
//! (`Msg::Loaded` per tab, `Msg::Status`, `Msg::DetailLoaded`), and rendering to a TestBackend.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use chrono::{DateTime, Duration, TimeZone, Utc};
use opsdeck::app::keymap::Keymap;
use opsdeck::app::msg::{Detail, Msg, Rows};
use opsdeck::app::state::{bindings_table, State};
use opsdeck::config::Policy;
use opsdeck::domain::{EntityKind, Tab};
use opsdeck::store::{write, Store};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The frozen clock of every UI test: Friday 2026-11-20 14:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

/// The team time zone used by the snapshots.
pub const TZ: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// The embedded demo, plus sync states: github fresh, pagerduty rate-limited.
pub fn demo_store() -> Store {
    let now = now();
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now).unwrap();
    store
        .write(|tx| {
            write::sync_attempt(tx, "github", "github", now - Duration::seconds(12))?;
            write::sync_success(
                tx,
                "github",
                Some("2026-11-20T13:59:48Z"),
                now - Duration::seconds(12),
            )?;
            write::sync_attempt(tx, "pagerduty", "pagerduty", now - Duration::minutes(3))?;
            write::sync_success(tx, "pagerduty", Some("PXYZ123"), now - Duration::minutes(3))?;
            write::sync_attempt(tx, "pagerduty", "pagerduty", now - Duration::seconds(30))?;
            write::sync_failure(
                tx,
                "pagerduty",
                "429 too many requests",
                Some(now + Duration::minutes(2)),
                now - Duration::seconds(30),
            )?;
            Ok(())
        })
        .unwrap();
    store
}

/// A state holding every tab of `store`, the status and the keymap, on the incidents tab.
pub fn state_from(store: &Store) -> State {
    let now = now();
    let mut state = State::new(now, TZ, Policy::default());
    state.demo = true;
    state.bindings = bindings_table(&Keymap::defaults());
    reload(&mut state, store);
    state
}

/// Feeds every tab's rows and the status again, as the runtime does after a commit.
pub fn reload(state: &mut State, store: &Store) {
    let now = now();
    let loads = [
        Rows::Customers(store.load_customers(now).unwrap()),
        Rows::Bugs(store.load_bugs(None).unwrap()),
        Rows::Incidents(
            store.load_incidents(None).unwrap(),
            store.load_alerts().unwrap(),
        ),
        Rows::Deployments(store.load_deployments(None).unwrap()),
        Rows::Slos(store.load_slos().unwrap()),
        Rows::Checklist(
            store.checklist_docs().unwrap(),
            store.load_checklist().unwrap(),
        ),
    ];
    for rows in loads {
        state.update(Msg::Loaded {
            rows,
            complete: true,
        });
    }
    state.update(Msg::Status {
        counts: store.tab_counts(now).unwrap(),
        outbox: store.outbox_summary().unwrap(),
        sources: store.sync_states().unwrap(),
    });
}

/// Switches to `tab` and loads the selected row's detail from `store`.
pub fn show(state: &mut State, store: &Store, tab: Tab) {
    state.tab = tab;
    load_detail(state, store);
}

/// Loads the detail of the selected row (timeline or customer notes).
pub fn load_detail(state: &mut State, store: &Store) {
    state.detail = None;
    match state.tab {
        Tab::Incidents => {
            if let Some(i) = state.incidents.selected_row() {
                let id = i.id;
                state.update(Msg::DetailLoaded(Detail::Timeline(
                    id,
                    store.incident_timeline(id).unwrap(),
                )));
            }
        }
        Tab::Customers => {
            if let Some(c) = state.customers.selected_row() {
                let id = c.id;
                state.update(Msg::DetailLoaded(Detail::CustomerNotes(
                    id,
                    store.customer_notes(id).unwrap(),
                )));
            }
        }
        _ => {}
    }
}

/// Renders `state` at `w`×`h`.
pub fn render(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| opsdeck::ui::draw(f, state)).unwrap();
    terminal
}

/// The rendered screen as plain lines.
pub fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Entity kind helper for outbox fixtures.
pub fn bug_entity(id: i64) -> opsdeck::domain::EntityRef {
    opsdeck::domain::EntityRef {
        kind: EntityKind::Bug,
        id,
    }
}
