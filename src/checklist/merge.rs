//! Three-way merge of pending checklist edits onto a plan file that changed on disk.
//!
//! This module owns the file-is-source merge. The user's pending edits are [`ItemOp`]s that
//! remember the item's key and its *old* value (taskchampion style). [`rebase`] re-applies each
//! op, in order, onto the current file (`theirs`):
//! - the item still has the op's old value → the edit is applied ([`OpOutcome::Applied`]);
//! - the item already has the new value → nothing to do ([`OpOutcome::AlreadyApplied`]);
//! - the item changed to something else, vanished, or its key became ambiguous →
//!   [`OpOutcome::Conflict`], and `theirs` is left as it is for that op. Nothing is guessed.
//!
//! A delete whose item is already gone counts as already applied (the target state "no such
//! item" holds). [`merge3`] covers the string model (`base`, `ours`, `theirs`) by deriving ops
//! from `base` → `ours` when `ours` only toggles or retexts existing items.

use super::edit::{self, Direction, EditError, Position};
use super::parse::{owner_span, parse, Document, Item, ItemKey};

/// What a pending edit does, with the value it replaces.
///
/// Old values let a rebase tell "unchanged", "already done" and "changed by someone else" apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpKind {
    /// Set the checkbox from `old` to `new`.
    SetChecked {
        /// State when the user acted.
        old: bool,
        /// Target state.
        new: bool,
    },
    /// Replace the text `old` (equal to the key's text) with `new`.
    SetText {
        /// Text when the user acted.
        old: String,
        /// Target text.
        new: String,
    },
    /// Replace the trailing owner `old` with `new` (`None` = no owner).
    SetOwner {
        /// Owner when the user acted.
        old: Option<String>,
        /// Target owner.
        new: Option<String>,
    },
    /// Insert a new unchecked item with `text` before or after the keyed (anchor) item.
    Insert {
        /// Side of the anchor.
        position: Position,
        /// Text of the new item.
        text: String,
        /// Items with the anchor's section path and this text before the insert; more than
        /// this many in the file means the insert already happened.
        existing: usize,
    },
    /// Delete the keyed item, which had checkbox state `old_checked`.
    Delete {
        /// Checkbox state when the user acted.
        old_checked: bool,
    },
    /// Swap the keyed item with its sibling `old_neighbor` (that sibling's text).
    Move {
        /// Direction of the move.
        direction: Direction,
        /// Text of the sibling it was swapped with.
        old_neighbor: String,
    },
}

/// One pending edit of one item.
///
/// The key is taken from the document as it was just before this op was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOp {
    /// The item (or, for inserts, the anchor item).
    pub key: ItemKey,
    /// What to do and the value it replaces.
    pub kind: OpKind,
}

impl ItemOp {
    /// Toggle-style op that sets `item` to `checked`.
    ///
    /// Records the item's current state as the old value.
    pub fn set_checked(item: &Item, checked: bool) -> Self {
        let kind = OpKind::SetChecked {
            old: item.checked,
            new: checked,
        };
        ItemOp {
            key: item.key(),
            kind,
        }
    }

    /// Op that replaces `item`'s text.
    ///
    /// Records the current text as the old value.
    pub fn set_text(item: &Item, new: &str) -> Self {
        let kind = OpKind::SetText {
            old: item.text.clone(),
            new: new.to_string(),
        };
        ItemOp {
            key: item.key(),
            kind,
        }
    }

    /// Op that sets `item`'s owner.
    ///
    /// Records the current owner as the old value.
    pub fn set_owner(item: &Item, new: Option<&str>) -> Self {
        let kind = OpKind::SetOwner {
            old: item.owner.clone(),
            new: new.map(str::to_string),
        };
        ItemOp {
            key: item.key(),
            kind,
        }
    }

    /// Op that inserts a new unchecked item with `text` next to `anchor` (an item of `doc`).
    ///
    /// Re-applying it is a no-op once the section holds more items with `text` than `doc` did.
    pub fn insert(doc: &Document, anchor: &Item, position: Position, text: &str) -> Self {
        let kind = OpKind::Insert {
            position,
            text: text.to_string(),
            existing: count_with_text(doc, &anchor.section_path, text),
        };
        ItemOp {
            key: anchor.key(),
            kind,
        }
    }

    /// Op that swaps `item` with its sibling in `direction`.
    ///
    /// `None` when `doc` (the document `item` came from) has no such sibling.
    pub fn move_item(doc: &Document, item: &Item, direction: Direction) -> Option<Self> {
        let old_neighbor = neighbour_text(doc, item, direction)?;
        let kind = OpKind::Move {
            direction,
            old_neighbor,
        };
        Some(ItemOp {
            key: item.key(),
            kind,
        })
    }

    /// Op that deletes `item`.
    ///
    /// Records its checkbox state; a delete of an item toggled meanwhile conflicts.
    pub fn delete(item: &Item) -> Self {
        let kind = OpKind::Delete {
            old_checked: item.checked,
        };
        ItemOp {
            key: item.key(),
            kind,
        }
    }
}

/// Why an op could not be re-applied.
///
/// Every variant leaves the file's version of the item untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// The item (or anchor) is no longer in the file.
    Missing,
    /// The number of identical items changed, so the target is unknown.
    Ambiguous,
    /// The item is there but its value changed to something else.
    Changed,
    /// The edit could not be made safely on the new file (see the message).
    Unapplicable(String),
}

/// An op that could not be merged, with both sides for the user to choose.
///
/// `ours` and `theirs` are short human-readable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Index of the op in the list passed to [`rebase`].
    pub op_index: usize,
    /// The op's key.
    pub key: ItemKey,
    /// What the user wanted, e.g. `checked` or `text "Deploy"`.
    pub ours: String,
    /// What the file has now, or `None` when the item is gone.
    pub theirs: Option<String>,
    /// Why it conflicts.
    pub reason: ConflictReason,
}

/// Result of re-applying one op.
///
/// One per input op, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutcome {
    /// The edit was applied to the merged content.
    Applied,
    /// The file already had the target value; nothing was changed.
    AlreadyApplied,
    /// The op conflicts; the merged content keeps the file's version.
    Conflict(Conflict),
}

/// Merged content plus the fate of every op.
///
/// `content` holds every non-conflicting edit; conflicts are listed, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// `theirs` with every applicable op applied.
    pub content: String,
    /// One outcome per op, in input order.
    pub outcomes: Vec<OpOutcome>,
}

impl Merged {
    /// The conflicts, in op order.
    ///
    /// Empty when the merge is clean.
    pub fn conflicts(&self) -> Vec<&Conflict> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                OpOutcome::Conflict(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Whether no op conflicted.
    ///
    /// A clean merge can be written back as is.
    pub fn is_clean(&self) -> bool {
        self.conflicts().is_empty()
    }
}

/// Why [`merge3`] could not derive item ops from `base` → `ours`.
///
/// The caller should keep its op list instead of a plain `ours` string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// `ours` changed more than checkboxes and item texts of existing items.
    #[error("local copy changed lines other than existing items; merge by hand or keep edit ops")]
    Unrepresentable,
}

/// Re-apply `ops` in order onto `theirs` (the current file).
///
/// Never guesses: see the module docs for the applied / already-applied / conflict rules.
pub fn rebase(theirs: &str, ops: &[ItemOp]) -> Merged {
    let mut content = theirs.to_string();
    let mut outcomes = Vec::with_capacity(ops.len());
    for (op_index, op) in ops.iter().enumerate() {
        let (outcome, next) = apply_one(&content, op_index, op);
        if let Some(next) = next {
            content = next;
        }
        outcomes.push(outcome);
    }
    Merged { content, outcomes }
}

/// Three-way merge where the user's side is a string: `ours` = `base` + edits.
///
/// Derives ops with [`diff_ops`] and rebases them onto `theirs`.
pub fn merge3(base: &str, ours: &str, theirs: &str) -> Result<Merged, MergeError> {
    let ops = diff_ops(base, ours)?;
    Ok(rebase(theirs, &ops))
}

/// Ops that turn `base` into `ours` when only checkboxes and item texts changed.
///
/// Fails with `Unrepresentable` when items were added, removed or reordered, or other lines
/// changed.
pub fn diff_ops(base: &str, ours: &str) -> Result<Vec<ItemOp>, MergeError> {
    let b = parse(base);
    let o = parse(ours);
    if b.items.len() != o.items.len() || outside_items(base, &b) != outside_items(ours, &o) {
        return Err(MergeError::Unrepresentable);
    }
    let mut ops = Vec::new();
    let mut work = base.to_string();
    for (i, (bi, oi)) in b.items.iter().zip(&o.items).enumerate() {
        if bi.checked == oi.checked && bi.text == oi.text {
            continue;
        }
        let doc = parse(&work);
        let Some(cur) = doc.items.get(i) else {
            return Err(MergeError::Unrepresentable);
        };
        let mut local = Vec::new();
        if cur.checked != oi.checked {
            local.push(ItemOp::set_checked(cur, oi.checked));
        }
        if cur.text != oi.text {
            local.push(ItemOp {
                key: cur.key(),
                kind: OpKind::SetText {
                    old: cur.text.clone(),
                    new: oi.text.clone(),
                },
            });
        }
        let step = rebase(&work, &local);
        if !step.is_clean() {
            return Err(MergeError::Unrepresentable);
        }
        work = step.content;
        ops.extend(local);
    }
    if work != ours {
        return Err(MergeError::Unrepresentable);
    }
    Ok(ops)
}

/// The source with each item's checkbox char and text span cut out.
fn outside_items(src: &str, doc: &Document) -> Vec<String> {
    let mut parts = Vec::with_capacity(doc.items.len() * 2 + 1);
    let mut at = 0usize;
    for it in &doc.items {
        parts.push(src.get(at..it.checkbox).unwrap_or_default().to_string());
        parts.push(
            src.get(it.checkbox + 1..it.text_span.start)
                .unwrap_or_default()
                .to_string(),
        );
        at = it.text_span.end;
    }
    parts.push(src.get(at..).unwrap_or_default().to_string());
    parts
}

/// Apply one op to `src`; returns the outcome and the new content if it changed.
fn apply_one(src: &str, op_index: usize, op: &ItemOp) -> (OpOutcome, Option<String>) {
    let doc = parse(src);
    let conflict = |reason: ConflictReason, ours: String, theirs: Option<String>| {
        OpOutcome::Conflict(Conflict {
            op_index,
            key: op.key.clone(),
            ours,
            theirs,
            reason,
        })
    };
    // The file moved on since the edit was made: `theirs` is what it says now.
    let changed = |ours: String, theirs: String| {
        (conflict(ConflictReason::Changed, ours, Some(theirs)), None)
    };
    let found = edit::find_item(&doc, &op.key);
    let missing = |e: &EditError, ours: String| match e {
        EditError::Ambiguous { .. } => conflict(ConflictReason::Ambiguous, ours, None),
        _ => conflict(ConflictReason::Missing, ours, None),
    };
    let done = |r: Result<String, EditError>, ours: String| match r {
        Ok(s) => (OpOutcome::Applied, Some(s)),
        Err(e) => (
            conflict(ConflictReason::Unapplicable(e.to_string()), ours, None),
            None,
        ),
    };
    match &op.kind {
        OpKind::SetChecked { old, new } => {
            let ours = check_word(*new);
            match found {
                Ok(item) if item.checked == *new => (OpOutcome::AlreadyApplied, None),
                Ok(item) if item.checked == *old => (
                    OpOutcome::Applied,
                    Some(edit::set_checked_at(src, item, *new)),
                ),
                Ok(item) => changed(ours, check_word(item.checked)),
                Err(e) => (missing(&e, ours), None),
            }
        }
        OpKind::SetText { old, new } => {
            let ours = format!("text {new:?}");
            if op.key.text != *old {
                let why = ConflictReason::Unapplicable("op key text differs from old text".into());
                return (conflict(why, ours, None), None);
            }
            match found {
                Ok(_) => done(edit::set_text(src, &op.key, new), ours),
                Err(EditError::NotFound { .. }) => {
                    let target = ItemKey {
                        text: new.clone(),
                        ..op.key.clone()
                    };
                    if edit::find_item(&doc, &target).is_ok() {
                        (OpOutcome::AlreadyApplied, None)
                    } else {
                        (conflict(ConflictReason::Missing, ours, None), None)
                    }
                }
                Err(e) => (missing(&e, ours), None),
            }
        }
        OpKind::SetOwner { old, new } => {
            let ours = format!("owner {new:?}");
            match found {
                Ok(item) if item.owner == *new => (OpOutcome::AlreadyApplied, None),
                Ok(item) if item.owner == *old => {
                    done(edit::set_owner(src, &op.key, new.as_deref()), ours)
                }
                Ok(item) => changed(ours, format!("owner {:?}", item.owner)),
                Err(EditError::NotFound { .. }) => {
                    let target = ItemKey {
                        text: with_owner(&op.key.text, new.as_deref()),
                        ..op.key.clone()
                    };
                    match edit::find_item(&doc, &target) {
                        Ok(item) if item.owner == *new => (OpOutcome::AlreadyApplied, None),
                        _ => (conflict(ConflictReason::Missing, ours, None), None),
                    }
                }
                Err(e) => (missing(&e, ours), None),
            }
        }
        OpKind::Insert {
            position,
            text,
            existing,
        } => {
            let ours = format!("new item {text:?}");
            if count_with_text(&doc, &op.key.section_path, text) > *existing {
                return (OpOutcome::AlreadyApplied, None);
            }
            match found {
                Ok(_) => done(edit::insert_item(src, &op.key, *position, text), ours),
                Err(e) => (missing(&e, ours), None),
            }
        }
        OpKind::Delete { old_checked } => {
            let ours = "deleted".to_string();
            match found {
                Ok(item) if item.checked == *old_checked => {
                    done(edit::delete_item(src, &op.key), ours)
                }
                Ok(item) => changed(ours, check_word(item.checked)),
                Err(EditError::NotFound { .. }) => (OpOutcome::AlreadyApplied, None),
                Err(e) => (missing(&e, ours), None),
            }
        }
        OpKind::Move {
            direction,
            old_neighbor,
        } => {
            let ours = format!("moved {direction:?} past {old_neighbor:?}");
            match found {
                Ok(item) => {
                    let ahead = neighbour_text(&doc, item, *direction);
                    let behind = neighbour_text(&doc, item, flip(*direction));
                    if ahead.as_deref() == Some(old_neighbor.as_str()) {
                        done(edit::move_item(src, &op.key, *direction), ours)
                    } else if behind.as_deref() == Some(old_neighbor.as_str()) {
                        (OpOutcome::AlreadyApplied, None)
                    } else {
                        (conflict(ConflictReason::Changed, ours, ahead), None)
                    }
                }
                Err(e) => (missing(&e, ours), None),
            }
        }
    }
}

/// Number of items in `doc` under `path` whose text is `text`.
fn count_with_text(doc: &Document, path: &[String], text: &str) -> usize {
    doc.items
        .iter()
        .filter(|i| i.text == text && i.section_path == path)
        .count()
}

/// Text of the sibling task item in `direction`, if any.
fn neighbour_text(doc: &Document, item: &Item, direction: Direction) -> Option<String> {
    let want = match direction {
        Direction::Up => item.index_in_list.checked_sub(1)?,
        Direction::Down => item.index_in_list + 1,
    };
    doc.items
        .iter()
        .find(|i| i.list_id == item.list_id && i.index_in_list == want)
        .map(|i| i.text.clone())
}

/// The opposite direction.
fn flip(d: Direction) -> Direction {
    match d {
        Direction::Up => Direction::Down,
        Direction::Down => Direction::Up,
    }
}

/// `checked` / `unchecked`.
fn check_word(checked: bool) -> String {
    if checked { "checked" } else { "unchecked" }.to_string()
}

/// `text` with its trailing owner set to `owner` (same rules as `edit::set_owner`).
///
/// Used to recognise an owner change that the file already has.
pub fn with_owner(text: &str, owner: Option<&str>) -> String {
    let base = match owner_span(text) {
        Some(span) => text
            .get(..span.start)
            .unwrap_or_default()
            .trim_end_matches([' ', '\t']),
        None => text,
    };
    match owner {
        Some(o) if base.is_empty() => format!("@{o}"),
        Some(o) => match owner_span(text) {
            Some(span) => format!("{}@{o}", text.get(..span.start).unwrap_or_default()),
            None => format!("{base} @{o}"),
        },
        None => base.to_string(),
    }
}
