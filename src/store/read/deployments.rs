//! Deployment rows: the deployments tab's list (newest first, with linked incidents) and the
//! one-row query for an incident's rollback candidate.

use rusqlite::Row;

use super::{flags, load_list, parse_at, text_at, text_not_null};
use crate::domain::Deployment;
use crate::store::{from_opt_ts, from_ts, json_list, Result, Store};

/// The columns [`deployment_from`] reads, for a deployments table aliased `t`.
pub(super) fn deployment_columns() -> String {
    format!(
        "t.id, t.source, t.external_id, t.service, t.environment, t.git_ref, t.sha, t.status, t.creator, \
         t.created_at, t.finished_at, t.rollback_of, t.rolled_back, t.url, t.commit_times, \
         (SELECT json_group_array(incident_key) FROM deployment_incidents d WHERE d.deployment_id = t.id), {}",
        flags("deployment")
    )
}

pub(super) fn deployment_from(r: &Row<'_>) -> rusqlite::Result<Deployment> {
    let commit_times: Vec<i64> = serde_json::from_str(text_not_null(r, 14)?).unwrap_or_default();
    Ok(Deployment {
        id: r.get(0)?,
        source: r.get(1)?,
        external_id: r.get(2)?,
        service: r.get(3)?,
        environment: r.get(4)?,
        git_ref: r.get(5)?,
        sha: r.get(6)?,
        status: parse_at(r, 7, crate::domain::DeployStatus::Pending)?,
        creator: r.get(8)?,
        created_at: from_ts(r.get(9)?),
        finished_at: from_opt_ts(r.get(10)?),
        rollback_of: r.get(11)?,
        rolled_back: r.get(12)?,
        url: r.get(13)?,
        incident_keys: text_at(r, 15)?.map(json_list).unwrap_or_default(),
        commit_times: commit_times.into_iter().map(from_ts).collect(),
        pending: r.get(16)?,
    })
}

impl Store {
    /// Deployments, newest first, with their linked incidents.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn load_deployments(&self, limit: Option<u32>) -> Result<Vec<Deployment>> {
        let (columns, order) = (deployment_columns(), "t.created_at DESC, t.id DESC");
        load_list(
            self.conn(),
            &columns,
            "deployments",
            order,
            limit,
            deployment_from,
        )
    }

    /// The rollback candidate of incident `incident_id`: the latest production deployment of
    /// its service that started no later than the incident and succeeded (or was superseded).
    /// One indexed query per selected incident, so the incidents tab never loads every
    /// deployment to show it (issue #12). Same choice as [`crate::app::rollback`]'s index: among
    /// equal start times the lower row id.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn rollback_candidate(&self, incident_id: i64) -> Result<Option<Deployment>> {
        let sql = format!(
            "SELECT {} FROM incidents i JOIN deployments t ON t.service = i.service \
             WHERE i.id = ?1 AND lower(t.environment) IN ('production', 'prod') \
             AND t.status IN ('success', 'inactive') AND t.created_at <= i.created_at \
             ORDER BY t.created_at DESC, t.id ASC LIMIT 1",
            deployment_columns()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query_map([incident_id], deployment_from)?;
        Ok(rows.next().transpose()?)
    }
}
