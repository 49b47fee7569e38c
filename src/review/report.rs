//! Rendering a [`ReviewSnapshot`] as the Friday report: Markdown for people, JSON (the whole
//! snapshot) and CSV (one row per figure, raw numbers) for tools.
//!
//! The same rows feed Markdown, CSV and the TUI pages ([`super::rows`]), so the formats never
//! disagree. Output is deterministic: fixed row order, sorted keys, no clock reads.

use std::fmt::Write as _;

pub use super::rows::{band_rows, change, duration, lists, rows, title, value, Row, Unit};

use super::model::ReviewSnapshot;
use super::rows::{dora_bands, dora_windows};
use super::{ReviewError, PAGES};
use crate::domain::Format;

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

/// `s` as one CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote
/// or a line break.
pub(super) fn csv_field(s: &str) -> String {
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
            for (d, span, _) in dora_windows(snap) {
                for (key, _, l) in dora_bands(d) {
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
