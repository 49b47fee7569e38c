//! The Markdown incident report (`e`): every section, the milestone figures, and a timeline
//! that merges the pager's log entries and notes with opsdeck's own audit entries in time order.
//! Worked example: METRICS.md §2.3 incident I1 (P1, created 09:00 UTC, ack 09:04, resolved
//! 09:45 → TTA 240 s, TTR 2,700 s, SLA met).

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::config::Policy;
use opsdeck::domain::{EntityKind, EntityRef, Incident, IncidentEvent, IncidentStatus, Priority};
use opsdeck::store::{write, Operation, Store, StoreError};
use opsdeck::sync::incident_report::incident_report_markdown;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, h, m, 0).unwrap()
}

fn report_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 12, 0, 0).unwrap()
}

fn incident(status: IncidentStatus, resolved_at: Option<DateTime<Utc>>) -> Incident {
    Incident {
        id: 0,
        source: "pd".into(),
        external_id: "PT4KHLK".into(),
        number: 1234,
        title: "Checkout returns 5xx".into(),
        severity: Priority::P1,
        status,
        service: "checkout".into(),
        assignee: Some("Earline Greenholt".into()),
        created_at: at(9, 0),
        acknowledged_at: None,
        resolved_at,
        url: Some("https://subdomain.pagerduty.com/incidents/PT4KHLK".into()),
        customers: vec!["acme".into()],
        pending: false,
        conflict: false,
    }
}

fn event(at: DateTime<Utc>, kind: &str, text: &str) -> IncidentEvent {
    IncidentEvent {
        at,
        kind: kind.into(),
        who: "Earline Greenholt".into(),
        text: text.into(),
        origin: "source".into(),
    }
}

/// I1: triggered at 09:00, acknowledged in opsdeck at 09:04 (pushed), a mitigation note at
/// 09:30, resolved at 09:45 as the next pull reports.
fn i1(store: &mut Store) -> i64 {
    let id = store
        .write(|tx| {
            let id = write::upsert_incident(
                tx,
                &incident(IncidentStatus::Triggered, None),
                None,
                at(9, 1),
            )?;
            write::insert_incident_event(
                tx,
                id,
                &event(at(9, 0), "trigger", "Triggered through the API"),
                Some("log:1"),
            )?;
            Ok(id)
        })
        .unwrap();
    let ack = Operation::SetIncidentStatus {
        old: IncidentStatus::Triggered,
        new: IncidentStatus::Acknowledged,
        resolution: None,
        at: at(9, 4),
    };
    let entity = EntityRef {
        kind: EntityKind::Incident,
        id,
    };
    store
        .commit_edit(entity, &ack, at(9, 4), "me", &["pd".to_owned()])
        .unwrap();
    let entry = store.next_to_push("pd", at(9, 4)).unwrap().unwrap();
    store.mark_done(entry.seq, at(9, 4)).unwrap();
    store
        .write(|tx| {
            write::upsert_incident(
                tx,
                &incident(IncidentStatus::Resolved, Some(at(9, 45))),
                None,
                at(9, 46),
            )?;
            write::insert_incident_event(
                tx,
                id,
                &event(at(9, 30), "note", "Mitigated: rolled back | 1.4.2"),
                Some("note:1"),
            )?;
            write::insert_incident_event(
                tx,
                id,
                &event(at(9, 45), "resolve", "Resolved by Earline Greenholt"),
                Some("log:2"),
            )?;
            Ok(())
        })
        .unwrap();
    id
}

fn render(store: &Store, id: i64) -> String {
    incident_report_markdown(
        store,
        id,
        &Policy::default(),
        chrono_tz::Europe::Berlin,
        report_time(),
    )
    .unwrap()
}

#[test]
fn the_report_has_every_section_in_order() {
    let mut store = Store::open_in_memory().unwrap();
    let id = i1(&mut store);

    let md = render(&store, id);

    let headings = [
        "# Incident PT4KHLK: Checkout returns 5xx",
        "## Summary",
        "## Severity",
        "## Timeline",
        "### Events",
        "## Impact",
        "## Root cause",
        "## Resolution",
        "## Prevention",
        "## Action items",
    ];
    let positions: Vec<usize> = headings
        .iter()
        .map(|h| md.find(h).unwrap_or_else(|| panic!("missing {h}:\n{md}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "sections out of order:\n{md}"
    );
    assert!(md.contains("- Services: checkout"));
    assert!(md.contains("- Customers: acme"));
}

#[test]
fn milestones_and_figures_follow_the_worked_example_in_the_team_time_zone() {
    let mut store = Store::open_in_memory().unwrap();
    let id = i1(&mut store);

    let md = render(&store, id);

    assert!(
        md.contains("| Detected | 2025-03-03 10:00:00 | 0s |"),
        "{md}"
    );
    assert!(
        md.contains("| Acknowledged | 2025-03-03 10:04:00 | 4m 0s |"),
        "{md}"
    );
    assert!(
        md.contains("| Mitigated | 2025-03-03 10:30:00 | 30m 0s |"),
        "{md}"
    );
    assert!(
        md.contains("| Resolved | 2025-03-03 10:45:00 | 45m 0s |"),
        "{md}"
    );
    assert!(
        md.contains("- Time to acknowledge (TTA): 4m 0s (240 s)"),
        "{md}"
    );
    assert!(
        md.contains("- Time to resolve (TTR): 45m 0s (2700 s)"),
        "{md}"
    );
    assert!(
        md.contains(
            "respond within 15m 0s (deadline 2025-03-03 10:15:00): **met, 11m 0s to spare**"
        ),
        "{md}"
    );
}

#[test]
fn the_timeline_merges_the_opsdeck_acknowledgement_with_the_pagers_entries_in_time_order() {
    let mut store = Store::open_in_memory().unwrap();
    let id = i1(&mut store);

    let md = render(&store, id);

    let rows = [
        "| 2025-03-03 10:00:00 | pager | Earline Greenholt | trigger | Triggered through the API |",
        "| 2025-03-03 10:04:00 | opsdeck | me | status → acknowledged | acknowledged |",
        "| 2025-03-03 10:30:00 | pager | Earline Greenholt | note | Mitigated: rolled back \\| 1.4.2 |",
        "| 2025-03-03 10:45:00 | pager | Earline Greenholt | resolve | Resolved by Earline Greenholt |",
    ];
    let positions: Vec<usize> = rows
        .iter()
        .map(|r| {
            md.find(r)
                .unwrap_or_else(|| panic!("missing row {r}:\n{md}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "timeline out of order:\n{md}"
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let mut store = Store::open_in_memory().unwrap();
    let id = i1(&mut store);

    assert_eq!(render(&store, id), render(&store, id));
}

#[test]
fn an_open_unacknowledged_incident_leaves_its_unknowns_blank() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .write(|tx| {
            write::upsert_incident(
                tx,
                &incident(IncidentStatus::Triggered, None),
                None,
                at(9, 0),
            )
        })
        .unwrap();

    let md = render(&store, id);

    assert!(md.contains("| Acknowledged | — | — |"), "{md}");
    assert!(md.contains("| Resolved | — | — |"), "{md}");
    assert!(
        md.contains("- Time to acknowledge (TTA): not acknowledged"),
        "{md}"
    );
    assert!(md.contains("- Time to resolve (TTR): still open"), "{md}");
    assert!(
        md.contains("**breached by 7d 2h 45m**"),
        "unanswered past its deadline at report time:\n{md}"
    );
    assert!(md.ends_with("## Action items\n"), "{md}");
}

#[test]
fn an_unknown_incident_is_reported_as_not_found() {
    let store = Store::open_in_memory().unwrap();

    let err = incident_report_markdown(
        &store,
        42,
        &Policy::default(),
        chrono_tz::UTC,
        report_time(),
    )
    .unwrap_err();

    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
}
