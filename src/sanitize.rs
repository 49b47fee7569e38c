//! The one sanitizer that untrusted text passes through where it enters opsdeck.
//!
//! RELIABILITY.md §3.3: every string that comes from an API, a file or the user is cleaned once,
//! at the ingest boundary (DTO → store), so nothing downstream can put a control sequence on the
//! terminal. The rules:
//!
//! - C0 controls (except `\n` and `\t` in multi-line text), DEL and C1 (U+0080–U+009F) are
//!   replaced by visible caret notation (`^[`, `^?`, `M-^[`), so `ESC[2J` shows as `^[[2J` and
//!   cannot be reassembled by deleting the ESC.
//! - Bidi and format controls (the Trojan Source set, zero-width characters, BOM, tag
//!   characters) are shown as `<U+202E>` instead of acting.
//! - Length is capped in bytes *before* layout (1 KiB for single-line fields, 64 KiB for bodies)
//!   with a visible `…[truncated]` marker, and runs of combining marks are capped at 16 per
//!   base character.
//!
//! The function is idempotent: sanitizing sanitized text changes nothing.

use std::borrow::Cow;

/// Cap for single-line fields (titles, names, labels), in bytes.
pub const LINE_CAP_BYTES: usize = 1024;
/// Cap for multi-line fields (bodies, notes, annotations), in bytes.
pub const TEXT_CAP_BYTES: usize = 64 * 1024;
/// Most combining marks kept after one base character.
pub const MAX_COMBINING_MARKS: usize = 16;
/// Marker appended when text was cut.
pub const TRUNCATED_MARKER: &str = "…[truncated]";

/// Sanitizes a single-line field: newlines and tabs become spaces, capped at [`LINE_CAP_BYTES`].
#[must_use]
pub fn line(input: &str) -> String {
    clean(input, false, LINE_CAP_BYTES)
}

/// Sanitizes a multi-line field: keeps `\n` and `\t`, drops `\r`, capped at [`TEXT_CAP_BYTES`].
#[must_use]
pub fn text(input: &str) -> String {
    clean(input, true, TEXT_CAP_BYTES)
}

/// Sanitizes raw bytes (decoded lossily: invalid UTF-8 becomes U+FFFD) as a single line.
#[must_use]
pub fn line_bytes(input: &[u8]) -> String {
    let decoded: Cow<'_, str> = String::from_utf8_lossy(input);
    line(&decoded)
}

/// Sanitizes an optional single-line field.
#[must_use]
pub fn opt_line(input: Option<&str>) -> Option<String> {
    input.map(line).filter(|s| !s.is_empty())
}

/// Whether `c` is a bidi override/isolate or an invisible format character that must not act.
#[must_use]
pub fn is_format_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' | '\u{180E}' | '\u{00AD}')
}

/// Whether `c` is a combining mark (the ranges that stack on a base character).
fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

fn clean(input: &str, multiline: bool, cap_bytes: usize) -> String {
    // Never look at more than a bounded prefix: a 10 MB title must not reach layout.
    let mut out = String::with_capacity(input.len().min(cap_bytes) + 16);
    let mut marks = 0usize;
    let mut truncated = false;
    for c in input.chars() {
        if out.len() >= cap_bytes {
            truncated = true;
            break;
        }
        if is_combining(c) {
            marks += 1;
            if marks > MAX_COMBINING_MARKS {
                continue;
            }
            out.push(c);
            continue;
        }
        marks = 0;
        match c {
            '\n' if multiline => out.push('\n'),
            '\t' if multiline => out.push('\t'),
            '\n' | '\t' => out.push(' '),
            '\r' if multiline => {}
            '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(((c as u32) as u8) ^ 0x40));
            }
            '\u{7F}' => out.push_str("^?"),
            c if ('\u{80}'..='\u{9F}').contains(&c) => {
                out.push_str("M-^");
                out.push(char::from((((c as u32) - 0x80) as u8) ^ 0x40));
            }
            c if is_format_control(c) => {
                out.push_str(&format!("<U+{:04X}>", c as u32));
            }
            c => out.push(c),
        }
    }
    if truncated {
        // Step back to a char boundary at or below the cap, then mark the cut.
        let mut end = cap_bytes.min(out.len());
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push_str(TRUNCATED_MARKER);
    }
    out
}

/// True when `s` holds nothing the terminal could act on (used by tests and debug asserts).
#[must_use]
pub fn is_terminal_safe(s: &str) -> bool {
    s.chars()
        .all(|c| (c == '\n' || c == '\t' || !c.is_control()) && !is_format_control(c))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn escape_sequences_become_visible_caret_text() {
        assert_eq!(line("a\u{1b}[2Jb"), "a^[[2Jb");
        assert_eq!(line("x\u{9b}31m"), "xM-^[31m");
        assert_eq!(line("bell\u{7}"), "bell^G");
        assert_eq!(line("del\u{7f}"), "del^?");
    }

    #[test]
    fn osc52_clipboard_write_cannot_reach_the_terminal() {
        let s = line("\u{1b}]52;c;ZWNobyBoaQ==\u{7}");
        assert!(is_terminal_safe(&s));
        assert!(!s.contains('\u{1b}'));
    }

    #[test]
    fn bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(line("abc\u{202E}def"), "abc<U+202E>def");
        assert!(is_terminal_safe(&line("\u{2066}x\u{2069}")));
    }

    #[test]
    fn newlines_survive_only_in_multiline_text() {
        assert_eq!(line("a\nb\tc"), "a b c");
        assert_eq!(text("a\r\nb\tc"), "a\nb\tc");
    }

    #[test]
    fn a_megabyte_title_is_capped_with_a_marker() {
        let big = "x".repeat(1024 * 1024);
        let s = line(&big);
        assert!(s.len() <= LINE_CAP_BYTES + TRUNCATED_MARKER.len());
        assert!(s.ends_with(TRUNCATED_MARKER));
    }

    #[test]
    fn combining_mark_stacks_are_capped() {
        let zalgo = format!("a{}", "\u{0301}".repeat(1000));
        assert_eq!(line(&zalgo).chars().count(), 1 + MAX_COMBINING_MARKS);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(line_bytes(b"ok\xff\xfe!"), "ok\u{FFFD}\u{FFFD}!");
    }

    proptest! {
        #[test]
        fn any_input_comes_out_terminal_safe_and_sanitizing_is_idempotent(s in "\\PC*|[\\x00-\\x{10FFFF}]{0,64}") {
            let once = text(&s);
            prop_assert!(is_terminal_safe(&once));
            prop_assert_eq!(text(&once), once.clone());
            let l = line(&s);
            prop_assert!(is_terminal_safe(&l));
            prop_assert!(!l.contains('\n'));
        }
    }
}
