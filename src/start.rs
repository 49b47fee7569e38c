//! Starting the TUI: builds the state, the store runtime and the sync engine, enters the
//! terminal and runs the loop.

use color_eyre::eyre::WrapErr;

use crate::app::keymap::Keymap;
use crate::app::runtime::{Runtime, RuntimeConfig};
use crate::app::state::{bindings_table, State};
use crate::app::{self, AppParts, START_TAB};
use crate::cli::Session;
use crate::clock::SharedClock;
use crate::store::Store;

/// How the TUI starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Open directly in the Friday review.
    pub review: bool,
    /// Hide customer names and people in the review.
    pub redact: bool,
}

/// Runs the TUI on an open store.
///
/// # Errors
/// Terminal errors, or a keymap that does not parse.
pub fn tui(
    session: Session,
    mut store: Store,
    clock: SharedClock,
    options: Options,
) -> color_eyre::Result<i32> {
    let config = &session.config;
    let now = clock.now();
    for c in &config.checklists {
        let path = std::path::Path::new(&c.path);
        let limit_bytes = config.general.max_plan_bytes;
        let registered = crate::checklist::store::register_file_limited(
            &mut store,
            path,
            &c.gates,
            now,
            limit_bytes,
        );
        if let Err(e) = registered {
            tracing::warn!(error = %e, "checklist not registered");
        }
    }
    let keymap = Keymap::with_overrides(&config.keys)
        .map_err(|e| color_eyre::eyre::eyre!("key bindings: {e}"))?;
    let mut state = State::new(now, config.tz(), config.policy.clone());
    state.tab = START_TAB;
    state.demo = session.demo;
    state.read_only = config.general.read_only;
    state.ascii = config.general.ascii_borders;
    state.key_hints = config.ui.key_hints;
    state.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    state.bindings = bindings_table(&keymap);
    state.remote_sources = if session.demo {
        Vec::new()
    } else {
        config.sources.iter().map(|s| s.name.clone()).collect()
    };
    if options.review {
        state.overlay = Some(crate::app::state::Overlay::Review { page: 0 });
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let msg_tx = tx.clone();
    let runtime = Runtime::spawn(
        store,
        RuntimeConfig {
            actor: config.general.actor.clone(),
            remote_sources: state.remote_sources.clone(),
            reports_dir: session.paths.reports_dir.clone(),
            policy: config.policy.clone(),
            tz: config.tz(),
            redact: options.redact,
            checklist_gates: config
                .checklists
                .iter()
                .flat_map(|c| c.gates.clone())
                .collect(),
        },
        clock.clone(),
        tx,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let mouse = config.general.mouse;
    let live = !session.demo && !config.sources.is_empty();
    rt.block_on(async move {
        // The sync engine runs beside the UI and reports what changed; the UI never waits on it.
        let engine = if live {
            let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
            let forward = msg_tx.clone();
            tokio::spawn(async move {
                while let Some(ev) = events_rx.recv().await {
                    if forward.send(crate::app::msg::Msg::Sync(ev)).is_err() {
                        break;
                    }
                }
            });
            match crate::sync::engine::spawn_engine(
                config,
                session.paths.cache_db.clone(),
                clock.clone(),
                events_tx,
            ) {
                Ok(handle) => Some(handle),
                Err(e) => {
                    let _ = msg_tx.send(crate::app::msg::Msg::EffectFailed(format!(
                        "sync engine: {e}"
                    )));
                    None
                }
            }
        } else {
            None
        };
        let sync: Option<Box<dyn app::SyncControl>> = engine
            .clone()
            .map(|h| Box::new(h) as Box<dyn app::SyncControl>);
        let mut guard = crate::tui::TerminalGuard::enter(mouse)
            .wrap_err("cannot open the terminal (is stdout a terminal?)")?;
        let parts = AppParts {
            state,
            keymap,
            runtime,
            msgs: rx,
            clock,
            sync,
        };
        let result = app::run(parts, &mut guard.terminal, crate::ui::draw)
            .await
            .wrap_err("terminal error");
        drop(guard);
        if let Some(handle) = engine {
            handle.shutdown();
            // In-flight pushes are idempotent (reconciled by reading first), so a bounded wait is enough.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), handle.join()).await;
        }
        // Said after leaving the alternate screen, so it stays visible in the shell.
        if let Some(line) = queued_on_exit(&session.paths.cache_db) {
            eprintln!("{line}");
        }
        result
    })?;
    // Committed edits are already durable (one transaction each); nothing to flush.
    Ok(0)
}

/// The line printed on quit when edits still wait in the outbox (None when nothing waits).
fn queued_on_exit(cache_db: &std::path::Path) -> Option<String> {
    let store = crate::store::Store::open(cache_db).ok()?;
    let summary = store.outbox_summary().ok()?;
    queued_line(summary.queued)
}

/// "3 queued edits will be pushed on next start" (None for 0).
#[must_use]
pub fn queued_line(queued: u32) -> Option<String> {
    match queued {
        0 => None,
        1 => Some(
            "1 queued edit will be pushed on next start (or now with `opsdeck sync --once`)".into(),
        ),
        n => Some(format!(
            "{n} queued edits will be pushed on next start (or now with `opsdeck sync --once`)"
        )),
    }
}
