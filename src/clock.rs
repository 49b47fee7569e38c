//! The only place opsdeck reads the wall clock.
//!
//! Everything else receives time as a parameter (`now`) or through a [`Clock`], so tests and
//! snapshots can freeze it. `clippy.toml` forbids `Utc::now` elsewhere.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one sanctioned call site"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock frozen at one instant, for tests and snapshots.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A shareable clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock as a shared handle.
#[must_use]
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}
