//! Rate-limit signals, backoff and the per-source circuit breaker. All pure: `now` is passed in.
//!
//! Reads every vendor's "wait until" header into one deadline:
//! `Retry-After` (delta-seconds or HTTP-date; GitHub, Jira, generic 429/503),
//! GitHub `x-ratelimit-remaining: 0` + `x-ratelimit-reset` (UTC epoch seconds),
//! GitHub's secondary limit (403/429 naming it, nothing else → at least 60 s),
//! PagerDuty `ratelimit-reset` (seconds to wait) and Jira `X-RateLimit-Reset`
//! (`yyyy-MM-ddTHH:mmZ`) with `RateLimit-Reason`.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use rand::Rng;
use reqwest::header::HeaderMap;

/// Minimum wait after a GitHub secondary rate limit that names no deadline.
pub const SECONDARY_LIMIT_MIN_WAIT: Duration = Duration::from_secs(60);

/// Wait used for a 429 that carries no usable header at all.
pub const UNSPECIFIED_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// Longest deadline accepted from a server; longer values are clamped (hostile or skewed headers).
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60 * 60);

/// Epoch values above this are taken as milliseconds (recorded fixtures normalise to ms).
const EPOCH_MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// Which signal produced a rate-limit deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKind {
    /// A `Retry-After` header (seconds or HTTP-date).
    RetryAfter,
    /// GitHub primary limit: `x-ratelimit-remaining: 0` with `x-ratelimit-reset`.
    PrimaryExhausted,
    /// GitHub secondary limit without a deadline: wait at least 60 s.
    Secondary,
    /// A vendor reset header: PagerDuty `ratelimit-reset` or Jira `X-RateLimit-Reset`.
    Reset,
    /// A 429 with no usable header: the default wait.
    Unspecified,
}

/// A rate-limit response turned into "don't call this source before `until`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// Earliest time the next request may be sent.
    pub until: DateTime<Utc>,
    /// Which header or rule gave the deadline.
    pub kind: RateLimitKind,
    /// Jira `RateLimit-Reason` (e.g. `jira-per-issue-on-write`), when sent.
    pub reason: Option<String>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    let wait = wait.min(MAX_RATE_LIMIT_WAIT);
    now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::zero())
}

fn clamp(now: DateTime<Utc>, at: DateTime<Utc>) -> DateTime<Utc> {
    at.max(now).min(after(now, MAX_RATE_LIMIT_WAIT))
}

/// Parses `Retry-After`: delta-seconds (`"120"`) or an HTTP-date.
///
/// A date in the past yields `now`; deadlines are clamped to [`MAX_RATE_LIMIT_WAIT`].
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(after(now, Duration::from_secs(secs)));
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
    Some(clamp(now, at))
}

/// Parses a UTC epoch reset (GitHub `x-ratelimit-reset`), clamped to `[now, now + max]`.
///
/// Values too large to be seconds are read as milliseconds.
pub fn parse_epoch_reset(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let raw = value.trim().parse::<i64>().ok()?;
    let at = if raw > EPOCH_MILLIS_THRESHOLD {
        DateTime::from_timestamp_millis(raw)?
    } else {
        DateTime::from_timestamp(raw, 0)?
    };
    Some(clamp(now, at))
}

/// Parses PagerDuty `ratelimit-reset`: seconds to wait (integer or decimal).
pub fn parse_delta_reset(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let secs = value.trim().parse::<f64>().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    let wait = Duration::try_from_secs_f64(secs).ok()?;
    Some(after(now, wait))
}

/// Parses Jira `X-RateLimit-Reset`: `yyyy-MM-ddTHH:mmZ` (or full RFC 3339).
pub fn parse_iso_reset(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let at = DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%MZ").map(|t| t.and_utc()))
        .ok()?;
    Some(clamp(now, at))
}

/// Whether a response body names GitHub's secondary rate limit.
pub fn mentions_secondary_limit(body: &[u8]) -> bool {
    String::from_utf8_lossy(body)
        .to_ascii_lowercase()
        .contains("secondary rate limit")
}

fn mentions_rate_limit(body: &[u8]) -> bool {
    String::from_utf8_lossy(body)
        .to_ascii_lowercase()
        .contains("rate limit")
}

/// Decides whether a response is a rate limit and, if so, until when.
///
/// 429 is always a rate limit. 403 is one only with `x-ratelimit-remaining: 0`, a
/// `Retry-After`, or a body mentioning a rate limit (GitHub). 503 is one only with a
/// `Retry-After` (Jira). Order: `Retry-After` → GitHub primary reset → GitHub secondary
/// (≥ 60 s) → PagerDuty `ratelimit-reset` → Jira ISO `X-RateLimit-Reset` → 60 s default.
pub fn classify(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<RateLimit> {
    let retry_after = header(headers, "retry-after").and_then(|v| parse_retry_after(v, now));
    let remaining = header(headers, "x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
    let is_limit = match status {
        429 => true,
        403 => remaining == Some(0) || retry_after.is_some() || mentions_rate_limit(body),
        503 => retry_after.is_some(),
        _ => false,
    };
    if !is_limit {
        return None;
    }
    let reason = header(headers, "ratelimit-reason").map(str::to_owned);
    let reset = header(headers, "x-ratelimit-reset");
    let (until, kind) = if let Some(until) = retry_after {
        (until, RateLimitKind::RetryAfter)
    } else if let Some(until) = reset
        .filter(|_| remaining == Some(0))
        .and_then(|v| parse_epoch_reset(v, now))
    {
        (until, RateLimitKind::PrimaryExhausted)
    } else if mentions_secondary_limit(body) {
        (
            after(now, SECONDARY_LIMIT_MIN_WAIT),
            RateLimitKind::Secondary,
        )
    } else if let Some(until) = header(headers, "ratelimit-reset")
        .and_then(|v| parse_delta_reset(v, now))
        .or_else(|| reset.and_then(|v| parse_iso_reset(v, now)))
    {
        (until, RateLimitKind::Reset)
    } else {
        (
            after(now, UNSPECIFIED_LIMIT_WAIT),
            RateLimitKind::Unspecified,
        )
    };
    Some(RateLimit {
        until,
        kind,
        reason,
    })
}

/// Full-jitter exponential backoff: `sleep = rand(0, min(cap, base · 2^attempt))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first retry's delay.
    pub base: Duration,
    /// Largest delay ever returned.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(5 * 60),
        }
    }
}

impl Backoff {
    /// The upper bound for `attempt` (0-based): `min(cap, base · 2^attempt)`, without overflow.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.cap)
    }

    /// A uniformly random delay in `[0, ceiling(attempt)]`, drawn from the injected RNG.
    pub fn delay<R: Rng + ?Sized>(&self, attempt: u32, rng: &mut R) -> Duration {
        let ceiling_ms = u64::try_from(self.ceiling(attempt).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling_ms))
    }
}

/// State of a [`CircuitBreaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow normally.
    Closed,
    /// Requests are refused until `until`.
    Open {
        /// End of the cool-down.
        until: DateTime<Utc>,
    },
    /// One probe request is allowed; its outcome closes or reopens the breaker.
    HalfOpen {
        /// When the probe was let through (a lost probe is replaced after a cool-down).
        probe_since: DateTime<Utc>,
    },
}

/// Per-source circuit breaker: opens after N consecutive failures, probes after a cool-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitBreaker {
    failure_threshold: u32,
    cool_down: TimeDelta,
    consecutive_failures: u32,
    state: BreakerState,
}

/// Consecutive failures that open the breaker.
pub const DEFAULT_FAILURE_THRESHOLD: u32 = 5;

/// Cool-down before a half-open probe.
pub const DEFAULT_COOL_DOWN: Duration = Duration::from_secs(60);

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::new(DEFAULT_FAILURE_THRESHOLD, DEFAULT_COOL_DOWN)
    }
}

impl CircuitBreaker {
    /// A closed breaker that opens after `failure_threshold` failures in a row.
    pub fn new(failure_threshold: u32, cool_down: Duration) -> Self {
        Self {
            failure_threshold: failure_threshold.max(1),
            cool_down: TimeDelta::from_std(cool_down).unwrap_or(TimeDelta::MAX),
            consecutive_failures: 0,
            state: BreakerState::Closed,
        }
    }

    /// Current state (does not advance time; see [`CircuitBreaker::allow`]).
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks whether a request may go out at `now`.
    ///
    /// Open past its cool-down turns half-open and lets exactly one probe through; a probe
    /// that never reports back is replaced after another cool-down.
    pub fn allow(&mut self, now: DateTime<Utc>) -> bool {
        match self.state {
            BreakerState::Closed => true,
            BreakerState::Open { until } if now >= until => {
                self.state = BreakerState::HalfOpen { probe_since: now };
                true
            }
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen { probe_since } => {
                if now >= probe_since + self.cool_down {
                    self.state = BreakerState::HalfOpen { probe_since: now };
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Records a success: closes the breaker and clears the failure count.
    pub fn record_success(&mut self) {
        self.consecutive_failures = 0;
        self.state = BreakerState::Closed;
    }

    /// Records a failure at `now`; opens the breaker at the threshold or on a failed probe.
    pub fn record_failure(&mut self, now: DateTime<Utc>) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let probing = matches!(self.state, BreakerState::HalfOpen { .. });
        if probing || self.consecutive_failures >= self.failure_threshold {
            self.state = BreakerState::Open {
                until: now + self.cool_down,
            };
        }
    }

    /// When the breaker stops refusing requests, if it is open.
    pub fn open_until(&self) -> Option<DateTime<Utc>> {
        match self.state {
            BreakerState::Open { until } => Some(until),
            BreakerState::HalfOpen { probe_since } => Some(probe_since + self.cool_down),
            BreakerState::Closed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use reqwest::header::{HeaderName, HeaderValue};
    use rstest::rstest;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 26, 15, 59, 0).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    fn secs(n: i64) -> DateTime<Utc> {
        now() + TimeDelta::seconds(n)
    }

    const SECONDARY_BODY: &str = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}"#;

    #[rstest]
    #[case::retry_after_in_seconds_waits_that_long(429, &[("retry-after", "120")], "", secs(120), RateLimitKind::RetryAfter)]
    #[case::retry_after_as_http_date_waits_until_that_date(429, &[("Retry-After", "Thu, 26 Mar 2026 16:04:00 GMT")], "", secs(300), RateLimitKind::RetryAfter)]
    #[case::retry_after_date_in_the_past_means_now(429, &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")], "", now(), RateLimitKind::RetryAfter)]
    #[case::github_primary_limit_waits_for_the_epoch_reset(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1774541400")], "{\"message\":\"API rate limit exceeded\"}", Utc.with_ymd_and_hms(2026, 3, 26, 16, 10, 0).unwrap(), RateLimitKind::PrimaryExhausted)]
    #[case::github_recorded_reset_in_milliseconds_is_understood(429, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1774541400000")], "", Utc.with_ymd_and_hms(2026, 3, 26, 16, 10, 0).unwrap(), RateLimitKind::PrimaryExhausted)]
    #[case::github_retry_after_beats_the_reset(403, &[("retry-after", "7"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1774541400")], "", secs(7), RateLimitKind::RetryAfter)]
    #[case::github_secondary_limit_without_headers_waits_a_minute(403, &[("x-ratelimit-remaining", "4999")], SECONDARY_BODY, secs(60), RateLimitKind::Secondary)]
    #[case::github_secondary_limit_as_429_waits_a_minute(429, &[("x-ratelimit-remaining", "12")], SECONDARY_BODY, secs(60), RateLimitKind::Secondary)]
    #[case::pagerduty_reset_is_seconds_to_wait(429, &[("ratelimit-limit", "960"), ("ratelimit-remaining", "0"), ("ratelimit-reset", "37")], "", secs(37), RateLimitKind::Reset)]
    #[case::jira_retry_after_wins_over_its_iso_reset(429, &[("retry-after", "30"), ("x-ratelimit-reset", "2026-03-26T16:00Z"), ("ratelimit-reason", "jira-burst-based")], "", secs(30), RateLimitKind::RetryAfter)]
    #[case::jira_iso_reset_alone_gives_the_deadline(429, &[("x-ratelimit-reset", "2026-03-26T16:00Z")], "", secs(60), RateLimitKind::Reset)]
    #[case::jira_503_with_retry_after_is_a_rate_limit(503, &[("retry-after", "5")], "", secs(5), RateLimitKind::RetryAfter)]
    #[case::a_bare_429_waits_the_default_minute(429, &[], "", secs(60), RateLimitKind::Unspecified)]
    #[case::an_absurd_retry_after_is_clamped_to_an_hour(429, &[("retry-after", "99999999")], "", secs(3600), RateLimitKind::RetryAfter)]
    fn rate_limit_deadlines_come_from_each_header_form(
        #[case] status: u16,
        #[case] pairs: &[(&str, &str)],
        #[case] body: &str,
        #[case] until: DateTime<Utc>,
        #[case] kind: RateLimitKind,
    ) {
        let limit = classify(status, &headers(pairs), body.as_bytes(), now()).unwrap();
        assert_eq!(limit.until, until);
        assert_eq!(limit.kind, kind);
    }

    #[rstest]
    #[case::a_403_for_missing_permissions(403, &[("x-ratelimit-remaining", "4999")], r#"{"message":"Resource not accessible by integration"}"#)]
    #[case::a_plain_503_without_retry_after(503, &[], "")]
    #[case::a_200_that_used_the_last_request(200, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1774541400")], "")]
    #[case::a_404(404, &[("retry-after", "5")], "")]
    fn responses_that_are_not_rate_limits_are_left_alone(
        #[case] status: u16,
        #[case] pairs: &[(&str, &str)],
        #[case] body: &str,
    ) {
        assert_eq!(
            classify(status, &headers(pairs), body.as_bytes(), now()),
            None
        );
    }

    #[test]
    fn jira_rate_limit_reason_is_kept_for_the_caller() {
        let pairs = [
            ("retry-after", "30"),
            ("ratelimit-reason", "jira-per-issue-on-write"),
        ];
        let limit = classify(429, &headers(&pairs), b"", now()).unwrap();
        assert_eq!(limit.reason.as_deref(), Some("jira-per-issue-on-write"));
    }

    #[rstest]
    #[case::garbage("soon")]
    #[case::negative("-5")]
    #[case::empty("")]
    fn unparsable_retry_after_values_are_ignored(#[case] value: &str) {
        assert_eq!(parse_retry_after(value, now()), None);
        assert_eq!(parse_delta_reset(value, now()), None);
    }

    #[test]
    fn backoff_ceiling_doubles_from_one_second_to_a_five_minute_cap() {
        let b = Backoff::default();
        assert_eq!(b.ceiling(0), Duration::from_secs(1));
        assert_eq!(b.ceiling(1), Duration::from_secs(2));
        assert_eq!(b.ceiling(8), Duration::from_secs(256));
        assert_eq!(b.ceiling(9), Duration::from_secs(300));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn backoff_is_jittered_across_the_whole_range() {
        let b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(4, &mut rng)).collect();
        let max = delays.iter().max().unwrap();
        let min = delays.iter().min().unwrap();
        assert!(*min < Duration::from_secs(2), "{min:?}");
        assert!(*max > Duration::from_secs(14), "{max:?}");
    }

    proptest! {
        #[test]
        fn backoff_delay_never_exceeds_min_of_cap_and_base_times_two_to_the_attempt(
            attempt in 0u32..200,
            seed in any::<u64>(),
            base_ms in 1u64..5_000,
            cap_ms in 1u64..600_000,
        ) {
            let b = Backoff { base: Duration::from_millis(base_ms), cap: Duration::from_millis(cap_ms) };
            let mut rng = StdRng::seed_from_u64(seed);
            let delay = b.delay(attempt, &mut rng);
            let exp = u128::from(base_ms).saturating_mul(1u128 << attempt.min(100));
            let bound = exp.min(u128::from(cap_ms));
            prop_assert!(delay.as_millis() <= bound);
            prop_assert!(b.ceiling(attempt) <= b.ceiling(attempt.saturating_add(1)));
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        now() + TimeDelta::seconds(s)
    }

    #[test]
    fn breaker_opens_after_five_consecutive_failures_not_four() {
        let mut b = CircuitBreaker::default();
        for i in 0..4 {
            assert!(b.allow(at(i)));
            b.record_failure(at(i));
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.record_failure(at(4));
        assert_eq!(b.state(), BreakerState::Open { until: at(64) });
        assert!(!b.allow(at(30)));
    }

    #[test]
    fn a_success_resets_the_failure_streak() {
        let mut b = CircuitBreaker::default();
        for i in 0..4 {
            b.record_failure(at(i));
        }
        b.record_success();
        for i in 0..4 {
            b.record_failure(at(i));
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn after_the_cool_down_exactly_one_probe_goes_through_and_its_success_closes() {
        let mut b = CircuitBreaker::new(1, Duration::from_secs(10));
        b.record_failure(at(0));
        assert!(!b.allow(at(9)));
        assert!(b.allow(at(10)));
        assert!(!b.allow(at(11)), "a second request while probing");
        b.record_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.allow(at(12)));
    }

    #[test]
    fn a_failed_probe_reopens_for_another_cool_down() {
        let mut b = CircuitBreaker::new(5, Duration::from_secs(10));
        for i in 0..5 {
            b.record_failure(at(i));
        }
        assert!(b.allow(at(14)));
        b.record_failure(at(14));
        assert_eq!(b.state(), BreakerState::Open { until: at(24) });
        assert_eq!(b.open_until(), Some(at(24)));
    }

    #[test]
    fn a_probe_that_never_reports_back_is_replaced_after_a_cool_down() {
        let mut b = CircuitBreaker::new(1, Duration::from_secs(10));
        b.record_failure(at(0));
        assert!(b.allow(at(10)));
        assert!(!b.allow(at(15)));
        assert!(b.allow(at(20)));
    }
}
