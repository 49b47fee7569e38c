//! The store's connection keeps a cached statement's plan across calls (issue #12): with
//! rusqlite's statement cache, which clears a statement's bindings when it takes it back, a
//! plan that had looked at a bound value was parsed and planned again on every call — the
//! incident detail's timeline and rollback-candidate queries on every `j`/`k` (60 % of the
//! store thread's time while scrolling). `Store::open` turns on SQLite's query-planner
//! stability guarantee so plans never depend on bound values.

use rusqlite::StatementStatus;

/// REGRESSION: an equality on a parameter that also serves the ORDER BY (the timeline's
/// shape) was re-prepared on each of 38 calls.
#[test]
fn a_cached_statement_is_not_planned_again_for_each_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = opsdeck::store::Store::open(&dir.path().join("cache.sqlite3")).unwrap();
    let shapes = [
        "SELECT at FROM incident_events WHERE incident_id = ?1 ORDER BY 1",
        "SELECT t.id FROM incidents i JOIN deployments t ON t.service = i.service \
         WHERE i.id = ?1 AND t.created_at <= i.created_at ORDER BY t.created_at DESC LIMIT 1",
    ];
    for sql in shapes {
        for id in 2..40_i64 {
            let mut stmt = store.conn().prepare_cached(sql).unwrap();
            let mut rows = stmt.query([id]).unwrap();
            while rows.next().unwrap().is_some() {}
        }
        let stmt = store.conn().prepare_cached(sql).unwrap();
        assert_eq!(
            stmt.get_status(StatementStatus::RePrepare),
            0,
            "re-planned on rebind: {sql}"
        );
    }
    // The detail queries themselves, through the store's API.
    for id in 2..40_i64 {
        store.incident_timeline(id).unwrap();
        store.rollback_candidate(id).unwrap();
    }
}
