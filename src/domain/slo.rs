//! SLO definitions and the counts opsdeck stores for them.

use chrono::{DateTime, NaiveDate, Utc};

use super::persisted_enum;

persisted_enum!(
    /// How the SLI is measured.
    SloKind, "slo kind", {
        /// good (or bad) events over total.
        Ratio => "ratio",
        /// requests under a histogram bucket threshold over total.
        Latency => "latency",
    }
);

/// Event counts over one trailing window (`5m` … `30d`).
#[derive(Debug, Clone, PartialEq)]
pub struct SloWindowCounts {
    /// Window label: `5m`, `30m`, `1h`, `2h`, `6h`, `1d`, `3d`, `28d`, `30d`.
    pub window: String,
    /// Bad events.
    pub bad: f64,
    /// Valid events.
    pub total: f64,
}

/// One daily sample of the history sparkline.
#[derive(Debug, Clone, PartialEq)]
pub struct SloDaily {
    /// UTC day.
    pub day: NaiveDate,
    /// Bad events that day.
    pub bad: f64,
    /// Valid events that day.
    pub total: f64,
}

/// One SLO with its latest counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// Local row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Service.
    pub service: String,
    /// Objective as an exact decimal string ("99.9").
    pub objective: String,
    /// Window in days (28 or 30).
    pub window_days: u32,
    /// Ratio or latency.
    pub kind: SloKind,
    /// Good (or bad) events query.
    pub good_query: String,
    /// Total events query.
    pub total_query: String,
    /// Latency threshold (`le`), latency SLIs only.
    pub threshold_le: Option<String>,
    /// Counts per window.
    pub windows: Vec<SloWindowCounts>,
    /// Daily history, oldest first.
    pub daily: Vec<SloDaily>,
    /// Last error from the metrics source.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// When the counts were last refreshed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Slo {
    /// Counts for one window label, if stored.
    #[must_use]
    pub fn window(&self, label: &str) -> Option<&SloWindowCounts> {
        self.windows.iter().find(|w| w.window == label)
    }
}
