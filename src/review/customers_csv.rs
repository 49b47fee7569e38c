//! Customer CSV import and export.
//!
//! Columns: `slug,name,stage,vertical,acv_usd,owner,poc_start,signed_on,go_live,
//! usage_days_per_week,feature_adoption_pct,engagement,churn_risk` (RFC 4180 quoting; columns
//! may come in any order, all must be present). Import validates every row first and names the
//! line of the first bad one; then upserts all rows by slug in one transaction, so a bad file
//! changes nothing. Export writes the same columns, sorted by slug, and round-trips.

use chrono::NaiveDate;

use crate::domain::{ChurnRisk, Customer, Stage, LOCAL_SOURCE};
use crate::store::{write, Store, StoreError};

use super::report::csv_field;

/// The CSV columns, in export order.
pub const COLUMNS: [&str; 13] = [
    "slug",
    "name",
    "stage",
    "vertical",
    "acv_usd",
    "owner",
    "poc_start",
    "signed_on",
    "go_live",
    "usage_days_per_week",
    "feature_adoption_pct",
    "engagement",
    "churn_risk",
];

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// A line of the file is wrong.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number where the record starts.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Writing to the cache failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows upserted.
    pub rows: usize,
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Exports every customer (sorted by slug) as CSV with a header line.
///
/// # Errors
/// Cache errors.
pub fn export(store: &Store, now: chrono::DateTime<chrono::Utc>) -> Result<String, StoreError> {
    let mut customers = store.load_customers(now)?;
    customers.sort_by(|a, b| a.slug.cmp(&b.slug));
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for c in &customers {
        let cells = [
            c.slug.clone(),
            c.name.clone(),
            c.stage.as_str().to_string(),
            c.vertical.clone(),
            c.acv_usd.to_string(),
            c.owner.clone(),
            date(c.poc_start),
            date(c.signed_on),
            date(c.go_live),
            num(c.usage_days_per_week),
            num(c.feature_adoption_pct),
            num(c.engagement),
            c.churn_risk.as_str().to_string(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    Ok(out)
}

/// Splits CSV text into records: (line where the record starts, fields).
///
/// # Errors
/// [`CsvError::Line`] for an unterminated quote or text after a closing quote.
pub fn parse_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut line = 1usize;
    let mut start = 1usize;
    let mut quoted = false;
    let mut after_quote = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push('"');
                }
                '"' => {
                    quoted = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    cur.push(c);
                }
                _ => cur.push(c),
            }
            continue;
        }
        match c {
            '"' if cur.is_empty() && !after_quote => {
                quoted = true;
                any = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut cur));
                after_quote = false;
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if any || !cur.is_empty() {
                    fields.push(std::mem::take(&mut cur));
                    records.push((start, std::mem::take(&mut fields)));
                }
                after_quote = false;
                any = false;
                line += 1;
                start = line;
            }
            _ if after_quote => {
                return Err(CsvError::Line {
                    line,
                    message: "text after a closing quote; quote the whole field".into(),
                });
            }
            _ => {
                cur.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(CsvError::Line {
            line: start,
            message: "a quoted field is never closed; add the closing \"".into(),
        });
    }
    if any || !cur.is_empty() {
        fields.push(cur);
        records.push((start, fields));
    }
    Ok(records)
}

fn opt_num(line: usize, name: &str, text: &str, max: f64) -> Result<Option<f64>, CsvError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Ok(Some(v)),
        _ => Err(CsvError::Line {
            line,
            message: format!(
                "{name} '{}' must be a number from 0 to {max}, or empty",
                short(t)
            ),
        }),
    }
}

fn opt_date(line: usize, name: &str, text: &str) -> Result<Option<NaiveDate>, CsvError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| CsvError::Line {
            line,
            message: format!(
                "{name} '{}' must be a date like 2026-11-16, or empty",
                short(t)
            ),
        })
}

fn short(s: &str) -> String {
    crate::sanitize::line(&s.chars().take(40).collect::<String>())
}

fn customer_from(line: usize, get: &dyn Fn(&str) -> String) -> Result<Customer, CsvError> {
    let bad = |message: String| CsvError::Line { line, message };
    let slug = get("slug").trim().to_string();
    if slug.is_empty()
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(bad(format!(
            "slug '{}' must be lowercase letters, digits and dashes (e.g. acme-mutual)",
            short(&slug)
        )));
    }
    let name = crate::sanitize::line(get("name").trim());
    if name.is_empty() {
        return Err(bad(
            "name is empty; every customer needs a display name".into()
        ));
    }
    let stage: Stage = get("stage")
        .parse()
        .map_err(|e: crate::domain::ParseEnumError| bad(e.to_string()))?;
    let churn_risk: ChurnRisk = get("churn_risk")
        .parse()
        .map_err(|e: crate::domain::ParseEnumError| bad(e.to_string()))?;
    let acv = get("acv_usd");
    let acv_usd = if acv.trim().is_empty() {
        0
    } else {
        acv.trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| {
                bad(format!(
                    "acv_usd '{}' must be whole US dollars (e.g. 120000)",
                    short(&acv)
                ))
            })?
    };
    Ok(Customer {
        id: 0,
        slug,
        name,
        stage,
        vertical: crate::sanitize::line(get("vertical").trim()),
        acv_usd,
        owner: crate::sanitize::line(get("owner").trim()),
        poc_start: opt_date(line, "poc_start", &get("poc_start"))?,
        signed_on: opt_date(line, "signed_on", &get("signed_on"))?,
        go_live: opt_date(line, "go_live", &get("go_live"))?,
        usage_days_per_week: opt_num(
            line,
            "usage_days_per_week",
            &get("usage_days_per_week"),
            7.0,
        )?,
        feature_adoption_pct: opt_num(
            line,
            "feature_adoption_pct",
            &get("feature_adoption_pct"),
            100.0,
        )?,
        engagement: opt_num(line, "engagement", &get("engagement"), 100.0)?,
        churn_risk,
        nps: Vec::new(),
        tickets_per_week: 0.0,
        open_p0_p1_bugs: 0,
        open_incidents: 0,
        pending: false,
    })
}

/// Validates every row of `text`; the customers in file order.
///
/// # Errors
/// [`CsvError::Line`] naming the first bad line (header problems name line 1).
pub fn parse(text: &str) -> Result<Vec<Customer>, CsvError> {
    let records = parse_records(text.strip_prefix('\u{feff}').unwrap_or(text))?;
    let Some(((header_line, header), rows)) = records.split_first() else {
        return Err(CsvError::Line {
            line: 1,
            message: format!(
                "the file is empty; the first line must be the header: {}",
                COLUMNS.join(",")
            ),
        });
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut index = Vec::new();
    for col in COLUMNS {
        let i = names
            .iter()
            .position(|n| n == col)
            .ok_or_else(|| CsvError::Line {
                line: *header_line,
                message: format!(
                    "the header has no '{col}' column; expected: {}",
                    COLUMNS.join(",")
                ),
            })?;
        index.push((col, i));
    }
    let mut seen = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for (line, cells) in rows {
        if cells.len() != names.len() {
            return Err(CsvError::Line {
                line: *line,
                message: format!("{} fields, but the header has {}", cells.len(), names.len()),
            });
        }
        let get = |col: &str| -> String {
            index
                .iter()
                .find(|(c, _)| *c == col)
                .and_then(|(_, i)| cells.get(*i))
                .cloned()
                .unwrap_or_default()
        };
        let c = customer_from(*line, &get)?;
        if let Some(first) = seen.insert(c.slug.clone(), *line) {
            return Err(CsvError::Line {
                line: *line,
                message: format!("slug '{}' already appears on line {first}", c.slug),
            });
        }
        out.push(c);
    }
    Ok(out)
}

/// Imports customers from CSV text, upserting by slug; nothing is written if any row is bad.
///
/// # Errors
/// [`CsvError::Line`] naming the bad line, or cache errors.
pub fn import(store: &mut Store, text: &str) -> Result<ImportReport, CsvError> {
    let customers = parse(text)?;
    store.write(|tx| {
        for c in &customers {
            write::upsert_customer(tx, c, LOCAL_SOURCE)?;
        }
        Ok(())
    })?;
    Ok(ImportReport {
        rows: customers.len(),
    })
}
