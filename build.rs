//! Build script: records the commit opsdeck was built from, for `opsdeck --version`.
//!
//! Outside a git checkout (a source tarball) the commit reads `unknown`. Cargo re-runs this
//! script when `HEAD` or the branch it points at moves, so the version never names a stale
//! commit. (Uncommitted changes are not flagged: noticing them would mean re-running on
//! every file edit.)

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=OPSDECK_COMMIT={commit}");
    println!("cargo:rerun-if-changed=build.rs");
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
