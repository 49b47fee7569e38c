//! Domain types shared by every layer: priorities, statuses, tabs and the row types of each tab.
//!
//! Nothing here touches SQLite, the network or the terminal. The store turns rows into these
//! types; the app and the UI only ever see them. Every enum that is persisted has a stable
//! lowercase `as_str` form and a matching `FromStr`, so the database never holds Rust debug text.

pub mod bug;
pub mod checklist;
pub mod customer;
pub mod deployment;
pub mod incident;
pub mod slo;
pub mod time;

use std::fmt;
use std::str::FromStr;

pub use bug::{Bug, BugStatus};
pub use checklist::{ChecklistDoc, ChecklistItem};
pub use customer::{ChurnRisk, Customer, CustomerNote, NoteKind, NpsResponse, Stage};
pub use deployment::{DeployStatus, Deployment};
pub use incident::{
    Alert, AlertState, Incident, IncidentEvent, IncidentStatus, Silence, LOCAL_SILENCE_PREFIX,
    PENDING_SILENCE_PREFIX,
};
pub use slo::{Slo, SloKind, SloWindowCounts};

/// An error for a persisted enum value that is not one of its known forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}': expected one of {expected}")]
pub struct ParseEnumError {
    /// What was being parsed ("priority", "stage", ...).
    pub kind: &'static str,
    /// The offending text (already sanitized by whoever produced it).
    pub value: String,
    /// The accepted forms, for the message.
    pub expected: &'static str,
}

/// Declares a persisted enum with `as_str`, `FromStr`, `Display` and `ALL`.
macro_rules! persisted_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable persisted form.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_ascii_lowercase();
                match lower.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::ParseEnumError {
                        kind: $kind,
                        value: s.chars().take(40).collect(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use persisted_enum;

/// Severity / priority on the P0 (worst) … P3 scale used by bugs and incidents.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Priority {
    /// Drop everything.
    P0,
    /// Urgent.
    P1,
    /// Normal.
    P2,
    /// Low.
    P3,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 4] = [Priority::P0, Priority::P1, Priority::P2, Priority::P3];

    /// Parses `P0`..`P3` (case-insensitive, surrounding blanks ignored); `None` otherwise.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        label.parse().ok()
    }

    /// "P0" … "P3".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }

    /// 0 for P0 … 3 for P3.
    #[must_use]
    pub fn rank(self) -> u8 {
        match self {
            Priority::P0 => 0,
            Priority::P1 => 1,
            Priority::P2 => 2,
            Priority::P3 => 3,
        }
    }

    /// The next more severe priority (P0 stays P0).
    #[must_use]
    pub fn raised(self) -> Priority {
        match self {
            Priority::P0 | Priority::P1 => Priority::P0,
            Priority::P2 => Priority::P1,
            Priority::P3 => Priority::P2,
        }
    }

    /// The next less severe priority (P3 stays P3).
    #[must_use]
    pub fn lowered(self) -> Priority {
        match self {
            Priority::P0 => Priority::P1,
            Priority::P1 => Priority::P2,
            Priority::P2 | Priority::P3 => Priority::P3,
        }
    }
}

impl FromStr for Priority {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P0" => Ok(Priority::P0),
            "P1" => Ok(Priority::P1),
            "P2" => Ok(Priority::P2),
            "P3" => Ok(Priority::P3),
            _ => Err(ParseEnumError {
                kind: "priority",
                value: s.chars().take(40).collect(),
                expected: "P0 P1 P2 P3",
            }),
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

persisted_enum!(
    /// The six tabs, in their number-key order.
    Tab, "tab", {
        /// Customers and their health.
        Customers => "customers",
        /// Bugs from the trackers.
        Bugs => "bugs",
        /// Incidents and firing alerts.
        Incidents => "incidents",
        /// Deployments and DORA.
        Deployments => "deployments",
        /// SLOs and burn rates.
        Slos => "slos",
        /// The phase checklist.
        Checklist => "checklist",
    }
);

impl Tab {
    /// The full title shown in the tab bar.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Tab::Customers => "Customers",
            Tab::Bugs => "Bugs",
            Tab::Incidents => "Incidents",
            Tab::Deployments => "Deploys",
            Tab::Slos => "SLOs",
            Tab::Checklist => "Checklist",
        }
    }

    /// A short title for narrow terminals.
    #[must_use]
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Customers => "Cust",
            Tab::Bugs => "Bugs",
            Tab::Incidents => "Inc",
            Tab::Deployments => "Dep",
            Tab::Slos => "SLO",
            Tab::Checklist => "Checklist",
        }
    }

    /// 0-based position.
    #[must_use]
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The tab after this one, wrapping.
    #[must_use]
    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    /// The tab before this one, wrapping.
    #[must_use]
    pub fn prev(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

persisted_enum!(
    /// Which kind of entity an outbox entry or audit row is about.
    EntityKind, "entity kind", {
        /// A customer.
        Customer => "customer",
        /// A bug.
        Bug => "bug",
        /// An incident.
        Incident => "incident",
        /// An Alertmanager alert.
        Alert => "alert",
        /// A deployment.
        Deployment => "deployment",
        /// A checklist item.
        ChecklistItem => "checklist_item",
        /// An SLO (read-only; never edited).
        Slo => "slo",
    }
);

/// A reference to one cached row: its kind and local row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct EntityRef {
    /// Which table.
    pub kind: EntityKind,
    /// The local row id (SQLite rowid), stable for the life of the cache.
    pub id: i64,
}

/// The source name used for items that live only in the cache (no remote system).
pub const LOCAL_SOURCE: &str = "local";

/// Output formats of reports and exports (`--format md|csv|json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// CSV.
    Csv,
    /// JSON.
    Json,
}
