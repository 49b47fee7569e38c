//! Scanning inside one item line: text span, task code and trailing owner.
//!
//! Pure byte scanning, linear in the line length; no regex crate.

use std::ops::Range;

/// Text span on the checkbox line: after `]`, leading/trailing spaces and tabs excluded.
pub(super) fn text_span(bytes: &[u8], after_bracket: usize, content_end: usize) -> Range<usize> {
    let is_ws = |b: u8| b == b' ' || b == b'\t';
    let mut end = content_end;
    while end > after_bracket && bytes.get(end - 1).copied().is_some_and(is_ws) {
        end -= 1;
    }
    let mut start = after_bracket.min(end);
    while start < end && bytes.get(start).copied().is_some_and(is_ws) {
        start += 1;
    }
    if start == end {
        // Empty text: place the (empty) span after the one separating blank, if present.
        let sep = usize::from(
            after_bracket < content_end && bytes.get(after_bracket).copied().is_some_and(is_ws),
        );
        let at = after_bracket + sep;
        return at..at;
    }
    start..end
}

/// Span (relative to `text`) of a trailing `@owner` token, `@` included.
///
/// The token is the last one after a space or tab (or the whole text) and reads `@[A-Za-z0-9_.-]+`.
pub fn owner_span(text: &str) -> Option<Range<usize>> {
    let token_start = text.rfind([' ', '\t']).map_or(0, |i| i + 1);
    let token = text.get(token_start..)?;
    let name = token.strip_prefix('@')?;
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    valid.then_some(token_start..text.len())
}

/// Whether `owner` is a valid owner name (without `@`).
///
/// Valid names are non-empty and use only ASCII letters, digits, `_`, `.` and `-`.
pub fn is_valid_owner(owner: &str) -> bool {
    !owner.is_empty()
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// First task code in `text`, such as `P2-W2-A1`.
///
/// See the module docs for the exact pattern; linear in the text length.
pub fn task_code(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut i = 0usize;
    while i < b.len() {
        let prev_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if !(prev_ok && b[i].is_ascii_uppercase()) {
            i += 1;
            continue;
        }
        // Greedy segments; remember where each segment ends.
        let mut ends: Vec<usize> = Vec::new();
        let mut j = i;
        while let Some(end) = segment_end(b, j) {
            ends.push(end);
            if b.get(end) == Some(&b'-') {
                j = end + 1;
            } else {
                break;
            }
        }
        // Longest match with >= 2 segments not followed by an alphanumeric.
        for k in (2..=ends.len()).rev() {
            let end = ends[k - 1];
            if !b.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                return text.get(i..end).map(str::to_string);
            }
        }
        // Resume after the first segment (positions inside it cannot start a match).
        i = ends.first().copied().unwrap_or(i + 1).max(i + 1);
    }
    None
}

/// End of one `[A-Z][0-9]+` segment starting at `j`.
fn segment_end(b: &[u8], j: usize) -> Option<usize> {
    if !b.get(j)?.is_ascii_uppercase() {
        return None;
    }
    let mut k = j + 1;
    while b.get(k).is_some_and(u8::is_ascii_digit) {
        k += 1;
    }
    (k > j + 1).then_some(k)
}
