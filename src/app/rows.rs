//! How each row type takes part in lists: id, filter haystack, sort keys, links.
//!
//! The `/` filter is fuzzy (nucleo-matcher, the matcher helix uses) over the columns the tab
//! shows. Sorting is stable over the store's default order, so `s` cycles through columns and
//! back to the default.

use std::fmt::Write as _;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::domain::{
    Alert, Bug, ChecklistItem, Customer, Deployment, EntityKind, EntityRef, Incident, Slo,
};

/// A sortable value.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    /// Text (case-insensitive).
    Text(String),
    /// A number.
    Num(f64),
}

/// What lists need from a row type.
pub trait RowView {
    /// Names of the sort columns after the default order (index 1..).
    const SORTS: &'static [&'static str];
    /// What kind of entity a row is.
    const KIND: EntityKind;
    /// The row's id in the cache.
    fn row_id(&self) -> i64;
    /// The id the list shows and `y` copies (a bug's key, a deployment's sha).
    fn shown_id(&self) -> &str;
    /// The row's entity.
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: Self::KIND,
            id: self.row_id(),
        }
    }
    /// Writes the text the filter matches against (the visible columns) into `out`, which the
    /// caller clears and reuses, so filtering 50k rows allocates once, not 50k times.
    fn haystack_into(&self, out: &mut String);
    /// Sort key for sort column `col` (1-based; 0 is the default order).
    fn sort_key(&self, col: usize) -> SortKey;
    /// Link for `o` / `Y`.
    fn url(&self) -> Option<&str> {
        None
    }
    /// Id for `y`.
    fn copy_id(&self) -> String {
        self.shown_id().to_owned()
    }
    /// Whether the row is in the list's working part (an open bug, an unresolved incident, a
    /// customer not churned). A row that stops being active sinks to the closed part of the
    /// list; the cursor then stays where it was instead of following it.
    fn is_active(&self) -> bool {
        true
    }
    /// Display width of the id the list shows (its id column never cuts it).
    fn id_width(&self) -> usize {
        unicode_width::UnicodeWidthStr::width(self.shown_id())
    }
}

fn t(s: &str) -> SortKey {
    SortKey::Text(s.to_lowercase())
}

#[allow(clippy::cast_precision_loss, reason = "sort keys only")]
fn n(v: i64) -> SortKey {
    SortKey::Num(v as f64)
}

impl RowView for Bug {
    const SORTS: &'static [&'static str] = &["priority", "age", "assignee", "key"];
    const KIND: EntityKind = EntityKind::Bug;
    fn is_active(&self) -> bool {
        self.is_open()
    }
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        &self.key
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            self.key,
            self.title,
            self.priority,
            self.status,
            self.assignee.as_deref().unwrap_or(""),
            self.labels.join(" ")
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => n(i64::from(self.priority.rank())),
            2 => n(self.created_at.timestamp()),
            3 => t(self.assignee.as_deref().unwrap_or("~")),
            _ => t(&self.key),
        }
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

impl RowView for Incident {
    const SORTS: &'static [&'static str] = &["severity", "created", "service"];
    const KIND: EntityKind = EntityKind::Incident;
    fn is_active(&self) -> bool {
        self.status != crate::domain::IncidentStatus::Resolved
    }
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        &self.external_id
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            self.external_id,
            self.title,
            self.severity,
            self.status,
            self.service,
            self.assignee.as_deref().unwrap_or("")
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => n(i64::from(self.severity.rank())),
            2 => n(-self.created_at.timestamp()),
            _ => t(&self.service),
        }
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

impl RowView for Alert {
    const SORTS: &'static [&'static str] = &["name", "service", "started"];
    const KIND: EntityKind = EntityKind::Alert;
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        &self.fingerprint
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {}",
            self.name, self.severity, self.service, self.state
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => t(&self.name),
            2 => t(&self.service),
            _ => n(-self.starts_at.timestamp()),
        }
    }
}

impl RowView for Deployment {
    const SORTS: &'static [&'static str] = &["service", "status", "duration"];
    const KIND: EntityKind = EntityKind::Deployment;
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        &self.sha
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {} {}",
            self.service,
            self.environment,
            self.git_ref,
            self.sha.get(..7).unwrap_or(&self.sha),
            self.status,
            self.creator
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => t(&self.service),
            2 => t(self.status.as_str()),
            _ => n(-self.duration_secs().unwrap_or(0)),
        }
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

impl RowView for Customer {
    const SORTS: &'static [&'static str] = &["stage", "acv", "churn risk"];
    const KIND: EntityKind = EntityKind::Customer;
    fn is_active(&self) -> bool {
        self.stage != crate::domain::Stage::Churned
    }
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        &self.slug
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {} {}",
            self.name, self.stage, self.vertical, self.owner, self.churn_risk
        );
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => n(crate::domain::Stage::ALL
                .iter()
                .position(|s| *s == self.stage)
                .map_or(0, |p| i64::try_from(p).unwrap_or(0))),
            2 => n(-self.acv_usd),
            _ => n(-(crate::domain::ChurnRisk::ALL
                .iter()
                .position(|s| *s == self.churn_risk)
                .map_or(0, |p| i64::try_from(p).unwrap_or(0)))),
        }
    }
}

impl RowView for Slo {
    const SORTS: &'static [&'static str] = &["service", "objective"];
    const KIND: EntityKind = EntityKind::Slo;
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        &self.name
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(out, "{} {} {}", self.name, self.service, self.objective);
    }
    fn sort_key(&self, col: usize) -> SortKey {
        match col {
            1 => t(&self.service),
            _ => t(&self.objective),
        }
    }
}

impl RowView for ChecklistItem {
    const SORTS: &'static [&'static str] = &[];
    const KIND: EntityKind = EntityKind::ChecklistItem;
    fn row_id(&self) -> i64 {
        self.id
    }
    fn shown_id(&self) -> &str {
        self.code.as_deref().unwrap_or(&self.text)
    }
    fn haystack_into(&self, out: &mut String) {
        let _ = write!(
            out,
            "{} {} {} {}",
            self.section,
            self.group,
            self.text,
            self.owner.as_deref().unwrap_or("")
        );
    }
    fn sort_key(&self, _col: usize) -> SortKey {
        n(self.ordinal)
    }
}

/// Fuzzy-ranks `candidates` against `query` (palette), best first.
#[must_use]
pub fn fuzzy_rank<'a>(
    query: &str,
    candidates: impl Iterator<Item = (usize, &'a str)>,
) -> Vec<usize> {
    if query.trim().is_empty() {
        return candidates.map(|(i, _)| i).collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::new(
        query,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Fuzzy,
    );
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = candidates
        .filter_map(|(i, s)| {
            pattern
                .score(Utf32Str::new(s, &mut buf), &mut matcher)
                .map(|sc| (sc, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}
