//! Text prompts edit like a shell's (issue #15 point 2): every text prompt kind is driven
//! through `State::update` with the editing keys (type, Left×n, insert, Ctrl-A/E, Ctrl-W,
//! Alt-B/F, Ctrl-K, Ctrl-U, Home/Delete) and a bracketed paste, committed through the real
//! store as the runtime does, and the exact queued value is read back from the outbox. ↑ then
//! recalls that answer in the same kind of prompt. Completion, the unknown-user question,
//! reassign starting empty, and keys that must not reach the list are checked too.

mod ui_support;

use opsdeck::app::action::Action;
use opsdeck::app::keymap::{Key, KeyName, Keymap};
use opsdeck::app::msg::{Effect, InputKey as K, Msg};
use opsdeck::app::state::{Overlay, Prompt, State};
use opsdeck::domain::Tab;
use opsdeck::store::{Operation, Store};
use ui_support::{demo_store, now, show, state_from};

/// What [`edit_like_a_shell`] leaves in any prompt, whatever it started with.
const EDITED: &str = "Hello, world — «Zürich» said \"ok\"";

fn press(s: &mut State, keys: &[K]) {
    for k in keys {
        let fx = s.update(Msg::Input(*k));
        assert!(fx.is_empty(), "{k:?} while typing did {fx:?}");
    }
}

fn typ(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, &[K::Char(c)]);
    }
}

fn input_text(s: &State) -> String {
    match &s.overlay {
        Some(Overlay::Prompt(Prompt::Text { input, .. })) => input.text().to_string(),
        other => panic!("expected a text prompt, got {other:?}"),
    }
}

/// Every editing key, ending at [`EDITED`] (the prompt may start pre-filled: Ctrl-U clears).
fn edit_like_a_shell(s: &mut State) {
    press(s, &[K::Ctrl('u')]);
    typ(s, "wrld");
    press(s, &[K::Left, K::Left, K::Left]);
    typ(s, "o");
    assert_eq!(input_text(s), "world");
    press(s, &[K::Ctrl('a')]);
    typ(s, "hello ");
    press(s, &[K::Ctrl('e')]);
    typ(s, " extra junk");
    press(s, &[K::Ctrl('w'), K::Ctrl('w')]);
    assert_eq!(input_text(s), "hello world ");
    press(s, &[K::Alt('b'), K::Alt('b'), K::Alt('f')]);
    typ(s, ",");
    press(s, &[K::Alt('f'), K::Ctrl('k')]);
    assert_eq!(input_text(s), "hello, world");
    // A bracketed paste inserts at the cursor; its newline becomes a space (one-line input).
    assert!(s
        .update(Msg::Paste(" — «Zürich»\nsaid \"ok\"".into()))
        .is_empty());
    press(s, &[K::Home, K::Delete]);
    typ(s, "H");
    assert_eq!(input_text(s), EDITED);
}

/// Enter, and `y` on the confirmation it may open; the edits committed through the store
/// exactly as the runtime does; returns the operations the outbox queued.
fn submit(s: &mut State, store: &mut Store) -> Vec<Operation> {
    let mut fx = s.update(Msg::Input(K::Enter));
    // A follow-up choice (a declared incident's severity) takes its default; a question, yes.
    for _ in 0..3 {
        match s.overlay {
            Some(Overlay::Confirm { .. }) if fx.is_empty() => {
                fx = s.update(Msg::Input(K::Char('y')));
            }
            Some(Overlay::Prompt(Prompt::Choice { .. })) if fx.is_empty() => {
                fx = s.update(Msg::Input(K::Enter));
            }
            _ => break,
        }
    }
    commit(s, store, fx)
}

fn commit(s: &mut State, store: &mut Store, fx: Vec<Effect>) -> Vec<Operation> {
    let before = store.list_outbox(10_000).unwrap().len();
    for e in fx {
        let Effect::Commit(edits) = e else {
            panic!("expected only commits, got {e:?}");
        };
        for e in edits {
            store
                .commit_edit(e.entity, &e.op, now(), "me", &["github".to_owned()])
                .unwrap();
        }
    }
    let mut entries = store.list_outbox(10_000).unwrap();
    entries.sort_by_key(|e| e.seq);
    let added = entries.len() - before;
    let ops: Vec<Operation> = entries
        .into_iter()
        .rev()
        .take(added)
        .map(|e| e.op)
        .collect();
    ui_support::reload(s, store);
    ops.into_iter().rev().collect()
}

/// One free-text prompt kind: where it lives, how it opens, and where its text is queued.
struct Case {
    name: &'static str,
    tab: Tab,
    open: fn(&mut State),
    queued: fn(&Operation) -> Option<&str>,
}

fn act(s: &mut State, a: Action) {
    let fx = s.update(Msg::Action(a));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Commit(_))), "{fx:?}");
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "bug comment",
            tab: Tab::Bugs,
            open: |s| act(s, Action::Comment),
            queued: |op| match op {
                Operation::AddBugComment { body } => Some(body),
                _ => None,
            },
        },
        Case {
            name: "incident note",
            tab: Tab::Incidents,
            open: |s| act(s, Action::Note),
            queued: |op| match op {
                Operation::AddIncidentNote { body } => Some(body),
                _ => None,
            },
        },
        Case {
            name: "incident resolution",
            tab: Tab::Incidents,
            open: |s| act(s, Action::Resolve),
            queued: |op| match op {
                Operation::SetIncidentStatus { resolution, .. } => resolution.as_deref(),
                _ => None,
            },
        },
        Case {
            name: "silence comment",
            tab: Tab::Incidents,
            open: |s| {
                act(s, Action::Silence);
                press(s, &[K::Enter]); // the duration choice
            },
            queued: |op| match op {
                Operation::SilenceAlert { comment, .. } => Some(comment),
                _ => None,
            },
        },
        Case {
            name: "declare title",
            tab: Tab::Incidents,
            open: |s| act(s, Action::DeclareIncident),
            queued: |op| match op {
                Operation::DeclareIncident { title, .. } => Some(title),
                _ => None,
            },
        },
        Case {
            name: "rollback reason",
            tab: Tab::Deployments,
            open: |s| {
                let i = s
                    .deployments
                    .visible()
                    .position(|d| !d.rolled_back)
                    .unwrap();
                s.deployments.selected = i;
                act(s, Action::MarkRolledBack);
            },
            queued: |op| match op {
                Operation::MarkRolledBack { reason, .. } => Some(reason),
                _ => None,
            },
        },
        Case {
            name: "checklist item text",
            tab: Tab::Checklist,
            open: |s| act(s, Action::Edit),
            queued: |op| match op {
                Operation::SetItemText { new, .. } => Some(new),
                _ => None,
            },
        },
        Case {
            name: "checklist new item",
            tab: Tab::Checklist,
            open: |s| act(s, Action::AddBelow),
            queued: |op| match op {
                Operation::AddItem { text, .. } => Some(text),
                _ => None,
            },
        },
        Case {
            name: "checklist note",
            tab: Tab::Checklist,
            open: |s| act(s, Action::Note),
            queued: |op| match op {
                Operation::SetItemNote { new, .. } => new.as_deref(),
                _ => None,
            },
        },
        Case {
            name: "customer note",
            tab: Tab::Customers,
            open: |s| act(s, Action::Note),
            queued: |op| match op {
                Operation::AddCustomerNote { text, .. } => Some(text),
                _ => None,
            },
        },
    ]
}

/// For each free-text prompt kind: the editing keys and a paste, then the exact text in the
/// outbox; then ↑ in the same kind of prompt recalls it and ↓ returns to what was typed.
#[test]
fn every_free_text_prompt_edits_like_a_shell_and_queues_exactly_the_edited_text() {
    for case in cases() {
        let mut store = demo_store();
        let mut s = state_from(&store);
        show(&mut s, &store, case.tab);
        (case.open)(&mut s);
        edit_like_a_shell(&mut s);
        let ops = submit(&mut s, &mut store);
        let texts: Vec<&str> = ops.iter().filter_map(case.queued).collect();
        assert_eq!(texts, vec![EDITED], "{}: queued {ops:?}", case.name);

        // History: the same kind of prompt recalls the answer, newest first.
        if matches!(case.name, "incident resolution" | "rollback reason") {
            continue; // the row it acted on no longer offers the action
        }
        (case.open)(&mut s);
        press(&mut s, &[K::Ctrl('u')]); // the item text prompt starts with the text to edit
        typ(&mut s, "draft");
        press(&mut s, &[K::Up]);
        assert_eq!(input_text(&s), EDITED, "{}: ↑ recalls", case.name);
        press(&mut s, &[K::Up]);
        assert_eq!(input_text(&s), EDITED, "{}: only one answer", case.name);
        press(&mut s, &[K::Down]);
        assert_eq!(input_text(&s), "draft", "{}: ↓ returns", case.name);
        press(&mut s, &[K::Up, K::Ctrl('w')]);
        typ(&mut s, "\"ok\" again");
        let ops = submit(&mut s, &mut store);
        let texts: Vec<&str> = ops.iter().filter_map(case.queued).collect();
        let again = EDITED.replace("said \"ok\"", "said \"ok\" again");
        assert_eq!(texts, vec![again.as_str()], "{}: recalled", case.name);
    }
}

/// The review's page note is saved with the week, not queued: the effect carries the text.
#[test]
fn the_review_note_prompt_edits_like_a_shell_too() {
    let store = demo_store();
    let mut s = state_from(&store);
    s.overlay = Some(Overlay::Review { page: 0 });
    act(&mut s, Action::Note);
    edit_like_a_shell(&mut s);
    let fx = s.update(Msg::Input(K::Enter));
    match fx.as_slice() {
        [Effect::SaveReviewNote { text, .. }] => assert_eq!(text, EDITED),
        other => panic!("expected a saved note, got {other:?}"),
    }
}

fn bugs_state() -> (Store, State) {
    let store = demo_store();
    let mut s = state_from(&store);
    show(&mut s, &store, Tab::Bugs);
    (store, s)
}

fn known_assignees(s: &State) -> Vec<String> {
    let mut v: Vec<String> = s
        .bugs
        .rows
        .iter()
        .filter_map(|b| b.assignee.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Assign on a bug: the prompt starts empty with the current assignee as a hint; the people
/// the cache knows are offered, Tab puts the highlighted one in, and a known name queues with
/// no question.
#[test]
fn assign_completes_known_people_and_queues_a_known_name_directly() {
    let (mut store, mut s) = bugs_state();
    let people = known_assignees(&s);
    assert!(people.len() >= 2, "the demo has people: {people:?}");
    let target = s
        .bugs
        .visible()
        .position(|b| b.assignee.as_deref() != Some(people[1].as_str()))
        .unwrap();
    s.bugs.selected = target;
    let current = s.bugs.selected_row().unwrap().assignee.clone();
    act(&mut s, Action::Assign);
    match &s.overlay {
        Some(Overlay::Prompt(Prompt::Text {
            input,
            hint,
            completion,
            ..
        })) => {
            assert_eq!(input.text(), "", "reassign starts empty");
            assert_eq!(hint.clone(), current.map(|c| format!("current: {c}")));
            assert_eq!(
                completion.shown,
                people.iter().take(5).cloned().collect::<Vec<_>>()
            );
        }
        other => panic!("{other:?}"),
    }
    // Type a prefix with a typo, fix it with the editing keys, then Tab completes.
    let name = &people[1];
    let prefix: String = name.chars().take(2).collect();
    typ(&mut s, &format!("x{prefix}"));
    press(&mut s, &[K::Home, K::Delete, K::End, K::Tab]);
    assert_eq!(
        input_text(&s),
        *name,
        "tab takes the first match of {prefix:?}"
    );
    let ops = submit(&mut s, &mut store);
    assert!(
        matches!(ops.as_slice(), [Operation::SetBugAssignee { new: Some(n), .. }] if n == name),
        "{ops:?}"
    );
}

/// REGRESSION: issue #15 point 2. A typo that names nobody ("jtann") was queued straight to
/// the tracker; now it asks `Assign OPS-… to unknown user 'jtann'?` — `n` queues nothing,
/// `y` queues exactly that name.
#[test]
fn an_unknown_assignee_asks_first_and_no_queues_nothing() {
    let (mut store, mut s) = bugs_state();
    assert!(!known_assignees(&s).contains(&"jtann".to_string()));
    let key = s.bugs.selected_row().unwrap().key.clone();
    let before = store.list_outbox(10_000).unwrap().len();

    act(&mut s, Action::Assign);
    typ(&mut s, "jtann");
    assert!(s.update(Msg::Input(K::Enter)).is_empty());
    match &s.overlay {
        Some(Overlay::Confirm { message, .. }) => {
            assert_eq!(message, &format!("Assign {key} to unknown user 'jtann'?"));
        }
        other => panic!("expected the unknown-user question, got {other:?}"),
    }
    assert!(s.update(Msg::Input(K::Char('n'))).is_empty());
    assert!(s.overlay.is_none());
    assert_eq!(store.list_outbox(10_000).unwrap().len(), before);

    act(&mut s, Action::Assign);
    typ(&mut s, "jtann");
    assert!(s.update(Msg::Input(K::Enter)).is_empty());
    let fx = s.update(Msg::Input(K::Char('y')));
    let ops = commit(&mut s, &mut store, fx);
    assert!(
        matches!(ops.as_slice(), [Operation::SetBugAssignee { new: Some(n), .. }] if n == "jtann"),
        "{ops:?}"
    );
}

/// Reassigning an incident starts empty (the current assignee is a hint, not text to
/// backspace over); Enter on the empty prompt asks before it unassigns.
#[test]
fn reassign_starts_empty_and_an_empty_answer_asks_before_unassigning() {
    let mut store = demo_store();
    let mut s = state_from(&store);
    show(&mut s, &store, Tab::Incidents);
    let i = s
        .incidents
        .visible()
        .position(|i| i.assignee.is_some())
        .unwrap();
    s.incidents.selected = i;
    let inc = s.incidents.selected_row().unwrap().clone();
    act(&mut s, Action::Assign);
    match &s.overlay {
        Some(Overlay::Prompt(Prompt::Text { input, hint, .. })) => {
            assert_eq!(input.text(), "");
            assert_eq!(
                hint.as_deref(),
                Some(format!("current: {}", inc.assignee.clone().unwrap()).as_str())
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(s.update(Msg::Input(K::Enter)).is_empty());
    match &s.overlay {
        Some(Overlay::Confirm { message, .. }) => {
            assert_eq!(message, &format!("Unassign {}?", inc.external_id));
        }
        other => panic!("expected a question, got {other:?}"),
    }
    assert!(s.update(Msg::Input(K::Esc)).is_empty());

    // A known name typed with the editing keys queues directly.
    let other = s
        .incidents
        .rows
        .iter()
        .filter_map(|i| i.assignee.clone())
        .find(|a| Some(a) != inc.assignee.as_ref())
        .unwrap();
    act(&mut s, Action::Assign);
    typ(&mut s, &format!("{other} x"));
    press(&mut s, &[K::Ctrl('w'), K::Backspace]);
    let ops = submit(&mut s, &mut store);
    assert!(
        matches!(ops.as_slice(), [Operation::SetIncidentAssignee { old, new: Some(n) }]
            if *n == other && *old == inc.assignee),
        "{ops:?}"
    );
}

/// A label the bugs already use completes and queues; a new one asks first.
#[test]
fn labels_complete_from_the_cache_and_a_new_label_asks() {
    let (mut store, mut s) = bugs_state();
    let bug = s.bugs.selected_row().unwrap().clone();
    let mut labels: Vec<String> = s.bugs.rows.iter().flat_map(|b| b.labels.clone()).collect();
    labels.sort();
    labels.dedup();
    let missing = labels
        .iter()
        .find(|l| !bug.labels.contains(l))
        .unwrap()
        .clone();
    act(&mut s, Action::AddLabel);
    typ(&mut s, &missing);
    press(&mut s, &[K::Left, K::Left, K::Ctrl('k'), K::Tab]);
    // Tab takes the first match of what was left; cycle until the label wanted.
    for _ in 0..5 {
        if input_text(&s) == missing {
            break;
        }
        press(&mut s, &[K::Tab]);
    }
    assert_eq!(input_text(&s), missing);
    let fx = s.update(Msg::Input(K::Enter));
    let ops = commit(&mut s, &mut store, fx);
    assert_eq!(ops, vec![Operation::AddBugLabel { label: missing }]);

    act(&mut s, Action::AddLabel);
    typ(&mut s, "brand-new");
    assert!(s.update(Msg::Input(K::Enter)).is_empty());
    match &s.overlay {
        Some(Overlay::Confirm { message, .. }) => {
            assert_eq!(
                message,
                &format!("Add new label 'brand-new' to {}?", bug.key)
            );
        }
        other => panic!("{other:?}"),
    }
    let fx = s.update(Msg::Input(K::Char('y')));
    let ops = commit(&mut s, &mut store, fx);
    assert_eq!(
        ops,
        vec![Operation::AddBugLabel {
            label: "brand-new".into()
        }]
    );
}

/// The deployment prompts: the service completes as the first word and the rest is kept;
/// the incident key, the checklist owner and a customer field take the editing keys too.
#[test]
fn service_incident_key_owner_and_field_prompts_queue_the_edited_value() {
    let mut store = demo_store();
    let mut s = state_from(&store);
    show(&mut s, &store, Tab::Deployments);
    let service = s.deployments.rows[0].service.clone();
    act(&mut s, Action::RecordDeployment);
    let prefix: String = service.chars().take(3).collect();
    typ(&mut s, &prefix);
    press(&mut s, &[K::Tab]);
    for _ in 0..5 {
        if input_text(&s) == service {
            break;
        }
        press(&mut s, &[K::Tab]);
    }
    typ(&mut s, " production v2.3.1 junk");
    press(&mut s, &[K::Ctrl('w')]);
    let ops = submit(&mut s, &mut store);
    assert_eq!(
        ops,
        vec![Operation::RecordDeployment {
            service: service.clone(),
            environment: "production".into(),
            git_ref: "v2.3.1".into()
        }]
    );

    let key = s.incidents.rows[0].external_id.clone();
    act(&mut s, Action::LinkIncident);
    typ(&mut s, &key);
    press(&mut s, &[K::Ctrl('a')]);
    typ(&mut s, "see ");
    press(&mut s, &[K::Ctrl('a'), K::Alt('f'), K::Ctrl('u')]);
    let ops = submit(&mut s, &mut store);
    assert_eq!(ops, vec![Operation::LinkIncident { incident_key: key }]);

    show(&mut s, &store, Tab::Checklist);
    act(&mut s, Action::SetOwner);
    press(&mut s, &[K::Ctrl('u')]);
    typ(&mut s, "@mara");
    press(&mut s, &[K::Ctrl('a'), K::Right, K::Ctrl('k')]);
    typ(&mut s, "dana");
    let ops = submit(&mut s, &mut store);
    assert!(
        matches!(ops.as_slice(), [Operation::SetItemOwner { new: Some(n), .. }] if n == "dana"),
        "{ops:?}"
    );

    show(&mut s, &store, Tab::Customers);
    act(&mut s, Action::Edit);
    press(&mut s, &[K::Down, K::Enter]); // the "owner" field
    assert!(s.update(Msg::Paste("Ana\nMaría".into())).is_empty());
    press(&mut s, &[K::Alt('b'), K::Backspace]);
    typ(&mut s, " de ");
    let ops = submit(&mut s, &mut store);
    assert!(
        matches!(ops.as_slice(), [Operation::SetCustomerField { field, new: Some(n), .. }]
            if field == "owner" && n == "Ana de María"),
        "{ops:?}"
    );

    // A stage completes from the stages there are.
    act(&mut s, Action::Edit);
    press(&mut s, &[K::Enter]); // the "stage" field
    typ(&mut s, "LI");
    press(&mut s, &[K::Tab]);
    assert_eq!(input_text(&s), "live");
    let ops = submit(&mut s, &mut store);
    assert!(
        matches!(ops.as_slice(), [Operation::SetCustomerField { field, new: Some(n), .. }]
            if field == "stage" && n == "live"),
        "{ops:?}"
    );
}

/// Keys that mean something to the list (j, G, page down, F1, ctrl-d) go to the open prompt
/// or nowhere: the selection, the filter and the outbox stay as they were.
#[test]
fn stray_keys_in_an_open_prompt_never_reach_the_list() {
    let (store, mut s) = bugs_state();
    let mut keymap = Keymap::defaults();
    let before = store.list_outbox(10_000).unwrap().len();
    let selected = s.bugs.selected;
    act(&mut s, Action::Comment);
    let keys = [
        Key::ch('j'),
        Key::ch('G'),
        Key::ch('x'),
        Key {
            code: KeyName::PageDown,
            ctrl: false,
            alt: false,
        },
        Key {
            code: KeyName::F(1),
            ctrl: false,
            alt: false,
        },
        Key {
            code: KeyName::Char('d'),
            ctrl: true,
            alt: false,
        },
        Key {
            code: KeyName::Tab,
            ctrl: false,
            alt: false,
        },
    ];
    for k in keys {
        if let Some(msg) = opsdeck::app::key_to_msg(&mut s, &mut keymap, k) {
            assert!(s.update(msg).is_empty(), "{k:?}");
        }
    }
    assert_eq!(input_text(&s), "jGx");
    assert_eq!(s.bugs.selected, selected);
    assert_eq!(s.bugs.filter, "");
    assert_eq!(store.list_outbox(10_000).unwrap().len(), before);
}
