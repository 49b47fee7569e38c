//! The phase checklist: Markdown plans parsed into items, edited byte-for-byte, and synced to
//! their files through the outbox.
//!
//! - [`parse`]: CommonMark-correct task items (pulldown-cmark with source offsets) and the
//!   section tree; linear time.
//! - [`edit`]: edits that touch only their own bytes.
//! - [`merge`]: re-applying pending edits onto a file that changed elsewhere; conflicts are
//!   reported, never guessed.
//! - [`file`]: atomic writes and the re-read-before-write check.
//! - [`store`]: registering documents in the cache and pushing queued edits to files.

pub mod edit;
pub mod export;
pub mod file;
pub mod merge;
pub mod parse;
pub mod store;
