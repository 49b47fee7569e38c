//! The one place that decides which rows an action applies to.
//!
//! Rule: the marked rows if any row of the list is marked — all of them, including rows a
//! filter hides — else the cursor row. Confirmations and prompt titles name the targets
//! ("Label 2 bugs: #509, #512"), so the screen always says what an edit will touch. Actions
//! that cannot apply to several rows ask [`single`], which refuses (with a message for the
//! status line) when more than one row is marked.

use super::rows::RowView;
use super::state::ListState;

/// The rows an action applies to, in list (storage) order.
#[must_use]
pub fn of<R: RowView>(list: &ListState<R>) -> Vec<&R> {
    if list.marked.is_empty() {
        return list.selected_row().into_iter().collect();
    }
    // A windowed list holds only some rows: marked rows outside the window come from the
    // copies taken when they were marked (at their position then), so a bulk action reaches
    // every marked row however far apart.
    let mut rows: Vec<(usize, &R)> = list
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| list.marked.contains(&r.entity().id))
        .map(|(i, r)| (list.offset + i, r))
        .collect();
    for (id, (pos, row)) in &list.marked_rows {
        if list.marked.contains(id) && !rows.iter().any(|(_, r)| r.entity().id == *id) {
            rows.push((*pos, row));
        }
    }
    rows.sort_by_key(|(pos, _)| *pos);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// The one row a single-row action applies to: the only marked row, or the cursor row.
///
/// # Errors
/// The number of marked rows when several are marked (the action must not guess).
pub fn single<R: RowView>(list: &ListState<R>) -> Result<Option<&R>, usize> {
    let rows = of(list);
    match rows.len() {
        0 => Ok(None),
        1 => Ok(rows.into_iter().next()),
        n => Err(n),
    }
}

/// The message shown when a single-row action meets several marked rows.
#[must_use]
pub fn refuse_many(what: &str, marked: usize) -> String {
    format!("{what} works on one row at a time: {marked} rows are marked (space unmarks)")
}

/// Names the targets for a confirmation: `2 bugs: #509, #512` (at most 8 ids, then `+N more`).
#[must_use]
pub fn describe<R: RowView>(rows: &[&R], noun: &str) -> String {
    const SHOWN: usize = 8;
    let mut ids: Vec<String> = rows.iter().take(SHOWN).map(|r| r.copy_id()).collect();
    if rows.len() > SHOWN {
        ids.push(format!("+{} more", rows.len() - SHOWN));
    }
    let plural = if rows.len() == 1 { "" } else { "s" };
    format!("{} {noun}{plural}: {}", rows.len(), ids.join(", "))
}
