//! The one table of glyphs opsdeck draws, with the ASCII fallback of each.
//!
//! Widgets ask for a glyph by name ([`Glyph`], through [`Theme::glyph`](super::theme::Theme))
//! instead of writing a raw `…` or `▲`. Every glyph has a one-cell ASCII fallback so swapping it
//! never moves a column. In ASCII mode (`ascii_borders = true`) [`asciify`] runs over the finished
//! frame as the last step of `ui::draw` and replaces every remaining non-ASCII cell through
//! [`FALLBACKS`] (box drawing from ratatui's own widgets, sparkline blocks, arrows in source
//! text), and anything not in the table (a `é` in a customer name, a CJK title) with `?`, so
//! ASCII mode is 7-bit by construction. A test scans `src/ui` and `src/review/view.rs` for
//! non-ASCII characters in code and fails for one missing from [`FALLBACKS`].

use ratatui::buffer::Buffer;

/// Named glyphs with a Unicode form and a one-cell ASCII form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    /// Marks text that was cut: `…` / `~`.
    Ellipsis,
    /// A missing value and a sentence break: `—` / `-`.
    Dash,
    /// Separator between items: `·` / `|`.
    Dot,
    /// Marked for a bulk action: `•` / `+`.
    Mark,
    /// Edit pending in the outbox: `⟳` / `*`.
    Pending,
    /// Rolled back deployment: `⤺` / `<`.
    RolledBack,
    /// Ascending sort: `▲` / `^`.
    SortAsc,
    /// Descending sort: `▼` / `v`.
    SortDesc,
    /// Done: `✓` / `x`.
    Check,
    /// Folded section: `▸` / `>`.
    Folded,
    /// Unfolded section: `▾` / `v`.
    Unfolded,
}

impl Glyph {
    /// The glyph in Unicode or in ASCII.
    #[must_use]
    pub fn get(self, ascii: bool) -> &'static str {
        let (u, a) = match self {
            Glyph::Ellipsis => ("…", "~"),
            Glyph::Dash => ("—", "-"),
            Glyph::Dot => ("·", "|"),
            Glyph::Mark => ("•", "+"),
            Glyph::Pending => ("⟳", "*"),
            Glyph::RolledBack => ("⤺", "<"),
            Glyph::SortAsc => ("▲", "^"),
            Glyph::SortDesc => ("▼", "v"),
            Glyph::Check => ("✓", "x"),
            Glyph::Folded => ("▸", ">"),
            Glyph::Unfolded => ("▾", "v"),
        };
        if ascii {
            a
        } else {
            u
        }
    }
}

/// Every non-ASCII character opsdeck (or ratatui for it) draws, with its one-cell fallback.
pub const FALLBACKS: &[(char, char)] = &[
    // Punctuation.
    ('…', '~'),
    ('—', '-'),
    ('–', '-'),
    ('−', '-'),
    ('·', '|'),
    ('•', '+'),
    ('×', 'x'),
    ('≥', '>'),
    ('≤', '<'),
    ('’', '\''),
    ('‘', '\''),
    ('“', '"'),
    ('”', '"'),
    // Markers.
    ('⟳', '*'),
    ('⤺', '<'),
    ('⚠', '!'),
    ('✓', 'x'),
    ('✗', 'X'),
    ('✎', '#'),
    ('▲', '^'),
    ('▼', 'v'),
    ('▸', '>'),
    ('▾', 'v'),
    ('▶', '>'),
    ('◀', '<'),
    // Arrows.
    ('→', '>'),
    ('←', '<'),
    ('↑', '^'),
    ('↓', 'v'),
    ('↕', '|'),
    // Bars and sparklines (lowest to highest, as `Theme::spark` maps them).
    ('▁', '_'),
    ('▂', '.'),
    ('▃', ','),
    ('▄', '-'),
    ('▅', '~'),
    ('▆', '+'),
    ('▇', '*'),
    ('█', '#'),
    ('░', '.'),
    ('▒', ':'),
    ('▓', '#'),
    ('▏', '|'),
    ('▎', '|'),
    ('▍', '|'),
    ('▌', '|'),
    ('▋', '|'),
    ('▊', '|'),
    ('▉', '|'),
    // Box drawing (ratatui borders, plain, rounded, thick and double).
    ('─', '-'),
    ('━', '-'),
    ('═', '='),
    ('│', '|'),
    ('┃', '|'),
    ('║', '|'),
    ('┌', '+'),
    ('┐', '+'),
    ('└', '+'),
    ('┘', '+'),
    ('╭', '+'),
    ('╮', '+'),
    ('╰', '+'),
    ('╯', '+'),
    ('┏', '+'),
    ('┓', '+'),
    ('┗', '+'),
    ('┛', '+'),
    ('╔', '+'),
    ('╗', '+'),
    ('╚', '+'),
    ('╝', '+'),
    ('├', '+'),
    ('┤', '+'),
    ('┬', '+'),
    ('┴', '+'),
    ('┼', '+'),
];

/// The ASCII fallback of `c`: itself when ASCII, its [`FALLBACKS`] entry, else `?`.
#[must_use]
pub fn ascii_of(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    FALLBACKS
        .iter()
        .find(|(u, _)| *u == c)
        .map_or('?', |(_, a)| *a)
}

/// Replaces every non-ASCII cell of `buf` with its fallback (ASCII mode's last drawing step).
/// A cell holds one grapheme; its first character decides (a base letter with combining marks
/// becomes `?` like any other unknown character).
pub fn asciify(buf: &mut Buffer) {
    for cell in &mut buf.content {
        let sym = cell.symbol();
        if sym.is_ascii() {
            continue;
        }
        let c = sym.chars().next().map_or(' ', ascii_of);
        let mut tmp = [0u8; 4];
        // Writes a 7-bit character from the table (never text from outside), so it cannot
        // carry a control sequence past the sanitizer.
        #[allow(clippy::disallowed_methods, reason = "ASCII from FALLBACKS only")]
        cell.set_symbol(c.encode_utf8(&mut tmp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_glyph_has_a_one_cell_ascii_form_that_matches_the_table() {
        for g in [
            Glyph::Ellipsis,
            Glyph::Dash,
            Glyph::Dot,
            Glyph::Mark,
            Glyph::Pending,
            Glyph::RolledBack,
            Glyph::SortAsc,
            Glyph::SortDesc,
            Glyph::Check,
            Glyph::Folded,
            Glyph::Unfolded,
        ] {
            let (u, a) = (g.get(false), g.get(true));
            assert_eq!(a.len(), 1, "{g:?}");
            assert!(a.is_ascii(), "{g:?}");
            let uc = u.chars().next().unwrap_or(' ');
            assert_eq!(ascii_of(uc).to_string(), a, "{g:?}: table and glyph agree");
        }
    }

    #[test]
    fn unknown_characters_become_a_question_mark() {
        assert_eq!(ascii_of('é'), '?');
        assert_eq!(ascii_of('a'), 'a');
        assert_eq!(ascii_of('│'), '|');
    }

    /// Nobody can draw a raw glyph without an ASCII fallback: every non-ASCII character in the
    /// code (not comments) of the drawing modules must be in [`FALLBACKS`].
    #[test]
    fn every_glyph_in_the_drawing_code_has_a_fallback() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.join("review/view.rs"), root.join("app/silences.rs")];
        let mut dirs = vec![root.join("ui")];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                panic!("cannot read {}", d.display());
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut missing = Vec::new();
        for f in &files {
            let Ok(src) = std::fs::read_to_string(f) else {
                panic!("cannot read {}", f.display());
            };
            // Test modules hold sample text (CJK titles), not glyphs opsdeck draws.
            let code = src.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let code_part = line.split("//").next().unwrap_or("");
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for c in code_part.chars().filter(|c| !c.is_ascii()) {
                    if ascii_of(c) == '?' {
                        missing.push(format!("{}:{} {c:?}", f.display(), n + 1));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "glyphs without an ASCII fallback: {missing:?}"
        );
    }
}
