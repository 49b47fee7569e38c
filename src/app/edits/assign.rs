//! The assign flow bugs and incidents share: the prompt that shows the current assignee, the
//! question before an unknown name, an unassignment or a bulk change, and one edit per row.

use super::{candidates, edits_for, named, opt, text_replacing, titled};
use crate::app::msg::Effect;
use crate::app::rows::RowView;
use crate::app::state::{Overlay, PromptThen, State};
use crate::domain::{Bug, Incident, Tab};
use crate::store::Operation;

/// A row with an assignee the assign flow can change.
pub(super) trait Assignable: RowView {
    /// The tab whose people a typed name is checked against.
    const TAB: Tab;
    /// The verb of the question (`Assign`, `Reassign`).
    const VERB: &'static str;
    /// What one row is called in questions and titles.
    const NOUN: &'static str;
    /// Who the row is assigned to now.
    fn assignee(&self) -> Option<&str>;
    /// The edit that assigns the row to `new` (`None` unassigns).
    fn reassign(&self, new: Option<String>) -> Operation;
}

/// Both rows keep their assignee in an `assignee` field; only the names differ.
macro_rules! assignable {
    ($row:ty, $tab:expr, $verb:literal, $noun:literal, $op:ident) => {
        impl Assignable for $row {
            const TAB: Tab = $tab;
            const VERB: &'static str = $verb;
            const NOUN: &'static str = $noun;
            fn assignee(&self) -> Option<&str> {
                self.assignee.as_deref()
            }
            fn reassign(&self, new: Option<String>) -> Operation {
                Operation::$op {
                    old: self.assignee.clone(),
                    new,
                }
            }
        }
    };
}

assignable!(Bug, Tab::Bugs, "Assign", "bug", SetBugAssignee);
assignable!(
    Incident,
    Tab::Incidents,
    "Reassign",
    "incident",
    SetIncidentAssignee
);

/// The assignee prompt for `rows` (none when there is no row); a single row's current
/// assignee shows as the hint.
pub(super) fn prompt<R: Assignable>(rows: &[&R], title: &str) -> Option<Overlay> {
    let current = match rows {
        [one] => one.assignee(),
        _ => None,
    };
    (!rows.is_empty())
        .then(|| text_replacing(&titled(title, rows, R::NOUN), current, PromptThen::Assignee))
}

/// Assigns the rows `targets` picks to the typed `value` (empty = nobody), asking first
/// where [`question`] says so; rows already assigned to that person are left alone.
pub(super) fn answer<R: Assignable>(
    state: &mut State,
    targets: fn(&State) -> Vec<&R>,
    value: &str,
) -> Vec<Effect> {
    let new = opt(value);
    let rows: Vec<&R> = targets(state)
        .into_iter()
        .filter(|r| r.assignee() != new.as_deref())
        .collect();
    let known = candidates::people(state, R::TAB);
    let confirm = question(&rows, new.as_deref(), &known);
    let edits = edits_for(rows, |r| r.reassign(new.clone()));
    state.commit(edits, confirm)
}

/// What to ask before (re)assigning `rows` to `new`, if anything: a name nobody in the cache
/// has (`known`) is probably a typo, and an empty answer unassigns (the prompt starts empty,
/// so Enter alone must not silently clear the assignee); several rows ask as every bulk edit.
fn question<R: Assignable>(
    rows: &[&R],
    new: Option<&str>,
    known: &std::collections::BTreeSet<String>,
) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let (verb, what) = (R::VERB, named(rows, R::NOUN));
    match new {
        Some(name) if !known.contains(name) => {
            Some(format!("{verb} {what} to unknown user '{name}'?"))
        }
        None => Some(format!("Unassign {what}?")),
        Some(name) => (rows.len() > 1).then(|| format!("{verb} {what} to {name}?")),
    }
}
