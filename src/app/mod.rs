//! The application: state, update, effects, and the event loop that ties them to the terminal.
//!
//! The loop (`run`) has one inbound queue: crossterm events, messages from the store runtime
//! and the sync engine, a 1 Hz tick, and termination signals. Keys are resolved to actions by
//! the keymap before they reach `State::update`; effects go to the runtime; the screen is drawn
//! only when something changed.

pub mod action;
pub mod completion;
pub mod derive;
pub mod dora_panel;
pub mod edits;
pub mod filter;
pub mod help;
pub mod keymap;
pub mod keys;
pub mod line_edit;
pub mod list_state;
pub mod list_window;
pub mod msg;
pub mod overlay_keys;
mod review_scroll;
pub mod rollback;
pub mod rows;
pub mod runtime;
pub mod silences;
pub mod stale_reads;
pub mod state;
pub mod targets;
pub mod update;
pub mod window_reads;

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use self::msg::{Effect, InputKey, Msg};
use self::runtime::Runtime;
use self::state::State;
use crate::app::keymap::{Key, KeyName, Keymap, Resolved};
use crate::clock::SharedClock;
use crate::domain::Tab;

/// Talks to the sync engine, when one runs.
pub trait SyncControl: Send {
    /// Refresh these sources now (None: all).
    fn refresh(&self, sources: Option<Vec<String>>);
    /// Push queued edits soon.
    fn push_soon(&self);
}

impl SyncControl for crate::sync::engine::SyncHandle {
    fn refresh(&self, sources: Option<Vec<String>>) {
        crate::sync::engine::SyncHandle::refresh(self, sources);
    }
    fn push_soon(&self) {
        crate::sync::engine::SyncHandle::push_soon(self);
    }
}

/// How often the clock ticks (countdowns, ages).
pub const TICK: Duration = Duration::from_secs(1);

/// How long a key that moved the selection waits for the new row's detail before drawing.
///
/// The store thread answers a detail query in well under a millisecond, so waiting for it makes
/// a move one frame instead of two (one with the detail pane cleared, one with the detail);
/// a busy store (a large reload in flight) only delays the frame by this much.
pub const DETAIL_WAIT: Duration = Duration::from_millis(30);

/// Paints one frame from the state (the ui's `draw`).
pub type Draw = fn(&mut ratatui::Frame<'_>, &State);

/// Everything the loop needs.
pub struct AppParts {
    /// Initial state.
    pub state: State,
    /// Key bindings.
    pub keymap: Keymap,
    /// Store runtime.
    pub runtime: Runtime,
    /// Messages from the runtime and sync.
    pub msgs: mpsc::UnboundedReceiver<Msg>,
    /// Clock.
    pub clock: SharedClock,
    /// The sync engine, if any source is configured.
    pub sync: Option<Box<dyn SyncControl>>,
}

fn input_key(key: Key) -> Option<InputKey> {
    Some(match key.code {
        KeyName::Char(c) if !key.ctrl && !key.alt => InputKey::Char(c),
        KeyName::Char(c) if key.ctrl && !key.alt => InputKey::Ctrl(c.to_ascii_lowercase()),
        KeyName::Char(c) if key.alt && !key.ctrl => InputKey::Alt(c.to_ascii_lowercase()),
        KeyName::Backspace if key.alt => InputKey::AltBackspace,
        KeyName::Backspace => InputKey::Backspace,
        KeyName::Left => InputKey::Left,
        KeyName::Right => InputKey::Right,
        KeyName::Home => InputKey::Home,
        KeyName::End => InputKey::End,
        KeyName::Delete => InputKey::Delete,
        KeyName::Tab => InputKey::Tab,
        KeyName::BackTab => InputKey::BackTab,
        KeyName::Enter => InputKey::Enter,
        KeyName::Esc => InputKey::Esc,
        KeyName::Up => InputKey::Up,
        KeyName::Down => InputKey::Down,
        _ => return None,
    })
}

/// Turns a key press into a message for `update` (or None while a key sequence is pending).
pub fn key_to_msg(state: &mut State, keymap: &mut Keymap, key: Key) -> Option<Msg> {
    if key.ctrl && key.code == KeyName::Char('c') {
        // ctrl-c quits from anywhere: close whatever is open so no overlay can swallow it
        // (in the review, `q` only leaves the review).
        state.overlay = None;
        state.filtering = false;
        return Some(Msg::Action(action::Action::Quit));
    }
    if state.text_input_focused() {
        return input_key(key).map(Msg::Input);
    }
    let resolved = keymap.resolve(state.key_context(), key);
    state.pending_keys = keymap.pending();
    match resolved {
        Resolved::Action(a) => Some(Msg::Action(a)),
        Resolved::Pending => {
            state.dirty = true;
            None
        }
        Resolved::Unbound => None,
    }
}

fn dispatch(
    effects: Vec<Effect>,
    runtime: &Runtime,
    sync: Option<&dyn SyncControl>,
    state: &mut State,
) {
    for effect in effects {
        match effect {
            Effect::SyncNow(sources) => match sync {
                Some(s) => s.refresh(sources),
                None => state
                    .update(Msg::Notice(
                        "no sources configured (demo): nothing to refresh".into(),
                    ))
                    .clear(),
            },
            Effect::OpenUrl(url) => open_url(&url, state),
            Effect::Copy(text) => {
                let msg = match crate::tui::copy_osc52(&text) {
                    Ok(()) => format!("copied {text}"),
                    Err(e) => format!("copy failed: {e}"),
                };
                let _ = state.update(Msg::Notice(msg));
            }
            Effect::Quit => {}
            // The paged tabs reload a window around the cursor (see `list_window`).
            Effect::Reload(tab) => runtime.submit(state.reload_effect(tab)),
            Effect::PushNow => {
                if let Some(s) = sync {
                    s.push_soon();
                }
            }
            other => runtime.submit(other),
        }
    }
}

fn open_url(url: &str, state: &mut State) {
    // Only http(s), passed as one argv element (never through a shell); the URL is shown too,
    // because over SSH there is usually no browser to open.
    let ok = url.starts_with("https://") || url.starts_with("http://");
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = ok
        && std::process::Command::new(opener)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok();
    let text = if spawned {
        format!("opened {url}")
    } else {
        format!("open this URL yourself: {url}")
    };
    let _ = state.update(Msg::Notice(text));
}

/// Runs the TUI until the user quits or a termination signal arrives; `draw` paints a frame
/// from the state (the ui's `draw`, passed in by the start-up code so app never imports ui).
///
/// # Errors
/// Terminal I/O errors.
pub async fn run(
    parts: AppParts,
    terminal: &mut crate::tui::Tui,
    draw: Draw,
) -> std::io::Result<()> {
    let AppParts {
        mut state,
        mut keymap,
        runtime,
        mut msgs,
        clock,
        sync,
    } = parts;
    let sync = sync.as_deref();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;

    let size = terminal.size()?;
    let _ = state.update(Msg::Resize(size.width, size.height));
    let first = state.reload_effect(state.tab);
    runtime.submit(first);
    runtime.submit(Effect::ReloadStatus);
    // After the first screen's queries: a damaged cache is found within a second of start
    // without delaying the first frame.
    runtime.submit(Effect::CheckCachePages);
    if matches!(state.overlay, Some(state::Overlay::Review { .. })) {
        runtime.submit(Effect::TakeReviewSnapshot);
    }

    loop {
        if state.dirty {
            terminal.draw(|f| draw(f, &state))?;
            state.dirty = false;
        }
        let mut from_terminal = false;
        let msg = tokio::select! {
            ev = events.next() => {
                from_terminal = true;
                match ev {
                    Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                        Key::from_event(&k).and_then(|key| key_to_msg(&mut state, &mut keymap, key))
                    }
                    Some(Ok(Event::Resize(w, h))) => Some(Msg::Resize(w, h)),
                    // Pasted text is data for an open input, never keys for the keymap.
                    Some(Ok(Event::Paste(text))) => Some(Msg::Paste(text)),
                    Some(Ok(_)) => None,
                    Some(Err(e)) => return Err(e),
                    None => break,
                }
            }
            Some(m) = msgs.recv() => Some(m),
            _ = tick.tick() => Some(Msg::Tick(clock.now())),
            _ = term.recv() => break,
            _ = hup.recv() => break,
            _ = int.recv() => break,
        };
        if let Some(msg) = msg {
            let effects = state.update(msg);
            // Drain whatever else is already queued before drawing (one frame per batch).
            let mut all = effects;
            while let Ok(m) = msgs.try_recv() {
                all.extend(state.update(m));
            }
            // Only a key waits: a start-up or reload batch must not hold its frame while the
            // store thread is still busy loading the rest of a large tab.
            let awaiting_detail =
                from_terminal && all.iter().any(|e| matches!(e, Effect::LoadDetail(_)));
            dispatch(all, &runtime, sync, &mut state);
            if awaiting_detail {
                let deadline = tokio::time::Instant::now() + DETAIL_WAIT;
                while let Ok(Some(m)) = tokio::time::timeout_at(deadline, msgs.recv()).await {
                    let arrived = matches!(m, Msg::DetailLoaded(_));
                    let effects = state.update(m);
                    dispatch(effects, &runtime, sync, &mut state);
                    if arrived {
                        break;
                    }
                }
            }
        }
        if state.quit {
            break;
        }
    }
    Ok(())
}

/// The tab opsdeck starts on.
pub const START_TAB: Tab = Tab::Incidents;
