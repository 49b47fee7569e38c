//! How each row type takes part in lists: ids, filter haystack, sort columns, links.
//!
//! The `/` filter matches every word of the query as a substring of the columns the tab shows
//! (see [`super::filter::Words`]); the palette ranks fuzzily ([`fuzzy_rank`], nucleo-matcher,
//! the matcher helix uses). Sorting is stable over the store's default order, so `s` cycles
//! through the sort columns and back to the default.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::domain::{
    Alert, Bug, ChecklistItem, ChurnRisk, Customer, Deployment, EntityKind, EntityRef, Incident,
    Slo, Stage,
};

/// A sortable value.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    /// Text (case-insensitive).
    Text(String),
    /// A number.
    Num(f64),
}

/// A sort column: its name (the `sorted by …` title) and the row's key for it.
pub type Sort<R> = (&'static str, fn(&R) -> SortKey);

/// What lists need from a row type. Each row type states only what differs between them: its
/// ids, the columns the filter reads, its sort columns and, where it has them, a link and a
/// working part of the list; the rest is derived here.
pub trait RowView: Sized + 'static {
    /// What kind of entity a row is.
    const KIND: EntityKind;
    /// The sort columns after the default order (`s` cycles 1..=len, then back to 0).
    const SORTS: &'static [Sort<Self>];
    /// The row's id in the cache, and the id the list shows and `y` copies (a bug's key, a
    /// deployment's sha).
    fn ids(&self) -> (i64, &str);
    /// The text of the columns the tab shows, in column order: what the `/` filter matches.
    /// An array or a chain of borrowed fields, so that reading it allocates nothing.
    fn haystack(&self) -> impl IntoIterator<Item = &str>;
    /// Link for `o` / `Y`.
    fn url(&self) -> Option<&str> {
        None
    }
    /// Whether the row is in the list's working part (an open bug, an unresolved incident, a
    /// customer not churned). A row that stops being active sinks to the closed part of the
    /// list; the cursor then stays where it was instead of following it.
    fn is_active(&self) -> bool {
        true
    }
    /// The row's id in the cache.
    fn row_id(&self) -> i64 {
        self.ids().0
    }
    /// The id the list shows and `y` copies.
    fn shown_id(&self) -> &str {
        self.ids().1
    }
    /// The row's entity.
    fn entity(&self) -> EntityRef {
        EntityRef {
            kind: Self::KIND,
            id: self.row_id(),
        }
    }
    /// Writes the [`RowView::haystack`] fields, separated by spaces, into `out`, which the
    /// caller clears and reuses, so filtering 50k rows allocates once, not 50k times.
    fn haystack_into(&self, out: &mut String) {
        for (i, field) in self.haystack().into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(field);
        }
    }
    /// Sort key for sort column `col` (1-based); every row has the same key for 0, the
    /// default order, so a stable sort keeps it.
    fn sort_key(&self, col: usize) -> SortKey {
        Self::SORTS
            .get(col.wrapping_sub(1))
            .map_or(SortKey::Num(0.0), |(_, key)| key(self))
    }
    /// Name of sort column `col` (1-based); `None` for the default order.
    #[must_use]
    fn sort_name(col: usize) -> Option<&'static str> {
        Self::SORTS.get(col.wrapping_sub(1)).map(|(name, _)| *name)
    }
    /// Id for `y`.
    fn copy_id(&self) -> String {
        self.shown_id().to_owned()
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

/// Position of `v` in `all` (a persisted enum's display order).
fn rank<T: PartialEq>(all: &[T], v: &T) -> i64 {
    all.iter()
        .position(|s| s == v)
        .map_or(0, |p| i64::try_from(p).unwrap_or(0))
}

impl RowView for Bug {
    const KIND: EntityKind = EntityKind::Bug;
    const SORTS: &'static [Sort<Self>] = &[
        ("priority", |b| n(i64::from(b.priority.rank()))),
        ("age", |b| n(b.created_at.timestamp())),
        ("assignee", |b| t(b.assignee.as_deref().unwrap_or("~"))),
        ("key", |b| t(&b.key)),
    ];
    fn ids(&self) -> (i64, &str) {
        (self.id, &self.key)
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        let (priority, status) = (self.priority.as_str(), self.status.as_str());
        let assignee = self.assignee.as_deref().unwrap_or("");
        [&*self.key, &self.title, priority, status, assignee]
            .into_iter()
            .chain(self.labels.iter().map(String::as_str))
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    fn is_active(&self) -> bool {
        self.is_open()
    }
}

impl RowView for Incident {
    const KIND: EntityKind = EntityKind::Incident;
    const SORTS: &'static [Sort<Self>] = &[
        ("severity", |i| n(i64::from(i.severity.rank()))),
        ("created", |i| n(-i.created_at.timestamp())),
        ("service", |i| t(&i.service)),
    ];
    fn ids(&self) -> (i64, &str) {
        (self.id, &self.external_id)
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        let (severity, status) = (self.severity.as_str(), self.status.as_str());
        let assignee = self.assignee.as_deref().unwrap_or("");
        [
            &*self.external_id,
            &self.title,
            severity,
            status,
            &self.service,
            assignee,
        ]
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    fn is_active(&self) -> bool {
        self.status != crate::domain::IncidentStatus::Resolved
    }
}

impl RowView for Alert {
    const KIND: EntityKind = EntityKind::Alert;
    const SORTS: &'static [Sort<Self>] = &[
        ("name", |a| t(&a.name)),
        ("service", |a| t(&a.service)),
        ("started", |a| n(-a.starts_at.timestamp())),
    ];
    fn ids(&self) -> (i64, &str) {
        (self.id, &self.fingerprint)
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        let state = self.state.as_str();
        [&*self.name, &self.severity, &self.service, state]
    }
}

impl RowView for Deployment {
    const KIND: EntityKind = EntityKind::Deployment;
    const SORTS: &'static [Sort<Self>] = &[
        ("service", |d| t(&d.service)),
        ("status", |d| t(d.status.as_str())),
        ("duration", |d| n(-d.duration_secs().unwrap_or(0))),
    ];
    fn ids(&self) -> (i64, &str) {
        (self.id, &self.sha)
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        let short_sha = self.sha.get(..7).unwrap_or(&self.sha);
        let status = self.status.as_str();
        [
            &*self.service,
            &self.environment,
            &self.git_ref,
            short_sha,
            status,
            &self.creator,
        ]
    }
    fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

impl RowView for Customer {
    const KIND: EntityKind = EntityKind::Customer;
    const SORTS: &'static [Sort<Self>] = &[
        ("stage", |c| n(rank(Stage::ALL, &c.stage))),
        ("acv", |c| n(-c.acv_usd)),
        ("churn risk", |c| n(-rank(ChurnRisk::ALL, &c.churn_risk))),
    ];
    fn ids(&self) -> (i64, &str) {
        (self.id, &self.slug)
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        let (stage, risk) = (self.stage.as_str(), self.churn_risk.as_str());
        [&*self.name, stage, &self.vertical, &self.owner, risk]
    }
    fn is_active(&self) -> bool {
        self.stage != Stage::Churned
    }
}

impl RowView for Slo {
    const KIND: EntityKind = EntityKind::Slo;
    const SORTS: &'static [Sort<Self>] = &[
        ("service", |s| t(&s.service)),
        ("objective", |s| t(&s.objective)),
    ];
    fn ids(&self) -> (i64, &str) {
        (self.id, &self.name)
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        [&*self.name, &self.service, &self.objective]
    }
}

/// Checklist items keep the plan's order: no sort columns.
impl RowView for ChecklistItem {
    const KIND: EntityKind = EntityKind::ChecklistItem;
    const SORTS: &'static [Sort<Self>] = &[];
    fn ids(&self) -> (i64, &str) {
        (self.id, self.code.as_deref().unwrap_or(&self.text))
    }
    fn haystack(&self) -> impl IntoIterator<Item = &str> {
        let owner = self.owner.as_deref().unwrap_or("");
        [&*self.section, &self.group, &self.text, owner]
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
