//! Fuzz target: parse arbitrary Markdown, toggle every item, and check the one-byte property.
//!
//! Run with `cargo fuzz run parse_write -- -timeout=1 -rss_limit_mb=512` (RELIABILITY.md E1).
//! Panics on: any item whose toggle changes a byte count other than exactly one, changes the
//! length, changes the number of items, or fails to flip that item's state.
#![no_main]

use opsdeck::checklist::edit::{set_checked, set_checked_at};
use opsdeck::checklist::parse::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let doc = parse(src);
    for (i, item) in doc.items.iter().enumerate() {
        let out = set_checked_at(src, item, !item.checked);
        assert_eq!(out.len(), src.len(), "toggle changed the length");
        let changed = src.bytes().zip(out.bytes()).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 1, "toggle of item {i} changed {changed} bytes");
        let again = parse(&out);
        assert_eq!(again.items.len(), doc.items.len(), "toggle changed the item count");
        assert_eq!(again.items[i].checked, !item.checked, "toggle did not flip item {i}");
        assert_eq!(again.items[i].text, item.text, "toggle changed item {i}'s text");
        // The key resolves to the same item and gives the same bytes.
        let by_key = set_checked(src, &item.key(), !item.checked).ok();
        assert_eq!(by_key.as_deref(), Some(out.as_str()), "key of item {i} did not resolve");
    }
});
