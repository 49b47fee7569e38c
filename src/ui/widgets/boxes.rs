//! The frame every modal box shares: a rectangle centered in the screen, cleared, with a titled
//! border. Overlays, help, the prompt and the outbox view draw through it (so none of them
//! imports another).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use crate::ui::theme::Theme;

/// A rectangle of at most `w`×`h` centered in `area`.
#[must_use]
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Clears `area` and draws a titled box with `lines`.
pub fn boxed(title: &str, lines: Vec<Line<'_>>, theme: Theme, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    Paragraph::new(lines)
        .block(
            theme
                .block()
                .title(Span::styled(format!(" {title} "), theme.bold())),
        )
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
