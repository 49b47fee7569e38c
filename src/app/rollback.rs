//! The rollback candidate of an incident: the latest production deployment of its service that
//! started before the incident and succeeded (or was superseded), found by binary search.
//!
//! The incidents tab shows the candidate of the selected incident on every frame; scanning all
//! loaded deployments for it (20,000 in the benchmark cache) was a third of a `j`/`k` frame.
//! [`RollbackIndex`] is built once when the deployments load (`State::update` on
//! `Msg::Loaded`), so a frame does a hash lookup and a binary search.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::{DeployStatus, Deployment};

/// Candidate deployments per service, ordered by start time (ties keep the load order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackIndex {
    by_service: HashMap<String, Vec<(DateTime<Utc>, usize, i64)>>,
}

/// Whether `d` can be rolled back to.
fn eligible(d: &Deployment) -> bool {
    d.is_production() && matches!(d.status, DeployStatus::Success | DeployStatus::Inactive)
}

impl RollbackIndex {
    /// Indexes `rows` (positions refer to this slice).
    #[must_use]
    pub fn build(rows: &[Deployment]) -> Self {
        let mut by_service: HashMap<String, Vec<(DateTime<Utc>, usize, i64)>> = HashMap::new();
        for (pos, d) in rows.iter().enumerate().filter(|(_, d)| eligible(d)) {
            by_service
                .entry(d.service.clone())
                .or_default()
                .push((d.created_at, pos, d.id));
        }
        for list in by_service.values_mut() {
            // Stable: among equal start times the later-loaded row wins, as a scan with
            // `max_by_key` would pick it.
            list.sort_by_key(|(at, _, _)| *at);
        }
        Self { by_service }
    }

    /// The candidate among `rows` (the slice the index was built from) for an incident of
    /// `service` created at `before`; `None` when there is none.
    ///
    /// Falls back to a scan if `rows` is not the slice the index was built from (a row at an
    /// indexed position has another id), so a stale index can never name the wrong deployment.
    #[must_use]
    pub fn find<'a>(
        &self,
        rows: &'a [Deployment],
        service: &str,
        before: DateTime<Utc>,
    ) -> Option<&'a Deployment> {
        let list = self.by_service.get(service)?;
        let n = list.partition_point(|(at, _, _)| *at <= before);
        let (_, pos, id) = *list.get(n.checked_sub(1)?)?;
        match rows.get(pos) {
            Some(d) if d.id == id => Some(d),
            _ => scan(rows, service, before),
        }
    }
}

/// The reference definition, used when the index does not match the rows.
fn scan<'a>(
    rows: &'a [Deployment],
    service: &str,
    before: DateTime<Utc>,
) -> Option<&'a Deployment> {
    rows.iter()
        .filter(|d| d.service == service && d.created_at <= before && eligible(d))
        .max_by_key(|d| d.created_at)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn deploy(id: i64, service: &str, env: &str, minute: u32, status: DeployStatus) -> Deployment {
        Deployment {
            id,
            source: "gh".into(),
            external_id: id.to_string(),
            service: service.into(),
            environment: env.into(),
            git_ref: format!("v{id}"),
            sha: String::new(),
            status,
            creator: String::new(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 20, 14, minute, 0).unwrap(),
            finished_at: None,
            rollback_of: None,
            rolled_back: false,
            url: None,
            incident_keys: Vec::new(),
            commit_times: Vec::new(),
            pending: false,
        }
    }

    #[test]
    fn the_index_finds_exactly_what_a_scan_of_every_deployment_finds() {
        let rows = vec![
            deploy(1, "ingest", "production", 0, DeployStatus::Success),
            deploy(2, "ingest", "production", 10, DeployStatus::Failure),
            deploy(3, "ingest", "staging", 20, DeployStatus::Success),
            deploy(4, "ingest", "prod", 30, DeployStatus::Inactive),
            deploy(5, "checkout", "production", 5, DeployStatus::Success),
            deploy(6, "ingest", "production", 30, DeployStatus::Success),
            deploy(7, "ingest", "production", 50, DeployStatus::Success),
        ];
        let index = RollbackIndex::build(&rows);
        for service in ["ingest", "checkout", "search"] {
            for minute in 0..60 {
                let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, minute, 30).unwrap();
                assert_eq!(
                    index.find(&rows, service, at).map(|d| d.id),
                    scan(&rows, service, at).map(|d| d.id),
                    "{service} at 14:{minute:02}:30"
                );
            }
        }
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 45, 0).unwrap();
        assert_eq!(index.find(&rows, "ingest", at).map(|d| d.id), Some(6));
    }

    #[test]
    fn an_index_of_other_rows_never_names_the_wrong_deployment() {
        let old = vec![deploy(1, "ingest", "production", 0, DeployStatus::Success)];
        let index = RollbackIndex::build(&old);
        let new = vec![
            deploy(9, "ingest", "production", 0, DeployStatus::Success),
            deploy(8, "ingest", "production", 1, DeployStatus::Success),
        ];
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
        assert_eq!(index.find(&new, "ingest", at).map(|d| d.id), Some(8));
    }
}
