//! Deciding what one outbox entry needs at GitHub, from the issue as it is *now* (pure).
//!
//! RELIABILITY §8.1: compare the remote with the target and with the value the user saw
//! (`old`). At the target → [`Plan::Done`] with no write. Moved away from `old` →
//! [`Plan::Conflict`] with the remote value, never overwritten. Otherwise the smallest set of
//! incremental writes (one label, one assignee: never the whole set). The in-process fake of
//! `tests/sync_props.rs` runs this same function, so the property test exercises the real rules.

use super::dto::{Mapping, RemoteIssue};
use crate::domain::{BugStatus, Priority};
use crate::store::Operation;

/// One incremental write to an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// `PATCH …/issues/{n}` `{"state": .., "state_reason": ..}`.
    State {
        /// `open` or `closed`.
        open: bool,
        /// `completed`, `not_planned` or `duplicate` when closing.
        reason: Option<&'static str>,
    },
    /// `POST …/labels` `{"labels": [..]}`.
    AddLabel(String),
    /// `DELETE …/labels/{name}`.
    RemoveLabel(String),
    /// `POST …/assignees` `{"assignees": [..]}`.
    AddAssignee(String),
    /// `DELETE …/assignees` `{"assignees": [..]}`.
    RemoveAssignee(String),
    /// `POST …/comments` `{"body": ..}` (the body carries the op's marker).
    Comment(String),
}

/// What to do with one outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The remote already holds the target: no write.
    Done,
    /// The remote moved away from what the user saw: keep this remote value for the user.
    Conflict(String),
    /// GitHub cannot express this edit.
    Failed(String),
    /// Send these writes, in order.
    Writes(Vec<Write>),
}

/// The hidden marker appended to comments so a retried comment is found instead of re-posted.
pub fn comment_marker(op_id: &str) -> String {
    format!("<!-- opsdeck:op:{op_id} -->")
}

/// GitHub's `state_reason` for a close reason chosen in the UI.
pub fn close_reason(reason: Option<&str>) -> &'static str {
    let r = reason.unwrap_or("").to_ascii_lowercase();
    if r.contains("duplicate") {
        "duplicate"
    } else if r.contains("not_planned") || r.contains("not planned") || r.contains("wontfix") {
        "not_planned"
    } else {
        "completed"
    }
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(item))
}

fn who(list: &[String]) -> String {
    if list.is_empty() {
        "nobody".to_owned()
    } else {
        list.join(", ")
    }
}

/// Plans `op` against `remote`; `observed` is the remote `updated_at` (unix s) the user saw.
///
/// `unknown_outcome`: an earlier attempt may have sent its write (crash or lost answer). Then
/// a remote that looks exactly as the user saw it *but changed since* is ambiguous (our write
/// may have landed and been reverted by someone): it becomes a conflict instead of a re-send.
/// Comments are exempt; the caller looks for their marker instead.
pub fn plan(
    op: &Operation,
    op_id: &str,
    remote: &RemoteIssue,
    mapping: &Mapping,
    observed: Option<i64>,
    unknown_outcome: bool,
) -> Plan {
    let planned = plan_fresh(op, op_id, remote, mapping, observed);
    let changed_since_seen = matches!((remote.updated_at, observed), (Some(r), Some(o)) if r > o);
    if matches!(planned, Plan::Writes(_))
        && unknown_outcome
        && changed_since_seen
        && looks_as_seen(op, remote, mapping)
    {
        return Plan::Conflict(current_value(op, remote, mapping));
    }
    planned
}

/// Whether the remote shows exactly the value the user saw (none of the edit is visible).
fn looks_as_seen(op: &Operation, remote: &RemoteIssue, mapping: &Mapping) -> bool {
    let list = &remote.assignees;
    match op {
        Operation::SetBugStatus { old, .. } => {
            mapping.status_of(remote.open, &remote.labels) == *old
        }
        Operation::SetBugPriority { old, .. } => {
            mapping.priority_of(&remote.labels) == *old
                && remote
                    .labels
                    .iter()
                    .filter_map(|l| mapping.label_priority(l))
                    .all(|p| p == *old)
        }
        Operation::SetBugAssignee { old, new } => match old {
            Some(o) => has(list, o) && new.as_deref().is_none_or(|x| !has(list, x)),
            None => list.is_empty(),
        },
        Operation::AddBugLabel { label } => !has(&remote.labels, label),
        Operation::RemoveBugLabel { label } => has(&remote.labels, label),
        _ => false,
    }
}

/// The remote's value of the field `op` edits, for the conflict view.
fn current_value(op: &Operation, remote: &RemoteIssue, mapping: &Mapping) -> String {
    match op {
        Operation::SetBugStatus { .. } => {
            mapping.status_of(remote.open, &remote.labels).to_string()
        }
        Operation::SetBugPriority { .. } => mapping.priority_of(&remote.labels).to_string(),
        Operation::SetBugAssignee { .. } => who(&remote.assignees),
        _ => remote.labels.join(", "),
    }
}

fn plan_fresh(
    op: &Operation,
    op_id: &str,
    remote: &RemoteIssue,
    mapping: &Mapping,
    observed: Option<i64>,
) -> Plan {
    match op {
        Operation::SetBugStatus { old, new, reason } => {
            plan_status(*old, *new, reason.as_deref(), remote, mapping, observed)
        }
        Operation::SetBugPriority { old, new } => plan_priority(*old, *new, remote, mapping),
        Operation::SetBugAssignee { old, new } => {
            plan_assignee(old.as_deref(), new.as_deref(), remote)
        }
        Operation::AddBugLabel { label } => {
            if has(&remote.labels, label) {
                Plan::Done
            } else {
                Plan::Writes(vec![Write::AddLabel(label.clone())])
            }
        }
        Operation::RemoveBugLabel { label } => {
            match remote.labels.iter().find(|l| l.eq_ignore_ascii_case(label)) {
                Some(actual) => Plan::Writes(vec![Write::RemoveLabel(actual.clone())]),
                None => Plan::Done,
            }
        }
        Operation::AddBugComment { body } => Plan::Writes(vec![Write::Comment(format!(
            "{body}\n\n{}",
            comment_marker(op_id)
        ))]),
        other => Plan::Failed(format!(
            "GitHub Issues cannot apply \"{}\"",
            other.describe()
        )),
    }
}

fn plan_status(
    old: BugStatus,
    new: BugStatus,
    reason: Option<&str>,
    remote: &RemoteIssue,
    mapping: &Mapping,
    observed: Option<i64>,
) -> Plan {
    let now = mapping.status_of(remote.open, &remote.labels);
    if now == new {
        return Plan::Done;
    }
    let open_ish = |s: BugStatus| s != BugStatus::Closed;
    // Closing does not care about the "in progress" label; everything else must match `old`.
    let as_seen = now == old || (new == BugStatus::Closed && open_ish(now) && open_ish(old));
    let reopened_since_seen = remote.state_reason.as_deref() == Some("reopened")
        && matches!((remote.updated_at, observed), (Some(r), Some(o)) if r > o);
    if !as_seen || (new == BugStatus::Closed && reopened_since_seen) {
        let label = if reopened_since_seen && now != BugStatus::Closed {
            format!("{now} (reopened on GitHub)")
        } else {
            now.to_string()
        };
        return Plan::Conflict(label);
    }
    let progress: Vec<Write> = remote
        .labels
        .iter()
        .filter(|l| mapping.is_in_progress_label(l))
        .map(|l| Write::RemoveLabel(l.clone()))
        .collect();
    let writes = match new {
        BugStatus::Closed => vec![Write::State {
            open: false,
            reason: Some(close_reason(reason)),
        }],
        BugStatus::Open if !remote.open => vec![Write::State {
            open: true,
            reason: None,
        }],
        BugStatus::Open => progress,
        BugStatus::InProgress => {
            let mut w = Vec::new();
            if !remote.open {
                w.push(Write::State {
                    open: true,
                    reason: None,
                });
            }
            w.push(Write::AddLabel(mapping.in_progress_label().to_owned()));
            w
        }
    };
    Plan::Writes(writes)
}

fn plan_priority(old: Priority, new: Priority, remote: &RemoteIssue, mapping: &Mapping) -> Plan {
    let tagged: Vec<(&String, Priority)> = remote
        .labels
        .iter()
        .filter_map(|l| Some((l, mapping.label_priority(l)?)))
        .collect();
    let now = mapping.priority_of(&remote.labels);
    if now == new && tagged.iter().all(|(_, p)| *p == new) {
        return Plan::Done;
    }
    // A half-applied earlier attempt leaves both the old and the new label: still "as seen".
    let as_seen = tagged.iter().all(|(_, p)| *p == old || *p == new) && (now == old || now == new);
    if !as_seen {
        return Plan::Conflict(now.to_string());
    }
    let mut writes = Vec::new();
    if !tagged.iter().any(|(_, p)| *p == new) {
        writes.push(Write::AddLabel(mapping.label_for(new, &remote.labels)));
    }
    writes.extend(
        tagged
            .iter()
            .filter(|(_, p)| *p != new)
            .map(|(l, _)| Write::RemoveLabel((*l).clone())),
    );
    Plan::Writes(writes)
}

fn plan_assignee(old: Option<&str>, new: Option<&str>, remote: &RemoteIssue) -> Plan {
    let list = &remote.assignees;
    let old_present = old.is_some_and(|o| has(list, o));
    let at_target = match new {
        Some(x) => has(list, x) && (!old_present || old.is_some_and(|o| o.eq_ignore_ascii_case(x))),
        None => list.is_empty(),
    };
    if at_target {
        return Plan::Done;
    }
    let as_seen = match old {
        Some(_) => old_present,
        None => list.is_empty() || new.is_some_and(|x| has(list, x)),
    };
    if !as_seen {
        return Plan::Conflict(who(list));
    }
    let mut writes = Vec::new();
    if let Some(x) = new.filter(|x| !has(list, x)) {
        writes.push(Write::AddAssignee(x.to_owned()));
    }
    if let Some(o) = old.filter(|o| old_present && new.is_none_or(|x| !x.eq_ignore_ascii_case(o))) {
        writes.push(Write::RemoveAssignee(o.to_owned()));
    }
    Plan::Writes(writes)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use rstest::rstest;

    fn remote(open: bool, labels: &[&str], assignees: &[&str]) -> RemoteIssue {
        RemoteIssue {
            open,
            state_reason: None,
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            assignees: assignees.iter().map(|s| (*s).to_owned()).collect(),
            updated_at: Some(100),
        }
    }

    fn run(op: Operation, r: &RemoteIssue) -> Plan {
        plan(
            &op,
            "op1",
            r,
            &Mapping::new(&BTreeMap::new(), &BTreeMap::new()),
            Some(100),
            false,
        )
    }

    #[test]
    fn after_an_unknown_outcome_a_remote_that_changed_back_is_a_conflict_not_a_resend() {
        let op = Operation::SetBugAssignee {
            old: None,
            new: Some("ann".into()),
        };
        let m = Mapping::new(&BTreeMap::new(), &BTreeMap::new());
        let mut r = remote(true, &[], &[]);
        assert!(
            matches!(plan(&op, "o", &r, &m, Some(100), true), Plan::Writes(_)),
            "unchanged: re-send"
        );
        r.updated_at = Some(150);
        assert_eq!(
            plan(&op, "o", &r, &m, Some(100), true),
            Plan::Conflict("nobody".into())
        );
        assert!(
            matches!(plan(&op, "o", &r, &m, Some(100), false), Plan::Writes(_)),
            "first attempt: send"
        );
    }

    fn close() -> Operation {
        Operation::SetBugStatus {
            old: BugStatus::Open,
            new: BugStatus::Closed,
            reason: Some("not_planned".into()),
        }
    }

    #[test]
    fn closing_an_already_closed_issue_needs_no_write() {
        assert_eq!(run(close(), &remote(false, &[], &[])), Plan::Done);
    }

    #[test]
    fn closing_an_open_issue_sends_the_reason() {
        assert_eq!(
            run(close(), &remote(true, &["in progress"], &[])),
            Plan::Writes(vec![Write::State {
                open: false,
                reason: Some("not_planned")
            }])
        );
    }

    #[test]
    fn closing_an_issue_reopened_after_the_user_saw_it_is_a_conflict() {
        let mut r = remote(true, &[], &[]);
        r.state_reason = Some("reopened".into());
        r.updated_at = Some(200);
        assert_eq!(
            run(close(), &r),
            Plan::Conflict("open (reopened on GitHub)".into())
        );
    }

    #[rstest]
    #[case::remote_still_as_seen(&["P3", "bug"], Plan::Writes(vec![Write::AddLabel("P1".into()), Write::RemoveLabel("P3".into())]))]
    #[case::remote_already_at_target(&["P1"], Plan::Done)]
    #[case::remote_moved_elsewhere(&["P0"], Plan::Conflict("P0".into()))]
    #[case::half_applied_earlier_attempt(&["P1", "P3"], Plan::Writes(vec![Write::RemoveLabel("P3".into())]))]
    fn set_priority(#[case] labels: &[&str], #[case] expected: Plan) {
        let op = Operation::SetBugPriority {
            old: Priority::P3,
            new: Priority::P1,
        };
        assert_eq!(run(op, &remote(true, labels, &[])), expected);
    }

    #[rstest]
    #[case::unassigned_to_ann(None, Some("ann"), &[], Plan::Writes(vec![Write::AddAssignee("ann".into())]))]
    #[case::bob_to_ann(Some("bob"), Some("ann"), &["bob"], Plan::Writes(vec![Write::AddAssignee("ann".into()), Write::RemoveAssignee("bob".into())]))]
    #[case::someone_else_took_it(Some("bob"), Some("ann"), &["cy"], Plan::Conflict("cy".into()))]
    #[case::already_ann(Some("bob"), Some("ann"), &["ann"], Plan::Done)]
    #[case::unassign(Some("bob"), None, &["bob"], Plan::Writes(vec![Write::RemoveAssignee("bob".into())]))]
    fn set_assignee(
        #[case] old: Option<&str>,
        #[case] new: Option<&str>,
        #[case] now: &[&str],
        #[case] expected: Plan,
    ) {
        let op = Operation::SetBugAssignee {
            old: old.map(Into::into),
            new: new.map(Into::into),
        };
        assert_eq!(run(op, &remote(true, &[], now)), expected);
    }
}
