//! NPS and health score against the METRICS.md §4 vectors (N1, H2, H3-style renormalisation)
//! and the band edges.

use opsdeck::metrics::customer::{
    health_band, health_score, nps, nps_to_score, reliability_score, HealthBand, HealthError,
    HealthMeasures, HealthWeights, Measure, NpsError,
};
use proptest::prelude::*;
use rstest::rstest;

#[rstest]
#[case::n1_bain_example(&[10, 9, 9, 8, 7, 7, 6, 5, 3, 10], 10)]
#[case::two_promoters_one_detractor_rounds_down(&[10, 10, 0], 33)]
#[case::promoter_and_detractor_cancel(&[9, 6], 0)]
#[case::all_passives_is_zero(&[7, 8, 8, 7], 0)]
#[case::half_rounds_away_from_zero_up(&[10, 8, 8, 8, 8, 8, 8, 8], 13)]
#[case::half_rounds_away_from_zero_down(&[0, 8, 8, 8, 8, 8, 8, 8], -13)]
#[case::all_detractors(&[0, 1, 6], -100)]
fn nps_scores(#[case] responses: &[i64], #[case] expected: i32) {
    let result = nps(responses).unwrap().unwrap();
    assert_eq!(result.score, expected);
    assert_eq!(result.respondents, responses.len());
}

#[test]
fn n1_counts_are_reported() {
    let result = nps(&[10, 9, 9, 8, 7, 7, 6, 5, 3, 10]).unwrap().unwrap();
    assert_eq!(
        (result.promoters, result.passives, result.detractors),
        (4, 3, 3)
    );
    assert!((result.exact - 10.0).abs() < 1e-12);
}

#[test]
fn no_responses_is_no_score() {
    assert_eq!(nps(&[]), Ok(None));
}

#[rstest]
#[case::eleven(&[9, 11], 1, 11)]
#[case::negative(&[-1], 0, -1)]
fn out_of_scale_responses_are_rejected(
    #[case] responses: &[i64],
    #[case] index: usize,
    #[case] value: i64,
) {
    assert_eq!(nps(responses), Err(NpsError::OutOfRange { index, value }));
    let message = nps(responses).unwrap_err().to_string();
    assert!(message.contains("0 to 10"), "{message}");
}

fn h2() -> HealthMeasures {
    HealthMeasures {
        usage: Some(80.0),
        support: Some(60.0),
        nps: Some(nps_to_score(10.0)),
        reliability: Some(reliability_score(0.4)),
        engagement: Some(90.0),
    }
}

#[test]
fn h2_weighted_example_is_67_yellow() {
    let score = health_score(&h2(), &HealthWeights::default())
        .unwrap()
        .unwrap();
    assert!((score.exact - 66.5).abs() < 1e-9);
    assert_eq!(score.score, 67);
    assert_eq!(score.band, HealthBand::Yellow);
    assert!(score.missing.is_empty());
    let points: Vec<(Measure, f64)> = score
        .contributions
        .iter()
        .map(|c| (c.measure, c.points))
        .collect();
    let expected = [
        (Measure::Usage, 24.0),
        (Measure::Support, 12.0),
        (Measure::Nps, 11.0),
        (Measure::Reliability, 6.0),
        (Measure::Engagement, 13.5),
    ];
    for ((m, p), (em, ep)) in points.iter().zip(expected) {
        assert_eq!(*m, em);
        assert!((p - ep).abs() < 1e-9, "{m}: {p} vs {ep}");
    }
}

#[test]
fn missing_measure_is_dropped_and_the_rest_renormalised() {
    let measures = HealthMeasures { nps: None, ..h2() };
    let score = health_score(&measures, &HealthWeights::default())
        .unwrap()
        .unwrap();
    // (80·30 + 60·20 + 40·15 + 90·15) / 80 = 69.375
    assert!((score.exact - 69.375).abs() < 1e-9);
    assert_eq!(score.score, 69);
    assert_eq!(score.missing, vec![Measure::Nps]);
    let shares: f64 = score.contributions.iter().map(|c| c.share).sum();
    assert!((shares - 1.0).abs() < 1e-12);
    assert!((score.contributions[0].share - 30.0 / 80.0).abs() < 1e-12);
}

#[test]
fn nothing_measured_is_no_score() {
    assert_eq!(
        health_score(&HealthMeasures::default(), &HealthWeights::default()),
        Ok(None)
    );
}

#[test]
fn gainsight_weights_need_not_sum_to_one_hundred() {
    let weights = HealthWeights {
        usage: 20,
        support: 15,
        nps: 22,
        reliability: 0,
        engagement: 0,
    };
    let measures = HealthMeasures {
        usage: Some(47.0),
        support: Some(59.0),
        nps: Some(21.0),
        ..Default::default()
    };
    let score = health_score(&measures, &weights).unwrap().unwrap();
    assert_eq!(score.score, 40);
    assert_eq!(score.band, HealthBand::Red);
}

#[test]
fn out_of_range_measure_is_rejected() {
    let measures = HealthMeasures {
        usage: Some(120.0),
        ..h2()
    };
    assert_eq!(
        health_score(&measures, &HealthWeights::default()),
        Err(HealthError::OutOfRange {
            measure: Measure::Usage,
            value: 120.0
        })
    );
    let nan = HealthMeasures {
        support: Some(f64::NAN),
        ..h2()
    };
    assert!(health_score(&nan, &HealthWeights::default()).is_err());
}

#[rstest]
#[case::zero(0, HealthBand::Red)]
#[case::fifty_is_red(50, HealthBand::Red)]
#[case::fifty_one_is_yellow(51, HealthBand::Yellow)]
#[case::seventy_five_is_yellow(75, HealthBand::Yellow)]
#[case::seventy_six_is_green(76, HealthBand::Green)]
#[case::hundred(100, HealthBand::Green)]
fn band_edges(#[case] score: u8, #[case] band: HealthBand) {
    assert_eq!(health_band(score), band);
}

#[test]
fn band_uses_the_displayed_integer() {
    // 50.5 displays as 51, so it is yellow even though the exact value is below 51.
    let measures = HealthMeasures {
        usage: Some(50.5),
        ..Default::default()
    };
    let score = health_score(&measures, &HealthWeights::default())
        .unwrap()
        .unwrap();
    assert_eq!((score.score, score.band), (51, HealthBand::Yellow));
}

#[rstest]
#[case::worst_nps(-100.0, 0.0)]
#[case::neutral_nps(0.0, 50.0)]
#[case::best_nps(100.0, 100.0)]
fn nps_maps_onto_zero_to_hundred(#[case] value: f64, #[case] expected: f64) {
    assert_eq!(nps_to_score(value), expected);
}

#[rstest]
#[case::exhausted_budget(-0.5, 0.0)]
#[case::forty_percent_left(0.4, 40.0)]
#[case::untouched(1.0, 100.0)]
fn reliability_maps_budget_remaining(#[case] remaining: f64, #[case] expected: f64) {
    assert!((reliability_score(remaining) - expected).abs() < 1e-9);
}

proptest! {
    #[test]
    fn nps_stays_within_minus_100_and_100(responses in proptest::collection::vec(0i64..=10, 1..200)) {
        let result = nps(&responses).unwrap().unwrap();
        prop_assert!((-100..=100).contains(&result.score));
        prop_assert_eq!(result.promoters + result.passives + result.detractors, responses.len());
        prop_assert!((f64::from(result.score) - result.exact).abs() <= 0.5 + 1e-9);
    }

    #[test]
    fn health_score_stays_between_its_lowest_and_highest_measure(
        scores in proptest::collection::vec(proptest::option::of(0.0f64..=100.0), 5),
        weights in proptest::collection::vec(1u32..100, 5),
    ) {
        let measures = HealthMeasures { usage: scores[0], support: scores[1], nps: scores[2], reliability: scores[3], engagement: scores[4] };
        let weights = HealthWeights { usage: weights[0], support: weights[1], nps: weights[2], reliability: weights[3], engagement: weights[4] };
        let present: Vec<f64> = scores.iter().flatten().copied().collect();
        match health_score(&measures, &weights).unwrap() {
            None => prop_assert!(present.is_empty()),
            Some(score) => {
                let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                prop_assert!(score.exact >= lo - 1e-9 && score.exact <= hi + 1e-9);
                prop_assert_eq!(score.band, health_band(score.score));
            }
        }
    }
}

/// N1 as percentages beside the score: 40 % promoters, 30 % passives, 30 % detractors, +10.
#[test]
fn n1_shares_are_shown_beside_the_score() {
    let result = nps(&[10, 9, 9, 8, 7, 7, 6, 5, 3, 10]).unwrap().unwrap();
    let (p, m, d) = result.shares();
    assert!((p - 0.4).abs() < 1e-12 && (m - 0.3).abs() < 1e-12 && (d - 0.3).abs() < 1e-12);
    assert_eq!(result.score, 10);
    let two = nps(&[10, 10, 0]).unwrap().unwrap().shares();
    assert!((two.0 - 2.0 / 3.0).abs() < 1e-12 && two.1 == 0.0);
}
