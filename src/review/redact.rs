//! `--redact`: customer names and people replaced by stable placeholders.
//!
//! Customers become "Customer A", "Customer B", … in order of name; people (assignees, owners,
//! deployers) become "Person 1", "Person 2", … in order of name. The same placeholders replace
//! whole-word mentions (and `@mentions`) inside titles, sections and notes, so a name does not
//! leak through free text. The order depends only on the snapshot, so the output is stable.

use std::collections::{BTreeMap, BTreeSet};

use super::model::ReviewSnapshot;

/// "A" … "Z", then "AA", "AB", … for the customer at position `i`.
fn letters(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// Replaces whole-word occurrences of `from` (not inside a longer word) with `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() || !text.contains(from) {
        return text.to_string();
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(pos) = rest.find(from) {
        let before = if pos > 0 {
            rest[..pos].chars().last()
        } else {
            prev
        };
        let after = rest[pos + from.len()..].chars().next();
        prev = from.chars().last();
        out.push_str(&rest[..pos]);
        if word(before) || word(after) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[pos + from.len()..];
    }
    out.push_str(rest);
    out
}

struct Names {
    /// (original, placeholder), longest original first.
    pairs: Vec<(String, String)>,
    exact: BTreeMap<String, String>,
}

impl Names {
    fn new(customers: &[(String, String)], people: &BTreeSet<String>) -> Names {
        let mut exact = BTreeMap::new();
        let mut sorted: Vec<&(String, String)> = customers.iter().collect();
        sorted.sort();
        for (i, (name, slug)) in sorted.iter().enumerate() {
            let placeholder = format!("Customer {}", letters(i));
            exact.insert(name.clone(), placeholder.clone());
            exact.insert(slug.clone(), placeholder);
        }
        for (i, p) in people.iter().enumerate() {
            exact
                .entry(p.clone())
                .or_insert_with(|| format!("Person {}", i + 1));
        }
        let mut pairs: Vec<(String, String)> = exact
            .iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Names { pairs, exact }
    }

    fn name(&self, s: &mut String) {
        if let Some(p) = self.exact.get(s.as_str()) {
            *s = p.clone();
        } else {
            self.text(s);
        }
    }

    fn opt(&self, s: &mut Option<String>) {
        if let Some(s) = s {
            self.name(s);
        }
    }

    fn text(&self, s: &mut String) {
        let mut t = s.clone();
        for (from, to) in &self.pairs {
            t = replace_word(&t, &format!("@{from}"), to);
            t = replace_word(&t, from, to);
        }
        *s = t;
    }
}

/// Replaces customer names and people in `snap` with placeholders, and marks it redacted.
pub fn redact(snap: &mut ReviewSnapshot) {
    let mut customers: Vec<(String, String)> = snap
        .customers
        .customers
        .iter()
        .map(|c| (c.name.clone(), c.slug.clone()))
        .chain(snap.known_customers.iter().cloned())
        .collect();
    customers.sort();
    customers.dedup();
    let mut people: BTreeSet<String> = snap.known_people.iter().cloned().collect();
    let mut add = |p: &Option<String>| {
        if let Some(p) = p.as_deref().filter(|p| !p.is_empty()) {
            people.insert(p.trim_start_matches('@').to_string());
        }
    };
    for i in &snap.incidents.longest {
        add(&i.assignee);
    }
    for b in snap
        .bugs
        .most_overdue
        .iter()
        .chain(&snap.bugs.oldest_open_p0_p1)
    {
        add(&b.assignee);
    }
    for d in &snap.deployments.failures {
        add(&Some(d.creator.clone()));
    }
    for c in &snap.customers.customers {
        add(&Some(c.owner.clone()));
    }
    for g in &snap.plan.blocked_gates {
        for owner in &g.owners {
            add(&Some(owner.clone()));
        }
    }
    let names = Names::new(&customers, &people);
    for i in &mut snap.incidents.longest {
        names.text(&mut i.title);
        names.opt(&mut i.assignee);
    }
    for b in snap
        .bugs
        .most_overdue
        .iter_mut()
        .chain(&mut snap.bugs.oldest_open_p0_p1)
    {
        names.text(&mut b.title);
        names.opt(&mut b.assignee);
    }
    for d in &mut snap.deployments.failures {
        names.name(&mut d.creator);
    }
    for c in &mut snap.customers.customers {
        names.name(&mut c.name);
        names.name(&mut c.slug);
        names.name(&mut c.owner);
    }
    for n in &mut snap.customers.at_risk {
        names.name(n);
    }
    snap.customers.customers.sort_by(|a, b| a.name.cmp(&b.name));
    snap.customers.at_risk.sort();
    for s in &mut snap.plan.sections {
        names.text(&mut s.document);
        names.text(&mut s.section);
    }
    for g in &mut snap.plan.blocked_gates {
        names.text(&mut g.document);
        names.text(&mut g.section);
        for item in &mut g.open_items {
            names.text(item);
        }
        for owner in &mut g.owners {
            names.name(owner);
        }
    }
    for note in snap.notes.values_mut() {
        names.text(note);
    }
    snap.redacted = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_inside_a_longer_word_is_left_alone() {
        assert_eq!(
            replace_word("Acme and Acmeville", "Acme", "X"),
            "X and Acmeville"
        );
        assert_eq!(
            replace_word("ping @tfinch now", "@tfinch", "Person 1"),
            "ping Person 1 now"
        );
    }

    #[test]
    fn customers_get_letters_past_z() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
    }
}
