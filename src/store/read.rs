//! Tab queries: each returns rows in the tab's default order, optionally only the first page.
//!
//! Startup asks for `limit = Some(page)` so the first frame reads only what it shows; the
//! runtime then loads the rest in the background. Every default order is served by an index
//! (see [`super::schema`]). Pending/conflict flags come from the outbox in the same query.

use chrono::{DateTime, Utc};
use rusqlite::{params, Row};

use super::{from_opt_ts, from_ts, json_list, ts, Result, Store};

pub mod checklist_window;
mod customers;
mod deployments;
mod filter_sql;
mod slos;
pub mod window;
use crate::domain::{Alert, Bug, ChecklistDoc, ChecklistItem, Incident, IncidentEvent, Tab};

/// Counts shown in the tab titles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TabCounts {
    /// Customers not churned.
    pub customers: u32,
    /// Open bugs.
    pub bugs: u32,
    /// Open incidents.
    pub incidents: u32,
    /// Firing (active) alerts.
    pub alerts: u32,
    /// Deployments in the last 7 days.
    pub deployments: u32,
    /// SLOs.
    pub slos: u32,
    /// Open checklist items.
    pub checklist_open: u32,
}

impl TabCounts {
    /// The count for one tab's title.
    #[must_use]
    pub fn for_tab(&self, tab: Tab) -> u32 {
        match tab {
            Tab::Customers => self.customers,
            Tab::Bugs => self.bugs,
            Tab::Incidents => self.incidents,
            Tab::Deployments => self.deployments,
            Tab::Slos => self.slos,
            Tab::Checklist => self.checklist_open,
        }
    }
}

/// Per-source sync state for the status bar and the sources view.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    /// Source name.
    pub source: String,
    /// Connector kind.
    pub kind: String,
    /// Cursor (remote updated_at or token).
    pub cursor: Option<String>,
    /// Rate-limited until.
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// Last attempt.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Last success.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Last error.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<DateTime<Utc>>,
}

const PENDING: &str = "EXISTS (SELECT 1 FROM outbox o WHERE o.entity_kind = ?K AND o.entity_id = t.id AND o.state IN ('pending', 'inflight'))";
const CONFLICT: &str = "EXISTS (SELECT 1 FROM outbox o WHERE o.entity_kind = ?K AND o.entity_id = t.id AND o.state = 'conflict')";

/// The bugs tab's order: open first, then priority, most recently updated first. Served by the
/// `bugs_list_order` index (schema v5), so a first page reads only its own rows.
pub const BUGS_ORDER_BY: &str = "t.status = 'closed', t.priority, t.updated_at DESC, t.id";

/// The incidents tab's order: triggered, then acknowledged, then the rest, newest first. Served
/// by the `incidents_list_order` index (schema v5).
pub const INCIDENTS_ORDER_BY: &str =
    "CASE t.status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, t.created_at DESC, t.id";

/// What a big tab's first screen needs to know about the rows it has not read yet: how many
/// there are and how wide the widest id is, so the title and the id column are already right
/// on the first page and the full load that follows draws the same frame (issue #12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListShape {
    /// Rows in the tab's table.
    pub rows: usize,
    /// Characters in the longest id the list shows.
    pub widest_id: usize,
}

fn flags(kind: &str) -> String {
    format!(
        "{} AS pending, {} AS conflict",
        PENDING.replace("?K", &format!("'{kind}'")),
        CONFLICT.replace("?K", &format!("'{kind}'"))
    )
}

/// The columns [`checklist_item_from`] reads, over `checklist_items t`.
fn checklist_columns() -> String {
    format!(
        "t.id, t.doc_id, t.ordinal, t.section, t.grp, t.text, t.checked, t.owner, t.code, t.depth, \
         t.occurrence, t.note, t.gate, {}",
        flags("checklist_item")
    )
}

fn checklist_item_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChecklistItem> {
    Ok(ChecklistItem {
        id: r.get(0)?,
        doc_id: r.get(1)?,
        ordinal: r.get(2)?,
        section: r.get(3)?,
        group: r.get(4)?,
        text: r.get(5)?,
        checked: r.get(6)?,
        owner: r.get(7)?,
        code: r.get(8)?,
        depth: r.get(9)?,
        occurrence: r.get(10)?,
        note: r.get(11)?,
        gate: r.get(12)?,
        pending: r.get(13)?,
        conflict: r.get(14)?,
    })
}

/// Every row of a whole-list query (`limit` None) or its first `limit` rows: `columns` of
/// `table` aliased `t` in `order`, each mapped by `from` — the query behind every tab's list.
fn load_list<T>(
    conn: &rusqlite::Connection,
    columns: &str,
    table: &str,
    order: &str,
    limit: Option<u32>,
    from: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let limit = limit.map_or_else(String::new, |n| format!(" LIMIT {n}"));
    let sql = format!("SELECT {columns} FROM {table} t ORDER BY {order}{limit}");
    all_rows(&mut conn.prepare(&sql)?, [], from)
}

/// Text column `i` of row `r`, borrowed from the row (`None` for NULL). The mappers parse or
/// decode such columns and keep only the result, so reading them as a `String` first cost an
/// allocation per column per row on the list paths.
fn text_at<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    let v = r.get_ref(i)?;
    v.as_str_or_null()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), Box::new(e)))
}

/// A text column the schema declares `NOT NULL`, borrowed; NULL is an error, as `r.get` has it.
fn text_not_null<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    text_at(r, i)?.ok_or(rusqlite::Error::InvalidColumnType(
        i,
        String::new(),
        rusqlite::types::Type::Null,
    ))
}

/// Column `i` parsed as `T` (an enum stored as its name), `fallback` when it does not parse.
fn parse_at<T: std::str::FromStr>(r: &Row<'_>, i: usize, fallback: T) -> rusqlite::Result<T> {
    Ok(text_not_null(r, i)?.parse().unwrap_or(fallback))
}

/// A JSON-list column (see [`json_list`]), decoded straight from the row.
fn json_list_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    Ok(json_list(text_not_null(r, i)?))
}

/// Every row `stmt` returns for `params`, each mapped by `map` (the one loop every list
/// query ends in; the caller chooses `prepare` or `prepare_cached`).
fn all_rows<T, P: rusqlite::Params>(
    stmt: &mut rusqlite::Statement<'_>,
    params: P,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let rows = stmt.query_map(params, map)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The columns [`bug_from`] reads, for a bugs table aliased `t` (the body cut to
/// [`Store::BODY_PREVIEW_CHARS`]).
fn bug_columns() -> String {
    format!(
        "t.id, t.source, t.external_id, t.key, t.title, substr(t.body, 1, {}), t.priority, t.status, t.assignee, \
         t.labels, t.customers, t.created_at, t.updated_at, t.closed_at, t.url, {}",
        Store::BODY_PREVIEW_CHARS,
        flags("bug")
    )
}

/// The columns [`incident_from`] reads, for an incidents table aliased `t`.
fn incident_columns() -> String {
    format!(
        "t.id, t.source, t.external_id, t.number, t.title, t.severity, t.status, t.service, t.assignee, \
         t.created_at, t.acknowledged_at, t.resolved_at, t.url, t.customers, {}",
        flags("incident")
    )
}

fn bug_from(r: &Row<'_>) -> rusqlite::Result<Bug> {
    Ok(Bug {
        id: r.get(0)?,
        source: r.get(1)?,
        external_id: r.get(2)?,
        key: r.get(3)?,
        title: r.get(4)?,
        body: r.get(5)?,
        priority: parse_at(r, 6, crate::domain::Priority::P3)?,
        status: parse_at(r, 7, crate::domain::BugStatus::Open)?,
        assignee: r.get(8)?,
        labels: json_list_at(r, 9)?,
        customers: json_list_at(r, 10)?,
        created_at: from_ts(r.get(11)?),
        updated_at: from_ts(r.get(12)?),
        closed_at: from_opt_ts(r.get(13)?),
        url: r.get(14)?,
        pending: r.get(15)?,
        conflict: r.get(16)?,
    })
}

fn incident_from(r: &Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        source: r.get(1)?,
        external_id: r.get(2)?,
        number: r.get(3)?,
        title: r.get(4)?,
        severity: parse_at(r, 5, crate::domain::Priority::P3)?,
        status: parse_at(r, 6, crate::domain::IncidentStatus::Triggered)?,
        service: r.get(7)?,
        assignee: r.get(8)?,
        created_at: from_ts(r.get(9)?),
        acknowledged_at: from_opt_ts(r.get(10)?),
        resolved_at: from_opt_ts(r.get(11)?),
        url: r.get(12)?,
        customers: json_list_at(r, 13)?,
        pending: r.get(14)?,
        conflict: r.get(15)?,
    })
}

impl Store {
    /// Most body text a list row carries: the detail pane shows a screenful, and 10,000 bugs
    /// with long bodies must not all sit in memory.
    pub const BODY_PREVIEW_CHARS: i64 = 2048;

    /// `(every row, open rows)` of `table` as the schema-v8 triggers keep them in
    /// `row_counts` (`open` as the tab bar counts it: bugs not closed, incidents not resolved,
    /// checklist items not checked); exact, and read in O(1).
    ///
    /// # Errors
    /// SQLite errors; [`crate::store::StoreError::Corrupt`] when the table has no counts row.
    pub fn row_counts(&self, table: &str) -> Result<(i64, i64)> {
        use rusqlite::OptionalExtension;
        self.conn()
            .prepare_cached("SELECT total_rows, open_rows FROM row_counts WHERE tbl = ?1")?
            .query_row([table], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| crate::store::StoreError::Corrupt(format!("no row counts for {table}")))
    }

    /// Row count and widest id of a paged tab (bugs, incidents, deployments); `None` for the
    /// small tabs, which load whole at once.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn list_shape(&self, tab: Tab) -> Result<Option<ListShape>> {
        let (table, id) = match tab {
            Tab::Bugs => ("bugs", "key"),
            Tab::Incidents => ("incidents", "external_id"),
            Tab::Deployments => ("deployments", "sha"),
            _ => return Ok(None),
        };
        // The count is kept by the schema-v8 triggers (a `count(*)` read the whole smallest
        // index: O(rows) before the first row, issue #12); SQLite answers a lone
        // `max(length(..))` from the last entry of the schema-v5 `*_id_width` index.
        let (rows, _) = self.row_counts(table)?;
        let widest: Option<i64> =
            self.conn()
                .query_row(&format!("SELECT max(length({id})) FROM {table}"), [], |r| {
                    r.get(0)
                })?;
        let widest = widest.unwrap_or(0);
        Ok(Some(ListShape {
            rows: usize::try_from(rows).unwrap_or(0),
            widest_id: usize::try_from(widest).unwrap_or(0),
        }))
    }

    /// Bugs: open first, then by priority, then most recently updated.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_bugs(&self, limit: Option<u32>) -> Result<Vec<Bug>> {
        let columns = bug_columns();
        load_list(
            self.conn(),
            &columns,
            "bugs",
            BUGS_ORDER_BY,
            limit,
            bug_from,
        )
    }

    /// Incidents: open first (triggered, acknowledged), newest first.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_incidents(&self, limit: Option<u32>) -> Result<Vec<Incident>> {
        let (columns, order) = (incident_columns(), INCIDENTS_ORDER_BY);
        load_list(
            self.conn(),
            &columns,
            "incidents",
            order,
            limit,
            incident_from,
        )
    }

    /// Alerts: firing first, newest first.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_alerts(&self) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT t.id, t.source, t.fingerprint, t.name, t.severity, t.service, t.state, t.labels, t.annotations, \
             t.starts_at, t.silenced_by, {} FROM alerts t ORDER BY t.state != 'active', t.starts_at DESC",
            flags("alert")
        );
        let mut alerts = all_rows(&mut self.conn().prepare(&sql)?, [], |r| {
            Ok(Alert {
                id: r.get(0)?,
                source: r.get(1)?,
                fingerprint: r.get(2)?,
                name: r.get(3)?,
                severity: r.get(4)?,
                service: r.get(5)?,
                state: parse_at(r, 6, crate::domain::AlertState::Active)?,
                labels: serde_json::from_str(text_not_null(r, 7)?).unwrap_or_default(),
                annotations: serde_json::from_str(text_not_null(r, 8)?).unwrap_or_default(),
                starts_at: from_ts(r.get(9)?),
                silenced_by: json_list_at(r, 10)?,
                pending: r.get(11)?,
                silences: Vec::new(),
            })
        })?;
        let known = super::incidents::load_silences(self.conn())?;
        for a in &mut alerts {
            a.silences = a
                .silenced_by
                .iter()
                .filter_map(|id| known.get(&(a.source.clone(), id.clone())).cloned())
                .collect();
        }
        Ok(alerts)
    }

    /// Registered checklist documents.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn checklist_docs(&self) -> Result<Vec<ChecklistDoc>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, path, title, synced_at, last_error FROM checklist_docs ORDER BY id",
        )?;
        all_rows(&mut stmt, [], |r| {
            Ok(ChecklistDoc {
                id: r.get(0)?,
                path: r.get(1)?,
                title: r.get(2)?,
                synced_at: from_opt_ts(r.get(3)?),
                last_error: r.get(4)?,
            })
        })
    }

    /// Items of every document, in document order.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_checklist(&self) -> Result<Vec<ChecklistItem>> {
        let (columns, order) = (checklist_columns(), "t.doc_id, t.ordinal");
        load_list(
            self.conn(),
            &columns,
            "checklist_items",
            order,
            None,
            checklist_item_from,
        )
    }

    /// Counts for the tab titles (O(1) from `row_counts` for the big tables, index-served for
    /// the rest).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn tab_counts(&self, now: DateTime<Utc>) -> Result<TabCounts> {
        let c = self.conn();
        let one = |sql: &str| -> Result<u32> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
        let open = |table: &str| -> Result<u32> {
            Ok(u32::try_from(self.row_counts(table)?.1).unwrap_or(0))
        };
        Ok(TabCounts {
            customers: one("SELECT count(*) FROM customers WHERE stage != 'churned'")?,
            bugs: open("bugs")?,
            incidents: open("incidents")?,
            alerts: one("SELECT count(*) FROM alerts WHERE state = 'active'")?,
            deployments: c.query_row(
                "SELECT count(*) FROM deployments WHERE created_at >= ?1",
                [ts(now) - 7 * 86_400],
                |r| r.get(0),
            )?,
            slos: one("SELECT count(*) FROM slos")?,
            checklist_open: open("checklist_items")?,
        })
    }

    /// The merged timeline of an incident: the source's log entries and opsdeck's own audit.
    ///
    /// An audit entry's text is what the user typed: a note's body (the audit value) or, for the
    /// commit of a resolve, the resolution text of its outbox entry; otherwise the audit value.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn incident_timeline(&self, incident_id: i64) -> Result<Vec<IncidentEvent>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT at, kind, who, text, 'source' FROM incident_events WHERE incident_id = ?1 \
             UNION ALL \
             SELECT a.at, a.action, a.actor, \
                    CASE WHEN a.old_value IS NOT NULL AND a.new_value = 'resolved' \
                         THEN COALESCE(json_extract(o.op, '$.resolution'), a.new_value) \
                         ELSE COALESCE(a.new_value, '') END, 'opsdeck' \
             FROM audit a LEFT JOIN outbox o ON o.op_id = a.op_id \
             WHERE a.entity_kind = 'incident' AND a.entity_id = ?1 \
             ORDER BY 1, 5",
        )?;
        all_rows(&mut stmt, [incident_id], |r| {
            Ok(IncidentEvent {
                at: from_ts(r.get(0)?),
                kind: r.get(1)?,
                who: r.get(2)?,
                text: r.get(3)?,
                origin: r.get(4)?,
            })
        })
    }

    /// Every source's sync state.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn sync_states(&self) -> Result<Vec<SyncState>> {
        let mut stmt = self.conn().prepare(
            "SELECT source, kind, cursor, rate_limited_until, last_attempt_at, last_success_at, last_error, last_error_at \
             FROM sync_state ORDER BY source",
        )?;
        all_rows(&mut stmt, [], |r| {
            Ok(SyncState {
                source: r.get(0)?,
                kind: r.get(1)?,
                cursor: r.get(2)?,
                rate_limited_until: from_opt_ts(r.get(3)?),
                last_attempt_at: from_opt_ts(r.get(4)?),
                last_success_at: from_opt_ts(r.get(5)?),
                last_error: r.get(6)?,
                last_error_at: from_opt_ts(r.get(7)?),
            })
        })
    }

    /// The review note saved for a week and area.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn review_notes(&self, week: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT area, text FROM review_notes WHERE week = ?1 ORDER BY area")?;
        all_rows(&mut stmt, params![week], |r| Ok((r.get(0)?, r.get(1)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BugStatus;

    /// The borrowed-column readers keep what the owned reads did: an unknown enum name reads
    /// as the fallback, junk in a JSON-list column as an empty list, a date-less NULL as
    /// `None`, and NULL where the schema promises text is an error rather than a guess.
    #[test]
    fn borrowed_columns_read_as_the_owned_reads_did() -> rusqlite::Result<()> {
        let conn = rusqlite::Connection::open_in_memory()?;
        conn.query_row(
            "SELECT 'reopened', '[\"a\",\"b\"]', 'not json', NULL, 'closed'",
            [],
            |r| {
                assert_eq!(
                    parse_at(r, 0, BugStatus::InProgress)?,
                    BugStatus::InProgress
                );
                assert_eq!(parse_at(r, 4, BugStatus::InProgress)?, BugStatus::Closed);
                assert_eq!(json_list_at(r, 1)?, vec!["a".to_string(), "b".to_string()]);
                assert!(json_list_at(r, 2)?.is_empty());
                assert_eq!(text_at(r, 3)?, None);
                assert!(text_not_null(r, 3).is_err());
                assert!(json_list_at(r, 3).is_err());
                Ok(())
            },
        )
    }
}
