//! The checklist tab: one table column of items (`[x]`/`[ ]`, code, text, @owner and
//! note/pending/conflict markers) under section headings drawn as rows across the table
//! (progress bar, done/total, GATE green only when complete). Folded sections show only their
//! heading. The detail pane holds the completion table and the selected item.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::derive::{checklist_sections, SectionProgress};
use crate::app::state::State;
use crate::domain::ChecklistItem;
use crate::ui::inline_md;
use crate::ui::split_body;
use crate::ui::text::{fit, or_dash};
use crate::ui::theme::{Glyph, Theme};
use crate::ui::widgets::data_table::{fit_line, list_title, Align, Column, ListTable, Rows, Width};
use crate::ui::widgets::detail::{render_detail, DetailLines};

use super::checklist_layout::{layout, Entry, SectionRow};

/// The task code of an item: its `code`, or a leading `P2-W1-A1`-style token of its text.
#[must_use]
pub fn code_and_text(it: &ChecklistItem) -> (String, String) {
    let mut text = it.text.as_str();
    if let Some(o) = &it.owner {
        if let Some(stripped) = text
            .strip_suffix(o.as_str())
            .and_then(|s| s.strip_suffix('@'))
        {
            text = stripped.trim_end();
        }
    }
    if let Some(c) = &it.code {
        let rest = text.strip_prefix(c.as_str()).map_or(text, str::trim_start);
        return (c.clone(), rest.to_string());
    }
    let first = text.split_whitespace().next().unwrap_or("");
    let looks_like_code = first.contains('-')
        && first.chars().any(|c| c.is_ascii_digit())
        && first
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if looks_like_code {
        (
            first.to_string(),
            text[first.len()..].trim_start().to_string(),
        )
    } else {
        (String::new(), text.to_string())
    }
}

fn section_style(s: &SectionProgress, t: Theme) -> ratatui::style::Style {
    if s.gate {
        if s.gate_green() {
            t.good().add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            t.bad()
        }
    } else if s.total > 0 && s.done == s.total {
        t.good()
    } else {
        t.bold()
    }
}

/// The heading line of a section: fold arrow, name, progress bar, done/total, GATE.
fn heading(state: &State, s: &SectionProgress, t: Theme, bar_w: usize) -> Line<'static> {
    let folded = state.folded.contains(&s.section);
    let arrow = t.glyph(if folded {
        Glyph::Folded
    } else {
        Glyph::Unfolded
    });
    #[allow(clippy::cast_precision_loss, reason = "item counts are small")]
    let frac = if s.total == 0 {
        0.0
    } else {
        s.done as f64 / s.total as f64
    };
    let gate = if s.gate {
        if s.gate_green() {
            format!(" GATE {}", t.glyph(Glyph::Check))
        } else {
            " GATE".to_string()
        }
    } else {
        String::new()
    };
    Line::from(vec![
        Span::styled(format!("{arrow} {}", s.section), section_style(s, t)),
        Span::raw("  "),
        Span::styled(t.bar(frac, bar_w), section_style(s, t)),
        Span::raw(format!(" {}/{}", s.done, s.total)),
        Span::styled(gate, section_style(s, t)),
    ])
}

fn indent_w(depth: u32) -> usize {
    2 * (usize::try_from(depth.min(4)).unwrap_or(0) + 1)
}

/// An item's line in a column `fill` cells wide: indent, `[x]`, code, text (cut first),
/// `@owner` (cut to a third), note mark.
fn item_line(it: &ChecklistItem, t: Theme, fill: usize) -> Line<'static> {
    let (code, text) = code_and_text(it);
    let owner_w = it
        .owner
        .as_ref()
        .map_or(0, |o| unicode_width::UnicodeWidthStr::width(o.as_str()) + 2);
    let used = indent_w(it.depth)
        + 4
        + if code.is_empty() {
            0
        } else {
            unicode_width::UnicodeWidthStr::width(code.as_str()) + 1
        };
    let (base, code_style) = if it.checked {
        (t.dim(), t.dim())
    } else {
        (ratatui::style::Style::default(), t.label())
    };
    let text = fit_line(
        Line::from(inline_md::spans(&text, base, code_style)),
        fill.saturating_sub(used + owner_w.min(fill / 3) + 2).max(8),
        "…",
        Align::Left,
    );
    let check = if it.checked {
        Span::styled("[x] ", t.good())
    } else {
        Span::raw("[ ] ")
    };
    let mut spans = vec![Span::raw(" ".repeat(indent_w(it.depth))), check];
    if !code.is_empty() {
        spans.push(Span::styled(format!("{code} "), t.label()));
    }
    spans.extend(text.spans);
    if let Some(o) = &it.owner {
        spans.push(Span::styled(format!(" @{}", fit(o, fill / 3)), t.warn()));
    }
    if it.note.is_some() {
        spans.push(Span::styled(" ✎", t.label()));
    }
    Line::from(spans)
}

/// The sections in display order with what the list shows of each, and the items in memory
/// in display order: from the SQL figures for a window of the list, else from every item
/// (grouped under their sections as they are drawn).
fn sections_and_items(state: &State) -> (Vec<SectionRow>, Vec<&ChecklistItem>) {
    let list = &state.checklist;
    let folded = |s: &str| state.folded.contains(s);
    if let (true, Some(sql)) = (list.windowed, &state.checklist_sections) {
        let rows = sql
            .iter()
            .map(|s| SectionRow {
                progress: SectionProgress {
                    doc_id: s.doc_id,
                    section: s.section.clone(),
                    done: s.done,
                    total: s.total,
                    gate: s.gate,
                },
                shown: s.shown,
                folded: folded(&s.section),
            })
            .collect();
        return (rows, list.visible().collect());
    }
    // One pass groups the visible items by section, under their headings.
    let mut by_section: std::collections::HashMap<(i64, &str), Vec<&ChecklistItem>> =
        std::collections::HashMap::new();
    for it in list.visible() {
        by_section
            .entry((it.doc_id, it.section.as_str()))
            .or_default()
            .push(it);
    }
    let mut items: Vec<&ChecklistItem> = Vec::with_capacity(list.view.len());
    let rows = checklist_sections(&list.rows)
        .into_iter()
        .map(|s| {
            let shown = by_section
                .get(&(s.doc_id, s.section.as_str()))
                .map_or(&[][..], Vec::as_slice);
            items.extend_from_slice(shown);
            SectionRow {
                shown: shown.len(),
                folded: folded(&s.section),
                progress: s,
            }
        })
        .collect();
    (rows, items)
}

/// Draws the checklist tab.
pub fn render(state: &State, t: Theme, area: Rect, buf: &mut Buffer) {
    let (list_area, detail_area) = split_body(area, state.show_detail, usize::MAX);
    let bar_w = if list_area.width >= 100 { 12 } else { 6 };
    let list = &state.checklist;
    let selected_id = list.selected_row().map(|i| i.id);
    let filtered = !list.filter.is_empty() || state.open_only;
    let (rows_of, items) = sections_and_items(state);
    let laid = layout(&rows_of, filtered, list.offset, &items, selected_id);
    let sections: Vec<SectionProgress> = rows_of.iter().map(|s| s.progress.clone()).collect();
    let (shown, all) = if list.windowed {
        (list.total, sections.iter().map(|s| s.total).sum())
    } else {
        (list.view.len(), list.rows.len())
    };
    let doc = state
        .checklist_docs
        .first()
        .map_or("Checklist", |d| d.title.as_str());
    let mut title = list_title(&fit(doc, 40), shown, all, &list.filter, t);
    if state.open_only {
        title.spans.push(Span::styled("open only ", t.warn()));
    }
    let item = Column::fitted("item", Width::Fill(1), move |e: &Entry<'_>, w| match e {
        Entry::Item(it) => item_line(it, t, w),
        Entry::Heading(_) => Line::default(),
    });
    let mut table = ListTable::of_rows(
        title,
        Rows {
            rows: &laid.entries,
            order: None,
            selected: laid.selected,
            offset: laid.first,
            total: Some(laid.total),
        },
        vec![item],
        t,
    )
    .markers(|e: &Entry<'_>| match e {
        Entry::Item(it) => (it.pending, it.conflict),
        Entry::Heading(_) => (false, false),
    })
    .marked(|e: &Entry<'_>| matches!(e, Entry::Item(it) if list.marked.contains(&it.id)))
    .spans(|e: &Entry<'_>| match e {
        Entry::Heading(s) => Some(heading(state, &s.progress, t, bar_w)),
        Entry::Item(_) => None,
    });
    table.loaded = list.loaded;
    table.filtered = filtered;
    table.render(list_area, buf);
    if let Some(area) = detail_area {
        render_detail("Completion", detail(state, &sections, t), t, area, buf);
    }
}

/// The full-screen view: the item (with its whole note) and the completion table.
pub(super) fn full_detail(state: &State, t: Theme) -> DetailLines {
    let sections: Vec<SectionProgress> = sections_and_items(state)
        .0
        .into_iter()
        .map(|s| s.progress)
        .collect();
    let mut l = detail(state, &sections, t);
    if let Some(n) = state
        .checklist
        .selected_row()
        .and_then(|it| it.note.as_ref())
    {
        if n.lines().count() > 1 {
            l.gap();
            l.heading(t, "Note");
            l.body(n, usize::MAX);
        }
    }
    l
}

fn detail(state: &State, sections: &[SectionProgress], t: Theme) -> DetailLines {
    let mut l = DetailLines::default();
    if let Some(it) = state.checklist.selected_row() {
        let (code, text) = code_and_text(it);
        let mut line = vec![Span::styled(format!("{code} "), t.label())];
        line.extend(inline_md::spans(&text, t.bold(), t.label()));
        l.lines.push(Line::from(line));
        l.field(t, "state", if it.checked { "done" } else { "open" });
        l.field(t, "owner", or_dash(it.owner.as_deref()).to_string());
        l.field(
            t,
            "section",
            format!("{} / {}", it.section, or_dash(Some(it.group.as_str()))),
        );
        if let Some(n) = &it.note {
            l.field(t, "note", crate::ui::text::first_line(n).to_string());
        }
        l.edit_state(
            t,
            it.conflict
                .then_some("the plan changed elsewhere (file or issue) — see the outbox"),
            it.pending.then_some("waiting to be written back"),
        );
        l.gap();
    }
    l.lines.push(Line::styled(
        format!("{:<30}{:>6}{:>6}{:>5}", "section", "items", "done", "%"),
        t.header(),
    ));
    let (mut all, mut done) = (0, 0);
    for s in sections {
        all += s.total;
        done += s.done;
        let name = format!("{}{}", if s.gate { "GATE " } else { "" }, s.section);
        l.lines.push(Line::styled(
            format!(
                "{:<30}{:>6}{:>6}{:>5}",
                fit(&name, 29),
                s.total,
                s.done,
                s.percent()
            ),
            section_style(s, t),
        ));
    }
    let pct = (done * 100).checked_div(all).unwrap_or(0);
    l.lines.push(Line::styled(
        format!("{:<30}{all:>6}{done:>6}{pct:>5}", "total"),
        t.bold(),
    ));
    for d in &state.checklist_docs {
        if let Some(e) = &d.last_error {
            l.styled(t, "file error", format!("{}: {e}", d.path), t.bad());
        }
    }
    l
}
