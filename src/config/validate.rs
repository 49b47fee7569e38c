//! Semantic validation after parsing: every finding points at the value in the file and says
//! what to write instead.

use super::load::line_col;
use super::locate::Seg;
use super::*;

/// A base URL must be absolute http(s) with a host, and carry no credentials or query.
fn check_base_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme '{}' is not http or https", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL (use token_env or token_command)".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a query or fragment does not belong in a base URL".into());
    }
    Ok(())
}

impl Config {
    pub(super) fn validate(
        &self,
        path: &str,
        text: &str,
        keys: Option<&KeyCheck>,
    ) -> Result<(), ConfigError> {
        // Every finding points at the value in the file when it was written there.
        let at = |segs: &[Seg<'_>], message: String, hint: &str| match locate::offset(text, segs) {
            Some(offset) => {
                let (line, column) = line_col(text, offset);
                ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message,
                    hint: hint.to_string(),
                }
            }
            None => ConfigError::Semantic {
                path: path.to_string(),
                message,
                hint: hint.to_string(),
            },
        };
        let general = |key| [Seg::Key("general"), Seg::Key(key)];
        if self.general.team_timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(at(
                &general("team_timezone"),
                format!(
                    "general.team_timezone '{}' is not an IANA time zone",
                    self.general.team_timezone
                ),
                "use a name like \"Europe/Berlin\", \"America/New_York\" or \"UTC\"",
            ));
        }
        if chrono::NaiveTime::parse_from_str(&self.policy.sla.business_day_end, "%H:%M").is_err() {
            return Err(at(
                &[
                    Seg::Key("policy"),
                    Seg::Key("sla"),
                    Seg::Key("business_day_end"),
                ],
                format!(
                    "policy.sla.business_day_end '{}' is not HH:MM",
                    self.policy.sla.business_day_end
                ),
                "write it like \"17:00\"",
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let source = |key| [Seg::Key("sources"), Seg::Index(i), Seg::Key(key)];
            if !names.insert(s.name.as_str()) {
                return Err(at(
                    &source("name"),
                    format!("two sources are named '{}'", s.name),
                    "give every [[sources]] entry a unique name",
                ));
            }
            if s.interval.0 < Duration::from_secs(5) {
                return Err(at(
                    &source("interval"),
                    format!("source '{}' polls every {} — too often", s.name, s.interval),
                    "use an interval of at least \"5s\" (default \"60s\")",
                ));
            }
            if let Some(base) = &s.base_url {
                if let Err(why) = check_base_url(base) {
                    return Err(at(
                        &source("base_url"),
                        format!("source '{}' has base_url '{base}': {why}", s.name),
                        "write a full URL like \"https://api.github.com\" or \"http://127.0.0.1:9093\"",
                    ));
                }
            }
            for (k, v) in &s.priority_map {
                if v.parse::<crate::domain::Priority>().is_err() {
                    return Err(at(
                        &[
                            Seg::Key("sources"),
                            Seg::Index(i),
                            Seg::Key("priority_map"),
                            Seg::Key(k),
                        ],
                        format!(
                            "source '{}' maps '{k}' to '{v}', which is not a priority",
                            s.name
                        ),
                        "map to P0, P1, P2 or P3",
                    ));
                }
            }
        }
        for (i, slo) in self.slos.iter().enumerate() {
            let slo_key = |key| [Seg::Key("slos"), Seg::Index(i), Seg::Key(key)];
            let obj = slo.objective.trim().trim_end_matches('%');
            let valid = obj.parse::<f64>().ok().filter(|v| *v > 0.0 && *v < 100.0);
            if valid.is_none() {
                return Err(at(
                    &slo_key("objective"),
                    format!("SLO '{}' has objective '{}'", slo.name, slo.objective),
                    "use a percentage strictly between 0 and 100, such as \"99.9\" (100 % leaves no error budget)",
                ));
            }
            let days = slo.window.0.as_secs() / 86_400;
            if slo.window.0.as_secs() % 86_400 != 0 || !(days == 28 || days == 30) {
                return Err(at(
                    &slo_key("window"),
                    format!("SLO '{}' has window {}", slo.name, slo.window),
                    "use \"28d\" or \"30d\"",
                ));
            }
        }
        let Some(check) = keys else {
            return Ok(());
        };
        for (scope, map) in &self.keys {
            for (chord, action) in map {
                if let Err(problem) = check(scope, chord, action) {
                    let scope_at = [Seg::Key("keys"), Seg::Key(scope)];
                    let chord_at = [Seg::Key("keys"), Seg::Key(scope), Seg::Key(chord)];
                    let segs: &[Seg<'_>] = if problem.scope { &scope_at } else { &chord_at };
                    return Err(at(segs, problem.message, &problem.hint));
                }
            }
        }
        Ok(())
    }
}
