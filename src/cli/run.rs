//! The runners of the non-TUI commands (`paths`, `doctor`, `checklist`, `customers`, `review`,
//! the one-shot edits, cache rebuild); the clap definitions they read live in the parent.

use super::*;

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
        Command::RebuildCache => rebuild_cache(cli, clock, &mut out),
        Command::Sync {
            source,
            once,
            deadline,
        } => {
            let mut session = session(cli)?;
            session.demo = false;
            if let Some(d) = deadline {
                session.config.general.sync_deadline = *d;
            }
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
        Command::Ack { .. }
        | Command::Resolve { .. }
        | Command::Close { .. }
        | Command::Silence { .. } => one_shot(cli, command, clock),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "opsdeck", &mut out);
            Ok(0)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .wrap_err("cannot write the man page")?;
            Ok(0)
        }
        Command::Review => Err(eyre!("internal: review is started by the TUI entry")),
    }
}

/// `opsdeck ack|resolve|close|silence`: commit through the outbox, push that source once.
fn one_shot(cli: &Cli, command: &Command, clock: &SharedClock) -> color_eyre::Result<i32> {
    use crate::oneshot::{Options, Request};
    let (request, args) = match command {
        Command::Ack { id, options } => (Request::Ack { id: id.clone() }, options),
        Command::Resolve { id, note, options } => (
            Request::Resolve {
                id: id.clone(),
                note: note.clone(),
            },
            options,
        ),
        Command::Close {
            bug,
            reason,
            options,
        } => (
            Request::Close {
                bug: bug.clone(),
                reason: reason.clone(),
            },
            options,
        ),
        Command::Silence {
            alert,
            duration,
            comment,
            options,
        } => (
            Request::Silence {
                alert: alert.clone(),
                duration: *duration,
                comment: comment.clone(),
            },
            options,
        ),
        _ => return Err(eyre!("internal: not a one-shot command")),
    };
    let mut session = session(cli)?;
    if session.demo || session.config.sources.is_empty() {
        eprintln!(
            "opsdeck: no sources are configured in {}; one-shot edits need a configured source",
            session.paths.config_file.display()
        );
        return Ok(crate::oneshot::EXIT_USAGE);
    }
    if session.config.general.read_only {
        eprintln!("opsdeck: read-only mode: nothing queued");
        return Ok(crate::oneshot::EXIT_USAGE);
    }
    session.demo = false;
    let _log = crate::logging::init(&session.paths.log_file, &session.config.general.log_level);
    let mut store = open_store(&session, false, clock)?;
    let options = Options {
        source: args.source.clone(),
        queue_only: args.queue_only,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let mut stdout = std::io::stdout();
    let code = rt.block_on(crate::oneshot::run(
        &session.config,
        &mut store,
        &session.paths.cache_db,
        &request,
        &options,
        clock,
        &mut stdout,
    ))?;
    Ok(code)
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
    // Modes first: creating the folder below would tighten it and hide the finding.
    problems += doctor_cache(&paths, out)?;
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

/// Makes the TUI show an imported plan: records it as a `[[checklists]]` entry of the config
/// file, creating that file from the commented example first when there is none (without a
/// config file opsdeck opens the demo, which would never show the plan).
fn remember_plan(
    cli: &Cli,
    session: &Session,
    path: &Path,
    gates: &[String],
    out: &mut impl Write,
) -> color_eyre::Result<()> {
    let config_file = &session.paths.config_file;
    let path_text = path.to_string_lossy().into_owned();
    if session
        .config
        .checklists
        .iter()
        .any(|c| c.path == path_text)
    {
        return Ok(());
    }
    if !config_file.exists() {
        if cli.config.is_some() {
            return Err(eyre!(
                "the config file {} does not exist",
                config_file.display()
            ));
        }
        write_private(config_file, crate::config::EXAMPLE_TOML)?;
        writeln!(
            out,
            "no config file yet: created {} from the commented example \
             (`opsdeck` now opens your workspace; `opsdeck --demo` still opens the demo)",
            config_file.display()
        )?;
    }
    let before = std::fs::read_to_string(config_file)
        .wrap_err_with(|| format!("cannot read {}", config_file.display()))?;
    let gates_toml: Vec<String> = gates
        .iter()
        .map(|g| toml::Value::String(g.clone()).to_string())
        .collect();
    let entry = format!(
        "\n[[checklists]]\npath = {}\ngates = [{}]\n",
        toml::Value::String(path_text),
        gates_toml.join(", ")
    );
    let after = format!(
        "{before}{}{entry}",
        if before.ends_with('\n') { "" } else { "\n" }
    );
    // Never leave a config behind that no longer loads.
    Config::parse_with_keys(
        &after,
        &config_file.display().to_string(),
        &crate::app::keymap::check_override,
    )?;
    write_private(config_file, &after)?;
    writeln!(out, "added the plan to {}", config_file.display())?;
    Ok(())
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
            crate::checklist::store::register_file_limited(
                &mut store,
                &path,
                gates,
                clock.now(),
                session.config.general.max_plan_bytes,
            )?;
            if !cli.demo {
                remember_plan(cli, &session, &path, gates, out)?;
            }
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

/// A timestamped file next to the cache, e.g. `outbox-rescue-20261205T170000Z.jsonl`.
fn beside_cache(paths: &Paths, stem: &str, ext: &str, clock: &SharedClock) -> PathBuf {
    let now = clock.now().format("%Y%m%dT%H%M%SZ");
    paths.data_dir.join(format!("{stem}-{now}.{ext}"))
}

/// `PRAGMA quick_check` before the real cache is used: a damaged cache is refused (non-zero
/// exit) after its readable outbox rows are saved to a file, and the user is told how to
/// rebuild it (issue #13 finding 2).
pub(super) fn refuse_corrupt_cache(paths: &Paths, clock: &SharedClock) -> color_eyre::Result<()> {
    let db = &paths.cache_db;
    if std::fs::metadata(db).map_or(true, |m| m.len() == 0) {
        return Ok(());
    }
    let Err(damage) = crate::store::health::quick_check(db, false) else {
        return Ok(());
    };
    let rescue = beside_cache(paths, "outbox-rescue", "jsonl", clock);
    let saved = crate::store::health::export_outbox(db, &rescue)
        .wrap_err_with(|| format!("cannot save the outbox to {}", rescue.display()))?;
    Err(eyre!(
        "the cache {} is corrupt ({damage}); {saved} readable outbox entries were saved to {}. \
         Run `opsdeck rebuild-cache` to move the damaged file aside and rebuild the cache from \
         the sources (queued edits in the saved file must then be redone by hand)",
        db.display(),
        rescue.display()
    ))
}

fn rebuild_cache(cli: &Cli, clock: &SharedClock, out: &mut impl Write) -> color_eyre::Result<i32> {
    let paths = Paths::resolve(cli.config.as_deref());
    let db = &paths.cache_db;
    if db.exists() {
        let rescue = beside_cache(&paths, "outbox-rescue", "jsonl", clock);
        let saved = crate::store::health::export_outbox(db, &rescue)?;
        writeln!(out, "saved {saved} outbox entries to {}", rescue.display())?;
        let aside = beside_cache(&paths, "cache-damaged", "sqlite3", clock);
        std::fs::rename(db, &aside)
            .wrap_err_with(|| format!("cannot move {} aside", db.display()))?;
        let moved = crate::store::health::companions(&aside);
        for (companion, to) in crate::store::health::companions(db)
            .iter()
            .zip(moved.iter())
        {
            if companion.exists() {
                std::fs::rename(companion, to)?;
            }
        }
        writeln!(out, "moved the old cache to {}", aside.display())?;
    }
    drop(Store::open(db).wrap_err_with(|| format!("cannot create {}", db.display()))?);
    writeln!(
        out,
        "created a fresh cache {}; run `opsdeck sync --once` (or start opsdeck) to fill it",
        db.display()
    )?;
    Ok(0)
}

/// Doctor lines for the cache: `integrity_check` and file modes; returns the problem count.
fn doctor_cache(paths: &Paths, out: &mut impl Write) -> color_eyre::Result<usize> {
    let mut problems = 0;
    if paths.cache_db.exists() {
        match crate::store::health::quick_check(&paths.cache_db, true) {
            Ok(()) => writeln!(
                out,
                "ok    cache {} passes integrity_check",
                paths.cache_db.display()
            )?,
            Err(e) => {
                problems += 1;
                writeln!(
                    out,
                    "FAIL  cache {} is corrupt: {e}; run `opsdeck rebuild-cache`",
                    paths.cache_db.display()
                )?;
            }
        }
    }
    for (path, mode) in crate::store::health::loose_modes(&paths.data_dir) {
        problems += 1;
        let want = if path.is_dir() { "0700" } else { "0600" };
        writeln!(
            out,
            "FAIL  {} has mode {mode:04o}, readable by others; run `chmod {want} {}`",
            path.display(),
            path.display()
        )?;
    }
    Ok(problems)
}
