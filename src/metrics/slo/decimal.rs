//! Exact decimal parsing for objectives and ratios: `mantissa × 10^-scale` in integers, so
//! `99.9%` and `0.0144` mean exactly what was written, with no float round-trip.

use super::*;

/// A parsed non-negative decimal `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decimal {
    pub(super) mantissa: u128,
    pub(super) scale: i64,
}

impl Decimal {
    /// Rounds to 18 decimal places (half up) and caps at 1.
    pub(super) fn to_ratio(self) -> ErrorRatio {
        let cap = u128::from(DECIMAL_RATIO_DEN);
        let scaled = if self.mantissa == 0 {
            0
        } else if self.scale <= 18 {
            pow10(18 - self.scale)
                .and_then(|f| self.mantissa.checked_mul(f))
                .map_or(cap, |v| v.min(cap))
        } else {
            match pow10(self.scale - 18) {
                Some(f) => {
                    (self.mantissa / f + u128::from(self.mantissa % f >= f.div_ceil(2))).min(cap)
                }
                None => 0, // below 1e-18 even after rounding
            }
        };
        // scaled ≤ 1e18 < u64::MAX, so the conversion cannot fail.
        let bad = u64::try_from(scaled).unwrap_or(DECIMAL_RATIO_DEN);
        ErrorRatio::reduced(bad, DECIMAL_RATIO_DEN)
    }
}

/// Parses `digits[.digits][e±exp]` (exponent only if allowed) without any floating point.
pub(super) fn parse_decimal(text: &str, allow_exponent: bool) -> Option<Decimal> {
    let (body, exponent) = match text.find(['e', 'E']) {
        Some(i) if allow_exponent => (&text[..i], text[i + 1..].parse::<i64>().ok()?),
        Some(_) => return None,
        None => (text, 0),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return None;
    }
    let mut mantissa: u128 = 0;
    let mut dropped: i64 = 0;
    for b in int_part.bytes().chain(frac_part.bytes()) {
        if mantissa >= MANTISSA_LIMIT {
            dropped += 1; // keep 36+ significant digits; the rest cannot matter
        } else {
            mantissa = mantissa * 10 + u128::from(b - b'0');
        }
    }
    let frac_len = i64::try_from(frac_part.len()).ok()?;
    let scale = frac_len.checked_sub(exponent)?.checked_sub(dropped)?;
    Some(Decimal { mantissa, scale })
}

/// `10^exp` for `0 ≤ exp ≤ 38`, else `None`.
pub(super) fn pow10(exp: i64) -> Option<u128> {
    u32::try_from(exp).ok().and_then(|e| 10u128.checked_pow(e))
}

pub(super) fn mul_all(parts: &[u128]) -> Option<u128> {
    parts.iter().try_fold(1u128, |acc, p| acc.checked_mul(*p))
}

/// The exact decimal a finite non-negative float prints as (its shortest round-trip form).
pub(super) fn decimal_of_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    parse_decimal(&format!("{value:?}"), true)
}

pub(super) fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub(super) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parser_keeps_exact_digits_and_exponents() {
        assert_eq!(
            parse_decimal("0.0144", false),
            Some(Decimal {
                mantissa: 144,
                scale: 4
            })
        );
        assert_eq!(
            parse_decimal("1e-05", true),
            Some(Decimal {
                mantissa: 1,
                scale: 5
            })
        );
        assert_eq!(parse_decimal("1e-05", false), None);
        assert_eq!(parse_decimal(".", false), None);
        assert_eq!(parse_decimal("1.2.3", false), None);
    }

    #[test]
    fn decimal_ratio_rounds_below_eighteen_places_and_caps_at_one() {
        let tiny = parse_decimal("0.0000000000000000004", false).map(Decimal::to_ratio);
        assert_eq!(tiny, ErrorRatio::from_counts(0, 1));
        let big = parse_decimal("3.5", false).map(Decimal::to_ratio);
        assert_eq!(big, ErrorRatio::from_counts(1, 1));
        let far = parse_decimal("1e-400", true).map(Decimal::to_ratio);
        assert_eq!(far, ErrorRatio::from_counts(0, 1));
    }
}
