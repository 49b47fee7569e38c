//! Customer metrics (METRICS.md §4): Net Promoter Score from 0–10 responses, and the weighted
//! 0–100 health score with its red / yellow / green band and a per-measure breakdown.

use std::fmt;

/// Why NPS responses were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NpsError {
    /// A response outside the 0–10 scale.
    #[error("nps response {value} at position {index} is outside 0..=10; record whole numbers from 0 to 10")]
    OutOfRange {
        /// Position in the input slice.
        index: usize,
        /// The rejected value.
        value: i64,
    },
}

/// Why health-score inputs were rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HealthError {
    /// A measure score that is not a number in 0..=100.
    #[error(
        "{measure} score {value} is outside 0..=100; scale the measure to 0–100 before scoring"
    )]
    OutOfRange {
        /// The offending measure.
        measure: Measure,
        /// The rejected value.
        value: f64,
    },
}

/// A Net Promoter Score with the counts behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nps {
    /// Number of responses (n, always shown next to the score).
    pub respondents: usize,
    /// Responses of 9 or 10.
    pub promoters: usize,
    /// Responses of 7 or 8.
    pub passives: usize,
    /// Responses of 0 to 6.
    pub detractors: usize,
    /// `100 × (promoters − detractors) / n`, unrounded.
    pub exact: f64,
    /// The displayed score, rounded half away from zero, in −100..=100.
    pub score: i32,
}

impl Nps {
    /// `(promoters, passives, detractors)` as fractions of the respondents (0–1 each, summing
    /// to 1), shown beside the score: N1's `[10, 9, 9, 8, 7, 7, 6, 5, 3, 10]` is 0.4 / 0.3 / 0.3.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "response counts are small")]
    pub fn shares(&self) -> (f64, f64, f64) {
        let n = self.respondents.max(1) as f64;
        (
            self.promoters as f64 / n,
            self.passives as f64 / n,
            self.detractors as f64 / n,
        )
    }
}

/// NPS of `responses`; `Ok(None)` when there are none. Every response must be 0..=10.
pub fn nps(responses: &[i64]) -> Result<Option<Nps>, NpsError> {
    let (mut promoters, mut passives, mut detractors) = (0usize, 0usize, 0usize);
    for (index, value) in responses.iter().copied().enumerate() {
        match value {
            9 | 10 => promoters += 1,
            7 | 8 => passives += 1,
            0..=6 => detractors += 1,
            _ => return Err(NpsError::OutOfRange { index, value }),
        }
    }
    let n = responses.len();
    if n == 0 {
        return Ok(None);
    }
    let numerator = 100 * (promoters as i128 - detractors as i128);
    let denominator = n as i128;
    // Half away from zero in integers: sign × floor((2|x| + n) / 2n).
    let magnitude = (2 * numerator.abs() + denominator) / (2 * denominator);
    let score = i32::try_from(numerator.signum() * magnitude).unwrap_or(0);
    Ok(Some(Nps {
        respondents: n,
        promoters,
        passives,
        detractors,
        exact: numerator as f64 / denominator as f64,
        score,
    }))
}

/// One measure of the health score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    /// Product usage.
    Usage,
    /// Support load (fewer / faster-resolved tickets score higher).
    Support,
    /// NPS mapped to 0–100.
    Nps,
    /// SLO error budget remaining mapped to 0–100.
    Reliability,
    /// Engagement (meetings, responses, QBRs).
    Engagement,
}

impl Measure {
    /// All measures in display order.
    pub const ALL: [Measure; 5] = [
        Measure::Usage,
        Measure::Support,
        Measure::Nps,
        Measure::Reliability,
        Measure::Engagement,
    ];
}

impl fmt::Display for Measure {
    /// Lowercase name (`usage`, `support`, `nps`, `reliability`, `engagement`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::Usage => "usage",
            Measure::Support => "support",
            Measure::Nps => "nps",
            Measure::Reliability => "reliability",
            Measure::Engagement => "engagement",
        })
    }
}

/// One value per [`Measure`], named like the measure: the scores of a customer
/// ([`HealthMeasures`]) and the weights they are combined with ([`HealthWeights`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PerMeasure<T> {
    /// Usage.
    pub usage: T,
    /// Support (fewer tickets scores higher).
    pub support: T,
    /// NPS.
    pub nps: T,
    /// Reliability.
    pub reliability: T,
    /// Engagement.
    pub engagement: T,
}

impl<T: Copy> PerMeasure<T> {
    /// The value of one measure.
    pub fn get(&self, measure: Measure) -> T {
        match measure {
            Measure::Usage => self.usage,
            Measure::Support => self.support,
            Measure::Nps => self.nps,
            Measure::Reliability => self.reliability,
            Measure::Engagement => self.engagement,
        }
    }
}

/// Measure scores on 0–100; `None` means the measure is missing and is left out. NPS is
/// scored by [`nps_to_score`], reliability by [`reliability_score`].
pub type HealthMeasures = PerMeasure<Option<f64>>;

impl Default for HealthMeasures {
    /// Every measure missing.
    fn default() -> Self {
        Self {
            usage: None,
            support: None,
            nps: None,
            reliability: None,
            engagement: None,
        }
    }
}

/// Relative weights of the measures; they need not sum to 100.
pub type HealthWeights = PerMeasure<u32>;

impl Default for HealthWeights {
    /// opsdeck's starting weights: usage 30, support 20, NPS 20, reliability 15, engagement 15.
    fn default() -> Self {
        Self {
            usage: 30,
            support: 20,
            nps: 20,
            reliability: 15,
            engagement: 15,
        }
    }
}

/// Maps an NPS (−100..=100) to a 0–100 measure score: `(NPS + 100) / 2`, clamped.
pub fn nps_to_score(nps: f64) -> f64 {
    ((nps + 100.0) / 2.0).clamp(0.0, 100.0)
}

/// Maps SLO budget remaining (a fraction, may be negative) to `100 × clamp(remaining, 0, 1)`.
pub fn reliability_score(budget_remaining: f64) -> f64 {
    100.0 * budget_remaining.clamp(0.0, 1.0)
}

/// Health band on the displayed integer score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthBand {
    /// 0–50.
    Red,
    /// 51–75.
    Yellow,
    /// 76–100.
    Green,
}

impl fmt::Display for HealthBand {
    /// `red`, `yellow` or `green`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HealthBand::Red => "red",
            HealthBand::Yellow => "yellow",
            HealthBand::Green => "green",
        })
    }
}

/// Band of a displayed score: red 0–50, yellow 51–75, green 76–100.
pub fn health_band(score: u8) -> HealthBand {
    match score {
        0..=50 => HealthBand::Red,
        51..=75 => HealthBand::Yellow,
        _ => HealthBand::Green,
    }
}

/// How one present measure contributed to the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasureContribution {
    /// The measure.
    pub measure: Measure,
    /// Its 0–100 score.
    pub score: f64,
    /// Its configured weight.
    pub weight: u32,
    /// Its weight after renormalising over present measures (fraction, sums to 1).
    pub share: f64,
    /// Points it adds to the exact score (`score × share`).
    pub points: f64,
}

/// A computed health score.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthScore {
    /// `Σ wᵢsᵢ / Σ wᵢ` over present measures, unrounded.
    pub exact: f64,
    /// Displayed integer, rounded half away from zero.
    pub score: u8,
    /// Band of [`HealthScore::score`].
    pub band: HealthBand,
    /// One entry per present measure, in [`Measure::ALL`] order.
    pub contributions: Vec<MeasureContribution>,
    /// Measures left out because they had no value.
    pub missing: Vec<Measure>,
}

/// Weighted mean over the present measures; `Ok(None)` when no present measure has weight.
pub fn health_score(
    measures: &HealthMeasures,
    weights: &HealthWeights,
) -> Result<Option<HealthScore>, HealthError> {
    let mut present: Vec<(Measure, f64, u32)> = Vec::new();
    let mut missing = Vec::new();
    for measure in Measure::ALL {
        match measures.get(measure) {
            Some(value) if !(0.0..=100.0).contains(&value) => {
                return Err(HealthError::OutOfRange { measure, value });
            }
            Some(value) => present.push((measure, value, weights.get(measure))),
            None => missing.push(measure),
        }
    }
    let total_weight: u64 = present.iter().map(|(_, _, w)| u64::from(*w)).sum();
    if total_weight == 0 {
        return Ok(None);
    }
    let total = total_weight as f64;
    let weighted: f64 = present.iter().map(|(_, s, w)| s * f64::from(*w)).sum();
    let exact = weighted / total;
    // Strip float noise (e.g. 66.49999999999999) before rounding half away from zero.
    let displayed = ((exact * 1e9).round() / 1e9).round().clamp(0.0, 100.0);
    let score = displayed as u8; // in 0..=100 after the clamp
    let contributions = present
        .into_iter()
        .map(|(measure, score, weight)| {
            let share = f64::from(weight) / total;
            MeasureContribution {
                measure,
                score,
                weight,
                share,
                points: score * share,
            }
        })
        .collect();
    Ok(Some(HealthScore {
        exact,
        score,
        band: health_band(score),
        contributions,
        missing,
    }))
}
