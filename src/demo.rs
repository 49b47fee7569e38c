//! The demo workspace as `opsdeck --demo` opens it: the demo rows (`crate::store::demo`) and the
//! demo plan (`assets/demo/plan.md`, imported by `crate::checklist`), written in one
//! transaction into the demo's own cache file. It sits above both so the store never imports
//! the checklist layer.

use chrono::{DateTime, Utc};

use crate::store::{Result, Store};

/// The demo plan, embedded at build time.
pub const DEMO_PLAN: &str = include_str!("../assets/demo/plan.md");
/// The path label the demo plan is registered under (never a real file).
pub const DEMO_PLAN_PATH: &str = "demo:plan.md";

/// Loads the embedded demo (rows and plan) into an empty store, relative to `now`.
///
/// # Errors
/// [`crate::store::StoreError::Corrupt`] if the embedded data does not parse (a build-time
/// mistake), or SQLite errors. On error nothing is written.
pub fn load(store: &mut Store, now: DateTime<Utc>) -> Result<()> {
    store.write(|tx| {
        crate::store::demo::seed(tx, now)?;
        crate::checklist::store::import_document(tx, DEMO_PLAN_PATH, DEMO_PLAN, &[], now)?;
        Ok(())
    })
}
