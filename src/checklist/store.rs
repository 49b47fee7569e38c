//! Registering plan documents in the cache (temporary line scanner until the CommonMark parser
//! lands).

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use crate::domain::ChecklistItem;
use crate::store::{write, Result};

/// Parses `content` and stores it as the document at `path` with its items.
///
/// # Errors
/// SQLite errors.
pub fn import_document(tx: &Transaction<'_>, path: &str, content: &str, gates: &[String], now: DateTime<Utc>) -> Result<i64> {
    let mut items = Vec::new();
    let mut section = String::new();
    let mut group = String::new();
    let mut title = String::new();
    let mut in_fence = false;
    for line in content.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(h) = trimmed.strip_prefix("# ") {
            title = h.to_string();
        } else if let Some(h) = trimmed.strip_prefix("## ") {
            section = h.to_string();
            group.clear();
        } else if let Some(h) = trimmed.strip_prefix("### ") {
            group = h.to_string();
        } else if let Some(rest) = trimmed.strip_prefix("- [").or_else(|| trimmed.strip_prefix("* [")) {
            let checked = rest.starts_with('x') || rest.starts_with('X');
            let text = rest.get(3..).unwrap_or("").trim().to_string();
            let occurrence = u32::try_from(items.iter().filter(|i: &&ChecklistItem| i.text == text && i.section == section).count()).unwrap_or(0);
            let gate = gates.iter().any(|g| g == &section) || section.to_lowercase().contains("gate");
            items.push(ChecklistItem {
                id: 0,
                doc_id: 0,
                ordinal: 0,
                section: section.clone(),
                group: group.clone(),
                owner: text.rsplit_once(" @").map(|(_, o)| o.to_string()),
                code: None,
                text,
                checked,
                depth: u32::try_from((line.len() - trimmed.len()) / 2).unwrap_or(0),
                occurrence,
                note: None,
                gate,
                pending: false,
                conflict: false,
            });
        }
    }
    let doc = write::upsert_checklist_doc(tx, path, &title, content, now)?;
    write::replace_checklist_items(tx, doc, &items, now)?;
    Ok(doc)
}
