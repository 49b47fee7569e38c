//! Secrets: the `Secret` newtype that never prints its value, and `TokenSource`, the
//! configured place a token comes from (an env var name or a `token_command` argv list).
//!
//! The configuration only ever names *where* the token lives; the token itself is read at
//! run time, kept in a `Secret`, and only `Secret::expose` (easy to grep) hands it out.

use std::fmt;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;

/// How long a `token_command` may run before it is killed.
pub const DEFAULT_TOKEN_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest stderr excerpt of a failed `token_command` kept in the error message.
const STDERR_EXCERPT_CHARS: usize = 200;

/// A credential that never shows up in `Debug` output, logs or serialized data.
///
/// There is deliberately no `Display`, `Serialize` or `Clone`-to-string path: the value
/// is only reachable through [`Secret::expose`]. The buffer is overwritten on drop
/// (best effort, without `unsafe`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential value.
    ///
    /// Prefer [`TokenSource::resolve`]; this exists for tests and for composing headers.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the raw credential.
    ///
    /// Call this only at the point where the value goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    ///
    /// An empty token is never useful and is rejected by [`TokenSource::resolve`].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

/// Where a source's token comes from, as written in the config.
///
/// In TOML: `token = { env = "GITHUB_TOKEN" }` or
/// `token = { command = ["pass", "show", "opsdeck/github"] }`. The command runs without a
/// shell; its stdout (minus the trailing newline) is the token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// Read the token from this environment variable.
    Env(String),
    /// Run this program with these arguments and read the token from its stdout.
    Command(Vec<String>),
}

/// Why a token could not be obtained. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The configured environment variable is not set.
    #[error(
        "environment variable {var} is not set; export your token there or configure token_command"
    )]
    EnvMissing {
        /// The variable name.
        var: String,
    },
    /// The environment variable holds bytes that are not UTF-8.
    #[error("environment variable {var} is not valid UTF-8")]
    EnvNotUnicode {
        /// The variable name.
        var: String,
    },
    /// `token_command` was configured as an empty list.
    #[error("token_command is empty; give the program and its arguments as a list")]
    EmptyCommand,
    /// The program could not be started.
    #[error("could not run token_command `{program}`: {source}")]
    Spawn {
        /// The program (`argv[0]`) only, never the arguments.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The program ran longer than allowed and was killed.
    #[error("token_command `{program}` did not finish within {timeout_ms} ms")]
    Timeout {
        /// The program (`argv[0]`).
        program: String,
        /// The limit that was exceeded.
        timeout_ms: u128,
    },
    /// The program exited unsuccessfully; stdout is discarded, stderr is excerpted.
    #[error("token_command `{program}` failed ({status}): {stderr_excerpt}")]
    CommandFailed {
        /// The program (`argv[0]`).
        program: String,
        /// Exit status as text.
        status: String,
        /// Start of stderr, control characters removed.
        stderr_excerpt: String,
    },
    /// The program printed something that is not UTF-8.
    #[error("token_command `{program}` printed a token that is not valid UTF-8")]
    NotUtf8 {
        /// The program (`argv[0]`).
        program: String,
    },
    /// The token is empty.
    #[error("the token from {origin} is empty")]
    Empty {
        /// `TokenSource::describe()` of the source.
        origin: String,
    },
    /// The token contains whitespace or control characters and can't go in a header.
    #[error("the token from {origin} contains spaces, newlines or control characters")]
    InvalidCharacters {
        /// `TokenSource::describe()` of the source.
        origin: String,
    },
}

impl TokenSource {
    /// Says where the token lives, for actionable error messages.
    ///
    /// E.g. `env var GITHUB_TOKEN` or ``token_command `pass` ``; never the token.
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Env(var) => format!("env var {var}"),
            TokenSource::Command(argv) => match argv.first() {
                Some(program) => format!("token_command `{program}`"),
                None => "token_command (empty)".to_owned(),
            },
        }
    }

    /// Resolves the token from the process environment or by running the command.
    ///
    /// Uses [`DEFAULT_TOKEN_COMMAND_TIMEOUT`] for commands.
    pub async fn resolve(&self) -> Result<Secret, TokenError> {
        let env = |name: &str| std::env::var_os(name);
        self.resolve_with(&env, DEFAULT_TOKEN_COMMAND_TIMEOUT).await
    }

    /// Resolves the token with an injected environment lookup and command timeout.
    ///
    /// The command runs directly (no shell), with stdin closed and `kill_on_drop`, so a
    /// timeout kills it. Only a trailing `\n` / `\r\n` is trimmed; any other whitespace
    /// or control character in the token is an error.
    pub async fn resolve_with(
        &self,
        env: &(dyn Fn(&str) -> Option<std::ffi::OsString> + Sync),
        timeout: Duration,
    ) -> Result<Secret, TokenError> {
        let raw = match self {
            TokenSource::Env(var) => match env(var) {
                None => return Err(TokenError::EnvMissing { var: var.clone() }),
                Some(value) => value
                    .into_string()
                    .map_err(|_| TokenError::EnvNotUnicode { var: var.clone() })?,
            },
            TokenSource::Command(argv) => run_token_command(argv, timeout).await?,
        };
        let token = Secret::new(trim_trailing_newline(&raw));
        drop(Secret::new(raw));
        if token.is_empty() {
            return Err(TokenError::Empty {
                origin: self.describe(),
            });
        }
        if token
            .expose()
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(TokenError::InvalidCharacters {
                origin: self.describe(),
            });
        }
        Ok(token)
    }
}

fn trim_trailing_newline(raw: &str) -> &str {
    let raw = raw.strip_suffix('\n').unwrap_or(raw);
    raw.strip_suffix('\r').unwrap_or(raw)
}

async fn run_token_command(argv: &[String], timeout: Duration) -> Result<String, TokenError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(TokenError::EmptyCommand);
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| TokenError::Spawn {
            program: program.clone(),
            source,
        })?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_elapsed) => {
            return Err(TokenError::Timeout {
                program: program.clone(),
                timeout_ms: timeout.as_millis(),
            })
        }
        Ok(Err(source)) => {
            return Err(TokenError::Spawn {
                program: program.clone(),
                source,
            })
        }
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        drop(Secret::new(String::from_utf8_lossy(&output.stdout)));
        let stderr: String = String::from_utf8_lossy(&output.stderr)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(STDERR_EXCERPT_CHARS)
            .collect();
        return Err(TokenError::CommandFailed {
            program: program.clone(),
            status: output.status.to_string(),
            stderr_excerpt: stderr.trim().to_owned(),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| TokenError::NotUtf8 {
        program: program.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    const CANARY: &str = "ghp_CANARY0123456789secret";

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    fn canary_env(name: &str) -> Option<OsString> {
        (name == "OPSDECK_TEST_TOKEN").then(|| OsString::from(format!("{CANARY}\n")))
    }

    fn argv(parts: &[&str]) -> TokenSource {
        TokenSource::Command(parts.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn debug_of_a_secret_never_shows_the_value() {
        let secret = Secret::new(CANARY);
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{secret:#?}"), "Secret(***)");
        assert_eq!(secret.expose(), CANARY);
    }

    #[tokio::test]
    async fn an_env_var_token_is_read_and_its_trailing_newline_trimmed() {
        let source = TokenSource::Env("OPSDECK_TEST_TOKEN".into());
        let token = source
            .resolve_with(&canary_env, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(token.expose(), CANARY);
        assert!(!format!("{source:?} {token:?}").contains(CANARY));
    }

    #[tokio::test]
    async fn a_missing_env_var_names_the_variable_to_set() {
        let err = TokenSource::Env("GITHUB_TOKEN".into())
            .resolve_with(&no_env, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::EnvMissing { .. }));
        assert!(err.to_string().contains("GITHUB_TOKEN"), "{err}");
    }

    #[tokio::test]
    async fn a_token_command_output_becomes_the_token_without_its_newline() {
        let token = argv(&["printf", "%s\\n", CANARY])
            .resolve_with(&no_env, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(token.expose(), CANARY);
    }

    #[tokio::test]
    async fn a_token_command_runs_without_a_shell() {
        // A shell would expand `$HOME`; a direct exec passes it literally.
        let token = argv(&["printf", "%s", "$HOME"])
            .resolve_with(&no_env, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(token.expose(), "$HOME");
    }

    #[tokio::test]
    async fn a_failing_token_command_reports_stderr_but_never_stdout() {
        let script = format!("printf {CANARY}; echo 'vault is sealed' >&2; exit 3");
        let err = argv(&["sh", "-c", &script])
            .resolve_with(&no_env, Duration::from_secs(5))
            .await
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, TokenError::CommandFailed { .. }));
        assert!(shown.contains("vault is sealed"), "{shown}");
        assert!(!shown.contains(CANARY), "{shown}");
    }

    #[tokio::test]
    async fn a_hung_token_command_is_killed_at_the_timeout() {
        let started = std::time::Instant::now();
        let err = argv(&["sleep", "30"])
            .resolve_with(&no_env, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_missing_program_says_it_could_not_run() {
        let err = argv(&["/nonexistent/opsdeck-token-helper"])
            .resolve_with(&no_env, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::Spawn { .. }));
        assert!(err.to_string().contains("opsdeck-token-helper"));
    }

    #[tokio::test]
    async fn empty_and_multi_line_tokens_are_rejected_without_echoing_them() {
        let empty = argv(&["printf", "\\n"])
            .resolve_with(&no_env, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(empty, TokenError::Empty { .. }));
        let two_lines = argv(&["printf", "%s\\nsecond\\n", CANARY])
            .resolve_with(&no_env, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(two_lines, TokenError::InvalidCharacters { .. }));
        assert!(!format!("{two_lines} {two_lines:?}").contains(CANARY));
        let nothing = TokenSource::Command(vec![])
            .resolve_with(&no_env, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(nothing, TokenError::EmptyCommand));
    }

    #[test]
    fn token_sources_deserialize_from_config_and_describe_where_the_token_lives() {
        let env: TokenSource = serde_json::from_str(r#"{"env":"GITHUB_TOKEN"}"#).unwrap();
        assert_eq!(env.describe(), "env var GITHUB_TOKEN");
        let cmd: TokenSource =
            serde_json::from_str(r#"{"command":["pass","show","opsdeck/github"]}"#).unwrap();
        assert_eq!(cmd.describe(), "token_command `pass`");
    }
}
