//! Small text helpers for drawing: width-aware truncation with `…`, coarse ages and clocks.
//!
//! Text reaching here is already sanitized at ingest; these helpers only shorten it by display
//! width (unicode-width), never by bytes, so a wide or combining character is never split.

use chrono::{DateTime, Utc};
use unicode_width::UnicodeWidthChar;

/// `s` cut to at most `width` columns, ending in `…` when it was cut.
#[must_use]
pub fn fit(s: &str, width: usize) -> String {
    fit_with(s, width, "…")
}

/// `s` cut to at most `width` columns, ending in `ellipsis` (one column wide: the theme's
/// [`Glyph::Ellipsis`](crate::ui::glyphs::Glyph)) when it was cut.
#[must_use]
pub fn fit_with(s: &str, width: usize, ellipsis: &str) -> String {
    if width == 0 {
        return String::new();
    }
    let mut used = 0usize;
    let mut out = String::new();
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            // Leave room for the ellipsis.
            while used + 1 > width {
                match out.pop() {
                    Some(p) => used -= p.width().unwrap_or(0),
                    None => break,
                }
            }
            out.push_str(ellipsis);
            return out;
        }
        if i > 4 * width + 64 && w == 0 {
            // Pathological runs of zero-width marks: stop early, the cell cannot show them.
            continue;
        }
        used += w;
        out.push(c);
    }
    out
}

/// The first line of `s` (bodies are multi-line).
#[must_use]
pub fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// A coarse age: `45s`, `12m`, `5h`, `3d`, `6w`.
#[must_use]
pub fn coarse(secs: i64) -> String {
    let s = secs.unsigned_abs();
    match s {
        // Under an hour the coarse age and the compact duration read the same.
        0..=3_599 => crate::app::derive::short_duration(secs),
        3_600..=86_399 => format!("{}h", s / 3_600),
        86_400..=1_209_599 => format!("{}d", s / 86_400),
        _ => format!("{}w", s / 604_800),
    }
}

/// How long ago `at` was, coarse.
#[must_use]
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    coarse((now - at).num_seconds())
}

pub use crate::domain::time::{hm, stamp};

/// `—` for a missing value.
#[must_use]
pub fn or_dash(s: Option<&str>) -> &str {
    s.filter(|s| !s.is_empty()).unwrap_or("—")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coarse_age_keeps_one_unit_by_magnitude() {
        assert_eq!(coarse(45), "45s");
        assert_eq!(coarse(-45), "45s");
        assert_eq!(coarse(12 * 60 + 59), "12m");
        assert_eq!(coarse(5 * 3_600 + 59 * 60), "5h");
        assert_eq!(coarse(3 * 86_400 + 23 * 3_600), "3d");
        assert_eq!(coarse(6 * 604_800), "6w");
    }

    #[test]
    fn fit_cuts_by_display_width_and_marks_the_cut() {
        assert_eq!(fit("checkout", 20), "checkout");
        assert_eq!(fit("checkout", 5), "chec…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
    }
}
