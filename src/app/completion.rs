//! Completion for text prompts: candidates from values the cache already knows.
//!
//! Owns how a pool of known values is filtered by what was typed and cycled with Tab; which
//! values a prompt kind offers is [`super::edits::candidates`]. Pure: computed in `update` when a prompt opens or its text changes, drawn
//! from `&State`. Scheme: the first [`SHOWN`] matches (prefix matches first, then substring,
//! case-insensitive) show under the input; Tab puts the next one into the input, Shift-Tab the
//! previous; typing filters again.

use std::collections::BTreeSet;

/// How many candidates show under the input.
pub const SHOWN: usize = 5;

/// Completion state of one text prompt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Every value this prompt can complete to, sorted.
    pub pool: Vec<String>,
    /// The matches for the typed text, best first (at most [`SHOWN`]).
    pub shown: Vec<String>,
    /// The match Tab last put into the input.
    pub chosen: Option<usize>,
    /// Complete only the first word (`service environment ref`), keeping the rest.
    pub first_word: bool,
    /// `pool` lowercased once (filtering runs on every key, and per char of a paste).
    lower: Vec<String>,
}

impl Completion {
    /// Completion over `pool`, filtered for empty input.
    #[must_use]
    pub fn new(pool: BTreeSet<String>, first_word: bool) -> Completion {
        let pool: Vec<String> = pool.into_iter().filter(|v| !v.is_empty()).collect();
        let mut c = Completion {
            lower: pool.iter().map(|v| v.to_lowercase()).collect(),
            pool,
            shown: Vec::new(),
            chosen: None,
            first_word,
        };
        c.refilter("");
        c
    }

    /// Filters the pool for `typed` (the whole input) and forgets the Tab position.
    pub fn refilter(&mut self, typed: &str) {
        self.chosen = None;
        self.shown.clear();
        let query = if self.first_word {
            if typed.trim_start().contains(char::is_whitespace) {
                // Past the first word: nothing left to complete.
                return;
            }
            typed.trim()
        } else {
            typed.trim()
        }
        .to_lowercase();
        let lower = &self.lower;
        let prefix = lower
            .iter()
            .enumerate()
            .filter(|(_, v)| v.starts_with(&query));
        let inside = lower
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.starts_with(&query) && v.contains(&query));
        self.shown = prefix
            .chain(inside)
            .take(SHOWN)
            .filter_map(|(i, _)| self.pool.get(i).cloned())
            .collect();
    }

    /// Tab (`forward`) or Shift-Tab: the next candidate and the input text it makes from
    /// `current` (None when there is nothing to complete).
    pub fn cycle(&mut self, forward: bool, current: &str) -> Option<String> {
        let n = self.shown.len();
        if n == 0 {
            return None;
        }
        let next = match (self.chosen, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        self.chosen = Some(next);
        let pick = self.shown.get(next)?;
        if self.first_word {
            let trimmed = current.trim_start();
            let rest = trimmed
                .find(char::is_whitespace)
                .map_or("", |at| &trimmed[at..]);
            Some(format!("{pick}{rest}"))
        } else {
            Some(pick.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn prefix_matches_come_before_substring_matches_and_case_is_ignored() {
        let mut c = Completion::new(pool(&["amir", "jtanner", "Sofia", "tanvi"]), false);
        c.refilter("TAN");
        assert_eq!(c.shown, vec!["tanvi", "jtanner"]);
        c.refilter("");
        assert_eq!(c.shown, vec!["Sofia", "amir", "jtanner", "tanvi"]);
    }

    #[test]
    fn tab_cycles_forward_and_back_through_the_shown_matches() {
        let mut c = Completion::new(pool(&["ann", "anna", "bob"]), false);
        c.refilter("an");
        assert_eq!(c.cycle(true, "an").as_deref(), Some("ann"));
        assert_eq!(c.cycle(true, "ann").as_deref(), Some("anna"));
        assert_eq!(c.cycle(true, "anna").as_deref(), Some("ann"));
        assert_eq!(c.cycle(false, "ann").as_deref(), Some("anna"));
        c.refilter("zz");
        assert_eq!(c.cycle(true, "zz"), None);
    }

    #[test]
    fn first_word_mode_completes_the_service_and_keeps_the_rest() {
        let mut c = Completion::new(pool(&["checkout", "search"]), true);
        c.refilter("che");
        assert_eq!(c.cycle(true, "che").as_deref(), Some("checkout"));
        c.refilter("checkout prod");
        assert!(c.shown.is_empty());
    }

    #[test]
    fn shows_at_most_five() {
        let mut c = Completion::new(pool(&["a1", "a2", "a3", "a4", "a5", "a6", "a7"]), false);
        c.refilter("a");
        assert_eq!(c.shown.len(), SHOWN);
    }
}
