//! When a source's worker runs next: the per-source interval with jitter, backoff while the
//! source keeps failing, persisted rate-limit deadlines, and the collapsing of manual requests.
//!
//! Pure: time and randomness come in as parameters. The engine's worker loop
//! (`super::engine`) owns the timers and asks this module how long to wait.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// Poll interval of a source that sets none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Each wait is stretched or shrunk by up to this fraction, so sources started together drift
/// apart and many clients do not hit one API in lockstep.
pub const JITTER_FRACTION: f64 = 0.1;

/// Longest wait between attempts of a failing source (unless its interval is longer).
pub const MAX_FAILURE_DELAY: Duration = Duration::from_secs(10 * 60);

/// The wait before the next round of a source.
///
/// `consecutive_failures == 0`: the interval. Failing: the interval doubled per further
/// failure, capped at `max(interval, MAX_FAILURE_DELAY)`. Then ±[`JITTER_FRACTION`].
pub fn next_delay<R: Rng + ?Sized>(
    interval: Duration,
    consecutive_failures: u32,
    rng: &mut R,
) -> Duration {
    let interval = interval.max(Duration::from_secs(1));
    let base = if consecutive_failures <= 1 {
        interval
    } else {
        let factor = 1u32
            .checked_shl(consecutive_failures - 1)
            .unwrap_or(u32::MAX);
        interval
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(interval.max(MAX_FAILURE_DELAY))
    };
    let jitter = rng.random_range(-JITTER_FRACTION..=JITTER_FRACTION);
    base.mul_f64(1.0 + jitter)
}

/// How long to wait before any request may go out, given a persisted deadline.
pub fn rate_limit_wait(now: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Option<Duration> {
    until
        .filter(|u| *u > now)
        .and_then(|u| (u - now).to_std().ok())
}

/// Requests to one worker, collapsed: any number of refreshes while a round runs become one
/// more round afterwards ("latest wins", like gitui's `AsyncSingleJob`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    /// A pull (then push) round is wanted.
    pub refresh: bool,
    /// Only the outbox needs draining.
    pub push: bool,
}

/// One request to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Pull then push.
    Refresh,
    /// Push only.
    PushSoon,
}

impl Pending {
    /// Records a request.
    pub fn note(&mut self, request: Request) {
        match request {
            Request::Refresh => self.refresh = true,
            Request::PushSoon => self.push = true,
        }
    }

    /// Takes what is due: `Some(true)` a full round, `Some(false)` push only, `None` nothing.
    pub fn take(&mut self) -> Option<bool> {
        let out = if self.refresh {
            Some(true)
        } else if self.push {
            Some(false)
        } else {
            None
        };
        *self = Pending::default();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use rstest::rstest;

    #[rstest]
    #[case::healthy_source_waits_its_interval(0, 60)]
    #[case::first_failure_keeps_the_interval(1, 60)]
    #[case::second_failure_doubles(2, 120)]
    #[case::many_failures_cap_at_ten_minutes(30, 600)]
    fn delay_stays_within_jitter_of_the_schedule(#[case] failures: u32, #[case] secs: u64) {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let d = next_delay(Duration::from_secs(60), failures, &mut rng).as_secs_f64();
            let base = secs as f64;
            assert!(
                d >= base * 0.9 - 1e-9 && d <= base * 1.1 + 1e-9,
                "{d} vs {base}"
            );
        }
    }

    #[test]
    fn a_long_interval_is_never_shortened_by_the_failure_cap() {
        let mut rng = StdRng::seed_from_u64(2);
        let d = next_delay(Duration::from_secs(3600), 5, &mut rng);
        assert!(d >= Duration::from_secs(3240));
    }

    #[test]
    fn a_past_deadline_means_no_wait() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            rate_limit_wait(now, Some(now - chrono::TimeDelta::seconds(1))),
            None
        );
        assert_eq!(
            rate_limit_wait(now, Some(now + chrono::TimeDelta::seconds(90))),
            Some(Duration::from_secs(90))
        );
    }

    #[test]
    fn many_refreshes_collapse_into_one_round() {
        let mut p = Pending::default();
        for _ in 0..5 {
            p.note(Request::Refresh);
            p.note(Request::PushSoon);
        }
        assert_eq!(p.take(), Some(true));
        assert_eq!(p.take(), None);
        p.note(Request::PushSoon);
        assert_eq!(p.take(), Some(false));
    }
}
