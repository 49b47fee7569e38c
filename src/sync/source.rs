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
//! [`Build`] is the constructor half: a connector writes `build` from [`Settings`], and gets
//! `new` and `with_http` (tests tune the HTTP client through it).
//!
//! [`crate::sync::engine::Connector`] dispatches to these methods; tests call them on a
//! connector directly (`use opsdeck::sync::Source`).

use chrono::{DateTime, Utc};

use super::http::{self, Auth, AuthScheme, Clock, Conditional, HttpClient, HttpResponse};
use super::secret::{Secret, TokenSource};
use super::{PullReport, PushOutcome, SyncError};
use crate::config::SourceConfig;
use crate::domain::EntityKind;
use crate::store::{sync_meta, write, OutboxEntry, Store};
use url::Url;

/// The clock reading a pull or push runs at (UTC).
pub type Now = DateTime<Utc>;
/// What a pull returns.
pub type PullResult = Result<PullReport, SyncError>;
/// What pushing one outbox entry returns: an outcome, or a local (store) error.
pub type PushResult = Result<PushOutcome, SyncError>;

/// Payload fields: decodes an explicit JSON `null` like a missing field (the type's default),
/// for `#[serde(deserialize_with = "…")]` on the DTOs of every source.
///
/// # Errors
/// The field's own decode error.
pub fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// Builds a source's configuration error.
pub fn config_error(cfg: &SourceConfig, message: impl Into<String>) -> SyncError {
    SyncError::Config {
        source_name: cfg.name.clone(),
        message: message.into(),
    }
}

/// The auth of a source: `scheme` carrying `token`, with where the token came from (for 401
/// hints; never the token). `unset` names it when neither `token_env` nor `token_command` is
/// configured.
pub fn auth(cfg: &SourceConfig, scheme: AuthScheme, token: Secret, unset: &str) -> Auth {
    let origin = match (&cfg.token.token_env, &cfg.token.token_command) {
        (Some(var), _) => TokenSource::Env(var.clone()),
        (None, Some(argv)) => TokenSource::Command(argv.clone()),
        (None, None) => TokenSource::Env(unset.to_owned()),
    };
    Auth {
        scheme,
        token,
        origin,
    }
}

/// Builds a source's HTTP client from `hc` (the connector's own settings): the configured extra
/// headers go after `hc`'s, then `tune` applies.
///
/// # Errors
/// [`SyncError::Config`] when the client refuses a setting (a bad header).
pub fn http_client(
    cfg: &SourceConfig,
    mut hc: http::SourceConfig,
    clock: Clock,
    tune: Tune<'_>,
) -> Result<HttpClient, SyncError> {
    hc.extra_headers
        .extend(cfg.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    tune(&mut hc);
    HttpClient::new(hc, clock).map_err(|e| config_error(cfg, e.to_string()))
}

/// Records a failed pull in `sync_state` (message and retry deadline); a store error while
/// recording is logged, the pull's own error is what the caller reports.
pub fn note_failure(
    store: &mut Store,
    source: &str,
    err: &SyncError,
    until: Option<Now>,
    now: Now,
) {
    let message = err.to_string();
    if let Err(store_err) = store.write(|tx| write::sync_failure(tx, source, &message, until, now))
    {
        tracing::warn!(source, error = %store_err, "could not record the sync failure");
    }
}

/// A conditional GET of `url` with the ETag stored for it, counted in `report`: `None` when
/// the remote answers 304 (nothing changed), else the new ETag and the response. (`store` is
/// `&mut` so the future stays `Send`: a shared `Store` reference is not.)
///
/// # Errors
/// HTTP and store errors.
pub async fn get_if_changed(
    http: &HttpClient,
    store: &mut Store,
    source: &str,
    url: &Url,
    report: &mut PullReport,
) -> Result<Option<(Option<String>, HttpResponse)>, SyncError> {
    let etag = sync_meta::etag(store.conn(), source, url.as_str())?;
    report.requests += 1;
    Ok(
        match http.get_conditional(url.clone(), etag.as_deref()).await? {
            Conditional::NotModified => None,
            Conditional::Fresh { etag, response } => Some((etag, *response)),
        },
    )
}

/// A change to a source's HTTP settings before its client is built (tests: retry policy,
/// timeouts, seeds, the mutation gap).
pub type Tune<'a> = Box<dyn FnOnce(&mut http::SourceConfig) + 'a>;

/// What a connector is built from: its config section, its resolved token (if it has one),
/// the clock the HTTP layer reads, and a last change to its HTTP settings.
pub type Settings<'a> = (&'a SourceConfig, Option<Secret>, Clock, Tune<'a>);

/// Building a connector from its config section: each connector writes [`Build::build`];
/// [`Build::new`] and [`Build::with_http`] are the two ways to call it.
pub trait Build: Sized {
    /// Builds the connector (checks its config; builds its HTTP client).
    ///
    /// # Errors
    /// [`SyncError::Config`] naming what is missing or wrong.
    fn build(s: Settings<'_>) -> Result<Self, SyncError>;

    /// Builds the source from its config section and resolved token.
    ///
    /// # Errors
    /// As [`Build::build`].
    fn new(cfg: &SourceConfig, token: Option<Secret>, clock: Clock) -> Result<Self, SyncError> {
        Self::with_http(cfg, token, clock, |_| {})
    }

    /// As [`Build::new`], letting `tune` adjust the HTTP settings (tests use short timeouts,
    /// fast backoff and seeds; nothing else should need this).
    ///
    /// # Errors
    /// As [`Build::build`].
    fn with_http<'a>(
        cfg: &'a SourceConfig,
        token: Option<Secret>,
        clock: Clock,
        tune: impl FnOnce(&mut http::SourceConfig) + 'a,
    ) -> Result<Self, SyncError> {
        Self::build((cfg, token, clock, Box::new(tune)))
    }
}

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
        note_failure(store, self.name(), err, err.retry_at(), now);
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
