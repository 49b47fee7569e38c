//! Where opsdeck keeps its files.
//!
//! Order: `OPSDECK_CONFIG_DIR` / `OPSDECK_DATA_DIR`, then `XDG_CONFIG_HOME` / `XDG_DATA_HOME`,
//! then the platform directories from `directories` (on macOS the config still goes to
//! `~/.config/opsdeck`, as CLI tools there expect). The demo cache is a separate file so a demo
//! edit can never touch the real cache.

use std::env;
use std::path::{Path, PathBuf};

use directories::{BaseDirs, ProjectDirs};

/// Every path opsdeck uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Folder holding `config.toml`.
    pub config_dir: PathBuf,
    /// The config file.
    pub config_file: PathBuf,
    /// Folder holding the caches and logs.
    pub data_dir: PathBuf,
    /// The real cache.
    pub cache_db: PathBuf,
    /// The demo cache.
    pub demo_db: PathBuf,
    /// The log file.
    pub log_file: PathBuf,
    /// Where `e` writes incident reports.
    pub reports_dir: PathBuf,
}

impl Paths {
    /// Resolves paths from the environment and an optional explicit config file.
    #[must_use]
    pub fn resolve(explicit_config: Option<&Path>) -> Paths {
        let project = ProjectDirs::from("dev", "opsdeck", "opsdeck");
        let home_config = BaseDirs::new().map(|b| b.home_dir().join(".config").join("opsdeck"));
        let config_dir = env_dir("OPSDECK_CONFIG_DIR")
            .or_else(|| env_dir("XDG_CONFIG_HOME").map(|p| p.join("opsdeck")))
            .or(home_config)
            .or_else(|| project.as_ref().map(|p| p.config_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".opsdeck"));
        let data_dir = env_dir("OPSDECK_DATA_DIR")
            .or_else(|| env_dir("XDG_DATA_HOME").map(|p| p.join("opsdeck")))
            .or_else(|| project.as_ref().map(|p| p.data_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from(".opsdeck-data"));
        let config_file =
            explicit_config.map_or_else(|| config_dir.join("config.toml"), Path::to_path_buf);
        Paths {
            config_file,
            cache_db: data_dir.join("cache.sqlite3"),
            demo_db: data_dir.join("demo.sqlite3"),
            log_file: data_dir.join("opsdeck.log"),
            reports_dir: data_dir.join("reports"),
            config_dir,
            data_dir,
        }
    }

    /// Creates the data folder (mode 0700 on Unix).
    ///
    /// # Errors
    /// I/O errors.
    pub fn ensure_data_dir(&self) -> std::io::Result<()> {
        create_private_dir(&self.data_dir)
    }
}

fn env_dir(var: &str) -> Option<PathBuf> {
    env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Creates a directory (and parents) readable only by the user.
///
/// # Errors
/// I/O errors.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
