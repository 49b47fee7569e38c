//! Imports point down the layers of `ARCHITECTURE.md`: `ui → app → (sync, review, checklist)
//! → metrics → store → domain`. This test reads every `src/` file as text and fails when a
//! module names (`crate::x`) a layer above it. The exceptions still to be moved are listed here
//! by file, so a new upward import fails and a fixed one must leave the list.

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
        ],
    ),
    ("sync", &["app", "ui", "cli", "start", "tui", "oneshot"]),
    (
        "review",
        &["app", "ui", "cli", "start", "tui", "oneshot", "sync"],
    ),
    (
        "checklist",
        &[
            "app", "ui", "cli", "start", "tui", "oneshot", "sync", "review",
        ],
    ),
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
        ],
    ),
];

/// Upward imports that remain, each a planned move (issue #16): `(file, module it names)`.
const KNOWN: &[(&str, &str)] = &[
    // The demo loader imports the demo plan through the checklist importer.
    ("src/store/demo.rs", "checklist"),
    // Key overrides are validated with the app's keymap grammar and action names.
    ("src/config/validate.rs", "app"),
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
    let mut seen_known = Vec::new();
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
                if KNOWN.contains(&(rel.as_str(), module)) {
                    seen_known.push((rel.clone(), (*module).to_owned()));
                } else {
                    violations.push(format!(
                        "{rel} names crate::{module} (a layer above {layer})"
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
    for (file, module) in KNOWN {
        assert!(
            seen_known.iter().any(|(f, m)| f == file && m == module),
            "{file} no longer names crate::{module}: remove it from KNOWN and from ARCHITECTURE.md"
        );
    }
}
