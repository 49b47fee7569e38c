//! Burn-rate alerting for an SLO (METRICS.md §1.2): exact burn-rate factors, the
//! multiwindow multi-burn-rate policy as data, its OK / TICKET / PAGE / NO DATA evaluation, and
//! the one-call [`evaluate_slo`] summary the SLO tab shows.

use std::collections::BTreeMap;
use std::fmt;

use super::{
    budget_status, burn_rate, gcd, mul_all, time_to_exhaustion_secs, BudgetStatus, ErrorRatio,
    Objective, Window, PPM_PER_UNIT,
};

/// An exact non-negative burn-rate factor `num / den` (14.4 is 72/5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BurnFactor {
    num: u64,
    den: u64,
}

impl BurnFactor {
    /// Builds `num / den` in lowest terms; `None` when `den` is 0.
    pub fn new(num: u64, den: u64) -> Option<Self> {
        (den > 0).then(|| {
            let divisor = gcd(num, den).max(1);
            Self {
                num: num / divisor,
                den: den / divisor,
            }
        })
    }

    /// Numerator in lowest terms.
    pub fn numerator(self) -> u64 {
        self.num
    }

    /// Denominator in lowest terms (never 0).
    pub fn denominator(self) -> u64 {
        self.den
    }

    /// The factor as a float, for display.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The error-ratio threshold `factor × (1 − objective)` as a float, for display.
    pub fn error_ratio_threshold(self, objective: Objective) -> f64 {
        self.as_f64() * objective.budget_ratio()
    }
}

/// Exactly whether `e / (1 − objective) > factor` (strict, so a tie does not fire).
pub fn burn_rate_exceeds(ratio: ErrorRatio, objective: Objective, factor: BurnFactor) -> bool {
    // bad/total > (num/den) × (budget_ppm / 1e6)
    //   ⇔ bad × den × 1e6 > num × budget_ppm × total
    let left = mul_all(&[
        u128::from(ratio.bad),
        u128::from(factor.den),
        u128::from(PPM_PER_UNIT),
    ]);
    let right = mul_all(&[
        u128::from(factor.num),
        u128::from(objective.budget_ppm()),
        u128::from(ratio.total),
    ]);
    match (left, right) {
        (Some(l), Some(r)) => l > r,
        // Only reachable with absurd factors; a float comparison is then the best we can do.
        _ => burn_rate(ratio, objective) > factor.as_f64(),
    }
}

/// Who is notified when an alert row fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Open a ticket: handle in working hours.
    Ticket,
    /// Page the on-call engineer now.
    Page,
}

/// One multiwindow alert rule: fire when both windows burn faster than the derived factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertRow {
    /// Page or ticket.
    pub severity: Severity,
    /// Share of the whole SLO-window budget that burning at the threshold for the long
    /// window would consume (2 for the fast page).
    pub budget_share_pct: u32,
    /// The long window (1h for the fast page).
    pub long_window: Window,
    /// The short, reset-fast window (5m for the fast page).
    pub short_window: Window,
}

impl AlertRow {
    /// Burn-rate factor for this row: `budget% × slo_window / long_window` (14.4 on 30 d).
    pub fn factor(&self, slo_window: Window) -> BurnFactor {
        let num = u64::from(self.budget_share_pct) * slo_window.secs();
        let den = 100 * self.long_window.secs();
        BurnFactor::new(num, den).unwrap_or(BurnFactor { num: 0, den: 1 })
    }
}

/// A burn-rate alert policy: a list of rows, any of which may fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertPolicy {
    /// The rules, evaluated independently.
    pub rows: Vec<AlertRow>,
}

impl AlertPolicy {
    /// The SRE Workbook policy (Table 5-8 plus its 3-day ticket): 2 %/1h/5m page,
    /// 5 %/6h/30m page, 10 %/1d/2h ticket, 10 %/3d/6h ticket.
    pub fn sre_workbook() -> Self {
        let row = |severity, budget_share_pct, long_window, short_window| AlertRow {
            severity,
            budget_share_pct,
            long_window,
            short_window,
        };
        Self {
            rows: vec![
                row(Severity::Page, 2, Window::Hour1, Window::Minutes5),
                row(Severity::Page, 5, Window::Hours6, Window::Minutes30),
                row(Severity::Ticket, 10, Window::Day1, Window::Hours2),
                row(Severity::Ticket, 10, Window::Days3, Window::Hours6),
            ],
        }
    }
}

impl Default for AlertPolicy {
    /// [`AlertPolicy::sre_workbook`].
    fn default() -> Self {
        Self::sre_workbook()
    }
}

/// Error ratios per trailing window; a missing window means "no data".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowRatios {
    ratios: BTreeMap<Window, ErrorRatio>,
}

impl WindowRatios {
    /// No data for any window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or, with `None`, clears) the ratio of one window.
    pub fn set(&mut self, window: Window, ratio: Option<ErrorRatio>) {
        match ratio {
            Some(r) => self.ratios.insert(window, r),
            None => self.ratios.remove(&window),
        };
    }

    /// Builder form of [`WindowRatios::set`].
    pub fn with(mut self, window: Window, ratio: Option<ErrorRatio>) -> Self {
        self.set(window, ratio);
        self
    }

    /// The ratio of a window, or `None` for no data.
    pub fn get(&self, window: Window) -> Option<ErrorRatio> {
        self.ratios.get(&window).copied()
    }
}

/// The alert state of one SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// Data present and no row fires.
    Ok,
    /// At least one ticket row fires and no page row.
    Ticket,
    /// At least one page row fires.
    Page,
    /// The SLO window itself has no valid events (and nothing fires).
    NoData,
}

impl fmt::Display for AlertState {
    /// `OK`, `TICKET`, `PAGE` or `NO DATA`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlertState::Ok => "OK",
            AlertState::Ticket => "TICKET",
            AlertState::Page => "PAGE",
            AlertState::NoData => "NO DATA",
        })
    }
}

/// How one policy row evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowEvaluation {
    /// The row evaluated.
    pub row: AlertRow,
    /// Its factor for the SLO window.
    pub factor: BurnFactor,
    /// Burn rate over the long window (`None` = no data).
    pub long_burn_rate: Option<f64>,
    /// Burn rate over the short window (`None` = no data).
    pub short_burn_rate: Option<f64>,
    /// True when both windows have data and both burn strictly faster than the factor.
    pub firing: bool,
}

/// The alert state plus the per-row detail behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvaluation {
    /// Overall state.
    pub state: AlertState,
    /// One entry per policy row, in policy order.
    pub rows: Vec<RowEvaluation>,
}

/// Evaluates the policy: a row fires iff long AND short burn rates are strictly above its factor.
///
/// A window without data never fires. Precedence: PAGE, then TICKET, then NO DATA (SLO window
/// without data), then OK — a firing row is never hidden behind NO DATA.
pub fn evaluate_alerts(
    objective: Objective,
    slo_window: Window,
    policy: &AlertPolicy,
    ratios: &WindowRatios,
) -> AlertEvaluation {
    let rows: Vec<RowEvaluation> = policy
        .rows
        .iter()
        .map(|row| {
            let factor = row.factor(slo_window);
            let long = ratios.get(row.long_window);
            let short = ratios.get(row.short_window);
            let over =
                |r: Option<ErrorRatio>| r.is_some_and(|r| burn_rate_exceeds(r, objective, factor));
            RowEvaluation {
                row: *row,
                factor,
                long_burn_rate: long.map(|r| burn_rate(r, objective)),
                short_burn_rate: short.map(|r| burn_rate(r, objective)),
                firing: over(long) && over(short),
            }
        })
        .collect();
    let fires = |severity| rows.iter().any(|r| r.firing && r.row.severity == severity);
    let state = if fires(Severity::Page) {
        AlertState::Page
    } else if fires(Severity::Ticket) {
        AlertState::Ticket
    } else if ratios.get(slo_window).is_none() {
        AlertState::NoData
    } else {
        AlertState::Ok
    };
    AlertEvaluation { state, rows }
}

/// Everything the SLO tab shows for one SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct SloEvaluation {
    /// The SLO window evaluated (28 d or 30 d usually).
    pub slo_window: Window,
    /// `1 − e` over the SLO window (`None` = no data).
    pub attainment: Option<f64>,
    /// Budget consumed/remaining over the SLO window (`None` = no data).
    pub budget: Option<BudgetStatus>,
    /// Current burn rate over 1 h, used for the exhaustion projection.
    pub burn_rate_1h: Option<f64>,
    /// Projected seconds until the budget is gone (see [`time_to_exhaustion_secs`]).
    pub time_to_exhaustion_secs: Option<f64>,
    /// Alert state and per-row detail.
    pub alerts: AlertEvaluation,
}

/// Computes attainment, budget, 1 h burn rate, time to exhaustion and alert state in one go.
pub fn evaluate_slo(
    objective: Objective,
    slo_window: Window,
    policy: &AlertPolicy,
    ratios: &WindowRatios,
) -> SloEvaluation {
    let period = ratios.get(slo_window);
    let budget = period.map(|r| budget_status(objective, r));
    let burn_rate_1h = ratios.get(Window::Hour1).map(|r| burn_rate(r, objective));
    SloEvaluation {
        slo_window,
        attainment: period.map(ErrorRatio::attainment),
        budget,
        burn_rate_1h,
        time_to_exhaustion_secs: budget
            .and_then(|b| time_to_exhaustion_secs(b.remaining, slo_window, burn_rate_1h)),
        alerts: evaluate_alerts(objective, slo_window, policy, ratios),
    }
}
