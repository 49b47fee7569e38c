//! The Friday review: a frozen, week-over-week snapshot of every area (filled in by the review
//! issue; the foundation defines the pages and the snapshot type the UI draws).

/// Review pages, in walking order.
pub const PAGES: &[&str] = &[
    "incidents",
    "bugs",
    "deployments",
    "slos",
    "customers",
    "plan",
];

/// The numbers of one review, frozen at its start so syncs do not move them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReviewSnapshot {
    /// ISO week, `YYYY-Www`.
    pub week: String,
}
