//! What the incidents and deployments tabs derive from "every row" stays right when their
//! lists hold only a window (issue #12): the incidents tab's team figures and the deployments
//! tab's DORA panel are computed by the store thread from the rows they need, and equal what
//! the full lists gave. Real store, `State::update` and the store thread's code run inline.

mod window_support;

use chrono::Duration;
use opsdeck::app::action::Action;
use opsdeck::app::msg::{Effect, Msg};
use opsdeck::app::runtime::Inline;
use opsdeck::app::state::{IncidentFigures, State, DORA_WINDOWS};
use opsdeck::domain::{DeployStatus, Deployment, Incident, IncidentStatus, Priority, Tab};
use opsdeck::store::read::window::WINDOW_ROWS;
use opsdeck::store::{write, Store};
use window_support::{now, App};

const ROWS: usize = 1_500;

/// 1,500 incidents over ~100 days (some open, some acknowledged only) and 1,500 deployments
/// over ~120 days, some linked to incidents, some failed, some rollbacks.
fn store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(&dir.join("cache.sqlite3")).unwrap();
    let now = now();
    let services = ["checkout", "payments", "ingest"];
    store
        .write(|tx| {
            for i in 0..ROWS {
                let n = i64::try_from(i).unwrap();
                let created = now - Duration::minutes(n * 97);
                let open = i % 50 == 0;
                let inc = Incident {
                    id: 0,
                    source: "pagerduty".into(),
                    external_id: format!("P{i:05}"),
                    number: n,
                    title: format!("incident {i}"),
                    severity: Priority::ALL[i % 4],
                    status: if open {
                        IncidentStatus::Triggered
                    } else {
                        IncidentStatus::Resolved
                    },
                    service: services[i % 3].into(),
                    assignee: None,
                    created_at: created,
                    acknowledged_at: (i % 3 != 0).then(|| created + Duration::minutes(n % 17)),
                    resolved_at: (!open).then(|| created + Duration::minutes(30 + n % 200)),
                    url: None,
                    customers: Vec::new(),
                    pending: false,
                    conflict: false,
                };
                write::upsert_incident(tx, &inc, None, now)?;
                let created = now - Duration::minutes(n * 113);
                let d = Deployment {
                    id: 0,
                    source: "deploys".into(),
                    external_id: format!("{i}"),
                    service: services[i % 3].into(),
                    environment: if i % 4 == 0 { "staging" } else { "production" }.into(),
                    git_ref: format!("v1.{i}"),
                    sha: format!("{:040x}", i * 7919),
                    status: if i % 9 == 0 {
                        DeployStatus::Failure
                    } else {
                        DeployStatus::Success
                    },
                    creator: "ci".into(),
                    created_at: created,
                    finished_at: Some(created + Duration::minutes(6)),
                    rollback_of: (i % 37 == 0).then(|| format!("{}", i + 1)),
                    rolled_back: false,
                    url: None,
                    incident_keys: if i % 11 == 0 {
                        vec![format!("P{:05}", i / 2)]
                    } else {
                        Vec::new()
                    },
                    commit_times: vec![created - Duration::hours(n % 30)],
                    pending: false,
                };
                write::upsert_deployment(tx, &d, now)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

fn drive(dir: &std::path::Path, tab: Tab) -> (State, Inline) {
    drive_with(dir, tab, opsdeck::config::Policy::default())
}

fn drive_with(dir: &std::path::Path, tab: Tab, policy: opsdeck::config::Policy) -> (State, Inline) {
    let mut app = App::idle_with(store(dir), dir, Vec::new(), Vec::new(), policy);
    let mut fx = app.state.update(Msg::Action(match tab {
        Tab::Deployments => Action::TabDeployments,
        _ => Action::TabIncidents,
    }));
    fx.push(Effect::Reload(tab));
    app.run(fx);
    (app.state, app.exec)
}

#[test]
fn the_incidents_team_figures_equal_those_of_the_full_list() {
    let dir = tempfile::tempdir().unwrap();
    let (state, exec) = drive(dir.path(), Tab::Incidents);
    assert!(state.incidents.windowed && !state.incidents.complete);
    assert!(state.incidents.rows.len() <= WINDOW_ROWS);
    let all = exec.store().load_incidents(None).unwrap();
    assert_eq!(all.len(), ROWS);
    let want = IncidentFigures::compute(&all, now());
    assert_eq!(state.incident_figures, Some(want));
}

#[test]
fn the_dora_panel_equals_the_full_lists_for_every_window() {
    let dir = tempfile::tempdir().unwrap();
    let (state, exec) = drive(dir.path(), Tab::Deployments);
    assert!(state.deployments.windowed && !state.deployments.complete);
    assert!(state.deployments.rows.len() <= WINDOW_ROWS);
    let deployments = exec.store().load_deployments(None).unwrap();
    let incidents = exec.store().load_incidents(None).unwrap();
    let all = opsdeck::app::dora_panel::compute_all(&deployments, &incidents, now(), false);
    for days in DORA_WINDOWS {
        let want = all.iter().find(|f| f.days == *days).unwrap();
        assert!(want
            .report
            .is_some_and(|r| r.deployment_frequency.deployments > 0));
        assert_eq!(&state.dora_figures(*days), want, "{days} days");
    }
    // The rows behind them are gone once computed: only the window stays in memory.
    assert!(state.deployments.rows.len() <= WINDOW_ROWS);
}

/// REGRESSION: with `guess_links` the store thread read only the deployments of the longest
/// window, so an incident linked by an older deployment looked unlinked and was guessed onto
/// one inside the window: 740 failed deployments over 90 days where the full lists give 731.
#[test]
fn the_dora_panel_with_guessed_links_equals_the_full_lists() {
    let dir = tempfile::tempdir().unwrap();
    let mut policy = opsdeck::config::Policy::default();
    policy.dora.guess_links = true;
    let (state, exec) = drive_with(dir.path(), Tab::Deployments, policy);
    assert!(state.deployments.windowed && !state.deployments.complete);
    let deployments = exec.store().load_deployments(None).unwrap();
    let incidents = exec.store().load_incidents(None).unwrap();
    let all = opsdeck::app::dora_panel::compute_all(&deployments, &incidents, now(), true);
    let unguessed = opsdeck::app::dora_panel::compute_all(&deployments, &incidents, now(), false);
    assert_ne!(all, unguessed, "the data makes the guess matter");
    for days in DORA_WINDOWS {
        let want = all.iter().find(|f| f.days == *days).unwrap();
        assert_eq!(&state.dora_figures(*days), want, "{days} days");
    }
}
