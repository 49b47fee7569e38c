//! The ingest half of the tracker connector skeleton, written once for every paged pull
//! (Jira, Redmine, GitHub Issues):
//!
//! - [`Lenient`]: a page's item list decoded straight into DTOs, where an item that does not fit
//!   is skipped (and reported) instead of sinking the page;
//! - [`Pages`]: the paging loop. Each page is fetched, then decoded on a blocking thread (serde
//!   off the async runtime), in one task; once the connector says what comes next, the next
//!   page's task is already running while the connector writes the current page;
//! - [`Batch`] and [`write_bugs`]: pages written [`BATCH_ITEMS`] bugs a transaction, at
//!   `synchronous=NORMAL` ([`Store::write_refetchable`]): rows cached as is are skipped, the
//!   others upserted (pending local edits re-applied on top), and the newest page's cursor
//!   moved with them.
//!
//! Each connector keeps only its vendor mapping: the URLs, what "next" means (token, offset,
//! `Link` header) and the DTO → [`Bug`] conversion.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use tokio::task::JoinHandle;

use super::protocol_error;
use crate::domain::{Bug, Tab};
use crate::store::trackers::set_cursor;
use crate::store::write::{self, SameWhen};
use crate::store::Store;
use crate::sync::http::{ApiRequest, HttpClient, HttpResponse};
use crate::sync::{PullReport, SyncError};

/// A list answer: the items under the answer's one list key (Jira's `transitions` and
/// `comments`, Redmine's `issue_statuses`, `issue_priorities` and `users`); absent → empty.
#[derive(Debug, serde::Deserialize)]
pub struct Listed<T> {
    /// The items, in the order the tracker sent them.
    #[serde(
        default,
        alias = "transitions",
        alias = "comments",
        alias = "issue_statuses",
        alias = "issue_priorities",
        alias = "users"
    )]
    pub items: Vec<T>,
}

/// A JSON array decoded item by item into `T`: items that do not fit are counted out, with
/// the decoder's message, instead of failing the whole page.
#[derive(Debug)]
pub struct Lenient<T> {
    /// The items that decoded.
    pub items: Vec<T>,
    /// Why each skipped item did not decode.
    pub skipped: Vec<String>,
}

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl<T> Lenient<T> {
    /// Logs the skipped items of `source` (a `vendor` payload) once each.
    pub fn warn_skipped(&self, source: &str, vendor: &str) {
        for error in &self.skipped {
            tracing::warn!(source, error = %error, "skipping an undecodable {vendor} item");
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for Items<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Lenient {
                    items: Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1000)),
                    skipped: Vec::new(),
                };
                while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
                    match serde_json::from_str::<T>(raw.get()) {
                        Ok(item) => out.items.push(item),
                        Err(e) => out.skipped.push(e.to_string()),
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_seq(Items(PhantomData))
    }
}

/// Runs `work` (page decoding and mapping) on a blocking thread, off the async runtime.
///
/// # Errors
/// `work`'s own error, or a protocol error when the thread died (a panic in a decoder).
pub async fn off_runtime<T: Send + 'static>(
    source: &str,
    work: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(protocol_error(
            source,
            format!("decoding a page stopped: {e}"),
        )),
    }
}

/// A page's decoder, shared by the fetches of one pull.
type Decode<P> = Arc<dyn Fn(HttpResponse) -> Result<P, SyncError> + Send + Sync>;

/// A page being fetched and decoded on the runtime while its caller does something else (writes
/// the page before it); aborted when dropped unanswered (a pull that ends early leaves nothing
/// behind; a decode already running on its blocking thread finishes and is dropped).
struct InFlight<P>(Option<JoinHandle<Result<P, SyncError>>>);

impl<P: Send + 'static> InFlight<P> {
    /// Sends `req`, then decodes its answer on a blocking thread.
    fn fetch(client: &Arc<HttpClient>, source: &str, req: ApiRequest, decode: &Decode<P>) -> Self {
        let (client, source, decode) = (Arc::clone(client), source.to_owned(), Arc::clone(decode));
        InFlight(Some(tokio::spawn(async move {
            let response = client.send_with_retry(req).await?;
            off_runtime(&source, move || decode(response)).await
        })))
    }

    /// Decodes an answer already read, on a blocking thread.
    fn decode(source: &str, response: HttpResponse, decode: &Decode<P>) -> Self {
        let (source, decode) = (source.to_owned(), Arc::clone(decode));
        InFlight(Some(tokio::spawn(async move {
            off_runtime(&source, move || decode(response)).await
        })))
    }

    async fn page(mut self, source: &str) -> Result<P, SyncError> {
        let Some(handle) = self.0.take() else {
            return Err(protocol_error(source, "a page was awaited twice"));
        };
        match handle.await {
            Ok(result) => result,
            Err(e) => Err(protocol_error(
                source,
                format!("a page request stopped: {e}"),
            )),
        }
    }
}

impl<P> Drop for InFlight<P> {
    fn drop(&mut self) {
        if let Some(handle) = &self.0 {
            handle.abort();
        }
    }
}

/// Where the paging of a pull begins.
pub enum First {
    /// The first page's request, not sent yet.
    Request(ApiRequest),
    /// The first page's answer, already read.
    Answer(HttpResponse),
}

impl From<ApiRequest> for First {
    fn from(request: ApiRequest) -> Self {
        First::Request(request)
    }
}

impl From<HttpResponse> for First {
    fn from(answer: HttpResponse) -> Self {
        First::Answer(answer)
    }
}

/// The paging loop of one pull: yields decoded pages (`P`). Each page is fetched and decoded
/// in one task on the runtime (decoding on a blocking thread); the next page's task starts as
/// soon as the current page says what comes next, before the page is handed back, so fetching
/// and decoding page k+1 overlap writing page k. At most `max_pages` requests.
pub struct Pages<P> {
    client: Arc<HttpClient>,
    source: String,
    decode: Decode<P>,
    next: Option<InFlight<P>>,
    pages_left: usize,
    requests: usize,
}

impl<P: Send + 'static> Pages<P> {
    /// Starts with `first`: a request (sent at once) or an answer the connector already read
    /// (a conditional request). `decode` turns an answer into a page on a blocking thread.
    pub fn start(
        client: &Arc<HttpClient>,
        source: &str,
        first: impl Into<First>,
        max_pages: usize,
        decode: impl Fn(HttpResponse) -> Result<P, SyncError> + Send + Sync + 'static,
    ) -> Pages<P> {
        let decode: Decode<P> = Arc::new(decode);
        let next = match first.into() {
            First::Request(request) => InFlight::fetch(client, source, request, &decode),
            First::Answer(answer) => InFlight::decode(source, answer, &decode),
        };
        Pages {
            client: Arc::clone(client),
            source: source.to_owned(),
            decode,
            next: Some(next),
            pages_left: max_pages.saturating_sub(1),
            requests: 0,
        }
    }

    /// Page requests answered so far.
    #[must_use]
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// The next page, or `None` after the last one. `next_request` says, from the page, what
    /// to fetch after it (`Ok(None)`: this was the last page); that page is fetched and decoded
    /// at once, while the caller writes this one. Past `max_pages` nothing more is fetched.
    ///
    /// # Errors
    /// The page's HTTP or decode error, or `next_request`'s error (e.g. a repeated token).
    pub async fn next(
        &mut self,
        next_request: impl FnOnce(&P) -> Result<Option<ApiRequest>, SyncError>,
    ) -> Result<Option<P>, SyncError> {
        let Some(pending) = self.next.take() else {
            return Ok(None);
        };
        let page = pending.page(&self.source).await?;
        self.requests += 1;
        match next_request(&page)? {
            Some(req) if self.pages_left > 0 => {
                self.pages_left -= 1;
                self.next = Some(InFlight::fetch(
                    &self.client,
                    &self.source,
                    req,
                    &self.decode,
                ));
            }
            Some(_) => {
                tracing::warn!(source = %self.source, "stopped after the page limit; the next pull continues");
            }
            None => {}
        }
        Ok(Some(page))
    }
}

/// Writes one page of `bugs` and the cursor in one transaction: rows already cached as is
/// ([`SameWhen::AllRemoteFields`]) are left alone, the others upserted with pending local edits
/// re-applied. Returns whether anything was written.
///
/// The page is re-fetchable cache data, so it commits through [`Store::write_refetchable`]
/// (no fsync per page; see there why that loses no edit).
///
/// # Errors
/// Store errors (nothing of the page is then written).
pub fn write_bugs(
    store: &mut Store,
    source: &str,
    bugs: &[Bug],
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, SyncError> {
    Ok(store.write_refetchable(|tx| {
        let wrote = write::upsert_bugs_if_changed(tx, bugs, now, SameWhen::AllRemoteFields)?;
        if let Some(c) = cursor {
            set_cursor(tx, source, c)?;
        }
        Ok(wrote)
    })?)
}

/// Bugs pulled per write transaction: pages are written together until this many are waiting.
/// Each commit rewrites every b-tree page it touched (the bugs table has about ten indexes),
/// so one commit per 100-item page spent a third of the write in WAL frames and checkpoints;
/// 500 keeps a write transaction near 5 ms, short enough for an edit waiting on the lock.
pub const BATCH_ITEMS: usize = 500;

/// Decoded pages waiting to be written together with the newest cursor among them, and the
/// end of a pull's walk ([`Batch::finish`]).
///
/// A cursor is only ever committed with the rows of every page up to it; when a pull stops on
/// an error, [`Batch::finish`] still writes the pages read whole before it (what stopped it
/// never had its rows in the batch), so a failure loses no more than one page-per-page write
/// would have.
#[derive(Debug, Default)]
pub struct Batch {
    bugs: Vec<Bug>,
    cursor: Option<String>,
    /// Whether any write of this batch changed a row.
    changed: bool,
}

impl Batch {
    /// Adds a page's bugs and the cursor that holds once they are written; writes the batch
    /// once [`BATCH_ITEMS`] are waiting.
    ///
    /// # Errors
    /// Store errors (nothing of the batch is then written).
    pub fn add(
        &mut self,
        store: &mut Store,
        source: &str,
        bugs: Vec<Bug>,
        cursor: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        self.bugs.extend(bugs);
        if cursor.is_some() {
            self.cursor = cursor;
        }
        if self.bugs.len() >= BATCH_ITEMS {
            self.write(store, source, now)?;
        }
        Ok(())
    }

    /// Writes what is waiting (see [`write_bugs`]) and empties the batch.
    ///
    /// # Errors
    /// Store errors (nothing of the batch is then written).
    pub fn write(
        &mut self,
        store: &mut Store,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        let bugs = std::mem::take(&mut self.bugs);
        let cursor = self.cursor.take();
        if cursor.is_none() && bugs.is_empty() {
            return Ok(());
        }
        self.changed |= write_bugs(store, source, &bugs, cursor.as_deref(), now)?;
        Ok(())
    }

    /// Ends a pull whatever ended its `walk`: the pages read whole are written with their
    /// cursor, then the walk's error is returned; or, after a whole walk, `report` counts the
    /// `pages`' requests and, when a row changed, the bugs tab.
    ///
    /// # Errors
    /// The walk's error, else a store error of the last write.
    pub fn finish<P: Send + 'static>(
        mut self,
        store: &mut Store,
        source: &str,
        now: DateTime<Utc>,
        walk: Result<(), SyncError>,
        pages: &Pages<P>,
        report: &mut PullReport,
    ) -> Result<(), SyncError> {
        let flushed = self.write(store, source, now);
        if let (Err(_), Err(store_err)) = (&walk, &flushed) {
            tracing::warn!(source, error = %store_err, "could not write the pages read before a failure");
        }
        walk?;
        flushed?;
        report.requests += pages.requests();
        if self.changed {
            report.changed.push(Tab::Bugs);
        }
        Ok(())
    }
}
