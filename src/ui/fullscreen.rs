//! The full-screen detail (`Enter` on a row): the focused tab's own detail builder with no line
//! limit, drawn over the whole tab body and scrolled by `Overlay::Detail`'s `scroll`. The
//! renderer is the only place that knows the wrapped height, so it records the largest useful
//! scroll in `State::detail_max_scroll` for the scroll keys to clamp to.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, Widget};

use crate::app::state::State;
use crate::ui::theme::Theme;
use crate::ui::widgets::detail::render_full;

/// Draws the selected row full-screen into `area`.
pub fn render(state: &State, scroll: usize, t: Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let (title, lines) = crate::ui::tabs::full_detail(state, t);
    let max = render_full(title, lines, scroll, t, area, buf);
    state.detail_max_scroll.set(max);
}
