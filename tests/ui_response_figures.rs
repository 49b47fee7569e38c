//! The incidents tab's team figures on the METRICS.md §2.3 worked example (moved to the week
//! before the UI tests' frozen clock, Fri 2026-11-20 14:00 UTC): MTTA/MTTR per priority over
//! the last 7 days — P3 was never acknowledged, so its MTTA is "—", never 0 — and the open
//! incident by age.

mod review_common;
mod ui_support;

use chrono::{Duration, TimeZone, Utc};
use opsdeck::domain::{Priority, Tab};
use opsdeck::store::{write, Store};
use ui_support::{render, screen, show, state_from};

#[test]
fn the_incident_detail_shows_response_times_per_priority_and_open_ages() {
    // §2.3 shifted two days earlier so that all five lie in the 7 days before the clock.
    let t = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, d - 2, h, m, 0).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let load = ui_support::now() - Duration::days(40);
    let inc = [
        (
            "I1",
            Priority::P1,
            t(16, 9, 0),
            Some(t(16, 9, 4)),
            Some(t(16, 9, 45)),
        ),
        (
            "I2",
            Priority::P2,
            t(17, 14, 10),
            Some(t(17, 14, 40)),
            Some(t(17, 16, 10)),
        ),
        (
            "I3",
            Priority::P0,
            t(18, 2, 30),
            Some(t(18, 2, 36)),
            Some(t(18, 5, 0)),
        ),
        ("I4", Priority::P3, t(20, 17, 30), None, Some(t(20, 18, 0))),
        ("I5", Priority::P1, t(21, 11, 0), Some(t(21, 11, 12)), None),
    ];
    store
        .write(|tx| {
            for (key, p, created, ack, resolved) in inc {
                let i = review_common::incident(key, p, created, ack, resolved, "api", &[]);
                write::upsert_incident(tx, &i, None, load)?;
            }
            Ok(())
        })
        .unwrap();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Incidents);
    let text = screen(&render(&state, 160, 48));
    // P1: (240 s + 720 s) / 2 = 8 min; P0 6 min; P2 30 min; P3 never acknowledged.
    assert!(
        text.contains("MTTA       P0 6m · P1 8m · P2 30m · P3 —"),
        "{text}"
    );
    // MTTR over resolved only: P1 is I1's 45 min (the open I5 is not counted).
    assert!(
        text.contains("MTTR       P0 2h30m · P1 45m · P2 2h · P3 30m"),
        "{text}"
    );
    // I5 (created Thu 11:00) is 27 h old at Fri 14:00.
    assert!(
        text.contains("open, age  <1h 0 · 1h-1d 0 · 1d-7d 1 · >=7d 0"),
        "{text}"
    );
}
