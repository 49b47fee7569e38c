//! The figure rows, band rows and named items of each review page, and how values, durations
//! and changes are written. Markdown, CSV and the TUI pages all read these, so they never
//! disagree.

use super::model::{Figure, Label, ReviewSnapshot};
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

fn band_row(key: &'static str, label: &str, l: &Label) -> (String, String, String) {
    let _ = key;
    (
        label.to_string(),
        l.this.clone().unwrap_or_else(|| "–".into()),
        l.last.clone().unwrap_or_else(|| "–".into()),
    )
}

/// The figure rows of one page (by index into [`PAGES`]), in display order.
#[must_use]
#[allow(clippy::too_many_lines, reason = "one flat list per page")]
pub fn rows(snap: &ReviewSnapshot, page: usize) -> Vec<Row> {
    use Unit::{Attain, Count, Decimal, Pct, Secs, Signed};
    let mut out = Vec::new();
    match PAGES.get(page).copied().unwrap_or("") {
        "incidents" => {
            let i = &snap.incidents;
            out.push(row("incidents", "", "Incidents", Count, i.total));
            for (p, f) in &i.by_severity {
                out.push(row("incidents", p, &format!("· {p}"), Count, *f));
            }
            out.push(row(
                "acknowledged",
                "",
                "Acknowledged",
                Count,
                i.acknowledged,
            ));
            out.push(row(
                "mtta_mean_secs",
                "",
                "MTTA mean",
                Secs,
                i.mtta_mean_secs,
            ));
            out.push(row(
                "mtta_median_secs",
                "",
                "MTTA median",
                Secs,
                i.mtta_median_secs,
            ));
            out.push(row("resolved", "", "Resolved", Count, i.resolved));
            out.push(row(
                "mttr_mean_secs",
                "",
                "MTTR mean",
                Secs,
                i.mttr_mean_secs,
            ));
            out.push(row(
                "mttr_median_secs",
                "",
                "MTTR median",
                Secs,
                i.mttr_median_secs,
            ));
            out.push(row(
                "sla_compliance",
                "",
                "SLA compliance",
                Pct,
                i.sla_compliance,
            ));
            for (p, f) in &i.sla_compliance_by_severity {
                out.push(row("sla_compliance", p, &format!("· {p}"), Pct, *f));
            }
            out.push(row("sla_met", "", "SLA met", Count, i.sla_met));
            out.push(row(
                "sla_breached",
                "",
                "SLA breached",
                Count,
                i.sla_breached,
            ));
            out.push(row("sla_pending", "", "SLA pending", Count, i.sla_pending));
            for (p, f) in &i.mtta_mean_secs_by_severity {
                out.push(row("mtta_mean_secs", p, &format!("MTTA {p}"), Secs, *f));
            }
            for (p, f) in &i.mttr_mean_secs_by_severity {
                out.push(row("mttr_mean_secs", p, &format!("MTTR {p}"), Secs, *f));
            }
            for a in &i.open_by_age {
                out.push(row(
                    "open_by_age",
                    &a.bucket,
                    &format!("Open, age {}", a.bucket),
                    Count,
                    a.open,
                ));
            }
        }
        "bugs" => {
            let b = &snap.bugs;
            out.push(row("opened", "", "Opened", Count, b.opened));
            for (p, f) in &b.opened_by_priority {
                out.push(row("opened", p, &format!("· {p}"), Count, *f));
            }
            out.push(row("closed", "", "Closed", Count, b.closed));
            for (p, f) in &b.closed_by_priority {
                out.push(row("closed", p, &format!("· {p}"), Count, *f));
            }
            out.push(row(
                "open_at_end",
                "",
                "Open at week end",
                Count,
                b.open_at_end,
            ));
            out.push(row("overdue", "", "Overdue (fix-by)", Count, b.overdue));
            for (p, f) in &b.overdue_by_priority {
                out.push(row("overdue", p, &format!("· {p}"), Count, *f));
            }
        }
        "deployments" => {
            for (d, name) in [
                (&snap.deployments.week, "week"),
                (&snap.deployments.rolling_28d, "28d"),
            ] {
                let span = if name == "week" { "wk" } else { name };
                let l = |s: &str| format!("{s} ({span})");
                out.push(row(
                    "deployments",
                    name,
                    &l("Deploys"),
                    Count,
                    d.deployments,
                ));
                out.push(row(
                    "deploys_per_day",
                    name,
                    &l("Per day"),
                    Decimal,
                    d.per_day,
                ));
                out.push(row(
                    "lead_time_median_secs",
                    name,
                    &l("Lead time p50"),
                    Secs,
                    d.lead_time_median_secs,
                ));
                out.push(row(
                    "change_failure_rate",
                    name,
                    &l("Change fail"),
                    Pct,
                    d.change_failure_rate,
                ));
                out.push(row(
                    "failed_deployments",
                    name,
                    &l("Failed"),
                    Count,
                    d.failed,
                ));
                out.push(row(
                    "recovery_median_secs",
                    name,
                    &l("Recovery p50"),
                    Secs,
                    d.recovery_median_secs,
                ));
                out.push(row("rework", name, &l("Rework"), Count, d.rework));
                out.push(row(
                    "rework_rate",
                    name,
                    &l("Rework rate"),
                    Pct,
                    d.rework_rate,
                ));
            }
            let d = &snap.deployments;
            out.push(row(
                "failed_attempts",
                "",
                "Failed attempts",
                Count,
                d.failed_attempts,
            ));
            out.push(row("rolled_back", "", "Rolled back", Count, d.rolled_back));
        }
        "slos" => {
            let s = &snap.slos;
            out.push(row(
                "slos_meeting_objective",
                "",
                "SLOs meeting objective",
                Count,
                s.meeting_objective,
            ));
            for l in &s.slos {
                out.push(row(
                    "attainment",
                    &l.name,
                    &format!("{} attainment", l.name),
                    Attain,
                    l.attainment,
                ));
                out.push(row(
                    "budget_remaining",
                    &l.name,
                    &format!("{} budget left", l.name),
                    Pct,
                    l.budget_remaining,
                ));
                out.push(row(
                    "burn_rate",
                    &l.name,
                    &format!("{} burn rate", l.name),
                    Decimal,
                    l.burn_rate,
                ));
                if is_partial(l) {
                    out.push(row(
                        "coverage_days",
                        &l.name,
                        &format!("{} days of data (of {})", l.name, l.window_days),
                        Count,
                        l.coverage_days,
                    ));
                    out.push(row(
                        "projected_full_window_consumed",
                        &l.name,
                        &format!("{} full-window budget used", l.name),
                        Pct,
                        l.projected_full_window_consumed,
                    ));
                }
            }
        }
        "customers" => {
            let c = &snap.customers;
            out.push(row("nps_week", "", "NPS of the week", Signed, c.nps_week));
            out.push(row(
                "responses_week",
                "",
                "NPS responses",
                Count,
                c.responses_week,
            ));
            for (key, label, f) in [
                ("promoters_pct", "· promoters", c.promoters_pct_week),
                ("passives_pct", "· passives", c.passives_pct_week),
                ("detractors_pct", "· detractors", c.detractors_pct_week),
            ] {
                out.push(row(key, "", label, Pct, f));
            }
            for l in &c.customers {
                out.push(row(
                    "health",
                    &l.name,
                    &format!("{} health", l.name),
                    Count,
                    l.health,
                ));
                out.push(row(
                    "nps",
                    &l.name,
                    &format!("{} NPS", l.name),
                    Signed,
                    l.nps,
                ));
                out.push(row(
                    "nps_n",
                    &l.name,
                    &format!("{} NPS n", l.name),
                    Count,
                    l.nps_n,
                ));
            }
        }
        "plan" => {
            let p = &snap.plan;
            out.push(row("items_done", "", "Items done", Count, p.done_in_week));
            for s in &p.sections {
                out.push(row(
                    "items_done",
                    &s.section,
                    &format!("· {}", s.section),
                    Count,
                    s.done_in_week,
                ));
            }
        }
        _ => {}
    }
    out
}

/// Band rows of the deployments page: (label, this week, last week).
#[must_use]
pub fn band_rows(snap: &ReviewSnapshot) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (d, name) in [
        (&snap.deployments.week, "week"),
        (&snap.deployments.rolling_28d, "28d"),
    ] {
        let name = if name == "week" { "wk" } else { name };
        out.push(band_row(
            "frequency",
            &format!("Freq. band ({name})"),
            &d.frequency_band,
        ));
        out.push(band_row(
            "lead_time",
            &format!("Lead band ({name})"),
            &d.lead_time_band,
        ));
        out.push(band_row(
            "cfr",
            &format!("CFR band ({name})"),
            &d.change_failure_band,
        ));
        out.push(band_row(
            "recovery",
            &format!("Recov. band ({name})"),
            &d.recovery_band,
        ));
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
