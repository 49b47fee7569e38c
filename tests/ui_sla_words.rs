//! The SLA column and the incident detail say what they mean, at an injected clock:
//! acknowledged within target (`acked 3m/5m`, `acked in 3m (target 5m)`), open with time left
//! (`11m left (target 15m)`), and breached (`BREACHED +…`). Never `met (2m)`, which read as
//! "took 2 minutes". Drawn at 80×34 so the side pane has room for the SLA line (at 80×24 it
//! ends in `+N more` and Enter shows it full-screen).

mod ui_support;

use chrono::Duration;
use opsdeck::domain::{IncidentStatus, Tab};
use ui_support::{demo_store, now, render, screen, show, state_from};

#[test]
fn sla_words_at_the_demo_clock_and_an_hour_later() {
    let store = demo_store();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    let text = screen(&render(&state, 80, 34));
    // The demo's first incident: triggered 4 minutes ago, P1 (15-minute target).
    let first = state.incidents.selected_row().unwrap().clone();
    assert_eq!(first.status, IncidentStatus::Triggered);
    assert_eq!(now() - first.created_at, Duration::minutes(4));
    assert!(text.contains("11m left"), "open with time left\n{text}");
    assert!(
        text.contains("11m left (target 15m)"),
        "the detail names the target\n{text}"
    );
    assert!(
        text.contains("acked 3m/5m"),
        "acknowledged within target\n{text}"
    );
    assert!(!text.contains("met ("), "{text}");

    // The same incident, unacknowledged, an hour later: breached by 49 minutes.
    state.now = now() + Duration::hours(1);
    let text = screen(&render(&state, 80, 34));
    assert!(text.contains("BREACHED +49m"), "breached\n{text}");
    assert!(text.contains("BREACHED +49m (target 15m)"), "{text}");
    // Acknowledged incidents keep their words: the response does not change with the clock.
    assert!(text.contains("acked 3m/5m"), "{text}");

    // The wide detail of the acknowledged P0 says it in a sentence.
    state.now = now();
    let acked = state
        .incidents
        .visible()
        .position(|i| i.status == IncidentStatus::Acknowledged)
        .unwrap();
    state.incidents.selected = acked;
    let text = screen(&render(&state, 160, 48));
    assert!(text.contains("acked in 3m (target 5m)"), "{text}");
}
