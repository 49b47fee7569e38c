//! Store helpers of the Prometheus connector: keeping an SLO's stored windows and daily
//! history to what its current definition computes.

use chrono::NaiveDate;
use rusqlite::{params, Transaction};

use super::Result;

/// Deletes the stored windows of an SLO whose label is not in `keep` (e.g. `28d` after the
/// SLO moved to a 30-day window); returns how many went.
///
/// # Errors
/// SQLite errors.
pub fn retain_slo_windows(tx: &Transaction<'_>, slo_id: i64, keep: &[&str]) -> Result<usize> {
    let keep_json = serde_json::to_string(keep).unwrap_or_else(|_| "[]".into());
    Ok(tx.execute(
        "DELETE FROM slo_windows WHERE slo_id = ?1 AND window NOT IN (SELECT value FROM json_each(?2))",
        params![slo_id, keep_json],
    )?)
}

/// Deletes an SLO's daily samples before `first_day` (they fell out of the SLO window).
///
/// # Errors
/// SQLite errors.
pub fn prune_slo_daily(tx: &Transaction<'_>, slo_id: i64, first_day: NaiveDate) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM slo_samples WHERE slo_id = ?1 AND day < ?2",
        params![slo_id, first_day.format("%Y-%m-%d").to_string()],
    )?)
}
