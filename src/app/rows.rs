//! How each row type takes part in lists: id, filter haystack, sort keys, links.
//!
//! The `/` filter is fuzzy (nucleo-matcher, the matcher helix uses) over the columns the tab
//! shows. Sorting is stable over the store's default order, so `s` cycles through columns and
//! back to the default.

use std::cmp::Ordering;
use std::fmt::Write as _;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::state::ListState;
use crate::domain::{
    Alert, Bug, ChecklistItem, Customer, Deployment, EntityKind, EntityRef, Incident, Slo,
};

/// A sortable value.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    /// Text (case-insensitive).
    Text(String),
    /// A number.
    Num(f64),
}

/// What lists need from a row type.
pub trait RowView {
    /// Names of the sort columns after the default order (index 1..).
    const SORTS: &'static [&'static str];
    /// The row's entity.
    fn entity(&self) -> EntityRef;
    /// Writes the text the filter matches against (the visible columns) into `out`, which the
    /// caller clears and reuses, so filtering 50k rows allocates once, not 50k times.
    fn haystack_into(&self, out: &mut String);
    /// Sort key for sort column `col` (1-based; 0 is the default order).
    fn sort_key(&self, col: usize) -> SortKey;
    /// Link for `o` / `Y`.
    fn url(&self) -> Option<&str> {
        None
    }
    /// Id for `y`.
    fn copy_id(&self) -> String;
    /// Whether the row is in the list's working part (an open bug, an unresolved incident, a
    /// customer not churned). A row that stops being active sinks to the closed part of the
    /// list; the cursor then stays where it was instead of following it.
    fn is_active(&self) -> bool {
        true
    }
    /// Display width of the id the list shows (its id column never cuts it).
    fn id_width(&self) -> usize {
        unicode_width::UnicodeWidthStr::width(self.copy_id().as_str())
    }
}

fn t(s: &str) -> SortKey {
    SortKey::Text(s.to_lowercase())
}

#[allow(clippy::cast_precision_loss, reason = "sort keys only")]
fn n(v: i64) -> SortKey {
    SortKey::Num(v as f64)
}

impl RowView for Bug {
    const SORTS: &'static [&'static str] = &["priority", "age", "assignee", "key"];
    fn is_active(&self) -> bool {
        self.is_open()
    }
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::Bug,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            self.key,
            self.title,
            self.priority,
            self.status,
            self.assignee.as_deref().unwrap_or(""),
            self.labels.join(" ")
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => n(i64::from(self.priority.rank())),
            2 => n(self.created_at.timestamp()),
            3 => t(self.assignee.as_deref().unwrap_or("~")),
            _ => t(&self.key),
        }
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    fn copy_id(&self) -> String {
        self.key.clone()
    }
    fn id_width(&self) -> usize {
        unicode_width::UnicodeWidthStr::width(self.key.as_str())
    }
}

impl RowView for Incident {
    const SORTS: &'static [&'static str] = &["severity", "created", "service"];
    fn is_active(&self) -> bool {
        self.status != crate::domain::IncidentStatus::Resolved
    }
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::Incident,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            self.external_id,
            self.title,
            self.severity,
            self.status,
            self.service,
            self.assignee.as_deref().unwrap_or("")
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => n(i64::from(self.severity.rank())),
            2 => n(-self.created_at.timestamp()),
            _ => t(&self.service),
        }
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    fn copy_id(&self) -> String {
        self.external_id.clone()
    }
    fn id_width(&self) -> usize {
        unicode_width::UnicodeWidthStr::width(self.external_id.as_str())
    }
}

impl RowView for Alert {
    const SORTS: &'static [&'static str] = &["name", "service", "started"];
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::Alert,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {}",
            self.name, self.severity, self.service, self.state
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => t(&self.name),
            2 => t(&self.service),
            _ => n(-self.starts_at.timestamp()),
        }
    }
    fn copy_id(&self) -> String {
        self.fingerprint.clone()
    }
}

impl RowView for Deployment {
    const SORTS: &'static [&'static str] = &["service", "status", "duration"];
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::Deployment,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            self.service,
            self.environment,
            self.git_ref,
            self.sha.get(..7).unwrap_or(&self.sha),
            self.status,
            self.creator
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => t(&self.service),
            2 => t(self.status.as_str()),
            _ => n(-self.duration_secs().unwrap_or(0)),
        }
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    fn copy_id(&self) -> String {
        self.sha.clone()
    }
}

impl RowView for Customer {
    const SORTS: &'static [&'static str] = &["stage", "acv", "churn risk"];
    fn is_active(&self) -> bool {
        self.stage != crate::domain::Stage::Churned
    }
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::Customer,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {}",
            self.name, self.stage, self.vertical, self.owner, self.churn_risk
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => n(crate::domain::Stage::ALL
                .iter()
                .position(|s| *s == self.stage)
                .map_or(0, |p| i64::try_from(p).unwrap_or(0))),
            2 => n(-self.acv_usd),
            _ => n(-(crate::domain::ChurnRisk::ALL
                .iter()
                .position(|s| *s == self.churn_risk)
                .map_or(0, |p| i64::try_from(p).unwrap_or(0)))),
        }
    }
    fn copy_id(&self) -> String {
        self.slug.clone()
    }
}

impl RowView for Slo {
    const SORTS: &'static [&'static str] = &["service", "objective"];
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::Slo,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(out, "{} {} {}", self.name, self.service, self.objective);
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => t(&self.service),
            _ => t(&self.objective),
        }
    }
    fn copy_id(&self) -> String {
        self.name.clone()
    }
}

impl RowView for ChecklistItem {
    const SORTS: &'static [&'static str] = &[];
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: EntityKind::ChecklistItem,
            id: self.id,
        }
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {}",
            self.section,
            self.group,
            self.text,
            self.owner.as_deref().unwrap_or("")
        );
    }
    fn sort_key(&self, _col: usize) -> SortKey {
        n(self.ordinal)
    }
    fn copy_id(&self) -> String {
        self.code.clone().unwrap_or_else(|| self.text.clone())
    }
}

/// Recomputes a list's view from its rows, filter and sort; keeps the selection on the same
/// row when it is still visible.
pub fn refresh_view<R: RowView>(list: &mut ListState<R>, keep: impl Fn(&R) -> bool) {
    let selected_id = list
        .reselect
        .take()
        .or_else(|| list.selected_row().map(RowView::entity));
    let query = list.filter.trim().to_string();
    // A query that only grew can only narrow the matches: start from the current view (fuzzy
    // matches are monotonic in the query), so typing costs less with every key.
    let narrowing = list.sort == 0
        && !query.is_empty()
        && list.filtered_for.as_deref().is_some_and(|prev| {
            !prev.is_empty() && query.len() > prev.len() && query.starts_with(prev)
        });
    let candidates: Vec<usize> = if narrowing {
        std::mem::take(&mut list.view)
    } else {
        (0..list.rows.len()).collect()
    };
    let mut view: Vec<usize> = Vec::with_capacity(candidates.len());
    if query.is_empty() {
        view.extend(
            candidates
                .into_iter()
                .filter(|i| list.rows.get(*i).is_some_and(&keep)),
        );
    } else {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::new(
            &query,
            CaseMatching::Ignore,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let words = AsciiWords::of(&query);
        let mut buf = Vec::new();
        let mut hay = String::with_capacity(256);
        for i in candidates {
            let Some(row) = list.rows.get(i) else {
                continue;
            };
            if !keep(row) {
                continue;
            }
            hay.clear();
            row.haystack_into(&mut hay);
            let hit = match &words {
                // ASCII on both sides: a fuzzy atom matches exactly when it is a subsequence,
                // so skip nucleo's scoring (only match / no match is used here).
                Some(words) if hay.is_ascii() => words.all_in(&hay),
                _ => pattern
                    .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                    .is_some(),
            };
            if hit {
                // Keep the store's order among matches (stable, predictable), as lazygit does.
                view.push(i);
            }
        }
    }
    list.filtered_for = Some(query);
    if list.sort > 0 {
        let col = list.sort;
        view.sort_by(|a, b| {
            let ka = list.rows.get(*a).map(|r| r.sort_key(col));
            let kb = list.rows.get(*b).map(|r| r.sort_key(col));
            ka.partial_cmp(&kb).unwrap_or(Ordering::Equal)
        });
    }
    list.view = view;
    list.selected = selected_id
        .and_then(|id| {
            list.view
                .iter()
                .position(|i| list.rows.get(*i).is_some_and(|r| r.entity() == id))
        })
        .unwrap_or_else(|| list.selected.min(list.view.len().saturating_sub(1)));
}

/// A filter query as lowercase ASCII words, each of which must appear in a row's text in order
/// but not necessarily together (`ltcy` matches `latency`): exactly what nucleo's fuzzy atoms
/// accept for ASCII text, without computing a score. `None` when the query needs nucleo
/// (non-ASCII, or an escaped space).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsciiWords(Vec<Vec<u8>>);

impl AsciiWords {
    /// The words of `query`, or `None` if the fast path does not apply.
    #[must_use]
    pub fn of(query: &str) -> Option<AsciiWords> {
        if !query.is_ascii() || query.contains('\\') {
            return None;
        }
        let words: Vec<Vec<u8>> = query
            .split_ascii_whitespace()
            .map(|w| w.bytes().map(|b| b.to_ascii_lowercase()).collect())
            .collect();
        Some(AsciiWords(words))
    }

    /// Whether every word is a case-insensitive subsequence of the ASCII text `hay`.
    #[must_use]
    pub fn all_in(&self, hay: &str) -> bool {
        self.0.iter().all(|w| subsequence(w, hay.as_bytes()))
    }
}

fn subsequence(needle: &[u8], hay: &[u8]) -> bool {
    let mut want = needle.iter();
    let Some(mut next) = want.next() else {
        return true;
    };
    for b in hay {
        if b.to_ascii_lowercase() == *next {
            match want.next() {
                Some(n) => next = n,
                None => return true,
            }
        }
    }
    false
}

/// Fuzzy-ranks `candidates` against `query` (palette), best first.
#[must_use]
pub fn fuzzy_rank<'a>(
    query: &str,
    candidates: impl Iterator<Item = (usize, &'a str)>,
) -> Vec<usize> {
    if query.trim().is_empty() {
        return candidates.map(|(i, _)| i).collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::new(
        query,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = candidates
        .filter_map(|(i, s)| {
            pattern
                .score(Utf32Str::new(s, &mut buf), &mut matcher)
                .map(|sc| (sc, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{Bug, BugStatus, Priority};

    fn bug(id: i64, title: &str) -> Bug {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Bug {
            id,
            source: "gh".into(),
            external_id: id.to_string(),
            key: format!("#{id}"),
            title: title.into(),
            body: String::new(),
            priority: Priority::P2,
            status: BugStatus::Open,
            assignee: None,
            labels: Vec::new(),
            customers: Vec::new(),
            created_at: t,
            updated_at: t,
            closed_at: None,
            url: None,
            pending: false,
            conflict: false,
        }
    }

    fn titles(l: &ListState<Bug>) -> Vec<String> {
        l.visible().map(|b| b.title.clone()).collect()
    }

    #[test]
    fn narrowing_a_query_gives_the_same_matches_as_filtering_from_scratch() {
        let mut l = ListState {
            rows: vec![
                bug(1, "checkout latency"),
                bug(2, "login broken"),
                bug(3, "checkout 502"),
                bug(4, "latency in search"),
            ],
            ..ListState::default()
        };
        for q in ["c", "ch", "che", "check", "checkout", "checkout l"] {
            l.filter = q.into();
            refresh_view(&mut l, |_| true);
            let incremental = titles(&l);
            let mut fresh = l.clone();
            fresh.filtered_for = None;
            refresh_view(&mut fresh, |_| true);
            assert_eq!(incremental, titles(&fresh), "query {q:?}");
        }
        assert_eq!(titles(&l), vec!["checkout latency"]);
        // Deleting characters widens the view again.
        l.filter = "lat".into();
        refresh_view(&mut l, |_| true);
        assert_eq!(titles(&l), vec!["checkout latency", "latency in search"]);
    }
}
