//! The store thread's reads for windowed lists ([`super::list_window`]): a window with its
//! count and the followed row's position, and what the paged tabs derive from whole tables
//! (incident team figures, the DORA panel, completion values). Called by
//! [`super::runtime`]'s worker; results go back as [`Msg`]s.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::{Effect, Msg, Rows, WindowReply, WindowRequest};
use super::stale_reads::{is_interrupted, StaleReads};
use crate::domain::Tab;
use crate::store::read::ListShape;
use crate::store::{Store, StoreError};

/// Keeps the last [`Effect::LoadWindow`] of each tab, where the first of them was, marked as a
/// reload (following the first reload's row) if any of them was one.
pub(super) fn latest_windows(batch: Vec<Effect>) -> Vec<Effect> {
    use std::collections::HashMap;
    let mut last: HashMap<Tab, WindowRequest> = HashMap::new();
    for e in &batch {
        if let Effect::LoadWindow(req) = e {
            let merged = match last.remove(&req.tab) {
                Some(prev) if prev.reload && prev.generation == req.generation => WindowRequest {
                    reload: true,
                    shape: prev.shape || req.shape,
                    follow: prev.follow.or(req.follow),
                    ..req.clone()
                },
                _ => req.clone(),
            };
            last.insert(req.tab, merged);
        }
    }
    let mut out = Vec::with_capacity(batch.len());
    for e in batch {
        match e {
            Effect::LoadWindow(req) => {
                if let Some(merged) = last.remove(&req.tab) {
                    out.push(Effect::LoadWindow(merged));
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn read_window(
    store: &Store,
    tab: Tab,
    q: &crate::store::read::window::ListQuery,
    offset: usize,
    n: usize,
) -> Result<Rows, StoreError> {
    Ok(match tab {
        Tab::Bugs => Rows::Bugs(store.load_bugs_window(q, offset, n)?),
        Tab::Incidents => Rows::Incidents(store.load_incidents_window(q, offset, n)?, Vec::new()),
        _ => Rows::Deployments(store.load_deployments_window(q, offset, n)?),
    })
}

/// A window of a paged list, its count, and on a reload where the followed row now is; sent
/// on `msgs` (with the DORA figures before it and the team figures after it on a reload).
/// Reading the rows and count stops, and nothing is sent, once `stale` says a newer
/// generation of the list was asked for.
///
/// # Errors
/// SQLite errors.
pub fn window(
    store: &Store,
    req: &WindowRequest,
    now: DateTime<Utc>,
    guess_links: bool,
    msgs: &UnboundedSender<Msg>,
    stale: &StaleReads,
) -> Result<(), StoreError> {
    let tab = req.tab;
    if tab == Tab::Checklist {
        return checklist_window(store, req, msgs);
    }
    stale.begin(tab, req.generation);
    let read = window_rows(store, req);
    stale.end();
    let (shape, total, offset, rows, target) = match read {
        Ok(read) => read,
        Err(e) if is_interrupted(&e) => {
            tracing::debug!(?tab, generation = req.generation, "window read superseded");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let n = req.rows.max(1);
    if req.reload && tab == Tab::Deployments && total > n {
        // Before the rows: the panel never shows figures of the window alone.
        dora_figures(store, now, guess_links, msgs)?;
    }
    let _ = msgs.send(Msg::Window(WindowReply {
        generation: req.generation,
        offset,
        total,
        rows,
        shape,
        select: req.reload.then_some(target),
        reload: req.reload,
    }));
    if req.reload && tab == Tab::Incidents {
        // After the rows, so the first row is not held for them (the last figures stay
        // on screen meanwhile; the first time the pane says they are being read).
        incident_figures(store, now, msgs)?;
    }
    Ok(())
}

/// What a window reply carries: the shape if asked, the count, the window's offset, its
/// rows (with the alerts on an incidents reload) and the position to select.
type WindowRows = (Option<ListShape>, usize, usize, Rows, usize);

/// The part of [`window`] a newer generation makes worthless: count, place, read.
fn window_rows(store: &Store, req: &WindowRequest) -> Result<WindowRows, StoreError> {
    let tab = req.tab;
    let shape = if req.shape {
        store.list_shape(tab)?
    } else {
        None
    };
    let n = req.rows.max(1);
    let (total, offset, mut rows, target) = match whole_filtered_list(store, req, n)? {
        Some(whole) => whole,
        None => counted_window(store, req, shape.as_ref(), n)?,
    };
    if let (true, Rows::Incidents(_, alerts)) = (req.reload, &mut rows) {
        *alerts = store.load_alerts()?;
    }
    Ok((shape, total, offset, rows, target))
}

/// Rows of a window, with the list's count, the window's offset and the position to select.
type Counted = (usize, usize, Rows, usize);

/// A filter few rows pass, read whole in one pass: one row more than a window is asked for
/// and, if they are not all there, the count and the followed row's place come with them.
/// Otherwise the list is counted and then read ([`counted_window`]): two passes over the
/// table, 2 × 180 ms over 500k bugs for a word only a handful of them have. `None` when the
/// list is not filtered or more rows pass.
fn whole_filtered_list(
    store: &Store,
    req: &WindowRequest,
    n: usize,
) -> Result<Option<Counted>, StoreError> {
    if req.query.filter.trim().is_empty() {
        return Ok(None);
    }
    let rows = read_window(store, req.tab, &req.query, 0, n + 1)?;
    let ids = row_ids(&rows);
    if ids.len() > n {
        return Ok(None);
    }
    let last = ids.len().saturating_sub(1);
    let followed = req
        .follow
        .and_then(|(id, _)| ids.iter().position(|x| *x == id));
    let target = match (followed, req.follow) {
        // The followed row left the working part: the cursor stays at its position.
        (Some(_), Some((id, true))) if left_working_part(&rows, id) => req.around.min(last),
        (Some(p), _) => p,
        (None, _) => req.around.min(last),
    };
    Ok(Some((ids.len(), 0, rows, target)))
}

/// The list counted (placing a followed row in the same pass), then the window around the
/// followed row or the asked position.
fn counted_window(
    store: &Store,
    req: &WindowRequest,
    shape: Option<&ListShape>,
    n: usize,
) -> Result<Counted, StoreError> {
    let tab = req.tab;
    let q = &req.query;
    // A followed row is placed in the same pass that counts the list.
    let (total, followed) = match (req.follow, shape) {
        (Some((id, _)), _) => store.list_count_and_position(tab, q, id)?,
        (None, Some(s)) if q.filter.is_empty() => (s.rows, None),
        (None, _) => (store.list_count(tab, q)?, None),
    };
    let start = |target: usize| target.saturating_sub(n / 2).min(total.saturating_sub(n));
    let last = total.saturating_sub(1);
    let mut target = req.around.min(last);
    if let Some(p) = followed {
        target = p;
    }
    let mut offset = start(target);
    let mut rows = read_window(store, tab, q, offset, n)?;
    if let (Some((id, true)), Some(_)) = (req.follow, followed) {
        // The followed row left the working part (closed, resolved): the cursor stays at
        // its position, on the row that took its place.
        if left_working_part(&rows, id) {
            target = req.around.min(last);
            offset = start(target);
            rows = read_window(store, tab, q, offset, n)?;
        }
    }
    Ok((total, offset, rows, target))
}

/// The ids of a window's rows, in order.
fn row_ids(rows: &Rows) -> Vec<i64> {
    match rows {
        Rows::Bugs(r) => r.iter().map(|b| b.id).collect(),
        Rows::Incidents(r, _) => r.iter().map(|i| i.id).collect(),
        Rows::Deployments(r) => r.iter().map(|d| d.id).collect(),
        _ => Vec::new(),
    }
}

/// Whether row `id` is among `rows` and no longer in the working part (closed, resolved).
fn left_working_part(rows: &Rows, id: i64) -> bool {
    use super::rows::RowView;
    match rows {
        Rows::Bugs(r) => r.iter().any(|b| b.id == id && !b.is_active()),
        Rows::Incidents(r, _) => r.iter().any(|i| i.id == id && !i.is_active()),
        Rows::Deployments(r) => r.iter().any(|d| d.id == id && !d.is_active()),
        _ => false,
    }
}

/// A window of the checklist, its count, on a reload where the followed item now is (the
/// cursor stays at its position when the item left the list); a reload sends the section
/// figures first, so headings and the completion table never show a stale list's counts.
fn checklist_window(
    store: &Store,
    req: &WindowRequest,
    msgs: &UnboundedSender<Msg>,
) -> Result<(), StoreError> {
    let q = crate::store::read::checklist_window::ChecklistQuery::of(&req.query.filter, &req.hide);
    let (total, followed) = match req.follow {
        Some((id, _)) => store.checklist_count_and_position(&q, id)?,
        None => (store.checklist_count(&q)?, None),
    };
    let n = req.rows.max(1);
    let target = followed.unwrap_or_else(|| req.around.min(total.saturating_sub(1)));
    let offset = target.saturating_sub(n / 2).min(total.saturating_sub(n));
    let rows = store.load_checklist_window(&q, offset, n)?;
    if req.reload {
        let _ = msgs.send(Msg::ChecklistSections(store.checklist_sections(&q)?));
    }
    let _ = msgs.send(Msg::Window(WindowReply {
        generation: req.generation,
        offset,
        total,
        rows: Rows::Checklist(store.checklist_docs()?, rows),
        shape: None,
        select: req.reload.then_some(target),
        reload: req.reload,
    }));
    Ok(())
}

/// The incidents tab's team figures over the incidents they need (last 7 days, open).
///
/// # Errors
/// SQLite errors.
pub fn incident_figures(
    store: &Store,
    now: DateTime<Utc>,
    msgs: &UnboundedSender<Msg>,
) -> Result<(), StoreError> {
    let since = (now - chrono::Duration::days(7)).timestamp();
    let incidents = store.incidents_for_figures(since)?;
    let figures = super::state::IncidentFigures::compute(&incidents, now);
    let _ = msgs.send(Msg::IncidentFigures(figures));
    Ok(())
}

/// The DORA panel's figures over the rows of the longest window (the list holds a window).
fn dora_figures(
    store: &Store,
    now: DateTime<Utc>,
    guess_links: bool,
    msgs: &UnboundedSender<Msg>,
) -> Result<(), StoreError> {
    let since = (now - chrono::Duration::days(super::dora_panel::span_days())).timestamp();
    let mut deployments = store.deployments_since(since)?;
    // Without guessing, an incident is only ever looked up by a deployment's link: only the
    // linked ones are read (the figures are the same; issue #12, peak RSS).
    let incidents = if guess_links {
        let incidents = store.incidents_since(since)?;
        // The guess skips an incident some deployment links — also one before the span.
        let keys: Vec<&str> = incidents.iter().map(|i| i.external_id.as_str()).collect();
        deployments.extend(store.deployments_before_linking(since, &keys)?);
        incidents
    } else {
        let mut keys: Vec<&str> = deployments
            .iter()
            .flat_map(|d| d.incident_keys.iter().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        store.incidents_since_with_keys(since, &keys)?
    };
    let figures = super::dora_panel::compute_all(&deployments, &incidents, now, guess_links);
    let _ = msgs.send(Msg::Dora(figures));
    Ok(())
}

/// Completion values from the whole cache.
///
/// # Errors
/// SQLite errors.
pub fn pools(store: &Store, msgs: &UnboundedSender<Msg>) -> Result<(), StoreError> {
    const MAX_VALUES: usize = 5_000;
    let s = store;
    let pools = super::msg::Pools {
        bug_people: s.distinct_values("bug_assignees", MAX_VALUES)?,
        labels: s.distinct_values("bug_labels", MAX_VALUES)?,
        incident_people: s.distinct_values("incident_assignees", MAX_VALUES)?,
        services: s.distinct_values("services", MAX_VALUES)?,
        incident_keys: s.distinct_values("incident_keys", MAX_VALUES)?,
        checklist_owners: s.distinct_values("checklist_owners", MAX_VALUES)?,
    };
    let _ = msgs.send(Msg::Pools(Box::new(pools)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::read::window::ListQuery;

    fn req(tab: Tab, around: usize, reload: bool, generation: u64) -> Effect {
        Effect::LoadWindow(WindowRequest {
            tab,
            generation,
            query: ListQuery::default(),
            around,
            rows: 240,
            follow: reload.then_some((7, true)),
            reload,
            shape: reload,
            hide: Default::default(),
        })
    }

    #[test]
    fn only_the_last_window_per_tab_is_read_and_a_reload_stays_a_reload() {
        let batch = vec![
            req(Tab::Bugs, 10, true, 1),
            Effect::ReloadStatus,
            req(Tab::Bugs, 400, false, 1),
            req(Tab::Incidents, 5, false, 3),
            req(Tab::Bugs, 900, false, 1),
        ];
        let out = latest_windows(batch);
        assert_eq!(out.len(), 3, "{out:?}");
        let Effect::LoadWindow(bugs) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(bugs.around, 900, "the latest position");
        assert!(bugs.reload && bugs.shape, "still a reload");
        assert_eq!(bugs.follow, Some((7, true)));
        assert_eq!(out[1], Effect::ReloadStatus);
        // A newer generation replaces an older reload outright.
        let out = latest_windows(vec![
            req(Tab::Bugs, 1, true, 1),
            req(Tab::Bugs, 2, false, 2),
        ]);
        assert_eq!(out, vec![req(Tab::Bugs, 2, false, 2)]);
    }
}
