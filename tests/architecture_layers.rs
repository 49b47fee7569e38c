//! Imports point down the layers of `ARCHITECTURE.md`: `ui → app → (sync, review, checklist)
//! → metrics → store → domain`, with no cycle between modules. The first test reads every
//! `src/` file as text and fails when a module names (`crate::x`) a layer above it — there are
//! no exceptions. The second builds the module import graph from the `crate::` / `super::` /
//! `self::` paths each file names and fails on any cycle between sibling modules, printing the
//! cycle with one file that makes each step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `(layer folder, modules it must never name)`.
const RULES: &[(&str, &[&str])] = &[
    (
        "domain",
        &[
            "app",
            "ui",
            "cli",
            "start",
            "tui",
            "oneshot",
            "sync",
            "review",
            "checklist",
            "store",
            "metrics",
            "demo",
        ],
    ),
    (
        "store",
        &[
            "app",
            "ui",
            "cli",
            "start",
            "tui",
            "oneshot",
            "sync",
            "review",
            "checklist",
            "demo",
        ],
    ),
    (
        "metrics",
        &[
            "app",
            "ui",
            "cli",
            "start",
            "tui",
            "oneshot",
            "sync",
            "review",
            "checklist",
            "store",
            "demo",
        ],
    ),
    (
        "sync",
        &["app", "ui", "cli", "start", "tui", "oneshot", "demo"],
    ),
    (
        "review",
        &[
            "app", "ui", "cli", "start", "tui", "oneshot", "sync", "demo",
        ],
    ),
    (
        "checklist",
        &[
            "app", "ui", "cli", "start", "tui", "oneshot", "sync", "review", "demo",
        ],
    ),
    // The app draws through a function the start-up code passes in, never `ui` itself.
    ("app", &["ui", "cli", "start", "oneshot", "demo"]),
    (
        "config",
        &[
            "app",
            "ui",
            "cli",
            "start",
            "tui",
            "oneshot",
            "sync",
            "review",
            "checklist",
            "store",
            "demo",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut violations = Vec::new();
    for (layer, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&root.join("src").join(layer), &mut files);
        let single = root.join("src").join(format!("{layer}.rs"));
        if single.exists() {
            files.push(single);
        }
        assert!(!files.is_empty(), "no files for layer {layer}");
        for file in files {
            let rel = file
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            for module in *forbidden {
                let needle = format!("crate::{module}::");
                let braced = format!("crate::{{{module}");
                let named = text.lines().any(|l| {
                    let code = l.trim_start();
                    !code.starts_with("//") && (code.contains(&needle) || code.contains(&braced))
                });
                if !named {
                    continue;
                }
                violations.push(format!(
                    "{rel} names crate::{module} (a layer above {layer})"
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

/// Cycles still allowed, each `(module, module, why)`. Empty: every cycle found in issue #16
/// is gone (app::edits ↔ app::update, app::rows ↔ app::state, ui::tabs ↔ ui::widgets,
/// ui::widgets::{help, outbox_view, prompt} ↔ overlays, app::completion ↔ app::state). A new
/// cycle fails the test; keep this list empty.
const TEMPORARY_CYCLES: &[(&str, &str, &str)] = &[];

/// The module path of a file under `src/` (`src/app/mod.rs` → `app`, `src/lib.rs` → ``).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .skip(1)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_owned();
        if !matches!(stem.as_str(), "mod" | "lib" | "main") {
            parts.push(stem);
        }
    }
    parts
}

/// Every path (as segments) a line names after `crate::`, `super::` or `self::`, with one level
/// of `{a, b::c}` braces expanded; `super` and `self` are resolved against `module`.
fn named_paths(line: &str, module: &[String], is_mod_rs: bool) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for anchor in ["crate::", "super::", "self::"] {
        for (i, _) in line.match_indices(anchor) {
            if line[..i].chars().next_back().is_some_and(ident) {
                continue;
            }
            // `self` in a file module is the module itself; `super` is its parent (one more
            // level up for a `mod.rs`-less file than for `mod.rs`, which *is* the module).
            let mut base: Vec<String> = match anchor {
                "crate::" => Vec::new(),
                "self::" => module.to_vec(),
                _ => {
                    let mut b = module.to_vec();
                    b.pop();
                    b
                }
            };
            let _ = is_mod_rs;
            let mut rest = &line[i + anchor.len()..];
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            let mut segs = base.clone();
            loop {
                let name: String = rest.chars().take_while(|c| ident(*c)).collect();
                if name.is_empty() {
                    break;
                }
                rest = &rest[name.len()..];
                segs.push(name);
                match rest.strip_prefix("::") {
                    Some(r) => rest = r,
                    None => break,
                }
            }
            if let Some(inner) = rest.strip_prefix('{') {
                let inner = inner.split('}').next().unwrap_or_default();
                for item in inner.split(',') {
                    let mut p = segs.clone();
                    p.extend(
                        item.trim()
                            .split("::")
                            .map(|s| s.chars().take_while(|c| ident(*c)).collect::<String>())
                            .filter(|s| !s.is_empty() && s != "self"),
                    );
                    out.push(p);
                }
            } else {
                out.push(segs);
            }
        }
    }
    out
}

#[test]
fn no_import_cycle_between_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(root).unwrap()))
        .collect();
    // Edges between siblings: `a::x::y` naming `a::z::w` is an edge `a::x → a::z`; a module
    // naming its own ancestor or descendant is its own tree, not a cycle.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(root).unwrap();
        let from = module_of(rel);
        if from.is_empty() {
            continue;
        }
        let is_mod_rs = rel.file_name().is_some_and(|n| n == "mod.rs");
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for path in named_paths(code, &from, is_mod_rs) {
                // The longest prefix that is a module of ours.
                let Some(to) = (1..=path.len())
                    .rev()
                    .map(|n| path[..n].to_vec())
                    .find(|p| modules.contains(p))
                else {
                    continue;
                };
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if common == from.len() || common == to.len() {
                    continue;
                }
                let a = from[..=common].join("::");
                let b = to[..=common].join("::");
                edges
                    .entry(a)
                    .or_default()
                    .entry(b)
                    .or_insert_with(|| rel.display().to_string());
            }
        }
    }
    let mut cycles = Vec::new();
    let mut seen_allowed = BTreeSet::new();
    for scc in strongly_connected(&edges) {
        let allowed = TEMPORARY_CYCLES
            .iter()
            .find(|(a, b, _)| scc.len() == 2 && scc.contains(*a) && scc.contains(*b));
        if let Some((a, b, _)) = allowed {
            seen_allowed.insert((*a, *b));
            continue;
        }
        cycles.push(describe_cycle(&scc, &edges));
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
    for (a, b, who) in TEMPORARY_CYCLES {
        assert!(
            seen_allowed.contains(&(*a, *b)),
            "{a} ↔ {b} is no longer a cycle ({who} fixed it): remove it from TEMPORARY_CYCLES"
        );
    }
}

/// Strongly connected components with more than one module (Tarjan, iterative enough for the
/// few hundred modules of the crate).
fn strongly_connected(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<BTreeSet<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            if let Some(next) = self.edges.get(v) {
                for w in next.keys() {
                    let w = w.as_str();
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let lw = self.low[w];
                        let lv = self.low.get_mut(v).unwrap();
                        *lv = (*lv).min(lw);
                    } else if self.on_stack.contains(w) {
                        let iw = self.index[w];
                        let lv = self.low.get_mut(v).unwrap();
                        *lv = (*lv).min(iw);
                    }
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    scc.insert(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

/// One cycle through `scc`, as `a → b (file) → … → a`.
fn describe_cycle(
    scc: &BTreeSet<String>,
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let start = scc.iter().next().unwrap().clone();
    // Breadth-first from `start` inside the component back to `start`.
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    let mut end = None;
    while let Some(v) = queue.pop_front() {
        for w in edges.get(&v).into_iter().flat_map(|m| m.keys()) {
            if !scc.contains(w) {
                continue;
            }
            if *w == start {
                end = Some(v.clone());
                queue.clear();
                break;
            }
            if !prev.contains_key(w) {
                prev.insert(w.clone(), v.clone());
                queue.push_back(w.clone());
            }
        }
    }
    let mut chain = Vec::new();
    let mut at = end.unwrap_or_else(|| start.clone());
    while at != start {
        chain.push(at.clone());
        at = prev[&at].clone();
    }
    chain.reverse();
    let mut path = vec![start.clone()];
    path.extend(chain);
    path.push(start.clone());
    let steps: Vec<String> = path
        .windows(2)
        .map(|w| format!("{} → {} ({})", w[0], w[1], edges[&w[0]][&w[1]]))
        .collect();
    format!(
        "  {} : {}",
        scc.iter().cloned().collect::<Vec<_>>().join(", "),
        steps.join(", ")
    )
}
