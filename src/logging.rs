//! Logging to a file, never to the screen.
//!
//! `tracing` goes through a non-blocking appender into `opsdeck.log` in the data folder; the
//! returned guard must live as long as the program. The filter comes from `OPSDECK_LOG` or the
//! config. A log file that cannot be opened is not fatal: logging is simply off.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines that may wait for the writer thread.
pub const LOG_QUEUE_LINES: usize = 1_024;

/// Starts file logging; returns the guard that flushes on drop, or `None` if logging is off.
#[must_use]
pub fn init(log_file: &Path, filter: &str) -> Option<WorkerGuard> {
    let dir = log_file.parent()?;
    if crate::config::paths::create_private_dir(dir).is_err() {
        return None;
    }
    // 0600: logs name sources, hosts and errors (issue #13 finding 3).
    crate::store::health::create_private_file(log_file).ok()?;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(log_file)
        .ok()?;
    // The default queue holds 128,000 lines and is allocated up front: 4 MiB of resident memory
    // for a log that writes a few lines a minute (issue #12, peak RSS). A burst beyond
    // LOG_QUEUE_LINES while the writer thread is behind drops lines, as the default does.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(file);
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    ok.ok().map(|()| guard)
}
