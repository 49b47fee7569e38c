//! Scrolling a Friday review page that is taller than the terminal: `j`/`k` move a row,
//! `ctrl-d`/`ctrl-u` half a screen, `g g`/`G` the ends; `n`/`p` change page (and scroll to the
//! top). The page's height comes from the review view's own layout, so scrolling stops at the
//! last row instead of running into blank space.

use super::action::Action;
use super::state::State;

/// Rows around the review page that are not page content: tab bar, status line, the page's
/// border (2) and its footer.
const CHROME_ROWS: u16 = 5;

impl State {
    /// Rows of the review page visible at the current terminal size.
    fn review_visible_rows(&self) -> u16 {
        self.size
            .1
            .saturating_sub(
                CHROME_ROWS
                    + u16::from(self.demo)
                    + u16::from(self.toast.is_some())
                    + u16::from(self.key_hints),
            )
            .max(1)
    }

    /// Applies a scroll `action` to review page `page`.
    pub(super) fn scroll_review(&mut self, page: usize, action: Action) {
        let Some(snap) = &self.review else { return };
        let inner_cols = self.size.0.saturating_sub(2);
        let content = crate::review::view::content_rows(snap, page, inner_cols);
        let note_rows = if snap
            .notes
            .contains_key(crate::review::PAGES[page.min(crate::review::PAGES.len() - 1)])
        {
            2
        } else {
            0
        };
        let visible = self.review_visible_rows().saturating_sub(note_rows).max(1);
        let max = content.saturating_sub(visible);
        let half = (visible / 2).max(1);
        let now = self.review_scroll_rows.min(max);
        self.review_scroll_rows = match action {
            Action::SelectNext => now.saturating_add(1),
            Action::SelectPrev => now.saturating_sub(1),
            Action::HalfPageDown => now.saturating_add(half),
            Action::HalfPageUp => now.saturating_sub(half),
            Action::SelectFirst => 0,
            Action::SelectLast => max,
            _ => now,
        }
        .min(max);
    }
}
