//! SLO arithmetic (METRICS.md §1): exact objectives in parts per million, error ratios per
//! window, error budget consumed/remaining, burn rates, the multiwindow multi-burn-rate alert
//! policy and its OK / TICKET / PAGE / NO DATA state, time to budget exhaustion, and the
//! low-traffic flag.
//!
//! Everything here is pure: callers pass the counts or ratios they fetched from Prometheus.
//! Threshold comparisons (`burn rate > factor`) are done in exact integer arithmetic so that a
//! tie such as an error ratio of exactly 0.0144 against 14.4 × 0.1 % does not fire (AC6).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

mod alert;
pub mod coverage;
mod decimal;

pub use alert::{
    burn_rate_exceeds, evaluate_alerts, evaluate_slo, AlertEvaluation, AlertPolicy, AlertRow,
    AlertState, BurnFactor, RowEvaluation, Severity, SloEvaluation, WindowRatios,
};
use decimal::{decimal_of_f64, gcd, gcd_u128, mul_all, parse_decimal, pow10, Decimal};

/// Parts per million in one whole (100 %).
pub const PPM_PER_UNIT: u32 = 1_000_000;

/// Windows with fewer events than this are flagged as low traffic.
///
/// Chosen because below 100 events a single bad event is at least 1 % of the window, i.e. a
/// burn rate of 10 or more at 99.9 % from one request: the ratio then describes individual
/// requests rather than a rate, and one failure can fire every alert (METRICS.md AC9).
pub const LOW_TRAFFIC_MIN_EVENTS: u64 = 100;

/// Denominator used when a ratio arrives as a decimal rather than as counts (18 places).
const DECIMAL_RATIO_DEN: u64 = 1_000_000_000_000_000_000;
/// Largest mantissa kept while parsing decimals; further digits are dropped.
const MANTISSA_LIMIT: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// Why an objective string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectiveError {
    /// Nothing but whitespace (or a lone `%`) was given.
    #[error("objective is empty; write a percentage such as 99.9")]
    Empty,
    /// The text is not a plain decimal number.
    #[error("objective {0:?} is not a decimal number; write it like 99.9 or 99.95%")]
    NotDecimal(String),
    /// More precision than parts per million can hold exactly.
    #[error("objective {0:?} is more precise than one part per million; use at most 4 decimal places of a percentage")]
    TooPrecise(String),
    /// 100 % or more: no error budget would be left.
    #[error("objective {0:?} must be below 100 %: a 100 % objective leaves no error budget")]
    NotBelowHundred(String),
    /// Zero or negative.
    #[error("objective {0:?} must be above 0 %")]
    NotAboveZero(String),
}

/// Why an error ratio value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatioError {
    /// The text is not a number at all.
    #[error("error ratio {0:?} is not a number; expected a decimal such as 0.0144")]
    NotANumber(String),
    /// A negative ratio or count.
    #[error("error ratio or count {0:?} is negative; counts and ratios must be zero or more")]
    Negative(String),
    /// Infinity (a division by zero upstream).
    #[error("error ratio or count {0:?} is infinite; check the query's denominator")]
    Infinite(String),
}

/// An SLO objective held exactly as parts per million, strictly between 0 and 100 %.
///
/// `99.9 %` is 999,000 ppm and leaves a budget of 1,000 ppm; no floating point is involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Objective {
    ppm: u32,
}

impl Objective {
    /// Parses a percentage such as `"99.9"`, `"99.95 %"` or `"90"`.
    ///
    /// At most four decimal places (one ppm); 100 % and anything at or below 0 are rejected.
    pub fn from_percent_str(text: &str) -> Result<Self, ObjectiveError> {
        let trimmed = text.trim();
        let body = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
        Self::parse_scaled(text, body, 4)
    }

    /// Parses a ratio such as OpenSLO's `target: 0.999` (at most six decimal places).
    pub fn from_ratio_str(text: &str) -> Result<Self, ObjectiveError> {
        Self::parse_scaled(text, text.trim(), 6)
    }

    /// Builds an objective from parts per million (`1..=999_999`).
    pub fn from_ppm(ppm: u32) -> Result<Self, ObjectiveError> {
        match ppm {
            0 => Err(ObjectiveError::NotAboveZero(format!("{ppm} ppm"))),
            p if p >= PPM_PER_UNIT => Err(ObjectiveError::NotBelowHundred(format!("{ppm} ppm"))),
            p => Ok(Self { ppm: p }),
        }
    }

    fn parse_scaled(original: &str, body: &str, places: i64) -> Result<Self, ObjectiveError> {
        if body.is_empty() {
            return Err(ObjectiveError::Empty);
        }
        let not_decimal = || ObjectiveError::NotDecimal(original.to_string());
        if let Some(rest) = body.strip_prefix('-') {
            parse_decimal(rest, false).ok_or_else(not_decimal)?;
            return Err(ObjectiveError::NotAboveZero(original.to_string()));
        }
        let mut dec = parse_decimal(body, false).ok_or_else(not_decimal)?;
        while dec.scale > 0 && dec.mantissa % 10 == 0 && dec.mantissa != 0 {
            dec.mantissa /= 10;
            dec.scale -= 1;
        }
        if dec.mantissa == 0 {
            return Err(ObjectiveError::NotAboveZero(original.to_string()));
        }
        if dec.scale > places {
            return Err(ObjectiveError::TooPrecise(original.to_string()));
        }
        let ppm = pow10(places - dec.scale)
            .and_then(|factor| dec.mantissa.checked_mul(factor))
            .filter(|ppm| *ppm < u128::from(PPM_PER_UNIT))
            .ok_or_else(|| ObjectiveError::NotBelowHundred(original.to_string()))?;
        let ppm = u32::try_from(ppm)
            .map_err(|_| ObjectiveError::NotBelowHundred(original.to_string()))?;
        Ok(Self { ppm })
    }

    /// The objective in parts per million (999,000 for 99.9 %).
    pub fn ppm(self) -> u32 {
        self.ppm
    }

    /// The error budget `1 − objective` in parts per million (1,000 for 99.9 %).
    pub fn budget_ppm(self) -> u32 {
        PPM_PER_UNIT - self.ppm
    }

    /// The objective as a fraction (0.999), for display only.
    pub fn as_ratio(self) -> f64 {
        f64::from(self.ppm) / f64::from(PPM_PER_UNIT)
    }

    /// The error budget as a fraction (0.001), for display only.
    pub fn budget_ratio(self) -> f64 {
        f64::from(self.budget_ppm()) / f64::from(PPM_PER_UNIT)
    }
}

impl fmt::Display for Objective {
    /// Formats as a trimmed percentage: `99.9%`, `90%`, `99.9999%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.ppm / 10_000;
        let frac = self.ppm % 10_000;
        if frac == 0 {
            return write!(f, "{whole}%");
        }
        let digits = format!("{frac:04}");
        write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
    }
}

impl FromStr for Objective {
    type Err = ObjectiveError;

    /// Same as [`Objective::from_percent_str`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_percent_str(text)
    }
}

/// The trailing windows opsdeck queries: alert windows and the SLO windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Window {
    /// 5 minutes.
    Minutes5,
    /// 30 minutes.
    Minutes30,
    /// 1 hour.
    Hour1,
    /// 2 hours.
    Hours2,
    /// 6 hours.
    Hours6,
    /// 1 day.
    Day1,
    /// 3 days.
    Days3,
    /// 28 days (4 weeks).
    Days28,
    /// 30 days.
    Days30,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 9] = [
        Window::Minutes5,
        Window::Minutes30,
        Window::Hour1,
        Window::Hours2,
        Window::Hours6,
        Window::Day1,
        Window::Days3,
        Window::Days28,
        Window::Days30,
    ];

    /// Length of the window in seconds.
    pub fn secs(self) -> u64 {
        match self {
            Window::Minutes5 => 300,
            Window::Minutes30 => 1_800,
            Window::Hour1 => 3_600,
            Window::Hours2 => 7_200,
            Window::Hours6 => 21_600,
            Window::Day1 => 86_400,
            Window::Days3 => 259_200,
            Window::Days28 => 2_419_200,
            Window::Days30 => 2_592_000,
        }
    }

    /// The Prometheus-style label: `5m`, `30m`, `1h`, `2h`, `6h`, `1d`, `3d`, `28d`, `30d`.
    pub fn label(self) -> &'static str {
        match self {
            Window::Minutes5 => "5m",
            Window::Minutes30 => "30m",
            Window::Hour1 => "1h",
            Window::Hours2 => "2h",
            Window::Hours6 => "6h",
            Window::Day1 => "1d",
            Window::Days3 => "3d",
            Window::Days28 => "28d",
            Window::Days30 => "30d",
        }
    }

    /// Parses a label as printed by [`Window::label`] (`4w` is accepted for 28 days).
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.trim();
        if label == "4w" {
            return Some(Window::Days28);
        }
        Self::ALL.into_iter().find(|w| w.label() == label)
    }
}

impl fmt::Display for Window {
    /// Writes the label (`1h`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The error ratio `bad / total` of one window, held as an exact reduced fraction in `[0, 1]`.
///
/// "No data" (zero valid events) is represented by the absence of an `ErrorRatio`
/// (`Option::None`), never by 0 % or 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorRatio {
    bad: u64,
    total: u64,
}

impl ErrorRatio {
    /// Builds the ratio from event counts; `None` when `total` is 0 (no data).
    ///
    /// `bad > total` (possible with separately extrapolated counters) is capped at 100 %.
    pub fn from_counts(bad: u64, total: u64) -> Option<Self> {
        (total > 0).then(|| Self::reduced(bad.min(total), total))
    }

    /// Builds the ratio from possibly fractional counts such as Prometheus `increase()` results.
    ///
    /// Each count is taken as the decimal it prints as (`43.2_f64` is exactly 43.2, which is
    /// also how Prometheus' JSON carries it) and the two decimals are divided exactly, so
    /// 43.2 bad of 3,000 is exactly 0.0144 and ties with 14.4 × 0.1 % (AC6) instead of being
    /// the float quotient 0.014400000000000001. Only when the exact fraction does not fit
    /// 64-bit terms is it rounded, in integer arithmetic, to 18 decimal places.
    /// `Ok(None)` when either count is NaN or `total` is 0 (no data).
    pub fn from_fractional_counts(bad: f64, total: f64) -> Result<Option<Self>, RatioError> {
        for value in [bad, total] {
            if value.is_infinite() {
                return Err(RatioError::Infinite(value.to_string()));
            }
            if value < 0.0 {
                return Err(RatioError::Negative(value.to_string()));
            }
        }
        if bad.is_nan() || total.is_nan() || total == 0.0 {
            return Ok(None);
        }
        const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
        if bad.fract() == 0.0 && total.fract() == 0.0 && total <= EXACT_LIMIT {
            // Lossless: both are whole numbers below 2^53.
            return Ok(Self::from_counts(bad as u64, total as u64));
        }
        match (decimal_of_f64(bad), decimal_of_f64(total)) {
            (Some(b), Some(t)) => Ok(Self::from_decimal_quotient(b, t)),
            // Unreachable for finite non-negative floats; keep the old float path as a fallback.
            _ => Self::from_f64(bad / total),
        }
    }

    /// Exact `bad / total` of two decimals; `None` when `total` is 0.
    fn from_decimal_quotient(bad: Decimal, total: Decimal) -> Option<Self> {
        if total.mantissa == 0 {
            return None;
        }
        // bad = mb·10^-sb, total = mt·10^-st  ⇒  bad/total = mb·10^st / (mt·10^sb).
        let shift = total.scale - bad.scale;
        let (num, den) = if shift >= 0 {
            (
                pow10(shift).and_then(|f| bad.mantissa.checked_mul(f)),
                Some(total.mantissa),
            )
        } else {
            (
                Some(bad.mantissa),
                pow10(-shift).and_then(|f| total.mantissa.checked_mul(f)),
            )
        };
        if let (Some(num), Some(den)) = (num, den) {
            let num = num.min(den); // cap at 100 %
            let divisor = gcd_u128(num, den).max(1);
            if let (Ok(b), Ok(t)) = (u64::try_from(num / divisor), u64::try_from(den / divisor)) {
                return Some(Self::reduced(b, t));
            }
            // Too many digits for exact 64-bit terms: round to 18 places without floats.
            let cap = u128::from(DECIMAL_RATIO_DEN);
            if let Some(scaled) = num.checked_mul(cap) {
                let q = scaled / den + u128::from((scaled % den) * 2 >= den);
                let q = u64::try_from(q.min(cap)).unwrap_or(DECIMAL_RATIO_DEN);
                return Some(Self::reduced(q, DECIMAL_RATIO_DEN));
            }
        }
        // Extreme magnitudes (beyond 10^38): the float quotient is as good as anything.
        let as_f64 = |d: Decimal| d.mantissa as f64 / 10f64.powi(d.scale.clamp(-300, 300) as i32);
        Self::from_f64(as_f64(bad) / as_f64(total)).ok().flatten()
    }

    /// Parses a ratio as Prometheus prints sample values (`"0.0144"`, `"1e-05"`, `"NaN"`).
    ///
    /// The decimal is taken exactly (to 18 places), so `"0.0144"` ties with 14.4 × 0.1 %.
    /// `"NaN"` (Prometheus 0/0) is `Ok(None)`; values above 1 are capped at 1.
    pub fn parse(text: &str) -> Result<Option<Self>, RatioError> {
        let body = text.trim();
        let lower = body.to_ascii_lowercase();
        if lower == "nan" {
            return Ok(None);
        }
        if matches!(lower.as_str(), "inf" | "+inf" | "-inf" | "infinity") {
            return Err(RatioError::Infinite(text.to_string()));
        }
        let not_number = || RatioError::NotANumber(text.to_string());
        if let Some(rest) = body.strip_prefix('-') {
            let dec = parse_decimal(rest, true).ok_or_else(not_number)?;
            return match dec.mantissa {
                0 => Ok(Some(Self::reduced(0, 1))),
                _ => Err(RatioError::Negative(text.to_string())),
            };
        }
        let body = body.strip_prefix('+').unwrap_or(body);
        let dec = parse_decimal(body, true).ok_or_else(not_number)?;
        Ok(Some(dec.to_ratio()))
    }

    /// Converts a float ratio via its shortest decimal form (`0.0144_f64` → exactly 0.0144).
    ///
    /// NaN is `Ok(None)` (no data); values above 1 are capped at 1.
    pub fn from_f64(ratio: f64) -> Result<Option<Self>, RatioError> {
        if ratio.is_nan() {
            return Ok(None);
        }
        if ratio == 0.0 {
            return Ok(Some(Self::reduced(0, 1)));
        }
        Self::parse(&format!("{ratio}"))
    }

    fn reduced(bad: u64, total: u64) -> Self {
        let divisor = gcd(bad, total).max(1);
        Self {
            bad: bad / divisor,
            total: total / divisor,
        }
    }

    /// Numerator of the reduced fraction.
    pub fn numerator(self) -> u64 {
        self.bad
    }

    /// Denominator of the reduced fraction (never 0).
    pub fn denominator(self) -> u64 {
        self.total
    }

    /// The ratio as a float, for display.
    pub fn as_f64(self) -> f64 {
        self.bad as f64 / self.total as f64
    }

    /// Attainment (the SLI) `1 − error ratio`, for display.
    pub fn attainment(self) -> f64 {
        (self.total - self.bad) as f64 / self.total as f64
    }
}

impl PartialOrd for ErrorRatio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ErrorRatio {
    /// Exact comparison by cross-multiplication.
    fn cmp(&self, other: &Self) -> Ordering {
        let left = u128::from(self.bad) * u128::from(other.total);
        let right = u128::from(other.bad) * u128::from(self.total);
        left.cmp(&right)
    }
}

/// Budget consumed and remaining over the SLO window, as fractions of the budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetStatus {
    /// `e / (1 − objective)`: 0.6 means 60 % of the budget is spent (the period burn rate).
    pub consumed: f64,
    /// `1 − consumed`; negative once the budget is exhausted.
    pub remaining: f64,
}

impl BudgetStatus {
    /// True when nothing of the budget is left (`remaining ≤ 0`).
    pub fn is_exhausted(&self) -> bool {
        self.remaining <= 0.0
    }
}

/// Budget consumed/remaining given the error ratio over the whole SLO window.
pub fn budget_status(objective: Objective, slo_window_ratio: ErrorRatio) -> BudgetStatus {
    let budget = u128::from(objective.budget_ppm()) * u128::from(slo_window_ratio.total);
    let spent = u128::from(slo_window_ratio.bad) * u128::from(PPM_PER_UNIT);
    let consumed = spent as f64 / budget as f64;
    // remaining = (budget − spent) / budget, with a single rounding at the end.
    let remaining = (budget as i128 - spent as i128) as f64 / budget as f64;
    BudgetStatus {
        consumed,
        remaining,
    }
}

/// Number of bad events the budget allows among `total_events` (`(1 − objective) × total`).
pub fn allowed_bad_events(objective: Objective, total_events: u64) -> f64 {
    (u128::from(objective.budget_ppm()) * u128::from(total_events)) as f64 / f64::from(PPM_PER_UNIT)
}

/// The time-based budget `(1 − objective) × window` in seconds (43.2 min = 2,592 s at 99.9 % / 30 d).
pub fn time_budget_secs(objective: Objective, window: Window) -> f64 {
    (u128::from(objective.budget_ppm()) * u128::from(window.secs())) as f64
        / f64::from(PPM_PER_UNIT)
}

/// Burn rate `e / (1 − objective)` for display (1 = the budget lasts exactly the SLO window).
pub fn burn_rate(ratio: ErrorRatio, objective: Objective) -> f64 {
    let num = u128::from(ratio.bad) * u128::from(PPM_PER_UNIT);
    let den = u128::from(ratio.total) * u128::from(objective.budget_ppm());
    num as f64 / den as f64
}

/// Burn rate a single bad event would cause in a window of `total_events` (`None` if empty).
///
/// Shown next to low-traffic windows to explain why one failure can page.
pub fn single_bad_event_burn_rate(total_events: u64, objective: Objective) -> Option<f64> {
    ErrorRatio::from_counts(1, total_events).map(|ratio| burn_rate(ratio, objective))
}

/// True when a window has fewer than [`LOW_TRAFFIC_MIN_EVENTS`] valid events.
pub fn is_low_traffic(total_events: u64) -> bool {
    total_events < LOW_TRAFFIC_MIN_EVENTS
}

/// Seconds until the budget is gone at the given burn rate: `max(remaining, 0) × window / burn`.
///
/// `Some(0.0)` when the budget is already exhausted; otherwise `None` when the burn rate is
/// unknown or not positive. METRICS.md §1.6 uses the 1 h burn rate.
pub fn time_to_exhaustion_secs(
    budget_remaining: f64,
    slo_window: Window,
    burn_rate: Option<f64>,
) -> Option<f64> {
    if budget_remaining <= 0.0 {
        return Some(0.0);
    }
    let burn = burn_rate.filter(|b| *b > 0.0 && b.is_finite())?;
    Some(budget_remaining * slo_window.secs() as f64 / burn)
}
