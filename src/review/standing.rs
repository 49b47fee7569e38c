//! The SLO, customer and plan pages of the review: attainment and error budget from the stored
//! daily samples, customer health and NPS at the end of each week, and plan progress from the
//! audit log.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::params;

use super::model::{
    BlockedGate, CustomerLine, CustomersPage, Figure, Label, PlanPage, SectionLine, SloLine,
    SlosPage,
};
use super::policy;
use super::week::Week;
use super::ReviewError;
use crate::config::Policy;
use crate::domain::{Bug, ChurnRisk, Incident, Slo, Stage};
use crate::metrics::customer::{self as cm, HealthMeasures, HealthScore, HealthWeights};
use crate::metrics::slo::coverage::{
    projected_full_window_consumed, window_coverage, WindowCoverage,
};
use crate::metrics::slo::{self as sm, ErrorRatio, Objective};
use crate::store::{ts, Store};

/// Bad and total events of an SLO over the given local days (`None` when no sample exists).
fn counts_over(slo: &Slo, from: NaiveDate, to: NaiveDate) -> Option<(f64, f64)> {
    let mut found = false;
    let (mut bad, mut total) = (0.0, 0.0);
    for d in slo.daily.iter().filter(|d| from <= d.day && d.day <= to) {
        found = true;
        bad += d.bad;
        total += d.total;
    }
    found.then_some((bad, total))
}

fn ratio(counts: Option<(f64, f64)>) -> Option<ErrorRatio> {
    let (bad, total) = counts?;
    ErrorRatio::from_fractional_counts(bad, total)
        .ok()
        .flatten()
}

/// Budget remaining over the SLO window ending on `last_day`, from the daily samples.
#[must_use]
pub fn budget_remaining_on(slo: &Slo, last_day: NaiveDate) -> Option<f64> {
    let objective = Objective::from_percent_str(&slo.objective).ok()?;
    let from = last_day - Duration::days(i64::from(slo.window_days.max(1)) - 1);
    let r = ratio(counts_over(slo, from, last_day))?;
    Some(sm::budget_status(objective, r).remaining)
}

/// Budget remaining from the stored SLO-window counts (the last sync's view).
fn budget_from_window(slo: &Slo) -> Option<f64> {
    let objective = Objective::from_percent_str(&slo.objective).ok()?;
    let w = slo.window(&format!("{}d", slo.window_days))?;
    let r = ErrorRatio::from_fractional_counts(w.bad, w.total)
        .ok()
        .flatten()?;
    Some(sm::budget_status(objective, r).remaining)
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

fn slo_line(slo: &Slo, week: &Week, last: &Week, now_week: bool) -> SloLine {
    let objective = Objective::from_percent_str(&slo.objective).ok();
    let (wd, ld) = (week.days(), last.days());
    let span = |days: &[NaiveDate]| {
        counts_over(
            slo,
            *days.first().unwrap_or(&NaiveDate::MIN),
            *days.last().unwrap_or(&NaiveDate::MIN),
        )
    };
    let (ca, cb) = (span(&wd), span(&ld));
    let (ra, rb) = (ratio(ca), ratio(cb));
    let attain = |r: Option<ErrorRatio>| r.map(|r| round(r.attainment(), 6));
    let burn = |r: Option<ErrorRatio>| Some(round(sm::burn_rate(r?, objective?), 3));
    let budget_a = wd
        .last()
        .and_then(|d| budget_remaining_on(slo, *d))
        .or_else(|| {
            if now_week {
                budget_from_window(slo)
            } else {
                None
            }
        });
    let budget_b = ld.last().and_then(|d| budget_remaining_on(slo, *d));
    let daily = ld
        .iter()
        .chain(wd.iter())
        .map(|d| attain(ratio(counts_over(slo, *d, *d))))
        .collect();
    let daily_totals: Vec<(NaiveDate, f64)> = slo.daily.iter().map(|d| (d.day, d.total)).collect();
    let latest = slo.daily.iter().map(|d| d.day).max();
    let coverage = |days: &[NaiveDate]| {
        let end = (*days.last()?).min(latest?);
        window_coverage(&daily_totals, slo.window_days, end)
    };
    let (cov_a, cov_b) = (coverage(&wd), coverage(&ld));
    let projected = |budget: Option<f64>, cov: Option<WindowCoverage>| {
        Some(round(
            projected_full_window_consumed(1.0 - budget?, cov?),
            4,
        ))
    };
    SloLine {
        window_days: slo.window_days,
        coverage_days: Figure::new(
            cov_a.map(|c| f64::from(c.covered_days)),
            cov_b.map(|c| f64::from(c.covered_days)),
        ),
        projected_full_window_consumed: Figure::new(
            projected(budget_a, cov_a),
            projected(budget_b, cov_b),
        ),
        name: slo.name.clone(),
        service: slo.service.clone(),
        objective: slo.objective.clone(),
        attainment: Figure::new(attain(ra), attain(rb)),
        budget_remaining: Figure::new(budget_a.map(|b| round(b, 4)), budget_b.map(|b| round(b, 4))),
        burn_rate: Figure::new(burn(ra), burn(rb)),
        events: Figure::new(ca.map(|c| c.1), cb.map(|c| c.1)),
        daily_attainment: daily,
        met: match (ra, objective) {
            (Some(r), Some(o)) => Some(r.attainment() >= o.as_ratio()),
            _ => None,
        },
    }
}

/// The SLO page: per-SLO attainment over the week, budget remaining over the SLO window ending
/// with the week, the week's burn rate, and which SLO burned most.
#[must_use]
pub fn slos_page(slos: &[Slo], week: &Week, last: &Week, now: DateTime<Utc>) -> SlosPage {
    let now_week = week.contains(now);
    let lines: Vec<SloLine> = slos
        .iter()
        .map(|s| slo_line(s, week, last, now_week))
        .collect();
    let meeting = |f: fn(&SloLine) -> Option<f64>, o: &SloLine| -> Option<bool> {
        let obj = Objective::from_percent_str(&o.objective).ok()?;
        Some(f(o)? >= obj.as_ratio())
    };
    let count = |f: fn(&SloLine) -> Option<f64>| {
        lines.iter().filter(|l| meeting(f, l) == Some(true)).count()
    };
    let burned_most = lines
        .iter()
        .filter_map(|l| Some((l.burn_rate.this?, l)))
        .filter(|(b, _)| *b > 0.0)
        .max_by(|(a, x), (b, y)| a.total_cmp(b).then_with(|| y.name.cmp(&x.name)))
        .map(|(_, l)| l.name.clone());
    SlosPage {
        meeting_objective: Figure::count(
            count(|l| l.attainment.this),
            count(|l| l.attainment.last),
        ),
        burned_most,
        slos: lines,
    }
}

/// Support measure: 100 with no tickets, 20 points off per ticket a week (0 at five a week).
#[must_use]
pub fn support_score(tickets_per_week: f64) -> f64 {
    (100.0 - 20.0 * tickets_per_week).clamp(0.0, 100.0)
}

/// The customer's NPS scores of every response before `at`.
fn scores_before(c: &crate::domain::Customer, at: DateTime<Utc>) -> Vec<i64> {
    c.nps
        .iter()
        .filter(|r| r.at < at)
        .map(|r| i64::from(r.score))
        .collect()
}

/// The health measures of a customer at `at` (METRICS.md §4.2): usage days/7, support load
/// over the previous 28 days, NPS of every response so far, the lowest error budget among the
/// SLOs of services its incidents touched in those 28 days, and engagement.
#[allow(clippy::cast_precision_loss, reason = "ticket counts are small")]
fn measures(
    c: &crate::domain::Customer,
    bugs: &[Bug],
    incidents: &[Incident],
    slos: &[Slo],
    at: DateTime<Utc>,
) -> HealthMeasures {
    let since = at - Duration::days(28);
    let tickets = bugs
        .iter()
        .filter(|b| b.customers.contains(&c.slug) && since <= b.created_at && b.created_at < at)
        .count();
    let scores = scores_before(c, at);
    let services: BTreeSet<&str> = incidents
        .iter()
        .filter(|i| i.customers.contains(&c.slug) && since <= i.created_at && i.created_at < at)
        .map(|i| i.service.as_str())
        .collect();
    let last_day = (at - Duration::seconds(1)).date_naive();
    let reliability = slos
        .iter()
        .filter(|s| services.contains(s.service.as_str()))
        .filter_map(|s| budget_remaining_on(s, last_day))
        .min_by(f64::total_cmp);
    HealthMeasures {
        usage: c
            .usage_days_per_week
            .map(|d| (d / 7.0 * 100.0).clamp(0.0, 100.0)),
        support: Some(support_score(tickets as f64 / 4.0)),
        nps: cm::nps(&scores)
            .ok()
            .flatten()
            .map(|n| cm::nps_to_score(n.exact)),
        reliability: reliability.map(cm::reliability_score),
        engagement: c.engagement.map(|e| e.clamp(0.0, 100.0)),
    }
}

fn health(m: &HealthMeasures, w: &HealthWeights) -> Option<HealthScore> {
    cm::health_score(m, w).ok().flatten()
}

/// The customers page: health and NPS at the end of each week for every customer not churned,
/// the at-risk list (churn risk high or health red), and the week's NPS responses.
///
/// # Errors
/// Cache errors.
#[allow(clippy::too_many_arguments, reason = "the page reads four tables")]
pub fn customers_page(
    store: &Store,
    incidents: &[Incident],
    bugs: &[Bug],
    slos: &[Slo],
    week: &Week,
    last: &Week,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<CustomersPage, ReviewError> {
    let weights = policy::health_weights(policy);
    let (at_a, at_b) = (week.as_of(now), last.as_of(now));
    let mut customers = store.load_customers(now)?;
    customers.retain(|c| c.stage != Stage::Churned);
    customers.sort_by(|x, y| x.name.cmp(&y.name).then_with(|| x.slug.cmp(&y.slug)));
    let mut page = CustomersPage::default();
    let mut week_scores = (Vec::new(), Vec::new());
    for c in &customers {
        for r in &c.nps {
            if week.contains(r.at) {
                week_scores.0.push(i64::from(r.score));
            } else if last.contains(r.at) {
                week_scores.1.push(i64::from(r.score));
            }
        }
        let (ma, mb) = (
            measures(c, bugs, incidents, slos, at_a),
            measures(c, bugs, incidents, slos, at_b),
        );
        let (ha, hb) = (health(&ma, &weights), health(&mb, &weights));
        let nps_at = |at: DateTime<Utc>| cm::nps(&scores_before(c, at)).ok().flatten();
        let (na, nb) = (nps_at(at_a), nps_at(at_b));
        let red = ha.as_ref().is_some_and(|h| h.band == cm::HealthBand::Red);
        let at_risk = c.churn_risk == ChurnRisk::High || red;
        if at_risk {
            page.at_risk.push(c.name.clone());
        }
        page.customers.push(CustomerLine {
            name: c.name.clone(),
            slug: c.slug.clone(),
            stage: c.stage.as_str().to_string(),
            owner: c.owner.clone(),
            churn_risk: c.churn_risk.as_str().to_string(),
            health: Figure::new(
                ha.as_ref().map(|h| f64::from(h.score)),
                hb.as_ref().map(|h| f64::from(h.score)),
            ),
            band: Label {
                this: ha.as_ref().map(|h| h.band.to_string()),
                last: hb.as_ref().map(|h| h.band.to_string()),
            },
            missing_measures: ha
                .as_ref()
                .map(|h| h.missing.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            nps: Figure::new(
                na.map(|n| f64::from(n.score)),
                nb.map(|n| f64::from(n.score)),
            ),
            nps_n: Figure::new(
                na.map(|n| n.respondents as f64),
                nb.map(|n| n.respondents as f64),
            ),
            at_risk,
        });
    }
    let week_nps = |s: &[i64]| cm::nps(s).ok().flatten().map(|n| f64::from(n.score));
    page.nps_week = Figure::new(week_nps(&week_scores.0), week_nps(&week_scores.1));
    page.responses_week = Figure::count(week_scores.0.len(), week_scores.1.len());
    let shares = |s: &[i64]| cm::nps(s).ok().flatten().map(|n| n.shares());
    let (sa, sb) = (shares(&week_scores.0), shares(&week_scores.1));
    let pick = |f: fn((f64, f64, f64)) -> f64| Figure::new(sa.map(f), sb.map(f));
    page.promoters_pct_week = pick(|s| s.0);
    page.passives_pct_week = pick(|s| s.1);
    page.detractors_pct_week = pick(|s| s.2);
    Ok(page)
}

/// Checklist items checked during `week`: `checked` audit entries that were not undone, and
/// items whose `checked_at` falls in the week.
fn checked_in(store: &Store, week: &Week) -> Result<BTreeSet<i64>, ReviewError> {
    let c = store.conn();
    let mut ids = BTreeSet::new();
    let mut audit = c
        .prepare(
            "SELECT a.entity_id FROM audit a LEFT JOIN outbox o ON o.op_id = a.op_id \
         WHERE a.entity_kind = 'checklist_item' AND a.action = 'checked' AND a.new_value = 'true' \
         AND a.at >= ?1 AND a.at < ?2 AND (o.state IS NULL OR o.state != 'undone')",
        )
        .map_err(crate::store::StoreError::from)?;
    for id in audit
        .query_map(params![ts(week.start), ts(week.end)], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(crate::store::StoreError::from)?
    {
        ids.insert(id.map_err(crate::store::StoreError::from)?);
    }
    let mut direct = c.prepare(
        "SELECT id FROM checklist_items WHERE checked = 1 AND checked_at >= ?1 AND checked_at < ?2",
    ).map_err(crate::store::StoreError::from)?;
    for id in direct
        .query_map(params![ts(week.start), ts(week.end)], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(crate::store::StoreError::from)?
    {
        ids.insert(id.map_err(crate::store::StoreError::from)?);
    }
    Ok(ids)
}

/// The plan page: items done in each week per section, overall progress, and gate sections that
/// are not complete.
///
/// # Errors
/// Cache errors.
pub fn plan_page(store: &Store, week: &Week, last: &Week) -> Result<PlanPage, ReviewError> {
    let docs: BTreeMap<i64, String> = store
        .checklist_docs()?
        .into_iter()
        .map(|d| (d.id, if d.title.is_empty() { d.path } else { d.title }))
        .collect();
    let items = store.load_checklist()?;
    let (ids_a, ids_b) = (checked_in(store, week)?, checked_in(store, last)?);
    let mut page = PlanPage {
        done_in_week: Figure::count(
            items.iter().filter(|i| ids_a.contains(&i.id)).count(),
            items.iter().filter(|i| ids_b.contains(&i.id)).count(),
        ),
        total: u32::try_from(items.len()).unwrap_or(u32::MAX),
        done: u32::try_from(items.iter().filter(|i| i.checked).count()).unwrap_or(u32::MAX),
        ..PlanPage::default()
    };
    let mut order: Vec<(i64, String)> = Vec::new();
    for i in &items {
        let key = (i.doc_id, i.section.clone());
        if !order.contains(&key) {
            order.push(key);
        }
    }
    for (doc_id, section) in order {
        let mine: Vec<_> = items
            .iter()
            .filter(|i| i.doc_id == doc_id && i.section == section)
            .collect();
        let n = |f: &dyn Fn(&&crate::domain::ChecklistItem) -> bool| {
            u32::try_from(mine.iter().filter(|i| f(i)).count()).unwrap_or(u32::MAX)
        };
        let total = n(&|_| true);
        let done = n(&|i| i.checked);
        let gate = mine.iter().any(|i| i.gate);
        let document = docs.get(&doc_id).cloned().unwrap_or_default();
        page.sections.push(SectionLine {
            document: document.clone(),
            section: section.clone(),
            total,
            done,
            done_in_week: Figure::new(
                Some(f64::from(n(&|i| ids_a.contains(&i.id)))),
                Some(f64::from(n(&|i| ids_b.contains(&i.id)))),
            ),
            gate,
        });
        if gate && done < total {
            page.blocked_gates.push(BlockedGate {
                document,
                section,
                open: total - done,
                total,
                open_items: mine
                    .iter()
                    .filter(|i| !i.checked)
                    .take(3)
                    .map(|i| i.text.clone())
                    .collect(),
                owners: mine
                    .iter()
                    .filter(|i| !i.checked)
                    .filter_map(|i| i.owner.as_deref())
                    .map(|o| o.trim_start_matches('@').to_string())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            });
        }
    }
    Ok(page)
}

/// Everyone the cache names: assignees, deployers, customer and item owners, audit actors.
///
/// # Errors
/// Cache errors.
pub fn known_people(
    store: &Store,
    bugs: &[Bug],
    incidents: &[Incident],
    deployments: &[crate::domain::Deployment],
    now: DateTime<Utc>,
) -> Result<Vec<String>, ReviewError> {
    let mut people: BTreeSet<String> = BTreeSet::new();
    people.extend(bugs.iter().filter_map(|b| b.assignee.clone()));
    people.extend(incidents.iter().filter_map(|i| i.assignee.clone()));
    people.extend(deployments.iter().map(|d| d.creator.clone()));
    people.extend(store.load_customers(now)?.into_iter().map(|c| c.owner));
    people.extend(store.load_checklist()?.into_iter().filter_map(|i| i.owner));
    let mut stmt = store
        .conn()
        .prepare("SELECT DISTINCT actor FROM audit")
        .map_err(crate::store::StoreError::from)?;
    for actor in stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(crate::store::StoreError::from)?
    {
        people.insert(actor.map_err(crate::store::StoreError::from)?);
    }
    Ok(people
        .into_iter()
        .map(|p| p.trim().trim_start_matches('@').to_string())
        .filter(|p| !p.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// Every customer in the cache, churned ones included, as (name, slug) sorted by name.
///
/// # Errors
/// Cache errors.
pub fn known_customers(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, ReviewError> {
    let mut all: Vec<(String, String)> = store
        .load_customers(now)?
        .into_iter()
        .map(|c| (c.name, c.slug))
        .collect();
    all.sort();
    Ok(all)
}
