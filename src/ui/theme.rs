//! The theme: the 16 ANSI colours opsdeck uses, resolved against `NO_COLOR` and ASCII borders.
//!
//! Widgets never name a colour directly when the colour carries meaning; they ask the theme
//! (`bad`, `warn`, `good`, ...). With `no_color` every style loses its colours and keeps only
//! bold / reversed / underline, so emphasis survives on a monochrome terminal. Only the 16
//! named ANSI colours are used (no RGB, no indexed colours) so jump-host terminals render them.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::Block;

use crate::app::state::State;
pub use crate::ui::glyphs::Glyph;

/// ASCII border set (`+-|`) for terminals without box drawing.
pub const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// Resolved styles for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours allowed.
    pub color: bool,
    /// ASCII borders and bars.
    pub ascii: bool,
}

impl Theme {
    /// The theme for `state` (`no_color`, `ascii`).
    #[must_use]
    pub fn of(state: &State) -> Theme {
        Theme {
            color: !state.no_color,
            ascii: state.ascii,
        }
    }

    /// A foreground colour, or nothing under `NO_COLOR`.
    #[must_use]
    pub fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Something wrong: red and bold.
    #[must_use]
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Needs attention: yellow.
    #[must_use]
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Healthy: green.
    #[must_use]
    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    /// Secondary text: dark gray.
    #[must_use]
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// Labels in the detail pane: cyan.
    #[must_use]
    pub fn label(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// Emphasis that survives without colour.
    #[must_use]
    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row.
    #[must_use]
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Table headers.
    #[must_use]
    pub fn header(self) -> Style {
        self.fg(Color::Gray)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// A bordered block with the theme's border set.
    #[must_use]
    pub fn block(self) -> Block<'static> {
        let b = Block::bordered().border_style(self.dim());
        if self.ascii {
            b.border_set(ASCII_BORDER)
        } else {
            b
        }
    }

    /// A text progress bar `width` cells wide for `fraction` (clamped to 0–1).
    #[must_use]
    pub fn bar(self, fraction: f64, width: usize) -> String {
        let f = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "0..=width"
        )]
        let full = ((f * width as f64).round() as usize).min(width);
        let (on, off) = if self.ascii {
            ('#', '.')
        } else {
            ('█', '░')
        };
        let mut s = String::with_capacity(width * 3);
        s.extend(std::iter::repeat_n(on, full));
        s.extend(std::iter::repeat_n(off, width - full));
        s
    }

    /// One sparkline glyph for a level in 0..=7.
    #[must_use]
    pub fn spark(self, level: usize) -> char {
        const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        const ASCII: [char; 8] = ['_', '.', ',', '-', '~', '+', '*', '#'];
        let i = level.min(7);
        if self.ascii {
            ASCII[i]
        } else {
            BLOCKS[i]
        }
    }

    /// A named glyph, in ASCII when the theme is ASCII (see [`Glyph`]).
    #[must_use]
    pub fn glyph(self, g: Glyph) -> &'static str {
        g.get(self.ascii)
    }

    /// The horizontal separator between status-bar items.
    #[must_use]
    pub fn sep(self) -> &'static str {
        if self.ascii {
            " | "
        } else {
            " · "
        }
    }
}
