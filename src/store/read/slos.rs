//! SLO rows: the SLO tab's list with each objective's window counts and daily history.

use chrono::NaiveDate;

use super::{all_rows, parse_at};
use crate::domain::slo::SloDaily;
use crate::domain::{Slo, SloWindowCounts};
use crate::store::{from_opt_ts, Result, Store};

impl Store {
    /// SLOs with their window counts and daily history.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_slos(&self) -> Result<Vec<Slo>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, name, service, objective, window_days, kind, good_query, total_query, threshold_le, \
             last_error, last_error_at, updated_at FROM slos ORDER BY name",
        )?;
        let mut slos = all_rows(&mut stmt, [], |r| {
            Ok(Slo {
                id: r.get(0)?,
                name: r.get(1)?,
                service: r.get(2)?,
                objective: r.get(3)?,
                window_days: r.get(4)?,
                kind: parse_at(r, 5, crate::domain::SloKind::Ratio)?,
                good_query: r.get(6)?,
                total_query: r.get(7)?,
                threshold_le: r.get(8)?,
                windows: Vec::new(),
                daily: Vec::new(),
                last_error: r.get(9)?,
                last_error_at: from_opt_ts(r.get(10)?),
                updated_at: from_opt_ts(r.get(11)?),
            })
        })?;
        let mut w = self
            .conn()
            .prepare("SELECT slo_id, window, bad, total FROM slo_windows")?;
        for (id, counts) in all_rows(&mut w, [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                SloWindowCounts {
                    window: r.get(1)?,
                    bad: r.get(2)?,
                    total: r.get(3)?,
                },
            ))
        })? {
            if let Some(s) = slos.iter_mut().find(|s| s.id == id) {
                s.windows.push(counts);
            }
        }
        let mut d = self
            .conn()
            .prepare("SELECT slo_id, day, bad, total FROM slo_samples ORDER BY day")?;
        for (id, day, bad, total) in all_rows(&mut d, [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, f64>(2)?,
                r.get::<_, f64>(3)?,
            ))
        })? {
            if let (Some(s), Ok(day)) = (
                slos.iter_mut().find(|s| s.id == id),
                NaiveDate::parse_from_str(&day, "%Y-%m-%d"),
            ) {
                s.daily.push(SloDaily { day, bad, total });
            }
        }
        Ok(slos)
    }
}
