//! The Friday review: a frozen, week-over-week snapshot of every area, the report rendered
//! from it (Markdown, JSON, CSV), the review pages drawn with ratatui, and customer CSV
//! import/export.
//!
//! Submodules: [`week`] (ISO weeks in the team time zone), [`model`] (the snapshot types),
//! [`snapshot`] and [`standing`] (computing the pages from a [`Store`]), [`policy`] (config
//! policies in the metrics' terms), [`redact`] (placeholders for customers and people),
//! [`rows`] (the figure rows every format shares), [`report`] (md/json/csv), [`view`] (drawing one page) and [`customers_csv`].
//!
//! Every figure compares the ISO week with the one before it. A week runs from Monday 00:00
//! to the next Monday 00:00 in the team's time zone. Output is deterministic for a given cache,
//! week and `now`.

pub mod customers_csv;
pub mod model;
pub mod policy;
pub mod redact;
pub mod report;
pub mod rows;
pub mod snapshot;
pub mod standing;
pub mod view;
pub mod week;

use chrono::{DateTime, Utc};

pub use model::{
    BlockedGate, BugLine, BugsPage, CustomerLine, CustomersPage, DeploymentsPage, DoraFigures,
    FailedDeploy, Figure, IncidentsPage, Label, LongIncident, PlanPage, ReviewSnapshot,
    SectionLine, SloLine, SlosPage,
};
pub use week::Week;

use crate::config::Policy;
use crate::domain::Format;
use crate::store::{Store, StoreError};

/// Review pages, in walking order.
pub const PAGES: &[&str] = &[
    "incidents",
    "bugs",
    "deployments",
    "slos",
    "customers",
    "plan",
];

/// Why a review or report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The week is not `YYYY-Www`.
    #[error("'{0}' is not an ISO week; write it like 2026-W47 (year, W, two-digit week)")]
    BadWeek(String),
    /// A policy value in the config cannot be used.
    #[error("policy {field} = '{value}' is not understood; use {expected}")]
    Policy {
        /// Which setting (`fix_by.p1`).
        field: String,
        /// Its value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The cache could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encoding the JSON report failed.
    #[error("could not encode the report as json: {0}")]
    Json(String),
}

/// Computes the review of `week` (`YYYY-Www`) from the cache, as known at `now`.
///
/// # Errors
/// [`ReviewError::BadWeek`], [`ReviewError::Policy`] or cache errors.
pub fn take_snapshot(
    store: &Store,
    week: &str,
    tz: chrono_tz::Tz,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<ReviewSnapshot, ReviewError> {
    let week = Week::parse(week, tz)?;
    snapshot::take(store, &week, tz, policy, now)
}

/// The ISO week (`YYYY-Www`) containing `now` in `tz`: the default week of a review.
#[must_use]
pub fn current_week(now: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    Week::containing(now, tz).label()
}

/// The Friday report of `week` (default: the week containing `now`) in `format`.
///
/// With `redact`, customer names and people are replaced by stable placeholders
/// ("Customer A", "Person 1") everywhere, notes included.
///
/// # Errors
/// As [`take_snapshot`], or a JSON encoding failure.
pub fn run_report(
    store: &Store,
    week: Option<&str>,
    format: Format,
    tz: chrono_tz::Tz,
    policy: &Policy,
    now: DateTime<Utc>,
    redact: bool,
) -> Result<String, ReviewError> {
    let week = week.map_or_else(|| current_week(now, tz), str::to_string);
    let mut snap = take_snapshot(store, &week, tz, policy, now)?;
    if redact {
        redact::redact(&mut snap);
    }
    report::render(&snap, format)
}
