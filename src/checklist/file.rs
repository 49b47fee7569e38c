//! Reading and atomically rewriting plan files on disk.
//!
//! This module owns the file side of the round trip: [`read_plan`] returns the exact UTF-8
//! content, [`write_atomic`] replaces a file via a temp file in the same directory (write,
//! fsync, copy the original permissions, rename over, fsync the directory), and
//! [`write_if_unchanged`] refuses to overwrite a file that moved since it was read, handing back
//! the current content so the caller can merge again.
//!
//! Errors say whether retrying later can help ([`FileError::is_retryable`]): a read-only file or
//! file system and transient I/O (timeouts, stale NFS handles, full disk) are retryable; a
//! missing file, invalid UTF-8 and permission denied need the user.
//!
//! Limits: a symlinked plan is resolved and its target is replaced; the file's owner/group are
//! not copied (permissions are). Between the final re-read and the rename there is a window of
//! one `rename` call in which another writer can still slip in; plain files offer no lock that
//! every editor honours.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why a plan file could not be read or written.
///
/// Use [`FileError::is_retryable`] to decide between "keep queued" and "show as failed".
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file (or its directory) does not exist.
    #[error("plan file {path} does not exist; check the path or re-import the plan")]
    NotFound {
        /// The path asked for.
        path: PathBuf,
    },
    /// The file is not valid UTF-8.
    #[error("plan file {path} is not valid UTF-8 (first bad byte at offset {valid_up_to}); convert it to UTF-8")]
    NotUtf8 {
        /// The path read.
        path: PathBuf,
        /// Length of the valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// The file is bigger than the configured limit (issue #13 finding 6: a 50 MB plan took
    /// 24 s and 709 MB to import).
    #[error(
        "plan file {path} is over the {limit_bytes}-byte limit (general.max_plan_bytes); split \
         the plan into several files or raise the limit"
    )]
    TooLarge {
        /// The path read.
        path: PathBuf,
        /// The limit in bytes.
        limit_bytes: u64,
    },
    /// The OS refused access.
    #[error("permission denied for {path}; fix the file's owner or mode")]
    PermissionDenied {
        /// The path accessed.
        path: PathBuf,
    },
    /// The file is marked read-only or lives on a read-only file system.
    #[error("plan file {path} is read-only; edits stay queued until it is writable")]
    ReadOnly {
        /// The path written.
        path: PathBuf,
    },
    /// A transient failure (timeout, stale network handle, full disk, busy); retry later.
    #[error("plan file {path} is unreachable right now ({source}); will retry")]
    Unavailable {
        /// The path accessed.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Any other I/O failure; not expected to go away by itself.
    #[error("i/o error on plan file {path}: {source}")]
    Io {
        /// The path accessed.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl FileError {
    /// Whether the same operation may succeed later without user action.
    ///
    /// True for `ReadOnly` and `Unavailable`.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FileError::ReadOnly { .. } | FileError::Unavailable { .. }
        )
    }

    /// Classify an I/O error on `path`.
    ///
    /// Maps error kinds to the variants above; unknown kinds become `Io` (permanent).
    pub fn from_io(path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            ErrorKind::NotFound => FileError::NotFound { path },
            ErrorKind::PermissionDenied => FileError::PermissionDenied { path },
            ErrorKind::ReadOnlyFilesystem => FileError::ReadOnly { path },
            ErrorKind::TimedOut
            | ErrorKind::Interrupted
            | ErrorKind::WouldBlock
            | ErrorKind::StaleNetworkFileHandle
            | ErrorKind::NetworkDown
            | ErrorKind::NetworkUnreachable
            | ErrorKind::HostUnreachable
            | ErrorKind::NotConnected
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::ResourceBusy
            | ErrorKind::StorageFull
            | ErrorKind::QuotaExceeded => FileError::Unavailable { path, source },
            _ => FileError::Io { path, source },
        }
    }
}

/// Result of [`write_if_unchanged`].
///
/// `Moved` means nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The new content is on disk.
    Written,
    /// The file no longer holds the expected content; merge against `current` and try again.
    Moved {
        /// The file's content now.
        current: String,
    },
}

/// Read a plan file as exact UTF-8 text (no BOM stripping, no newline normalisation).
///
/// Fails with `NotFound`, `NotUtf8`, `PermissionDenied` or a transient/permanent I/O error.
pub fn read_plan(path: &Path) -> Result<String, FileError> {
    read_plan_limited(path, crate::config::DEFAULT_MAX_PLAN_BYTES)
}

/// [`read_plan`] refusing files over `limit_bytes` with [`FileError::TooLarge`]: the size is
/// checked before reading and enforced while reading (a file may grow, or not be a regular
/// file), so at most `limit_bytes + 1` bytes are ever held.
pub fn read_plan_limited(path: &Path, limit_bytes: u64) -> Result<String, FileError> {
    use std::io::Read;
    let too_large = || FileError::TooLarge {
        path: path.to_path_buf(),
        limit_bytes,
    };
    let file = File::open(path).map_err(|e| FileError::from_io(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| FileError::from_io(path, e))?
        .len();
    if len > limit_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limit_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::from_io(path, e))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit_bytes {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        path: path.to_path_buf(),
        valid_up_to: e.utf8_error().valid_up_to(),
    })
}

/// Atomically replace (or create) `path` with `content`.
///
/// Temp file in the same directory → write → fsync → original permissions → rename → fsync dir.
/// A file whose permissions are read-only is refused with `ReadOnly` (rename would bypass it).
pub fn write_atomic(path: &Path, content: &str) -> Result<(), FileError> {
    let staged = Staged::new(path, content)?;
    staged.commit()
}

/// Write `new` only if the file still holds `expected_current`.
///
/// Re-reads before staging and again after the temp file is fsynced, just before the rename;
/// returns `Moved { current }` (and writes nothing) if the content differs.
pub fn write_if_unchanged(
    path: &Path,
    expected_current: &str,
    new: &str,
) -> Result<WriteOutcome, FileError> {
    let current = read_plan(path)?;
    if current != expected_current {
        return Ok(WriteOutcome::Moved { current });
    }
    let staged = Staged::new(path, new)?;
    let current = read_plan(path)?;
    if current != expected_current {
        staged.discard();
        return Ok(WriteOutcome::Moved { current });
    }
    staged.commit()?;
    Ok(WriteOutcome::Written)
}

/// A fully written, fsynced temp file waiting to be renamed over its target.
struct Staged {
    target: PathBuf,
    tmp: PathBuf,
}

/// Counter that keeps temp names unique within the process.
static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How many temp names to try before giving up.
const TEMP_ATTEMPTS: usize = 64;

impl Staged {
    /// Write `content` to a new temp file next to `path`'s real target.
    fn new(path: &Path, content: &str) -> Result<Self, FileError> {
        let target = resolve_target(path)?;
        let original = match fs::metadata(&target) {
            Ok(meta) => Some(meta.permissions()),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(FileError::from_io(&target, e)),
        };
        if original.as_ref().is_some_and(|p| p.readonly()) {
            return Err(FileError::ReadOnly { path: target });
        }
        let dir = parent_dir(&target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".to_string());
        let (tmp, mut file) = create_temp(&dir, &name)?;
        let staged = Staged { target, tmp };
        let written = file
            .write_all(content.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| match &original {
                Some(perms) => fs::set_permissions(&staged.tmp, perms.clone()),
                None => Ok(()),
            });
        drop(file);
        match written {
            Ok(()) => Ok(staged),
            Err(e) => {
                let err = FileError::from_io(&staged.target, e);
                staged.discard();
                Err(err)
            }
        }
    }

    /// Rename the temp file over the target and fsync the directory.
    fn commit(self) -> Result<(), FileError> {
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            let err = FileError::from_io(&self.target, e);
            self.discard();
            return Err(err);
        }
        sync_dir(&parent_dir(&self.target)).map_err(|e| FileError::from_io(&self.target, e))
    }

    /// Remove the temp file (best effort; it has a recognisable name if it survives).
    fn discard(self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Follow a symlink so the rename replaces the real file, not the link.
fn resolve_target(path: &Path) -> Result<PathBuf, FileError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|e| FileError::from_io(path, e))
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Create a new, uniquely named temp file in `dir`.
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File), FileError> {
    let mut last = io::Error::new(ErrorKind::AlreadyExists, "no free temp file name");
    for _ in 0..TEMP_ATTEMPTS {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.opsdeck-tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(FileError::from_io(dir, e)),
        }
    }
    Err(FileError::from_io(dir, last))
}

/// fsync a directory so a rename in it is durable (no-op where unsupported).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        match File::open(dir).and_then(|d| d.sync_all()) {
            Err(e) if matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::Unsupported) => {
                Ok(())
            }
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
