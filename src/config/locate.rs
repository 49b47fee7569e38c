//! Finding where in the config file a key or value was written, so that every config error
//! names `file:line:col` (issue #13 finding 5) — also the ones found after deserializing
//! (duplicate names, objectives, time zones, URLs) and the unknown keys serde reports without a
//! position (`#[serde(flatten)]` loses it).
//!
//! Uses toml's spanned document (`toml::de::DeTable`); a path that cannot be found (a value
//! that came from a default) yields `None` and the caller keeps its position-less message.

use toml::de::{DeTable, DeValue};

/// One step of a path into the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    /// A table key.
    Key(&'a str),
    /// An array index (e.g. the n-th `[[sources]]`).
    Index(usize),
}

/// Byte offset of the value at `path`, if it was written in the file.
#[must_use]
pub fn offset(text: &str, path: &[Seg<'_>]) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let root = DeValue::Table(doc.into_inner());
    let mut current = &root;
    let mut span = None;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => current.get(*k)?,
            Seg::Index(i) => current.get(*i)?,
        };
        span = Some(next.span().start);
        current = next.get_ref();
    }
    span
}

/// Byte offset of the first key named `key` written at or after `from` (anywhere in the
/// document): used for serde's "unknown field" errors that carry no position of their own.
#[must_use]
pub fn key_after(text: &str, key: &str, from: usize) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut found: Option<usize> = None;
    let mut pending: Vec<&DeValue<'_>> = Vec::new();
    let mut tables: Vec<&DeTable<'_>> = vec![doc.get_ref()];
    // Bounded by the document's size: every value is visited once.
    loop {
        if let Some(t) = tables.pop() {
            for (k, v) in t.iter() {
                let at = k.span().start;
                if k.get_ref() == key && at >= from && found.is_none_or(|f| at < f) {
                    found = Some(at);
                }
                pending.push(v.get_ref());
            }
        } else if let Some(v) = pending.pop() {
            match v {
                DeValue::Table(t) => tables.push(t),
                DeValue::Array(a) => pending.extend(a.iter().map(toml::Spanned::get_ref)),
                _ => {}
            }
        } else {
            return found;
        }
    }
}

/// The name inside serde's "unknown field `x`" message.
#[must_use]
pub fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.split_once("unknown field `")?.1;
    rest.split_once('`').map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[general]\nactor = \"x\"\n\n[[sources]]\nname = \"a\"\n\n[[sources]]\nname = \"a\"\nbogus = 1\n";

    #[test]
    fn paths_into_arrays_of_tables_find_the_value() {
        let at = offset(
            TEXT,
            &[Seg::Key("sources"), Seg::Index(1), Seg::Key("name")],
        )
        .unwrap();
        assert_eq!(&TEXT[at..at + 3], "\"a\"");
        assert_eq!(TEXT[..at].matches('\n').count() + 1, 8);
        assert!(offset(TEXT, &[Seg::Key("slos")]).is_none());
    }

    #[test]
    fn an_unknown_key_is_found_after_its_table() {
        let table = TEXT.find("[[sources]]").unwrap();
        let at = key_after(TEXT, "bogus", table).unwrap();
        assert!(TEXT[at..].starts_with("bogus"));
        assert_eq!(
            unknown_field("unknown field `bogus`, expected one of"),
            Some("bogus")
        );
    }
}
