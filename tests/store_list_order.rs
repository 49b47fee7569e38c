//! The first screen of the two big tabs is read through an index, not by sorting the table
//! (issue #12): `EXPLAIN QUERY PLAN` of the exact list order the store uses must walk the
//! schema-v5 expression index with no temporary B-tree, and the order it gives is the order
//! the tab promises (open before closed, priority, newest first).

use chrono::{TimeZone, Utc};
use opsdeck::store::read::{BUGS_ORDER_BY, INCIDENTS_ORDER_BY};
use opsdeck::store::Store;

fn plan(store: &Store, sql: &str) -> String {
    let mut stmt = store
        .conn()
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows.join("\n")
}

#[test]
fn the_first_page_of_bugs_and_incidents_walks_an_index_without_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.sqlite3")).unwrap();
    let bugs = plan(
        &store,
        &format!("SELECT t.id, t.title FROM bugs t ORDER BY {BUGS_ORDER_BY} LIMIT 60"),
    );
    assert!(bugs.contains("USING INDEX bugs_list_order"), "{bugs}");
    assert!(!bugs.contains("TEMP B-TREE"), "{bugs}");
    let incidents = plan(
        &store,
        &format!("SELECT t.id, t.title FROM incidents t ORDER BY {INCIDENTS_ORDER_BY} LIMIT 60"),
    );
    assert!(
        incidents.contains("USING INDEX incidents_list_order"),
        "{incidents}"
    );
    assert!(!incidents.contains("TEMP B-TREE"), "{incidents}");
}

#[test]
fn the_indexed_order_is_the_order_the_tabs_promise() {
    let mut store = Store::open_in_memory().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
    opsdeck::demo::load(&mut store, now).unwrap();
    let bugs = store.load_bugs(Some(60)).unwrap();
    let keys: Vec<(bool, String, i64)> = bugs
        .iter()
        .map(|b| {
            (
                b.status.as_str() == "closed",
                b.priority.as_str().to_string(),
                -b.updated_at.timestamp(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "open first, then priority, newest first");
    assert!(!keys.is_empty());
    let first_page = store.load_bugs(Some(5)).unwrap();
    let all = store.load_bugs(None).unwrap();
    assert_eq!(
        first_page.iter().map(|b| b.id).collect::<Vec<_>>(),
        all.iter().take(5).map(|b| b.id).collect::<Vec<_>>(),
        "a first page is the head of the full list"
    );
    let incidents = store.load_incidents(None).unwrap();
    let rank = |s: &str| match s {
        "triggered" => 0,
        "acknowledged" => 1,
        _ => 2,
    };
    let keys: Vec<(i32, i64)> = incidents
        .iter()
        .map(|i| (rank(i.status.as_str()), -i.created_at.timestamp()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

/// The first page of a big tab draws the frame the full load draws: same title count, same
/// id column width. Otherwise every tab switch paints twice and the second paint lands a full
/// load later (issue #12: tab switch p99 was 96 ms). Real store, real `State::update`.
#[test]
fn the_first_page_already_has_the_full_lists_title_and_id_width() {
    use opsdeck::app::msg::{Msg, Rows};
    use opsdeck::app::state::State;
    use opsdeck::config::Policy;
    use opsdeck::domain::Tab;

    let mut store = Store::open_in_memory().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
    opsdeck::demo::load(&mut store, now).unwrap();
    // 500 more closed bugs, one with a long key, all below the open ones in list order
    for i in 0..500 {
        let key = if i == 499 {
            "LONGPROJECT-123456".to_string()
        } else {
            format!("X-{i}")
        };
        store
            .conn()
            .execute(
                "INSERT INTO bugs (source, external_id, key, title, priority, status, created_at, updated_at) \
                 VALUES ('bulk', ?1, ?2, 'old closed bug', 'P3', 'closed', 0, 0)",
                rusqlite::params![format!("bulk-{i}"), key],
            )
            .unwrap();
    }
    let shape = store.list_shape(Tab::Bugs).unwrap().unwrap();
    let all = store.load_bugs(None).unwrap();
    assert_eq!(shape.rows, all.len());
    assert_eq!(shape.widest_id, "LONGPROJECT-123456".len());

    let mut state = State::new(now, chrono_tz::UTC, Policy::default());
    state.tab = Tab::Bugs;
    state.update(Msg::ListShape(Tab::Bugs, shape));
    state.update(Msg::Loaded {
        rows: Rows::Bugs(store.load_bugs(Some(60)).unwrap()),
        complete: false,
    });
    let first = (
        state.bugs.shown_rows(),
        state.bugs.total_rows(),
        state.bugs.widest_id,
    );
    assert!(!state.bugs.rows.iter().any(|b| b.key.starts_with("LONG")));
    state.update(Msg::Loaded {
        rows: Rows::Bugs(all),
        complete: true,
    });
    let full = (
        state.bugs.shown_rows(),
        state.bugs.total_rows(),
        state.bugs.widest_id,
    );
    assert_eq!(
        first, full,
        "(shown, total, id width) on the first page and after"
    );
}

/// The incident team figures (MTTA/MTTR, open by age) are computed over every incident: a
/// first page of 60 must neither replace them with figures of those 60 (a wrong number for a
/// moment and a second paint per tab switch) nor show any before the first full list.
#[test]
fn team_figures_come_only_from_the_full_incident_list() {
    use opsdeck::app::action::Action;
    use opsdeck::app::msg::{Msg, Rows};
    use opsdeck::app::state::State;
    use opsdeck::config::Policy;
    use opsdeck::domain::Tab;

    let mut store = Store::open_in_memory().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap();
    opsdeck::demo::load(&mut store, now).unwrap();
    let mut state = State::new(now, chrono_tz::UTC, Policy::default());
    state.tab = Tab::Incidents;
    let page = |store: &Store, n: u32| {
        Rows::Incidents(
            store.load_incidents(Some(n)).unwrap(),
            store.load_alerts().unwrap(),
        )
    };
    state.update(Msg::Loaded {
        rows: page(&store, 2),
        complete: false,
    });
    assert!(
        state.incident_figures.is_none(),
        "no figures from a first page"
    );
    state.update(Msg::Loaded {
        rows: page(&store, 10_000),
        complete: true,
    });
    let full = state
        .incident_figures
        .clone()
        .expect("figures after the full list");
    state.update(Msg::Action(Action::TabBugs));
    state.update(Msg::Action(Action::TabIncidents));
    state.update(Msg::Loaded {
        rows: page(&store, 2),
        complete: false,
    });
    assert_eq!(
        state.incident_figures.as_ref(),
        Some(&full),
        "a first page keeps them"
    );
}

/// Every sort column of the windowed lists walks an index (schema v6) instead of sorting the
/// table: a window of a 500k-row list sorted by assignee took seconds (issue #12). Only ties
/// of the last default key may be sorted (deployments: same service and start time).
#[test]
fn every_sort_column_of_the_windowed_lists_walks_an_index() {
    use opsdeck::app::rows::RowView;
    use opsdeck::domain::{Bug, Deployment, Incident, Tab};
    use opsdeck::store::read::window::{window_sql_for, ListQuery};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cache.sqlite3")).unwrap();
    for (tab, sorts) in [
        (Tab::Bugs, Bug::SORTS.len()),
        (Tab::Incidents, Incident::SORTS.len()),
        (Tab::Deployments, Deployment::SORTS.len()),
    ] {
        for sort in 0..=sorts {
            let q = ListQuery {
                filter: String::new(),
                sort,
            };
            let sql = window_sql_for(tab, &q, 1000, 240).unwrap();
            let p = plan(&store, &sql);
            assert!(p.contains(" INDEX "), "{tab:?} sort {sort}: {p}");
            assert!(
                !p.contains("USE TEMP B-TREE FOR ORDER BY"),
                "{tab:?} sort {sort} sorts the table: {p}"
            );
        }
    }
}
