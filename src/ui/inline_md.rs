//! One line of a plan item's Markdown drawn the way a Markdown viewer shows it: `**strong**`
//! bold, `*emphasis*` italic, `~~struck~~` crossed out, `` `code` `` in the code style, a link
//! as its text — the markers themselves hidden. The cache keeps the raw Markdown (the file is
//! rewritten from it, and `e` edits it); only the screen reads it as Markdown.
//!
//! The line is read in the context it came from, the text after `- [ ] ` (pulldown-cmark, the
//! same parser as the import), so `# of users` stays text and never becomes a heading. What
//! entity references decode to is sanitized again: `&#27;` must not reach the terminal as ESC.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::sanitize;

/// `text` as styled spans over `base`; `code` is the style of code spans. Text pulldown-cmark
/// does not read as an item line comes back as it is, in one span.
#[must_use]
pub fn spans(text: &str, base: Style, code: Style) -> Vec<Span<'static>> {
    let src = format!("- [ ] {text}");
    let mut out: Vec<Span<'static>> = Vec::new();
    let (mut strong, mut em, mut strike) = (0u32, 0u32, 0u32);
    let mut in_item = false;
    for event in Parser::new_ext(
        &src,
        Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH,
    ) {
        let style = || {
            let mut s = base;
            if strong > 0 {
                s = s.add_modifier(Modifier::BOLD);
            }
            if em > 0 {
                s = s.add_modifier(Modifier::ITALIC);
            }
            if strike > 0 {
                s = s.add_modifier(Modifier::CROSSED_OUT);
            }
            s
        };
        match event {
            Event::TaskListMarker(_) => in_item = true,
            _ if !in_item => {}
            Event::Start(Tag::Strong) => strong += 1,
            Event::End(TagEnd::Strong) => strong = strong.saturating_sub(1),
            Event::Start(Tag::Emphasis) => em += 1,
            Event::End(TagEnd::Emphasis) => em = em.saturating_sub(1),
            Event::Start(Tag::Strikethrough) => strike += 1,
            Event::End(TagEnd::Strikethrough) => strike = strike.saturating_sub(1),
            Event::Text(t) | Event::InlineHtml(t) | Event::Html(t) => {
                out.push(Span::styled(sanitize::line(&t), style()));
            }
            Event::Code(t) => out.push(Span::styled(sanitize::line(&t), code)),
            Event::SoftBreak | Event::HardBreak => out.push(Span::styled(" ", style())),
            // The item's line is over (a nested block would be another line).
            Event::End(TagEnd::Item | TagEnd::Paragraph) | Event::Start(Tag::List(_)) => break,
            _ => {}
        }
    }
    let shown: usize = out.iter().map(|s| s.content.len()).sum();
    if out.is_empty() || (shown == 0 && !text.trim().is_empty()) {
        return vec![Span::styled(text.to_owned(), base)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn plain(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    const CODE: Style = Style::new().fg(Color::Cyan);

    #[test]
    fn markers_are_hidden_and_their_text_styled() {
        let s = spans(
            "List what is **out** of scope, see `treaty_exposure` and [the brief](http://x)",
            Style::new(),
            CODE,
        );
        assert_eq!(
            plain(&s),
            "List what is out of scope, see treaty_exposure and the brief"
        );
        let out = s.iter().find(|s| s.content == "out").unwrap();
        assert!(out.style.add_modifier.contains(Modifier::BOLD));
        let code = s.iter().find(|s| s.content == "treaty_exposure").unwrap();
        assert_eq!(code.style, CODE);
    }

    #[test]
    fn block_syntax_at_the_start_stays_text() {
        for t in [
            "# of users",
            "1. first",
            "> quoted",
            "- dash",
            "    indented",
            "+ plus",
        ] {
            assert_eq!(
                plain(&spans(t, Style::new(), CODE)).trim_start(),
                t.trim_start(),
                "{t}"
            );
        }
    }

    #[test]
    fn what_entities_decode_to_is_sanitized() {
        let s = spans("red &#27;[31m alert &#x9b;2J", Style::new(), CODE);
        let text = plain(&s);
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.starts_with("red "), "{text:?}");
    }

    #[test]
    fn unbalanced_markers_are_shown_as_typed() {
        assert_eq!(plain(&spans("a ** b `c", Style::new(), CODE)), "a ** b `c");
        assert_eq!(
            plain(&spans("snake_case_name", Style::new(), CODE)),
            "snake_case_name"
        );
        assert_eq!(plain(&spans("", Style::new(), CODE)), "");
    }
}
