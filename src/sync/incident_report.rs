//! The Markdown incident report that `e` exports for the postmortem.
//!
//! Owns the report's layout: a title line, then Summary, Severity (with the response-SLA
//! verdict from the configured policy), Timeline (detected / acknowledged / mitigated /
//! resolved with TTA and TTR for this incident, then the merged timeline of the pager's log
//! entries and notes with opsdeck's own audit entries, in time order), Impact (services,
//! customers, duration), and the headings the team fills in afterwards (Root cause,
//! Resolution, Prevention, Action items), left blank when unknown. Resolution holds the
//! resolution text typed when the incident was resolved in opsdeck, verbatim.
//!
//! Typed text keeps its words: inside a timeline cell a line break becomes `<br>` (a Markdown
//! table row cannot hold a newline) and `|` is escaped; nothing else is changed.
//!
//! The output depends only on the cache, the policy, the time zone and the injected `now`, so
//! the same inputs always give the same bytes. Every time is shown in the team's time zone.
//! "Mitigated" is the first timeline event whose kind or text starts with "mitigat"
//! (PagerDuty has no such state); otherwise it is left blank.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::super::config::Policy;
use super::super::domain::{Incident, IncidentEvent};
use super::super::metrics::incident::{
    sla_state, IncidentTimes, Priority as SlaPriority, ResponseTarget, SlaPolicy, SlaState,
};
use super::super::store::{incidents, Store, StoreError};

/// Renders the report of one cached incident.
///
/// # Errors
/// [`StoreError::NotFound`] when the incident is not cached; SQLite errors.
pub fn incident_report_markdown(
    store: &Store,
    incident_id: i64,
    policy: &Policy,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let incident = incidents::incident_by_id(store, incident_id)?
        .ok_or_else(|| StoreError::NotFound(format!("incident {incident_id}")))?;
    let timeline = store.incident_timeline(incident_id)?;
    let resolution = incidents::resolution_text(store.conn(), incident_id)?;
    Ok(render(
        &incident,
        &timeline,
        resolution.as_deref(),
        policy,
        tz,
        now,
    ))
}

/// The configured SLA policy in the metrics module's terms.
#[must_use]
pub fn sla_policy(policy: &Policy, tz: Tz) -> SlaPolicy {
    policy.response_sla(tz)
}

/// `1h 26m 15s`, `4m 0s`, `45s`; negative durations get a leading `-`.
#[must_use]
pub fn human_secs(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let text = if d > 0 {
        format!("{d}d {h}h {m}m")
    } else if h > 0 {
        format!("{h}h {m}m {sec}s")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    };
    format!("{sign}{text}")
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Makes untrusted text safe inside one Markdown table cell: a line break becomes `<br>`.
fn cell(text: &str) -> String {
    let one_line: String = text
        .trim()
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' || c == '\t' { ' ' } else { c })
        .collect();
    let escaped = one_line
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', "<br>");
    if escaped.is_empty() {
        "—".to_owned()
    } else {
        escaped
    }
}

fn mitigated_at(timeline: &[IncidentEvent]) -> Option<DateTime<Utc>> {
    timeline
        .iter()
        .find(|e| {
            let kind = e.kind.to_ascii_lowercase();
            let text = e.text.trim_start().to_ascii_lowercase();
            kind.starts_with("mitigat") || text.starts_with("mitigat")
        })
        .map(|e| e.at)
}

fn sla_line(incident: &Incident, policy: &SlaPolicy, now: DateTime<Utc>, tz: Tz) -> String {
    let Some(priority) = SlaPriority::from_label(incident.severity.as_str()) else {
        return "- Response SLA: —".to_owned();
    };
    let times = IncidentTimes {
        priority,
        created_at: incident.created_at,
        first_ack_at: incident.acknowledged_at,
        resolved_at: incident.resolved_at,
    };
    let deadline = policy.deadline(priority, incident.created_at);
    let verdict = match sla_state(policy, &times, now) {
        SlaState::Met { margin_secs } => format!("met, {} to spare", human_secs(margin_secs)),
        SlaState::Breached { by_secs } => format!("breached by {}", human_secs(by_secs)),
        SlaState::Pending { remaining_secs } => {
            format!("pending, {} left", human_secs(remaining_secs))
        }
    };
    let target = match policy.target(priority) {
        ResponseTarget::Within(d) => format!("respond within {}", human_secs(d.num_seconds())),
        ResponseTarget::NextBusinessDayAt(t) => {
            format!("respond by {} on the next business day", t.format("%H:%M"))
        }
    };
    format!(
        "- Response SLA: {target} (deadline {}): **{verdict}**",
        local(deadline, tz)
    )
}

fn milestone(
    out: &mut String,
    name: &str,
    at: Option<DateTime<Utc>>,
    start: DateTime<Utc>,
    tz: Tz,
) {
    let (when, since) = match at {
        Some(t) => (local(t, tz), human_secs((t - start).num_seconds())),
        None => ("—".to_owned(), "—".to_owned()),
    };
    let _ = writeln!(out, "| {name} | {when} | {since} |");
}

fn render(
    incident: &Incident,
    timeline: &[IncidentEvent],
    resolution: Option<&str>,
    policy: &Policy,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let sla = sla_policy(policy, tz);
    let mut out = String::new();
    let title = cell(&incident.title);
    let _ = writeln!(out, "# Incident {}: {title}\n", cell(&incident.external_id));
    let link = incident
        .url
        .as_deref()
        .map(cell)
        .unwrap_or_else(|| "—".to_owned());
    let _ = writeln!(
        out,
        "Source: {} · Link: {link} · Report generated {} ({tz})\n",
        cell(&incident.source),
        local(now, tz)
    );

    let _ = writeln!(out, "## Summary\n");
    let service = if incident.service.is_empty() {
        "an unnamed service".to_owned()
    } else {
        cell(&incident.service)
    };
    let _ = writeln!(
        out,
        "{} incident on {service}, opened {}; status **{}**.\n",
        incident.severity,
        local(incident.created_at, tz),
        incident.status
    );

    let _ = writeln!(out, "## Severity\n");
    let _ = writeln!(out, "- Severity: {}", incident.severity);
    let _ = writeln!(out, "{}\n", sla_line(incident, &sla, now, tz));

    let _ = writeln!(out, "## Timeline\n");
    let _ = writeln!(out, "Times are in {tz}.\n");
    let _ = writeln!(out, "| Milestone | Time | Since detection |");
    let _ = writeln!(out, "|---|---|---|");
    let start = incident.created_at;
    milestone(&mut out, "Detected", Some(start), start, tz);
    milestone(
        &mut out,
        "Acknowledged",
        incident.acknowledged_at,
        start,
        tz,
    );
    milestone(&mut out, "Mitigated", mitigated_at(timeline), start, tz);
    milestone(&mut out, "Resolved", incident.resolved_at, start, tz);
    let figure = |v: Option<i64>, open: &str| {
        v.map(|s| format!("{} ({s} s)", human_secs(s)))
            .unwrap_or_else(|| open.to_owned())
    };
    let tta = incident.acknowledged_at.map(|a| (a - start).num_seconds());
    let ttr = incident.resolved_at.map(|r| (r - start).num_seconds());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- Time to acknowledge (TTA): {}",
        figure(tta, "not acknowledged")
    );
    let _ = writeln!(
        out,
        "- Time to resolve (TTR): {}",
        figure(ttr, "still open")
    );
    if incident.resolved_at.is_none() {
        let _ = writeln!(
            out,
            "- Open for: {}",
            human_secs((now - start).num_seconds())
        );
    }
    let _ = writeln!(out, "\n### Events\n");
    if timeline.is_empty() {
        let _ = writeln!(out, "_No events recorded._\n");
    } else {
        let _ = writeln!(out, "| Time | Origin | Who | Event | Details |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for e in timeline {
            let origin = if e.origin == "opsdeck" {
                "opsdeck"
            } else {
                "pager"
            };
            let _ = writeln!(
                out,
                "| {} | {origin} | {} | {} | {} |",
                local(e.at, tz),
                cell(&e.who),
                cell(&e.kind),
                cell(&e.text)
            );
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Impact\n");
    let customers = if incident.customers.is_empty() {
        "none recorded".to_owned()
    } else {
        incident
            .customers
            .iter()
            .map(|c| cell(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let services = if incident.service.is_empty() {
        "—".to_owned()
    } else {
        cell(&incident.service)
    };
    let _ = writeln!(out, "- Services: {services}");
    let _ = writeln!(out, "- Customers: {customers}");
    let duration = match ttr {
        Some(s) => human_secs(s),
        None => format!("{} so far", human_secs((now - start).num_seconds())),
    };
    let _ = writeln!(out, "- Duration: {duration}\n");

    let _ = writeln!(out, "## Root cause\n");
    let _ = writeln!(out, "## Resolution\n");
    if let Some(text) = resolution.map(str::trim).filter(|t| !t.is_empty()) {
        let _ = writeln!(out, "{text}\n");
    }
    for heading in ["Prevention", "Action items"] {
        let _ = writeln!(out, "## {heading}\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(human_secs(0), "0s");
        assert_eq!(human_secs(240), "4m 0s");
        assert_eq!(human_secs(5175), "1h 26m 15s");
        assert_eq!(human_secs(90_000), "1d 1h 0m");
        assert_eq!(human_secs(-60), "-1m 0s");
    }

    #[test]
    fn table_cells_cannot_break_the_table() {
        assert_eq!(cell("a | b\nc"), "a \\| b<br>c");
        assert_eq!(cell("  "), "—");
    }
}
