//! Checklist documents and their items as cached from Markdown plan files.

use chrono::{DateTime, Utc};

/// A registered plan document.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistDoc {
    /// Local row id.
    pub id: i64,
    /// Path of the Markdown file (or `demo:plan.md`).
    pub path: String,
    /// The document's title (first heading).
    pub title: String,
    /// When it was last read from or written to its file.
    pub synced_at: Option<DateTime<Utc>>,
    /// Last error reaching the file.
    pub last_error: Option<String>,
}

/// One task item.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    /// Local row id.
    pub id: i64,
    /// Its document.
    pub doc_id: i64,
    /// Order in the document.
    pub ordinal: i64,
    /// Top-level section heading.
    pub section: String,
    /// Group heading inside the section (may be empty).
    pub group: String,
    /// Item text (without checkbox), sanitized.
    pub text: String,
    /// Done.
    pub checked: bool,
    /// Trailing `@owner`, if any.
    pub owner: Option<String>,
    /// Task code such as `P2-W2-A1`.
    pub code: Option<String>,
    /// List nesting depth (0 = top level).
    pub depth: u32,
    /// Which of several items with the same text this is (0-based).
    pub occurrence: u32,
    /// A note kept in the cache (not written to the file).
    pub note: Option<String>,
    /// The section is a gate.
    pub gate: bool,
    /// An edit is waiting to be written to the file.
    pub pending: bool,
    /// An edit is in conflict with a change made to the file elsewhere.
    pub conflict: bool,
}
