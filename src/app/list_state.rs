//! `ListState`: one list's rows, selection, filter, sort and marks — a full list (the small
//! tabs) or a window of an SQL-ordered list (bugs, incidents, deployments, checklist; see
//! [`super::list_window`]). Read by the UI through `&State`.

use std::collections::BTreeSet;

use super::rows::RowView;

/// A list with selection, filter, sort and marks.
#[derive(Debug, Clone, PartialEq)]
pub struct ListState<R> {
    /// All loaded rows, in the store's default order.
    pub rows: Vec<R>,
    /// Indices into `rows` that pass the filter, in display order.
    pub view: Vec<usize>,
    /// Selected position in `view`.
    pub selected: usize,
    /// Filter text.
    pub filter: String,
    /// Sort column (0 = the store's default order).
    pub sort: usize,
    /// Row ids marked for a bulk action.
    pub marked: BTreeSet<i64>,
    /// All rows are loaded (not just the first page).
    pub complete: bool,
    /// Rows have arrived at least once.
    pub loaded: bool,
    /// The row to keep selected across a reload (its position may change).
    pub reselect: Option<crate::domain::EntityRef>,
    /// The filter `view` was computed for (a longer query only narrows it, so it can start
    /// from `view` instead of every row).
    pub filtered_for: Option<String>,
    /// Display width of the longest id among `rows`, measured when they load.
    pub widest_id: usize,
    /// Row count and widest id of the whole table, known before all rows are (paged tabs).
    pub shape: Option<crate::store::read::ListShape>,
    /// The list is a window of an SQL-ordered list (bugs, incidents, deployments, checklist):
    /// `rows` are `offset..offset + rows.len()` of `total` rows that pass the filter, already
    /// filtered and sorted by the store, and `selected` is absolute. A full list (the small tabs, and
    /// every list a test builds by hand) is a window at offset 0 holding every row.
    pub windowed: bool,
    /// Absolute position of `rows[0]` in the filtered, sorted list (windowed lists).
    pub offset: usize,
    /// Rows passing the filter, counted by SQL (windowed lists).
    pub total: usize,
    /// Generation of the filter and sort: a window reply for an older one is dropped.
    pub generation: u64,
    /// The filter and sort the window's rows were read for.
    pub query_for: Option<crate::store::read::window::ListQuery>,
    /// Where the cursor goes once the window holding it lands (a far jump); until then the
    /// old frame stays, never a wrong row under the cursor.
    pub pending: Option<usize>,
    /// A window to ask the store for, collected by `State::update` into an effect.
    pub want: Option<WindowWant>,
    /// The position a scroll window was asked around and not yet received.
    pub requested: Option<usize>,
    /// Where the cursor was when the newest reload was asked for: keys pressed before its
    /// reply lands still count (the reply places the followed row, the cursor keeps moving).
    pub reload_from: Option<usize>,
    /// Copies of marked rows with their position when marked, so a bulk action reaches a
    /// marked row that has scrolled out of the window (windowed lists).
    pub marked_rows: std::collections::BTreeMap<i64, (usize, R)>,
    /// What hides rows besides the filter (the checklist's `open only` and folds; empty for
    /// the other lists).
    pub hide: crate::store::read::checklist_window::ChecklistHide,
    /// The `hide` the window's rows were read for.
    pub hide_for: Option<crate::store::read::checklist_window::ChecklistHide>,
}

/// A window a list needs from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowWant {
    /// The absolute position to centre the window on.
    pub around: usize,
    /// Keep this row (id, whether it was in the list's working part) selected if it is
    /// still in the list; `None` for a scroll.
    pub follow: Option<(i64, bool)>,
    /// A reload: the reply's position is authoritative (rows changed, or the query did).
    pub reload: bool,
    /// The rows may have changed (not only the filter or sort): read the table's shape too.
    pub shape: bool,
}

impl<R> Default for ListState<R> {
    fn default() -> Self {
        ListState {
            rows: Vec::new(),
            view: Vec::new(),
            selected: 0,
            filter: String::new(),
            sort: 0,
            marked: BTreeSet::new(),
            complete: false,
            loaded: false,
            filtered_for: None,
            reselect: None,
            widest_id: 0,
            shape: None,
            windowed: false,
            offset: 0,
            total: 0,
            generation: 0,
            query_for: None,
            pending: None,
            want: None,
            requested: None,
            reload_from: None,
            marked_rows: std::collections::BTreeMap::new(),
            hide: crate::store::read::checklist_window::ChecklistHide::default(),
            hide_for: None,
        }
    }
}

impl<R: RowView> ListState<R> {
    /// The selected row.
    #[must_use]
    pub fn selected_row(&self) -> Option<&R> {
        self.selected
            .checked_sub(self.offset)
            .and_then(|p| self.view.get(p))
            .and_then(|i| self.rows.get(*i))
    }

    /// Rows in the list the cursor moves over: the SQL count for a window, else the view.
    #[must_use]
    pub fn len(&self) -> usize {
        if self.windowed {
            self.total
        } else {
            self.view.len()
        }
    }

    /// Whether the list has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a screen of `height` rows with the cursor at `target` can be drawn from the
    /// rows in memory (always, for a full list).
    #[must_use]
    pub fn can_show(&self, target: usize, height: usize) -> bool {
        if !self.windowed {
            return true;
        }
        let h = height.max(1);
        let first = if target < h { 0 } else { target + 1 - h };
        first >= self.offset && target < self.offset + self.view.len()
    }

    /// Rows in display order.
    pub fn visible(&self) -> impl Iterator<Item = &R> {
        self.view.iter().filter_map(|i| self.rows.get(*i))
    }

    /// Drops the rows (a hidden tab); counts stay in the tab titles and the rows reload when
    /// the tab is shown again, so memory holds one large list at a time.
    pub fn release(&mut self) {
        self.put_rows(Vec::new(), false, false);
        self.shape = None;
        self.pending = None;
        self.requested = None;
        self.want = None;
    }

    /// Puts `rows` in place of the list's rows, from the top, with the view left to compute
    /// again (a reload, or a hidden tab letting its rows go).
    pub(super) fn put_rows(&mut self, rows: Vec<R>, complete: bool, loaded: bool) {
        self.rows = rows;
        self.view = Vec::new();
        self.offset = 0;
        self.filtered_for = None;
        self.complete = complete;
        self.loaded = loaded;
    }

    /// Rows in the whole list: every loaded row once all are in, else the table's count.
    #[must_use]
    pub fn total_rows(&self) -> usize {
        if self.windowed {
            return self.shape.map_or(self.total, |s| s.rows.max(self.total));
        }
        match self.shape {
            Some(shape) if !self.complete => shape.rows.max(self.rows.len()),
            _ => self.rows.len(),
        }
    }

    /// Rows the title counts as shown: the view, or (while only a first page is in and
    /// nothing hides rows) every row of the table.
    #[must_use]
    pub fn shown_rows(&self) -> usize {
        if self.windowed {
            return self.total;
        }
        if !self.complete && self.view.len() == self.rows.len() {
            self.total_rows()
        } else {
            self.view.len()
        }
    }

    /// The first row a table of `height` rows shows: the selection stays visible (at the
    /// bottom when scrolling down), so drawing costs what is on screen, not the list size.
    #[must_use]
    pub fn window_offset(&self, height: usize) -> usize {
        let h = height.max(1);
        if self.selected < h {
            0
        } else {
            self.selected + 1 - h
        }
    }

    /// The rows of that window, in display order.
    pub fn window(&self, height: usize) -> impl Iterator<Item = &R> {
        let first = self.window_offset(height);
        // A window's rows start at `self.offset` (0 for a full list).
        let skip = first.saturating_sub(self.offset);
        let missing = self.offset.saturating_sub(first);
        self.view
            .iter()
            .skip(skip)
            .take(height.max(1).saturating_sub(missing))
            .filter_map(|i| self.rows.get(*i))
    }
}

/// What the keys that act on "the focused list" need from it, whatever its row type, so one
/// match on the tab (`State::focused`) serves them all.
pub trait FocusedList {
    /// Rows in the list's view (every row that passes the filter, for a window).
    fn view_len(&self) -> usize;
    /// The selected position.
    fn selected_mut(&mut self) -> &mut usize;
    /// The filter text.
    fn filter(&self) -> &str;
    /// The filter text, to edit.
    fn filter_mut(&mut self) -> &mut String;
    /// Moves to the next sort column, back to the default order after the last.
    fn cycle_sort(&mut self);
    /// The id `y` copies for the selected row.
    fn selected_copy_id(&self) -> Option<String>;
}

impl<R: RowView> FocusedList for ListState<R> {
    fn view_len(&self) -> usize {
        self.len()
    }
    fn selected_mut(&mut self) -> &mut usize {
        &mut self.selected
    }
    fn filter(&self) -> &str {
        &self.filter
    }
    fn filter_mut(&mut self) -> &mut String {
        &mut self.filter
    }
    fn cycle_sort(&mut self) {
        self.sort = (self.sort + 1) % (R::SORTS.len() + 1);
    }
    fn selected_copy_id(&self) -> Option<String> {
        self.selected_row().map(RowView::copy_id)
    }
}
