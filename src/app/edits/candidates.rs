//! Which values a text prompt offers for completion: people seen on the loaded rows, the
//! labels on loaded bugs, services on incidents and deployments, incident keys, customer
//! owners, verticals and stages. Read from `&State` when a prompt opens; the filtering and
//! cycling is [`crate::app::completion::Completion`].
//!
//! The bugs, incidents, deployments and checklist lists hold only a window of rows, so their values also
//! come from the whole cache ([`crate::app::msg::Pools`], read by the store thread when such a
//! prompt first opens; the open prompt's candidates are refreshed when they arrive).

use std::collections::BTreeSet;

use crate::app::completion::Completion;
use crate::app::state::{PromptThen, State};
use crate::domain::{Stage, Tab};

/// People the cache knows for an assignee on `tab`: assignees on the loaded rows of that tab
/// (bug trackers and incident tools name people differently), owners on the checklist.
#[must_use]
pub fn people(state: &State, tab: Tab) -> BTreeSet<String> {
    let mut out = loaded_people(state, tab);
    if let Some(p) = &state.pools {
        match tab {
            Tab::Incidents => out.extend(p.incident_people.iter().cloned()),
            Tab::Checklist => out.extend(p.checklist_owners.iter().cloned()),
            _ => out.extend(p.bug_people.iter().cloned()),
        }
    }
    out
}

fn loaded_people(state: &State, tab: Tab) -> BTreeSet<String> {
    match tab {
        Tab::Incidents => state
            .incidents
            .rows
            .iter()
            .filter_map(|i| i.assignee.clone())
            .collect(),
        Tab::Checklist => state
            .checklist
            .rows
            .iter()
            .filter_map(|i| i.owner.clone())
            .collect(),
        _ => state
            .bugs
            .rows
            .iter()
            .filter_map(|b| b.assignee.clone())
            .collect(),
    }
}

/// Labels on the loaded bugs.
#[must_use]
pub fn labels(state: &State) -> BTreeSet<String> {
    let pooled = state.pools.iter().flat_map(|p| p.labels.iter().cloned());
    state
        .bugs
        .rows
        .iter()
        .flat_map(|b| b.labels.iter().cloned())
        .chain(pooled)
        .collect()
}

/// Services on the loaded incidents and deployments.
#[must_use]
pub fn services(state: &State) -> BTreeSet<String> {
    state
        .incidents
        .rows
        .iter()
        .map(|i| i.service.clone())
        .chain(state.deployments.rows.iter().map(|d| d.service.clone()))
        .chain(state.pools.iter().flat_map(|p| p.services.iter().cloned()))
        .collect()
}

/// Whether a prompt completes from values of the paged lists (then the whole cache's values
/// are read once).
#[must_use]
pub fn wants_pools(then: &PromptThen) -> bool {
    matches!(
        then,
        PromptThen::Assignee
            | PromptThen::AddLabel
            | PromptThen::RecordDeployment
            | PromptThen::LinkIncident
            | PromptThen::ItemOwner
    )
}

/// Rebuilds the open prompt's candidates (the cache's values arrived while it was open); what
/// was typed stays.
pub fn refresh_open_prompt(state: &mut State) {
    let then = match &state.overlay {
        Some(crate::app::state::Overlay::Prompt(crate::app::state::Prompt::Text {
            then, ..
        })) => then.clone(),
        _ => return,
    };
    if !wants_pools(&then) {
        return;
    }
    let fresh = for_prompt(state, &then);
    if let Some(crate::app::state::Overlay::Prompt(crate::app::state::Prompt::Text {
        completion,
        ..
    })) = &mut state.overlay
    {
        *completion = fresh;
    }
}

/// The completion a text prompt for `then` starts with (empty for free text).
#[must_use]
pub fn for_prompt(state: &State, then: &PromptThen) -> Completion {
    match then {
        PromptThen::Assignee => Completion::new(people(state, state.tab), false),
        PromptThen::ItemOwner => Completion::new(people(state, Tab::Checklist), false),
        PromptThen::AddLabel => Completion::new(labels(state), false),
        PromptThen::RecordDeployment => Completion::new(services(state), true),
        PromptThen::LinkIncident => Completion::new(
            state
                .incidents
                .rows
                .iter()
                .map(|i| i.external_id.clone())
                .chain(
                    state
                        .pools
                        .iter()
                        .flat_map(|p| p.incident_keys.iter().cloned()),
                )
                .collect(),
            false,
        ),
        PromptThen::CustomerValue(field) => {
            let values: BTreeSet<String> = match field.as_str() {
                "owner" => state
                    .customers
                    .rows
                    .iter()
                    .map(|c| c.owner.clone())
                    .collect(),
                "vertical" => state
                    .customers
                    .rows
                    .iter()
                    .map(|c| c.vertical.clone())
                    .collect(),
                "stage" => Stage::ALL.iter().map(ToString::to_string).collect(),
                _ => BTreeSet::new(),
            };
            Completion::new(values, false)
        }
        _ => Completion::default(),
    }
}
