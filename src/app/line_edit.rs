//! A single-line text editor with a cursor, editing like a shell's (readline/emacs keys).
//!
//! Owns only the text and the cursor: no rendering, no history, no completion. The cursor is
//! a byte index that is always on a `char` boundary, so multi-byte text (`Zürich`, `東京`,
//! emoji) is never split. Words for Alt-B/Alt-F are runs of alphanumeric characters (like
//! readline's `backward-word`); Ctrl-W kills back to the previous whitespace (like
//! `unix-word-rubout`).

use super::msg::InputKey;

/// The most bytes a prompt holds (what the prompt accepted before it had a cursor).
pub const MAX_BYTES: usize = 4096;

/// Text and cursor of one input line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineEdit {
    text: String,
    /// Byte index into `text`, always on a char boundary.
    cursor: usize,
}

impl LineEdit {
    /// An editor holding `text` (capped at [`MAX_BYTES`]) with the cursor at its end.
    #[must_use]
    pub fn with_text(text: &str) -> LineEdit {
        let mut e = LineEdit::default();
        e.insert_str(text);
        e
    }

    /// The text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor as a byte index into [`Self::text`].
    #[must_use]
    pub fn cursor_byte(&self) -> usize {
        self.cursor
    }

    /// The cursor as a count of chars before it.
    #[must_use]
    pub fn cursor_chars(&self) -> usize {
        self.text[..self.cursor].chars().count()
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, text: &str) {
        self.text.clear();
        self.cursor = 0;
        self.insert_str(text);
    }

    /// Inserts one char at the cursor (ignored once the line holds [`MAX_BYTES`]).
    pub fn insert(&mut self, c: char) {
        if self.text.len() + c.len_utf8() > MAX_BYTES {
            return;
        }
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    /// Inserts text at the cursor, char by char up to the cap.
    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            self.insert(c);
        }
    }

    fn prev_boundary(&self, at: usize) -> usize {
        self.text[..at].char_indices().last().map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, at: usize) -> usize {
        self.text[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8())
    }

    /// One char left.
    pub fn left(&mut self) {
        self.cursor = self.prev_boundary(self.cursor);
    }

    /// One char right.
    pub fn right(&mut self) {
        self.cursor = self.next_boundary(self.cursor);
    }

    /// To the start.
    pub fn home(&mut self) {
        self.cursor = 0;
    }

    /// To the end.
    pub fn end(&mut self) {
        self.cursor = self.text.len();
    }

    /// Deletes the char before the cursor.
    pub fn backspace(&mut self) {
        let from = self.prev_boundary(self.cursor);
        self.text.replace_range(from..self.cursor, "");
        self.cursor = from;
    }

    /// Deletes the char under the cursor.
    pub fn delete(&mut self) {
        let to = self.next_boundary(self.cursor);
        self.text.replace_range(self.cursor..to, "");
    }

    /// Ctrl-U: deletes from the start to the cursor.
    pub fn kill_to_start(&mut self) {
        self.text.replace_range(..self.cursor, "");
        self.cursor = 0;
    }

    /// Ctrl-K: deletes from the cursor to the end.
    pub fn kill_to_end(&mut self) {
        self.text.truncate(self.cursor);
    }

    /// Ctrl-W: deletes back over whitespace, then back to the previous whitespace.
    pub fn kill_word_back(&mut self) {
        let from = self.scan_back(char::is_whitespace);
        self.text.replace_range(from..self.cursor, "");
        self.cursor = from;
    }

    /// Alt-B: to the start of the word before the cursor.
    pub fn word_back(&mut self) {
        self.cursor = self.scan_back(|c| !c.is_alphanumeric());
    }

    /// Alt-F: to the end of the word after the cursor.
    pub fn word_forward(&mut self) {
        let rest = &self.text[self.cursor..];
        let mut at = self.cursor;
        let mut in_word = false;
        for c in rest.chars() {
            let sep = !c.is_alphanumeric();
            if in_word && sep {
                break;
            }
            in_word |= !sep;
            at += c.len_utf8();
        }
        self.cursor = at;
    }

    /// From the cursor backwards: skip separators, then non-separators; the index reached.
    fn scan_back(&self, is_sep: impl Fn(char) -> bool) -> usize {
        let mut at = self.cursor;
        let mut in_word = false;
        for (i, c) in self.text[..self.cursor].char_indices().rev() {
            let sep = is_sep(c);
            if in_word && sep {
                break;
            }
            in_word |= !sep;
            at = i;
        }
        at
    }

    /// Applies an editing key; false when the key is not an editing key (Enter, Esc, Tab, ↑/↓
    /// are the prompt's to handle).
    pub fn apply(&mut self, key: InputKey) -> bool {
        match key {
            InputKey::Char(c) => self.insert(c),
            InputKey::Backspace => self.backspace(),
            InputKey::Delete | InputKey::Ctrl('d') => self.delete(),
            InputKey::Left | InputKey::Ctrl('b') => self.left(),
            InputKey::Right | InputKey::Ctrl('f') => self.right(),
            InputKey::Home | InputKey::Ctrl('a') => self.home(),
            InputKey::End | InputKey::Ctrl('e') => self.end(),
            InputKey::Ctrl('u') => self.kill_to_start(),
            InputKey::Ctrl('k') => self.kill_to_end(),
            InputKey::Ctrl('w') | InputKey::AltBackspace => self.kill_word_back(),
            InputKey::Alt('b') => self.word_back(),
            InputKey::Alt('f') => self.word_forward(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, cursor_chars: usize) -> LineEdit {
        let mut e = LineEdit::with_text(text);
        e.home();
        for _ in 0..cursor_chars {
            e.right();
        }
        e
    }

    #[test]
    fn inserts_at_the_cursor_between_multibyte_chars() {
        let mut e = LineEdit::with_text("Zürich東京");
        e.left();
        e.left();
        e.insert('-');
        assert_eq!(e.text(), "Zürich-東京");
        assert_eq!(e.cursor_chars(), 7);
        e.home();
        e.right();
        e.right();
        e.backspace();
        assert_eq!(e.text(), "Zrich-東京");
        e.delete();
        assert_eq!(e.text(), "Zich-東京");
    }

    #[test]
    fn movement_stops_at_both_ends() {
        let mut e = LineEdit::with_text("ab");
        e.right();
        assert_eq!(e.cursor_chars(), 2);
        e.home();
        e.left();
        e.backspace();
        assert_eq!((e.text(), e.cursor_chars()), ("ab", 0));
        e.end();
        e.delete();
        assert_eq!(e.text(), "ab");
    }

    #[test]
    fn kills_to_start_and_to_end() {
        let mut e = at("hello brave world", 6);
        e.kill_to_end();
        assert_eq!(e.text(), "hello ");
        let mut e = at("hello brave world", 6);
        e.kill_to_start();
        assert_eq!((e.text(), e.cursor_chars()), ("brave world", 0));
    }

    #[test]
    fn ctrl_w_kills_back_to_whitespace_like_a_shell() {
        let mut e = LineEdit::with_text("deploy checkout-api  ");
        for left in ["deploy ", "", ""] {
            e.kill_word_back();
            assert_eq!(e.text(), left);
        }
    }

    #[test]
    fn alt_b_and_alt_f_move_over_alphanumeric_words() {
        let mut e = LineEdit::with_text("fix checkout-api now");
        let back: fn(&mut LineEdit) = LineEdit::word_back;
        let forward: fn(&mut LineEdit) = LineEdit::word_forward;
        let steps = [
            (back, 17),
            (back, 13),
            (back, 4),
            (forward, 12),
            (forward, 16),
            (forward, 20),
            (forward, 20),
        ];
        for (step, cursor) in steps {
            step(&mut e);
            assert_eq!(e.cursor_chars(), cursor);
        }
    }

    #[test]
    fn caps_at_max_bytes_without_splitting_a_char() {
        let mut e = LineEdit::with_text(&"é".repeat(MAX_BYTES));
        assert_eq!(e.text().len(), MAX_BYTES);
        e.insert('x');
        assert_eq!(e.text().len(), MAX_BYTES);
    }
}
