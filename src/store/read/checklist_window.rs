//! Windows of the checklist tab (issue #12): a few screens of items at an absolute position of
//! the list the tab shows, how many items that list has, where one item sits in it, and each
//! section's progress from SQL aggregates — so the tab holds what it draws, not every item.
//!
//! The list is the one `State` builds from every item today (`refresh_checklist_view` and the
//! tab's renderer): items ordered by document, then by where their section first appears in
//! the document, then by position; a folded section keeps only its first item (which stands
//! for the heading); `open only` hides done items of unfolded sections; every word of the `/`
//! filter must occur, as a substring, in the section, group, text or owner (ASCII case
//! ignored, as [`super::window`]'s lists and [`crate::app::filter::words_match`]).
//! Headings are not rows here: a window's first item names its `(doc_id, section)`, which
//! [`Store::checklist_sections`] describes, so a heading is drawn from the item's own fields.
//! Seeks use the `checklist_items_by_section` index (schema v7).

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::filter_sql::word_terms;
use super::window::{count, count_and_before, count_rows, key_values};
use super::{all_rows, checklist_columns, checklist_item_from};
use crate::domain::ChecklistItem;
use crate::store::{Result, Store};

/// What the checklist tab shows: filter text, `open only`, and folded section names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChecklistQuery {
    /// The `/` filter text.
    pub filter: String,
    /// Hide done items (of unfolded sections).
    pub open_only: bool,
    /// Folded section names (a name folds it in every document, as the tab does).
    pub folded: Vec<String>,
}

/// What hides checklist items besides the filter: `open only` and folded section names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChecklistHide {
    /// Hide done items (of unfolded sections).
    pub open_only: bool,
    /// Folded section names.
    pub folded: Vec<String>,
}

impl ChecklistQuery {
    /// The list for a filter text and what else hides items.
    #[must_use]
    pub fn of(filter: &str, hide: &ChecklistHide) -> ChecklistQuery {
        ChecklistQuery {
            filter: filter.to_string(),
            open_only: hide.open_only,
            folded: hide.folded.clone(),
        }
    }
}

/// One section of one document: progress over all its items, and how many of its items the
/// list `q` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistSection {
    /// Document.
    pub doc_id: i64,
    /// Section heading.
    pub section: String,
    /// Items done.
    pub done: usize,
    /// Items in total.
    pub total: usize,
    /// The section is a gate.
    pub gate: bool,
    /// Items of this section in the list (its folded anchor counts as one).
    pub shown: usize,
}

/// Ordinal of the first item of an item's section in its document (an index seek).
const FIRST: &str = "(SELECT min(s.ordinal) FROM checklist_items s \
     WHERE s.doc_id = t.doc_id AND s.section = t.section)";

/// The display order: document, section by first appearance, position, id (unique).
fn order_keys() -> String {
    format!("t.doc_id, {FIRST}, t.ordinal, t.id")
}

/// The condition an item meets to be in the list `q`; pushes its parameters.
fn shown_sql(q: &ChecklistQuery, params: &mut Vec<Value>) -> String {
    let folded = serde_json::Value::from(q.folded.clone()).to_string();
    params.push(Value::Text(folded));
    let f = params.len();
    params.push(Value::Integer(i64::from(q.open_only)));
    let o = params.len();
    let mut parts = vec![format!(
        "(CASE WHEN t.section IN (SELECT value FROM json_each(?{f})) \
         THEN t.ordinal = {FIRST} ELSE (?{o} = 0 OR t.checked = 0) END)"
    )];
    let hay = ["t.section", "t.grp", "t.text", "coalesce(t.owner, '')"];
    parts.extend(word_terms(&hay, None, &q.filter, params));
    parts.join(" AND ")
}

impl Store {
    /// Items in the checklist list `q`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn checklist_count(&self, q: &ChecklistQuery) -> Result<usize> {
        let mut params = Vec::new();
        let sql = format!(
            "SELECT count(*) FROM checklist_items t WHERE {}",
            shown_sql(q, &mut params)
        );
        count_rows(self.conn(), &sql, params)
    }

    /// The list's item count and where item `id` sits in it (0-based; `None` when the list
    /// does not show it: gone, filtered out, done under `open only`, or folded away).
    ///
    /// # Errors
    /// SQLite errors.
    pub fn checklist_count_and_position(
        &self,
        q: &ChecklistQuery,
        id: i64,
    ) -> Result<(usize, Option<usize>)> {
        let mut params = Vec::new();
        let shown = shown_sql(q, &mut params);
        let sql = format!(
            "SELECT {} FROM checklist_items t WHERE {shown} AND t.id = ?{}",
            order_keys(),
            params.len() + 1
        );
        let Some(key) = key_values(self.conn(), &sql, &params, id, 4)? else {
            return Ok((self.checklist_count(q)?, None));
        };
        let first = params.len() + 1;
        params.extend(key);
        let sql = format!(
            "SELECT count(*), coalesce(sum(({}) < (?{first}, ?{}, ?{}, ?{})), 0) \
             FROM checklist_items t WHERE {shown}",
            order_keys(),
            first + 1,
            first + 2,
            first + 3
        );
        count_and_before(self.conn(), &sql, params)
    }

    /// Items `offset..offset + limit` of the checklist list `q`.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_checklist_window(
        &self,
        q: &ChecklistQuery,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ChecklistItem>> {
        let mut params = Vec::new();
        let sql = format!(
            "SELECT {} FROM checklist_items t WHERE {} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            checklist_columns(),
            shown_sql(q, &mut params),
            order_keys()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        all_rows(&mut stmt, params_from_iter(params), checklist_item_from)
    }

    /// Every section of every document in display order, with its progress over all its
    /// items (what headings, gates and the completion table show) and how many items the
    /// list `q` shows of it (whether, and where, its heading is drawn). One grouped pass.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn checklist_sections(&self, q: &ChecklistQuery) -> Result<Vec<ChecklistSection>> {
        let mut params = Vec::new();
        let sql = format!(
            "SELECT t.doc_id, t.section, count(*), coalesce(sum(t.checked != 0), 0), \
             max(t.gate != 0), coalesce(sum({}), 0) FROM checklist_items t \
             GROUP BY t.doc_id, t.section ORDER BY t.doc_id, min(t.ordinal)",
            shown_sql(q, &mut params)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        all_rows(&mut stmt, params_from_iter(params), |r| {
            Ok(ChecklistSection {
                doc_id: r.get(0)?,
                section: r.get(1)?,
                total: count(r.get(2)?),
                done: count(r.get(3)?),
                gate: r.get(4)?,
                shown: count(r.get(5)?),
            })
        })
    }
}
