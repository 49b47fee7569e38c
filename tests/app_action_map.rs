//! The whole action map, as a table: every action the default keymap binds, in every context
//! it is bound in, × {cursor row, two marked rows, a filter hiding a marked row, an empty list,
//! read-only mode}. Each case drives `update` (and the prompt/confirm keys it opens), commits
//! through the real store (the runtime's path) and asserts the exact outbox entries (entity,
//! operation, values) and audit rows. A bound action without a row in `want` fails the test.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::app::action::Action;
use opsdeck::app::keymap::{Context, Keymap};
use opsdeck::app::msg::{Effect, InputKey, Msg, Rows};
use opsdeck::app::rows::RowView;
use opsdeck::app::state::{ListState, Overlay, Prompt, State};
use opsdeck::config::Policy;
use opsdeck::domain::{BugStatus, IncidentStatus, Priority, Tab};
use opsdeck::store::{Operation, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

/// Text typed into every text prompt (appended to any initial value).
const TYPED: &str = "trust \"q\" ü";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Cursor,
    TwoMarked,
    FilterHidesMarked,
    Empty,
    ReadOnly,
}

const SCENARIOS: [Scenario; 5] = [
    Scenario::Cursor,
    Scenario::TwoMarked,
    Scenario::FilterHidesMarked,
    Scenario::Empty,
    Scenario::ReadOnly,
];

/// Which list an action reads its targets from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Bugs,
    Incidents,
    Alerts,
    Checklist,
    Customers,
    Deployments,
}

/// What an action must do to the outbox.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// Nothing is queued (navigation, views, overlays, exports, undo with nothing to undo).
    NoEdit,
    /// One entry per target (marked rows, else the cursor row) that the operation applies to.
    Bulk(List, fn(&State, i64, &Operation) -> bool),
    /// One entry for the single target; nothing (and a message) when several rows are marked.
    Single(List, fn(&State, i64, &Operation) -> bool),
    /// One new row, whatever is selected.
    Create(fn(&Operation) -> bool),
}

fn bug(s: &State, id: i64) -> &opsdeck::domain::Bug {
    s.bugs.rows.iter().find(|b| b.id == id).unwrap()
}
fn inc(s: &State, id: i64) -> &opsdeck::domain::Incident {
    s.incidents.rows.iter().find(|b| b.id == id).unwrap()
}
fn item(s: &State, id: i64) -> &opsdeck::domain::ChecklistItem {
    s.checklist.rows.iter().find(|b| b.id == id).unwrap()
}
fn typed_onto(initial: &str) -> String {
    format!("{initial}{TYPED}").trim().to_string()
}

/// The table: every (context, action) the keymap binds has a row here.
#[allow(clippy::too_many_lines, reason = "the table is the point")]
fn want(ctx: Context, a: Action) -> Option<Want> {
    use Action as A;
    let tab = match ctx {
        Context::Tab(t, alerts) => Some((t, alerts)),
        _ => None,
    };
    let navigation = matches!(
        a,
        A::TabCustomers
            | A::TabBugs
            | A::TabIncidents
            | A::TabDeployments
            | A::TabSlos
            | A::TabChecklist
            | A::NextTab
            | A::PrevTab
            | A::SelectNext
            | A::SelectPrev
            | A::SelectFirst
            | A::SelectLast
            | A::HalfPageDown
            | A::HalfPageUp
            | A::ToggleDetail
            | A::OpenDetail
            | A::CycleSort
            | A::ToggleMark
            | A::ToggleAlerts
            | A::Help
            | A::Palette
            | A::Filter
            | A::Refresh
            | A::RefreshAll
            | A::Outbox
            | A::Sources
            | A::Review
            | A::Back
            | A::Quit
            | A::OpenUrl
            | A::CopyId
            | A::CopyUrl
            | A::Undo
            | A::RollbackCandidate
            | A::ExportTimeline
            | A::CycleDoraWindow
            | A::CycleWindow
            | A::Fold
            | A::FoldAll
            | A::OpenOnly
            | A::RetryEntry
            | A::DiscardEntry
            | A::KeepMine
            | A::TakeTheirs
            | A::ReviewNext
            | A::ReviewPrev
            | A::ReviewRefresh
    );
    if navigation {
        return Some(Want::NoEdit);
    }
    let Some((tab, alerts)) = tab else {
        // Outbox and review keys act on the outbox / the review, never queue an edit.
        return match a {
            A::Note => Some(Want::NoEdit), // a review note is saved with the week, not queued
            _ => None,
        };
    };
    Some(match (tab, alerts, a) {
        (Tab::Bugs, _, A::SetPriority) => Want::Bulk(List::Bugs, |s, id, op| {
            bug(s, id).priority != Priority::P0
                && *op
                    == Operation::SetBugPriority {
                        old: bug(s, id).priority,
                        new: Priority::P0,
                    }
        }),
        // Assign starts empty (the current assignee is only a hint): exactly what was typed.
        (Tab::Bugs, _, A::Assign) => Want::Bulk(List::Bugs, |s, id, op| {
            *op == Operation::SetBugAssignee {
                old: bug(s, id).assignee.clone(),
                new: Some(TYPED.trim().into()),
            }
        }),
        (Tab::Bugs, _, A::CloseBug) => Want::Bulk(List::Bugs, |s, id, op| {
            bug(s, id).status != BugStatus::Closed
                && *op
                    == Operation::SetBugStatus {
                        old: bug(s, id).status,
                        new: BugStatus::Closed,
                        reason: Some("completed".into()),
                    }
        }),
        (Tab::Bugs, _, A::ReopenBug) => Want::Bulk(List::Bugs, |s, id, op| {
            bug(s, id).status != BugStatus::Open
                && *op
                    == Operation::SetBugStatus {
                        old: bug(s, id).status,
                        new: BugStatus::Open,
                        reason: None,
                    }
        }),
        (Tab::Bugs, _, A::StartBug) => Want::Bulk(List::Bugs, |s, id, op| {
            bug(s, id).status != BugStatus::InProgress
                && *op
                    == Operation::SetBugStatus {
                        old: bug(s, id).status,
                        new: BugStatus::InProgress,
                        reason: None,
                    }
        }),
        (Tab::Bugs, _, A::AddLabel) => Want::Bulk(List::Bugs, |_, _, op| {
            *op == Operation::AddBugLabel {
                label: TYPED.trim().into(),
            }
        }),
        (Tab::Bugs, _, A::RemoveLabel) => Want::Bulk(List::Bugs, |s, id, op| {
            // The choice offers the targets' labels, sorted; enter takes the first.
            let first = targets_of(&s.bugs)
                .iter()
                .flat_map(|b| bug(s, *b).labels.clone())
                .collect::<BTreeSet<String>>()
                .into_iter()
                .next();
            first.is_some_and(|l| {
                bug(s, id).labels.contains(&l) && *op == Operation::RemoveBugLabel { label: l }
            })
        }),
        (Tab::Bugs, _, A::Comment) => Want::Bulk(List::Bugs, |_, _, op| {
            *op == Operation::AddBugComment {
                body: TYPED.trim().into(),
            }
        }),
        (Tab::Incidents, false, A::Acknowledge) => Want::Bulk(List::Incidents, |s, id, op| {
            inc(s, id).status == IncidentStatus::Triggered
                && *op
                    == Operation::SetIncidentStatus {
                        old: IncidentStatus::Triggered,
                        new: IncidentStatus::Acknowledged,
                        resolution: None,
                        at: now(),
                    }
        }),
        (Tab::Incidents, false, A::Resolve) => Want::Bulk(List::Incidents, |s, id, op| {
            inc(s, id).status != IncidentStatus::Resolved
                && *op
                    == Operation::SetIncidentStatus {
                        old: inc(s, id).status,
                        new: IncidentStatus::Resolved,
                        resolution: Some(TYPED.trim().into()),
                        at: now(),
                    }
        }),
        (Tab::Incidents, false, A::Assign) => Want::Bulk(List::Incidents, |s, id, op| {
            *op == Operation::SetIncidentAssignee {
                old: inc(s, id).assignee.clone(),
                new: Some(TYPED.trim().into()),
            }
        }),
        (Tab::Incidents, false, A::Note) => Want::Bulk(List::Incidents, |_, _, op| {
            *op == Operation::AddIncidentNote {
                body: TYPED.trim().into(),
            }
        }),
        // In the alerts section the incident actions do nothing.
        (Tab::Incidents, true, A::Acknowledge | A::Resolve | A::Assign | A::Note) => Want::NoEdit,
        (Tab::Incidents, _, A::DeclareIncident) => Want::Create(
            |op| matches!(op, Operation::DeclareIncident { title, severity: Priority::P1, .. } if title == TYPED.trim()),
        ),
        (Tab::Incidents, _, A::Silence) => Want::Single(List::Alerts, |s, id, op| {
            let a = s.alerts.rows.iter().find(|a| a.id == id).unwrap();
            let matchers: Vec<(String, String)> = a
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            *op == Operation::SilenceAlert {
                matchers,
                duration_secs: 3600,
                comment: TYPED.trim().into(),
                created_by: String::new(),
            }
        }),
        (Tab::Incidents, _, A::ExpireSilence) => Want::Single(List::Alerts, |s, id, op| {
            let a = s.alerts.rows.iter().find(|a| a.id == id).unwrap();
            a.silenced_by.first().is_some_and(|sid| {
                *op == Operation::ExpireSilence {
                    silence_id: sid.clone(),
                }
            })
        }),
        (Tab::Deployments, _, A::MarkRolledBack) => Want::Single(List::Deployments, |s, id, op| {
            let d = s.deployments.rows.iter().find(|d| d.id == id).unwrap();
            !d.rolled_back
                && *op
                    == Operation::MarkRolledBack {
                        reason: TYPED.trim().into(),
                        state: String::new(),
                    }
        }),
        (Tab::Deployments, _, A::LinkIncident) => Want::Single(List::Deployments, |_, _, op| {
            *op == Operation::LinkIncident {
                incident_key: TYPED.trim().into(),
            }
        }),
        (Tab::Deployments, _, A::RecordDeployment) => Want::Create(|op| {
            *op == Operation::RecordDeployment {
                service: "trust".into(),
                environment: "\"q\"".into(),
                git_ref: "ü".into(),
            }
        }),
        (Tab::Checklist, _, A::ToggleItem) => Want::Bulk(List::Checklist, |s, id, op| {
            let i = item(s, id);
            *op == Operation::SetItemChecked {
                old: i.checked,
                new: !i.checked,
            }
        }),
        (Tab::Checklist, _, A::Edit) => Want::Single(List::Checklist, |s, id, op| {
            let i = item(s, id);
            *op == Operation::SetItemText {
                old: i.text.clone(),
                new: typed_onto(&i.text),
            }
        }),
        (Tab::Checklist, _, A::SetOwner) => Want::Single(List::Checklist, |s, id, op| {
            let i = item(s, id);
            *op == Operation::SetItemOwner {
                old: i.owner.clone(),
                new: Some(typed_onto(i.owner.as_deref().unwrap_or(""))),
            }
        }),
        (Tab::Checklist, _, A::Note) => Want::Single(List::Checklist, |s, id, op| {
            let i = item(s, id);
            *op == Operation::SetItemNote {
                old: i.note.clone(),
                new: Some(typed_onto(i.note.as_deref().unwrap_or(""))),
            }
        }),
        (Tab::Checklist, _, A::AddBelow) => Want::Single(List::Checklist, |_, _, op| {
            *op == Operation::AddItem {
                text: TYPED.trim().into(),
                above: false,
            }
        }),
        (Tab::Checklist, _, A::AddAbove) => Want::Single(List::Checklist, |_, _, op| {
            *op == Operation::AddItem {
                text: TYPED.trim().into(),
                above: true,
            }
        }),
        (Tab::Checklist, _, A::DeleteItem) => Want::Single(List::Checklist, |s, id, op| {
            let i = item(s, id);
            *op == Operation::DeleteItem {
                text: i.text.clone(),
                checked: i.checked,
            }
        }),
        (Tab::Checklist, _, A::MoveDown) => Want::Single(List::Checklist, |_, _, op| {
            *op == Operation::MoveItem { down: true }
        }),
        (Tab::Checklist, _, A::MoveUp) => Want::Single(List::Checklist, |_, _, op| {
            *op == Operation::MoveItem { down: false }
        }),
        (Tab::Customers, _, A::RecordNps) => Want::Single(List::Customers, |_, _, op| {
            *op == Operation::RecordNps {
                score: 8,
                comment: String::new(),
            }
        }),
        (Tab::Customers, _, A::Note) => Want::Single(List::Customers, |_, _, op| {
            *op == Operation::AddCustomerNote {
                kind: opsdeck::domain::NoteKind::Feedback,
                text: TYPED.trim().into(),
            }
        }),
        (Tab::Customers, _, A::Edit) => Want::Single(List::Customers, |s, id, op| {
            let c = s.customers.rows.iter().find(|c| c.id == id).unwrap();
            *op == Operation::SetCustomerField {
                field: "stage".into(),
                old: Some(c.stage.to_string()),
                new: Some("live".into()),
            }
        }),
        (Tab::Customers, _, A::ChurnRisk) => Want::Single(List::Customers, |s, id, op| {
            let c = s.customers.rows.iter().find(|c| c.id == id).unwrap();
            matches!(op, Operation::SetChurnRisk { old, new } if *old == c.churn_risk && *new != c.churn_risk)
        }),
        _ => return None,
    })
}

fn targets_of<R: RowView>(l: &ListState<R>) -> Vec<i64> {
    if l.marked.is_empty() {
        l.selected_row()
            .map(|r| r.entity().id)
            .into_iter()
            .collect()
    } else {
        l.rows
            .iter()
            .map(|r| r.entity().id)
            .filter(|id| l.marked.contains(id))
            .collect()
    }
}

fn list_targets(s: &State, l: List) -> Vec<i64> {
    match l {
        List::Bugs => targets_of(&s.bugs),
        List::Incidents => targets_of(&s.incidents),
        List::Alerts => targets_of(&s.alerts),
        List::Checklist => targets_of(&s.checklist),
        List::Customers => targets_of(&s.customers),
        List::Deployments => targets_of(&s.deployments),
    }
}

fn rows_for(store: &Store, tab: Tab, empty: bool) -> Rows {
    match tab {
        Tab::Bugs if empty => Rows::Bugs(Vec::new()),
        Tab::Bugs => Rows::Bugs(store.load_bugs(None).unwrap()),
        Tab::Incidents if empty => Rows::Incidents(Vec::new(), Vec::new()),
        Tab::Incidents => Rows::Incidents(
            store.load_incidents(None).unwrap(),
            store.load_alerts().unwrap(),
        ),
        Tab::Checklist if empty => Rows::Checklist(Vec::new(), Vec::new()),
        Tab::Checklist => Rows::Checklist(
            store.checklist_docs().unwrap(),
            store.load_checklist().unwrap(),
        ),
        Tab::Customers if empty => Rows::Customers(Vec::new()),
        Tab::Customers => Rows::Customers(store.load_customers(now()).unwrap()),
        Tab::Deployments if empty => Rows::Deployments(Vec::new()),
        Tab::Deployments => Rows::Deployments(store.load_deployments(None).unwrap()),
        Tab::Slos if empty => Rows::Slos(Vec::new()),
        Tab::Slos => Rows::Slos(store.load_slos().unwrap()),
    }
}

/// Filters the focused list to exactly its second visible row (so the first, marked, hides).
fn filter_to_second<R: RowView>(l: &ListState<R>) -> Option<String> {
    let i = *l.view.get(1)?;
    let mut hay = String::new();
    l.rows[i].haystack_into(&mut hay);
    Some(hay)
}

fn setup(store: &Store, ctx: Context, scenario: Scenario) -> State {
    let mut s = State::new(now(), chrono_tz::UTC, Policy::default());
    let (tab, alerts) = match ctx {
        Context::Tab(t, a) => (t, a),
        _ => (Tab::Bugs, false),
    };
    s.tab = tab;
    s.update(Msg::Loaded {
        rows: rows_for(store, tab, scenario == Scenario::Empty),
        complete: true,
    });
    if alerts {
        s.update(Msg::Action(Action::ToggleAlerts));
    }
    let go = |s: &mut State, a| {
        s.update(Msg::Action(a));
    };
    match scenario {
        Scenario::Cursor | Scenario::ReadOnly => go(&mut s, Action::SelectNext),
        Scenario::TwoMarked | Scenario::FilterHidesMarked => {
            go(&mut s, Action::ToggleMark);
            go(&mut s, Action::ToggleMark);
        }
        Scenario::Empty => {}
    }
    if scenario == Scenario::FilterHidesMarked {
        let f = match (tab, alerts) {
            (Tab::Bugs, _) => filter_to_second(&s.bugs),
            (Tab::Incidents, false) => filter_to_second(&s.incidents),
            (Tab::Incidents, true) => filter_to_second(&s.alerts),
            (Tab::Checklist, _) => filter_to_second(&s.checklist),
            (Tab::Customers, _) => filter_to_second(&s.customers),
            (Tab::Deployments, _) => filter_to_second(&s.deployments),
            (Tab::Slos, _) => filter_to_second(&s.slos),
        };
        go(&mut s, Action::Filter);
        for c in f.unwrap_or_default().chars() {
            s.update(Msg::Input(InputKey::Char(c)));
        }
        s.update(Msg::Input(InputKey::Enter));
    }
    s.read_only = scenario == Scenario::ReadOnly;
    match ctx {
        Context::Outbox => go(&mut s, Action::Outbox),
        Context::Review => go(&mut s, Action::Review),
        Context::Tab(..) => {}
    }
    s
}

/// Answers whatever the action opened: types into text prompts, takes the default (or `0`)
/// in choices, says yes to confirmations; returns every effect.
fn drive(s: &mut State, a: Action) -> Vec<Effect> {
    let mut fx = s.update(Msg::Action(a));
    let mut typed = BTreeSet::new();
    for step in 0..8 {
        let input: Vec<InputKey> = match &s.overlay {
            Some(Overlay::Prompt(Prompt::Text { title, .. })) => {
                let text = if title.starts_with("record deployment") {
                    "trust \"q\" ü".to_string()
                } else if title.starts_with("new value for") {
                    "live".to_string()
                } else {
                    TYPED.to_string()
                };
                if !typed.insert((title.clone(), step)) {
                    break;
                }
                let mut keys: Vec<InputKey> = text.chars().map(InputKey::Char).collect();
                keys.push(InputKey::Enter);
                keys
            }
            Some(Overlay::Prompt(Prompt::Choice { title, .. })) => {
                if title.starts_with("priority") {
                    vec![InputKey::Char('0'), InputKey::Enter]
                } else {
                    vec![InputKey::Enter]
                }
            }
            Some(Overlay::Confirm { .. }) | Some(Overlay::ConfirmTwice { .. }) => {
                vec![InputKey::Char('y')]
            }
            _ => break,
        };
        for k in input {
            fx.extend(s.update(Msg::Input(k)));
        }
    }
    fx
}

fn audit_rows(store: &Store) -> Vec<(String, i64, String, String)> {
    let mut stmt = store
        .conn()
        .prepare("SELECT entity_kind, entity_id, actor, action FROM audit WHERE actor = 'tester' ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
#[allow(clippy::too_many_lines, reason = "one loop over the table")]
fn every_bound_action_queues_exactly_what_it_says_for_exactly_its_targets() {
    let keymap = Keymap::defaults();
    let mut contexts: Vec<Context> = Tab::ALL.iter().map(|t| Context::Tab(*t, false)).collect();
    contexts.push(Context::Tab(Tab::Incidents, true));
    contexts.push(Context::Outbox);
    contexts.push(Context::Review);

    let mut missing = Vec::new();
    let mut rows = 0usize;
    let mut queued_cases = 0usize;
    let mut covered: BTreeSet<Action> = BTreeSet::new();
    for ctx in contexts {
        let actions: BTreeSet<Action> = keymap
            .bindings(ctx)
            .into_iter()
            .map(|(_, _, a)| a)
            .collect();
        for a in actions {
            let Some(want) = want(ctx, a) else {
                missing.push(format!("{ctx:?} {a}"));
                continue;
            };
            covered.insert(a);
            for scenario in SCENARIOS {
                rows += 1;
                let mut store = Store::open_in_memory().unwrap();
                opsdeck::demo::load(&mut store, now()).unwrap();
                let mut s = setup(&store, ctx, scenario);
                let before = s.clone();
                let fx = drive(&mut s, a);
                let edits: Vec<_> = fx
                    .iter()
                    .filter_map(|e| match e {
                        Effect::Commit(e) => Some(e.clone()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                for e in &edits {
                    store
                        .commit_edit(e.entity, &e.op, now(), "tester", &[])
                        .unwrap();
                }
                let mut outbox: Vec<_> = store
                    .list_outbox(10_000)
                    .unwrap()
                    .into_iter()
                    .map(|e| (e.seq, e.entity, e.op))
                    .collect();
                outbox.sort_by_key(|(seq, ..)| *seq);
                let case = format!("{ctx:?} {a} {scenario:?}");
                // Audit: exactly one row per queued entry, by the actor, named by the op.
                let audit = audit_rows(&store);
                let expected_audit: Vec<(String, i64, String, String)> = outbox
                    .iter()
                    .map(|(_, e, op)| {
                        (
                            e.kind.as_str().to_string(),
                            e.id,
                            "tester".to_string(),
                            op.describe(),
                        )
                    })
                    .collect();
                assert_eq!(audit, expected_audit, "{case}: audit rows");
                let got: Vec<i64> = outbox.iter().map(|(_, e, _)| e.id).collect();
                if scenario == Scenario::ReadOnly {
                    assert!(
                        outbox.is_empty(),
                        "{case}: read-only queues nothing: {outbox:?}"
                    );
                    continue;
                }
                match want {
                    Want::NoEdit => assert!(outbox.is_empty(), "{case}: {outbox:?}"),
                    Want::Create(ok) => {
                        assert_eq!(outbox.len(), 1, "{case}: {outbox:?}");
                        assert!(ok(&outbox[0].2), "{case}: {:?}", outbox[0].2);
                    }
                    Want::Bulk(list, ok) | Want::Single(list, ok) => {
                        let targets = list_targets(&before, list);
                        let single = matches!(want, Want::Single(..));
                        let mut got_sorted = got.clone();
                        got_sorted.sort_unstable();
                        let want_ids: Vec<i64> = targets
                            .iter()
                            .copied()
                            .filter(|id| {
                                !(single && targets.len() > 1) && applicable(&before, a, *id)
                            })
                            .collect();
                        let mut want_sorted = want_ids.clone();
                        want_sorted.sort_unstable();
                        assert_eq!(
                            got_sorted, want_sorted,
                            "{case}: entities (targets {targets:?})"
                        );
                        for (_, e, op) in &outbox {
                            assert!(ok(&before, e.id, op), "{case}: value of {op:?}");
                        }
                        if single && targets.len() > 1 {
                            let t = s.toast.clone().map(|t| t.text).unwrap_or_default();
                            assert!(t.contains("one row at a time"), "{case}: says so: {t}");
                        }
                        if !outbox.is_empty() {
                            queued_cases += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "bound actions without a row in the table: {missing:?}"
    );
    println!(
        "action-map rows: {rows} ({} actions, {queued_cases} cases queue edits)",
        covered.len()
    );
    assert!(
        queued_cases > 30,
        "the table exercises real edits ({queued_cases})"
    );
}

/// Whether `a` can apply to row `id` at all (status already set, no silence, …).
fn applicable(s: &State, a: Action, id: i64) -> bool {
    match a {
        Action::SetPriority => bug(s, id).priority != Priority::P0,
        Action::CloseBug => bug(s, id).status != BugStatus::Closed,
        Action::ReopenBug => bug(s, id).status != BugStatus::Open,
        Action::StartBug => bug(s, id).status != BugStatus::InProgress,
        Action::RemoveLabel => {
            let first = targets_of(&s.bugs)
                .iter()
                .flat_map(|b| bug(s, *b).labels.clone())
                .collect::<BTreeSet<String>>()
                .into_iter()
                .next();
            first.is_some_and(|l| bug(s, id).labels.contains(&l))
        }
        Action::Acknowledge if s.tab == Tab::Incidents => {
            inc(s, id).status == IncidentStatus::Triggered
        }
        Action::Resolve if s.tab == Tab::Incidents => inc(s, id).status != IncidentStatus::Resolved,
        Action::ExpireSilence => s
            .alerts
            .rows
            .iter()
            .find(|a| a.id == id)
            .is_some_and(|a| !a.silenced_by.is_empty()),
        Action::MarkRolledBack => s
            .deployments
            .rows
            .iter()
            .find(|d| d.id == id)
            .is_some_and(|d| !d.rolled_back),
        _ => true,
    }
}
