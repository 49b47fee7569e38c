//! Rendering a [`ReviewSnapshot`] as the Friday report: Markdown for people, JSON (the whole
//! snapshot) and CSV (one row per figure, raw numbers) for tools.
//!
//! The same rows feed Markdown, CSV and the TUI pages ([`rows`]), so the formats never
//! disagree. Output is deterministic: fixed row order, sorted keys, no clock reads.

use std::fmt::Write as _;

use super::model::{Figure, Label, ReviewSnapshot};
use super::{ReviewError, PAGES};
use crate::cli::Format;

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
                let l = |s: &str| format!("{s} ({name})");
                out.push(row(
                    "deployments",
                    name,
                    &l("Deployments"),
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
                    &l("Change failure"),
                    Pct,
                    d.change_failure_rate,
                ));
                out.push(row(
                    "failed_deployments",
                    name,
                    &l("Failed deploys"),
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
        out.push(band_row(
            "frequency",
            &format!("Frequency band ({name})"),
            &d.frequency_band,
        ));
        out.push(band_row(
            "lead_time",
            &format!("Lead-time band ({name})"),
            &d.lead_time_band,
        ));
        out.push(band_row(
            "cfr",
            &format!("Change-failure band ({name})"),
            &d.change_failure_band,
        ));
        out.push(band_row(
            "recovery",
            &format!("Recovery band ({name})"),
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
        "plan" => "Plan",
        _ => "Review",
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(snap: &ReviewSnapshot) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Friday review {}\n", snap.week);
    let _ = writeln!(
        o,
        "Week {} (Mon {} – Sun {}, {}) compared with {}.",
        snap.week, snap.first_day, snap.last_day, snap.time_zone, snap.previous_week
    );
    let _ = writeln!(
        o,
        "Snapshot taken {}{}.{}",
        snap.taken_at.format("%Y-%m-%d %H:%M UTC"),
        if snap.in_progress {
            ", while the week was still running"
        } else {
            ""
        },
        if snap.redacted {
            " Customer and people names are redacted."
        } else {
            ""
        }
    );
    for (page, name) in PAGES.iter().enumerate() {
        let _ = writeln!(o, "\n## {}\n", title(page));
        let _ = writeln!(o, "| | {} | {} | change |", snap.week, snap.previous_week);
        let _ = writeln!(o, "|---|--:|--:|---|");
        for r in rows(snap, page) {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md_cell(&r.label),
                value(r.figure.this, r.unit),
                value(r.figure.last, r.unit),
                change(&r.figure, r.unit)
            );
        }
        if *name == "deployments" {
            for (label, this, last) in band_rows(snap) {
                let moved = if this == last { "→" } else { "changed" };
                let _ = writeln!(o, "| {label} | {this} | {last} | {moved} |");
            }
            let days = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
            let _ = writeln!(
                o,
                "\nDeployments per day, Mon–Sun: {} (last week {}).",
                days(&snap.deployments.per_day),
                days(&snap.deployments.per_day_last)
            );
        }
        if *name == "customers" {
            let _ = writeln!(
                o,
                "\n| customer | stage | churn risk | health | band | NPS (n) | missing measures |"
            );
            let _ = writeln!(o, "|---|---|---|--:|---|--:|---|");
            for c in &snap.customers.customers {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} (n={}) | {} |",
                    md_cell(&c.name),
                    c.stage,
                    c.churn_risk,
                    value(c.health.this, Unit::Count),
                    c.band.this.as_deref().unwrap_or("–"),
                    value(c.nps.this, Unit::Signed),
                    value(c.nps_n.this.or(Some(0.0)), Unit::Count),
                    if c.missing_measures.is_empty() {
                        "–".to_string()
                    } else {
                        c.missing_measures.join(", ")
                    }
                );
            }
        }
        if *name == "plan" {
            let _ = writeln!(o, "\n| section | done | progress |");
            let _ = writeln!(o, "|---|--:|--:|");
            for s in &snap.plan.sections {
                let pct = if s.total == 0 {
                    0.0
                } else {
                    f64::from(s.done) / f64::from(s.total) * 100.0
                };
                let gate = if s.gate { " (gate)" } else { "" };
                let _ = writeln!(
                    o,
                    "| {}{gate} | {}/{} | {pct:.0}% |",
                    md_cell(&s.section),
                    s.done,
                    s.total
                );
            }
        }
        let items = lists(snap, page);
        if !items.is_empty() {
            o.push('\n');
            for (_, _, line) in items {
                let _ = writeln!(o, "- {line}");
            }
        }
        if let Some(note) = snap.notes.get(*name) {
            let _ = writeln!(o, "\n> **Note:** {}", note.replace('\n', "\n> "));
        }
    }
    for (area, note) in snap
        .notes
        .iter()
        .filter(|(a, _)| !PAGES.contains(&a.as_str()))
    {
        let _ = writeln!(o, "\n## Note: {area}\n\n> {}", note.replace('\n', "\n> "));
    }
    o
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn raw(v: Option<f64>) -> String {
    v.map(|v| {
        let r = (v * 1e6).round() / 1e6;
        if r == r.trunc() {
            format!("{r:.0}")
        } else {
            format!("{r}")
        }
    })
    .unwrap_or_default()
}

/// One CSV row: figures in the number columns, or a human line in `detail`.
struct CsvRow<'a> {
    page: &'a str,
    metric: &'a str,
    item: &'a str,
    this: String,
    last: String,
    delta: String,
    detail: &'a str,
}

fn csv_row(o: &mut String, week: &str, r: &CsvRow<'_>) {
    let _ = writeln!(
        o,
        "{week},{},{},{},{},{},{},{}",
        r.page,
        r.metric,
        csv_field(r.item),
        r.this,
        r.last,
        r.delta,
        csv_field(r.detail)
    );
}

fn csv(snap: &ReviewSnapshot) -> String {
    let mut o = String::from("week,page,metric,item,this_week,last_week,delta,detail\n");
    let w = snap.week.as_str();
    let text = |o: &mut String, page: &str, metric: &str, item: &str, detail: &str| {
        let row = CsvRow {
            page,
            metric,
            item,
            this: String::new(),
            last: String::new(),
            delta: String::new(),
            detail,
        };
        csv_row(o, w, &row);
    };
    for (page, name) in PAGES.iter().enumerate() {
        for r in rows(snap, page) {
            let row = CsvRow {
                page: name,
                metric: r.key,
                item: &r.item,
                this: raw(r.figure.this),
                last: raw(r.figure.last),
                delta: raw(r.figure.delta()),
                detail: "",
            };
            csv_row(&mut o, w, &row);
        }
        if *name == "deployments" {
            for (d, span) in [
                (&snap.deployments.week, "week"),
                (&snap.deployments.rolling_28d, "28d"),
            ] {
                for (key, l) in [
                    ("frequency_band", &d.frequency_band),
                    ("lead_time_band", &d.lead_time_band),
                    ("change_failure_band", &d.change_failure_band),
                    ("recovery_band", &d.recovery_band),
                ] {
                    let row = CsvRow {
                        page: name,
                        metric: key,
                        item: span,
                        this: l.this.clone().unwrap_or_default(),
                        last: l.last.clone().unwrap_or_default(),
                        delta: String::new(),
                        detail: "",
                    };
                    csv_row(&mut o, w, &row);
                }
            }
            let days = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
            let row = CsvRow {
                page: name,
                metric: "deploys_per_weekday",
                item: "mon-sun",
                this: days(&snap.deployments.per_day),
                last: days(&snap.deployments.per_day_last),
                delta: String::new(),
                detail: "",
            };
            csv_row(&mut o, w, &row);
        }
        for (key, item, line) in lists(snap, page) {
            text(&mut o, name, key, &item, &line);
        }
        if let Some(note) = snap.notes.get(*name) {
            text(&mut o, name, "note", "", note);
        }
    }
    for (area, note) in snap
        .notes
        .iter()
        .filter(|(a, _)| !PAGES.contains(&a.as_str()))
    {
        text(&mut o, area, "note", "", note);
    }
    o
}

/// Renders the report in `format`.
///
/// # Errors
/// [`ReviewError::Json`] if the snapshot cannot be encoded (not expected).
pub fn render(snap: &ReviewSnapshot, format: Format) -> Result<String, ReviewError> {
    Ok(match format {
        Format::Md => markdown(snap),
        Format::Csv => csv(snap),
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(snap).map_err(|e| ReviewError::Json(e.to_string()))?;
            s.push('\n');
            s
        }
    })
}
