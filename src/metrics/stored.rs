//! Turning an SLO's stored window counts into its evaluation (attainment, budget, burn rate
//! per window, OK / TICKET / PAGE / NO DATA, time to exhaustion) with the pure SLO math.
//!
//! The Prometheus connector stores bad/total event counts per window; the SLO tab, the
//! review and the report call [`evaluate_stored`] on what the store loads.

use crate::domain::Slo;

use super::slo::coverage::{window_coverage, WindowCoverage};
use super::slo::{
    evaluate_slo, AlertPolicy, ErrorRatio, Objective, SloEvaluation, Window, WindowRatios,
};

/// The SLO window of a stored SLO (28 or 30 days).
///
/// # Errors
/// A message when the stored window is neither 28 nor 30 days.
pub fn slo_window(window_days: u32) -> Result<Window, String> {
    match window_days {
        28 => Ok(Window::Days28),
        30 => Ok(Window::Days30),
        other => Err(format!(
            "SLO window of {other} days is not supported; use 28d or 30d"
        )),
    }
}

/// The error ratio per stored window; windows with no events (or unknown labels) are left
/// out, which means "no data" — never 0 % or 100 %.
///
/// # Errors
/// A message naming the window when a stored count is negative or infinite.
pub fn stored_ratios(slo: &Slo) -> Result<WindowRatios, String> {
    let mut ratios = WindowRatios::new();
    for counts in &slo.windows {
        let Some(window) = Window::from_label(&counts.window) else {
            continue;
        };
        let ratio = ErrorRatio::from_fractional_counts(counts.bad, counts.total)
            .map_err(|e| format!("SLO '{}', window {}: {e}", slo.name, counts.window))?;
        ratios.set(window, ratio);
    }
    Ok(ratios)
}

/// Evaluates a stored SLO with the SRE Workbook alert policy (factors derived from its window).
///
/// An SLO whose last pull failed is still evaluated from the counts it has; show
/// `slo.last_error` next to the result.
///
/// # Errors
/// A message when the stored objective or window is invalid, or a count is negative/infinite.
pub fn evaluate_stored(slo: &Slo) -> Result<SloEvaluation, String> {
    let objective = Objective::from_percent_str(&slo.objective)
        .map_err(|e| format!("SLO '{}': {e}", slo.name))?;
    let window = slo_window(slo.window_days).map_err(|e| format!("SLO '{}': {e}", slo.name))?;
    let ratios = stored_ratios(slo)?;
    Ok(evaluate_slo(
        objective,
        window,
        &AlertPolicy::sre_workbook(),
        &ratios,
    ))
}

/// How much of the SLO window the stored daily history covers, ending on its latest day
/// (`None` without any day of traffic). See [`super::slo::coverage`].
#[must_use]
pub fn stored_coverage(slo: &Slo) -> Option<WindowCoverage> {
    let last_day = slo.daily.iter().map(|d| d.day).max()?;
    let daily: Vec<_> = slo.daily.iter().map(|d| (d.day, d.total)).collect();
    window_coverage(&daily, slo.window_days, last_day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SloKind, SloWindowCounts};
    use crate::metrics::slo::AlertState;

    fn slo(windows: &[(&str, f64, f64)]) -> Slo {
        Slo {
            id: 1,
            name: "api".into(),
            service: "api".into(),
            objective: "99.9".into(),
            window_days: 30,
            kind: SloKind::Ratio,
            good_query: String::new(),
            total_query: String::new(),
            threshold_le: None,
            windows: windows
                .iter()
                .map(|(w, bad, total)| SloWindowCounts {
                    window: (*w).into(),
                    bad: *bad,
                    total: *total,
                })
                .collect(),
            daily: Vec::new(),
            last_error: None,
            last_error_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn eb1_six_hundred_errors_in_a_million_leaves_forty_percent_of_the_budget() {
        let eval =
            evaluate_stored(&slo(&[("30d", 600.0, 1_000_000.0), ("1h", 4.0, 1000.0)])).unwrap();
        let budget = eval.budget.unwrap();
        assert!((budget.remaining - 0.4).abs() < 1e-12);
        assert!((eval.burn_rate_1h.unwrap() - 4.0).abs() < 1e-12);
        // TE1: 0.4 × 720 h / 4 = 72 h.
        assert!((eval.time_to_exhaustion_secs.unwrap() - 72.0 * 3600.0).abs() < 1e-6);
    }

    #[test]
    fn zero_traffic_everywhere_is_no_data_not_zero_or_hundred_percent() {
        let eval = evaluate_stored(&slo(&[("30d", 0.0, 0.0), ("1h", 0.0, 0.0)])).unwrap();
        assert_eq!(eval.alerts.state, AlertState::NoData);
        assert_eq!(eval.attainment, None);
        assert_eq!(eval.budget, None);
    }

    #[test]
    fn a_window_of_seven_days_or_a_bad_objective_is_refused_with_the_slo_name() {
        let mut s = slo(&[]);
        s.window_days = 7;
        assert!(evaluate_stored(&s).unwrap_err().contains("'api'"));
        let mut s = slo(&[]);
        s.objective = "100".into();
        assert!(evaluate_stored(&s).unwrap_err().contains("100"));
    }
}
