//! The command line: parsing (clap) and the commands that are not the TUI.
//!
//! Every command resolves paths and config the same way. A bad config exits with code 2 and a
//! message naming the file, line and fix, before anything is written.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use color_eyre::eyre::{eyre, WrapErr};

use crate::clock::SharedClock;
use crate::config::{Config, ConfigError, Paths};
use crate::store::Store;

/// opsdeck — the on-call engineer's terminal cockpit.
#[derive(Debug, Parser)]
#[command(name = "opsdeck", version, about, long_about = None)]
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
    },
    /// Check config, paths, permissions, tokens (never printed) and connectivity.
    Doctor,
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

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// CSV.
    Csv,
    /// JSON.
    Json,
}

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
    let (mut config, has_file) = if explicit || paths.config_file.exists() {
        (Config::load(&paths.config_file)?, true)
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
    session.paths.ensure_data_dir().wrap_err_with(|| {
        format!(
            "cannot create the data folder {}",
            session.paths.data_dir.display()
        )
    })?;
    if !session.demo {
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
        crate::store::demo::load(&mut store, clock.now())
            .wrap_err("cannot load the demo workspace")?;
    }
    Ok(store)
}

/// Runs a non-TUI command; returns the exit code.
///
/// # Errors
/// Failures with context for the user.
pub fn run_command(cli: &Cli, command: &Command, clock: &SharedClock) -> color_eyre::Result<i32> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Paths => {
            let paths = Paths::resolve(cli.config.as_deref());
            writeln!(out, "config folder   {}", paths.config_dir.display())?;
            writeln!(
                out,
                "config file     {}{}",
                paths.config_file.display(),
                if paths.config_file.exists() {
                    ""
                } else {
                    "  (missing: the demo opens)"
                }
            )?;
            writeln!(out, "data folder     {}", paths.data_dir.display())?;
            writeln!(out, "cache           {}", paths.cache_db.display())?;
            writeln!(out, "demo cache      {}", paths.demo_db.display())?;
            writeln!(out, "log file        {}", paths.log_file.display())?;
            writeln!(out, "reports         {}", paths.reports_dir.display())?;
            Ok(0)
        }
        Command::Init { force } => {
            let paths = Paths::resolve(cli.config.as_deref());
            if paths.config_file.exists() && !force {
                writeln!(
                    out,
                    "{} already exists; use --force to overwrite it",
                    paths.config_file.display()
                )?;
                return Ok(1);
            }
            write_private(&paths.config_file, crate::config::EXAMPLE_TOML)?;
            writeln!(
                out,
                "wrote {} — edit it, then run opsdeck",
                paths.config_file.display()
            )?;
            Ok(0)
        }
        Command::Doctor => doctor(cli, clock, &mut out),
        Command::Sync { source, once } => {
            let mut session = session(cli)?;
            session.demo = false;
            if session.config.sources.is_empty() {
                writeln!(
                    out,
                    "no sources are configured in {}; nothing to sync",
                    session.paths.config_file.display()
                )?;
                return Ok(0);
            }
            session.paths.ensure_data_dir()?;
            // Make sure the cache exists and is migrated before the workers open it.
            drop(open_store(&session, false, clock)?);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .wrap_err("cannot start the async runtime")?;
            let code = rt.block_on(async {
                let mut stdout = std::io::stdout();
                crate::sync::headless::run_headless(
                    &session.config,
                    &session.paths.cache_db,
                    source.as_deref(),
                    *once,
                    clock.clone(),
                    &mut stdout,
                )
                .await
            });
            Ok(code)
        }
        Command::Checklist { command } => checklist(cli, command, clock, &mut out),
        Command::Report { week, format } => {
            let session = session(cli)?;
            let store = open_store(&session, false, clock)?;
            let config = &session.config;
            let text = crate::review::run_report(
                &store,
                week.as_deref(),
                *format,
                config.tz(),
                &config.policy,
                clock.now(),
                cli.redact,
            )
            .map_err(|e| eyre!("{e}"))?;
            write!(out, "{text}")?;
            Ok(0)
        }
        Command::Customers { command } => {
            let mut session = session(cli)?;
            session.demo = cli.demo;
            let mut store = open_store(&session, false, clock)?;
            match command {
                CustomersCommand::Import { file } => {
                    let text = std::fs::read_to_string(file)
                        .wrap_err_with(|| format!("cannot read {}", file.display()))?;
                    let report = crate::review::customers_csv::import(&mut store, &text)
                        .map_err(|e| eyre!("{}: {e}", file.display()))?;
                    writeln!(out, "{report:?}")?;
                }
                CustomersCommand::Export => write!(
                    out,
                    "{}",
                    crate::review::customers_csv::export(&store, clock.now())?
                )?,
            }
            Ok(0)
        }
        Command::Review => Err(eyre!("internal: review is started by the TUI entry")),
    }
}

fn write_private(path: &Path, content: &str) -> color_eyre::Result<()> {
    if let Some(dir) = path.parent() {
        crate::config::paths::create_private_dir(dir)
            .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, content).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn doctor(cli: &Cli, clock: &SharedClock, out: &mut impl Write) -> color_eyre::Result<i32> {
    let paths = Paths::resolve(cli.config.as_deref());
    let mut problems = 0;
    match session(cli) {
        Ok(s) if s.demo && !cli.demo => writeln!(
            out,
            "ok    no config file at {}: the demo workspace opens (run `opsdeck init`)",
            paths.config_file.display()
        )?,
        Ok(_) => writeln!(out, "ok    config {}", paths.config_file.display())?,
        Err(e) => {
            writeln!(out, "FAIL  {e}")?;
            return Ok(2);
        }
    }
    let session = session(cli)?;
    match paths.ensure_data_dir() {
        Ok(()) => writeln!(
            out,
            "ok    data folder {} is writable",
            paths.data_dir.display()
        )?,
        Err(e) => {
            problems += 1;
            writeln!(out, "FAIL  data folder {}: {e}", paths.data_dir.display())?;
        }
    }
    if !session.config.sources.is_empty() {
        // Each source's cheapest authenticated read (crate::sync::doctor): reachable,
        // authenticated, rate-limit budget left; a source that cannot work fails the doctor.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .wrap_err("cannot start the async runtime")?;
        let http_clock = crate::sync::engine::http_clock(clock);
        for s in &session.config.sources {
            let check = rt.block_on(crate::sync::doctor::check_source(s, http_clock.clone()));
            if !check.ok() {
                problems += 1;
            }
            writeln!(out, "{}", check.line())?;
        }
    }
    Ok(i32::from(problems > 0))
}

fn checklist(
    cli: &Cli,
    command: &ChecklistCommand,
    clock: &SharedClock,
    out: &mut impl Write,
) -> color_eyre::Result<i32> {
    // Plans always go to the real cache (the demo has its own plan), unless --demo is given.
    let mut session = session(cli)?;
    session.demo = cli.demo;
    let mut store = open_store(&session, false, clock)?;
    match command {
        ChecklistCommand::Import { file, gates } => {
            let path = std::fs::canonicalize(file)
                .wrap_err_with(|| format!("cannot find {}", file.display()))?;
            crate::checklist::store::register_file(&mut store, &path, gates, clock.now())?;
            let items = store.load_checklist()?;
            let docs = store.checklist_docs()?;
            let doc = docs.iter().find(|d| Path::new(&d.path) == path);
            let n = doc.map_or(0, |d| items.iter().filter(|i| i.doc_id == d.id).count());
            let done = doc.map_or(0, |d| {
                items
                    .iter()
                    .filter(|i| i.doc_id == d.id && i.checked)
                    .count()
            });
            writeln!(
                out,
                "registered {} — {n} items, {done} done",
                path.display()
            )?;
            Ok(0)
        }
        ChecklistCommand::Export { format } => {
            let docs = store.checklist_docs()?;
            let items = store.load_checklist()?;
            write!(
                out,
                "{}",
                crate::checklist::export::render(&docs, &items, *format)
            )?;
            Ok(0)
        }
    }
}
