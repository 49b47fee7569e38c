//! `opsdeck checklist export`: every item with its section path, state, owner and note.

use crate::domain::Format;
use crate::domain::{ChecklistDoc, ChecklistItem};

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders items in the chosen format (deterministic: document then document order).
#[must_use]
pub fn render(docs: &[ChecklistDoc], items: &[ChecklistItem], format: Format) -> String {
    let doc_path = |id: i64| {
        docs.iter()
            .find(|d| d.id == id)
            .map_or("", |d| d.path.as_str())
    };
    let path_of = |i: &ChecklistItem| {
        if i.group.is_empty() {
            i.section.clone()
        } else {
            format!("{} › {}", i.section, i.group)
        }
    };
    match format {
        Format::Md => {
            let mut out = String::new();
            let mut last = (0, String::new());
            for i in items {
                let section = path_of(i);
                if last.0 != i.doc_id {
                    out.push_str(&format!("# {}\n", doc_path(i.doc_id)));
                }
                if last.0 != i.doc_id || last.1 != section {
                    out.push_str(&format!("\n## {section}\n\n"));
                }
                last = (i.doc_id, section);
                out.push_str(&format!(
                    "- [{}] {}",
                    if i.checked { "x" } else { " " },
                    i.text
                ));
                if let Some(note) = &i.note {
                    out.push_str(&format!(" — note: {note}"));
                }
                out.push('\n');
            }
            out
        }
        Format::Csv => {
            let mut out = String::from("document,section,state,owner,code,text,note\n");
            for i in items {
                let row = [
                    doc_path(i.doc_id).to_string(),
                    path_of(i),
                    if i.checked {
                        "done".into()
                    } else {
                        "open".into()
                    },
                    i.owner.clone().unwrap_or_default(),
                    i.code.clone().unwrap_or_default(),
                    i.text.clone(),
                    i.note.clone().unwrap_or_default(),
                ];
                out.push_str(
                    &row.iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push('\n');
            }
            out
        }
        Format::Json => {
            let list: Vec<serde_json::Value> = items
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "document": doc_path(i.doc_id),
                        "section_path": path_of(i),
                        "state": if i.checked { "done" } else { "open" },
                        "owner": i.owner,
                        "code": i.code,
                        "text": i.text,
                        "note": i.note,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
            s.push('\n');
            s
        }
    }
}
