//! Windows of the paged lists (bugs, incidents, deployments): a few screens of rows at an
//! absolute position of the filtered, sorted list, how many rows that list has, and where one
//! row sits in it — so the UI holds what it shows, not the table (issue #12).
//!
//! Filter: every whitespace-separated word of the query must occur, as a substring, in one of
//! the columns the list shows (the columns [`crate::app::rows::RowView::haystack_into`]
//! writes); case is ignored for ASCII letters only (SQLite's `LIKE`), other characters match
//! exactly. [`crate::app::filter::words_match`] applies the same rule to the small tabs.
//! Order: the sort column (if any), then the tab's default order, then the row id, so every
//! row has one position and windows fetched at different times stitch together.
//! Paging is `LIMIT/OFFSET` over the default-order indexes (schema v5): at 500k bugs an
//! `OFFSET 499700` walks the index in ~20 ms without reading the skipped rows.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::deployments::{deployment_columns, deployment_from};
use super::filter_sql::word_terms;
use super::{all_rows, bug_columns, bug_from, incident_columns, incident_from};
use crate::domain::{Bug, Deployment, Incident, Tab};
use crate::store::{Result, Store};

/// Rows a window holds: enough for a tall terminal's screen on either side of the cursor.
pub const WINDOW_ROWS: usize = 240;

/// What a paged list shows: its filter text and sort column (0 = default order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    /// The `/` filter text.
    pub filter: String,
    /// Sort column, 1-based as in [`crate::app::rows::RowView::SORTS`]; 0 is the default order.
    pub sort: usize,
}

/// One ordering key: an SQL expression over the table aliased `t`, and whether it is
/// descending. No expression may be NULL (the position query compares them).
type Key = (&'static str, bool);

struct Spec {
    table: &'static str,
    /// The columns the filter matches, as text.
    hay: &'static [&'static str],
    /// A column holding a JSON array of strings (as [`crate::store::to_json_list`] writes it)
    /// the filter also matches, element by element (see [`super::filter_sql`]).
    list: Option<&'static str>,
    /// Sort columns 1.. (same meaning as the row type's `sort_key`).
    sorts: &'static [Key],
    /// The default order, ending with a unique key.
    default: &'static [Key],
}

const BUGS: Spec = Spec {
    table: "bugs",
    hay: &[
        "t.key",
        "t.title",
        "t.priority",
        "t.status",
        "coalesce(t.assignee, '')",
    ],
    list: Some("t.labels"),
    sorts: &[
        ("t.priority", false),
        ("t.created_at", false),
        ("lower(coalesce(t.assignee, '~'))", false),
        ("lower(t.key)", false),
    ],
    default: &[
        ("t.status = 'closed'", false),
        ("t.priority", false),
        ("t.updated_at", true),
        ("t.id", false),
    ],
};

const INCIDENTS: Spec = Spec {
    table: "incidents",
    hay: &[
        "t.external_id",
        "t.title",
        "t.severity",
        "t.status",
        "t.service",
        "coalesce(t.assignee, '')",
    ],
    list: None,
    sorts: &[
        ("t.severity", false),
        ("t.created_at", true),
        ("lower(t.service)", false),
    ],
    default: &[
        (
            "CASE t.status WHEN 'triggered' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END",
            false,
        ),
        ("t.created_at", true),
        ("t.id", false),
    ],
};

const DEPLOYMENTS: Spec = Spec {
    table: "deployments",
    hay: &[
        "t.service",
        "t.environment",
        "t.git_ref",
        "substr(t.sha, 1, 7)",
        "t.status",
        "t.creator",
    ],
    list: None,
    sorts: &[
        ("lower(t.service)", false),
        ("t.status", false),
        ("-max(coalesce(t.finished_at - t.created_at, 0), 0)", false),
    ],
    default: &[("t.created_at", true), ("t.id", true)],
};

/// The columns `incident_from` reads, with the text the derived figures never read left
/// empty: ~12k rows of them are read at once for the figures, and only the figures stay.
const LEAN_INCIDENT: &str = "t.id, '', t.external_id, t.number, '', t.severity, t.status, \
     t.service, NULL, t.created_at, t.acknowledged_at, t.resolved_at, NULL, '[]', 0, 0";

/// The columns `deployment_from` reads, with what the DORA panel never reads left empty.
const LEAN_DEPLOYMENT: &str = "t.id, '', t.external_id, t.service, t.environment, '', '', \
     t.status, '', t.created_at, t.finished_at, t.rollback_of, t.rolled_back, NULL, \
     t.commit_times, \
     (SELECT json_group_array(incident_key) FROM deployment_incidents d WHERE d.deployment_id = t.id), \
     0, 0";

fn spec(tab: Tab) -> Option<&'static Spec> {
    match tab {
        Tab::Bugs => Some(&BUGS),
        Tab::Incidents => Some(&INCIDENTS),
        Tab::Deployments => Some(&DEPLOYMENTS),
        _ => None,
    }
}

/// Whether a tab's list is paged in windows (the others load whole: they are small).
#[must_use]
pub fn is_paged(tab: Tab) -> bool {
    spec(tab).is_some()
}

/// `WHERE …` for the filter (empty when there is none); pushes its parameters.
fn where_sql(spec: &Spec, filter: &str, params: &mut Vec<Value>) -> String {
    let parts = word_terms(spec.hay, spec.list, filter, params);
    if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    }
}

fn keys(spec: &Spec, sort: usize) -> Vec<Key> {
    let mut keys = Vec::with_capacity(spec.default.len() + 1);
    if let Some(k) = sort.checked_sub(1).and_then(|i| spec.sorts.get(i)) {
        keys.push(*k);
    }
    // A default key equal to the sort key orders nothing more; dropping it lets the sort
    // column's index (schema v6) serve the whole order.
    for k in spec.default {
        if !keys.iter().any(|(e, _)| *e == k.0) {
            keys.push(*k);
        }
    }
    keys
}

fn order_sql(keys: &[Key]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|(e, desc)| {
            if *desc {
                format!("{e} DESC")
            } else {
                e.to_string()
            }
        })
        .collect();
    format!(" ORDER BY {}", parts.join(", "))
}

/// `k1 < v1 OR (k1 = v1 AND (k2 < v2 OR (…)))` with `>` for descending keys: the rows before
/// one whose key values are bound from parameter `first` on.
fn before_sql(keys: &[Key], first: usize) -> String {
    let mut sql = String::new();
    for (i, (e, desc)) in keys.iter().enumerate().rev() {
        let n = first + i;
        let op = if *desc { ">" } else { "<" };
        // Parenthesized: `t.status = 'closed' < ?1` would compare 'closed' first.
        sql = if sql.is_empty() {
            format!("({e}) {op} ?{n}")
        } else {
            format!("({e}) {op} ?{n} OR (({e}) = ?{n} AND ({sql}))")
        };
    }
    sql
}

/// The SQL of a window (ids only) for `EXPLAIN QUERY PLAN` checks.
///
/// # Errors
/// A tab that is not paged.
pub fn window_sql_for(tab: Tab, q: &ListQuery, offset: usize, limit: usize) -> Result<String> {
    let spec = paged(tab)?;
    let mut params = Vec::new();
    let filter = where_sql(spec, &q.filter, &mut params);
    Ok(format!(
        "SELECT t.id FROM {} t{filter}{} LIMIT {limit} OFFSET {offset}",
        spec.table,
        order_sql(&keys(spec, q.sort))
    ))
}

fn paged(tab: Tab) -> Result<&'static Spec> {
    spec(tab).ok_or_else(|| {
        crate::store::StoreError::Refused(format!("the {tab:?} tab is not paged in windows"))
    })
}

/// A count SQLite returned, as a `usize` (a negative one, which no count is, reads as 0).
pub(super) fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The rows `sql` (a `SELECT count(*) …` over the list's filter `params`) counts.
pub(super) fn count_rows(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached(sql)?
        .query_row(params_from_iter(params), |r| r.get(0))?;
    Ok(count(n))
}

/// The first step of placing row `id` in a list: the values of its `keys` order keys, as `sql`
/// selects them with the list's filter `params` and `id` bound after them; `None` when the list
/// does not show the row.
pub(super) fn key_values(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    id: i64,
    keys: usize,
) -> Result<Option<Vec<Value>>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let id = Value::Integer(id);
    let mut rows = stmt.query(params_from_iter(params.iter().chain([&id])))?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let values = (0..keys).map(|i| r.get::<_, Value>(i));
    Ok(Some(values.collect::<rusqlite::Result<_>>()?))
}

/// The second step: `(rows in the list, rows before the placed one)` from `sql`, a
/// `SELECT count(*), coalesce(sum(<before>), 0) …` with the filter and key values in `params`.
pub(super) fn count_and_before(
    conn: &Connection,
    sql: &str,
    params: Vec<Value>,
) -> Result<(usize, Option<usize>)> {
    let (n, before): (i64, i64) = conn
        .prepare_cached(sql)?
        .query_row(params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((count(n), Some(count(before))))
}

impl Store {
    /// Rows of a paged tab's list that pass the filter.
    ///
    /// # Errors
    /// SQLite errors; a tab that is not paged.
    pub fn list_count(&self, tab: Tab, q: &ListQuery) -> Result<usize> {
        let spec = paged(tab)?;
        let mut params = Vec::new();
        let sql = format!(
            "SELECT count(*) FROM {} t{}",
            spec.table,
            where_sql(spec, &q.filter, &mut params)
        );
        count_rows(self.conn(), &sql, params)
    }

    /// Where row `id` sits in the list (0-based), or `None` if it is not in it (gone, or the
    /// filter hides it).
    ///
    /// # Errors
    /// SQLite errors; a tab that is not paged.
    pub fn list_position(&self, tab: Tab, q: &ListQuery, id: i64) -> Result<Option<usize>> {
        Ok(self.list_count_and_position(tab, q, id)?.1)
    }

    /// The list's row count and where row `id` sits in it, in one pass (a filtered list is
    /// scanned once, not once to count and once to place the row).
    ///
    /// # Errors
    /// SQLite errors; a tab that is not paged.
    pub fn list_count_and_position(
        &self,
        tab: Tab,
        q: &ListQuery,
        id: i64,
    ) -> Result<(usize, Option<usize>)> {
        let spec = paged(tab)?;
        let keys = keys(spec, q.sort);
        let mut params = Vec::new();
        let filter = where_sql(spec, &q.filter, &mut params);
        let cols: Vec<&str> = keys.iter().map(|(e, _)| *e).collect();
        let and = if filter.is_empty() { " WHERE" } else { " AND" };
        let sql = format!(
            "SELECT {} FROM {} t{filter}{and} t.id = ?{}",
            cols.join(", "),
            spec.table,
            params.len() + 1
        );
        let Some(values) = key_values(self.conn(), &sql, &params, id, keys.len())? else {
            return Ok((self.list_count(tab, q)?, None));
        };
        let first = params.len() + 1;
        params.extend(values);
        let sql = format!(
            "SELECT count(*), coalesce(sum({}), 0) FROM {} t{filter}",
            before_sql(&keys, first),
            spec.table,
        );
        count_and_before(self.conn(), &sql, params)
    }

    /// Rows `offset..offset + limit` of the paged list `q` of `tab`: `columns` selected over
    /// the table aliased `t`, each row mapped by `from` (the one query all three windows run).
    fn load_window<T>(
        &self,
        tab: Tab,
        columns: &str,
        q: &ListQuery,
        offset: usize,
        limit: usize,
        from: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let spec = paged(tab)?;
        let mut params = Vec::new();
        let sql = format!(
            "SELECT {columns} FROM {} t{}{} LIMIT {limit} OFFSET {offset}",
            spec.table,
            where_sql(spec, &q.filter, &mut params),
            order_sql(&keys(spec, q.sort))
        );
        all_rows(
            &mut self.conn().prepare(&sql)?,
            params_from_iter(params),
            from,
        )
    }

    /// Bugs `offset..offset + limit` of the list `q`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_bugs_window(&self, q: &ListQuery, offset: usize, limit: usize) -> Result<Vec<Bug>> {
        self.load_window(Tab::Bugs, &bug_columns(), q, offset, limit, bug_from)
    }

    /// Incidents `offset..offset + limit` of the list `q`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_incidents_window(
        &self,
        q: &ListQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Incident>> {
        self.load_window(
            Tab::Incidents,
            &incident_columns(),
            q,
            offset,
            limit,
            incident_from,
        )
    }

    /// Deployments `offset..offset + limit` of the list `q`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_deployments_window(
        &self,
        q: &ListQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Deployment>> {
        self.load_window(
            Tab::Deployments,
            &deployment_columns(),
            q,
            offset,
            limit,
            deployment_from,
        )
    }

    /// Incidents the team figures and the DORA panel need, with only the fields they read
    /// (source, title, assignee, URL and customers are left empty): every one created since
    /// `since` (Unix seconds) and
    /// every older one still open (triggered or acknowledged: the open-by-age
    /// counts), not the whole table. Both parts are index searches, so this costs what the
    /// figures count, not the table (a scan of 200k incidents held the store thread ~40 ms).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn incidents_for_figures(&self, since: i64) -> Result<Vec<Incident>> {
        let sql = format!(
            "SELECT {LEAN_INCIDENT} FROM incidents t WHERE t.created_at >= ?1 \
             UNION ALL SELECT {LEAN_INCIDENT} FROM incidents t \
             WHERE t.status IN ('triggered', 'acknowledged') AND t.created_at < ?1"
        );
        let count_sql = "SELECT (SELECT count(*) FROM incidents WHERE created_at >= ?1) + \
             (SELECT count(*) FROM incidents \
              WHERE status IN ('triggered', 'acknowledged') AND created_at < ?1)";
        self.collect_sized(count_sql, &sql, since, incident_from)
    }

    /// Deployments created at or after `since` (Unix seconds), newest first, with only the
    /// fields the DORA panel reads (source, ref, sha, creator and URL are left empty).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn deployments_since(&self, since: i64) -> Result<Vec<Deployment>> {
        let sql = format!(
            "SELECT {LEAN_DEPLOYMENT} FROM deployments t WHERE t.created_at >= ?1 \
             ORDER BY t.created_at DESC, t.id DESC"
        );
        let count_sql = "SELECT count(*) FROM deployments WHERE created_at >= ?1";
        self.collect_sized(count_sql, &sql, since, deployment_from)
    }

    /// Deployments created before `since` that link one of the incidents `keys`, with the
    /// lean fields of [`Store::deployments_since`]. The DORA guess links an incident only when
    /// no deployment links it: one outside the span still does, and without it the guess
    /// would pin the incident on a deployment inside the span.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn deployments_before_linking(&self, since: i64, keys: &[&str]) -> Result<Vec<Deployment>> {
        let sql = format!(
            "SELECT {LEAN_DEPLOYMENT} FROM deployments t WHERE t.created_at < ?1 AND t.id IN \
             (SELECT d.deployment_id FROM deployment_incidents d \
              WHERE d.incident_key IN (SELECT value FROM json_each(?2))) \
             ORDER BY t.created_at DESC, t.id DESC"
        );
        self.rows_linking(&sql, since, keys, deployment_from)
    }

    /// The rows of `sql`, which binds `since` as `?1` and the incident `keys` as `?2` (a JSON
    /// array it reads with `json_each`); no rows (and no query) without keys.
    fn rows_linking<T>(
        &self,
        sql: &str,
        since: i64,
        keys: &[&str],
        from: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = serde_json::to_string(keys).map_err(|e| {
            crate::store::StoreError::Corrupt(format!("incident keys as JSON: {e}"))
        })?;
        let mut stmt = self.conn().prepare_cached(sql)?;
        all_rows(&mut stmt, rusqlite::params![since, keys], from)
    }

    /// The rows of `sql` in a vector sized by `count_sql` (same parameter) up front: the DORA
    /// panel's ~12k deployments and ~16k incidents collected by doubling held up to 2× their
    /// size, and both copies during the last doubling (issue #12, peak RSS). The count is an
    /// index search over the same range.
    fn collect_sized<T>(
        &self,
        count_sql: &str,
        sql: &str,
        since: i64,
        from: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let n: i64 = self
            .conn()
            .prepare_cached(count_sql)?
            .query_row([since], |r| r.get(0))?;
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let mut stmt = self.conn().prepare_cached(sql)?;
        for row in stmt.query_map([since], from)? {
            out.push(row?);
        }
        Ok(out)
    }

    /// Incidents created at or after `since` (Unix seconds), and older ones still open: what
    /// the DORA panel links deployments of its longest window to. Index searches only.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn incidents_since(&self, since: i64) -> Result<Vec<Incident>> {
        self.incidents_for_figures(since)
    }

    /// Of [`Store::incidents_since`], those whose key is in `keys`: what the DORA panel reads
    /// when links are not guessed, since it then looks incidents up only by the keys its
    /// deployments link to (all 16k incidents of 91 days were held for none, issue #12).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn incidents_since_with_keys(&self, since: i64, keys: &[&str]) -> Result<Vec<Incident>> {
        let linked = "t.external_id IN (SELECT value FROM json_each(?2))";
        let sql = format!(
            "SELECT {LEAN_INCIDENT} FROM incidents t WHERE t.created_at >= ?1 AND {linked} \
             UNION ALL SELECT {LEAN_INCIDENT} FROM incidents t \
             WHERE t.status IN ('triggered', 'acknowledged') AND t.created_at < ?1 AND {linked}"
        );
        self.rows_linking(&sql, since, keys, incident_from)
    }

    /// Distinct non-empty values a completion offers, from the whole table: `what` is one of
    /// `bug_assignees`, `bug_labels`, `incident_assignees`, `services`, `incident_keys`,
    /// `checklist_owners`.
    /// Capped at `limit` values.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn distinct_values(&self, what: &str, limit: usize) -> Result<Vec<String>> {
        let sql = match what {
            "bug_assignees" => "SELECT DISTINCT assignee FROM bugs WHERE assignee IS NOT NULL AND assignee != ''",
            "bug_labels" => "SELECT DISTINCT j.value FROM bugs b, json_each(b.labels) j WHERE j.value != ''",
            "incident_assignees" => "SELECT DISTINCT assignee FROM incidents WHERE assignee IS NOT NULL AND assignee != ''",
            "services" => "SELECT service FROM incidents WHERE service != '' UNION SELECT service FROM deployments WHERE service != ''",
            "incident_keys" => "SELECT external_id FROM incidents ORDER BY created_at DESC",
            "checklist_owners" => "SELECT DISTINCT owner FROM checklist_items WHERE owner IS NOT NULL AND owner != ''",
            _ => return Ok(Vec::new()),
        };
        let sql = format!("{sql} LIMIT {limit}");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        all_rows(&mut stmt, [], |r| r.get::<_, String>(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rows_before_compare_key_by_key() {
        let keys: [Key; 2] = [("a", false), ("b", true)];
        assert_eq!(
            before_sql(&keys, 3),
            "(a) < ?3 OR ((a) = ?3 AND ((b) > ?4))"
        );
    }
}
