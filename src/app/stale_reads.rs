//! Window reads nobody waits for are stopped inside SQLite.
//!
//! Each filter or sort change bumps a list's generation, and a reply of an older generation
//! is dropped ([`super::list_window`]). Counting a filter's matches scans the table (180 ms
//! over 500k bugs), so while the user types, the store thread used to finish each stale
//! count before starting the one on screen: the last key's rows came up to two scans late.
//! Now the UI side records each tab's newest generation as it asks ([`StaleReads::asked`]),
//! the store thread says which read it is in ([`StaleReads::begin`]), and SQLite's progress
//! handler stops the statement once a newer generation was asked for ([`StaleReads::is_stale`]).
//!
//! Only the rows and count of a window are ever stopped: edits, the outbox and the figures
//! that follow a reload run with no read begun, so the handler never stops them.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::domain::Tab;
use crate::store::StoreError;

/// SQLite virtual-machine steps between two checks (a few microseconds of work).
pub const CHECK_EVERY_STEPS: i32 = 4096;

/// The newest generation asked for per tab, and the window read in progress.
#[derive(Debug)]
pub struct StaleReads {
    /// Per [`Tab::index`]: the newest generation a window was asked for.
    newest: Vec<AtomicU64>,
    /// The tab being read, as `index + 1`; 0 when no window read is in progress.
    reading_tab: AtomicUsize,
    /// The generation of the read in progress.
    reading_generation: AtomicU64,
}

impl Default for StaleReads {
    fn default() -> Self {
        StaleReads {
            newest: Tab::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            reading_tab: AtomicUsize::new(0),
            reading_generation: AtomicU64::new(0),
        }
    }
}

impl StaleReads {
    /// A window of `generation` was asked for (called as the request is queued).
    pub fn asked(&self, tab: Tab, generation: u64) {
        if let Some(n) = self.newest.get(tab.index()) {
            n.fetch_max(generation, Ordering::Relaxed);
        }
    }

    /// The store thread starts reading a window of `generation`.
    pub fn begin(&self, tab: Tab, generation: u64) {
        self.reading_generation.store(generation, Ordering::Relaxed);
        self.reading_tab.store(tab.index() + 1, Ordering::Relaxed);
    }

    /// The window read is over (its reply is about to be sent, or it failed).
    pub fn end(&self) {
        self.reading_tab.store(0, Ordering::Relaxed);
    }

    /// Whether the read in progress is of a generation older than one already asked for.
    #[must_use]
    pub fn is_stale(&self) -> bool {
        let Some(tab) = self.reading_tab.load(Ordering::Relaxed).checked_sub(1) else {
            return false;
        };
        self.newest.get(tab).is_some_and(|n| {
            n.load(Ordering::Relaxed) > self.reading_generation.load(Ordering::Relaxed)
        })
    }
}

/// Whether `e` is SQLite stopping a statement at the progress handler's request.
#[must_use]
pub fn is_interrupted(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::OperationInterrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_read_of_an_older_generation_of_its_own_tab_is_stale() {
        let s = StaleReads::default();
        assert!(!s.is_stale(), "nothing is being read");
        s.asked(Tab::Bugs, 3);
        assert!(!s.is_stale(), "no read begun: an edit is never stopped");
        s.begin(Tab::Bugs, 3);
        assert!(!s.is_stale());
        s.asked(Tab::Incidents, 9);
        assert!(!s.is_stale(), "another tab's newer request");
        s.asked(Tab::Bugs, 2);
        assert!(
            !s.is_stale(),
            "an older request arriving late changes nothing"
        );
        s.asked(Tab::Bugs, 4);
        assert!(s.is_stale());
        s.end();
        assert!(!s.is_stale(), "the read is over");
    }
}
