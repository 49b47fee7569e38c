//! Hostile text: terminal escapes, bidi overrides, zero-width characters, combining-mark floods,
//! invalid UTF-8 and a 1 MB string go through the ingest path (sanitizer, then the store's
//! upserts) into every text field of every tab; every tab and overlay is then drawn at sizes
//! from 1×1 to 300×100. No draw may panic and no cell may hold a control or format character.

mod ui_support;

use std::collections::BTreeMap;

use chrono::Duration;
use opsdeck::app::msg::Msg;
use opsdeck::app::state::{Overlay, Prompt, PromptThen};
use opsdeck::domain::{
    Alert, AlertState, Bug, BugStatus, ChecklistItem, ChurnRisk, Customer, DeployStatus,
    Deployment, Incident, IncidentEvent, IncidentStatus, Priority, Stage, Tab,
};
use opsdeck::sanitize::{self, is_format_control};
use opsdeck::store::{write, Store};
use ui_support::{load_detail, now, render, show, state_from};

/// The raw hostile inputs (before sanitizing).
fn corpus() -> Vec<String> {
    let mut v = vec![
        "clear\x1b[2Jscreen\x1b[H".to_string(),
        "osc52\x1b]52;c;aGVsbG8=\x07copied".to_string(),
        "link\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\".to_string(),
        "c1\u{9b}31mred\u{9d}0;title\u{9c}".to_string(),
        "nul\0bel\x07bs\x08del\x7fcr\rlf\ntab\t".to_string(),
        "bidi\u{202e}txt.exe\u{2066}iso\u{2069}".to_string(),
        "zw\u{200b}sp\u{200d}j\u{feff}bom\u{2060}".to_string(),
        format!("z{}", "\u{301}".repeat(100_000)),
        sanitize::line_bytes(b"bad\xff\xfe utf8 \xc3\x28"),
        "x".repeat(1_000_000),
        "\x1bP$q\x1b\\dcs \x1b[21t \x1b]50;?\x07".to_string(),
    ];
    v.push(v.concat().chars().take(5000).collect());
    v
}

fn line(s: &str) -> String {
    sanitize::line(s)
}

fn hostile_store(raw: &str) -> Store {
    let now = now();
    let mut store = Store::open_in_memory().unwrap();
    let l = line(raw);
    let t = sanitize::text(raw);
    store
        .write(|tx| {
            let c = Customer {
                id: 0,
                slug: l.clone(),
                name: l.clone(),
                stage: Stage::Live,
                vertical: l.clone(),
                acv_usd: 1000,
                owner: l.clone(),
                poc_start: None,
                signed_on: None,
                go_live: None,
                usage_days_per_week: Some(3.0),
                feature_adoption_pct: None,
                engagement: None,
                churn_risk: ChurnRisk::High,
                nps: vec![],
                tickets_per_week: 0.0,
                open_p0_p1_bugs: 0,
                open_incidents: 0,
                pending: false,
            };
            let cid = write::upsert_customer(tx, &c, "local")?;
            write::insert_nps(tx, cid, 3, now, &t)?;
            write::insert_customer_note(tx, cid, "feedback", now, &l, &t)?;
            write::insert_customer_note(tx, cid, "feature_request", now, &l, &t)?;
            let labels = vec![l.clone(), format!("customer:{l}")];
            let b = Bug {
                id: 0,
                source: l.clone(),
                external_id: l.clone(),
                key: l.clone(),
                title: l.clone(),
                body: t.clone(),
                priority: Priority::P0,
                status: BugStatus::Open,
                assignee: Some(l.clone()),
                customers: opsdeck::domain::bug::customers_from_labels(&labels),
                labels,
                created_at: now - Duration::days(3),
                updated_at: now,
                closed_at: None,
                url: Some(l.clone()),
                pending: false,
                conflict: false,
            };
            write::upsert_bug(tx, &b, now)?;
            let i = Incident {
                id: 0,
                source: l.clone(),
                external_id: l.clone(),
                number: 1,
                title: l.clone(),
                severity: Priority::P1,
                status: IncidentStatus::Triggered,
                service: l.clone(),
                assignee: Some(l.clone()),
                created_at: now - Duration::minutes(10),
                acknowledged_at: None,
                resolved_at: None,
                url: Some(l.clone()),
                customers: vec![l.clone()],
                pending: false,
                conflict: false,
            };
            let iid = write::upsert_incident(tx, &i, None, now)?;
            let e = IncidentEvent {
                at: now,
                kind: l.clone(),
                who: l.clone(),
                text: t.clone(),
                origin: "source".into(),
            };
            write::insert_incident_event(tx, iid, &e, Some("e1"))?;
            let map: BTreeMap<String, String> =
                [(l.clone(), l.clone()), ("summary".to_string(), t.clone())]
                    .into_iter()
                    .collect();
            let a = Alert {
                id: 0,
                source: l.clone(),
                fingerprint: l.clone(),
                name: l.clone(),
                severity: l.clone(),
                service: l.clone(),
                state: AlertState::Suppressed,
                labels: map.clone(),
                annotations: map,
                starts_at: now - Duration::minutes(5),
                silenced_by: vec![l.clone()],
                pending: false,
                silences: Vec::new(),
            };
            write::upsert_alert(tx, &a, None, None, now)?;
            let d = Deployment {
                id: 0,
                source: l.clone(),
                external_id: l.clone(),
                service: l.clone(),
                environment: "production".into(),
                git_ref: l.clone(),
                sha: l.clone(),
                status: DeployStatus::Success,
                creator: l.clone(),
                created_at: now - Duration::hours(1),
                finished_at: Some(now - Duration::minutes(50)),
                rollback_of: Some(l.clone()),
                rolled_back: true,
                url: Some(l.clone()),
                incident_keys: vec![l.clone()],
                commit_times: vec![now - Duration::hours(3)],
                pending: false,
            };
            write::upsert_deployment(tx, &d, now)?;
            let def = write::SloDef {
                name: &l,
                service: &l,
                objective: &l,
                window_days: 28,
                kind: "ratio",
                good_query: &t,
                total_query: &t,
                threshold_le: Some(&l),
            };
            let sid = write::upsert_slo(tx, &def)?;
            write::set_slo_window(tx, sid, "1h", 1.0, 10.0, now)?;
            write::set_slo_daily(tx, sid, now.date_naive(), 1.0, 10.0)?;
            write::set_slo_error(tx, sid, raw, now)?;
            let doc = write::upsert_checklist_doc(tx, &l, &l, "", now)?;
            let item = |checked| ChecklistItem {
                id: 0,
                doc_id: doc,
                ordinal: 0,
                section: l.clone(),
                group: l.clone(),
                text: l.clone(),
                checked,
                owner: Some(l.clone()),
                code: Some(l.clone()),
                depth: 0,
                occurrence: u32::from(checked),
                note: Some(t.clone()),
                gate: true,
                pending: false,
                conflict: false,
            };
            write::replace_checklist_items(tx, doc, &[item(false), item(true)], now)?;
            write::sync_attempt(tx, &l, &l, now)?;
            write::sync_failure(tx, &l, raw, Some(now + Duration::minutes(5)), now)?;
            Ok(())
        })
        .unwrap();
    store
}

const SIZES: [(u16, u16); 5] = [(80, 24), (160, 48), (20, 5), (1, 1), (300, 100)];

fn assert_clean(state: &opsdeck::app::state::State, what: &str) {
    for (w, h) in SIZES {
        let terminal = render(state, w, h);
        for (i, cell) in terminal.backend().buffer().content.iter().enumerate() {
            let bad = cell
                .symbol()
                .chars()
                .find(|c| c.is_control() || is_format_control(*c));
            assert!(
                bad.is_none(),
                "{what} at {w}x{h}: cell {i} holds {:?}",
                cell.symbol()
            );
        }
    }
}

#[test]
fn hostile_text_never_reaches_a_cell_as_a_control_or_format_character() {
    let corpus = corpus();
    for (n, raw) in corpus.iter().enumerate() {
        let store = hostile_store(raw);
        let mut state = state_from(&store);
        state.toast = Some(opsdeck::app::state::Toast {
            text: line(raw),
            error: true,
            at: now(),
        });
        state.pending_keys = "g".into();
        state.syncing.insert(line(raw));
        for tab in Tab::ALL {
            show(&mut state, &store, *tab);
            load_detail(&mut state, &store);
            state.alerts_focus = false;
            assert_clean(&state, &format!("corpus {n} tab {tab}"));
            if *tab == Tab::Incidents {
                state.alerts_focus = true;
                assert_clean(&state, &format!("corpus {n} alerts"));
                state.alerts_focus = false;
            }
        }
        state.update(Msg::Action(opsdeck::app::action::Action::FoldAll));
        assert_clean(&state, &format!("corpus {n} folded"));
        let entries = store.list_outbox(10).unwrap();
        let overlays = vec![
            Overlay::Help {
                scroll: 0,
                query: line(raw),
                searching: true,
            },
            Overlay::Detail { scroll: 0 },
            Overlay::Palette {
                query: line(raw),
                selected: 0,
            },
            Overlay::Prompt(Prompt::text(line(raw), PromptThen::Comment).with_text(&line(raw))),
            Overlay::Prompt(Prompt::Choice {
                title: line(raw),
                options: vec![line(raw), line(raw)],
                selected: 1,
                then: PromptThen::AddLabel,
            }),
            Overlay::Confirm {
                message: line(raw),
                edits: vec![],
            },
            Overlay::ConfirmDiscard(7),
            Overlay::Outbox {
                entries,
                selected: 0,
            },
            Overlay::Sources,
            Overlay::Review { page: 2 },
        ];
        for o in overlays {
            state.overlay = Some(o.clone());
            assert_clean(
                &state,
                &format!("corpus {n} overlay {o:?}")
                    .chars()
                    .take(80)
                    .collect::<String>(),
            );
        }
    }
}

#[test]
fn hostile_edits_in_the_outbox_render_clean() {
    let raw = corpus().concat();
    let mut store = hostile_store(&raw);
    let bug = store.load_bugs(None).unwrap().remove(0);
    let op = opsdeck::store::Operation::AddBugLabel { label: line(&raw) };
    let entity = opsdeck::domain::EntityRef {
        kind: opsdeck::domain::EntityKind::Bug,
        id: bug.id,
    };
    store
        .commit_edit(entity, &op, now(), "me", std::slice::from_ref(&bug.source))
        .unwrap();
    let seq = store.list_outbox(10).unwrap()[0].seq;
    store.mark_conflict(seq, now(), &line(&raw)).unwrap();
    let mut state = state_from(&store);
    show(&mut state, &store, Tab::Bugs);
    state.overlay = Some(Overlay::Outbox {
        entries: store.list_outbox(10).unwrap(),
        selected: 0,
    });
    assert_clean(&state, "outbox with a hostile conflict");
}
