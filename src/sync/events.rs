//! What the sync engine tells the app: *that* something changed (which tabs, the outbox),
//! never the data itself — the app reloads from the cache, the single source of truth.
//!
//! The type lives here, with the engine that sends it, so `sync` never imports from `app`;
//! `app::msg` re-exports it for the update loop.

use chrono::{DateTime, Utc};

use crate::domain::Tab;

/// What a background sync reports: *that* something changed, never the data.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// A source started syncing.
    Started {
        /// Source name.
        source: String,
    },
    /// A source finished; these tabs have new data.
    Finished {
        /// Source name.
        source: String,
        /// Tabs whose tables changed.
        changed: Vec<Tab>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A source failed (the others carry on).
    Failed {
        /// Source name.
        source: String,
        /// Sanitized message.
        error: String,
    },
    /// The outbox changed (an edit was pushed, failed or conflicted).
    OutboxChanged,
}
