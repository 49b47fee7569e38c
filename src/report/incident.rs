//! The Markdown incident report (`e` in the incidents tab).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::Policy;
use crate::store::{Result, Store, StoreError};

/// Renders the report for one incident.
///
/// # Errors
/// [`StoreError::NotFound`] for an unknown incident; SQLite errors.
pub fn markdown(
    store: &Store,
    incident_id: i64,
    _policy: &Policy,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<String> {
    let incident = store
        .load_incidents(None)?
        .into_iter()
        .find(|i| i.id == incident_id)
        .ok_or_else(|| StoreError::NotFound(format!("incident {incident_id}")))?;
    let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let mut out = format!("# {} — {}\n\n", incident.external_id, incident.title);
    out.push_str(&format!(
        "_Exported by opsdeck at {}_\n\n## Summary\n\n\n## Severity\n\n{}\n\n## Timeline\n\n",
        fmt(now),
        incident.severity
    ));
    out.push_str(&format!("- Detected: {}\n", fmt(incident.created_at)));
    out.push_str(&format!(
        "- Acknowledged: {}\n",
        incident.acknowledged_at.map_or_else(|| "—".into(), fmt)
    ));
    out.push_str("- Mitigated: \n");
    out.push_str(&format!(
        "- Resolved: {}\n\n",
        incident.resolved_at.map_or_else(|| "—".into(), fmt)
    ));
    for e in store.incident_timeline(incident_id)? {
        out.push_str(&format!(
            "- {} · {} · {} {}\n",
            fmt(e.at),
            e.who,
            e.kind,
            e.text
        ));
    }
    out.push_str(&format!(
        "\n## Impact\n\n- Services: {}\n- Customers: {}\n\n## Root cause\n\n\n## Resolution\n\n\n## Prevention\n\n\n## Action items\n\n",
        incident.service,
        incident.customers.join(", ")
    ));
    Ok(out)
}
