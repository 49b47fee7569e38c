//! Shared widgets: the generic data table, the detail pane, the status bar and the overlays.

pub mod boxes;
pub mod data_table;
pub mod detail;
pub mod detail_fields;
pub mod help;
pub mod hints;
pub mod outbox_view;
pub mod overlays;
pub mod prompt;
pub mod status_bar;
