//! Forward then reverse on real rows: each set-style edit lands on its column, and undo puts
//! the whole row back as it was.

use rusqlite::types::Value;

use super::*;
use crate::store::Store;

fn now() -> DateTime<Utc> {
    from_ts(1_795_000_000)
}

/// Every column of one row, in table order.
fn row(tx: &Transaction<'_>, table: &str, id: i64) -> Vec<Value> {
    let mut stmt = tx
        .prepare(&format!("SELECT * FROM {table} WHERE id = ?1"))
        .unwrap();
    let width = stmt.column_count();
    stmt.query_row([id], |r| (0..width).map(|i| r.get(i)).collect())
        .unwrap()
}

fn column(tx: &Transaction<'_>, table: &str, column: &str, id: i64) -> Value {
    tx.query_row(
        &format!("SELECT {column} FROM {table} WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

fn first_id(tx: &Transaction<'_>, sql: &str) -> i64 {
    tx.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Sets the row to `op`'s old value, applies `op`, checks `expected` columns, undoes it and
/// checks the whole row is back.
fn round_trip(
    tx: &Transaction<'_>,
    table: &str,
    id: i64,
    op: &Operation,
    expected: &[(&str, Value)],
) {
    let e = EntityRef {
        kind: EntityKind::Bug,
        id,
    };
    apply_reverse(tx, e, op, now()).unwrap();
    let before = row(tx, table, id);
    apply_forward(tx, e, op, now()).unwrap();
    for (name, value) in expected {
        assert_eq!(&column(tx, table, name, id), value, "{op:?} sets {name}");
    }
    apply_reverse(tx, e, op, now()).unwrap();
    assert_eq!(
        row(tx, table, id),
        before,
        "undoing {op:?} restores the row"
    );
}

#[test]
fn each_set_edit_writes_its_column_and_undo_restores_the_row() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .write(|tx| {
            crate::store::demo::seed(tx, now())?;
            tx.execute(
                "INSERT INTO checklist_docs (id, path) VALUES (1, 'plan.md')",
                [],
            )?;
            tx.execute(
                "INSERT INTO checklist_items (id, doc_id, ordinal, text) VALUES (1, 1, 0, 'ship')",
                [],
            )?;
            let bug = first_id(tx, "SELECT id FROM bugs ORDER BY id");
            let incident = first_id(
                tx,
                "SELECT id FROM incidents WHERE status = 'triggered' ORDER BY id",
            );
            let customer = first_id(tx, "SELECT id FROM customers ORDER BY id");
            let zoe = || Some("zoe".to_string());
            let (old, new) = (Priority::P3, Priority::P0);
            let op = Operation::SetBugPriority { old, new };
            round_trip(tx, "bugs", bug, &op, &[("priority", text("P0"))]);
            let op = Operation::SetBugAssignee {
                old: None,
                new: zoe(),
            };
            round_trip(tx, "bugs", bug, &op, &[("assignee", text("zoe"))]);
            for (new, stamp) in [
                (IncidentStatus::Acknowledged, "acknowledged_at"),
                (IncidentStatus::Resolved, "resolved_at"),
            ] {
                let (old, resolution, at) = (IncidentStatus::Triggered, None, now());
                let op = Operation::SetIncidentStatus {
                    old,
                    new,
                    resolution,
                    at,
                };
                let expected = [
                    ("status", text(new.as_str())),
                    (stamp, Value::Integer(ts(at))),
                ];
                round_trip(tx, "incidents", incident, &op, &expected);
            }
            let op = Operation::SetIncidentAssignee {
                old: None,
                new: zoe(),
            };
            round_trip(tx, "incidents", incident, &op, &[("assignee", text("zoe"))]);
            let (old, new) = ("ship".to_string(), "ship it".to_string());
            let op = Operation::SetItemText { old, new };
            round_trip(tx, "checklist_items", 1, &op, &[("text", text("ship it"))]);
            let op = Operation::SetItemOwner {
                old: None,
                new: zoe(),
            };
            round_trip(tx, "checklist_items", 1, &op, &[("owner", text("zoe"))]);
            let op = Operation::SetItemNote {
                old: None,
                new: zoe(),
            };
            round_trip(tx, "checklist_items", 1, &op, &[("note", text("zoe"))]);
            let (old, new) = (ChurnRisk::Low, ChurnRisk::High);
            let op = Operation::SetChurnRisk { old, new };
            round_trip(
                tx,
                "customers",
                customer,
                &op,
                &[("churn_risk", text("high"))],
            );
            let (field, old, new) = (
                "vertical".to_string(),
                Some("media".into()),
                Some("retail".into()),
            );
            let op = Operation::SetCustomerField { field, old, new };
            round_trip(
                tx,
                "customers",
                customer,
                &op,
                &[("vertical", text("retail"))],
            );
            Ok(())
        })
        .unwrap();
}
