//! The six tabs. Each tab file holds its column spec (for
//! [`ListTable`](crate::ui::widgets::data_table::ListTable)) and its detail pane, drawn from
//! `&State`; wide and narrow column sets are chosen from the list's width. Tabs import
//! widgets, never the reverse.

pub mod bugs;
pub mod checklist;
pub mod checklist_layout;
pub mod customers;
pub mod deployments;
pub mod incidents;
pub mod slos;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::app::state::State;
use crate::domain::Tab;
use crate::ui::theme::Theme;
use crate::ui::widgets::detail::DetailLines;

/// The active tab's body.
pub struct TabView<'a> {
    /// The state.
    pub state: &'a State,
    /// The theme.
    pub theme: Theme,
}

impl Widget for &TabView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let (s, t) = (self.state, self.theme);
        match s.tab {
            Tab::Customers => customers::render(s, t, area, buf),
            Tab::Bugs => bugs::render(s, t, area, buf),
            Tab::Incidents => incidents::render(s, t, area, buf),
            Tab::Deployments => deployments::render(s, t, area, buf),
            Tab::Slos => slos::render(s, t, area, buf),
            Tab::Checklist => checklist::render(s, t, area, buf),
        }
    }
}

/// The focused list's selected row with no line limit, for the full-screen detail: the same
/// builders as the side panes, with every timeline event, note and body line.
#[must_use]
pub fn full_detail(state: &State, t: Theme) -> (&'static str, DetailLines) {
    match state.tab {
        Tab::Customers => ("Customer", customers::detail(state, t, true)),
        Tab::Bugs => ("Bug", bugs::detail(state, t, true)),
        Tab::Incidents if state.alerts_focus => ("Alert", incidents::alert_detail(state, t, true)),
        Tab::Incidents => ("Incident", incidents::detail(state, t, true)),
        Tab::Deployments => ("DORA & deployment", deployments::detail(state, t)),
        Tab::Slos => ("SLO", slos::full_detail(state, t)),
        Tab::Checklist => ("Checklist item", checklist::full_detail(state, t)),
    }
}
