//! The connector skeleton: what every source shares, written once.
//!
//! A connector implements [`Source`]: its [`Meta`] and name, [`Source::fetch`] (the pull proper:
//! requests, vendor mapping, writes) and [`Source::send`] (one outbox entry). The provided
//! [`Source::pull`] does the `sync_state` bookkeeping around `fetch` (attempt, then success or
//! the failure with its retry deadline), and the provided [`Source::push`] refuses an entry of
//! the wrong entity kind before `send` sees it. A connector whose bookkeeping differs (it
//! records success inside its own transaction, or persists a rate-limit deadline) says so with
//! [`Meta::records_own_success`] or by overriding [`Source::record_failure`].
//!
//! [`crate::sync::engine::Connector`] dispatches to these methods; tests call them on a
//! connector directly (`use opsdeck::sync::Source`).

use chrono::{DateTime, Utc};

use super::{PullReport, PushOutcome, SyncError};
use crate::domain::EntityKind;
use crate::store::{write, OutboxEntry, Store};

/// The clock reading a pull or push runs at (UTC).
pub type Now = DateTime<Utc>;
/// What a pull returns.
pub type PullResult = Result<PullReport, SyncError>;
/// What pushing one outbox entry returns: an outcome, or a local (store) error.
pub type PushResult = Result<PushOutcome, SyncError>;

/// What the skeleton knows about a connector type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// The source's kind as stored in `sync_state.kind`.
    pub kind: &'static str,
    /// The vendor's name in messages ("PagerDuty").
    pub vendor: &'static str,
    /// The only entity kind the source takes edits for, refused by [`Source::push`] before
    /// [`Source::send`]; `None` when `send` checks its entries itself.
    pub edits: Option<EntityKind>,
    /// Whether [`Source::fetch`] records its own success (in the transaction of its writes);
    /// otherwise [`Source::pull`] records it after `fetch` returns `Ok`.
    pub records_own_success: bool,
}

impl Meta {
    /// A connector of `kind` (as stored) named `vendor` in messages.
    #[must_use]
    pub const fn new(kind: &'static str, vendor: &'static str) -> Meta {
        Meta {
            kind,
            vendor,
            edits: None,
            records_own_success: false,
        }
    }

    /// Takes edits of `kind` only.
    #[must_use]
    pub const fn edits(self, kind: EntityKind) -> Meta {
        Meta {
            edits: Some(kind),
            ..self
        }
    }

    /// Records its own success.
    #[must_use]
    pub const fn records_own_success(self) -> Meta {
        Meta {
            records_own_success: true,
            ..self
        }
    }
}

/// One connector: a configured source that pulls into the cache and pushes outbox entries.
///
/// `async fn` without a `Send` bound on purpose: every implementor is a concrete type that the
/// engine's [`Connector`](crate::sync::engine::Connector) enum calls directly, so each future's
/// `Send` is known where it is spawned.
#[allow(
    async_fn_in_trait,
    reason = "implemented and called on concrete types only"
)]
pub trait Source: Send {
    /// What the skeleton needs to know about the connector type.
    const META: Meta;

    /// The configured source name.
    fn name(&self) -> &str;

    /// The pull proper, after the attempt is recorded: requests, mapping, writes.
    async fn fetch(&mut self, store: &mut Store, now: Now) -> PullResult;

    /// Pushes one outbox entry of the right kind (already marked in flight by the engine).
    async fn send(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult;

    /// Records a failed pull in `sync_state`: the message and the error's retry deadline.
    fn record_failure(&self, store: &mut Store, err: &SyncError, now: Now) {
        super::tracker::note_failure(store, self.name(), err, err.retry_at(), now);
    }

    /// One pull: records the attempt, runs [`Source::fetch`], records how it ended.
    ///
    /// # Errors
    /// The fetch's error (recorded first), or a store error while recording.
    async fn pull(&mut self, store: &mut Store, now: Now) -> PullResult {
        let name = self.name().to_owned();
        store.write(|tx| write::sync_attempt(tx, &name, Self::META.kind, now))?;
        match self.fetch(store, now).await {
            Ok(report) if Self::META.records_own_success => Ok(report),
            Ok(report) => {
                store.write(|tx| write::sync_success(tx, &name, None, now))?;
                Ok(report)
            }
            Err(err) => {
                self.record_failure(store, &err, now);
                Err(err)
            }
        }
    }

    /// Pushes one outbox entry: an entry of another kind than [`Meta::edits`] fails for good
    /// ("`vendor` cannot apply '…' to a …"), the rest goes to [`Source::send`].
    ///
    /// # Errors
    /// Store errors only; remote refusals are outcomes.
    async fn push(&mut self, store: &mut Store, entry: &OutboxEntry, now: Now) -> PushResult {
        if Self::META
            .edits
            .is_some_and(|kind| kind != entry.entity.kind)
        {
            return Ok(PushOutcome::Failed(format!(
                "{} cannot apply '{}' to a {}",
                Self::META.vendor,
                entry.op.describe(),
                entry.entity.kind
            )));
        }
        self.send(store, entry, now).await
    }
}
