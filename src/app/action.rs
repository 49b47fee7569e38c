//! `Action`: every user intent, named by intent (never by key).
//!
//! Keys map to actions through the keymap (data, overridable in config); the `?` help and the
//! `:` palette are generated from the same table, so they always show the live bindings. The
//! kebab-case names are the ones used in `[keys.*]` config tables.

use std::fmt;
use std::str::FromStr;

macro_rules! actions {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $desc:literal; )+) => {
        /// A user intent.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $(#[$doc])* $variant, )+
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The config / palette name.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),+ }
            }

            /// One line for help and the palette.
            #[must_use]
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc),+ }
            }
        }

        impl FromStr for Action {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($name => Ok(Action::$variant),)+ _ => Err(format!("unknown action '{s}'")) }
            }
        }
    };
}

actions! {
    // -- Navigation --
    /// Go to the customers tab.
    TabCustomers => "tab-customers", "show customers";
    /// Go to the bugs tab.
    TabBugs => "tab-bugs", "show bugs";
    /// Go to the incidents tab.
    TabIncidents => "tab-incidents", "show incidents and alerts";
    /// Go to the deployments tab.
    TabDeployments => "tab-deployments", "show deployments";
    /// Go to the SLO tab.
    TabSlos => "tab-slos", "show SLOs";
    /// Go to the checklist tab.
    TabChecklist => "tab-checklist", "show the phase checklist";
    /// Next tab.
    NextTab => "next-tab", "next tab";
    /// Previous tab.
    PrevTab => "prev-tab", "previous tab";
    /// Move down.
    SelectNext => "select-next", "move down";
    /// Move up.
    SelectPrev => "select-prev", "move up";
    /// First row.
    SelectFirst => "select-first", "first row";
    /// Last row.
    SelectLast => "select-last", "last row";
    /// Half page down.
    HalfPageDown => "half-page-down", "half a page down";
    /// Half page up.
    HalfPageUp => "half-page-up", "half a page up";
    /// Toggle the detail pane.
    ToggleDetail => "toggle-detail", "show or hide the side detail pane";
    /// Open the selected row full-screen.
    OpenDetail => "open-detail", "open the item full-screen (all fields, whole timeline)";
    /// Cycle the sort column.
    CycleSort => "cycle-sort", "sort by the next column";
    /// Mark a row for a bulk action.
    ToggleMark => "toggle-mark", "mark or unmark the row for a bulk action";
    /// Switch between the incidents list and the alerts section.
    ToggleAlerts => "toggle-alerts", "switch between incidents and alerts";
    // -- Global --
    /// Help overlay.
    Help => "help", "show keys";
    /// Command palette.
    Palette => "palette", "command palette";
    /// Filter the list.
    Filter => "filter", "filter the list (fuzzy)";
    /// Refresh this tab's sources.
    Refresh => "refresh", "refresh this tab's sources";
    /// Refresh all sources.
    RefreshAll => "refresh-all", "refresh every source";
    /// Outbox view.
    Outbox => "outbox", "show queued edits";
    /// Sources view.
    Sources => "sources", "show sources and their sync state";
    /// Friday review.
    Review => "review", "start the Friday review";
    /// Back / close.
    Back => "back", "close the overlay or go back";
    /// Quit.
    Quit => "quit", "quit opsdeck";
    /// Open in browser.
    OpenUrl => "open-url", "open the item in the browser";
    /// Copy the id.
    CopyId => "copy-id", "copy the id";
    /// Copy the URL.
    CopyUrl => "copy-url", "copy the URL";
    /// Undo the last edit not yet pushed.
    Undo => "undo", "undo the last edit not yet pushed";
    // -- Bugs --
    /// Set priority.
    SetPriority => "set-priority", "set priority";
    /// Assign.
    Assign => "assign", "assign / reassign";
    /// Close with a reason.
    CloseBug => "close-bug", "close (asks reason, confirms)";
    /// Reopen.
    ReopenBug => "reopen-bug", "reopen";
    /// Start work (in progress).
    StartBug => "start-bug", "mark in progress";
    /// Add a label.
    AddLabel => "add-label", "add a label";
    /// Remove a label.
    RemoveLabel => "remove-label", "remove a label";
    /// Comment.
    Comment => "comment", "comment";
    // -- Incidents --
    /// Acknowledge.
    Acknowledge => "acknowledge", "acknowledge";
    /// Resolve.
    Resolve => "resolve", "resolve (confirms)";
    /// Add a note.
    Note => "note", "add a note";
    /// Jump to the rollback candidate.
    RollbackCandidate => "rollback-candidate", "jump to the rollback candidate";
    /// Declare a local incident.
    DeclareIncident => "declare-incident", "declare a local incident";
    /// Silence the selected alert.
    Silence => "silence", "silence the alert";
    /// Expire the alert's silence.
    ExpireSilence => "expire-silence", "expire the alert's silence";
    /// Export the timeline.
    ExportTimeline => "export-timeline", "export the incident report (Markdown)";
    // -- Deployments --
    /// Mark rolled back.
    MarkRolledBack => "mark-rolled-back", "mark rolled back (confirms)";
    /// Link to an incident.
    LinkIncident => "link-incident", "link to an incident";
    /// Record a manual deployment.
    RecordDeployment => "record-deployment", "record a manual deployment";
    /// Cycle the DORA window.
    CycleDoraWindow => "cycle-dora-window", "cycle the DORA window (7/14/30/90 days)";
    // -- SLOs --
    /// Cycle the burn window shown.
    CycleWindow => "cycle-window", "cycle the burn-rate window shown";
    // -- Checklist --
    /// Toggle an item.
    ToggleItem => "toggle-item", "check / uncheck";
    /// Edit an item's text (or a customer field).
    Edit => "edit", "edit";
    /// Add an item below.
    AddBelow => "add-below", "add an item below";
    /// Add an item above.
    AddAbove => "add-above", "add an item above";
    /// Delete an item.
    DeleteItem => "delete-item", "delete (confirms)";
    /// Move an item down.
    MoveDown => "move-down", "move down";
    /// Move an item up.
    MoveUp => "move-up", "move up";
    /// Set the owner.
    SetOwner => "set-owner", "set owner";
    /// Fold a section.
    Fold => "fold", "fold / unfold the section";
    /// Fold all sections.
    FoldAll => "fold-all", "fold / unfold every section";
    /// Show open items only.
    OpenOnly => "open-only", "show open items only";
    // -- Customers --
    /// Record an NPS response.
    RecordNps => "record-nps", "record an NPS response (0–10)";
    /// Set churn risk.
    ChurnRisk => "churn-risk", "cycle churn risk";
    // -- Outbox --
    /// Retry an entry.
    RetryEntry => "retry-entry", "retry now";
    /// Discard an entry.
    DiscardEntry => "discard-entry", "discard (confirms)";
    /// Keep my value in a conflict.
    KeepMine => "keep-mine", "conflict: keep mine";
    /// Take the remote value in a conflict.
    TakeTheirs => "take-theirs", "conflict: take theirs";
    // -- Review --
    /// Next review page.
    ReviewNext => "review-next", "next review page";
    /// Previous review page.
    ReviewPrev => "review-prev", "previous review page";
    /// Refresh the review snapshot.
    ReviewRefresh => "review-refresh", "refresh the frozen review snapshot";
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
