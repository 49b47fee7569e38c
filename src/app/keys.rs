//! Key dispatch: what an [`Action`] from the keymap does to the lists and tabs (selection,
//! tab switches, sort, marks, filters, jumps), and the per-tab lookups it needs. Overlays get
//! the action first ([`super::overlay_keys`]); edits start in [`super::edits`].

use super::action::Action;
use super::list_state::FocusedList;
use super::msg::Effect;
use super::rows::RowView;
use super::state::{ListState, Overlay, State, DORA_WINDOWS, SLO_WINDOWS};
use crate::domain::Tab;

impl State {
    pub(super) fn switch_tab(&mut self, tab: Tab) -> Vec<Effect> {
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

    /// The focused list (the alert section when it has focus).
    pub(super) fn focused(&self) -> &dyn FocusedList {
        match self.tab {
            Tab::Customers => &self.customers,
            Tab::Bugs => &self.bugs,
            Tab::Incidents if self.alerts_focus => &self.alerts,
            Tab::Incidents => &self.incidents,
            Tab::Deployments => &self.deployments,
            Tab::Slos => &self.slos,
            Tab::Checklist => &self.checklist,
        }
    }

    /// The focused list, to change.
    fn focused_mut(&mut self) -> &mut dyn FocusedList {
        match self.tab {
            Tab::Customers => &mut self.customers,
            Tab::Bugs => &mut self.bugs,
            Tab::Incidents if self.alerts_focus => &mut self.alerts,
            Tab::Incidents => &mut self.incidents,
            Tab::Deployments => &mut self.deployments,
            Tab::Slos => &mut self.slos,
            Tab::Checklist => &mut self.checklist,
        }
    }

    /// Number of rows in the focused list's view.
    #[must_use]
    pub fn current_len(&self) -> usize {
        self.focused().view_len()
    }

    fn selected_mut(&mut self) -> &mut usize {
        self.focused_mut().selected_mut()
    }

    pub(super) fn filter_mut(&mut self) -> &mut String {
        self.focused_mut().filter_mut()
    }

    fn move_selection(&mut self, delta: isize) -> Vec<Effect> {
        let len = self.current_len();
        if len == 0 {
            return Vec::new();
        }
        if let Some(fx) = self.move_in_window(delta, len) {
            return fx;
        }
        let sel = self.selected_mut();
        let next = (isize::try_from(*sel).unwrap_or(0) + delta)
            .clamp(0, isize::try_from(len - 1).unwrap_or(0));
        *sel = usize::try_from(next).unwrap_or(0);
        self.detail = None;
        self.detail_effect()
    }

    /// Moves the cursor of a windowed list (`None` for a full list): from where it is going
    /// if a far jump is still loading, so keys pressed meanwhile add up.
    fn move_in_window(&mut self, delta: isize, len: usize) -> Option<Vec<Effect>> {
        fn step<R: RowView + Clone>(
            l: &mut ListState<R>,
            delta: isize,
            len: usize,
            screen: usize,
        ) -> Option<bool> {
            if !l.windowed {
                return None;
            }
            let base = l.pending.unwrap_or(l.selected);
            let target = (isize::try_from(base).unwrap_or(0).saturating_add(delta))
                .clamp(0, isize::try_from(len - 1).unwrap_or(0));
            let before = l.selected;
            l.move_to(usize::try_from(target).unwrap_or(0), screen);
            Some(l.selected != before)
        }
        let screen = self.screen_rows();
        let moved = match self.tab {
            Tab::Bugs => step(&mut self.bugs, delta, len, screen),
            Tab::Incidents if !self.alerts_focus => step(&mut self.incidents, delta, len, screen),
            Tab::Deployments => step(&mut self.deployments, delta, len, screen),
            Tab::Checklist => step(&mut self.checklist, delta, len, screen),
            _ => None,
        }?;
        if !moved {
            return Some(Vec::new());
        }
        self.detail = None;
        Some(self.detail_effect())
    }

    pub(super) fn detail_effect(&self) -> Vec<Effect> {
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

    pub(super) fn on_action(&mut self, action: Action) -> Vec<Effect> {
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
            Action::OpenDetail => {
                // The row stays selected underneath, so Esc comes back to it.
                if self.current_len() > 0 {
                    self.overlay = Some(Overlay::Detail { scroll: 0 });
                    self.detail_max_scroll.set(usize::MAX);
                }
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
                self.help_over = None;
                self.overlay = Some(Overlay::help());
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
                self.review_scroll_rows = 0;
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
                // A window holds some sections' items; the SQL figures name every section.
                let sections: std::collections::BTreeSet<String> =
                    match (&self.checklist_sections, self.checklist.windowed) {
                        (Some(all), true) => all.iter().map(|s| s.section.clone()).collect(),
                        _ => self
                            .checklist
                            .rows
                            .iter()
                            .map(|i| i.section.clone())
                            .collect(),
                    };
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
    pub(super) fn guard_write(&mut self) -> Option<Vec<Effect>> {
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

    /// The filter text of the focused list (the alert section's when it has focus).
    #[must_use]
    pub fn current_filter(&self) -> &str {
        self.focused().filter()
    }

    fn cycle_sort(&mut self) {
        self.focused_mut().cycle_sort();
        self.refresh_views();
    }

    fn toggle_mark(&mut self) {
        fn mark<R: RowView + Clone>(l: &mut ListState<R>) {
            if let Some(row) = l.selected_row().cloned() {
                let id = row.entity().id;
                if l.marked.remove(&id) {
                    l.marked_rows.remove(&id);
                } else {
                    l.marked.insert(id);
                    if l.windowed {
                        l.marked_rows.insert(id, (l.selected, row));
                    }
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
        self.focused().selected_copy_id()
    }

    /// The latest production deployment to the incident's service that started before it.
    #[must_use]
    pub fn rollback_candidate(
        &self,
        incident: &crate::domain::Incident,
    ) -> Option<&crate::domain::Deployment> {
        if self.deployments.complete {
            return self.rollback_index.find(
                &self.deployments.rows,
                &incident.service,
                incident.created_at,
            );
        }
        match &self.rollback_hint {
            Some((id, candidate)) if *id == incident.id => candidate.as_ref(),
            _ => None,
        }
    }

    fn jump_to_rollback_candidate(&mut self) -> Vec<Effect> {
        let Some(incident) = self.incidents.selected_row().cloned() else {
            return Vec::new();
        };
        if !self.deployments.complete {
            // Deployments not loaded: go to the tab and select the candidate when it loads.
            let Some(candidate) = self.rollback_candidate(&incident).map(|d| d.entity()) else {
                self.notice(
                    format!(
                        "no production deployment to {} before {} (or still loading)",
                        incident.service, incident.external_id
                    ),
                    true,
                );
                return Vec::new();
            };
            let mut fx = self.switch_tab(Tab::Deployments);
            self.deployments.filter.clear();
            self.deployments.reselect = Some(candidate);
            if !fx.contains(&Effect::Reload(Tab::Deployments)) {
                fx.push(Effect::Reload(Tab::Deployments));
            }
            return fx;
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
}
