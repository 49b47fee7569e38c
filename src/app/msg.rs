//! `Msg`: everything that can happen to the app, and `Effect`: everything the app asks for,
//! with the data they carry (windows, derived figures computed by the store thread).
//!
//! `State::update(Msg) -> Vec<Effect>` is pure; the runtime executes effects against the store,
//! the sync engine and the OS, and reports back with more `Msg`s.

use chrono::{DateTime, Utc};

use super::action::Action;
use crate::domain::{
    Alert, Bug, ChecklistDoc, ChecklistItem, Customer, CustomerNote, Deployment, EntityRef,
    Incident, IncidentEvent, Slo, Tab,
};
use crate::store::read::{SyncState, TabCounts};
use crate::store::{Operation, OutboxEntry, OutboxSummary};

/// Text-input keys, delivered when an input field has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKey {
    /// A printable character.
    Char(char),
    /// Delete backwards.
    Backspace,
    /// Accept.
    Enter,
    /// Cancel.
    Esc,
    /// Move the selection up (palette, choices).
    Up,
    /// Move the selection down.
    Down,
    /// Cursor left.
    Left,
    /// Cursor right.
    Right,
    /// Cursor to the start.
    Home,
    /// Cursor to the end.
    End,
    /// Delete forwards.
    Delete,
    /// Complete (next candidate).
    Tab,
    /// Previous completion candidate.
    BackTab,
    /// A letter with Ctrl held (`Ctrl('a')` for ctrl-a); the line editor's shell keys.
    Ctrl(char),
    /// A letter with Alt held (`Alt('b')` for alt-b).
    Alt(char),
    /// Alt-Backspace: delete the word before the cursor.
    AltBackspace,
}

/// Rows loaded for one tab.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// Customers.
    Customers(Vec<Customer>),
    /// Bugs.
    Bugs(Vec<Bug>),
    /// Incidents and alerts.
    Incidents(Vec<Incident>, Vec<Alert>),
    /// Deployments.
    Deployments(Vec<Deployment>),
    /// SLOs.
    Slos(Vec<Slo>),
    /// Checklist documents and items.
    Checklist(Vec<ChecklistDoc>, Vec<ChecklistItem>),
}

impl Rows {
    /// The tab these rows belong to.
    #[must_use]
    pub fn tab(&self) -> Tab {
        match self {
            Rows::Customers(_) => Tab::Customers,
            Rows::Bugs(_) => Tab::Bugs,
            Rows::Incidents(..) => Tab::Incidents,
            Rows::Deployments(_) => Tab::Deployments,
            Rows::Slos(_) => Tab::Slos,
            Rows::Checklist(..) => Tab::Checklist,
        }
    }
}

/// A window of a paged list to read (see [`crate::store::read::window`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRequest {
    /// The tab (bugs, incidents, deployments).
    pub tab: Tab,
    /// The list's filter/sort generation, echoed in the reply.
    pub generation: u64,
    /// Filter and sort.
    pub query: crate::store::read::window::ListQuery,
    /// The absolute position to centre the window on.
    pub around: usize,
    /// Rows to read.
    pub rows: usize,
    /// Keep this row selected if it is still in the list: (row id, whether it was in the
    /// working part); a row that left the working part leaves the cursor where it was.
    pub follow: Option<(i64, bool)>,
    /// A reload (rows or query changed): the reply places the cursor; for incidents it also
    /// carries the alerts, and the team figures follow.
    pub reload: bool,
    /// Also read the table's shape (row count, widest id): the rows may have changed, not
    /// just the filter or sort.
    pub shape: bool,
    /// What else hides rows (the checklist's `open only` and folds).
    pub hide: crate::store::read::checklist_window::ChecklistHide,
}

/// The rows of a [`WindowRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct WindowReply {
    /// The request's generation.
    pub generation: u64,
    /// Absolute position of the first row.
    pub offset: usize,
    /// Rows passing the filter.
    pub total: usize,
    /// The rows (for incidents, with the alerts on a reload, else no alerts).
    pub rows: Rows,
    /// Row count and widest id of the whole table (reloads).
    pub shape: Option<crate::store::read::ListShape>,
    /// Where the cursor goes (reloads: the followed row's position, or the old one).
    pub select: Option<usize>,
    /// Whether this answers a reload.
    pub reload: bool,
}

/// Values the cache knows for completing prompts, read from whole tables (the lists hold
/// only a window).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pools {
    /// Bug assignees.
    pub bug_people: Vec<String>,
    /// Bug labels.
    pub labels: Vec<String>,
    /// Incident assignees.
    pub incident_people: Vec<String>,
    /// Services of incidents and deployments.
    pub services: Vec<String>,
    /// Incident keys, newest first.
    pub incident_keys: Vec<String>,
    /// Checklist item owners.
    pub checklist_owners: Vec<String>,
}

/// Extra data for the detail pane of the selected row.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// An incident's merged timeline.
    Timeline(i64, Vec<IncidentEvent>),
    /// A customer's notes.
    CustomerNotes(i64, Vec<CustomerNote>),
}

/// Sync events live with the engine that sends them; the app only listens.
pub use crate::sync::events::SyncEvent;

/// Inputs to `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A resolved user action.
    Action(Action),
    /// A key for a focused text field.
    Input(InputKey),
    /// Text pasted into the terminal (bracketed paste): goes only into an open text input.
    Paste(String),
    /// The clock ticked.
    Tick(DateTime<Utc>),
    /// The cache file was deleted or replaced under the running TUI: edits are refused from
    /// now on and the status line says so until restart (issue #13 finding 1).
    CacheGone(String),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Rows arrived for a tab (`complete` false for the first page only).
    Loaded {
        /// The rows.
        rows: Rows,
        /// Whether this is every row.
        complete: bool,
    },
    /// Tab counts, outbox summary and sync states arrived.
    Status {
        /// Tab counts.
        counts: TabCounts,
        /// Outbox summary.
        outbox: OutboxSummary,
        /// Sync states.
        sources: Vec<SyncState>,
    },
    /// Outbox entries arrived for the outbox view.
    OutboxLoaded(Vec<OutboxEntry>),
    /// Detail data arrived.
    DetailLoaded(Detail),
    /// An edit was committed to the cache and the outbox.
    Committed {
        /// What the user did.
        description: String,
        /// Whether it waits for a push (`false`: done locally).
        queued: bool,
    },
    /// Something the runtime did succeeded with a message for the user.
    Notice(String),
    /// An effect failed; the message is shown, nothing else changes.
    EffectFailed(String),
    /// A sync event.
    Sync(SyncEvent),
    /// A frozen review snapshot arrived.
    ReviewLoaded(Box<crate::review::ReviewSnapshot>),
    /// How many rows a paged tab has and how wide its widest id is, sent before its first
    /// page so the first frame already has the final title and id column.
    ListShape(Tab, crate::store::read::ListShape),
    /// The rollback candidate of an incident (by its row id), read with its detail, so the
    /// incidents tab needs no deployment list in memory.
    RollbackCandidate(i64, Option<Box<Deployment>>),
    /// A window of a paged list arrived.
    Window(WindowReply),
    /// The incidents tab's team figures, computed by the store thread.
    IncidentFigures(IncidentFigures),
    /// Completion values from the whole cache.
    Pools(Box<Pools>),
    /// The DORA panel's figures for every window, from the store thread.
    Dora(Vec<DoraFigures>),
    /// The checklist's sections with their figures, for the list of the window that follows.
    ChecklistSections(Vec<crate::store::read::checklist_window::ChecklistSection>),
}

/// One edit to commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// The row.
    pub entity: EntityRef,
    /// The operation.
    pub op: Operation,
}

/// What the outbox view asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxCommand {
    /// Retry now.
    Retry,
    /// Discard (confirmed).
    Discard,
    /// Keep mine.
    KeepMine,
    /// Take theirs.
    TakeTheirs,
}

/// Outputs of `update`: requests to the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Check the cache's pages (`PRAGMA quick_check`) once the first frame is up; damage turns
    /// the session read-only and saves the readable outbox to a file.
    CheckCachePages,
    /// Reload a tab's rows.
    Reload(Tab),
    /// Reload counts, outbox summary and sync states.
    ReloadStatus,
    /// Read a window of a paged list.
    LoadWindow(WindowRequest),
    /// Recompute the incidents tab's team figures (once a minute).
    LoadIncidentFigures,
    /// Read the completion values of the whole cache ([`Pools`]).
    LoadPools,
    /// Load the detail of one row.
    LoadDetail(EntityRef),
    /// Commit edits (one transaction each) then reload.
    Commit(Vec<Edit>),
    /// Undo the last unpushed edit.
    Undo,
    /// Load the outbox view.
    LoadOutbox,
    /// Act on an outbox entry.
    Outbox(i64, OutboxCommand),
    /// Ask the sync engine to refresh (None: every source).
    SyncNow(Option<Vec<String>>),
    /// Open an http(s) URL in the browser.
    OpenUrl(String),
    /// Copy text to the clipboard (OSC 52).
    Copy(String),
    /// Write the incident report.
    ExportIncident(i64),
    /// Save a review note.
    SaveReviewNote {
        /// ISO week.
        week: String,
        /// Page.
        area: String,
        /// Text.
        text: String,
    },
    /// Take (or retake) the frozen review snapshot of the current week.
    TakeReviewSnapshot,
    /// Retry queued checklist edits whose file could not be written.
    PushFiles,
    /// Ask the sync engine to push queued edits now (after they are committed).
    PushNow,
    /// Quit.
    Quit,
}

/// Team response figures shown beside an incident; see `State::incident_figures`.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFigures {
    /// The minute (Unix seconds / 60) they were computed for.
    pub minute: i64,
    /// `(priority, MTTA seconds, MTTR seconds)` over the last 7 days.
    pub response: Vec<(String, Option<f64>, Option<f64>)>,
    /// Open incidents by age bucket.
    pub open_ages: Vec<(&'static str, usize)>,
}

impl IncidentFigures {
    /// Computes the figures over `incidents` as of `now`.
    #[must_use]
    pub fn compute(incidents: &[Incident], now: DateTime<Utc>) -> Self {
        use crate::review::snapshot::{open_age_counts, response_by_severity};
        Self {
            minute: now.timestamp().div_euclid(60),
            response: response_by_severity(incidents, now - chrono::Duration::days(7), now),
            open_ages: open_age_counts(incidents, now),
        }
    }
}

/// The panel's figures for one window.
#[derive(Debug, Clone, PartialEq)]
pub struct DoraFigures {
    /// Window length in days.
    pub days: u32,
    /// The four DORA metrics (`None`: no valid window).
    pub report: Option<crate::metrics::dora::DoraReport>,
    /// The rework rate.
    pub rework: crate::metrics::rework::ReworkRate,
}
