//! Parsing of Markdown plan documents into a checklist model with exact source offsets.
//!
//! This module owns the read side of the checklist: headings become a section tree
//! (document → sections → groups), GFM task-list items become [`Item`]s that remember the
//! byte offsets an edit needs, and every item gets a stable [`ItemKey`].
//!
//! Decisions (documented here because callers rely on them):
//! - Block structure comes from pulldown-cmark with only `ENABLE_TASKLISTS`, so lines that look
//!   like tasks inside fenced (```` ``` ````/`~~~`) or indented code blocks and HTML blocks are
//!   never tasks.
//! - Task items inside block quotes are **not** tasks: plans quote examples ("a task looks
//!   like `> - [ ] …`") and toggling a quoted example would corrupt the quote.
//! - Title: if the first heading is level 1 and it is the only level-1 heading, it is the
//!   document title and is not part of any section path. Every other heading opens a section;
//!   a heading nests under the nearest preceding heading with a smaller level.
//! - An item's text is the raw Markdown of the first line after the checkbox (one separating
//!   space or tab skipped, leading and trailing spaces/tabs excluded). Bold, code spans and a
//!   leading number such as `12.` are kept verbatim.
//! - Task code: the first match of `(?<![A-Za-z0-9])[A-Z][0-9]+(?:-[A-Z][0-9]+)+(?![A-Za-z0-9])`
//!   in the text (at least two segments, e.g. `P2-W2-A1`), matched by hand without a regex crate.
//! - Owner: the text's last whitespace-separated token when it is `@` followed by
//!   `[A-Za-z0-9_.-]+`.
//! - Occurrence: the index of an item among items with the same section path *and* text, in
//!   document order; `occurrences` is how many such items exist.
//!
//! - Line endings are `\n` or `\r\n`; a bare `\r` is not treated as a line break by the
//!   offset bookkeeping here (pulldown-cmark does treat it as one), so such files still toggle
//!   byte-exactly but an item's text may run across the bare `\r`.
//!
//! Everything here is linear in the input size: one pulldown-cmark pass plus constant work per
//! event and per byte of each item's first line.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

mod text;

use text::text_span;
pub use text::{is_valid_owner, owner_span, task_code};

/// Line ending style of a document.
///
/// Detected from the first line ending in the file; `Lf` when the file has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    CrLf,
}

impl LineEnding {
    /// The bytes of this line ending.
    ///
    /// `"\n"` or `"\r\n"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

/// One ATX (`## x`) or setext (`x\n---`) heading.
///
/// `span` covers the whole heading in the source (both lines for setext headings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// Heading level 1–6.
    pub level: u8,
    /// Plain text of the heading (text and code spans, formatting markers dropped, trimmed).
    pub text: String,
    /// Byte span of the heading in the source.
    pub span: Range<usize>,
    /// 1-based line number where the heading starts.
    pub line: usize,
}

/// A heading with the items directly under it and its deeper headings (groups).
///
/// Items are indices into [`Document::items`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading that opens this section.
    pub heading: Heading,
    /// Items directly under this heading (not under a child heading), as indices into
    /// [`Document::items`].
    pub items: Vec<usize>,
    /// Deeper headings nested under this one.
    pub children: Vec<Section>,
}

/// Done/total counts of a section or document.
///
/// `done` counts checked items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Checked items.
    pub done: usize,
    /// All items.
    pub total: usize,
}

impl Section {
    /// Done/total over this section and all nested groups.
    ///
    /// `doc` must be the document this section belongs to.
    pub fn progress(&self, doc: &Document) -> Progress {
        let mut p = Progress::default();
        let mut stack: Vec<&Section> = vec![self];
        while let Some(s) = stack.pop() {
            for &i in &s.items {
                if let Some(item) = doc.items.get(i) {
                    p.total += 1;
                    p.done += usize::from(item.checked);
                }
            }
            stack.extend(s.children.iter());
        }
        p
    }
}

/// Stable address of an item: section path, text and occurrence among identical items.
///
/// `occurrences` records how many items shared the same path and text when the key was taken;
/// if that number changed, resolving the key is ambiguous and is refused rather than guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemKey {
    /// Heading texts from the top-level section down to the item's innermost heading.
    pub section_path: Vec<String>,
    /// Raw Markdown text of the item's first line after the checkbox.
    pub text: String,
    /// 0-based index among items with the same path and text.
    pub occurrence: usize,
    /// Number of items with the same path and text when the key was taken.
    pub occurrences: usize,
}

/// One task-list item with the source offsets an edit needs.
///
/// All offsets are byte offsets into the parsed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Byte offset of the single state character between `[` and `]`.
    pub checkbox: usize,
    /// Whether the box is `[x]` or `[X]`.
    pub checked: bool,
    /// Byte span of the first line's text after the checkbox (what "edit text" replaces).
    pub text_span: Range<usize>,
    /// The text inside `text_span`.
    pub text: String,
    /// Start of the item's first line to its end, including the line ending (if any).
    pub line_span: Range<usize>,
    /// Byte span of the whole list item as pulldown-cmark reports it (children included).
    pub item_span: Range<usize>,
    /// Byte offset of the list marker (`-`, `*`, `+`, `1.`, `1)`).
    pub marker_start: usize,
    /// 1-based line number of the item's first line.
    pub line: usize,
    /// Heading texts from the top-level section to the innermost heading above the item.
    pub section_path: Vec<String>,
    /// 0-based index among items with the same section path and text.
    pub occurrence: usize,
    /// Number of items with the same section path and text.
    pub occurrences: usize,
    /// Task code such as `P2-W2-A1`, if the text has one.
    pub code: Option<String>,
    /// Trailing `@owner` without the `@`, if any.
    pub owner: Option<String>,
    /// Byte span of the trailing `@owner` token (including `@`), if any.
    pub owner_span: Option<Range<usize>>,
    /// Nesting depth: 0 for a top-level list item, +1 per enclosing list item.
    pub depth: usize,
    /// Identifier of the list this item belongs to (siblings share it).
    pub list_id: usize,
    /// 0-based position of this item among all items of its list (task or not).
    pub index_in_list: usize,
    /// Whether only spaces/tabs precede the list marker on its line (line edits allowed).
    pub line_addressable: bool,
}

impl Item {
    /// The stable key that addresses this item.
    ///
    /// Pass it to the edit functions or store it in a pending operation.
    pub fn key(&self) -> ItemKey {
        ItemKey {
            section_path: self.section_path.clone(),
            text: self.text.clone(),
            occurrence: self.occurrence,
            occurrences: self.occurrences,
        }
    }
}

/// A parsed plan document.
///
/// The source is not stored; offsets refer to the string passed to [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The single level-1 heading at the top, if the document has one.
    pub title: Option<Heading>,
    /// All task items in document order.
    pub items: Vec<Item>,
    /// Items before the first section heading (indices into `items`).
    pub root_items: Vec<usize>,
    /// Top-level sections, each with nested groups.
    pub sections: Vec<Section>,
    /// The document's line ending (from its first line ending).
    pub line_ending: LineEnding,
    /// Whether the source ends with a line ending.
    pub ends_with_newline: bool,
}

impl Document {
    /// Done/total over every item of the document.
    ///
    /// Includes items before the first section.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.items.iter().filter(|i| i.checked).count(),
            total: self.items.len(),
        }
    }
}

/// A task item found during the event pass, before section paths are known.
struct RawItem {
    checkbox: usize,
    checked: bool,
    item_span: Range<usize>,
    marker_start: usize,
    depth: usize,
    list_id: usize,
    index_in_list: usize,
    /// Index of the last heading seen before this item.
    heading: Option<usize>,
}

/// Per-list state while walking events.
struct ListFrame {
    id: usize,
    next_index: usize,
}

/// Per-list-item state while walking events.
struct ItemFrame {
    span: Range<usize>,
    list_id: usize,
    index_in_list: usize,
}

/// Parse a Markdown plan into sections and task items.
///
/// Never fails: any input yields a document (possibly with no items).
pub fn parse(src: &str) -> Document {
    let bytes = src.as_bytes();
    let mut headings: Vec<Heading> = Vec::new();
    let mut raw: Vec<RawItem> = Vec::new();
    let mut lists: Vec<ListFrame> = Vec::new();
    let mut open_items: Vec<ItemFrame> = Vec::new();
    let mut next_list_id = 0usize;
    let mut quote_depth = 0usize;
    let mut heading_text: Option<(u8, Range<usize>, String)> = None;

    let parser = Parser::new_ext(src, Options::ENABLE_TASKLISTS);
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
            Event::Start(Tag::List(_)) => {
                lists.push(ListFrame {
                    id: next_list_id,
                    next_index: 0,
                });
                next_list_id += 1;
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                let (list_id, index_in_list) = match lists.last_mut() {
                    Some(l) => {
                        l.next_index += 1;
                        (l.id, l.next_index - 1)
                    }
                    None => (usize::MAX, 0),
                };
                open_items.push(ItemFrame {
                    span: range,
                    list_id,
                    index_in_list,
                });
            }
            Event::End(TagEnd::Item) => {
                open_items.pop();
            }
            Event::TaskListMarker(checked) => {
                let Some(frame) = open_items.last() else {
                    continue;
                };
                let end = range.end;
                let well_formed = end >= 3
                    && bytes.get(end - 1) == Some(&b']')
                    && bytes.get(end - 3) == Some(&b'[');
                if quote_depth > 0 || !well_formed {
                    continue;
                }
                raw.push(RawItem {
                    checkbox: end - 2,
                    checked,
                    item_span: frame.span.clone(),
                    marker_start: frame.span.start,
                    depth: open_items.len() - 1,
                    list_id: frame.list_id,
                    index_in_list: frame.index_in_list,
                    heading: headings.len().checked_sub(1),
                });
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading_text = Some((level as u8, range, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, text)) = heading_text.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, text)) = heading_text.as_mut() {
                    text.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, span, text)) = heading_text.take() {
                    headings.push(Heading {
                        level,
                        text: text.trim().to_string(),
                        line: 0,
                        span,
                    });
                }
            }
            _ => {}
        }
    }
    build(src, headings, raw)
}

/// Second pass: line numbers, section tree, text spans, occurrences.
fn build(src: &str, mut headings: Vec<Heading>, raw: Vec<RawItem>) -> Document {
    let lines = LineIndex::new(src);
    for h in &mut headings {
        h.line = lines.line_of(h.span.start);
    }
    let title_is_first = headings.first().is_some_and(|h| h.level == 1)
        && headings.iter().filter(|h| h.level == 1).count() == 1;

    // Section path of every heading (title excluded) via a level stack.
    let mut paths: Vec<Vec<String>> = Vec::with_capacity(headings.len());
    let mut stack: Vec<(u8, String)> = Vec::new();
    for (i, h) in headings.iter().enumerate() {
        if i == 0 && title_is_first {
            paths.push(Vec::new());
            continue;
        }
        while stack.last().is_some_and(|(lvl, _)| *lvl >= h.level) {
            stack.pop();
        }
        stack.push((h.level, h.text.clone()));
        paths.push(stack.iter().map(|(_, t)| t.clone()).collect());
    }

    let mut items = Vec::with_capacity(raw.len());
    let mut last_line: Option<(usize, bool)> = None;
    for r in raw {
        let line_start = lines.line_start_of(r.checkbox);
        let line_addressable = match last_line {
            Some((start, ok)) if start == line_start => ok,
            _ => src
                .get(line_start..r.marker_start)
                .is_some_and(|p| p.bytes().all(|b| b == b' ' || b == b'\t')),
        };
        last_line = Some((line_start, line_addressable));
        let (content_end, line_end) = lines.line_end_of(src, r.checkbox);
        let text_span = text_span(src.as_bytes(), r.checkbox + 2, content_end);
        let text = src.get(text_span.clone()).unwrap_or_default().to_string();
        let owner_span =
            owner_span(&text).map(|s| s.start + text_span.start..s.end + text_span.start);
        let owner = owner_span
            .as_ref()
            .and_then(|s| src.get(s.start + 1..s.end))
            .map(str::to_string);
        let section_path = r
            .heading
            .and_then(|h| paths.get(h))
            .cloned()
            .unwrap_or_default();
        items.push(Item {
            checkbox: r.checkbox,
            checked: r.checked,
            code: task_code(&text),
            text_span,
            text,
            line_span: line_start..line_end,
            item_span: r.item_span,
            marker_start: r.marker_start,
            line: lines.line_of(r.checkbox),
            section_path,
            occurrence: 0,
            occurrences: 0,
            owner,
            owner_span,
            depth: r.depth,
            list_id: r.list_id,
            index_in_list: r.index_in_list,
            line_addressable,
        });
    }
    assign_occurrences(&mut items);

    let (root_items, sections) = section_tree(&headings, title_is_first, &items);
    let line_ending = match src.find('\n') {
        Some(i) if i > 0 && src.as_bytes().get(i - 1) == Some(&b'\r') => LineEnding::CrLf,
        _ => LineEnding::Lf,
    };
    Document {
        title: if title_is_first {
            headings.first().cloned()
        } else {
            None
        },
        items,
        root_items,
        sections,
        line_ending,
        ends_with_newline: src.ends_with('\n'),
    }
}

/// Fill `occurrence`/`occurrences` per (section path, text).
fn assign_occurrences(items: &mut [Item]) {
    let mut seen: HashMap<(&[String], &str), usize> = HashMap::new();
    let mut occ = Vec::with_capacity(items.len());
    for it in items.iter() {
        let n = seen.entry((&it.section_path, &it.text)).or_insert(0);
        occ.push(*n);
        *n += 1;
    }
    let totals: Vec<usize> = items
        .iter()
        .map(|it| {
            seen.get(&(it.section_path.as_slice(), it.text.as_str()))
                .copied()
                .unwrap_or(1)
        })
        .collect();
    for ((it, o), t) in items.iter_mut().zip(occ).zip(totals) {
        it.occurrence = o;
        it.occurrences = t;
    }
}

/// Build the section tree and attach item indices to the innermost heading above them.
fn section_tree(
    headings: &[Heading],
    title_is_first: bool,
    items: &[Item],
) -> (Vec<usize>, Vec<Section>) {
    let mut root_items = Vec::new();
    let mut roots: Vec<Section> = Vec::new();
    let mut stack: Vec<Section> = Vec::new();
    let mut next_item = 0usize;
    let first = usize::from(title_is_first);

    // Items before the first section heading belong to the document.
    let first_section_start = headings.get(first).map_or(usize::MAX, |h| h.span.start);
    while next_item < items.len() && items[next_item].checkbox < first_section_start {
        root_items.push(next_item);
        next_item += 1;
    }
    for (pos, h) in headings.iter().enumerate().skip(first) {
        while stack.last().is_some_and(|s| s.heading.level >= h.level) {
            close_top(&mut stack, &mut roots);
        }
        let mut section = Section {
            heading: h.clone(),
            items: Vec::new(),
            children: Vec::new(),
        };
        let next_start = headings.get(pos + 1).map_or(usize::MAX, |n| n.span.start);
        while next_item < items.len() && items[next_item].checkbox < next_start {
            section.items.push(next_item);
            next_item += 1;
        }
        stack.push(section);
    }
    while !stack.is_empty() {
        close_top(&mut stack, &mut roots);
    }
    (root_items, roots)
}

/// Pop the innermost open section and attach it to its parent (or the roots).
fn close_top(stack: &mut Vec<Section>, roots: &mut Vec<Section>) {
    if let Some(done) = stack.pop() {
        match stack.last_mut() {
            Some(parent) => parent.children.push(done),
            None => roots.push(done),
        }
    }
}

/// Line starts of a source, for offset → line lookups.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `src`.
    pub(crate) fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line number of `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// Byte offset where the line containing `offset` starts.
    pub(crate) fn line_start_of(&self, offset: usize) -> usize {
        let line = self.line_of(offset);
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0)
    }

    /// (end of content before the line ending, end including the line ending).
    pub(crate) fn line_end_of(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self.line_of(offset);
        let full_end = self.starts.get(line).copied().unwrap_or(src.len());
        let b = src.as_bytes();
        let mut content_end = full_end;
        if content_end > 0 && b.get(content_end - 1) == Some(&b'\n') {
            content_end -= 1;
            if content_end > 0 && b.get(content_end - 1) == Some(&b'\r') {
                content_end -= 1;
            }
        }
        (content_end, full_end)
    }
}
