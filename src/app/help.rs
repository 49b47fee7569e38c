//! Finding keys, as data: the lines the `?` help shows for the current scope and a search, how
//! far help and the full-screen detail may scroll and what their keys do, the 4–6 keys the
//! hint footer offers per list, and each action's primary key (palette, hints).
//!
//! Everything is read from `State::bindings` (the live keymap), so a rebinding in config shows
//! everywhere. The UI (`ui::widgets::help`, `ui::widgets::hints`) only lays these out.

use super::action::Action;
use super::msg::{Effect, InputKey};
use super::state::{Overlay, State};
use crate::app::keymap::{Context, KeySeq, Keymap};

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A scope heading (`incidents: this view`, `global: everywhere`).
    Heading(String),
    /// A key and what it does.
    Key {
        /// The key as written in config (`ctrl-d`, `g g`).
        key: String,
        /// The action's config name.
        name: &'static str,
        /// What it does.
        text: &'static str,
    },
}

/// Rows of the help box that are not entries: the screen margin (2), the borders (2), the
/// search line (1) and the footer (1).
pub const HELP_CHROME_ROWS: u16 = 6;

/// How many entry lines help shows on a terminal `height` rows high.
#[must_use]
pub fn help_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(HELP_CHROME_ROWS)).max(1)
}

fn heading(scope: &str, current: bool) -> String {
    match scope {
        "global" => "global: everywhere".to_string(),
        "list" => "lists: every tab".to_string(),
        "alerts" => "alerts: this section".to_string(),
        s if current => format!("{s}: this view"),
        s => format!("{s}: on that tab"),
    }
}

fn matches(query: &str, key: &KeySeq, action: Action) -> bool {
    query.is_empty()
        || key.to_string().to_lowercase().contains(query)
        || action.name().contains(query)
        || action.description().to_lowercase().contains(query)
}

/// Groups `(scope, key, action)` runs by scope into `out`, keeping only matching keys and
/// skipping scopes in `seen`; returns the scopes it went through.
fn push_groups(
    out: &mut Vec<HelpLine>,
    bindings: &[(String, KeySeq, Action)],
    query: &str,
    seen: &[String],
    current: bool,
) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for (scope, _, _) in bindings {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    for scope in &scopes {
        if seen.contains(scope) {
            continue;
        }
        // In action order (`Action::ALL`), so `j` and `down` sit together.
        let mut bound: Vec<&(String, KeySeq, Action)> = bindings
            .iter()
            .filter(|(s, k, a)| s == scope && matches(query, k, *a))
            .collect();
        bound.sort_by_key(|(_, _, a)| *a);
        let keys: Vec<HelpLine> = bound
            .into_iter()
            .map(|(_, k, a)| HelpLine::Key {
                key: k.to_string(),
                name: a.name(),
                text: a.description(),
            })
            .collect();
        if !keys.is_empty() {
            out.push(HelpLine::Heading(heading(scope, current)));
            out.extend(keys);
        }
    }
    scopes
}

/// The help lines: the current scope's bindings first, then the lists' and the global ones;
/// with a search, only matching keys, plus matches from the other tabs (so `silence` is found
/// from any tab and says where it works).
#[must_use]
pub fn help_lines(state: &State, query: &str) -> Vec<HelpLine> {
    let query = query.trim().to_lowercase();
    let ctx = state.key_context();
    let mut out = Vec::new();
    let mut seen = push_groups(&mut out, state.bindings_for(ctx), &query, &[], true);
    if !query.is_empty() {
        for (c, b) in &state.bindings {
            if *c != ctx {
                let more = push_groups(&mut out, b, &query, &seen, false);
                seen.extend(more);
            }
        }
    }
    out
}

/// The largest first line help can start at for `query` (the last page ends on the last line).
#[must_use]
pub fn help_max_scroll(state: &State, query: &str) -> usize {
    help_lines(state, query)
        .len()
        .saturating_sub(help_rows(state.size.1))
}

/// Lines a scroll key moves by, given the visible rows: `None` for keys that do not scroll.
fn scroll_to(action: Action, scroll: usize, rows: usize, max: usize) -> Option<usize> {
    let half = (rows / 2).max(1);
    let to = match action {
        Action::SelectNext => scroll.saturating_add(1),
        Action::SelectPrev => scroll.saturating_sub(1),
        Action::HalfPageDown => scroll.saturating_add(half),
        Action::HalfPageUp => scroll.saturating_sub(half),
        Action::SelectFirst => 0,
        Action::SelectLast => max,
        _ => return None,
    };
    Some(to.min(max))
}

impl Overlay {
    /// Help as it opens: at the top, with no search.
    #[must_use]
    pub fn help() -> Overlay {
        Overlay::Help {
            scroll: 0,
            query: String::new(),
            searching: false,
        }
    }
}

impl State {
    /// An action while help is open (None: not open). Scroll keys scroll, `/` starts a search,
    /// `Esc` clears the search and a second `Esc` (or `?`, or `q`) closes; nothing reaches the
    /// list behind it.
    pub(super) fn help_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let Some(Overlay::Help { scroll, query, .. }) = &self.overlay else {
            return None;
        };
        let (old, query) = (*scroll, query.clone());
        let max = help_max_scroll(self, &query);
        let rows = help_rows(self.size.1);
        if let Some(to) = scroll_to(action, old, rows, max) {
            if let Some(Overlay::Help { scroll, .. }) = &mut self.overlay {
                *scroll = to;
            }
            return Some(Vec::new());
        }
        match action {
            Action::Filter => {
                if let Some(Overlay::Help { searching, .. }) = &mut self.overlay {
                    *searching = true;
                }
            }
            Action::Back if !query.is_empty() => self.overlay = Some(Overlay::help()),
            Action::Back | Action::Help | Action::Quit => {
                self.overlay = self.help_over.take().map(|o| *o);
            }
            _ => {}
        }
        Some(Vec::new())
    }

    /// Opens help over the outbox, the review or the full-screen detail: closing it goes back
    /// to them (and over the outbox or review, it lists their keys).
    pub(super) fn open_help_over_overlay(&mut self) {
        self.help_over = self.overlay.take().map(Box::new);
        self.overlay = Some(Overlay::help());
    }

    /// A key typed into help's search: it filters as you type, `Enter` keeps the result to
    /// scroll with `j`/`k`, `Esc` clears it.
    pub(super) fn help_input(&mut self, key: InputKey) -> Vec<Effect> {
        let Some(Overlay::Help {
            scroll,
            query,
            searching,
        }) = &mut self.overlay
        else {
            return Vec::new();
        };
        match key {
            InputKey::Char(c) => {
                query.push(c);
                *scroll = 0;
            }
            InputKey::Backspace => {
                query.pop();
                *scroll = 0;
            }
            InputKey::Enter => *searching = false,
            InputKey::Esc => {
                query.clear();
                *searching = false;
                *scroll = 0;
            }
            InputKey::Down => *scroll = scroll.saturating_add(1),
            InputKey::Up => *scroll = scroll.saturating_sub(1),
            #[allow(unreachable_patterns, reason = "input keys may grow (editing keys)")]
            _ => {}
        }
        let query = query.clone();
        let max = help_max_scroll(self, &query);
        if let Some(Overlay::Help { scroll, .. }) = &mut self.overlay {
            *scroll = (*scroll).min(max);
        }
        Vec::new()
    }

    /// An action while the full-screen detail is open (None: not open). Only scrolling,
    /// closing (`Esc`/`q`/`enter`) and help act; every other key is ignored, so nothing edits
    /// or moves the list behind the detail.
    pub(super) fn detail_action(&mut self, action: Action) -> Option<Vec<Effect>> {
        let Some(Overlay::Detail { scroll }) = &self.overlay else {
            return None;
        };
        let old = *scroll;
        // The body between the tab bar and the footer lines, inside the pane's borders.
        let chrome = 1 + u16::from(self.demo) + u16::from(self.key_hints) + 1 + 2;
        let rows = usize::from(self.size.1.saturating_sub(chrome)).max(1);
        let max = self.detail_max_scroll.get();
        if let Some(to) = scroll_to(action, old, rows, max) {
            self.overlay = Some(Overlay::Detail { scroll: to });
            return Some(Vec::new());
        }
        match action {
            Action::Back | Action::Quit | Action::OpenDetail => self.overlay = None,
            // Help lists the list's keys; closing it comes back here.
            Action::Help => self.open_help_over_overlay(),
            _ => {}
        }
        Some(Vec::new())
    }
}

/// The keys the hint footer offers, per keymap scope (the names of `[keys.*]` in config), most
/// useful first, with a short label: one row a hint, as the default key table
/// ([`crate::app::keymap::DEFAULTS`]) is one row a binding.
const HINTS: &[(&str, Action, &str)] = &[
    ("customers", Action::Help, "help"),
    ("customers", Action::Edit, "edit"),
    ("customers", Action::RecordNps, "NPS"),
    ("customers", Action::Note, "note"),
    ("customers", Action::OpenDetail, "open"),
    ("customers", Action::Filter, "filter"),
    ("bugs", Action::Help, "help"),
    ("bugs", Action::SetPriority, "priority"),
    ("bugs", Action::Assign, "assign"),
    ("bugs", Action::CloseBug, "close"),
    ("bugs", Action::Comment, "comment"),
    ("bugs", Action::OpenDetail, "open"),
    ("alerts", Action::Help, "help"),
    ("alerts", Action::Silence, "silence"),
    ("alerts", Action::ExpireSilence, "expire silence"),
    ("alerts", Action::ToggleAlerts, "incidents"),
    ("alerts", Action::OpenDetail, "open"),
    ("alerts", Action::Filter, "filter"),
    ("incidents", Action::Help, "help"),
    ("incidents", Action::Acknowledge, "ack"),
    ("incidents", Action::Resolve, "resolve"),
    ("incidents", Action::Note, "note"),
    ("incidents", Action::ToggleAlerts, "alerts"),
    ("incidents", Action::OpenDetail, "open"),
    ("deployments", Action::Help, "help"),
    ("deployments", Action::MarkRolledBack, "rolled back"),
    ("deployments", Action::LinkIncident, "link"),
    ("deployments", Action::RecordDeployment, "record"),
    ("deployments", Action::CycleDoraWindow, "window"),
    ("deployments", Action::OpenDetail, "open"),
    ("slos", Action::Help, "help"),
    ("slos", Action::CycleWindow, "window"),
    ("slos", Action::CycleSort, "sort"),
    ("slos", Action::Filter, "filter"),
    ("slos", Action::OpenDetail, "open"),
    ("slos", Action::Refresh, "refresh"),
    ("checklist", Action::Help, "help"),
    ("checklist", Action::ToggleItem, "check"),
    ("checklist", Action::AddBelow, "add"),
    ("checklist", Action::Edit, "edit"),
    ("checklist", Action::Fold, "fold"),
    ("checklist", Action::OpenDetail, "open"),
    ("outbox", Action::Help, "help"),
    ("outbox", Action::RetryEntry, "retry"),
    ("outbox", Action::KeepMine, "keep mine"),
    ("outbox", Action::TakeTheirs, "take theirs"),
    ("outbox", Action::DiscardEntry, "discard"),
    ("outbox", Action::Back, "close"),
    ("review", Action::Help, "help"),
    ("review", Action::ReviewNext, "next"),
    ("review", Action::ReviewPrev, "prev"),
    ("review", Action::Note, "note"),
    ("review", Action::Back, "leave"),
];

/// The keys the hint footer offers in a context, most useful first, with a short label.
pub fn hint_actions(ctx: Context) -> impl Iterator<Item = (Action, &'static str)> {
    let scope = Keymap::own_scope(ctx);
    HINTS
        .iter()
        .filter(move |(s, _, _)| *s == scope)
        .map(|(_, a, label)| (*a, *label))
}

/// The key an action is best known by in `bindings`: the first binding made only of plain
/// keys (`q` rather than `ctrl-c`), else the first binding.
#[must_use]
pub fn primary_key(bindings: &[(String, KeySeq, Action)], action: Action) -> Option<KeySeq> {
    let bound = || bindings.iter().filter(|(_, _, a)| *a == action);
    bound()
        .find(|(_, k, _)| k.0.iter().all(|key| !key.ctrl && !key.alt))
        .or_else(|| bound().next())
        .map(|(_, k, _)| k.clone())
}

/// The footer's hints for the focused list: `(key, label)` from the live keymap; actions the
/// user unbound are left out.
#[must_use]
pub fn key_hints(state: &State) -> Vec<(String, &'static str)> {
    let ctx = state.key_context();
    let bindings = state.bindings_for(ctx);
    hint_actions(ctx)
        .filter_map(|(a, label)| primary_key(bindings, a).map(|k| (k.to_string(), label)))
        .collect()
}

/// Keeps the first occurrence of each action (the palette lists an action once even when
/// several keys are bound to it).
pub fn dedup_actions(actions: &mut Vec<Action>) {
    let mut seen = std::collections::BTreeSet::new();
    actions.retain(|a| seen.insert(*a));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Tab;

    #[test]
    fn every_view_offers_help_first_and_every_hint_row_is_shown_by_some_view() {
        let mut contexts: Vec<Context> = Tab::ALL.iter().map(|t| Context::Tab(*t, false)).collect();
        contexts.extend([
            Context::Tab(Tab::Incidents, true),
            Context::Outbox,
            Context::Review,
        ]);
        for ctx in &contexts {
            let hints: Vec<_> = hint_actions(*ctx).collect();
            assert!((5..=6).contains(&hints.len()), "{ctx:?}: {hints:?}");
            assert_eq!(hints.first(), Some(&(Action::Help, "help")), "{ctx:?}");
        }
        let scopes: Vec<&str> = contexts.iter().map(|c| Keymap::own_scope(*c)).collect();
        let unshown: Vec<_> = HINTS
            .iter()
            .filter(|(s, _, _)| !scopes.contains(s))
            .collect();
        assert!(unshown.is_empty(), "hint rows no view shows: {unshown:?}");
        let alerts: Vec<_> = hint_actions(Context::Tab(Tab::Incidents, true)).collect();
        assert!(alerts.contains(&(Action::Silence, "silence")));
    }
}
