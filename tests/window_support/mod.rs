//! Shared harness of the windowed-list tests (`list_window`, `list_window_derived`,
//! `checklist_window`): the fixed clock, and the app driven through `State::update` with the
//! store thread's own code run inline (`runtime::Inline`), feeding every message back until
//! quiet — so each key is followed by exactly the queries the app would make, with no timing.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::VecDeque;

use chrono::{DateTime, TimeZone, Utc};
use opsdeck::app::action::Action;
use opsdeck::app::msg::{Effect, InputKey, Msg};
use opsdeck::app::runtime::{Inline, RuntimeConfig};
use opsdeck::app::state::State;
use opsdeck::config::Policy;
use opsdeck::domain::Tab;
use opsdeck::store::Store;

/// The tests' fixed "now".
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
}

/// The app over a real store, on a 120×40 screen.
pub struct App {
    pub state: State,
    pub exec: Inline,
    rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    /// Window requests held back instead of run (to deliver out of order).
    pub held: Vec<Effect>,
    pub hold: bool,
}

impl App {
    /// The app over `store` before any key: no tab loaded yet.
    pub fn idle(
        store: Store,
        dir: &std::path::Path,
        remote_sources: Vec<String>,
        checklist_gates: Vec<String>,
    ) -> App {
        App::idle_with(
            store,
            dir,
            remote_sources,
            checklist_gates,
            Policy::default(),
        )
    }

    /// [`App::idle`] under `policy` (both the screen's and the store thread's).
    pub fn idle_with(
        store: Store,
        dir: &std::path::Path,
        remote_sources: Vec<String>,
        checklist_gates: Vec<String>,
        policy: Policy,
    ) -> App {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let exec = Inline::new(
            store,
            RuntimeConfig {
                actor: "me".into(),
                remote_sources,
                reports_dir: dir.join("reports"),
                policy: policy.clone(),
                tz: chrono_tz::UTC,
                redact: false,
                checklist_gates,
            },
            std::sync::Arc::new(opsdeck::clock::FixedClock(now())),
            tx,
        );
        let mut state = State::new(now(), chrono_tz::UTC, policy);
        state.size = (120, 40);
        App {
            state,
            exec,
            rx,
            held: Vec::new(),
            hold: false,
        }
    }

    /// The app showing `tab`, its first window loaded.
    pub fn open(
        store: Store,
        dir: &std::path::Path,
        remote_sources: Vec<String>,
        checklist_gates: Vec<String>,
        tab: Tab,
    ) -> App {
        let mut app = App::idle(store, dir, remote_sources, checklist_gates);
        app.state.tab = tab;
        let first = app.state.reload_effect(tab);
        app.run(vec![first]);
        app
    }

    /// Runs effects like the app's dispatch, then feeds back every message until quiet.
    pub fn run(&mut self, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        let mut steps = 0;
        while let Some(e) = queue.pop_front() {
            steps += 1;
            assert!(steps < 1_000, "effects never settle");
            let e = match e {
                Effect::Reload(tab) => self.state.reload_effect(tab),
                e => e,
            };
            match e {
                Effect::SyncNow(_)
                | Effect::PushNow
                | Effect::OpenUrl(_)
                | Effect::Copy(_)
                | Effect::Quit => {}
                Effect::LoadWindow(_) if self.hold => self.held.push(e),
                e => self.exec.run(e),
            }
            while let Ok(m) = self.rx.try_recv() {
                queue.extend(self.state.update(m));
            }
        }
    }

    pub fn act(&mut self, a: Action) {
        let fx = self.state.update(Msg::Action(a));
        self.run(fx);
    }

    pub fn input(&mut self, k: InputKey) {
        let fx = self.state.update(Msg::Input(k));
        self.run(fx);
    }

    pub fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.input(InputKey::Char(c));
        }
    }

    pub fn store(&self) -> &Store {
        self.exec.store()
    }

    /// Runs one effect on the store side and returns what it sent, not fed back.
    pub fn run_unfed(&mut self, effect: Effect) -> Vec<Msg> {
        self.exec.run(effect);
        let mut out = Vec::new();
        while let Ok(m) = self.rx.try_recv() {
            out.push(m);
        }
        out
    }
}
