//! Windowed lists, the UI side (issue #12): the bugs, incidents, deployments and checklist
//! lists hold a window of a few screens around the cursor; the store thread reads windows,
//! counts and positions in SQL ([`crate::store::read::window`],
//! [`crate::store::read::checklist_window`], whose section figures draw the headings).
//!
//! - Moving inside the window is instant; within a screen and a half of an edge that is not the
//!   list's end, the list asks for a window centred on the cursor (prefetch, so `j`/`k` never
//!   wait). A far jump (`G`, `g`, repeated `ctrl-d`) to rows not in memory keeps the old frame
//!   and moves the cursor when the window holding its target lands.
//! - A new filter or sort bumps the list's generation; replies for an older one are dropped.
//! - A reload keeps the selected row selected by identity, or (if it left the working part,
//!   or the list) the cursor at its position — the same rule as full lists.
//!
//! Lists ask by setting `ListState::want`; `State::update` turns wants into
//! [`Effect::LoadWindow`] after every message, so key handlers need no access to the runtime.

use super::msg::{Effect, Rows, WindowReply, WindowRequest};
use super::rows::RowView;
use super::state::{ListState, State, WindowWant};
use crate::domain::Tab;
use crate::store::read::window::{ListQuery, WINDOW_ROWS};

/// Whether a window at `offset` of `len` rows can draw a screen of `height` with the cursor at
/// `target` (the screen keeps the cursor on its last row when scrolled).
fn shows(offset: usize, len: usize, target: usize, height: usize) -> bool {
    let h = height.max(1);
    let first = if target < h { 0 } else { target + 1 - h };
    first >= offset && target < offset + len
}

impl<R: RowView + Clone> ListState<R> {
    /// The filter and sort as the store reads them.
    #[must_use]
    pub fn query(&self) -> ListQuery {
        ListQuery {
            filter: self.filter.trim().to_string(),
            sort: self.sort,
        }
    }

    /// Moves a windowed list's cursor to `target` (already clamped to the list): now if the
    /// window can show it, else once the window holding it lands.
    pub(super) fn move_to(&mut self, target: usize, screen: usize) {
        if self.can_show(target, screen) {
            self.selected = target;
            self.pending = None;
            self.prefetch(screen);
        } else {
            self.pending = Some(target);
            self.want = Some(WindowWant {
                around: target,
                follow: None,
                reload: false,
                shape: false,
            });
        }
    }

    /// Asks for the window around the cursor when it comes near an edge of the one in memory.
    fn prefetch(&mut self, screen: usize) {
        if !self.windowed || self.requested.is_some() || self.want.is_some() {
            return;
        }
        let margin = screen + screen / 2;
        let end = self.offset + self.view.len();
        let near_top = self.offset > 0 && self.selected < self.offset + margin;
        let near_bottom = end < self.total && self.selected + margin >= end;
        if near_top || near_bottom {
            self.want = Some(WindowWant {
                around: self.selected,
                follow: None,
                reload: false,
                shape: false,
            });
        }
    }

    /// After the filter or sort changed: a new generation and a window for it, keeping the
    /// selected row if it still passes (else the position).
    pub(super) fn requery(&mut self) {
        if self.query_for.as_ref() == Some(&self.query())
            && self.hide_for.as_ref() == Some(&self.hide)
        {
            return;
        }
        self.generation += 1;
        let follow = self.selected_row().map(|r| (r.entity().id, false));
        let around = self.pending.take().unwrap_or(self.selected);
        self.want = Some(WindowWant {
            around,
            follow,
            reload: true,
            shape: false,
        });
    }

    /// A reload: the same query, the selected row followed by identity.
    fn reload_want(&mut self) -> WindowWant {
        let follow = self
            .reselect
            .take()
            .map(|e| (e.id, false))
            .or_else(|| self.selected_row().map(|r| (r.entity().id, r.is_active())));
        WindowWant {
            around: self.pending.unwrap_or(self.selected),
            follow,
            reload: true,
            shape: true,
        }
    }

    /// The effect that reloads this list, the window of `tab` on a `screen` rows high.
    fn reload_request(&mut self, tab: Tab, screen: usize) -> Effect {
        let want = self.reload_want();
        Effect::LoadWindow(self.request(tab, want, screen))
    }

    fn request(&mut self, tab: Tab, want: WindowWant, screen: usize) -> WindowRequest {
        let query = self.query();
        self.query_for = Some(query.clone());
        self.hide_for = Some(self.hide.clone());
        if want.reload {
            self.reload_from = Some(want.around);
        } else {
            self.requested = Some(want.around);
        }
        WindowRequest {
            tab,
            generation: self.generation,
            query,
            around: want.around,
            // The first window of a tab is two screens (the first frame reads little); the
            // prefetch brings the full window before the cursor gets near its end.
            rows: if self.loaded {
                WINDOW_ROWS.max(4 * screen)
            } else {
                (2 * screen).max(60)
            },
            follow: want.follow,
            reload: want.reload,
            shape: want.shape,
            hide: self.hide.clone(),
        }
    }

    /// Where the cursor belongs when a reload reply places the followed row at `placed` but
    /// the user moved the cursor after asking (`j j` while a sync's reload was in flight):
    /// on the row now under the cursor if the reply holds it, else as far from `placed` as
    /// the cursor moved. `None` when the cursor did not move.
    fn moved_since_reload(
        &mut self,
        offset: usize,
        total: usize,
        rows: &[R],
        placed: usize,
    ) -> Option<usize> {
        let asked_at = self.reload_from.take()?;
        let now = self.pending.unwrap_or(self.selected);
        if now == asked_at || !self.loaded || total == 0 {
            return None;
        }
        if self.pending.is_none() {
            if let Some(id) = self.selected_row().map(|r| r.entity().id) {
                if let Some(i) = rows.iter().position(|r| r.entity().id == id) {
                    return Some(offset + i);
                }
            }
        }
        let moved = placed.saturating_add(now).saturating_sub(asked_at);
        Some(moved.min(total - 1))
    }

    /// Takes a window of rows; `false` if it was stale (another generation, or a scroll reply
    /// that cannot show where the cursor is going — a newer request is then made).
    pub(super) fn apply_window(
        &mut self,
        reply_generation: u64,
        offset: usize,
        total: usize,
        rows: Vec<R>,
        select: Option<usize>,
        screen: usize,
    ) -> bool {
        if reply_generation != self.generation {
            return false;
        }
        let mut went_on = None;
        let target = match select {
            Some(t) => match self.moved_since_reload(offset, total, &rows, t) {
                Some(moved) if shows(offset, rows.len(), moved, screen) => moved,
                Some(moved) => {
                    // The cursor went on past this window: place it once that window lands.
                    self.want = Some(WindowWant {
                        around: moved,
                        follow: None,
                        reload: false,
                        shape: false,
                    });
                    went_on = Some(moved);
                    t
                }
                None => t,
            },
            None => {
                self.requested = None;
                let t = self.pending.unwrap_or(self.selected);
                if !shows(offset, rows.len(), t, screen) {
                    if self.pending.is_some() {
                        self.want = Some(WindowWant {
                            around: t,
                            follow: None,
                            reload: false,
                            shape: false,
                        });
                    }
                    return false;
                }
                t
            }
        };
        let marked = &self.marked;
        self.marked_rows.retain(|id, _| marked.contains(id));
        for (i, r) in rows.iter().enumerate() {
            let id = r.entity().id;
            if self.marked.contains(&id) {
                self.marked_rows.insert(id, (offset + i, r.clone()));
            }
        }
        self.complete = offset == 0 && rows.len() >= total && self.query().filter.is_empty();
        self.view = (0..rows.len()).collect();
        self.rows = rows;
        self.offset = offset;
        self.total = total;
        self.windowed = true;
        self.loaded = true;
        self.filtered_for = None;
        self.selected = target.min(total.saturating_sub(1));
        self.pending = went_on;
        if select.is_some() {
            self.requested = None;
        }
        // The query may have changed while this was read.
        if self.query_for.as_ref() != Some(&self.query())
            || self.hide_for.as_ref() != Some(&self.hide)
        {
            self.requery();
        }
        true
    }
}

impl State {
    /// Rows a table can show at most: the terminal's height.
    #[must_use]
    pub fn screen_rows(&self) -> usize {
        usize::from(self.size.1).max(1)
    }

    /// The effect that reloads `tab`: a window request for the paged tabs, else
    /// [`Effect::Reload`]. The runtime bridge sends this for every `Effect::Reload`.
    pub fn reload_effect(&mut self, tab: Tab) -> Effect {
        let screen = self.screen_rows();
        match tab {
            Tab::Bugs => self.bugs.reload_request(tab, screen),
            Tab::Incidents => self.incidents.reload_request(tab, screen),
            Tab::Deployments => self.deployments.reload_request(tab, screen),
            Tab::Checklist => self.checklist.reload_request(tab, screen),
            other => Effect::Reload(other),
        }
    }

    /// Turns the lists' window wants into effects (after every message).
    pub(super) fn collect_windows(&mut self, fx: &mut Vec<Effect>) {
        let screen = self.screen_rows();
        if let Some(w) = self.bugs.want.take() {
            fx.push(Effect::LoadWindow(self.bugs.request(Tab::Bugs, w, screen)));
        }
        if let Some(w) = self.incidents.want.take() {
            fx.push(Effect::LoadWindow(self.incidents.request(
                Tab::Incidents,
                w,
                screen,
            )));
        }
        if let Some(w) = self.deployments.want.take() {
            fx.push(Effect::LoadWindow(self.deployments.request(
                Tab::Deployments,
                w,
                screen,
            )));
        }
        if let Some(w) = self.checklist.want.take() {
            fx.push(Effect::LoadWindow(self.checklist.request(
                Tab::Checklist,
                w,
                screen,
            )));
        }
    }

    /// A window arrived.
    pub(super) fn on_window(&mut self, reply: WindowReply) -> Vec<Effect> {
        let screen = self.screen_rows();
        let before = self.selected_entity();
        let WindowReply {
            generation,
            offset,
            total,
            rows,
            shape,
            select,
            reload,
        } = reply;
        let tab = rows.tab();
        let applied = match rows {
            Rows::Bugs(r) => {
                let ok = self
                    .bugs
                    .apply_window(generation, offset, total, r, select, screen);
                set_shape(&mut self.bugs, shape, ok);
                ok
            }
            Rows::Incidents(r, alerts) => {
                let ok = self
                    .incidents
                    .apply_window(generation, offset, total, r, select, screen);
                set_shape(&mut self.incidents, shape, ok);
                if reload {
                    super::update::set_full(&mut self.alerts, alerts);
                    super::filter::refresh_view(&mut self.alerts, |_| true);
                }
                if ok && self.incidents.complete {
                    self.incident_figures = Some(super::state::IncidentFigures::compute(
                        &self.incidents.rows,
                        self.now,
                    ));
                }
                ok
            }
            Rows::Deployments(r) => {
                let ok = self
                    .deployments
                    .apply_window(generation, offset, total, r, select, screen);
                set_shape(&mut self.deployments, shape, ok);
                if ok {
                    self.rollback_index = if self.deployments.complete {
                        super::rollback::RollbackIndex::build(&self.deployments.rows)
                    } else {
                        super::rollback::RollbackIndex::default()
                    };
                }
                ok
            }
            Rows::Checklist(docs, r) => {
                let ok = self
                    .checklist
                    .apply_window(generation, offset, total, r, select, screen);
                if ok {
                    self.checklist_docs = docs;
                }
                ok
            }
            _ => false,
        };
        if applied && tab == self.tab && self.selected_entity() != before {
            self.detail = None;
            self.detail_effect()
        } else {
            Vec::new()
        }
    }

    fn selected_entity(&self) -> Option<crate::domain::EntityRef> {
        match self.tab {
            Tab::Bugs => self.bugs.selected_row().map(RowView::entity),
            Tab::Incidents if !self.alerts_focus => {
                self.incidents.selected_row().map(RowView::entity)
            }
            Tab::Deployments => self.deployments.selected_row().map(RowView::entity),
            Tab::Checklist => self.checklist.selected_row().map(RowView::entity),
            _ => None,
        }
    }
}

fn set_shape<R>(
    list: &mut ListState<R>,
    shape: Option<crate::store::read::ListShape>,
    applied: bool,
) {
    if let (true, Some(s)) = (applied, shape) {
        list.shape = Some(s);
        list.widest_id = s.widest_id;
    }
}

#[cfg(test)]
mod tests {
    use super::shows;

    #[test]
    fn a_window_shows_a_screen_only_with_the_rows_above_the_cursor() {
        assert!(shows(0, 240, 10, 40));
        assert!(shows(100, 240, 139, 40));
        assert!(!shows(100, 240, 138, 40), "row 99 would be on screen");
        assert!(!shows(100, 240, 340, 40), "past the window");
    }
}
