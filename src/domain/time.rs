//! Clock times as the team reads them: `14:02` and `2026-11-20 14:02 CET` in the team time zone.
//! Below every layer so the app (silence notices) and the ui (tables, status bar) format a time
//! the same way without the app importing the ui.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `14:02` in the team time zone.
#[must_use]
pub fn hm(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

/// `2026-11-20 14:02 CET` in the team time zone.
#[must_use]
pub fn stamp(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}
