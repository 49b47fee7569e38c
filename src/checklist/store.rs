//! The checklist in the cache: registering plan files, refreshing them from disk, and writing
//! queued edits back to them.
//!
//! The file is the source of truth. The cache keeps the last-synced content as the *base*;
//! each item row keeps its [`ItemKey`] (section path, raw text, occurrence) so a queued edit can
//! find its item again. Writing back re-reads the file, re-applies the pending edits onto what is
//! there now ([`merge::rebase`]), and writes atomically only if the file did not move meanwhile;
//! edits whose item changed on both sides become conflicts. An unreachable or read-only file
//! leaves the edits pending, to land later.
//!
//! Documents kept by a remote source (`checklist_docs.source` set, e.g. `github-tasklist` issue
//! bodies) are not files: [`push_pending`] and [`refresh_from_disk`] skip them, and their
//! connector stores them with [`import_remote_document`] and re-applies edits with [`item_op`].

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Transaction};

use super::file;
use super::merge::{self, ItemOp, OpKind, OpOutcome};
use super::parse::{self, ItemKey};
use crate::domain::ChecklistItem;
use crate::sanitize;
use crate::store::{first_value, write, OpState, Operation, Result, Store, StoreError};

/// How long a file that could not be written waits before the next attempt.
pub const FILE_RETRY_DELAY: Duration = Duration::seconds(10);

/// Whether a section heading marks a gate.
#[must_use]
pub fn is_gate(section: &str, gates: &[String]) -> bool {
    gates.iter().any(|g| g.eq_ignore_ascii_case(section.trim()))
        || section.to_ascii_lowercase().contains("gate")
}

fn key_json(key: &ItemKey) -> String {
    serde_json::json!({
        "section_path": key.section_path,
        "text": key.text,
        "occurrence": key.occurrence,
        "occurrences": key.occurrences,
    })
    .to_string()
}

/// The item key stored with a cached item (`checklist_items.item_key`).
pub fn key_from_json(s: &str) -> Option<ItemKey> {
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    Some(ItemKey {
        section_path: v
            .get("section_path")?
            .as_array()?
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        text: v.get("text")?.as_str()?.to_string(),
        occurrence: usize::try_from(v.get("occurrence")?.as_u64()?).ok()?,
        occurrences: usize::try_from(v.get("occurrences")?.as_u64()?).ok()?,
    })
}

/// Parses `content` and stores it as the document at `path` (the new base) with its items.
///
/// # Errors
/// SQLite errors.
pub fn import_document(
    tx: &Transaction<'_>,
    path: &str,
    content: &str,
    gates: &[String],
    now: DateTime<Utc>,
) -> Result<i64> {
    let doc = parse::parse(content);
    let title = doc.title.as_ref().map_or_else(
        || {
            Path::new(path)
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        },
        |h| h.text.clone(),
    );
    let doc_id = write::upsert_checklist_doc(tx, path, &sanitize::line(&title), content, now)?;
    let cached: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM checklist_items WHERE doc_id = ?1)",
        [doc_id],
        |r| r.get(0),
    )?;
    if !cached {
        insert_fresh(tx, doc_id, doc.items, gates)?;
        return Ok(doc_id);
    }
    let items: Vec<ChecklistItem> = doc
        .items
        .iter()
        .enumerate()
        .map(|(ordinal, it)| row_of(ordinal, it, gates))
        .collect();
    write::replace_checklist_items(tx, doc_id, &items, now)?;
    // Matched on the text too: a row kept only because an edit of it is still queued keeps its
    // old ordinal, and must keep its old key rather than take the key of whatever line now sits
    // at that position (a line someone else rewrote), or the edit would land on that line.
    let mut set_key = tx.prepare_cached(
        "UPDATE checklist_items SET item_key = ?1 WHERE doc_id = ?2 AND ordinal = ?3 AND text = ?4",
    )?;
    for (ordinal, (it, row)) in doc.items.iter().zip(&items).enumerate() {
        set_key.execute(params![
            key_json(&it.key()),
            doc_id,
            i64::try_from(ordinal).unwrap_or(i64::MAX),
            row.text
        ])?;
    }
    Ok(doc_id)
}

/// The cached row of a parsed item (sanitized where it enters the cache).
fn row_of(ordinal: usize, it: &parse::Item, gates: &[String]) -> ChecklistItem {
    let section = it.section_path.first().cloned().unwrap_or_default();
    ChecklistItem {
        id: 0,
        doc_id: 0,
        ordinal: i64::try_from(ordinal).unwrap_or(i64::MAX),
        gate: is_gate(&section, gates),
        section: sanitize::line(&section),
        group: sanitize::line(
            &it.section_path
                .get(1..)
                .map(|p| p.join(" › "))
                .unwrap_or_default(),
        ),
        text: sanitize::line(&it.text),
        checked: it.checked,
        owner: it.owner.as_deref().map(sanitize::line),
        code: it.code.as_deref().map(sanitize::line),
        depth: u32::try_from(it.depth).unwrap_or(0),
        occurrence: u32::try_from(it.occurrence).unwrap_or(0),
        note: None,
        pending: false,
        conflict: false,
    }
}

/// First import of a document (no cached rows, so no notes to keep and no queued edits to
/// re-apply): each parsed item is written as its row, key included, and dropped as it goes, so
/// the peak is the parsed document alone rather than the document plus a second full copy of
/// every row (issue #13 finding 6), and each row is written once instead of insert + update.
fn insert_fresh(
    tx: &Transaction<'_>,
    doc_id: i64,
    items: Vec<parse::Item>,
    gates: &[String],
) -> Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO checklist_items (doc_id, ordinal, section, grp, text, checked, owner, code, depth, occurrence, note, gate, item_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12)",
    )?;
    for (ordinal, it) in items.into_iter().enumerate() {
        let row = row_of(ordinal, &it, gates);
        insert.execute(params![
            doc_id,
            row.ordinal,
            row.section,
            row.group,
            row.text,
            row.checked,
            row.owner,
            row.code,
            row.depth,
            row.occurrence,
            row.gate,
            key_json(&it.key()),
        ])?;
    }
    Ok(())
}

/// Registers a plan file (reads it now).
///
/// # Errors
/// [`StoreError::Refused`] with the file error, or SQLite errors.
pub fn register_file(
    store: &mut Store,
    path: &Path,
    gates: &[String],
    now: DateTime<Utc>,
) -> Result<i64> {
    register_file_limited(
        store,
        path,
        gates,
        now,
        crate::config::DEFAULT_MAX_PLAN_BYTES,
    )
}

/// [`register_file`] refusing plans over `limit_bytes` (`general.max_plan_bytes`) before any
/// parsing, so a huge file costs neither minutes nor hundreds of MB.
///
/// # Errors
/// As [`register_file`]; a file over the limit is [`StoreError::Refused`] saying so.
pub fn register_file_limited(
    store: &mut Store,
    path: &Path,
    gates: &[String],
    now: DateTime<Utc>,
    limit_bytes: u64,
) -> Result<i64> {
    let content = file::read_plan_limited(path, limit_bytes)
        .map_err(|e| StoreError::Refused(format!("cannot read {}: {e}", path.display())))?;
    let label = path.to_string_lossy().into_owned();
    store.write(|tx| import_document(tx, &label, &content, gates, now))
}

/// What a file push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Entries written to files.
    pub done: usize,
    /// Entries now in conflict.
    pub conflicts: usize,
    /// Entries waiting for their file.
    pub waiting: usize,
    /// Something changed (reload the tab).
    pub changed: bool,
}

struct PendingEdit {
    seq: i64,
    item_id: i64,
    key: Option<ItemKey>,
    op: Operation,
}

/// Writes every pending checklist edit to its file; see the module doc for the rules.
///
/// # Errors
/// SQLite errors (file problems leave the edits pending and are recorded on them).
pub fn push_pending(store: &mut Store, now: DateTime<Utc>) -> Result<PushReport> {
    let mut report = PushReport::default();
    // The stored text is read only for a document with edits to push: reading every one's
    // held a 100k-item plan (~4 MiB) on every checklist reload (issue #12, peak RSS).
    let docs: Vec<(i64, String)> = {
        let mut stmt = store.conn().prepare("SELECT id, path FROM checklist_docs WHERE path NOT LIKE 'demo:%' AND source IS NULL ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (doc_id, path) in docs {
        let pending = pending_for(store, doc_id, &path, now)?;
        if pending.is_empty() {
            continue;
        }
        let base: String = store.conn().query_row(
            "SELECT base_content FROM checklist_docs WHERE id = ?1",
            [doc_id],
            |r| r.get(0),
        )?;
        push_doc(
            store,
            doc_id,
            Path::new(&path),
            &base,
            pending,
            now,
            &mut report,
        )?;
    }
    Ok(report)
}

fn pending_for(
    store: &Store,
    doc_id: i64,
    path: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PendingEdit>> {
    let mut stmt = store.conn().prepare(
        "SELECT o.seq, o.entity_id, o.op, i.item_key FROM outbox o JOIN checklist_items i ON i.id = o.entity_id \
         WHERE o.entity_kind = 'checklist_item' AND o.source = ?1 AND o.remote = 1 AND o.state IN ('pending', 'inflight') \
         AND COALESCE(o.next_attempt_at, 0) <= ?2 AND i.doc_id = ?3 ORDER BY o.seq",
    )?;
    let rows = stmt.query_map(
        params![format!("file:{path}"), now.timestamp(), doc_id],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, item_id, op, key) = row?;
        let op: Operation = serde_json::from_str(&op)
            .map_err(|e| StoreError::Corrupt(format!("outbox op: {e}")))?;
        out.push(PendingEdit {
            seq,
            item_id,
            key: key.as_deref().and_then(key_from_json),
            op,
        });
    }
    Ok(out)
}

/// Turns queued operations into merge operations, tracking text changes of the same item.
/// Structural edits (add, delete, move) are built against the base the user saw.
fn item_ops(base: &str, pending: &[PendingEdit]) -> Vec<Option<ItemOp>> {
    let base_doc = parse::parse(base);
    let mut keys: std::collections::HashMap<i64, ItemKey> = std::collections::HashMap::new();
    pending
        .iter()
        .map(|p| {
            let key = keys.get(&p.item_id).cloned().or_else(|| p.key.clone())?;
            if let Operation::SetItemText { new, .. } = &p.op {
                let mut next = key.clone();
                next.text.clone_from(new);
                keys.insert(p.item_id, next);
            }
            item_op(&base_doc, key, &p.op)
        })
        .collect()
}

/// The merge operation for one queued checklist edit of the item `key`, built against
/// `base_doc` (the document the user saw); `None` for an edit Markdown cannot hold.
///
/// Shared by plan files and by checklists kept elsewhere (`github-tasklist` issue bodies), so
/// both re-apply edits with the same rules.
#[must_use]
pub fn item_op(base_doc: &parse::Document, key: ItemKey, op: &Operation) -> Option<ItemOp> {
    let kind = match op {
        Operation::SetItemChecked { old, new } => OpKind::SetChecked {
            old: *old,
            new: *new,
        },
        Operation::SetItemText { old, new } => OpKind::SetText {
            old: old.clone(),
            new: new.clone(),
        },
        Operation::SetItemOwner { old, new } => OpKind::SetOwner {
            old: old.clone(),
            new: new.clone(),
        },
        Operation::AddItem { text, above } => {
            let anchor = super::edit::find_item(base_doc, &key).ok()?;
            let position = if *above {
                super::edit::Position::Before
            } else {
                super::edit::Position::After
            };
            return Some(ItemOp::insert(base_doc, anchor, position, text));
        }
        Operation::DeleteItem { .. } => {
            let item = super::edit::find_item(base_doc, &key).ok()?;
            return Some(ItemOp::delete(item));
        }
        Operation::MoveItem { down } => {
            let item = super::edit::find_item(base_doc, &key).ok()?;
            let direction = if *down {
                super::edit::Direction::Down
            } else {
                super::edit::Direction::Up
            };
            return ItemOp::move_item(base_doc, item, direction);
        }
        _ => return None,
    };
    Some(ItemOp { key, kind })
}

#[allow(clippy::too_many_arguments, reason = "internal step of push_pending")]
fn push_doc(
    store: &mut Store,
    doc_id: i64,
    path: &Path,
    base: &str,
    pending: Vec<PendingEdit>,
    now: DateTime<Utc>,
    report: &mut PushReport,
) -> Result<()> {
    let ops = item_ops(base, &pending);
    for _attempt in 0..3 {
        let theirs = match file::read_plan(path) {
            Ok(t) => t,
            Err(e) => return wait_for_file(store, &pending, &e.to_string(), now, report),
        };
        let usable: Vec<ItemOp> = ops.iter().flatten().cloned().collect();
        let merged = merge::rebase(&theirs, &usable);
        let outcome = if merged.content == theirs {
            Ok(file::WriteOutcome::Written)
        } else {
            file::write_if_unchanged(path, &theirs, &merged.content)
        };
        match outcome {
            Ok(file::WriteOutcome::Written) => {
                let mut outcomes = merged.outcomes.iter();
                for (p, op) in pending.iter().zip(&ops) {
                    match op.as_ref().and_then(|_| outcomes.next()) {
                        Some(OpOutcome::Applied | OpOutcome::AlreadyApplied) => {
                            store.mark_done(p.seq, now)?;
                            report.done += 1;
                        }
                        Some(OpOutcome::Conflict(c)) => {
                            let theirs = c
                                .theirs
                                .clone()
                                .unwrap_or_else(|| "(item no longer in the file)".into());
                            store.mark_conflict(p.seq, now, &sanitize::line(&theirs))?;
                            report.conflicts += 1;
                        }
                        None => store.mark_failed(
                            p.seq,
                            now,
                            "this edit cannot be written to a Markdown file",
                        )?,
                    }
                }
                let label = path.to_string_lossy().into_owned();
                let content = merged.content;
                store.write(|tx| {
                    let gates = gates_of(tx, doc_id)?;
                    import_document(tx, &label, &content, &gates, now)
                })?;
                report.changed = true;
                return Ok(());
            }
            Ok(file::WriteOutcome::Moved { .. }) => {
                // The file moved between our read and our write: merge again against it.
                continue;
            }
            Err(e) => return wait_for_file(store, &pending, &e.to_string(), now, report),
        }
    }
    wait_for_file(
        store,
        &pending,
        "the file kept changing while opsdeck wrote it",
        now,
        report,
    )
}

/// Sections of a document currently marked as gates (kept across re-imports).
fn gates_of(tx: &Transaction<'_>, doc_id: i64) -> Result<Vec<String>> {
    let mut stmt =
        tx.prepare("SELECT DISTINCT section FROM checklist_items WHERE doc_id = ?1 AND gate = 1")?;
    let rows = stmt.query_map([doc_id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn wait_for_file(
    store: &mut Store,
    pending: &[PendingEdit],
    why: &str,
    now: DateTime<Utc>,
    report: &mut PushReport,
) -> Result<()> {
    for p in pending {
        store.mark_retry(
            p.seq,
            now,
            now + FILE_RETRY_DELAY,
            &format!("waiting for the file: {why}"),
        )?;
        report.waiting += 1;
    }
    report.changed = true;
    Ok(())
}

/// Stores a checklist kept by a remote source (a `github-tasklist` issue body) as the document
/// `path`: `content` is the remote's *raw* text and becomes the base (write-back is byte-exact
/// against it); titles and items are sanitized by [`import_document`]. `title` (the issue
/// title) replaces the first-heading title; `remote_updated_at` is the version read. Sections
/// already marked as gates stay gates.
///
/// # Errors
/// SQLite errors.
#[allow(clippy::too_many_arguments, reason = "one row's columns")]
pub fn import_remote_document(
    tx: &Transaction<'_>,
    source: &str,
    path: &str,
    title: &str,
    content: &str,
    remote_updated_at: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let existing: Option<i64> =
        first_value(tx, "SELECT id FROM checklist_docs WHERE path = ?1", [path])?;
    let gates = match existing {
        Some(id) => gates_of(tx, id)?,
        None => Vec::new(),
    };
    let doc_id = import_document(tx, path, content, &gates, now)?;
    tx.execute(
        "UPDATE checklist_docs SET source = ?1, remote_updated_at = ?2, title = ?3 WHERE id = ?4",
        params![source, remote_updated_at, sanitize::line(title), doc_id],
    )?;
    Ok(doc_id)
}

/// Re-reads every registered file; a file changed elsewhere becomes the new base (pending edits
/// are re-applied on top by the store). Unreachable files are left as they are, with the error
/// recorded on the document.
///
/// # Errors
/// SQLite errors.
pub fn refresh_from_disk(store: &mut Store, gates: &[String], now: DateTime<Utc>) -> Result<bool> {
    // Only the stored text's size is read here (`octet_length` does not load the text): the
    // text itself is compared in SQL, and only with a file of the same size. Loading every
    // document's text into a String held 2 copies of a 100k-item plan (~8 MiB) on every
    // checklist reload, even when its file was missing (issue #12, peak RSS).
    let docs: Vec<(i64, String, i64)> = {
        let mut stmt = store.conn().prepare(
            "SELECT id, path, octet_length(base_content) FROM checklist_docs WHERE path NOT LIKE 'demo:%' AND source IS NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut changed = false;
    for (doc_id, path, base_bytes) in docs {
        let differs = |content: &str| -> Result<bool> {
            if i64::try_from(content.len()).ok() != Some(base_bytes) {
                return Ok(true);
            }
            let same: bool = store.conn().query_row(
                "SELECT base_content = ?2 FROM checklist_docs WHERE id = ?1",
                params![doc_id, content],
                |r| r.get(0),
            )?;
            Ok(!same)
        };
        match file::read_plan(Path::new(&path)) {
            Ok(content) if differs(&content)? => {
                store.write(|tx| import_document(tx, &path, &content, gates, now))?;
                changed = true;
            }
            Ok(_) => {}
            Err(e) => {
                // Only a new error is written: rewriting the row rewrites its stored text too
                // (~12 MiB of SQLite memory for a 100k-item plan on every checklist reload).
                store.write(|tx| {
                    tx.execute(
                        "UPDATE checklist_docs SET last_error = ?1 WHERE id = ?2 AND last_error IS NOT ?1",
                        params![sanitize::line(&e.to_string()), doc_id],
                    )?;
                    Ok(())
                })?;
            }
        }
    }
    Ok(changed)
}

/// The state of one outbox entry (for tests).
///
/// # Errors
/// SQLite errors.
pub fn entry_state(store: &Store, seq: i64) -> Result<Option<OpState>> {
    let s: Option<String> = first_value(
        store.conn(),
        "SELECT state FROM outbox WHERE seq = ?1",
        [seq],
    )?;
    Ok(s.map(|s| match s.as_str() {
        "done" => OpState::Done,
        "conflict" => OpState::Conflict,
        "failed" => OpState::Failed,
        "inflight" => OpState::Inflight,
        "undone" => OpState::Undone,
        _ => OpState::Pending,
    }))
}
