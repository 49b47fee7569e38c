//! The deployments tab's DORA panel figures (four metrics and the rework rate per window).
//!
//! They need every deployment and incident of the longest window, while a windowed
//! deployments list holds only the rows around the cursor (issue #12). So when the list is not
//! complete the store thread computes the figures for every window `w` cycles through, once
//! per reload, from the rows of the longest window only, and the panel reads them; a complete
//! list (small caches, tests) computes them from its rows as before.

use chrono::{DateTime, Utc};

use super::derive::dora_for;
pub use super::msg::DoraFigures;
use super::state::{State, DORA_WINDOWS};
use crate::domain::{Deployment, Incident};
use crate::metrics::rework::ReworkRate;

/// Days of rows the figures need: the longest window, plus a day for incidents that a
/// deployment at the window's start links to.
#[must_use]
pub fn span_days() -> i64 {
    i64::from(DORA_WINDOWS.iter().copied().max().unwrap_or(90)) + 1
}

/// Deployment rework rate over the last `days` days (rollbacks and fix-forwards, see
/// [`crate::metrics::rework`]).
#[must_use]
pub fn rework_over(
    deployments: &[Deployment],
    incidents: &[Incident],
    now: DateTime<Utc>,
    days: u32,
) -> ReworkRate {
    use crate::metrics::dora::{self, DoraIncident, DoraWindow};
    use crate::metrics::rework::rework_rate;
    let deps: Vec<dora::Deployment> = deployments.iter().map(Into::into).collect();
    let incidents: Vec<DoraIncident> = incidents.iter().map(Into::into).collect();
    let start = now - chrono::Duration::days(i64::from(days));
    DoraWindow::new(start, now).map_or(
        ReworkRate {
            deployments: 0,
            rework: 0,
            rate: None,
            rework_ids: Vec::new(),
        },
        |w| rework_rate(&deps, &incidents, &w),
    )
}

/// The figures of every window `w` cycles through.
#[must_use]
pub fn compute_all(
    deployments: &[Deployment],
    incidents: &[Incident],
    now: DateTime<Utc>,
    guess_links: bool,
) -> Vec<DoraFigures> {
    DORA_WINDOWS
        .iter()
        .map(|days| DoraFigures {
            days: *days,
            report: dora_for(deployments, incidents, now, *days, guess_links),
            rework: rework_over(deployments, incidents, now, *days),
        })
        .collect()
}

impl State {
    /// The DORA panel's figures for `days`: from the store thread's figures while the
    /// deployments list is a window, else from the loaded rows.
    #[must_use]
    pub fn dora_figures(&self, days: u32) -> DoraFigures {
        if !self.deployments.complete {
            if let Some(f) = self.dora.iter().find(|f| f.days == days) {
                return f.clone();
            }
        }
        let guess = self.policy.dora.guess_links;
        DoraFigures {
            days,
            report: dora_for(
                &self.deployments.rows,
                &self.incidents.rows,
                self.now,
                days,
                guess,
            ),
            rework: rework_over(&self.deployments.rows, &self.incidents.rows, self.now, days),
        }
    }
}
