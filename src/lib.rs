//! opsdeck: a terminal cockpit for the on-call engineer.
//!
//! Layout (ARCHITECTURE.md): `domain` (types), `store` (SQLite cache, outbox, audit), `metrics`
//! (every number), `sync` (connectors), `checklist` (Markdown plans), `config`, `app` (state,
//! update, runtime), `ui` (drawing), `review` (Friday review and report), `cli` (commands).
//! The core (`domain`, `store`, `metrics`, `sync`, `checklist`) never imports ratatui.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod checklist;
pub mod clock;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod review;
pub mod sanitize;
pub mod store;
pub mod sync;
pub mod ui;
