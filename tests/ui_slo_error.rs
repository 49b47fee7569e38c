//! The SLO tab shows ERROR, not NO DATA, for an SLO whose latest computation failed.

mod ui_support;

use opsdeck::domain::Tab;
use opsdeck::store::write;
use ui_support::*;

/// REGRESSION: issue #11 defect 10 (tab part). An SLO whose `threshold_le` names no bucket got
/// an error stored but no counts, and its row read NO DATA like an idle service.
#[test]
fn an_slo_that_cannot_be_computed_reads_error_not_no_data() {
    let mut store = demo_store();
    let (id, name): (i64, String) = store
        .conn()
        .query_row("SELECT id, name FROM slos ORDER BY id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    store
        .write(|tx| {
            write::set_slo_error(
                tx,
                id,
                "threshold_le \"0.3\" is not a bucket of x_bucket; its buckets are le = 0.25, 0.5",
                now(),
            )
        })
        .unwrap();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Slos);
    let screen = screen(&render(&state, 160, 40));
    let row = screen
        .lines()
        .find(|l| l.contains(&name))
        .unwrap_or_else(|| panic!("no row for {name}:\n{screen}"));
    assert!(row.contains("ERROR") && !row.contains("NO DATA"), "{row}");
}
