//! `ARCHITECTURE.md` stays true: every `src/…` path it names exists, so a moved or renamed
//! module cannot leave the map pointing at nothing.

use std::path::Path;

#[test]
fn every_source_path_named_in_the_architecture_map_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut named = 0;
    let mut missing = Vec::new();
    for (i, _) in map.match_indices("src/") {
        let path: String = map[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-'))
            .collect();
        let path = path.trim_end_matches('.');
        if path == "src/" {
            continue;
        }
        named += 1;
        if !root.join(path).exists() {
            missing.push(path.to_owned());
        }
    }
    assert!(
        named > 40,
        "the map names {named} paths; it should name the modules"
    );
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}
