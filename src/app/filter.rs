//! A list's visible rows: the `/` fuzzy filter (nucleo-matcher) and the sort over a
//! [`ListState`], keeping the selection on the same row. Depends on both the row glue
//! ([`super::rows`]) and the list state, so neither has to depend on the other.

use std::cmp::Ordering;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::rows::RowView;
use super::state::ListState;

/// Recomputes a list's view from its rows, filter and sort; keeps the selection on the same
/// row when it is still visible.
pub fn refresh_view<R: RowView + Clone>(list: &mut ListState<R>, keep: impl Fn(&R) -> bool) {
    if list.windowed {
        // The store filtered and sorted the window; a changed query asks for a new one.
        list.requery();
        return;
    }
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
