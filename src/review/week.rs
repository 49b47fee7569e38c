//! ISO weeks (`YYYY-Www`) in the team's time zone: parsing, the week of an instant, and a
//! week's bounds (Monday 00:00 local to the next Monday 00:00 local, as UTC instants).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::ReviewError;

/// One ISO week located in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    /// ISO week-numbering year.
    pub year: i32,
    /// Week number, 1–53.
    pub number: u32,
    /// The local Monday that starts the week.
    pub monday: NaiveDate,
    /// Monday 00:00 local, as UTC (inclusive).
    pub start: DateTime<Utc>,
    /// The next Monday 00:00 local, as UTC (exclusive).
    pub end: DateTime<Utc>,
}

impl Week {
    /// Parses `YYYY-Www` (e.g. `2026-W47`) and locates it in `tz`.
    ///
    /// # Errors
    /// [`ReviewError::BadWeek`] when the text is not an ISO week that exists.
    pub fn parse(text: &str, tz: Tz) -> Result<Week, ReviewError> {
        let bad = || ReviewError::BadWeek(text.chars().take(40).collect());
        let t = text.trim();
        let (year, number) = t.split_once(['-']).ok_or_else(bad)?;
        let number = number
            .strip_prefix('W')
            .or_else(|| number.strip_prefix('w'))
            .ok_or_else(bad)?;
        if year.len() != 4 || number.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u32 = number.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, number, Weekday::Mon).ok_or_else(bad)?;
        Ok(Week::from_monday(monday, tz))
    }

    /// The week that contains `at` in `tz`.
    #[must_use]
    pub fn containing(at: DateTime<Utc>, tz: Tz) -> Week {
        let local = at.with_timezone(&tz).date_naive();
        let back = i64::from(local.weekday().num_days_from_monday());
        Week::from_monday(local - Duration::days(back), tz)
    }

    fn from_monday(monday: NaiveDate, tz: Tz) -> Week {
        let iso = monday.iso_week();
        Week {
            year: iso.year(),
            number: iso.week(),
            monday,
            start: local_midnight(tz, monday),
            end: local_midnight(tz, monday + Duration::days(7)),
        }
    }

    /// The week before this one.
    #[must_use]
    pub fn previous(&self, tz: Tz) -> Week {
        Week::from_monday(self.monday - Duration::days(7), tz)
    }

    /// `YYYY-Www`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{:04}-W{:02}", self.year, self.number)
    }

    /// The seven local dates, Monday first.
    #[must_use]
    pub fn days(&self) -> Vec<NaiveDate> {
        (0..7).map(|d| self.monday + Duration::days(d)).collect()
    }

    /// True when `at` lies in `[start, end)`.
    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// The instant the week's state is read at: its end, or `now` while it is still running.
    #[must_use]
    pub fn as_of(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.end.min(now).max(self.start)
    }
}

/// 00:00 local on `day` as UTC; a midnight skipped by a DST jump moves to the first valid
/// instant after it.
#[must_use]
pub fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    local_to_utc(tz, day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// A local wall time as UTC (gaps step forward, ambiguous times take the earlier instant).
#[must_use]
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    for step in 0..=49 {
        let candidate = local + Duration::minutes(30 * step);
        if let Some(instant) = tz.from_local_datetime(&candidate).earliest() {
            return instant.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}
