//! `State`: the model the UI draws from, and the per-tab list state.
//!
//! `State` holds only data: rows loaded from the cache, selection, filter, overlays, and status.
//! It is changed only by [`State::update`](super::update) and read by `ui::draw` through `&State`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::action::Action;
use super::completion::Completion;
use super::line_edit::LineEdit;
use super::msg::{Detail, Edit};
use crate::app::keymap::{Context, KeySeq};
use crate::config::Policy;
use crate::domain::{
    Alert, Bug, ChecklistDoc, ChecklistItem, Customer, Deployment, Incident, Slo, Tab,
};
use crate::store::read::{SyncState, TabCounts};
use crate::store::{OutboxEntry, OutboxSummary};

/// Key bindings of one context: (scope, keys, action), most specific scope first.
pub type Bindings = Vec<(String, KeySeq, Action)>;

pub use super::list_state::{ListState, WindowWant};
pub use super::msg::IncidentFigures;

/// Text fields that can have focus.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Free text, then `then` runs with the text.
    Text {
        /// Title.
        title: String,
        /// The text and its cursor.
        input: LineEdit,
        /// What happens with the text.
        then: PromptThen,
        /// Shown dim under the input, e.g. `current: sofia` (the value is not pre-filled).
        hint: Option<String>,
        /// Candidates from values the cache knows (empty pool: no completion).
        completion: Completion,
        /// While ↑/↓ walk this kind's history: the position (0 = newest) and what was typed
        /// before the walk started (↓ past the newest returns to it).
        recall: Option<(usize, String)>,
    },
    /// One of several choices.
    Choice {
        /// Title.
        title: String,
        /// Options shown.
        options: Vec<String>,
        /// Selected option.
        selected: usize,
        /// What happens with the choice.
        then: PromptThen,
    },
}

impl Prompt {
    /// An empty text prompt without hint or completion.
    #[must_use]
    pub fn text(title: impl Into<String>, then: PromptThen) -> Prompt {
        Prompt::Text {
            title: title.into(),
            input: LineEdit::default(),
            then,
            hint: None,
            completion: Completion::default(),
            recall: None,
        }
    }

    /// The same prompt holding `text` (cursor at its end) to edit in place.
    #[must_use]
    pub fn with_text(mut self, text: &str) -> Prompt {
        if let Prompt::Text { input, .. } = &mut self {
            input.set(text);
        }
        self
    }
}

/// What a prompt's answer is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptThen {
    /// Bug close reason.
    CloseReason,
    /// New priority.
    Priority,
    /// New assignee.
    Assignee,
    /// Label to add.
    AddLabel,
    /// Label to remove.
    RemoveLabel,
    /// Comment / note text.
    Comment,
    /// Incident resolution note.
    Resolution,
    /// Silence duration.
    SilenceDuration,
    /// Silence comment (with the chosen duration in seconds).
    SilenceComment(i64),
    /// Local incident title.
    DeclareTitle,
    /// Local incident severity (with the title).
    DeclareSeverity(String),
    /// Rollback reason.
    RollbackReason,
    /// Incident key to link.
    LinkIncident,
    /// Manual deployment: `service environment ref`.
    RecordDeployment,
    /// Checklist text.
    ItemText,
    /// New checklist item text (`true`: above the selected one).
    AddItem(bool),
    /// Checklist owner.
    ItemOwner,
    /// Checklist note.
    ItemNote,
    /// NPS score.
    NpsScore,
    /// Customer feedback note.
    CustomerNote,
    /// Customer field to edit.
    CustomerField,
    /// Value for that field.
    CustomerValue(String),
    /// Review note for a page.
    ReviewNote,
}

impl PromptThen {
    /// Which history an answer goes to: one per kind of question (a silence comment's
    /// history does not depend on its duration; a customer value's does on its field).
    #[must_use]
    pub fn history_key(&self) -> String {
        match self {
            PromptThen::CustomerValue(field) => format!("customer_value:{field}"),
            PromptThen::SilenceComment(_) => "silence_comment".into(),
            PromptThen::DeclareSeverity(_) => "declare_severity".into(),
            PromptThen::AddItem(_) => "add_item".into(),
            other => format!("{other:?}"),
        }
    }
}

/// Earlier answers kept per prompt kind for ↑/↓, in memory for the session only.
pub const HISTORY_PER_KIND: usize = 50;

/// Modal layers over the tabs.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// Keys help: the live bindings of the current scope, then the global ones (see
    /// [`super::help`]).
    Help {
        /// First entry line shown.
        scroll: usize,
        /// Search text (filters entries by key, name or description).
        query: String,
        /// The search field has focus (typing edits `query`).
        searching: bool,
    },
    /// The selected row of the focused list, full-screen: every field, the whole body and the
    /// whole timeline. Keys scroll it; `Esc`/`q` return to the list at the same row.
    Detail {
        /// First line shown.
        scroll: usize,
    },
    /// Command palette with a fuzzy query.
    Palette {
        /// Query.
        query: String,
        /// Selected match.
        selected: usize,
    },
    /// A question with text or choices.
    Prompt(Prompt),
    /// Confirmation before a destructive or bulk edit.
    Confirm {
        /// Question.
        message: String,
        /// What to commit on yes.
        edits: Vec<Edit>,
    },
    /// A confirmation that asks twice (expiring a silence someone else created): `y`/enter on
    /// the first question shows the second, which only an explicit `y` accepts.
    ConfirmTwice {
        /// The first question.
        first: String,
        /// The second question.
        second: String,
        /// Whether the first was answered yes (the second is showing).
        asked_once: bool,
        /// What to commit on the second yes.
        edits: Vec<Edit>,
    },
    /// Confirm discarding an outbox entry.
    ConfirmDiscard(i64),
    /// The outbox view.
    Outbox {
        /// Entries.
        entries: Vec<OutboxEntry>,
        /// Selected entry.
        selected: usize,
    },
    /// The sources view.
    Sources,
    /// The Friday review (frozen snapshot lives in the review module).
    Review {
        /// Page index.
        page: usize,
    },
}

/// A message at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// Text (sanitized).
    pub text: String,
    /// Error or info.
    pub error: bool,
    /// When it appeared.
    pub at: DateTime<Utc>,
}

/// The whole UI model.
#[derive(Debug, Clone)]
pub struct State {
    /// Current time (from the injected clock via `Msg::Tick`).
    pub now: DateTime<Utc>,
    /// Team time zone.
    pub tz: chrono_tz::Tz,
    /// Policies from config.
    pub policy: Policy,
    /// Active tab.
    pub tab: Tab,
    /// Customers.
    pub customers: ListState<Customer>,
    /// Bugs.
    pub bugs: ListState<Bug>,
    /// Incidents.
    pub incidents: ListState<Incident>,
    /// Alerts.
    pub alerts: ListState<Alert>,
    /// Deployments.
    pub deployments: ListState<Deployment>,
    /// Rollback candidates of the loaded deployments (rebuilt when they load).
    pub rollback_index: super::rollback::RollbackIndex,
    /// The rollback candidate read with the selected incident's detail: (incident row id,
    /// candidate). Used while the deployments are not loaded.
    pub rollback_hint: Option<(i64, Option<Deployment>)>,
    /// The incidents tab's team figures (MTTA/MTTR per priority over 7 days, open incidents by
    /// age), computed when incidents load and once a minute — not on every frame, which cost a
    /// pass over every loaded incident per key.
    pub incident_figures: Option<IncidentFigures>,
    /// SLOs.
    pub slos: ListState<Slo>,
    /// Checklist items (the view hides folded sections).
    pub checklist: ListState<ChecklistItem>,
    /// Checklist documents.
    pub checklist_docs: Vec<ChecklistDoc>,
    /// Section figures from SQL, for a windowed checklist.
    pub checklist_sections: Option<Vec<crate::store::read::checklist_window::ChecklistSection>>,
    /// Folded checklist sections.
    pub folded: BTreeSet<String>,
    /// Show only open checklist items.
    pub open_only: bool,
    /// In the incidents tab, the alert section has focus.
    pub alerts_focus: bool,
    /// Show the detail pane.
    pub show_detail: bool,
    /// Detail data for the selected row.
    pub detail: Option<Detail>,
    /// Burn-rate window shown in the SLO tab (index into [`SLO_WINDOWS`]).
    pub slo_window: usize,
    /// DORA window in days.
    pub dora_window_days: u32,
    /// The `/` filter has focus.
    pub filtering: bool,
    /// Modal overlay.
    pub overlay: Option<Overlay>,
    /// Tab counts.
    pub counts: TabCounts,
    /// Outbox summary.
    pub outbox: OutboxSummary,
    /// Sync states.
    pub sources: Vec<SyncState>,
    /// Sources currently syncing.
    pub syncing: BTreeSet<String>,
    /// Configured remote sources (edits to other sources complete locally).
    pub remote_sources: Vec<String>,
    /// Demo workspace.
    pub demo: bool,
    /// Read-only mode.
    pub read_only: bool,
    /// Why edits stopped: the cache file vanished or was replaced (shown in the status line).
    pub cache_gone: Option<String>,
    /// ASCII borders.
    pub ascii: bool,
    /// Colours off (`NO_COLOR`).
    pub no_color: bool,
    /// Last message.
    pub toast: Option<Toast>,
    /// Terminal size.
    pub size: (u16, u16),
    /// Key bindings per context (for help, palette and hints), from the live keymap.
    pub bindings: Vec<(Context, Bindings)>,
    /// The largest scroll of the full-screen detail at the last frame: only the renderer knows
    /// how many rows the wrapped text takes, so it writes this for the scroll keys to clamp to.
    pub detail_max_scroll: std::cell::Cell<usize>,
    /// The overlay help was opened over (outbox, review), shown again when help closes; help
    /// lists that overlay's keys.
    pub help_over: Option<Box<Overlay>>,
    /// Show the one-line key-hint footer (`[ui] key_hints`).
    pub key_hints: bool,
    /// Pending key prefix (`g`), shown in the status bar.
    pub pending_keys: String,
    /// The ISO week the review covers and its frozen snapshot.
    pub review: Option<crate::review::ReviewSnapshot>,
    /// The review page a note is being typed for.
    pub review_page_for_note: Option<usize>,
    /// Rows the review page is scrolled down by (reset when the page changes).
    pub review_scroll_rows: u16,
    /// Answers given to text prompts this session, newest first, per
    /// [`PromptThen::history_key`] (not saved: history lasts until opsdeck exits).
    pub prompt_history: std::collections::BTreeMap<String, Vec<String>>,
    /// The DORA panel's figures per window, from the store thread (used while the
    /// deployments list is a window; see [`super::dora_panel`]).
    pub dora: Vec<super::msg::DoraFigures>,
    /// Completion values read from the whole cache (the paged lists hold only a window);
    /// asked for when a prompt that completes from them first opens.
    pub pools: Option<super::msg::Pools>,
    /// Those values were asked for.
    pub pools_asked: bool,
    /// The user asked to quit.
    pub quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
}

/// Burn-rate windows the SLO tab can show.
pub const SLO_WINDOWS: &[&str] = &["1h", "5m", "30m", "2h", "6h", "1d", "3d"];

/// DORA windows (days) `w` cycles through.
pub const DORA_WINDOWS: &[u32] = &[14, 30, 90, 7];

impl State {
    /// A fresh state at `now`.
    #[must_use]
    pub fn new(now: DateTime<Utc>, tz: chrono_tz::Tz, policy: Policy) -> State {
        State {
            now,
            tz,
            policy,
            tab: Tab::Incidents,
            customers: ListState::default(),
            bugs: ListState::default(),
            incidents: ListState::default(),
            alerts: ListState::default(),
            deployments: ListState::default(),
            rollback_index: super::rollback::RollbackIndex::default(),
            rollback_hint: None,
            incident_figures: None,
            slos: ListState::default(),
            checklist: ListState::default(),
            checklist_docs: Vec::new(),
            checklist_sections: None,
            folded: BTreeSet::new(),
            open_only: false,
            alerts_focus: false,
            show_detail: true,
            detail: None,
            slo_window: 0,
            dora_window_days: DORA_WINDOWS[0],
            filtering: false,
            overlay: None,
            counts: TabCounts::default(),
            outbox: OutboxSummary::default(),
            sources: Vec::new(),
            syncing: BTreeSet::new(),
            remote_sources: Vec::new(),
            demo: false,
            read_only: false,
            cache_gone: None,
            ascii: false,
            no_color: false,
            toast: None,
            size: (80, 24),
            bindings: Vec::new(),
            key_hints: true,
            help_over: None,
            detail_max_scroll: std::cell::Cell::new(usize::MAX),
            pending_keys: String::new(),
            review: None,
            review_page_for_note: None,
            review_scroll_rows: 0,
            prompt_history: std::collections::BTreeMap::new(),
            dora: Vec::new(),
            pools: None,
            pools_asked: false,
            quit: false,
            dirty: true,
        }
    }

    /// The keymap context the user is in.
    #[must_use]
    pub fn key_context(&self) -> Context {
        let overlay = match (&self.overlay, &self.help_over) {
            (Some(Overlay::Help { .. }), Some(under)) => Some(under.as_ref()),
            (o, _) => o.as_ref(),
        };
        match overlay {
            Some(Overlay::Outbox { .. }) => Context::Outbox,
            Some(Overlay::Review { .. }) => Context::Review,
            _ => Context::Tab(self.tab, self.tab == Tab::Incidents && self.alerts_focus),
        }
    }

    /// Whether keys go to a text field instead of the keymap.
    #[must_use]
    pub fn text_input_focused(&self) -> bool {
        self.filtering
            || matches!(
                self.overlay,
                Some(
                    Overlay::Palette { .. }
                        | Overlay::Prompt(_)
                        | Overlay::Confirm { .. }
                        | Overlay::ConfirmTwice { .. }
                        | Overlay::ConfirmDiscard(_)
                        | Overlay::Help {
                            searching: true,
                            ..
                        }
                )
            )
    }

    /// The bindings for a context (empty if the keymap was not installed).
    #[must_use]
    pub fn bindings_for(&self, ctx: Context) -> &[(String, KeySeq, Action)] {
        self.bindings
            .iter()
            .find(|(c, _)| *c == ctx)
            .map_or(&[], |(_, b)| b.as_slice())
    }
}

/// The bindings of every context, as `State::bindings` holds them (help, palette, hints).
#[must_use]
pub fn bindings_table(keymap: &crate::app::keymap::Keymap) -> Vec<(Context, Bindings)> {
    let mut contexts: Vec<Context> = Vec::new();
    for tab in Tab::ALL {
        contexts.push(Context::Tab(*tab, false));
    }
    contexts.push(Context::Tab(Tab::Incidents, true));
    contexts.push(Context::Outbox);
    contexts.push(Context::Review);
    contexts
        .into_iter()
        .map(|c| (c, keymap.bindings(c)))
        .collect()
}
