//! Partial SLO windows, honestly (METRICS.md §1.7, vectors PW1/PW2): how much of the SLO
//! window is covered by data, the budget consumption a partial window implies for the whole
//! window, and the "budget gone in …" projection the SLO detail shows.
//!
//! A new SLO (or a new service) has data for only part of its window. opsdeck then keeps
//! computing the budget against the events it has observed (OpenSLO *Occurrences*: the
//! window's error ratio over observed events, the same formula as a full window) and says so
//! next to it: "data for 9 of 28 days". Optionally it shows the consumption of the projected
//! full-window budget, `burn × elapsed / window` — with 9 of 28 days at a period burn of 0.6
//! that is 0.6 × 9/28 = 19.3 % of a full window's budget.

use chrono::NaiveDate;

use super::Window;

/// Days of the SLO window that have data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCoverage {
    /// Days from the first day with traffic to the last day, inclusive, capped at the window.
    pub covered_days: u32,
    /// Length of the SLO window in days (28 or 30).
    pub window_days: u32,
}

impl WindowCoverage {
    /// True when the data does not yet span the whole window.
    #[must_use]
    pub fn is_partial(&self) -> bool {
        self.covered_days < self.window_days
    }

    /// `covered / window`, 0–1.
    #[must_use]
    pub fn fraction(&self) -> f64 {
        f64::from(self.covered_days) / f64::from(self.window_days.max(1))
    }

    /// `data for 9 of 28 days`.
    #[must_use]
    pub fn label(&self) -> String {
        format!(
            "data for {} of {} days",
            self.covered_days, self.window_days
        )
    }
}

/// Coverage of the window of `window_days` ending on `last_day` by daily samples
/// `(day, valid events)`: from the first day with traffic in the window through `last_day`.
///
/// A day without traffic after the first is covered (the SLO existed; nobody called it); days
/// before the first day with traffic are not. `None` when no day in the window has traffic.
#[must_use]
pub fn window_coverage(
    daily: &[(NaiveDate, f64)],
    window_days: u32,
    last_day: NaiveDate,
) -> Option<WindowCoverage> {
    let first_in_window = last_day - chrono::Duration::days(i64::from(window_days.max(1)) - 1);
    let first = daily
        .iter()
        .filter(|(d, total)| *total > 0.0 && first_in_window <= *d && *d <= last_day)
        .map(|(d, _)| *d)
        .min()?;
    let span = (last_day - first).num_days() + 1;
    let covered_days = u32::try_from(span).unwrap_or(window_days).min(window_days);
    Some(WindowCoverage {
        covered_days,
        window_days,
    })
}

/// Share of a full window's budget consumed so far: `consumed × covered / window`, where
/// `consumed` is the budget consumed against observed events (the period burn rate).
#[must_use]
pub fn projected_full_window_consumed(consumed: f64, coverage: WindowCoverage) -> f64 {
    consumed * coverage.fraction()
}

/// What the SLO detail says about running out of budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Projection {
    /// Nothing is left already.
    Exhausted,
    /// At the current burn the remaining budget is gone after this many seconds.
    GoneIn {
        /// Seconds until exhaustion.
        secs: f64,
    },
    /// The current burn is zero, unknown, or would need longer than a whole SLO window to
    /// spend what is left (by then today's errors have left the rolling window).
    NotAtThisRate,
}

/// The projection from the budget remaining (fraction, may be negative) and the 1 h burn:
/// `remaining × window / burn` (METRICS.md §1.6), capped as described on [`Projection`].
#[must_use]
pub fn projection(remaining: f64, slo_window: Window, burn_1h: Option<f64>) -> Projection {
    if remaining <= 0.0 {
        return Projection::Exhausted;
    }
    match super::time_to_exhaustion_secs(remaining, slo_window, burn_1h) {
        #[allow(clippy::cast_precision_loss, reason = "window seconds are small")]
        Some(secs) if secs <= slo_window.secs() as f64 => Projection::GoneIn { secs },
        _ => Projection::NotAtThisRate,
    }
}

/// `3 d 4 h`, `5 h 12 min`, `40 min` (minutes rounded down, at least `1 min`).
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "non-negative seconds within a window"
)]
pub fn days_hours(secs: f64) -> String {
    let mins = (secs.max(0.0) / 60.0).floor() as u64;
    let (d, h, m) = (mins / 1_440, mins % 1_440 / 60, mins % 60);
    match (d, h) {
        (0, 0) => format!("{} min", m.max(1)),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// The sentence: "at the current 1 h burn the budget is gone in 3 d 4 h", "at the current
/// 1 h burn: not at this rate", or "the budget is exhausted".
#[must_use]
pub fn projection_sentence(p: Projection) -> String {
    match p {
        Projection::Exhausted => "the budget is exhausted".to_string(),
        Projection::GoneIn { secs } => format!(
            "at the current 1 h burn the budget is gone in {}",
            days_hours(secs)
        ),
        Projection::NotAtThisRate => "at the current 1 h burn: not at this rate".to_string(),
    }
}
