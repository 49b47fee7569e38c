//! `State::update`: the pure state machine. No SQLite, HTTP, clock or filesystem here.
//!
//! Edits are returned as [`Effect::Commit`]; the screen changes when the runtime reports
//! `Msg::Committed` and the tab reloads from SQLite, so the UI never claims an edit that was
//! not durably written. Prompts and confirmations are overlays that end in an `Effect`.
//!
//! This file handles the messages from the runtime and the sync engine (loads, commits, sync
//! events, ticks) and recomputes list views; key dispatch lives in [`super::keys`], keys on
//! overlays, the filter input and paste in [`super::overlay_keys`].

use super::filter::refresh_view;
use super::msg::{Effect, Msg, Rows, SyncEvent};
use super::rows::RowView;
use super::state::{ListState, Overlay, State, Toast};
use crate::domain::{BugStatus, IncidentStatus, Tab};

/// How often (seconds) queued checklist file edits are retried.
pub const FILE_RETRY_TICK_SECS: i64 = 5;

impl State {
    /// Applies one message; returns what the runtime must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = self.update_msg(msg);
        self.collect_windows(&mut fx);
        if !self.pools_asked {
            if let Some(Overlay::Prompt(super::state::Prompt::Text { then, .. })) = &self.overlay {
                if super::edits::candidates::wants_pools(then) {
                    self.pools_asked = true;
                    fx.push(Effect::LoadPools);
                }
            }
        }
        fx
    }

    fn update_msg(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            Msg::Tick(now) => {
                self.now = now;
                let minute = now.timestamp().div_euclid(60);
                let stale = self
                    .incident_figures
                    .as_ref()
                    .is_some_and(|f| f.minute != minute);
                let mut fx = Vec::new();
                if stale && self.incidents.complete {
                    self.incident_figures = Some(super::state::IncidentFigures::compute(
                        &self.incidents.rows,
                        now,
                    ));
                } else if stale && self.incidents.windowed {
                    // Not every incident is in memory: the store thread computes them.
                    if let Some(f) = self.incident_figures.as_mut() {
                        f.minute = minute;
                    }
                    fx.push(Effect::LoadIncidentFigures);
                }
                if self
                    .toast
                    .as_ref()
                    .is_some_and(|t| (now - t.at).num_seconds() > 8)
                {
                    self.toast = None;
                }
                // Files that could not be written (read-only, unmounted) are retried while
                // anything is queued; the store knows which entries are due.
                if self.outbox.queued > 0 && now.timestamp() % FILE_RETRY_TICK_SECS == 0 {
                    fx.extend([Effect::PushFiles, Effect::ReloadStatus]);
                }
                fx
            }
            Msg::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Msg::Loaded { rows, complete } => self.on_loaded(rows, complete),
            Msg::Status {
                counts,
                outbox,
                sources,
            } => {
                self.counts = counts;
                self.outbox = outbox;
                self.sources = sources;
                Vec::new()
            }
            Msg::OutboxLoaded(entries) => {
                if let Some(Overlay::Outbox {
                    entries: e,
                    selected,
                }) = &mut self.overlay
                {
                    *selected = (*selected).min(entries.len().saturating_sub(1));
                    *e = entries;
                }
                Vec::new()
            }
            Msg::DetailLoaded(d) => {
                self.detail = Some(d);
                Vec::new()
            }
            Msg::Committed {
                description,
                queued,
            } => {
                let suffix = if queued {
                    " — queued for push"
                } else {
                    " — saved"
                };
                self.notice(format!("{description}{suffix}"), false);
                let mut fx = vec![Effect::Reload(self.tab), Effect::ReloadStatus];
                if queued {
                    // Only now is the edit durable in the outbox, so only now can a push find it.
                    fx.push(Effect::PushNow);
                }
                fx.extend(self.detail_effect());
                if matches!(self.overlay, Some(Overlay::Outbox { .. })) {
                    fx.push(Effect::LoadOutbox);
                }
                fx
            }
            Msg::Notice(text) => {
                self.notice(text, false);
                Vec::new()
            }
            Msg::EffectFailed(text) => {
                self.notice(text, true);
                Vec::new()
            }
            Msg::CacheGone(text) => {
                self.read_only = true;
                self.notice(text.clone(), true);
                self.cache_gone = Some(text);
                Vec::new()
            }
            Msg::Sync(ev) => self.on_sync(ev),
            Msg::ReviewLoaded(snap) => {
                self.review = Some(*snap);
                Vec::new()
            }
            Msg::RollbackCandidate(incident, candidate) => {
                self.rollback_hint = Some((incident, candidate.map(|d| *d)));
                Vec::new()
            }
            Msg::ListShape(tab, shape) => {
                match tab {
                    Tab::Bugs => self.bugs.shape = Some(shape),
                    Tab::Incidents => self.incidents.shape = Some(shape),
                    Tab::Deployments => self.deployments.shape = Some(shape),
                    _ => {}
                }
                Vec::new()
            }
            Msg::Window(reply) => self.on_window(reply),
            Msg::ChecklistSections(s) => {
                self.checklist_sections = Some(s);
                Vec::new()
            }
            Msg::IncidentFigures(f) => {
                self.incident_figures = Some(f);
                Vec::new()
            }
            Msg::Dora(figures) => {
                self.dora = figures;
                Vec::new()
            }
            Msg::Pools(p) => {
                self.pools = Some(*p);
                super::edits::candidates::refresh_open_prompt(self);
                Vec::new()
            }
            Msg::Input(key) => self.on_input(key),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Action(action) => self.on_action(action),
        }
    }

    pub(super) fn notice(&mut self, text: String, error: bool) {
        self.toast = Some(Toast {
            text: crate::sanitize::line(&text),
            error,
            at: self.now,
        });
    }

    fn on_loaded(&mut self, rows: Rows, complete: bool) -> Vec<Effect> {
        let was_empty = self.current_len() == 0;
        let tab = rows.tab();
        match rows {
            Rows::Customers(r) => set_rows(&mut self.customers, r, complete),
            Rows::Bugs(r) => set_rows(&mut self.bugs, r, complete),
            Rows::Incidents(i, a) => {
                set_rows(&mut self.incidents, i, complete);
                set_rows(&mut self.alerts, a, true);
                // Team figures come from every incident: a first page would show figures that
                // change a moment later (a second paint on every tab switch). Until the full
                // list is in, the last full list's figures stay (the first time: none yet).
                if complete {
                    self.incident_figures = Some(super::state::IncidentFigures::compute(
                        &self.incidents.rows,
                        self.now,
                    ));
                }
            }
            Rows::Deployments(r) => {
                set_rows(&mut self.deployments, r, complete);
                self.rollback_index = super::rollback::RollbackIndex::build(&self.deployments.rows);
            }
            Rows::Slos(r) => set_rows(&mut self.slos, r, complete),
            Rows::Checklist(docs, items) => {
                self.checklist_docs = docs;
                set_rows(&mut self.checklist, items, complete);
            }
        }
        self.refresh_tab(tab);
        if was_empty {
            self.detail_effect()
        } else {
            Vec::new()
        }
    }

    fn on_sync(&mut self, ev: SyncEvent) -> Vec<Effect> {
        match ev {
            SyncEvent::Started { source } => {
                self.syncing.insert(source);
                Vec::new()
            }
            SyncEvent::Finished {
                source, changed, ..
            } => {
                self.syncing.remove(&source);
                let mut fx = vec![Effect::ReloadStatus];
                // Only the visible tab reloads now (if anything it shows changed); others reload
                // when shown.
                if changed.iter().any(|t| shows(self.tab).contains(t)) {
                    fx.push(Effect::Reload(self.tab));
                }
                for tab in changed {
                    if tab != self.tab {
                        self.list_loaded_mut(tab);
                    }
                }
                fx
            }
            SyncEvent::Failed { source, error } => {
                self.syncing.remove(&source);
                self.notice(format!("{source}: {error}"), true);
                vec![Effect::ReloadStatus]
            }
            SyncEvent::OutboxChanged => {
                let mut fx = vec![Effect::ReloadStatus, Effect::Reload(self.tab)];
                if matches!(self.overlay, Some(Overlay::Outbox { .. })) {
                    fx.push(Effect::LoadOutbox);
                }
                fx
            }
        }
    }

    /// Marks a hidden tab stale so it reloads when shown.
    fn list_loaded_mut(&mut self, tab: Tab) {
        match tab {
            Tab::Customers => self.customers.loaded = false,
            Tab::Bugs => self.bugs.loaded = false,
            Tab::Incidents => self.incidents.loaded = false,
            Tab::Deployments => self.deployments.loaded = false,
            Tab::Slos => self.slos.loaded = false,
            Tab::Checklist => self.checklist.loaded = false,
        }
    }

    pub(super) fn tab_loaded(&self, tab: Tab) -> bool {
        match tab {
            Tab::Customers => self.customers.loaded,
            Tab::Bugs => self.bugs.loaded,
            Tab::Incidents => self.incidents.loaded,
            Tab::Deployments => self.deployments.loaded,
            Tab::Slos => self.slos.loaded,
            Tab::Checklist => self.checklist.loaded,
        }
    }

    /// Recomputes only the focused list's view (each filter keystroke costs one list).
    pub fn refresh_current_view(&mut self) {
        if self.tab == Tab::Incidents && self.alerts_focus {
            refresh_view(&mut self.alerts, |_| true);
        } else {
            self.refresh_tab(self.tab);
        }
    }

    /// Recomputes the view(s) of one tab.
    pub(super) fn refresh_tab(&mut self, tab: Tab) {
        match tab {
            Tab::Customers => refresh_view(&mut self.customers, |_| true),
            Tab::Bugs => refresh_view(&mut self.bugs, |_| true),
            Tab::Incidents => {
                refresh_view(&mut self.incidents, |_| true);
                refresh_view(&mut self.alerts, |_| true);
            }
            Tab::Deployments => refresh_view(&mut self.deployments, |_| true),
            Tab::Slos => refresh_view(&mut self.slos, |_| true),
            Tab::Checklist => self.refresh_checklist_view(),
        }
    }

    /// The checklist view: a folded section keeps only its first item, which stands for the
    /// section (the UI draws just the header, selected when that item is), so a folded
    /// section can still be selected and unfolded.
    fn refresh_checklist_view(&mut self) {
        let mut anchors = std::collections::BTreeSet::new();
        let mut seen = std::collections::BTreeSet::new();
        for i in &self.checklist.rows {
            if self.folded.contains(&i.section) && seen.insert((i.doc_id, i.section.clone())) {
                anchors.insert(i.id);
            }
        }
        let folded = self.folded.clone();
        let open_only = self.open_only;
        self.checklist.hide = crate::store::read::checklist_window::ChecklistHide {
            open_only,
            folded: folded.iter().cloned().collect(),
        };
        refresh_view(&mut self.checklist, |i| {
            if folded.contains(&i.section) {
                anchors.contains(&i.id)
            } else {
                !open_only || !i.checked
            }
        });
    }

    /// Recomputes every list's view (filters, folds).
    pub fn refresh_views(&mut self) {
        refresh_view(&mut self.customers, |_| true);
        refresh_view(&mut self.bugs, |_| true);
        refresh_view(&mut self.incidents, |_| true);
        refresh_view(&mut self.alerts, |_| true);
        refresh_view(&mut self.deployments, |_| true);
        refresh_view(&mut self.slos, |_| true);
        self.refresh_checklist_view();
    }
}

/// The tables a tab's screen draws from (incidents show rollback candidates from deployments;
/// the deployments tab's DORA panel needs incidents; customers derive from bugs and incidents).
fn shows(tab: Tab) -> &'static [Tab] {
    match tab {
        Tab::Incidents | Tab::Deployments => &[Tab::Incidents, Tab::Deployments],
        Tab::Customers => &[Tab::Customers, Tab::Bugs, Tab::Incidents, Tab::Slos],
        Tab::Bugs => &[Tab::Bugs],
        Tab::Slos => &[Tab::Slos],
        Tab::Checklist => &[Tab::Checklist],
    }
}

/// Puts a whole list in place (the alerts beside a window of incidents).
pub(super) fn set_full<R: RowView>(list: &mut ListState<R>, rows: Vec<R>) {
    set_rows(list, rows, true);
}

fn set_rows<R: RowView>(list: &mut ListState<R>, rows: Vec<R>, complete: bool) {
    // Remember the selected row by identity: the new rows may come in another order. A row
    // that left the list, or left its working part (closed, resolved), keeps the cursor at
    // the same position instead (`refresh_view` clamps it), so the next key acts on the row
    // that took its place, not on one that moved away.
    let old = list.selected_row().map(|r| (r.entity(), r.is_active()));
    let left = old.is_some_and(|(id, was_active)| {
        was_active && rows.iter().any(|r| r.entity() == id && !r.is_active())
    });
    list.reselect = if left {
        None
    } else {
        old.map(|(id, _)| id).or(list.reselect)
    };
    list.widest_id = rows.iter().map(RowView::id_width).max().unwrap_or(0);
    if complete {
        list.shape = None;
    } else if let Some(shape) = list.shape {
        // the first page: the id column is as wide as the whole table needs already
        list.widest_id = list.widest_id.max(shape.widest_id);
    }
    list.put_rows(rows, complete, true);
    list.windowed = false;
    list.marked
        .retain(|id| list.rows.iter().any(|r| r.entity().id == *id));
}

/// Whether a bug transition makes sense (the UI offers only legal ones).
#[must_use]
pub fn bug_transition_allowed(from: BugStatus, to: BugStatus) -> bool {
    from != to
}

/// Whether an incident transition is legal (triggered → acknowledged → resolved).
#[must_use]
pub fn incident_transition_allowed(from: IncidentStatus, to: IncidentStatus) -> bool {
    matches!(
        (from, to),
        (
            IncidentStatus::Triggered,
            IncidentStatus::Acknowledged | IncidentStatus::Resolved
        ) | (IncidentStatus::Acknowledged, IncidentStatus::Resolved)
    )
}
