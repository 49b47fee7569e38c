//! A list's visible rows: the `/` filter and the sort over a [`ListState`], keeping the
//! selection on the same row. Depends on both the row glue ([`super::rows`]) and the list
//! state, so neither has to depend on the other.
//!
//! The filter rule (issue #12), the same for the windowed lists (in SQL, see
//! [`crate::store::read::window`]) and the small in-memory ones: every whitespace-separated
//! word of the query must occur as a substring of the row's shown columns, ignoring case for
//! ASCII letters (other characters match exactly). Matches keep the list's order (the store's
//! default order, or the sort column's): there is no score ranking. Before #12 the filter was
//! fuzzy (`ltcy` matched `latency`); a substring rule is what an index can serve.

use std::cmp::Ordering;

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
    // A query that only grew can only narrow the matches: start from the current view (a
    // longer word, or one more word, matches a subset), so typing costs less with every key.
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
        let words = Words::of(&query);
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
            let hit = words.all_in(&hay);
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

/// A filter query as words, ASCII letters lowercased: a row matches when each word is a
/// substring of its text with ASCII letters lowercased (SQLite's `LIKE '%word%'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words(Vec<Vec<u8>>);

impl Words {
    /// The words of `query`.
    #[must_use]
    pub fn of(query: &str) -> Words {
        Words(
            query
                .split_whitespace()
                .map(|w| w.bytes().map(|b| b.to_ascii_lowercase()).collect())
                .collect(),
        )
    }

    /// Whether every word occurs in `hay` (ASCII case ignored).
    #[must_use]
    pub fn all_in(&self, hay: &str) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let hay: Vec<u8> = hay.bytes().map(|b| b.to_ascii_lowercase()).collect();
        self.0.iter().all(|w| contains(&hay, w))
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
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
