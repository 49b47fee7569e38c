//! Loading: TOML text to [`Config`] with file:line:col errors and a hint, the file on disk,
//! and the `OPSDECK_*` environment overrides.

use std::path::Path;

use super::*;

pub(super) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn hint_for(message: &str) -> String {
    if message.contains("unknown field") {
        "remove or rename the key; config.example.toml lists every key with a comment".into()
    } else if message.contains("duration") {
        "write durations like \"30s\", \"5m\", \"1h\" or \"2d\"".into()
    } else if message.contains("invalid type") {
        "use the type shown in config.example.toml (quote strings, no quotes on true/false and numbers)".into()
    } else if message.contains("unknown variant") {
        "use one of the values listed in the message".into()
    } else {
        "compare with config.example.toml (`opsdeck init` writes a fresh copy)".into()
    }
}

impl Config {
    /// Parses config text; `path` is only used in messages. `[keys.*]` entries are kept as raw
    /// strings: [`Config::parse_with_keys`] also checks them against the app's keymap.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] with the line and column, or [`ConfigError::Semantic`].
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        Self::parse_checked(text, path, None)
    }

    /// As [`Config::parse`], and every `[keys.<scope>] "<chord>" = "<action>"` entry passes
    /// `keys` (supplied by the app, which owns the keymap), a bad one reported at its line.
    ///
    /// # Errors
    /// As [`Config::parse`].
    pub fn parse_with_keys(text: &str, path: &str, keys: &KeyCheck) -> Result<Config, ConfigError> {
        Self::parse_checked(text, path, Some(keys))
    }

    fn parse_checked(
        text: &str,
        path: &str,
        keys: Option<&KeyCheck>,
    ) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            // serde reports unknown keys of a flattened table at the table, or nowhere: point
            // at the key itself.
            let at = e.span().map_or(0, |s| s.start);
            let at = locate::unknown_field(&message)
                .and_then(|key| locate::key_after(text, key, at))
                .or_else(|| e.span().map(|s| s.start));
            let (line, column) = at.map_or((1, 1), |at| line_col(text, at));
            ConfigError::Invalid {
                path: path.to_string(),
                line,
                column,
                hint: hint_for(&message),
                message,
            }
        })?;
        config.validate(path, text, keys)?;
        Ok(config)
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    /// As [`Config::parse`], or [`ConfigError::Read`].
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::load_checked(path, None)
    }

    /// Reads and parses a file, checking `[keys.*]` entries with `keys`.
    ///
    /// # Errors
    /// As [`Config::parse`], or [`ConfigError::Read`].
    pub fn load_with_keys(path: &Path, keys: &KeyCheck) -> Result<Config, ConfigError> {
        Self::load_checked(path, Some(keys))
    }

    fn load_checked(path: &Path, keys: Option<&KeyCheck>) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: display.clone(),
            source,
        })?;
        Self::parse_checked(&text, &display, keys)
    }

    /// Applies `OPSDECK_*` environment overrides (`OPSDECK_TIMEZONE`, `OPSDECK_ACTOR`,
    /// `OPSDECK_LOG`, `OPSDECK_ASCII`, `OPSDECK_READ_ONLY`).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        if let Some(tz) = get("OPSDECK_TIMEZONE") {
            self.general.team_timezone = tz;
        }
        if let Some(actor) = get("OPSDECK_ACTOR") {
            self.general.actor = actor;
        }
        if let Some(level) = get("OPSDECK_LOG") {
            self.general.log_level = level;
        }
        if get("OPSDECK_ASCII").is_some_and(|v| v == "1" || v == "true") {
            self.general.ascii_borders = true;
        }
        if get("OPSDECK_READ_ONLY").is_some_and(|v| v == "1" || v == "true") {
            self.general.read_only = true;
        }
    }
}
