//! The application: state, update, effects, and the event loop that ties them to the terminal.

pub mod action;
pub mod derive;
pub mod edits;
pub mod msg;
pub mod rows;
pub mod state;
pub mod update;
