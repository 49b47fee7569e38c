//! opsdeck: a terminal cockpit for the on-call engineer.
//!
//! Layout (ARCHITECTURE.md): `domain` (types), `store` (SQLite cache, outbox, audit), `metrics`
//! (every number), `sync` (connectors), `checklist` (Markdown plans), `config`, `app` (state,
//! update, runtime), `ui` (drawing), `review` (Friday review and report), `cli` (commands).
//! The core (`domain`, `store`, `metrics`, `sync`, `checklist`) never imports ratatui.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod checklist;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod logging;
pub mod metrics;
pub mod oneshot;
pub mod review;
pub mod sanitize;
pub mod store;
pub mod sync;
pub mod tui;
pub mod ui;

use std::process::ExitCode;

use clap::Parser;

/// The program: CLI parsing, hooks, and the TUI or a command. Exit code 2 for config errors.
#[must_use]
pub fn entry() -> ExitCode {
    let cli = cli::Cli::parse();
    // Restore the terminal before any panic report is printed.
    let hooks = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    let (panic_hook, eyre_hook) = hooks;
    let _ = eyre_hook.install();
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        tui::restore(true);
        panic_hook(info);
    }));
    match run(&cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            if let Some(config) = e.downcast_ref::<config::ConfigError>() {
                eprintln!("opsdeck: {}", sanitize::text(&config.to_string()));
                return ExitCode::from(2);
            }
            eprintln!("opsdeck: {}", sanitize::text(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}

fn run(cli: &cli::Cli) -> color_eyre::Result<i32> {
    let clock = clock::system();
    let review = matches!(cli.command, Some(cli::Command::Review));
    if let Some(command) = cli.command.as_ref().filter(|_| !review) {
        return cli::run_command(cli, command, &clock);
    }
    let session = cli::session(cli)?;
    let _log = logging::init(&session.paths.log_file, &session.config.general.log_level);
    let store = cli::open_store_with(&session, cli.reset, &clock, cli::PageCheck::AfterFirstFrame)?;
    start::tui(
        session,
        store,
        clock,
        start::Options {
            review,
            redact: cli.redact,
        },
    )
}

pub mod start;
