//! `State::update`: the pure state machine. No SQLite, HTTP, clock or filesystem here.
//!
//! Edits are returned as [`Effect::Commit`]; the screen changes when the runtime reports
//! `Msg::Committed` and the tab reloads from SQLite, so the UI never claims an edit that was
//! not durably written. Prompts and confirmations are overlays that end in an `Effect`.

use super::action::Action;
use super::filter::refresh_view;
use super::msg::{Edit, Effect, InputKey, Msg, OutboxCommand, Rows, SyncEvent};
use super::rows::RowView;
use super::state::{
    ListState, Overlay, Prompt, PromptThen, State, Toast, DORA_WINDOWS, SLO_WINDOWS,
};
use crate::domain::{BugStatus, IncidentStatus, Tab};

/// How often (seconds) queued checklist file edits are retried.
pub const FILE_RETRY_TICK_SECS: i64 = 5;

/// Silence durations offered by `m`.
pub const SILENCE_CHOICES: &[(&str, i64)] = &[
    ("30 minutes", 1800),
    ("1 hour", 3600),
    ("2 hours", 7200),
    ("4 hours", 14_400),
    ("1 day", 86_400),
];

impl State {
    /// Applies one message; returns what the runtime must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            Msg::Tick(now) => {
                self.now = now;
                if self
                    .incident_figures
                    .as_ref()
                    .is_some_and(|f| f.minute != now.timestamp().div_euclid(60))
                {
                    self.incident_figures = Some(super::state::IncidentFigures::compute(
                        &self.incidents.rows,
                        now,
                    ));
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
                    vec![Effect::PushFiles, Effect::ReloadStatus]
                } else {
                    Vec::new()
                }
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
            Msg::Input(key) => self.on_input(key),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Action(action) => self.on_action(action),
        }
    }

    fn notice(&mut self, text: String, error: bool) {
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
                self.incident_figures = Some(super::state::IncidentFigures::compute(
                    &self.incidents.rows,
                    self.now,
                ));
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

    fn tab_loaded(&self, tab: Tab) -> bool {
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
    fn refresh_tab(&mut self, tab: Tab) {
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

    fn switch_tab(&mut self, tab: Tab) -> Vec<Effect> {
        // Hold one large list at a time: the tab left behind reloads when shown again. The
        // incidents tab keeps deployments (rollback candidates) and vice versa.
        // The deployments tab keeps incidents too (DORA recovery times, links).
        let keep_deployments = matches!(tab, Tab::Incidents | Tab::Deployments);
        match self.tab {
            Tab::Bugs if tab != Tab::Bugs => self.bugs.release(),
            Tab::Incidents if !keep_deployments => self.incidents.release(),
            Tab::Deployments if !keep_deployments => self.deployments.release(),
            Tab::Checklist if tab != Tab::Checklist => self.checklist.release(),
            _ => {}
        }
        if self.tab == Tab::Incidents && !keep_deployments {
            self.deployments.release();
        }
        self.tab = tab;
        self.filtering = false;
        self.detail = None;
        let mut fx = Vec::new();
        if !self.tab_loaded(tab) {
            fx.push(Effect::Reload(tab));
        }
        if tab == Tab::Deployments && !self.incidents.loaded {
            fx.push(Effect::Reload(Tab::Incidents));
        }
        fx.extend(self.detail_effect());
        fx
    }

    /// Number of rows in the focused list's view.
    #[must_use]
    pub fn current_len(&self) -> usize {
        match self.tab {
            Tab::Customers => self.customers.view.len(),
            Tab::Bugs => self.bugs.view.len(),
            Tab::Incidents if self.alerts_focus => self.alerts.view.len(),
            Tab::Incidents => self.incidents.view.len(),
            Tab::Deployments => self.deployments.view.len(),
            Tab::Slos => self.slos.view.len(),
            Tab::Checklist => self.checklist.view.len(),
        }
    }

    fn selected_mut(&mut self) -> &mut usize {
        match self.tab {
            Tab::Customers => &mut self.customers.selected,
            Tab::Bugs => &mut self.bugs.selected,
            Tab::Incidents if self.alerts_focus => &mut self.alerts.selected,
            Tab::Incidents => &mut self.incidents.selected,
            Tab::Deployments => &mut self.deployments.selected,
            Tab::Slos => &mut self.slos.selected,
            Tab::Checklist => &mut self.checklist.selected,
        }
    }

    fn filter_mut(&mut self) -> &mut String {
        match self.tab {
            Tab::Customers => &mut self.customers.filter,
            Tab::Bugs => &mut self.bugs.filter,
            Tab::Incidents if self.alerts_focus => &mut self.alerts.filter,
            Tab::Incidents => &mut self.incidents.filter,
            Tab::Deployments => &mut self.deployments.filter,
            Tab::Slos => &mut self.slos.filter,
            Tab::Checklist => &mut self.checklist.filter,
        }
    }

    fn move_selection(&mut self, delta: isize) -> Vec<Effect> {
        let len = self.current_len();
        if len == 0 {
            return Vec::new();
        }
        let sel = self.selected_mut();
        let next = (isize::try_from(*sel).unwrap_or(0) + delta)
            .clamp(0, isize::try_from(len - 1).unwrap_or(0));
        *sel = usize::try_from(next).unwrap_or(0);
        self.detail = None;
        self.detail_effect()
    }

    fn detail_effect(&self) -> Vec<Effect> {
        match self.tab {
            Tab::Incidents if !self.alerts_focus => self
                .incidents
                .selected_row()
                .map(|r| Effect::LoadDetail(r.entity()))
                .into_iter()
                .collect(),
            Tab::Customers => self
                .customers
                .selected_row()
                .map(|r| Effect::LoadDetail(r.entity()))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    fn half_page(&self) -> isize {
        isize::try_from((self.size.1.saturating_sub(6) / 2).max(1)).unwrap_or(1)
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        // Overlays first: Esc closes them; keys in the outbox/review act there.
        if let Some(fx) = self.overlay_action(action) {
            return fx;
        }
        match action {
            Action::TabCustomers => self.switch_tab(Tab::Customers),
            Action::TabBugs => self.switch_tab(Tab::Bugs),
            Action::TabIncidents => self.switch_tab(Tab::Incidents),
            Action::TabDeployments => self.switch_tab(Tab::Deployments),
            Action::TabSlos => self.switch_tab(Tab::Slos),
            Action::TabChecklist => self.switch_tab(Tab::Checklist),
            Action::NextTab => self.switch_tab(self.tab.next()),
            Action::PrevTab => self.switch_tab(self.tab.prev()),
            Action::SelectNext => self.move_selection(1),
            Action::SelectPrev => self.move_selection(-1),
            Action::SelectFirst => self.move_selection(isize::MIN / 2),
            Action::SelectLast => self.move_selection(isize::MAX / 2),
            Action::HalfPageDown => self.move_selection(self.half_page()),
            Action::HalfPageUp => self.move_selection(-self.half_page()),
            Action::ToggleDetail => {
                self.show_detail = !self.show_detail;
                Vec::new()
            }
            Action::CycleSort => {
                self.cycle_sort();
                Vec::new()
            }
            Action::ToggleMark => {
                self.toggle_mark();
                self.move_selection(1)
            }
            Action::ToggleAlerts if self.tab == Tab::Incidents => {
                self.alerts_focus = !self.alerts_focus;
                self.detail = None;
                self.detail_effect()
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help);
                Vec::new()
            }
            Action::Palette => {
                self.overlay = Some(Overlay::Palette {
                    query: String::new(),
                    selected: 0,
                });
                Vec::new()
            }
            Action::Filter => {
                self.filtering = true;
                Vec::new()
            }
            Action::Refresh => vec![Effect::SyncNow(Some(self.tab_sources()))],
            Action::RefreshAll => vec![Effect::SyncNow(None)],
            Action::Outbox => {
                self.overlay = Some(Overlay::Outbox {
                    entries: Vec::new(),
                    selected: 0,
                });
                vec![Effect::LoadOutbox]
            }
            Action::Sources => {
                self.overlay = Some(Overlay::Sources);
                vec![Effect::ReloadStatus]
            }
            Action::Review => {
                // The numbers freeze here: syncs landing during the walk do not move them.
                self.overlay = Some(Overlay::Review { page: 0 });
                self.review = None;
                vec![Effect::TakeReviewSnapshot]
            }
            Action::Back => {
                if self.filtering {
                    self.filtering = false;
                } else if !self.current_filter().is_empty() {
                    self.filter_mut().clear();
                    self.refresh_views();
                } else if self.tab == Tab::Incidents && self.alerts_focus {
                    self.alerts_focus = false;
                }
                Vec::new()
            }
            Action::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            Action::Undo => self.guard_write().unwrap_or_else(|| vec![Effect::Undo]),
            Action::OpenUrl => self
                .selected_url()
                .map(Effect::OpenUrl)
                .into_iter()
                .collect(),
            Action::CopyUrl => self.selected_url().map(Effect::Copy).into_iter().collect(),
            Action::CopyId => self
                .selected_copy_id()
                .map(Effect::Copy)
                .into_iter()
                .collect(),
            Action::CycleWindow => {
                self.slo_window = (self.slo_window + 1) % SLO_WINDOWS.len();
                Vec::new()
            }
            Action::CycleDoraWindow => {
                let pos = DORA_WINDOWS
                    .iter()
                    .position(|d| *d == self.dora_window_days)
                    .unwrap_or(0);
                self.dora_window_days = DORA_WINDOWS[(pos + 1) % DORA_WINDOWS.len()];
                Vec::new()
            }
            Action::Fold => {
                if let Some(item) = self.checklist.selected_row() {
                    let section = item.section.clone();
                    if !self.folded.remove(&section) {
                        self.folded.insert(section);
                    }
                    self.refresh_views();
                }
                Vec::new()
            }
            Action::FoldAll => {
                let sections: std::collections::BTreeSet<String> = self
                    .checklist
                    .rows
                    .iter()
                    .map(|i| i.section.clone())
                    .collect();
                if self.folded.is_empty() {
                    self.folded = sections
                } else {
                    self.folded.clear()
                }
                self.refresh_views();
                Vec::new()
            }
            Action::OpenOnly => {
                self.open_only = !self.open_only;
                self.refresh_views();
                Vec::new()
            }
            Action::RollbackCandidate => self.jump_to_rollback_candidate(),
            Action::ExportTimeline => self
                .incidents
                .selected_row()
                .map(|i| Effect::ExportIncident(i.id))
                .into_iter()
                .collect(),
            other => self
                .guard_write()
                .unwrap_or_else(|| super::edits::start_edit(self, other)),
        }
    }

    /// Refuses edits in read-only mode with a message.
    fn guard_write(&mut self) -> Option<Vec<Effect>> {
        if let Some(why) = self.cache_gone.clone() {
            self.notice(why, true);
            return Some(Vec::new());
        }
        if self.read_only {
            self.notice(
                "read-only mode: edits are disabled (started with --read-only)".into(),
                true,
            );
            return Some(Vec::new());
        }
        None
    }

    fn current_filter(&self) -> &str {
        match self.tab {
            Tab::Customers => &self.customers.filter,
            Tab::Bugs => &self.bugs.filter,
            Tab::Incidents if self.alerts_focus => &self.alerts.filter,
            Tab::Incidents => &self.incidents.filter,
            Tab::Deployments => &self.deployments.filter,
            Tab::Slos => &self.slos.filter,
            Tab::Checklist => &self.checklist.filter,
        }
    }

    fn cycle_sort(&mut self) {
        fn next<R: RowView>(l: &mut ListState<R>) {
            l.sort = (l.sort + 1) % (R::SORTS.len() + 1);
        }
        match self.tab {
            Tab::Customers => next(&mut self.customers),
            Tab::Bugs => next(&mut self.bugs),
            Tab::Incidents if self.alerts_focus => next(&mut self.alerts),
            Tab::Incidents => next(&mut self.incidents),
            Tab::Deployments => next(&mut self.deployments),
            Tab::Slos => next(&mut self.slos),
            Tab::Checklist => next(&mut self.checklist),
        }
        self.refresh_views();
    }

    fn toggle_mark(&mut self) {
        fn mark<R: RowView>(l: &mut ListState<R>) {
            if let Some(id) = l.selected_row().map(|r| r.entity().id) {
                if !l.marked.remove(&id) {
                    l.marked.insert(id);
                }
            }
        }
        match self.tab {
            Tab::Bugs => mark(&mut self.bugs),
            Tab::Incidents if !self.alerts_focus => mark(&mut self.incidents),
            Tab::Checklist => mark(&mut self.checklist),
            _ => {}
        }
    }

    fn tab_sources(&self) -> Vec<String> {
        let kinds: &[&str] = match self.tab {
            Tab::Bugs => &["github", "jira", "redmine"],
            Tab::Incidents => &["pagerduty", "alertmanager"],
            Tab::Deployments => &["github-deployments"],
            Tab::Slos => &["prometheus"],
            Tab::Checklist => &["checklist"],
            Tab::Customers => &["customers"],
        };
        self.sources
            .iter()
            .filter(|s| kinds.contains(&s.kind.as_str()))
            .map(|s| s.source.clone())
            .collect()
    }

    fn selected_url(&self) -> Option<String> {
        let url = match self.tab {
            Tab::Bugs => self.bugs.selected_row().and_then(RowView::url),
            Tab::Incidents if !self.alerts_focus => {
                self.incidents.selected_row().and_then(RowView::url)
            }
            Tab::Deployments => self.deployments.selected_row().and_then(RowView::url),
            _ => None,
        };
        url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_string)
    }

    fn selected_copy_id(&self) -> Option<String> {
        match self.tab {
            Tab::Customers => self.customers.selected_row().map(RowView::copy_id),
            Tab::Bugs => self.bugs.selected_row().map(RowView::copy_id),
            Tab::Incidents if self.alerts_focus => self.alerts.selected_row().map(RowView::copy_id),
            Tab::Incidents => self.incidents.selected_row().map(RowView::copy_id),
            Tab::Deployments => self.deployments.selected_row().map(RowView::copy_id),
            Tab::Slos => self.slos.selected_row().map(RowView::copy_id),
            Tab::Checklist => self.checklist.selected_row().map(RowView::copy_id),
        }
    }

    /// The latest production deployment to the incident's service that started before it.
    #[must_use]
    pub fn rollback_candidate(
        &self,
        incident: &crate::domain::Incident,
    ) -> Option<&crate::domain::Deployment> {
        self.rollback_index.find(
            &self.deployments.rows,
            &incident.service,
            incident.created_at,
        )
    }

    fn jump_to_rollback_candidate(&mut self) -> Vec<Effect> {
        let Some(incident) = self.incidents.selected_row().cloned() else {
            return Vec::new();
        };
        if !self.deployments.complete {
            // Deployments not loaded yet: load, then the user presses b again.
            self.notice("loading deployments… press b again".into(), false);
            return vec![Effect::Reload(Tab::Deployments)];
        }
        let Some(id) = self.rollback_candidate(&incident).map(|d| d.id) else {
            self.notice(
                format!(
                    "no production deployment to {} before {}",
                    incident.service, incident.external_id
                ),
                true,
            );
            return Vec::new();
        };
        self.tab = Tab::Deployments;
        self.deployments.filter.clear();
        self.refresh_views();
        if let Some(pos) = self
            .deployments
            .view
            .iter()
            .position(|i| self.deployments.rows.get(*i).is_some_and(|d| d.id == id))
        {
            self.deployments.selected = pos;
        }
        self.notice(
            format!(
                "rollback candidate for {} — press b to mark it rolled back",
                incident.external_id
            ),
            false,
        );
        Vec::new()
    }

    fn overlay_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let overlay = self.overlay.as_mut()?;
        match overlay {
            Overlay::Help | Overlay::Sources => {
                if matches!(action, Action::Back | Action::Help | Action::Sources) {
                    self.overlay = None;
                    return Some(Vec::new());
                }
                if action == Action::Quit {
                    return None;
                }
                Some(Vec::new())
            }
            Overlay::Outbox { entries, selected } => {
                let seq = entries.get(*selected).map(|e| e.seq);
                let fx = match action {
                    Action::Back | Action::Outbox => {
                        self.overlay = None;
                        Vec::new()
                    }
                    Action::SelectNext => {
                        *selected = (*selected + 1).min(entries.len().saturating_sub(1));
                        Vec::new()
                    }
                    Action::SelectPrev => {
                        *selected = selected.saturating_sub(1);
                        Vec::new()
                    }
                    Action::RetryEntry => seq
                        .map(|s| Effect::Outbox(s, OutboxCommand::Retry))
                        .into_iter()
                        .collect(),
                    Action::KeepMine => seq
                        .map(|s| Effect::Outbox(s, OutboxCommand::KeepMine))
                        .into_iter()
                        .collect(),
                    Action::TakeTheirs => seq
                        .map(|s| Effect::Outbox(s, OutboxCommand::TakeTheirs))
                        .into_iter()
                        .collect(),
                    Action::DiscardEntry => {
                        if let Some(s) = seq {
                            self.overlay = Some(Overlay::ConfirmDiscard(s));
                        }
                        Vec::new()
                    }
                    Action::Quit => return None,
                    _ => Vec::new(),
                };
                Some(fx)
            }
            Overlay::Review { page } => {
                let pages = crate::review::PAGES.len();
                let fx = match action {
                    // `q` leaves the review, not opsdeck (ctrl-c still quits from anywhere).
                    Action::Back | Action::Review | Action::Quit => {
                        self.overlay = None;
                        Vec::new()
                    }
                    Action::ReviewNext | Action::SelectNext => {
                        *page = (*page + 1).min(pages - 1);
                        Vec::new()
                    }
                    Action::ReviewPrev | Action::SelectPrev => {
                        *page = page.saturating_sub(1);
                        Vec::new()
                    }
                    Action::Note => {
                        let p = *page;
                        self.overlay = Some(Overlay::Prompt(Prompt::Text {
                            title: format!(
                                "note for {} (saved with the week)",
                                crate::review::PAGES[p]
                            ),
                            text: String::new(),
                            then: PromptThen::ReviewNote,
                        }));
                        self.review_page_for_note = Some(p);
                        Vec::new()
                    }
                    Action::ReviewRefresh => vec![Effect::TakeReviewSnapshot],
                    _ => Vec::new(),
                };
                Some(fx)
            }
            _ => None,
        }
    }

    /// Pasted text goes into the open text input (filter, palette, text prompt) and nowhere
    /// else: with no input open, or a yes/no or choice question open, a paste does nothing.
    fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        let accepts = self.filtering
            || matches!(
                self.overlay,
                Some(Overlay::Palette { .. } | Overlay::Prompt(Prompt::Text { .. }))
            );
        if !accepts {
            self.notice("paste ignored: no text field is open".into(), false);
            return Vec::new();
        }
        let clean = crate::sanitize::line(text);
        let mut fx = Vec::new();
        for c in clean.chars() {
            fx.extend(self.on_input(InputKey::Char(c)));
        }
        fx
    }

    fn on_input(&mut self, key: InputKey) -> Vec<Effect> {
        if self.filtering {
            match key {
                InputKey::Char(c) => self.filter_mut().push(c),
                InputKey::Backspace => {
                    self.filter_mut().pop();
                }
                InputKey::Enter | InputKey::Down => self.filtering = false,
                InputKey::Esc => {
                    self.filtering = false;
                    self.filter_mut().clear();
                }
                InputKey::Up => {}
            }
            self.refresh_current_view();
            return self.detail_effect();
        }
        super::edits::on_overlay_input(self, key)
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

fn set_rows<R: RowView>(list: &mut ListState<R>, rows: Vec<R>, complete: bool) {
    // Remember the selected row by identity: the new rows may come in another order.
    list.reselect = list.selected_row().map(RowView::entity).or(list.reselect);
    list.view.clear();
    list.widest_id = rows.iter().map(RowView::id_width).max().unwrap_or(0);
    list.rows = rows;
    list.filtered_for = None;
    list.complete = complete;
    list.loaded = true;
    list.marked
        .retain(|id| list.rows.iter().any(|r| r.entity().id == *id));
}

/// Helpers shared with the edit flows.
impl State {
    /// Commits one edit after an optional confirmation.
    pub(crate) fn commit(&mut self, edits: Vec<Edit>, confirm: Option<String>) -> Vec<Effect> {
        if edits.is_empty() {
            return Vec::new();
        }
        match confirm {
            Some(message) => {
                self.overlay = Some(Overlay::Confirm { message, edits });
                Vec::new()
            }
            None => {
                self.overlay = None;
                vec![Effect::Commit(edits)]
            }
        }
    }
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
