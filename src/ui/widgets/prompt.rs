//! Prompt overlays: a text input with a visible cursor, its hint, completion candidates and
//! the keys it takes; and the choice list.
//!
//! The cursor is a reversed cell (visible without colour and in ASCII mode). Long text scrolls
//! horizontally so the cursor stays in view. Everything is drawn from the prompt in `&State`;
//! candidates were computed in `update` (see `app::completion`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::boxes::{boxed, centered};
use crate::app::state::Prompt;
use crate::ui::theme::Theme;

fn u16_of(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn cell_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The input line: `text` from the char that keeps the cursor in `width` cells, with the cell
/// under the cursor reversed.
fn input_line<'a>(text: &str, cursor_chars: usize, width: usize, t: Theme) -> Vec<Span<'a>> {
    let chars: Vec<char> = text.chars().collect();
    let cursor = cursor_chars.min(chars.len());
    let avail = width.max(2);
    // Scroll so the text before the cursor plus the cursor cell fits.
    let mut start = 0;
    let mut before: usize = chars[..cursor].iter().map(|c| cell_width(*c)).sum();
    while before + 1 > avail && start < cursor {
        before -= cell_width(chars[start]);
        start += 1;
    }
    let mut spans = vec![Span::styled("> ", t.warn())];
    if start > 0 {
        // Something is scrolled off to the left.
        spans[0] = Span::styled(if t.ascii { "<" } else { "…" }, t.dim());
        spans.insert(1, Span::raw(" "));
    }
    let reversed = Style::new().add_modifier(Modifier::REVERSED);
    let head: String = chars[start..cursor].iter().collect();
    spans.push(Span::raw(head));
    let mut used = before;
    match chars.get(cursor) {
        Some(c) => {
            spans.push(Span::styled(c.to_string(), reversed));
            used += cell_width(*c).max(1);
            let mut tail = String::new();
            for c in &chars[cursor + 1..] {
                let w = cell_width(*c);
                if used + w > avail {
                    break;
                }
                used += w;
                tail.push(*c);
            }
            spans.push(Span::raw(tail));
        }
        None => spans.push(Span::styled(" ", reversed)),
    }
    spans
}

/// The keys a text prompt takes, as its last two lines say them.
fn text_keys(t: Theme, completes: bool) -> [String; 2] {
    let sep = t.sep();
    let mut first = vec![
        "enter ok",
        "esc cancel",
        if t.ascii {
            "up/down history"
        } else {
            "↑↓ history"
        },
    ];
    if completes {
        first.push("tab complete");
    }
    let move_keys = if t.ascii {
        "left/right ^a ^e alt-b/f move"
    } else {
        "←→ ^a ^e alt-b/f move"
    };
    [first.join(sep), [move_keys, "^w ^u ^k delete"].join(sep)]
}

/// Draws a prompt centered in `area`.
pub fn prompt(p: &Prompt, t: Theme, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(8).clamp(10, 70);
    match p {
        Prompt::Text {
            title,
            input,
            hint,
            completion,
            ..
        } => {
            let inner_w = usize::from(w.saturating_sub(4));
            let mut lines = vec![Line::from(input_line(
                input.text(),
                input.cursor_chars(),
                inner_w,
                t,
            ))];
            if let Some(h) = hint {
                lines.push(Line::styled(format!("  {h}"), t.dim()));
            }
            for (i, c) in completion.shown.iter().enumerate() {
                let chosen = completion.chosen == Some(i);
                let style = if chosen { t.selected() } else { t.dim() };
                let mark = if chosen { "> " } else { "  " };
                lines.push(Line::styled(format!("{mark}{c}"), style));
            }
            for keys in text_keys(t, !completion.pool.is_empty()) {
                lines.push(Line::styled(keys, t.dim()));
            }
            let h = u16_of(lines.len() + 2);
            boxed(title, lines, t, centered(area, w, h), buf);
        }
        Prompt::Choice {
            title,
            options,
            selected,
            ..
        } => {
            let mut lines: Vec<Line<'_>> = options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let mark = if i == *selected { "> " } else { "  " };
                    let style = if i == *selected {
                        t.selected()
                    } else {
                        Style::new()
                    };
                    Line::styled(format!("{mark}{o}"), style)
                })
                .collect();
            let keys = if t.ascii {
                "up/down choose | enter = ok | esc = cancel"
            } else {
                "↑/↓ choose · enter = ok · esc = cancel"
            };
            lines.push(Line::styled(keys, t.dim()));
            let h = u16_of(options.len() + 3);
            boxed(title, lines, t, centered(area, w, h), buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn ascii_mode_draws_only_ascii_in_any_prompt() {
        use crate::app::state::PromptThen;
        let t = Theme {
            color: false,
            ascii: true,
        };
        let area = Rect::new(0, 0, 80, 24);
        let long = Prompt::text("comment", PromptThen::Comment).with_text(&"word ".repeat(30));
        let choice = Prompt::Choice {
            title: "priority".into(),
            options: vec!["P0".into(), "P1".into()],
            selected: 1,
            then: PromptThen::Priority,
        };
        for p in [long, choice] {
            let mut buf = Buffer::empty(area);
            prompt(&p, t, area, &mut buf);
            let bad: Vec<&str> = buf
                .content()
                .iter()
                .map(ratatui::buffer::Cell::symbol)
                .filter(|s| !s.is_ascii())
                .collect();
            assert!(bad.is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn long_text_scrolls_so_the_cursor_cell_stays_in_view() {
        let t = Theme {
            color: false,
            ascii: true,
        };
        let text = "x".repeat(100);
        let line = shown(&input_line(&text, 100, 20, t));
        assert_eq!(line, format!("< {} ", "x".repeat(19)));
        let line = shown(&input_line(&text, 0, 20, t));
        assert_eq!(line, format!("> {}", "x".repeat(20)));
    }
}
