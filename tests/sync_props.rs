//! Property test of the engine's outbox / pull / rebase logic (ARCHITECTURE testing §6).
//!
//! Approach: wiremock per step would be far too slow for hundreds of random histories, so the
//! remote is `FakeTracker`, an in-process tracker implementing the engine's `Remote` trait with
//! GitHub's semantics: its pull converts issues through the real `github::Mapping::to_bug` and
//! commits them with the real `sync_meta::store_bug_if_changed` (which re-applies pending
//! edits); its push decides with the real `github::plan::plan` (the same function the HTTP
//! connector uses) and applies the planned incremental writes in memory. Everything else is
//! the real thing: `run_round` / `drain_outbox`, the on-disk `Store`, `commit_edit`, the outbox
//! states. Random histories mix local edits, remote edits, offline periods, answers lost after
//! the write landed, crashes while an entry is in flight, and restarts (reopening the store).
//!
//! After a final online sync: the outbox holds only `done` and `conflict` (plus edits queued
//! behind a conflict of the same item, which wait for the user's decision); no edit was applied
//! twice (comments: the marker exists exactly once); every `done` edit was applied or found at
//! its target; no write ever replaced a remote value other than the one the user saw; the
//! cache equals the remote; and during the run, pending edits stayed visible after each pull.

mod github_fake;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::clock::{Clock, SharedClock};
use opsdeck::domain::{BugStatus, EntityKind, EntityRef, Priority};
use opsdeck::store::{sync_meta, OpState, Operation, OutboxEntry, Store};
use opsdeck::sync::engine::{run_round, Remote};
use opsdeck::sync::github::plan::{comment_marker, plan, Plan, Write};
use opsdeck::sync::github::{IssueDto, Mapping, RemoteIssue};
use opsdeck::sync::{PullReport, PushOutcome, SyncError};
use proptest::prelude::*;

const SOURCE: &str = "gh";
const ISSUES: u64 = 3;

struct TestClock(AtomicI64);
impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.0.load(Ordering::SeqCst), 0).unwrap()
    }
}

#[derive(Debug, Clone, Default)]
struct FIssue {
    open: bool,
    state_reason: Option<String>,
    labels: Vec<String>,
    assignees: Vec<String>,
    comments: Vec<String>,
    updated_at: i64,
}

#[derive(Default)]
struct FakeTracker {
    issues: BTreeMap<u64, FIssue>,
    tick: i64,
    online: bool,
    lose_next_answer: bool,
    applied: HashMap<String, usize>,
    found_at_target: HashSet<String>,
    violations: Vec<String>,
    mapping: Option<Mapping>,
}

impl FakeTracker {
    fn mapping(&self) -> &Mapping {
        self.mapping.as_ref().unwrap()
    }

    fn bump(&mut self, n: u64) {
        self.tick += 1;
        self.issues.get_mut(&n).unwrap().updated_at = 1_800_000_000 + self.tick;
    }

    fn remote(i: &FIssue) -> RemoteIssue {
        RemoteIssue {
            open: i.open,
            state_reason: i.state_reason.clone(),
            labels: i.labels.clone(),
            assignees: i.assignees.clone(),
            updated_at: Some(i.updated_at),
        }
    }

    fn dto(n: u64, i: &FIssue) -> IssueDto {
        let v = serde_json::json!({
            "id": 9000 + n, "number": n, "title": format!("Issue {n}"),
            "state": if i.open { "open" } else { "closed" }, "state_reason": i.state_reason,
            "labels": i.labels, "assignees": i.assignees.iter().map(|l| serde_json::json!({"login": l})).collect::<Vec<_>>(),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": Utc.timestamp_opt(i.updated_at, 0).unwrap().to_rfc3339(),
        });
        serde_json::from_value(v).unwrap()
    }

    /// Records a violation if `op` is about to replace a remote value the user never saw.
    fn check_overwrite(&mut self, n: u64, op: &Operation) {
        let mapping = self.mapping().clone();
        let i = &self.issues[&n];
        let ok = match op {
            Operation::SetBugStatus { old, new, .. } => {
                let now = mapping.status_of(i.open, &i.labels);
                now == *old
                    || now == *new
                    || (*new == BugStatus::Closed
                        && now != BugStatus::Closed
                        && *old != BugStatus::Closed)
            }
            Operation::SetBugPriority { old, new } => {
                let now = mapping.priority_of(&i.labels);
                now == *old || now == *new
            }
            Operation::SetBugAssignee { old, new } => match old {
                Some(o) => {
                    i.assignees.contains(o) || new.as_ref().is_some_and(|x| i.assignees.contains(x))
                }
                None => {
                    i.assignees.is_empty() || new.as_ref().is_some_and(|x| i.assignees.contains(x))
                }
            },
            _ => true,
        };
        if !ok {
            let v = format!(
                "#{n}: {op:?} overwrote {:?}/{:?}/{:?}",
                i.open, i.labels, i.assignees
            );
            self.violations.push(v);
        }
    }

    fn apply(&mut self, n: u64, w: &Write) {
        let i = self.issues.get_mut(&n).unwrap();
        match w {
            Write::State { open, reason } => {
                i.open = *open;
                i.state_reason = reason.map(str::to_owned).or(if *open {
                    Some("reopened".into())
                } else {
                    None
                });
            }
            Write::AddLabel(l) => i.labels.push(l.clone()),
            Write::RemoveLabel(l) => i.labels.retain(|x| x != l),
            Write::AddAssignee(a) => i.assignees.push(a.clone()),
            Write::RemoveAssignee(a) => i.assignees.retain(|x| x != a),
            Write::Comment(b) => i.comments.push(b.clone()),
        }
        self.bump(n);
    }
}

impl Remote for FakeTracker {
    async fn pull(
        &mut self,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<PullReport, SyncError> {
        if !self.online {
            return Err(SyncError::Protocol {
                source_name: SOURCE.into(),
                message: "offline".into(),
            });
        }
        let bugs: Vec<_> = self
            .issues
            .iter()
            .filter_map(|(n, i)| self.mapping().to_bug(&Self::dto(*n, i), SOURCE, ""))
            .collect();
        store.write(|tx| {
            for b in &bugs {
                sync_meta::store_bug_if_changed(tx, b, now)?;
            }
            Ok(())
        })?;
        Ok(PullReport {
            fetched: bugs.len(),
            requests: 1,
            changed: vec![],
        })
    }

    async fn push(
        &mut self,
        store: &mut Store,
        entry: &OutboxEntry,
        now: DateTime<Utc>,
    ) -> Result<PushOutcome, SyncError> {
        if !self.online {
            // Like the connector: an attempt that wrote nothing is not an unknown outcome.
            let seq = entry.seq;
            store.write(|tx| sync_meta::forget_attempt(tx, seq))?;
            return Ok(PushOutcome::Retry {
                at: now,
                error: "offline".into(),
            });
        }
        let target = store.bug_remote(entry.entity)?.unwrap();
        let n: u64 = target.key.trim_start_matches('#').parse().unwrap();
        let observed = entry
            .observed_remote
            .as_deref()
            .and_then(|s| s.parse().ok());
        let remote = Self::remote(&self.issues[&n]);
        match plan(
            &entry.op,
            &entry.op_id,
            &remote,
            self.mapping(),
            observed,
            entry.attempts > 1,
        ) {
            Plan::Done => {
                self.found_at_target.insert(entry.op_id.clone());
                Ok(PushOutcome::Done)
            }
            Plan::Conflict(v) => Ok(PushOutcome::Conflict(v)),
            Plan::Failed(m) => Ok(PushOutcome::Failed(m)),
            Plan::Writes(writes) => {
                let marker = comment_marker(&entry.op_id);
                if entry.attempts > 1
                    && self.issues[&n].comments.iter().any(|c| c.contains(&marker))
                {
                    self.found_at_target.insert(entry.op_id.clone());
                    return Ok(PushOutcome::Done);
                }
                self.check_overwrite(n, &entry.op);
                for w in &writes {
                    self.apply(n, w);
                }
                *self.applied.entry(entry.op_id.clone()).or_default() += 1;
                if std::mem::take(&mut self.lose_next_answer) {
                    return Ok(PushOutcome::Retry {
                        at: now,
                        error: "answer lost".into(),
                    });
                }
                Ok(PushOutcome::Done)
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    LocalStatus(u64, u8),
    LocalPriority(u64, u8),
    LocalAssignee(u64, u8),
    LocalComment(u64),
    RemoteStatus(u64),
    RemotePriority(u64, u8),
    RemoteAssignee(u64, u8),
    Sync,
    PushOnly,
    Offline,
    Online,
    LoseNextAnswer,
    CrashInFlight,
    Restart,
}

fn step() -> impl Strategy<Value = Step> {
    let n = 1..=ISSUES;
    prop_oneof![
        (n.clone(), 0..3u8).prop_map(|(i, v)| Step::LocalStatus(i, v)),
        (n.clone(), 0..4u8).prop_map(|(i, v)| Step::LocalPriority(i, v)),
        (n.clone(), 0..3u8).prop_map(|(i, v)| Step::LocalAssignee(i, v)),
        n.clone().prop_map(Step::LocalComment),
        n.clone().prop_map(Step::RemoteStatus),
        (n.clone(), 0..4u8).prop_map(|(i, v)| Step::RemotePriority(i, v)),
        (n, 0..3u8).prop_map(|(i, v)| Step::RemoteAssignee(i, v)),
        Just(Step::Sync),
        Just(Step::Sync),
        Just(Step::PushOnly),
        Just(Step::Offline),
        Just(Step::Online),
        Just(Step::LoseNextAnswer),
        Just(Step::CrashInFlight),
        Just(Step::Restart),
    ]
}

const STATUSES: [BugStatus; 3] = [BugStatus::Open, BugStatus::InProgress, BugStatus::Closed];
const PEOPLE: [Option<&str>; 3] = [None, Some("ann"), Some("bob")];

fn cached(store: &Store, n: u64) -> opsdeck::domain::Bug {
    store
        .load_bugs(None)
        .unwrap()
        .into_iter()
        .find(|b| b.key == format!("#{n}"))
        .unwrap()
}

fn edit(store: &mut Store, clock: &SharedClock, n: u64, op: Operation) {
    let id = cached(store, n).id;
    store
        .commit_edit(
            EntityRef {
                kind: EntityKind::Bug,
                id,
            },
            &op,
            clock.now(),
            "me",
            &[SOURCE.into()],
        )
        .unwrap();
}

/// Pending edits stay visible after a pull: the row shows the newest pending target per field.
fn check_rebase(store: &Store) {
    let entries = store.list_outbox(1000).unwrap();
    for b in store.load_bugs(None).unwrap() {
        let mut mine: Vec<&OutboxEntry> = entries
            .iter()
            .filter(|e| {
                e.entity.id == b.id && matches!(e.state, OpState::Pending | OpState::Inflight)
            })
            .collect();
        mine.sort_by_key(|e| e.seq);
        if let Some(p) = mine.iter().rev().find_map(|e| match &e.op {
            Operation::SetBugPriority { new, .. } => Some(*new),
            _ => None,
        }) {
            assert_eq!(b.priority, p, "pending priority shown on {}", b.key);
        }
        if let Some(s) = mine.iter().rev().find_map(|e| match &e.op {
            Operation::SetBugStatus { new, .. } => Some(*new),
            _ => None,
        }) {
            assert_eq!(b.status, s, "pending status shown on {}", b.key);
        }
    }
}

fn run(steps: Vec<Step>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cache.db");
        let tc = Arc::new(TestClock(AtomicI64::new(1_800_000_000)));
        let clock: SharedClock = tc.clone();
        let mut fake = FakeTracker {
            online: true,
            mapping: Some(Mapping::new(&BTreeMap::new(), &BTreeMap::new())),
            ..Default::default()
        };
        for n in 1..=ISSUES {
            fake.issues.insert(
                n,
                FIssue {
                    open: true,
                    labels: vec!["P2".into()],
                    ..Default::default()
                },
            );
            fake.bump(n);
        }
        let open = |p: &Path| Store::open(p).unwrap();
        let mut store = open(&db);
        assert!(matches!(
            run_round(&mut fake, &mut store, SOURCE, &clock, true).await,
            opsdeck::sync::engine::RoundResult::Ok { .. }
        ));
        let mut comments: Vec<String> = Vec::new();
        for s in steps {
            tc.0.fetch_add(30, Ordering::SeqCst);
            match s {
                Step::LocalStatus(n, v) => {
                    let b = cached(&store, n);
                    let new = STATUSES[v as usize];
                    if new != b.status {
                        edit(
                            &mut store,
                            &clock,
                            n,
                            Operation::SetBugStatus {
                                old: b.status,
                                new,
                                reason: Some("completed".into()),
                            },
                        );
                    }
                }
                Step::LocalPriority(n, v) => {
                    let b = cached(&store, n);
                    let new = Priority::ALL[v as usize];
                    if new != b.priority {
                        edit(
                            &mut store,
                            &clock,
                            n,
                            Operation::SetBugPriority {
                                old: b.priority,
                                new,
                            },
                        );
                    }
                }
                Step::LocalAssignee(n, v) => {
                    let b = cached(&store, n);
                    let new = PEOPLE[v as usize].map(str::to_owned);
                    if new != b.assignee {
                        edit(
                            &mut store,
                            &clock,
                            n,
                            Operation::SetBugAssignee {
                                old: b.assignee.clone(),
                                new,
                            },
                        );
                    }
                }
                Step::LocalComment(n) => {
                    let body = format!("note {}", comments.len());
                    comments.push(body.clone());
                    edit(&mut store, &clock, n, Operation::AddBugComment { body });
                }
                Step::RemoteStatus(n) => {
                    let i = fake.issues.get_mut(&n).unwrap();
                    i.open = !i.open;
                    i.state_reason = Some(if i.open { "reopened" } else { "completed" }.into());
                    fake.bump(n);
                }
                Step::RemotePriority(n, v) => {
                    let i = fake.issues.get_mut(&n).unwrap();
                    i.labels.retain(|l| !l.starts_with('P'));
                    i.labels.push(Priority::ALL[v as usize].as_str().into());
                    fake.bump(n);
                }
                Step::RemoteAssignee(n, v) => {
                    fake.issues.get_mut(&n).unwrap().assignees =
                        PEOPLE[v as usize].map(str::to_owned).into_iter().collect();
                    fake.bump(n);
                }
                Step::Sync => {
                    let _ = run_round(&mut fake, &mut store, SOURCE, &clock, true).await;
                    if fake.online {
                        check_rebase(&store);
                    }
                }
                Step::PushOnly => {
                    let _ = run_round(&mut fake, &mut store, SOURCE, &clock, false).await;
                }
                Step::Offline => fake.online = false,
                Step::Online => fake.online = true,
                Step::LoseNextAnswer => fake.lose_next_answer = true,
                Step::CrashInFlight => {
                    if let Some(e) = store.next_to_push(SOURCE, clock.now()).unwrap() {
                        store.mark_inflight(e.seq, clock.now()).unwrap();
                    }
                    drop(store);
                    store = open(&db);
                }
                Step::Restart => {
                    drop(store);
                    store = open(&db);
                }
            }
        }
        fake.online = true;
        fake.lose_next_answer = false;
        for _ in 0..20 {
            tc.0.fetch_add(3600, Ordering::SeqCst);
            let _ = run_round(&mut fake, &mut store, SOURCE, &clock, true).await;
            if store.outbox_summary().unwrap().queued == 0 {
                break;
            }
        }
        let _ = run_round(&mut fake, &mut store, SOURCE, &clock, true).await;

        let entries = store.list_outbox(10_000).unwrap();
        for e in &entries {
            // FIFO per item: an edit queued behind a conflict of the same item waits for the
            // user's "keep mine / take theirs"; anything else must have settled.
            let behind_conflict = entries
                .iter()
                .any(|c| c.entity == e.entity && c.seq < e.seq && c.state == OpState::Conflict);
            let settled = matches!(e.state, OpState::Done | OpState::Conflict);
            assert!(
                settled || (e.state == OpState::Pending && behind_conflict),
                "{e:?} left in {:?}",
                e.state
            );
            let applied = fake.applied.get(&e.op_id).copied().unwrap_or(0);
            assert!(applied <= 1, "{e:?} applied {applied} times");
            if e.state == OpState::Done {
                assert!(
                    applied == 1 || fake.found_at_target.contains(&e.op_id),
                    "{e:?} done but never applied"
                );
            }
            if let Operation::AddBugComment { .. } = e.op {
                let marker = comment_marker(&e.op_id);
                let n = fake
                    .issues
                    .values()
                    .map(|i| i.comments.iter().filter(|c| c.contains(&marker)).count())
                    .sum::<usize>();
                let expected = usize::from(e.state == OpState::Done);
                assert_eq!(
                    n, expected,
                    "comment {} ({:?}) posted {n} times",
                    e.op_id, e.state
                );
            }
        }
        assert!(
            fake.violations.is_empty(),
            "remote values overwritten: {:?}",
            fake.violations
        );
        let mapping = fake.mapping().clone();
        for (n, i) in &fake.issues {
            let b = cached(&store, *n);
            if entries
                .iter()
                .any(|e| e.entity.id == b.id && e.state == OpState::Pending)
            {
                continue; // still shows the queued intent (checked by `check_rebase`)
            }
            assert_eq!(
                b.status,
                mapping.status_of(i.open, &i.labels),
                "#{n} status"
            );
            assert_eq!(b.priority, mapping.priority_of(&i.labels), "#{n} priority");
            assert_eq!(b.assignee, i.assignees.first().cloned(), "#{n} assignee");
        }
        store.check_integrity().unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn no_edit_is_lost_or_applied_twice_and_conflicts_are_never_overwritten(steps in prop::collection::vec(step(), 1..40)) {
        run(steps);
    }
}
