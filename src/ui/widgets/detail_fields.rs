//! Detail-pane lines every tab writes the same way: the `id title` heading, the pending /
//! conflict notice, a timestamp with its age, and a list that shows `—` when empty. Each tab's
//! detail builder calls these instead of repeating the formatting.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::text::{Line, Span};

use super::detail::DetailLines;
use crate::ui::text::{ago, stamp};
use crate::ui::theme::Theme;

impl DetailLines {
    /// A pane holding only `message` (nothing selected).
    #[must_use]
    pub fn none(message: &str) -> DetailLines {
        let mut l = DetailLines::default();
        l.text(message);
        l
    }

    /// The heading of a synced row: `id title`, then its conflict with `remote` (`the
    /// tracker`, `the pager`) or its waiting edit.
    pub fn row_heading(
        &mut self,
        t: Theme,
        (id, title): (&str, &str),
        (conflict, pending): (bool, bool),
        remote: &str,
    ) {
        self.id_title(t, id, title);
        let c = format!("an edit conflicts with {remote} — press O");
        self.edit_state(
            t,
            conflict.then_some(c.as_str()),
            pending.then_some("an edit waits in the outbox"),
        );
    }

    /// The first line: the id in bold, then the title.
    pub fn id_title(&mut self, t: Theme, id: &str, title: &str) {
        self.lines.push(Line::from(vec![
            Span::styled(format!("{id} "), t.bold()),
            Span::raw(title.to_string()),
        ]));
    }

    /// The row's edit state: `conflict` (red, with what to do) or `pending` (yellow).
    pub fn edit_state(&mut self, t: Theme, conflict: Option<&str>, pending: Option<&str>) {
        if let Some(c) = conflict {
            self.styled(t, "conflict", c, t.bad());
        } else if let Some(p) = pending {
            self.styled(t, "pending", p, t.warn());
        }
    }

    /// `label  2026-11-20 14:02 CET (3h ago)`.
    pub fn when(&mut self, t: Theme, label: &str, tz: Tz, now: DateTime<Utc>, at: DateTime<Utc>) {
        self.field(
            t,
            label,
            format!("{} ({} ago)", stamp(tz, at), ago(now, at)),
        );
    }

    /// `label  a, b, c`, or `—` when the list is empty.
    pub fn list(&mut self, t: Theme, label: &str, items: &[String]) {
        let value = if items.is_empty() {
            "—".to_string()
        } else {
            items.join(", ")
        };
        self.field(t, label, value);
    }
}
