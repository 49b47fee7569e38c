//! The figure rows, band rows and named items of each review page, and how values, durations
//! and changes are written. Markdown, CSV and the TUI pages all read these, so they never
//! disagree.

use std::collections::BTreeMap;

use super::model::{DoraFigures, Figure, Label, ReviewSnapshot};
use super::PAGES;

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number.
    Count,
    /// A duration in seconds.
    Secs,
    /// A 0–1 fraction shown as a percentage.
    Pct,
    /// A 0–1 fraction shown with three decimals of a percent (SLO attainment).
    Attain,
    /// A plain decimal (burn rate, deployments/day).
    Decimal,
    /// A signed score (NPS).
    Signed,
}

/// One figure row of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Machine key (`mtta_mean_secs`).
    pub key: &'static str,
    /// Item the row is about (`P0`, an SLO name), empty for page totals.
    pub item: String,
    /// Human label.
    pub label: String,
    /// How to show it.
    pub unit: Unit,
    /// This week and last week.
    pub figure: Figure,
}

/// Whole seconds as `45s`, `13m`, `1h 26m`, `2d 3h`.
#[must_use]
#[allow(clippy::cast_possible_truncation, reason = "rounded seconds")]
pub fn duration(secs: f64) -> String {
    let s = secs.abs().round() as i64;
    let sign = if secs < 0.0 && s > 0 { "−" } else { "" };
    let body = if s < 60 {
        format!("{s}s")
    } else if s < 3_600 {
        let (m, r) = (s / 60, s % 60);
        if r == 0 {
            format!("{m}m")
        } else {
            format!("{m}m {r}s")
        }
    } else if s < 86_400 {
        let (h, m) = (s / 3_600, s % 3_600 / 60);
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h {m}m")
        }
    } else {
        let (d, h) = (s / 86_400, s % 86_400 / 3_600);
        if h == 0 {
            format!("{d}d")
        } else {
            format!("{d}d {h}h")
        }
    };
    format!("{sign}{body}")
}

/// A value in its unit; `–` for no data.
#[must_use]
pub fn value(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else { return "–".into() };
    match unit {
        Unit::Count => format!("{v:.0}"),
        Unit::Secs => duration(v),
        Unit::Pct => format!("{:.1}%", v * 100.0),
        Unit::Attain => format!("{:.3}%", v * 100.0),
        Unit::Decimal => format!("{v:.2}"),
        Unit::Signed => match v.round() {
            r if r > 0.0 => format!("+{r:.0}"),
            r if r < 0.0 => format!("−{:.0}", -r),
            _ => "0".into(),
        },
    }
}

/// The change from last week with its arrow (`↑ +2`, `↓ −5.0 pp`, `→ 0`); `–` when unknown.
#[must_use]
pub fn change(f: &Figure, unit: Unit) -> String {
    let Some(d) = f.delta() else {
        return "–".into();
    };
    let sign = if d > 1e-9 {
        "+"
    } else if d < -1e-9 {
        "−"
    } else {
        ""
    };
    let a = d.abs();
    let body = match unit {
        Unit::Count | Unit::Signed => format!("{a:.0}"),
        Unit::Secs => duration(a),
        Unit::Pct => format!("{:.1} pp", a * 100.0),
        Unit::Attain => format!("{:.3} pp", a * 100.0),
        Unit::Decimal => format!("{a:.2}"),
    };
    format!("{} {sign}{body}", f.arrow())
}

fn row(key: &'static str, item: &str, label: &str, unit: Unit, figure: Figure) -> Row {
    Row {
        key,
        item: item.to_string(),
        label: label.to_string(),
        unit,
        figure,
    }
}

fn band_row(label: &str, l: &Label) -> (String, String, String) {
    (
        label.to_string(),
        l.this.clone().unwrap_or_else(|| "–".into()),
        l.last.clone().unwrap_or_else(|| "–".into()),
    )
}

/// One figure row to show: `(key, label text, unit, figure)`.
type Spec = (&'static str, &'static str, Unit, Figure);

/// Pushes a row per spec for `item`, its label made from the spec's text by `label`.
fn push_rows(out: &mut Vec<Row>, item: &str, label: impl Fn(&str) -> String, specs: &[Spec]) {
    for &(key, text, unit, figure) in specs {
        out.push(row(key, item, &label(text), unit, figure));
    }
}

/// Pushes a row per spec for a named item (an SLO, a customer), labelled `<name> <text>`.
fn push_named(out: &mut Vec<Row>, name: &str, specs: &[Spec]) {
    push_rows(out, name, |text| format!("{name} {text}"), specs);
}

/// Pushes a page-total row (no item, label as written) per spec.
fn push_totals(out: &mut Vec<Row>, specs: &[Spec]) {
    push_rows(out, "", plain, specs);
}

/// Pushes a row per entry of a breakdown by priority or severity, labelled by `label`.
fn push_breakdown(
    out: &mut Vec<Row>,
    key: &'static str,
    unit: Unit,
    by: &BTreeMap<String, Figure>,
    label: impl Fn(&str) -> String,
) {
    for (p, f) in by {
        out.push(row(key, p, &label(p), unit, *f));
    }
}

/// The label text as it is.
fn plain(s: &str) -> String {
    s.to_string()
}

/// `· P1`: a breakdown line under its total.
fn dotted(s: &str) -> String {
    format!("· {s}")
}

/// The figure rows of one page (by index into [`PAGES`]), in display order.
#[must_use]
pub fn rows(snap: &ReviewSnapshot, page: usize) -> Vec<Row> {
    use Unit::{Attain, Count, Decimal, Pct, Secs, Signed};
    let mut out = Vec::new();
    match PAGES.get(page).copied().unwrap_or("") {
        "incidents" => {
            let i = &snap.incidents;
            out.push(row("incidents", "", "Incidents", Count, i.total));
            push_breakdown(&mut out, "incidents", Count, &i.by_severity, dotted);
            push_totals(
                &mut out,
                &[
                    ("acknowledged", "Acknowledged", Count, i.acknowledged),
                    ("mtta_mean_secs", "MTTA mean", Secs, i.mtta_mean_secs),
                    ("mtta_median_secs", "MTTA median", Secs, i.mtta_median_secs),
                    ("resolved", "Resolved", Count, i.resolved),
                    ("mttr_mean_secs", "MTTR mean", Secs, i.mttr_mean_secs),
                    ("mttr_median_secs", "MTTR median", Secs, i.mttr_median_secs),
                    ("sla_compliance", "SLA compliance", Pct, i.sla_compliance),
                ],
            );
            let by = &i.sla_compliance_by_severity;
            push_breakdown(&mut out, "sla_compliance", Pct, by, dotted);
            push_totals(
                &mut out,
                &[
                    ("sla_met", "SLA met", Count, i.sla_met),
                    ("sla_breached", "SLA breached", Count, i.sla_breached),
                    ("sla_pending", "SLA pending", Count, i.sla_pending),
                ],
            );
            let by = &i.mtta_mean_secs_by_severity;
            push_breakdown(&mut out, "mtta_mean_secs", Secs, by, |p| {
                format!("MTTA {p}")
            });
            let by = &i.mttr_mean_secs_by_severity;
            push_breakdown(&mut out, "mttr_mean_secs", Secs, by, |p| {
                format!("MTTR {p}")
            });
            for a in &i.open_by_age {
                let label = format!("Open, age {}", a.bucket);
                out.push(row("open_by_age", &a.bucket, &label, Count, a.open));
            }
        }
        "bugs" => {
            let b = &snap.bugs;
            out.push(row("opened", "", "Opened", Count, b.opened));
            push_breakdown(&mut out, "opened", Count, &b.opened_by_priority, dotted);
            out.push(row("closed", "", "Closed", Count, b.closed));
            push_breakdown(&mut out, "closed", Count, &b.closed_by_priority, dotted);
            push_totals(
                &mut out,
                &[
                    ("open_at_end", "Open at week end", Count, b.open_at_end),
                    ("overdue", "Overdue (fix-by)", Count, b.overdue),
                ],
            );
            push_breakdown(&mut out, "overdue", Count, &b.overdue_by_priority, dotted);
        }
        "deployments" => {
            for (d, name, span) in dora_windows(snap) {
                push_rows(
                    &mut out,
                    name,
                    |s| format!("{s} ({span})"),
                    &[
                        ("deployments", "Deploys", Count, d.deployments),
                        ("deploys_per_day", "Per day", Decimal, d.per_day),
                        (
                            "lead_time_median_secs",
                            "Lead time p50",
                            Secs,
                            d.lead_time_median_secs,
                        ),
                        (
                            "change_failure_rate",
                            "Change fail",
                            Pct,
                            d.change_failure_rate,
                        ),
                        ("failed_deployments", "Failed", Count, d.failed),
                        (
                            "recovery_median_secs",
                            "Recovery p50",
                            Secs,
                            d.recovery_median_secs,
                        ),
                        ("rework", "Rework", Count, d.rework),
                        ("rework_rate", "Rework rate", Pct, d.rework_rate),
                    ],
                );
            }
            let d = &snap.deployments;
            push_totals(
                &mut out,
                &[
                    (
                        "failed_attempts",
                        "Failed attempts",
                        Count,
                        d.failed_attempts,
                    ),
                    ("rolled_back", "Rolled back", Count, d.rolled_back),
                ],
            );
        }
        "slos" => {
            let s = &snap.slos;
            let meeting = s.meeting_objective;
            let label = "SLOs meeting objective";
            out.push(row("slos_meeting_objective", "", label, Count, meeting));
            for l in &s.slos {
                push_named(
                    &mut out,
                    &l.name,
                    &[
                        ("attainment", "attainment", Attain, l.attainment),
                        ("budget_remaining", "budget left", Pct, l.budget_remaining),
                        ("burn_rate", "burn rate", Decimal, l.burn_rate),
                    ],
                );
                if is_partial(l) {
                    let coverage = format!("{} days of data (of {})", l.name, l.window_days);
                    out.push(row(
                        "coverage_days",
                        &l.name,
                        &coverage,
                        Count,
                        l.coverage_days,
                    ));
                    let projected = l.projected_full_window_consumed;
                    let used = format!("{} full-window budget used", l.name);
                    out.push(row(
                        "projected_full_window_consumed",
                        &l.name,
                        &used,
                        Pct,
                        projected,
                    ));
                }
            }
        }
        "customers" => {
            let c = &snap.customers;
            push_totals(
                &mut out,
                &[
                    ("nps_week", "NPS of the week", Signed, c.nps_week),
                    ("responses_week", "NPS responses", Count, c.responses_week),
                    ("promoters_pct", "· promoters", Pct, c.promoters_pct_week),
                    ("passives_pct", "· passives", Pct, c.passives_pct_week),
                    ("detractors_pct", "· detractors", Pct, c.detractors_pct_week),
                ],
            );
            for l in &c.customers {
                push_named(
                    &mut out,
                    &l.name,
                    &[
                        ("health", "health", Count, l.health),
                        ("nps", "NPS", Signed, l.nps),
                        ("nps_n", "NPS n", Count, l.nps_n),
                    ],
                );
            }
        }
        "plan" => {
            let p = &snap.plan;
            out.push(row("items_done", "", "Items done", Count, p.done_in_week));
            for s in &p.sections {
                let label = format!("· {}", s.section);
                out.push(row("items_done", &s.section, &label, Count, s.done_in_week));
            }
        }
        _ => {}
    }
    out
}

/// The deployments page's two DORA windows: (figures, item `week`/`28d`, short span `wk`/`28d`).
pub(super) fn dora_windows(
    snap: &ReviewSnapshot,
) -> [(&DoraFigures, &'static str, &'static str); 2] {
    [
        (&snap.deployments.week, "week", "wk"),
        (&snap.deployments.rolling_28d, "28d", "28d"),
    ]
}

/// The bands of one DORA window in display order: (CSV key, short label, band).
pub(super) fn dora_bands(d: &DoraFigures) -> [(&'static str, &'static str, &Label); 4] {
    [
        ("frequency_band", "Freq. band", &d.frequency_band),
        ("lead_time_band", "Lead band", &d.lead_time_band),
        ("change_failure_band", "CFR band", &d.change_failure_band),
        ("recovery_band", "Recov. band", &d.recovery_band),
    ]
}

/// Band rows of the deployments page: (label, this week, last week).
#[must_use]
pub fn band_rows(snap: &ReviewSnapshot) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (d, _, span) in dora_windows(snap) {
        for (_, label, band) in dora_bands(d) {
            out.push(band_row(&format!("{label} ({span})"), band));
        }
    }
    out
}

/// Bulleted lines naming things on a page (longest incidents, overdue bugs, at-risk customers,
/// blocked gates …), as (csv key, csv item, human line).
#[must_use]
pub fn lists(snap: &ReviewSnapshot, page: usize) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    match PAGES.get(page).copied().unwrap_or("") {
        "incidents" => {
            for i in &snap.incidents.longest {
                let who = i
                    .assignee
                    .as_deref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default();
                let open = if i.open { " (still open)" } else { "" };
                out.push((
                    "longest_incident",
                    i.key.clone(),
                    format!(
                        "{} {} {} — {}{who}: {}{open}",
                        i.key,
                        i.severity,
                        i.service,
                        i.title,
                        duration(f64_of(i.duration_secs))
                    ),
                ));
            }
        }
        "bugs" => {
            for b in &snap.bugs.most_overdue {
                let over = b
                    .overdue_secs
                    .map(|s| duration(f64_of(s)))
                    .unwrap_or_default();
                out.push((
                    "overdue_bug",
                    b.key.clone(),
                    format!(
                        "overdue {} {} — {} ({over} past fix-by)",
                        b.key, b.priority, b.title
                    ),
                ));
            }
            for b in &snap.bugs.oldest_open_p0_p1 {
                let who = b.assignee.as_deref().unwrap_or("unassigned");
                out.push((
                    "oldest_open_p0_p1",
                    b.key.clone(),
                    format!(
                        "oldest {} {} — {} ({}d, {who})",
                        b.key, b.priority, b.title, b.age_days
                    ),
                ));
            }
        }
        "deployments" => {
            for f in &snap.deployments.failures {
                let rec = f.recovery_secs.map_or_else(
                    || "not recovered".to_string(),
                    |s| format!("recovered in {}", duration(f64_of(s))),
                );
                out.push((
                    "failed_deployment",
                    format!("{} {}", f.service, f.git_ref),
                    format!(
                        "{} {} by {} → {} ({rec})",
                        f.service,
                        f.git_ref,
                        f.creator,
                        f.incidents.join(", ")
                    ),
                ));
            }
        }
        "slos" => {
            for l in snap.slos.slos.iter().filter(|l| is_partial(l)) {
                if let Some(days) = l.coverage_days.this {
                    out.push((
                        "partial_window",
                        l.name.clone(),
                        format!(
                            "{}: data for {days:.0} of {} days — budget against observed events",
                            l.name, l.window_days
                        ),
                    ));
                }
            }
            if let Some(n) = &snap.slos.burned_most {
                out.push(("burned_most", n.clone(), format!("burned most: {n}")));
            }
        }
        "customers" => {
            for name in &snap.customers.at_risk {
                out.push(("at_risk", name.clone(), format!("at risk: {name}")));
            }
        }
        "plan" => {
            for g in &snap.plan.blocked_gates {
                out.push((
                    "blocked_gate",
                    g.section.clone(),
                    format!(
                        "blocked gate: {} — {}/{} open; next: {}",
                        g.section,
                        g.open,
                        g.total,
                        g.open_items.join("; ")
                    ),
                ));
            }
        }
        _ => {}
    }
    out
}

/// The SLO window ending with this week is not fully covered by data.
fn is_partial(l: &super::model::SloLine) -> bool {
    l.coverage_days
        .this
        .is_some_and(|d| d < f64::from(l.window_days))
}

#[allow(clippy::cast_precision_loss, reason = "durations fit an f64")]
fn f64_of(v: i64) -> f64 {
    v as f64
}

/// Page titles, as the Markdown headings and the TUI show them.
#[must_use]
pub fn title(page: usize) -> &'static str {
    match PAGES.get(page).copied().unwrap_or("") {
        "incidents" => "Incidents",
        "bugs" => "Bugs",
        "deployments" => "Deployments",
        "slos" => "SLOs",
        "customers" => "Customers",
        "plan" => "Checklist",
        _ => "Review",
    }
}
