//! The incidents tab shows the selected incident's rollback candidate without holding every
//! deployment in memory (issue #12): the store answers it with one indexed query per
//! selection. It must name the same deployment the in-memory index names (which the
//! deployments tab and `b` use), including ties on the start time, other environments,
//! failed deployments and an incident older than every deployment.

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::app::action::Action;
use opsdeck::app::msg::{Effect, Msg, Rows};
use opsdeck::app::rollback::RollbackIndex;
use opsdeck::app::state::State;
use opsdeck::config::Policy;
use opsdeck::domain::Tab;
use opsdeck::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

fn demo_with_awkward_deployments() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    opsdeck::demo::load(&mut store, now()).unwrap();
    let incidents = store.load_incidents(None).unwrap();
    let mut n = 0;
    for inc in &incidents {
        let at = inc.created_at.timestamp();
        // two successes at the same second before the incident (a tie), a later failure,
        // a staging deploy closer to the incident, and one after it
        for (env, status, offset) in [
            ("production", "success", -3_600),
            ("prod", "inactive", -3_600),
            ("production", "failure", -600),
            ("staging", "success", -60),
            ("production", "success", 60),
        ] {
            n += 1;
            store
                .conn()
                .execute(
                    "INSERT INTO deployments (source, external_id, service, environment, git_ref, sha, status, creator, created_at) \
                     VALUES ('gh', ?1, ?2, ?3, ?4, ?5, ?6, 'ci', ?7)",
                    rusqlite::params![
                        format!("T{n}"),
                        inc.service,
                        env,
                        format!("v{n}"),
                        format!("{n:040}"),
                        status,
                        at + offset
                    ],
                )
                .unwrap();
        }
    }
    store
}

#[test]
fn the_store_names_the_candidate_the_in_memory_index_names_for_every_incident() {
    let store = demo_with_awkward_deployments();
    let deployments = store.load_deployments(None).unwrap();
    let index = RollbackIndex::build(&deployments);
    let incidents = store.load_incidents(None).unwrap();
    assert!(incidents.len() >= 3);
    let mut found = 0;
    for inc in &incidents {
        let from_store = store.rollback_candidate(inc.id).unwrap().map(|d| d.id);
        let from_index = index
            .find(&deployments, &inc.service, inc.created_at)
            .map(|d| d.id);
        assert_eq!(from_store, from_index, "incident {}", inc.external_id);
        found += usize::from(from_store.is_some());
    }
    assert_eq!(
        found,
        incidents.len(),
        "every incident has a candidate here"
    );
    assert_eq!(
        store.rollback_candidate(-1).unwrap(),
        None,
        "no such incident"
    );
}

#[test]
fn the_incidents_tab_shows_the_candidate_and_b_selects_it_without_the_deployment_list() {
    let store = demo_with_awkward_deployments();
    let mut state = State::new(now(), chrono_tz::UTC, Policy::default());
    state.tab = Tab::Incidents;
    state.update(Msg::Loaded {
        rows: Rows::Incidents(
            store.load_incidents(None).unwrap(),
            store.load_alerts().unwrap(),
        ),
        complete: true,
    });
    assert!(
        !state.deployments.loaded,
        "the incidents tab loads no deployments"
    );
    let inc = state.incidents.selected_row().cloned().unwrap();
    let candidate = store.rollback_candidate(inc.id).unwrap().unwrap();
    state.update(Msg::RollbackCandidate(
        inc.id,
        Some(Box::new(candidate.clone())),
    ));
    assert_eq!(
        state.rollback_candidate(&inc).map(|d| d.id),
        Some(candidate.id)
    );

    let fx = state.update(Msg::Action(Action::RollbackCandidate));
    assert_eq!(state.tab, Tab::Deployments);
    assert!(fx.contains(&Effect::Reload(Tab::Deployments)), "{fx:?}");
    state.update(Msg::Loaded {
        rows: Rows::Deployments(store.load_deployments(None).unwrap()),
        complete: true,
    });
    assert_eq!(
        state.deployments.selected_row().map(|d| d.id),
        Some(candidate.id),
        "the candidate is selected once the deployments arrive"
    );
}
