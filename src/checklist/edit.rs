//! Byte-exact edits of one checklist item in a Markdown source.
//!
//! This module owns the write side of a single edit: each function parses the source, resolves
//! an [`ItemKey`] with [`find_item`], and returns a new `String` that differs from the input only
//! in the bytes the edit is about. Line endings (LF/CRLF), tabs, trailing whitespace, a missing
//! final newline and non-ASCII text elsewhere are untouched.
//!
//! Structural edits (insert, delete, move) re-parse their result and refuse (with
//! [`EditError::Unverified`]) when the other items would not survive unchanged — for example
//! deleting a parent line that would turn its indented children into a code block.
//! Inserted items copy the indentation, list marker (including an ordered number verbatim) and
//! checkbox spelling of the item they are inserted next to, and are unchecked. Deleting removes
//! the item's first line only (nested children and continuation lines stay), as the brief asks.
//! Moving swaps the whole blocks (item line plus its children) of two adjacent sibling items.

use std::ops::Range;

use super::parse::{is_valid_owner, parse, Document, Item, ItemKey};

/// Why an edit could not be made.
///
/// None of these change the source; the caller keeps the original text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// No item has this key's section path and text.
    #[error("no checklist item {text:?} under {section_path:?}; the document changed, re-read it")]
    NotFound {
        /// Section path of the key.
        section_path: Vec<String>,
        /// Text of the key.
        text: String,
    },
    /// The number of identical items changed since the key was taken, so the target is unknown.
    #[error(
        "{found} items read {text:?} (expected {expected}); pick the item again instead of guessing"
    )]
    Ambiguous {
        /// Text of the key.
        text: String,
        /// Identical items when the key was taken.
        expected: usize,
        /// Identical items now.
        found: usize,
    },
    /// The new text or owner is not a single line of valid content.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The item shares its line with another list marker, so line edits would touch it too.
    #[error("item {0:?} shares its line with another list marker; edit the file by hand")]
    NotLineAddressable(String),
    /// There is no sibling item in the requested direction.
    #[error("item {0:?} has no sibling in that direction")]
    NoSibling(String),
    /// The edited document would not re-parse to the expected items; nothing was changed.
    #[error("edit of {0:?} would change other items; nothing was written")]
    Unverified(String),
}

/// Where to insert a new item relative to an existing one.
///
/// `After` inserts after the item's whole block (its nested children included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// On a new line just before the item's line.
    Before,
    /// On a new line after the item and its nested children.
    After,
}

/// Direction of a move.
///
/// Moves swap with the adjacent sibling item of the same list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Swap with the previous sibling.
    Up,
    /// Swap with the next sibling.
    Down,
}

/// Resolve a key to the item it addresses in `doc`.
///
/// Fails with `NotFound` when no item has the key's path and text, and with `Ambiguous` when
/// several items share them and their number differs from `key.occurrences` (never guesses).
pub fn find_item<'d>(doc: &'d Document, key: &ItemKey) -> Result<&'d Item, EditError> {
    let same: Vec<&Item> = doc
        .items
        .iter()
        .filter(|i| i.text == key.text && i.section_path == key.section_path)
        .collect();
    let not_found = || EditError::NotFound {
        section_path: key.section_path.clone(),
        text: key.text.clone(),
    };
    if same.is_empty() {
        return Err(not_found());
    }
    if same.len() != key.occurrences && (same.len() > 1 || key.occurrences > 1) {
        return Err(EditError::Ambiguous {
            text: key.text.clone(),
            expected: key.occurrences,
            found: same.len(),
        });
    }
    same.get(key.occurrence).copied().ok_or_else(not_found)
}

/// Set the item's checkbox; changes exactly one byte (or none if already in that state).
///
/// `[ ]` becomes `[x]`; `[x]`/`[X]` become `[ ]`; an already checked `[X]` stays `[X]`.
pub fn set_checked(src: &str, key: &ItemKey, checked: bool) -> Result<String, EditError> {
    let doc = parse(src);
    let item = find_item(&doc, key)?;
    Ok(set_checked_at(src, item, checked))
}

/// Set the checkbox of an already resolved item of `src`.
///
/// `item` must come from `parse(src)`.
pub fn set_checked_at(src: &str, item: &Item, checked: bool) -> String {
    if item.checked == checked {
        return src.to_string();
    }
    let state = if checked { "x" } else { " " };
    splice(src, item.checkbox..item.checkbox + 1, state)
}

/// Replace the item's text (the first line after the checkbox).
///
/// Trailing whitespace after the text and everything else in the file are kept.
pub fn set_text(src: &str, key: &ItemKey, new_text: &str) -> Result<String, EditError> {
    check_text(new_text)?;
    let doc = parse(src);
    let item = find_item(&doc, key)?;
    let out = replace_text(src, item, item.text_span.clone(), new_text);
    let mut expected = summary(&doc);
    let idx = index_of(&doc, item);
    expected[idx].0 = new_text.to_string();
    verify(&out, &expected, &item.text)?;
    Ok(out)
}

/// Set, replace or (with `None`) remove the trailing `@owner` of the item's text.
///
/// `owner` is the name without `@` and must match `[A-Za-z0-9_.-]+`.
pub fn set_owner(src: &str, key: &ItemKey, owner: Option<&str>) -> Result<String, EditError> {
    if let Some(o) = owner {
        if !is_valid_owner(o) {
            return Err(EditError::InvalidInput(format!(
                "owner {o:?} must be letters, digits, '_', '.' or '-'"
            )));
        }
    }
    let doc = parse(src);
    let item = find_item(&doc, key)?;
    let span = item.text_span.clone();
    let out = match (&item.owner_span, owner) {
        (Some(os), Some(o)) => splice(src, os.clone(), &format!("@{o}")),
        (Some(os), None) => {
            // Remove the token and the blanks separating it from the text.
            let b = src.as_bytes();
            let mut start = os.start;
            while start > span.start && matches!(b.get(start - 1), Some(b' ' | b'\t')) {
                start -= 1;
            }
            splice(src, start..os.end, "")
        }
        (None, Some(o)) if span.is_empty() => replace_text(src, item, span, &format!("@{o}")),
        (None, Some(o)) => splice(src, span.end..span.end, &format!(" @{o}")),
        (None, None) => src.to_string(),
    };
    let idx = index_of(&doc, item);
    let after = parse(&out);
    let others_same = after.items.len() == doc.items.len()
        && after
            .items
            .iter()
            .zip(&doc.items)
            .enumerate()
            .all(|(i, (x, y))| x.checked == y.checked && (i == idx || x.text == y.text));
    let owner_now = after.items.get(idx).and_then(|i| i.owner.as_deref());
    if !others_same || owner_now != owner {
        return Err(EditError::Unverified(item.text.clone()));
    }
    Ok(out)
}

/// Insert a new unchecked item before the item's line.
///
/// Same indentation, marker and line ending as the item.
pub fn insert_item_before(src: &str, key: &ItemKey, text: &str) -> Result<String, EditError> {
    insert_item(src, key, Position::Before, text)
}

/// Insert a new unchecked item after the item and its nested children.
///
/// Same indentation, marker and line ending as the item.
pub fn insert_item_after(src: &str, key: &ItemKey, text: &str) -> Result<String, EditError> {
    insert_item(src, key, Position::After, text)
}

/// Insert a new unchecked item next to the keyed item.
///
/// The result is re-parsed and refused if any other item changed.
pub fn insert_item(
    src: &str,
    key: &ItemKey,
    position: Position,
    text: &str,
) -> Result<String, EditError> {
    check_text(text)?;
    let doc = parse(src);
    let item = find_item(&doc, key)?;
    let idx = index_of(&doc, item);
    if !item.line_addressable {
        return Err(EditError::NotLineAddressable(item.text.clone()));
    }
    let eol = line_ending_of(src, &doc, item);
    let mut prefix = src
        .get(item.line_span.start..item.checkbox + 2)
        .unwrap_or_default()
        .to_string();
    let state_at = item.checkbox - item.line_span.start;
    if item.checked {
        prefix.replace_range(state_at..state_at + 1, " ");
    }
    let sep = if text.is_empty() { "" } else { " " };
    let line = format!("{prefix}{sep}{text}");
    let (out, new_idx) = match position {
        Position::Before => (
            splice(
                src,
                item.line_span.start..item.line_span.start,
                &format!("{line}{eol}"),
            ),
            idx,
        ),
        Position::After => {
            let block = block_span(src, item);
            let inserted = if src.get(..block.end).is_some_and(|s| s.ends_with('\n')) {
                format!("{line}{eol}")
            } else {
                format!("{eol}{line}")
            };
            let after = doc.items[idx..]
                .iter()
                .take_while(|i| i.checkbox < block.end)
                .count();
            (splice(src, block.end..block.end, &inserted), idx + after)
        }
    };
    let mut expected: Vec<(String, bool)> = summary(&doc);
    expected.insert(new_idx, (text.to_string(), false));
    verify(&out, &expected, &item.text)?;
    Ok(out)
}

/// Remove the item's first line (including its line ending).
///
/// If the item is on the last line and the file has no final newline, the preceding line
/// ending is removed instead so the file still ends without one.
pub fn delete_item(src: &str, key: &ItemKey) -> Result<String, EditError> {
    let doc = parse(src);
    let item = find_item(&doc, key)?;
    if !item.line_addressable {
        return Err(EditError::NotLineAddressable(item.text.clone()));
    }
    let idx = index_of(&doc, item);
    let mut span = item.line_span.clone();
    let ends_line = src.get(..span.end).is_some_and(|s| s.ends_with('\n'));
    if !ends_line && span.start > 0 {
        // Last line without a newline: take the previous line ending with it.
        let b = src.as_bytes();
        span.start -= 1;
        if span.start > 0 && b.get(span.start - 1) == Some(&b'\r') {
            span.start -= 1;
        }
    }
    let out = splice(src, span, "");
    let mut expected = summary(&doc);
    expected.remove(idx);
    verify(&out, &expected, &item.text)?;
    Ok(out)
}

/// Swap the item with its previous sibling.
///
/// Whole blocks (item line plus nested children) are swapped; line endings stay in place.
pub fn move_item_up(src: &str, key: &ItemKey) -> Result<String, EditError> {
    move_item(src, key, Direction::Up)
}

/// Swap the item with its next sibling.
///
/// Whole blocks (item line plus nested children) are swapped; line endings stay in place.
pub fn move_item_down(src: &str, key: &ItemKey) -> Result<String, EditError> {
    move_item(src, key, Direction::Down)
}

/// Swap the item with its adjacent sibling task item in `direction`.
///
/// Fails with `NoSibling` when the neighbour is missing or is not a task item.
pub fn move_item(src: &str, key: &ItemKey, direction: Direction) -> Result<String, EditError> {
    let doc = parse(src);
    let item = find_item(&doc, key)?;
    let idx = index_of(&doc, item);
    let other =
        sibling(&doc, idx, direction).ok_or_else(|| EditError::NoSibling(item.text.clone()))?;
    let (first, second) = match direction {
        Direction::Up => (other, idx),
        Direction::Down => (idx, other),
    };
    let (a_item, b_item) = (&doc.items[first], &doc.items[second]);
    if !a_item.line_addressable || !b_item.line_addressable {
        return Err(EditError::NotLineAddressable(item.text.clone()));
    }
    let a = block_span(src, a_item);
    let b = block_span(src, b_item);
    let gap = src.get(a.end..b.start).unwrap_or("\u{0}");
    if a.end > b.start
        || !gap
            .bytes()
            .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return Err(EditError::NoSibling(item.text.clone()));
    }
    let (a_body, a_eol) = split_eol(src.get(a.clone()).unwrap_or_default());
    let (b_body, b_eol) = split_eol(src.get(b.clone()).unwrap_or_default());
    let swapped = format!("{b_body}{a_eol}{gap}{a_body}{b_eol}");
    let out = splice(src, a.start..b.end, &swapped);

    let s = summary(&doc);
    let a_end = first
        + doc.items[first..]
            .iter()
            .take_while(|i| i.checkbox < a.end)
            .count();
    let b_end = second
        + doc.items[second..]
            .iter()
            .take_while(|i| i.checkbox < b.end)
            .count();
    let mut expected = s[..first].to_vec();
    expected.extend_from_slice(&s[second..b_end]);
    expected.extend_from_slice(&s[a_end..second]);
    expected.extend_from_slice(&s[first..a_end]);
    expected.extend_from_slice(&s[b_end..]);
    verify(&out, &expected, &item.text)?;
    Ok(out)
}

/// Index of the adjacent sibling task item in `direction`, if it exists.
fn sibling(doc: &Document, idx: usize, direction: Direction) -> Option<usize> {
    let item = doc.items.get(idx)?;
    let want = match direction {
        Direction::Up => item.index_in_list.checked_sub(1)?,
        Direction::Down => item.index_in_list + 1,
    };
    let found = match direction {
        Direction::Up => doc.items[..idx]
            .iter()
            .rposition(|i| i.list_id == item.list_id && i.index_in_list == want),
        Direction::Down => doc.items[idx + 1..]
            .iter()
            .position(|i| i.list_id == item.list_id && i.index_in_list == want)
            .map(|p| p + idx + 1),
    };
    found
}

/// Start of the item's line to the end of its last non-blank line (children included).
///
/// This is what a move carries along and what an insert-after skips; trailing blank lines of
/// a loose list stay where they are.
pub fn block_span(src: &str, item: &Item) -> Range<usize> {
    let b = src.as_bytes();
    let mut end = item.item_span.end.max(item.line_span.end).min(src.len());
    // Extend to the end of the line the item range ends in.
    if end > 0 && b.get(end - 1) != Some(&b'\n') {
        while end < b.len() && b.get(end) != Some(&b'\n') {
            end += 1;
        }
        end = (end + 1).min(b.len());
    }
    // Drop trailing blank lines (never below the item's own line).
    while end > item.line_span.end {
        let line_start = src
            .get(..end - 1)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1)
            .max(item.line_span.end);
        let blank = src
            .get(line_start..end)
            .is_some_and(|l| l.bytes().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')));
        if !blank {
            break;
        }
        end = line_start;
    }
    item.line_span.start..end
}

/// Split a block into its body and its final line ending (`"\r\n"`, `"\n"` or `""`).
fn split_eol(s: &str) -> (&str, &str) {
    if let Some(body) = s.strip_suffix("\r\n") {
        (body, "\r\n")
    } else if let Some(body) = s.strip_suffix('\n') {
        (body, "\n")
    } else {
        (s, "")
    }
}

/// The item's own line ending, else the document's.
fn line_ending_of(src: &str, doc: &Document, item: &Item) -> &'static str {
    let line = src.get(item.line_span.clone()).unwrap_or_default();
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        doc.line_ending.as_str()
    }
}

/// Replace a text span, adding the separating space a bare `[ ]` needs.
fn replace_text(src: &str, item: &Item, span: Range<usize>, text: &str) -> String {
    let needs_space = !text.is_empty() && span.start == item.checkbox + 2;
    let with_sep;
    let text = if needs_space {
        with_sep = format!(" {text}");
        with_sep.as_str()
    } else {
        text
    };
    splice(src, span, text)
}

/// Refuse text that would not stay one line of item text.
fn check_text(text: &str) -> Result<(), EditError> {
    if text.contains(['\n', '\r']) {
        return Err(EditError::InvalidInput(
            "item text must be a single line".into(),
        ));
    }
    if text.starts_with([' ', '\t']) || text.ends_with([' ', '\t']) {
        return Err(EditError::InvalidInput(
            "item text must not start or end with spaces or tabs; trim it".into(),
        ));
    }
    Ok(())
}

/// Position of `item` (a reference into `doc.items`) in `doc.items`.
fn index_of(doc: &Document, item: &Item) -> usize {
    doc.items
        .iter()
        .position(|i| i.checkbox == item.checkbox)
        .unwrap_or(0)
}

/// (text, checked) of every item, in order.
fn summary(doc: &Document) -> Vec<(String, bool)> {
    doc.items
        .iter()
        .map(|i| (i.text.clone(), i.checked))
        .collect()
}

/// Re-parse `out` and require exactly the `expected` items.
fn verify(out: &str, expected: &[(String, bool)], text: &str) -> Result<(), EditError> {
    if summary(&parse(out)) == expected {
        Ok(())
    } else {
        Err(EditError::Unverified(text.to_string()))
    }
}

/// `src` with `range` replaced by `with`.
fn splice(src: &str, range: Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(src.len() + with.len());
    out.push_str(src.get(..range.start).unwrap_or_default());
    out.push_str(with);
    out.push_str(src.get(range.end..).unwrap_or_default());
    out
}
