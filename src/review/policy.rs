//! The config's policies in the terms the metrics and the review need: the response-SLA
//! policy for `metrics::incident`, fix-by deadlines for bugs, and integer health weights.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::week::{local_midnight, Week};
use super::ReviewError;
use crate::config::{DurationSpec, Policy, SlaTarget};
use crate::metrics::customer::HealthWeights;
use crate::metrics::incident::{ResponseTarget, SlaPolicy};

/// The response-SLA policy of the config, in the team time zone.
///
/// # Errors
/// [`ReviewError::Policy`] when `business_day_end` is not `HH:MM`.
pub fn sla_policy(policy: &Policy, tz: Tz) -> Result<SlaPolicy, ReviewError> {
    let end =
        NaiveTime::parse_from_str(policy.sla.business_day_end.trim(), "%H:%M").map_err(|_| {
            ReviewError::Policy {
                field: "sla.business_day_end".into(),
                value: policy.sla.business_day_end.clone(),
                expected: "a local time like 17:00",
            }
        })?;
    let target = |t: SlaTarget| match t {
        SlaTarget::Within(d) => {
            ResponseTarget::Within(TimeDelta::from_std(d.0).unwrap_or(TimeDelta::MAX))
        }
        SlaTarget::NextBusinessDay => ResponseTarget::NextBusinessDayAt(end),
    };
    Ok(SlaPolicy {
        p0: target(policy.sla.p0),
        p1: target(policy.sla.p1),
        p2: target(policy.sla.p2),
        p3: target(policy.sla.p3),
        time_zone: tz,
    })
}

/// How long a bug of one priority may stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixBy {
    /// By the end of the local day it was opened.
    Today,
    /// By the end of its ISO week.
    ThisWeek,
    /// By the end of its calendar month.
    ThisMonth,
    /// By the end of the quarter after the one it was opened in.
    NextQuarter,
    /// Within a fixed time.
    Within(Duration),
}

impl FixBy {
    /// Parses a fix-by setting (`today`, `this-week`, `this-month`, `next-quarter`, `3d`).
    ///
    /// # Errors
    /// [`ReviewError::Policy`] naming the setting.
    pub fn parse(field: &str, text: &str) -> Result<FixBy, ReviewError> {
        Ok(match text.trim() {
            "today" => FixBy::Today,
            "this-week" => FixBy::ThisWeek,
            "this-month" => FixBy::ThisMonth,
            "next-quarter" => FixBy::NextQuarter,
            other => {
                let d: DurationSpec = other.parse().map_err(|_| ReviewError::Policy {
                    field: field.into(),
                    value: text.chars().take(40).collect(),
                    expected: "today, this-week, this-month, next-quarter or a duration like 3d",
                })?;
                FixBy::Within(Duration::from_std(d.0).unwrap_or(Duration::MAX))
            }
        })
    }

    /// The deadline of a bug opened at `created_at`.
    #[must_use]
    pub fn deadline(self, created_at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = created_at.with_timezone(&tz).date_naive();
        match self {
            FixBy::Today => local_midnight(tz, local + Duration::days(1)),
            FixBy::ThisWeek => Week::containing(created_at, tz).end,
            FixBy::ThisMonth => local_midnight(tz, first_of_month(local.year(), local.month() + 1)),
            FixBy::NextQuarter => {
                let quarter_start = (local.month() - 1) / 3 * 3 + 1;
                local_midnight(tz, first_of_month(local.year(), quarter_start + 6))
            }
            FixBy::Within(d) => created_at
                .checked_add_signed(d)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }
}

/// The first day of `month` (1-based, may run past 12 into the following years).
fn first_of_month(year: i32, month: u32) -> NaiveDate {
    let zero_based = month - 1;
    let year = year + i32::try_from(zero_based / 12).unwrap_or(0);
    NaiveDate::from_ymd_opt(year, zero_based % 12 + 1, 1).unwrap_or(NaiveDate::MAX)
}

/// The fix-by rule of each priority, P0 first.
///
/// # Errors
/// [`ReviewError::Policy`] for an unknown setting.
pub fn fix_by(policy: &Policy) -> Result<[FixBy; 4], ReviewError> {
    let f = &policy.fix_by;
    Ok([
        FixBy::parse("fix_by.p0", &f.p0)?,
        FixBy::parse("fix_by.p1", &f.p1)?,
        FixBy::parse("fix_by.p2", &f.p2)?,
        FixBy::parse("fix_by.p3", &f.p3)?,
    ])
}

/// The config's health weights as the integer weights `metrics::customer` takes (a weight that
/// is not a finite number counts 0). The customers tab and the review both use this one.
#[must_use]
pub fn health_weights(policy: &Policy) -> HealthWeights {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "weights are small non-negative numbers, clamped first"
    )]
    let w = |v: f64| {
        if v.is_finite() {
            v.round().clamp(0.0, 1_000_000.0) as u32
        } else {
            0
        }
    };
    let h = &policy.health;
    HealthWeights {
        usage: w(h.usage),
        support: w(h.support),
        nps: w(h.nps),
        reliability: w(h.reliability),
        engagement: w(h.engagement),
    }
}
