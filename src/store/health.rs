//! The cache file's own health: its identity on disk, its permissions and its pages.
//!
//! Owns three guards from issue #13 / RELIABILITY.md §2.3, §7 F3:
//!
//! - **identity** ([`FileId`]): the `(device, inode)` of `cache.sqlite3` recorded at open. If the
//!   file is deleted or replaced while a connection is open, SQLite keeps writing to the unlinked
//!   inode and every "queued for push" is a lie. [`super::Store::write`] checks the identity
//!   before each transaction and refuses with [`super::StoreError::CacheGone`];
//! - **modes** ([`create_private_file`], [`tighten`]): the cache, its `-wal`/`-shm`, the log
//!   and lock files are created 0600 (SQLite gives `-wal`/`-shm` the main file's mode), and
//!   [`loose_modes`] lists anything looser for `doctor`;
//! - **pages** ([`quick_check`], [`export_outbox`]): `PRAGMA quick_check` at start; on a corrupt
//!   cache the readable outbox rows are exported to a JSON-lines file before anything else.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// Where a file lives on disk: device and inode (Unix), so a replaced file is noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of `path` now, `None` when it does not exist (or on non-Unix systems).
    #[must_use]
    pub fn of(path: &Path) -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(path).ok().map(|m| FileId {
                dev: m.dev(),
                ino: m.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    }
}

/// Creates `path` empty with mode 0600 if it does not exist, and tightens it if it does.
///
/// # Errors
/// I/O errors.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    drop(open.open(path)?);
    tighten(path)
}

/// Sets an existing file to 0600 when it is readable or writable by group or others.
///
/// # Errors
/// I/O errors (a missing file is fine).
pub fn tighten(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The cache's companion files (`-wal`, `-shm`).
#[must_use]
pub fn companions(db: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("-wal"), with("-shm")]
}

/// Files or folders in `dir` (and `dir` itself) open to group or others, with their modes:
/// the folder should be 0700 and every file in it 0600.
#[must_use]
pub fn loose_modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        if let Ok(m) = mode(dir) {
            if m & 0o077 != 0 {
                out.push((dir.to_path_buf(), m));
            }
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                if let Ok(m) = mode(&p) {
                    if m & 0o077 != 0 {
                        out.push((p, m));
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    out
}

/// `PRAGMA quick_check` (or `integrity_check` when `full`): `Ok(())` or the first problems
/// SQLite names, joined.
///
/// # Errors
/// A description of the damage (also when the file cannot even be read as a database).
pub fn check_pages(conn: &Connection, full: bool) -> Result<(), String> {
    let sql = if full {
        "PRAGMA integrity_check(20)"
    } else {
        "PRAGMA quick_check(20)"
    };
    let lines = conn
        .prepare(sql)
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| e.to_string())?;
    if lines.len() == 1 && lines[0] == "ok" {
        Ok(())
    } else {
        Err(crate::sanitize::line(&lines.join("; ")))
    }
}

/// Runs [`check_pages`] on the file at `db` through a fresh read-only connection.
///
/// # Errors
/// A description of the damage.
pub fn quick_check(db: &Path, full: bool) -> Result<(), String> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    check_pages(&conn, full)
}

/// Exports every outbox row that can still be read from a (possibly corrupt) cache to
/// `dest` as JSON lines (0600); returns how many rows were saved.
///
/// Rows are read one by one by `seq`, so one unreadable page loses only the rows on it.
///
/// # Errors
/// The destination cannot be written; an unreadable cache exports 0 rows.
pub fn export_outbox(db: &Path, dest: &Path) -> std::io::Result<usize> {
    create_private_file(dest)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(dest)?;
    let Ok(conn) = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return Ok(0);
    };
    let max: i64 = conn
        .query_row("SELECT max(seq) FROM outbox", [], |r| r.get(0))
        .unwrap_or(0);
    // Bounded: at most one probe per sequence number ever issued.
    let mut saved = 0;
    let Ok(mut stmt) = conn.prepare(
        "SELECT seq, op_id, entity_kind, entity_id, source, op, state, created_at \
         FROM outbox WHERE seq = ?1",
    ) else {
        return Ok(0);
    };
    for seq in 1..=max.max(0) {
        let row = stmt.query_row([seq], |r| {
            Ok(serde_json::json!({
                "seq": r.get::<_, i64>(0)?,
                "op_id": r.get::<_, String>(1)?,
                "entity_kind": r.get::<_, String>(2)?,
                "entity_id": r.get::<_, i64>(3)?,
                "source": r.get::<_, String>(4)?,
                "op": r.get::<_, String>(5)?,
                "state": r.get::<_, String>(6)?,
                "created_at": r.get::<_, i64>(7)?,
            }))
        });
        if let Ok(v) = row {
            writeln!(file, "{v}")?;
            saved += 1;
        }
    }
    file.sync_all()?;
    Ok(saved)
}
