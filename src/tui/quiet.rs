//! [`QuietBackend`]: a ratatui backend wrapper that writes nothing when nothing changed.
//!
//! ratatui diffs each frame against the last one, but its crossterm backend still writes a
//! colour/attribute reset after an empty diff, and the terminal re-sends "hide cursor" on every
//! frame. The app redraws on its 1 Hz tick (countdowns and ages must move), so an idle opsdeck
//! wrote ~25 bytes a second to an SSH link with nothing on screen changing. This wrapper drops
//! an empty draw and repeats of the cursor state, so an idle screen costs zero bytes and a clock
//! that shows minutes costs one small update a minute. Everything else is passed through.

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Wraps a backend; see the module doc.
#[derive(Debug)]
pub struct QuietBackend<B> {
    inner: B,
    /// The cursor state last sent: `Some(true)` hidden, `Some(false)` shown, `None` unknown.
    cursor_hidden: Option<bool>,
    /// The cursor position last sent.
    cursor_at: Option<Position>,
}

impl<B> QuietBackend<B> {
    /// Wraps `inner`; the first cursor command of each kind is always sent.
    pub fn new(inner: B) -> Self {
        Self {
            inner,
            cursor_hidden: None,
            cursor_at: None,
        }
    }

    /// The wrapped backend (tests read what it wrote).
    pub fn inner(&self) -> &B {
        &self.inner
    }
}

impl<B: Backend> Backend for QuietBackend<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        // Drawing moves the terminal's cursor: its position must be sent again.
        self.cursor_at = None;
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.cursor_at = None;
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        if self.cursor_hidden == Some(true) {
            return Ok(());
        }
        self.cursor_hidden = Some(true);
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        if self.cursor_hidden == Some(false) {
            return Ok(());
        }
        self.cursor_hidden = Some(false);
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        let position = position.into();
        if self.cursor_at == Some(position) {
            return Ok(());
        }
        self.cursor_at = Some(position);
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.cursor_at = None;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.cursor_at = None;
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell as Counter;
    use std::io::Write;
    use std::rc::Rc;

    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use super::*;

    /// Counts the bytes the backend writes (what an SSH link would carry).
    #[derive(Clone, Default)]
    struct Bytes(Rc<Counter<usize>>);

    impl Write for Bytes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.set(self.0.get() + buf.len());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    type Term = Terminal<QuietBackend<CrosstermBackend<Bytes>>>;

    fn terminal() -> (Term, Bytes) {
        let bytes = Bytes::default();
        let t = Terminal::with_options(
            QuietBackend::new(CrosstermBackend::new(bytes.clone())),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 20, 3)),
            },
        )
        .unwrap();
        (t, bytes)
    }

    #[test]
    fn an_unchanged_frame_writes_zero_bytes_and_a_changed_one_writes_only_its_cells() {
        let (mut t, bytes) = terminal();
        let written = |_: &Term| bytes.0.get();
        t.draw(|f| f.render_widget(Paragraph::new("14:02 idle"), f.area()))
            .unwrap();
        let first = written(&t);
        assert!(first > 0, "the first frame is drawn");

        for _ in 0..60 {
            t.draw(|f| f.render_widget(Paragraph::new("14:02 idle"), f.area()))
                .unwrap();
        }
        assert_eq!(
            written(&t),
            first,
            "a minute of identical frames writes nothing"
        );

        t.draw(|f| f.render_widget(Paragraph::new("14:03 idle"), f.area()))
            .unwrap();
        let minute = written(&t) - first;
        assert!(
            minute > 0 && minute < 40,
            "the clock's one changed cell costs a few bytes, not a frame: {minute}"
        );
    }

    #[test]
    fn the_cursor_of_an_open_input_is_sent_once_and_again_after_it_moves() {
        let (mut t, bytes) = terminal();
        let written = |_: &Term| bytes.0.get();
        let draw = |t: &mut Term, x: u16| {
            t.draw(|f| {
                f.render_widget(Paragraph::new("> abc"), f.area());
                f.set_cursor_position((x, 0));
            })
            .unwrap();
        };
        draw(&mut t, 5);
        let after_first = written(&t);
        draw(&mut t, 5);
        assert_eq!(
            written(&t),
            after_first,
            "same cursor, same screen: nothing"
        );
        draw(&mut t, 4);
        assert!(written(&t) > after_first, "a moved cursor is sent");
    }
}
