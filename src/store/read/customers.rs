//! Customer rows: the customers tab's list (with NPS history and the support figures derived
//! from bugs and incidents) and one customer's notes for the detail pane.

use chrono::{DateTime, NaiveDate, Utc};

use rusqlite::Row;

use super::{all_rows, flags, parse_at, text_at};
use crate::domain::{Customer, CustomerNote, NpsResponse};
use crate::store::{from_ts, ts, Result, Store};

/// A `YYYY-MM-DD` date column; `None` for NULL or a value that is not a date.
fn date_at(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let text = text_at(r, i)?;
    Ok(text.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()))
}

impl Store {
    /// Customers by name, with NPS history and derived support figures as of `now`'s day.
    ///
    /// The ticket window starts at midnight (UTC) 28 days before `now`'s day: counted from the
    /// second, a bug crossed the window edge while the screen was open and the health score
    /// changed band with no edit. A score is a function of the data and the day only.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_customers(&self, now: DateTime<Utc>) -> Result<Vec<Customer>> {
        let day_start = ts(now) - ts(now).rem_euclid(86_400);
        let four_weeks_ago = day_start - 28 * 86_400;
        // One pass over the linked rows only (`customers != '[]'` is the schema-v9 partial
        // indexes' condition), grouped by customer — not a scan of every bug per customer.
        let sql = format!(
            "WITH bc AS (SELECT j.value AS slug, sum(b.created_at >= ?1) AS recent, \
                 sum(b.status != 'closed' AND b.priority IN ('P0', 'P1')) AS hot \
                 FROM bugs b, json_each(b.customers) j WHERE b.customers != '[]' GROUP BY j.value), \
             ic AS (SELECT j.value AS slug, count(*) AS open \
                 FROM incidents i, json_each(i.customers) j \
                 WHERE i.customers != '[]' AND i.status != 'resolved' GROUP BY j.value) \
             SELECT t.id, t.slug, t.name, t.stage, t.vertical, t.acv_usd, t.owner, t.poc_start, t.signed_on, t.go_live, \
             t.usage_days_per_week, t.feature_adoption_pct, t.engagement, t.churn_risk, \
             coalesce(bc.recent, 0), coalesce(bc.hot, 0), coalesce(ic.open, 0), \
             {} FROM customers t LEFT JOIN bc ON bc.slug = t.slug LEFT JOIN ic ON ic.slug = t.slug \
             ORDER BY t.stage = 'churned', t.name",
            flags("customer")
        );
        let mut customers = all_rows(&mut self.conn().prepare(&sql)?, [four_weeks_ago], |r| {
            let tickets: i64 = r.get(14)?;
            #[allow(clippy::cast_precision_loss, reason = "ticket counts are small")]
            let per_week = tickets as f64 / 4.0;
            Ok(Customer {
                id: r.get(0)?,
                slug: r.get(1)?,
                name: r.get(2)?,
                stage: parse_at(r, 3, crate::domain::Stage::Prospect)?,
                vertical: r.get(4)?,
                acv_usd: r.get(5)?,
                owner: r.get(6)?,
                poc_start: date_at(r, 7)?,
                signed_on: date_at(r, 8)?,
                go_live: date_at(r, 9)?,
                usage_days_per_week: r.get(10)?,
                feature_adoption_pct: r.get(11)?,
                engagement: r.get(12)?,
                churn_risk: parse_at(r, 13, crate::domain::ChurnRisk::Low)?,
                nps: Vec::new(),
                tickets_per_week: per_week,
                open_p0_p1_bugs: r.get(15)?,
                open_incidents: r.get(16)?,
                pending: r.get(17)?,
            })
        })?;
        let mut nps = self
            .conn()
            .prepare("SELECT customer_id, score, at, comment FROM nps_responses ORDER BY at, id")?;
        let all = all_rows(&mut nps, [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                NpsResponse {
                    score: r.get(1)?,
                    at: from_ts(r.get(2)?),
                    comment: r.get(3)?,
                },
            ))
        })?;
        for (cid, resp) in all {
            if let Some(c) = customers.iter_mut().find(|c| c.id == cid) {
                c.nps.push(resp);
            }
        }
        Ok(customers)
    }

    /// Feedback notes and feature requests of one customer, newest first.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn customer_notes(&self, customer_id: i64) -> Result<Vec<CustomerNote>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT kind, at, author, text FROM customer_notes WHERE customer_id = ?1 ORDER BY at DESC, id DESC",
        )?;
        all_rows(&mut stmt, [customer_id], |r| {
            Ok(CustomerNote {
                kind: parse_at(r, 0, crate::domain::NoteKind::Feedback)?,
                at: from_ts(r.get(1)?),
                author: r.get(2)?,
                text: r.get(3)?,
            })
        })
    }
}
