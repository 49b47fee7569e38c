//! Which rows the checklist table draws for a run of consecutive items of the tab's list:
//! section headings come from the section figures (progress over every item, and how many
//! items the list shows of each section), not from the items before the run — so a window of
//! the list (issue #12, [`crate::store::read::checklist_window`]) starts with its heading, and
//! every row keeps the display position it has in the whole list.
//!
//! The rule is the tab's: a section's heading is drawn when the list shows any of its items,
//! when it is folded, or when nothing filters the list; a folded section draws only its
//! heading, which stands for its first item (selected when that item is).

use crate::app::derive::SectionProgress;
use crate::domain::ChecklistItem;

/// One section in display order, as the list `shown` it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRow {
    /// Progress over all the section's items (heading, gate, completion table).
    pub progress: SectionProgress,
    /// Items of the section in the list (a folded section's first item counts as one).
    pub shown: usize,
    /// The section is folded.
    pub folded: bool,
}

/// One row of the checklist table: a section heading or an item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    /// A section heading.
    Heading(&'a SectionRow),
    /// An item.
    Item(&'a ChecklistItem),
}

/// The rows drawn for a run of items, and where they sit in the whole table.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout<'a> {
    /// Headings and items, in display order.
    pub entries: Vec<Entry<'a>>,
    /// Display position of `entries[0]`.
    pub first: usize,
    /// Rows (headings and items) of the whole table.
    pub total: usize,
    /// Display position of the selected item (its heading, when folded).
    pub selected: Option<usize>,
}

/// Lays out `items`, the list's items `offset..offset + items.len()` in display order, under
/// `sections` (every section, in display order); `filtered`: a filter or `open only` is on.
#[must_use]
pub fn layout<'a>(
    sections: &'a [SectionRow],
    filtered: bool,
    offset: usize,
    items: &[&'a ChecklistItem],
    selected_id: Option<i64>,
) -> Layout<'a> {
    let end = offset + items.len();
    let mut out = Layout {
        entries: Vec::with_capacity(items.len() + 8),
        first: 0,
        total: 0,
        selected: None,
    };
    let mut first = None;
    let (mut pos, mut row) = (0, 0);
    for s in sections {
        let drawn = s.shown > 0 || s.folded || !filtered;
        let last = pos + s.shown;
        // The section's items that are in the run.
        let run = pos.max(offset)..last.min(end);
        let is_selected = |p: usize| {
            items
                .get(p - offset)
                .is_some_and(|it| Some(it.id) == selected_id)
        };
        if drawn {
            if offset <= pos && pos <= end {
                first.get_or_insert(row);
                out.entries.push(Entry::Heading(s));
            }
            if s.folded && run.clone().any(is_selected) {
                out.selected = Some(row);
            }
            row += 1;
        }
        if !s.folded {
            for p in run {
                let at = row + (p - pos);
                first.get_or_insert(at);
                if is_selected(p) {
                    out.selected = Some(at);
                }
                if let Some(it) = items.get(p - offset) {
                    out.entries.push(Entry::Item(it));
                }
            }
            row += s.shown;
        }
        pos = last;
    }
    out.first = first.unwrap_or(0);
    out.total = row;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, section: &str) -> ChecklistItem {
        ChecklistItem {
            id,
            doc_id: 1,
            ordinal: id,
            section: section.into(),
            group: String::new(),
            text: format!("item {id}"),
            checked: false,
            owner: None,
            code: None,
            depth: 0,
            occurrence: 0,
            note: None,
            gate: false,
            pending: false,
            conflict: false,
        }
    }

    fn section(name: &str, shown: usize, folded: bool) -> SectionRow {
        SectionRow {
            progress: SectionProgress {
                doc_id: 1,
                section: name.into(),
                done: 0,
                total: shown.max(1),
                gate: false,
            },
            shown,
            folded,
        }
    }

    fn name(e: &Entry<'_>) -> String {
        match e {
            Entry::Heading(s) => format!("# {}", s.progress.section),
            Entry::Item(it) => format!("{}", it.id),
        }
    }

    /// Every run of the list lays out as the same rows, at the same positions, as the whole
    /// list does — headings included at a run's first row, folded sections as one row.
    #[test]
    fn every_run_is_a_slice_of_the_whole_table() {
        // A (3 items), B folded (anchor shown), C (nothing shown, filtered: no heading),
        // D folded with its anchor filtered out (heading only), E (2 items).
        let sections = vec![
            section("A", 3, false),
            section("B", 1, true),
            section("C", 0, false),
            section("D", 0, true),
            section("E", 2, false),
        ];
        let names = ["A", "A", "A", "B", "E", "E"];
        let items: Vec<ChecklistItem> = names
            .iter()
            .enumerate()
            .map(|(i, s)| item(i64::try_from(i).unwrap() + 1, s))
            .collect();
        let refs: Vec<&ChecklistItem> = items.iter().collect();
        let whole = layout(&sections, true, 0, &refs, Some(4));
        let rows: Vec<String> = whole.entries.iter().map(name).collect();
        assert_eq!(rows, ["# A", "1", "2", "3", "# B", "# D", "# E", "5", "6"]);
        assert_eq!((whole.first, whole.total), (0, 9));
        assert_eq!(
            whole.selected,
            Some(4),
            "the folded anchor selects its heading"
        );
        for offset in 0..refs.len() {
            for len in 1..=refs.len() - offset {
                let run = layout(
                    &sections,
                    true,
                    offset,
                    &refs[offset..offset + len],
                    Some(6),
                );
                let got: Vec<String> = run.entries.iter().map(name).collect();
                let at = run.first;
                assert_eq!(got, rows[at..at + got.len()], "run {offset}+{len}");
                assert_eq!(run.total, 9);
                let last_in = offset + len == refs.len();
                assert_eq!(run.selected, last_in.then_some(8), "run {offset}+{len}");
            }
        }
        // Unfiltered, an empty section keeps its heading.
        let unfiltered = layout(&sections, false, 0, &refs, None);
        assert!(unfiltered.entries.iter().any(|e| name(e) == "# C"));
        assert_eq!(unfiltered.total, 10);
    }
}
