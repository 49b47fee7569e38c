//! Atlassian Document Format (ADF) in both directions: flattening Jira v3 descriptions and
//! comments to plain text, and building comment bodies from plain text.
//!
//! Flattening walks the node tree (bounded: serde_json already caps nesting at 128 levels):
//! text nodes give their text, `hardBreak` a newline, block nodes end with a newline, list
//! items start with `- `, and inline nodes without text (mentions, emoji, cards) give their
//! `attrs.text` / `attrs.shortName` / `attrs.url`. A plain string (Jira v2-style) is used as is.

use serde_json::{json, Value};

/// Block nodes that end with a line break when flattened.
const BLOCKS: &[&str] = &[
    "paragraph",
    "heading",
    "blockquote",
    "codeBlock",
    "rule",
    "panel",
    "mediaSingle",
    "tableRow",
];

/// The plain text of an ADF document (or of a plain string), trimmed; `""` for anything else.
#[must_use]
pub fn flatten(doc: &Value) -> String {
    let mut out = String::new();
    match doc {
        Value::String(s) => out.push_str(s),
        Value::Object(_) => walk(doc, &mut out),
        _ => {}
    }
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = lines.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_owned()
}

fn walk(node: &Value, out: &mut String) {
    let kind = node.get("type").and_then(Value::as_str).unwrap_or("");
    let attr = |name: &str| {
        node.get("attrs")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
    };
    match kind {
        "text" => {
            if let Some(t) = node.get("text").and_then(Value::as_str) {
                out.push_str(t);
            }
            return;
        }
        "hardBreak" => {
            out.push('\n');
            return;
        }
        "mention" | "emoji" | "status" | "date" => {
            if let Some(t) = attr("text").or_else(|| attr("shortName")) {
                out.push_str(t);
            }
            return;
        }
        "inlineCard" | "blockCard" => {
            if let Some(u) = attr("url") {
                out.push_str(u);
            }
            return;
        }
        "listItem" => out.push_str("- "),
        "tableCell" | "tableHeader" => out.push_str(" | "),
        _ => {}
    }
    if let Some(children) = node.get("content").and_then(Value::as_array) {
        for child in children {
            walk(child, out);
        }
    }
    if BLOCKS.contains(&kind) && !out.ends_with('\n') {
        out.push('\n');
    }
    if kind == "paragraph" {
        out.push('\n');
    }
}

/// An ADF document for `text`: one paragraph per blank-line-separated block, with `hardBreak`
/// nodes between its lines.
#[must_use]
pub fn from_text(text: &str) -> Value {
    let normalized = text.replace("\r\n", "\n");
    let mut paragraphs = Vec::new();
    for block in normalized.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.trim().is_empty() {
            continue;
        }
        let mut content = Vec::new();
        for (i, line) in block.split('\n').enumerate() {
            if i > 0 {
                content.push(json!({"type": "hardBreak"}));
            }
            if !line.is_empty() {
                content.push(json!({"type": "text", "text": line}));
            }
        }
        paragraphs.push(json!({"type": "paragraph", "content": content}));
    }
    if paragraphs.is_empty() {
        paragraphs.push(json!({"type": "paragraph", "content": []}));
    }
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_keeps_paragraphs_lists_and_mentions() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Checkout fails"},
                {"type": "hardBreak"},
                {"type": "mention", "attrs": {"id": "1", "text": "@Mia"}}
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "step one"}]}]}
            ]}
        ]});
        assert_eq!(flatten(&doc), "Checkout fails\n@Mia\n\n- step one");
    }

    #[test]
    fn a_plain_string_description_is_used_as_is() {
        assert_eq!(
            flatten(&json!("Main order flow broken")),
            "Main order flow broken"
        );
    }

    #[test]
    fn anything_else_flattens_to_nothing() {
        assert_eq!(flatten(&json!(1)), "");
        assert_eq!(flatten(&Value::Null), "");
    }

    #[test]
    fn text_round_trips_through_adf() {
        let text = "first line\nsecond line\n\nnext paragraph";
        assert_eq!(flatten(&from_text(text)), text);
    }
}
