//! The command line: the clap definitions, the session (paths + config) and opening the cache.
//!
//! Every command resolves paths and config the same way. A bad config exits with code 2 and a
//! message naming the file, line and fix, before anything is written.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use color_eyre::eyre::{eyre, WrapErr};

use crate::clock::SharedClock;
use crate::config::{Config, ConfigError, Paths};
use crate::store::Store;

/// `--version`: the crate version and the commit it was built from (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("OPSDECK_COMMIT"),
    ")"
);

/// opsdeck — the on-call engineer's terminal cockpit.
#[derive(Debug, Parser)]
#[command(name = "opsdeck", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// Use this config file instead of the one in the config folder.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Open the embedded demo workspace (in its own demo cache), whatever the config.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: start the demo afresh.
    #[arg(long, requires = "demo")]
    pub reset: bool,
    /// Refuse every edit.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Draw ASCII borders.
    #[arg(long)]
    pub ascii: bool,
    /// Hide customer names and people in the Friday review (for sharing the screen).
    #[arg(long, global = true)]
    pub redact: bool,
    /// What to do (default: the TUI).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented config file to the config folder.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print every file and folder opsdeck uses.
    Paths,
    /// Sync sources without the TUI (for cron on a jump host).
    Sync {
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// One round, then exit.
        #[arg(long)]
        once: bool,
        /// With --once: give up after this long (e.g. `30s`), report unfinished sources and
        /// exit 1 (default: `general.sync_deadline`, 90 s).
        #[arg(long, value_name = "DURATION")]
        deadline: Option<crate::config::DurationSpec>,
    },
    /// Check config, paths, permissions, tokens (never printed) and connectivity.
    Doctor,
    /// Move a damaged cache aside (saving its readable outbox) and start a fresh one that the
    /// next sync fills from the sources.
    RebuildCache,
    /// Open the TUI directly in the Friday review.
    Review,
    /// Write the Friday report of a week.
    Report {
        /// ISO week `YYYY-Www` in the team's time zone (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Customers in and out as CSV.
    Customers {
        /// import or export.
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// Markdown plans in and out.
    Checklist {
        /// import or export.
        #[command(subcommand)]
        command: ChecklistCommand,
    },
    /// Acknowledge an incident (as `a` does), push it, exit 0 once the pager confirmed.
    Ack {
        /// The incident: its id at the source (`PXXXXXX`) or its number.
        id: String,
        #[command(flatten)]
        options: OneShotArgs,
    },
    /// Resolve an incident (as `x` does), push it, exit 0 once the pager confirmed.
    Resolve {
        /// The incident: its id at the source (`PXXXXXX`) or its number.
        id: String,
        /// The resolution note.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[command(flatten)]
        options: OneShotArgs,
    },
    /// Close a bug (as `x` does), push it, exit 0 once the tracker confirmed.
    Close {
        /// The bug: its key (`#123`, `OPS-42`).
        bug: String,
        /// Why it is closed (e.g. completed, not planned).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        options: OneShotArgs,
    },
    /// Silence a firing alert by its labels (as `m` does), exit 0 once Alertmanager confirmed.
    Silence {
        /// The alert: its fingerprint or its alert name.
        alert: String,
        /// How long (e.g. 30m, 1h, 2h30m, 1d).
        #[arg(long = "for", value_name = "DURATION", default_value = "1h", value_parser = humantime::parse_duration)]
        duration: std::time::Duration,
        /// The silence comment.
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
        #[command(flatten)]
        options: OneShotArgs,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff; try `opsdeck man | man -l -`).
    Man,
}

/// Options of the one-shot edit commands.
#[derive(Debug, Clone, clap::Args)]
pub struct OneShotArgs {
    /// Only this source, when the id exists in several.
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Queue the edit in the outbox and exit 0 without pushing it.
    #[arg(long)]
    pub queue_only: bool,
}

/// `opsdeck checklist …`
#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// Register a Markdown plan (several may be registered).
    Import {
        /// The Markdown file.
        file: PathBuf,
        /// Section headings to treat as gates.
        #[arg(long = "gate")]
        gates: Vec<String>,
    },
    /// Print every item with section path, state, owner and notes.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

/// `opsdeck customers …`
#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Import (insert or update by slug) customers from a CSV file; a bad row names its line
    /// and nothing is written.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Print every customer as CSV.
    Export,
}

/// Output formats (defined below `cli`, so reports and exports need not import the CLI).
pub use crate::domain::Format;

/// The resolved configuration of this run.
#[derive(Debug, Clone)]
pub struct Session {
    /// The config (defaults in demo mode).
    pub config: Config,
    /// Paths.
    pub paths: Paths,
    /// Running on the demo workspace.
    pub demo: bool,
}

/// Resolves paths and config. No config file (and no `--config`) means the demo.
///
/// # Errors
/// [`ConfigError`] for a bad or missing explicit config file.
pub fn session(cli: &Cli) -> Result<Session, ConfigError> {
    let paths = Paths::resolve(cli.config.as_deref());
    let explicit = cli.config.is_some();
    // `symlink_metadata`: a dangling or looping symlink is a config to report, not "no config"
    // (issue #13 finding 5: a symlink loop silently opened with no sources).
    let present = std::fs::symlink_metadata(&paths.config_file).is_ok();
    let (mut config, has_file) = if explicit || present {
        (
            Config::load_with_keys(&paths.config_file, &crate::app::keymap::check_override)?,
            true,
        )
    } else {
        (Config::default(), false)
    };
    config.apply_env(|k| std::env::var(k).ok());
    if cli.read_only {
        config.general.read_only = true;
    }
    if cli.ascii {
        config.general.ascii_borders = true;
    }
    Ok(Session {
        config,
        paths,
        demo: cli.demo || !has_file,
    })
}

/// Opens the cache for this session: the demo cache (loaded on first use, or after `--reset`)
/// or the real one.
///
/// # Errors
/// Store errors with context.
pub fn open_store(
    session: &Session,
    reset: bool,
    clock: &SharedClock,
) -> color_eyre::Result<Store> {
    open_store_with(session, reset, clock, PageCheck::First)
}

/// When [`open_store_with`] checks the cache file's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCheck {
    /// Before opening: a corrupt cache is refused up front (every CLI command).
    First,
    /// Later, on the store thread after the first frame (`Effect::CheckCachePages`), so the
    /// TUI's start-up reads only what the first screen shows.
    AfterFirstFrame,
}

/// [`open_store`] with the page check at `pages`.
///
/// # Errors
/// Store errors with context.
pub fn open_store_with(
    session: &Session,
    reset: bool,
    clock: &SharedClock,
    pages: PageCheck,
) -> color_eyre::Result<Store> {
    session.paths.ensure_data_dir().wrap_err_with(|| {
        format!(
            "cannot create the data folder {}",
            session.paths.data_dir.display()
        )
    })?;
    if !session.demo {
        if pages == PageCheck::First {
            refuse_corrupt_cache(&session.paths, clock)?;
        }
        let store = Store::open(&session.paths.cache_db).wrap_err_with(|| {
            format!("cannot open the cache {}", session.paths.cache_db.display())
        })?;
        return Ok(store);
    }
    let db = &session.paths.demo_db;
    if reset {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                std::fs::remove_file(&p)
                    .wrap_err_with(|| format!("cannot reset the demo cache {}", p.display()))?;
            }
        }
    }
    let mut store =
        Store::open(db).wrap_err_with(|| format!("cannot open the demo cache {}", db.display()))?;
    let empty: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
    if empty == 0 {
        crate::demo::load(&mut store, clock.now()).wrap_err("cannot load the demo workspace")?;
    }
    Ok(store)
}

mod run;

use run::refuse_corrupt_cache;
pub use run::run_command;
