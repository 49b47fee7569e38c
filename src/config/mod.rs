//! Configuration: the embedded commented defaults, the user's TOML file, and `OPSDECK_*`
//! environment overrides.
//!
//! Every struct denies unknown keys, durations are parsed by [`DurationSpec`], and a bad file
//! produces a [`ConfigError`] naming the file, line and column and what to fix. The CLI turns
//! that into exit code 2 without writing anything. Tokens never live here: a source names an
//! environment variable or a `token_command` (argv, no shell).

mod load;
pub mod locate;
pub mod paths;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

pub use paths::Paths;

/// The commented example, embedded; `opsdeck init` writes it.
pub const EXAMPLE_TOML: &str = include_str!("../../config.example.toml");

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error(
        "{path}: cannot read the config file: {source}\n  fix: point --config (or the config \
         folder) at a readable regular file; a symlink must resolve to one (no loops)"
    )]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not parse or a value is invalid.
    #[error("{path}:{line}:{column}: {message}\n  fix: {hint}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// A value is valid TOML but makes no sense.
    #[error("{path}: {message}\n  fix: {hint}")]
    Semantic {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
}

/// A duration written as `30s`, `5m`, `1h`, `2d` (or combinations like `1h30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec(pub Duration);

impl FromStr for DurationSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty duration".into());
        }
        let mut total_secs: u64 = 0;
        let mut num = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let unit_secs = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(format!("invalid duration '{s}': unknown unit '{c}'")),
            };
            let n: u64 = num
                .parse()
                .map_err(|_| format!("invalid duration '{s}': a number must come before '{c}'"))?;
            total_secs = total_secs.saturating_add(n.saturating_mul(unit_secs));
            num.clear();
        }
        if !num.is_empty() {
            return Err(format!(
                "invalid duration '{s}': missing unit after {num} (use s, m, h, d or w)"
            ));
        }
        Ok(DurationSpec(Duration::from_secs(total_secs)))
    }
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for DurationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        if secs % 86_400 == 0 && secs > 0 {
            write!(f, "{}d", secs / 86_400)
        } else if secs % 3600 == 0 && secs > 0 {
            write!(f, "{}h", secs / 3600)
        } else if secs % 60 == 0 && secs > 0 {
            write!(f, "{}m", secs / 60)
        } else {
            write!(f, "{secs}s")
        }
    }
}

/// Default of `general.max_plan_bytes`: 8 MiB is hundreds of times a real release plan.
pub const DEFAULT_MAX_PLAN_BYTES: u64 = 8 * 1024 * 1024;

/// General settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct General {
    /// IANA time zone of the team (SLA business days, ISO weeks).
    pub team_timezone: String,
    /// The name recorded in the audit log for your edits.
    pub actor: String,
    /// Refuse every edit.
    pub read_only: bool,
    /// Draw borders with ASCII characters.
    pub ascii_borders: bool,
    /// Capture the mouse.
    pub mouse: bool,
    /// Log filter (`info`, `debug`, `opsdeck=trace`).
    pub log_level: String,
    /// Week day the review happens (informational).
    pub review_day: String,
    /// Overall deadline of `opsdeck sync --once`; unfinished sources are reported, exit 1.
    pub sync_deadline: DurationSpec,
    /// Largest Markdown plan accepted, in bytes (bigger files are refused with a message).
    pub max_plan_bytes: u64,
}

impl Default for General {
    fn default() -> Self {
        General {
            team_timezone: "UTC".into(),
            actor: "me".into(),
            read_only: false,
            ascii_borders: false,
            mouse: false,
            log_level: "info".into(),
            review_day: "friday".into(),
            sync_deadline: DurationSpec(Duration::from_secs(90)),
            max_plan_bytes: DEFAULT_MAX_PLAN_BYTES,
        }
    }
}

/// Response-SLA targets per severity (`next-business-day` allowed for any).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SlaPolicy {
    /// P0 target.
    pub p0: SlaTarget,
    /// P1 target.
    pub p1: SlaTarget,
    /// P2 target.
    pub p2: SlaTarget,
    /// P3 target.
    pub p3: SlaTarget,
    /// End of the business day, `HH:MM` in the team's time zone.
    pub business_day_end: String,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            p0: SlaTarget::Within(DurationSpec(Duration::from_secs(300))),
            p1: SlaTarget::Within(DurationSpec(Duration::from_secs(900))),
            p2: SlaTarget::Within(DurationSpec(Duration::from_secs(3600))),
            p3: SlaTarget::NextBusinessDay,
            business_day_end: "17:00".into(),
        }
    }
}

/// One SLA target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaTarget {
    /// Respond within a fixed time (24×7 clock).
    Within(DurationSpec),
    /// Respond by the end of the next business day.
    NextBusinessDay,
}

impl<'de> Deserialize<'de> for SlaTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim() == "next-business-day" {
            return Ok(SlaTarget::NextBusinessDay);
        }
        s.parse::<DurationSpec>()
            .map(SlaTarget::Within)
            .map_err(|e| serde::de::Error::custom(format!("{e}; or use \"next-business-day\"")))
    }
}

/// Fix-by windows per bug priority.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct FixByPolicy {
    /// P0 (`today`, `this-week`, `this-month`, `next-quarter`, or a duration like `3d`).
    pub p0: String,
    /// P1.
    pub p1: String,
    /// P2.
    pub p2: String,
    /// P3.
    pub p3: String,
}

impl Default for FixByPolicy {
    fn default() -> Self {
        FixByPolicy {
            p0: "today".into(),
            p1: "this-week".into(),
            p2: "this-month".into(),
            p3: "next-quarter".into(),
        }
    }
}

/// Health-score weights (METRICS.md §4.2).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HealthWeights {
    /// Product usage.
    pub usage: f64,
    /// Support load (fewer tickets is better).
    pub support: f64,
    /// NPS.
    pub nps: f64,
    /// Reliability (SLO budget of the customer's services).
    pub reliability: f64,
    /// Engagement.
    pub engagement: f64,
}

impl Default for HealthWeights {
    fn default() -> Self {
        HealthWeights {
            usage: 30.0,
            support: 20.0,
            nps: 20.0,
            reliability: 15.0,
            engagement: 15.0,
        }
    }
}

/// How DORA figures link deployments to incidents.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DoraPolicy {
    /// Also link each incident without an explicit link to the last successful production
    /// deployment of its service before it started (DevLake's heuristic). Off by default: it
    /// blames infrastructure incidents on innocent deployments; guessed links are labelled.
    pub guess_links: bool,
}

/// Policies.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Incident response SLAs.
    pub sla: SlaPolicy,
    /// Bug fix-by windows.
    pub fix_by: FixByPolicy,
    /// Customer health weights.
    pub health: HealthWeights,
    /// DORA linking.
    pub dora: DoraPolicy,
}

/// How a source gets its token (never the token itself).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Name of an environment variable holding the token.
    pub token_env: Option<String>,
    /// A command (argv, no shell) that prints the token.
    pub token_command: Option<Vec<String>>,
}

/// A configured remote source. Connectors read the fields they need.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Unique name (shown in the status bar).
    pub name: String,
    /// `github`, `github-deployments`, `github-tasklist`, `jira`, `redmine`, `pagerduty`, `alertmanager`, `prometheus`.
    pub kind: SourceKind,
    /// Base URL (defaults per kind for SaaS).
    pub base_url: Option<String>,
    /// Poll interval.
    #[serde(default = "default_interval")]
    pub interval: DurationSpec,
    /// Token source.
    #[serde(flatten)]
    pub token: TokenConfig,
    /// GitHub `owner/repo` list.
    #[serde(default)]
    pub repos: Vec<String>,
    /// `github-tasklist`: the issues whose bodies hold the plan (`owner/repo#123`).
    #[serde(default)]
    pub issues: Vec<String>,
    /// Jira project keys / Redmine project ids.
    #[serde(default)]
    pub projects: Vec<String>,
    /// PagerDuty service ids or teams.
    #[serde(default)]
    pub services: Vec<String>,
    /// Email for PagerDuty's `From` header; Jira account email for basic auth.
    pub email: Option<String>,
    /// Name recorded as `createdBy` on Alertmanager silences.
    pub created_by: Option<String>,
    /// Priority mapping: remote label/priority name → P0–P3.
    #[serde(default)]
    pub priority_map: BTreeMap<String, String>,
    /// Status mapping: remote status name → open / in_progress / closed.
    #[serde(default)]
    pub status_map: BTreeMap<String, String>,
    /// Service name mapping: remote service/environment → opsdeck service.
    #[serde(default)]
    pub service_map: BTreeMap<String, String>,
    /// Jira transition names by target status.
    #[serde(default)]
    pub transitions: BTreeMap<String, String>,
    /// Deployment environments to include.
    #[serde(default)]
    pub environments: Vec<String>,
    /// Deployment status to post when marking a rollback (`inactive` or `failure`).
    pub rollback_state: Option<String>,
    /// Extra HTTP headers (values may not hold secrets; use the token fields).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Push locally declared incidents to this PagerDuty source.
    #[serde(default)]
    pub push_local_incidents: bool,
}

fn default_interval() -> DurationSpec {
    DurationSpec(Duration::from_secs(60))
}

/// Connector kinds.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// GitHub Issues.
    Github,
    /// GitHub Deployments.
    GithubDeployments,
    /// Markdown task lists kept in GitHub issue bodies (checklist tab).
    GithubTasklist,
    /// Jira Cloud.
    Jira,
    /// Redmine.
    Redmine,
    /// PagerDuty.
    Pagerduty,
    /// Alertmanager.
    Alertmanager,
    /// Prometheus-compatible metrics.
    Prometheus,
}

/// One SLO definition.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    /// Name.
    pub name: String,
    /// Service.
    pub service: String,
    /// Objective as an exact decimal percentage string ("99.9"); 100 is refused.
    pub objective: String,
    /// Window: `28d` or `30d`.
    pub window: DurationSpec,
    /// `ratio` or `latency`.
    pub kind: String,
    /// Ratio: good-events selector/expression (or `bad`).
    pub good: Option<String>,
    /// Ratio: bad-events selector/expression.
    pub bad: Option<String>,
    /// Total events.
    pub total: Option<String>,
    /// Latency: the histogram `_bucket` metric selector.
    pub histogram: Option<String>,
    /// Latency: threshold `le`.
    pub threshold_le: Option<String>,
    /// Which prometheus source to query.
    pub source: Option<String>,
}

/// A registered Markdown plan.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChecklistConfig {
    /// Path of the Markdown file.
    pub path: String,
    /// Section headings treated as gates.
    #[serde(default)]
    pub gates: Vec<String>,
}

/// Screen settings (`[ui]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Ui {
    /// Show the one-line key-hint footer under every tab.
    pub key_hints: bool,
}

impl Default for Ui {
    fn default() -> Self {
        Ui { key_hints: true }
    }
}

/// What is wrong with one `[keys.<scope>]` entry: the message, the fix, and whether the scope
/// itself is wrong (else the chord or its action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: String,
    /// The scope name is wrong (the error points at `[keys.<scope>]`).
    pub scope: bool,
}

/// Checks one `[keys.<scope>] "<chord>" = "<action>"` entry. The keymap grammar and the action
/// names live in `app`, which supplies the check; config keeps only the raw strings.
pub type KeyCheck = dyn Fn(&str, &str, &str) -> Result<(), KeyProblem>;

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// General settings.
    pub general: General,
    /// Policies.
    pub policy: Policy,
    /// Remote sources.
    pub sources: Vec<SourceConfig>,
    /// SLOs.
    pub slos: Vec<SloConfig>,
    /// Plans.
    pub checklists: Vec<ChecklistConfig>,
    /// Key overrides per scope: `[keys.global] "q" = "quit"`.
    pub keys: BTreeMap<String, BTreeMap<String, String>>,
    /// Screen settings.
    pub ui: Ui,
}

impl Policy {
    /// The response-SLA policy for the metrics, in the team's time zone (`business_day_end` was
    /// validated at load; 17:00 is the fallback for a policy built in code).
    #[must_use]
    pub fn response_sla(&self, tz: chrono_tz::Tz) -> crate::metrics::incident::SlaPolicy {
        use crate::metrics::incident::ResponseTarget;
        let end = chrono::NaiveTime::parse_from_str(self.sla.business_day_end.trim(), "%H:%M")
            .unwrap_or_else(|_| {
                chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(chrono::NaiveTime::MIN)
            });
        let target = |t: &SlaTarget| match t {
            SlaTarget::Within(d) => ResponseTarget::Within(
                chrono::TimeDelta::from_std(d.0).unwrap_or(chrono::TimeDelta::MAX),
            ),
            SlaTarget::NextBusinessDay => ResponseTarget::NextBusinessDayAt(end),
        };
        crate::metrics::incident::SlaPolicy {
            p0: target(&self.sla.p0),
            p1: target(&self.sla.p1),
            p2: target(&self.sla.p2),
            p3: target(&self.sla.p3),
            time_zone: tz,
        }
    }
}

impl Config {
    /// The team's time zone (validated at load).
    #[must_use]
    pub fn tz(&self) -> chrono_tz::Tz {
        self.general.team_timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}
