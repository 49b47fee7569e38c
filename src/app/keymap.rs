//! Key chords and the data-driven keymap.
//!
//! Keys are written as in atuin/helix: `q`, `ctrl-r`, `shift-tab`, `enter`, `g g` (a sequence).
//! [`Keymap`] maps key sequences to [`Action`]s per scope; a tab's scope is consulted first, then
//! `list`, then `global`. `"noop"` in config unbinds a key. Pending sequences (`g g`, `d d`) live
//! in the resolver and `Esc` cancels them. Help and the palette are generated from [`Keymap`].

mod defaults;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::action::Action;
use crate::config::KeyProblem;
use crate::domain::Tab;

/// Scopes that can hold bindings.
pub const SCOPES: &[&str] = &[
    "global",
    "list",
    "customers",
    "bugs",
    "incidents",
    "alerts",
    "deployments",
    "slos",
    "checklist",
    "outbox",
    "review",
];

/// Checks one `[keys.<scope>] "<chord>" = "<action>"` config entry against the keymap's scopes,
/// key grammar and action names; config reports a failure at the entry's line
/// ([`crate::config::Config::load_with_keys`]).
///
/// # Errors
/// What is wrong and how to fix it.
pub fn check_override(scope: &str, chord: &str, action: &str) -> Result<(), KeyProblem> {
    if !SCOPES.contains(&scope) {
        return Err(KeyProblem {
            message: format!("[keys.{scope}] is not a key scope"),
            hint: format!("use one of: {}", SCOPES.join(", ")),
            scope: true,
        });
    }
    if let Err(e) = chord.parse::<KeySeq>() {
        return Err(KeyProblem {
            message: format!("[keys.{scope}] \"{chord}\": {e}"),
            hint: "write keys like \"q\", \"ctrl-r\", \"shift-tab\" or \"g g\"".into(),
            scope: false,
        });
    }
    if action != "noop" && action.parse::<Action>().is_err() {
        return Err(KeyProblem {
            message: format!("[keys.{scope}] \"{chord}\" = \"{action}\": unknown action"),
            hint: "use an action name from `?` help or the `:` palette, or \"noop\" to unbind"
                .into(),
            scope: false,
        });
    }
    Ok(())
}

/// One key press with modifiers (shift folded into the character for printable keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The key.
    pub code: KeyName,
    /// Ctrl held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
}

/// Key names we bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyName {
    /// A printable character.
    Char(char),
    /// Enter.
    Enter,
    /// Escape.
    Esc,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Delete.
    Delete,
    /// A function key.
    F(u8),
}

impl Key {
    /// A plain character key.
    #[must_use]
    pub fn ch(c: char) -> Key {
        Key {
            code: KeyName::Char(c),
            ctrl: false,
            alt: false,
        }
    }

    /// Converts a crossterm event (None for keys we never bind).
    #[must_use]
    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        let ctrl = e.modifiers.contains(KeyModifiers::CONTROL);
        let alt = e.modifiers.contains(KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::Char(c) => KeyName::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => KeyName::Enter,
            KeyCode::Esc => KeyName::Esc,
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => KeyName::BackTab,
            KeyCode::Tab => KeyName::Tab,
            KeyCode::BackTab => KeyName::BackTab,
            KeyCode::Backspace => KeyName::Backspace,
            KeyCode::Up => KeyName::Up,
            KeyCode::Down => KeyName::Down,
            KeyCode::Left => KeyName::Left,
            KeyCode::Right => KeyName::Right,
            KeyCode::PageUp => KeyName::PageUp,
            KeyCode::PageDown => KeyName::PageDown,
            KeyCode::Home => KeyName::Home,
            KeyCode::End => KeyName::End,
            KeyCode::Delete => KeyName::Delete,
            KeyCode::F(n) => KeyName::F(n),
            _ => return None,
        };
        Some(Key { code, ctrl, alt })
    }
}

impl FromStr for Key {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                shift = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyName::Enter,
            "esc" => KeyName::Esc,
            "tab" if shift => KeyName::BackTab,
            "tab" => KeyName::Tab,
            "backtab" => KeyName::BackTab,
            "backspace" => KeyName::Backspace,
            "up" => KeyName::Up,
            "down" => KeyName::Down,
            "left" => KeyName::Left,
            "right" => KeyName::Right,
            "pageup" => KeyName::PageUp,
            "pagedown" => KeyName::PageDown,
            "home" => KeyName::Home,
            "end" => KeyName::End,
            "delete" => KeyName::Delete,
            "space" => KeyName::Char(' '),
            f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => KeyName::F(
                f[1..]
                    .parse()
                    .map_err(|_| format!("bad function key '{f}'"))?,
            ),
            c if c.chars().count() == 1 => {
                let ch = c.chars().next().ok_or("empty key")?;
                KeyName::Char(if shift { ch.to_ascii_uppercase() } else { ch })
            }
            other => return Err(format!("unknown key '{other}'")),
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyName::Char(' ') => f.write_str("space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::Enter => f.write_str("enter"),
            KeyName::Esc => f.write_str("esc"),
            KeyName::Tab => f.write_str("tab"),
            KeyName::BackTab => f.write_str("shift-tab"),
            KeyName::Backspace => f.write_str("backspace"),
            KeyName::Up => f.write_str("up"),
            KeyName::Down => f.write_str("down"),
            KeyName::Left => f.write_str("left"),
            KeyName::Right => f.write_str("right"),
            KeyName::PageUp => f.write_str("pageup"),
            KeyName::PageDown => f.write_str("pagedown"),
            KeyName::Home => f.write_str("home"),
            KeyName::End => f.write_str("end"),
            KeyName::Delete => f.write_str("delete"),
            KeyName::F(n) => write!(f, "f{n}"),
        }
    }
}

/// A sequence of keys (`g g`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySeq(pub Vec<Key>);

impl FromStr for KeySeq {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == " " {
            return Ok(KeySeq(vec![Key::ch(' ')]));
        }
        let keys: Result<Vec<Key>, String> = s.split_whitespace().map(str::parse).collect();
        let keys = keys?;
        if keys.is_empty() || keys.len() > 3 {
            return Err(format!("'{s}' must be 1 to 3 keys"));
        }
        Ok(KeySeq(keys))
    }
}

impl fmt::Display for KeySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

pub use defaults::DEFAULTS;

/// Where the user is, for resolving keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A tab's list, with or without the alert section focused.
    Tab(Tab, bool),
    /// The outbox overlay.
    Outbox,
    /// The review mode.
    Review,
}

/// The result of feeding one key to the resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A complete binding.
    Action(Action),
    /// A prefix of a longer binding; wait for the next key.
    Pending,
    /// Nothing bound.
    Unbound,
}

/// Bindings per scope plus the pending-sequence state.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    scopes: BTreeMap<String, BTreeMap<KeySeq, Action>>,
    pending: Vec<Key>,
}

impl Keymap {
    /// The defaults with the user's overrides applied (`"noop"` unbinds).
    ///
    /// # Errors
    /// A message for a bad key or action (config validation catches these first).
    pub fn with_overrides(
        overrides: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        for (scope, key, action) in DEFAULTS {
            let seq: KeySeq = key.parse()?;
            let action: Action = action.parse()?;
            map.scopes
                .entry((*scope).to_string())
                .or_default()
                .insert(seq, action);
        }
        for (scope, keys) in overrides {
            for (key, action) in keys {
                let seq: KeySeq = key.parse()?;
                let entry = map.scopes.entry(scope.clone()).or_default();
                if action == "noop" {
                    entry.remove(&seq);
                } else {
                    entry.insert(seq, action.parse()?);
                }
            }
        }
        Ok(map)
    }

    /// The default keymap.
    #[must_use]
    pub fn defaults() -> Keymap {
        Self::with_overrides(&BTreeMap::new()).unwrap_or_default()
    }

    /// The scope of a context's own bindings (`alerts` when the alert section has focus), the
    /// first one [`Keymap::resolve`] consults.
    #[must_use]
    pub fn own_scope(ctx: Context) -> &'static str {
        Self::scope_chain(ctx).first().copied().unwrap_or("global")
    }

    fn scope_chain(ctx: Context) -> Vec<&'static str> {
        match ctx {
            Context::Tab(tab, alerts) => {
                let mut v = Vec::new();
                if alerts {
                    v.push("alerts");
                }
                v.push(match tab {
                    Tab::Customers => "customers",
                    Tab::Bugs => "bugs",
                    Tab::Incidents => "incidents",
                    Tab::Deployments => "deployments",
                    Tab::Slos => "slos",
                    Tab::Checklist => "checklist",
                });
                v.extend(["list", "global"]);
                v
            }
            Context::Outbox => vec!["outbox", "list", "global"],
            Context::Review => vec!["review", "global"],
        }
    }

    /// Feeds one key; sequences resolve on their last key. `Esc` always clears a pending prefix.
    pub fn resolve(&mut self, ctx: Context, key: Key) -> Resolved {
        if key.code == KeyName::Esc && !self.pending.is_empty() {
            self.pending.clear();
            return Resolved::Unbound;
        }
        self.pending.push(key);
        let seq = KeySeq(self.pending.clone());
        let mut prefix = false;
        for scope in Self::scope_chain(ctx) {
            let Some(map) = self.scopes.get(scope) else {
                continue;
            };
            if let Some(action) = map.get(&seq) {
                self.pending.clear();
                return Resolved::Action(*action);
            }
            if map
                .keys()
                .any(|k| k.0.len() > seq.0.len() && k.0.starts_with(&seq.0))
            {
                prefix = true;
            }
        }
        if prefix {
            return Resolved::Pending;
        }
        self.pending.clear();
        Resolved::Unbound
    }

    /// The keys waiting for completion (shown in the status bar).
    #[must_use]
    pub fn pending(&self) -> String {
        KeySeq(self.pending.clone()).to_string()
    }

    /// Bindings visible in a context, most specific scope first, for help and the palette.
    #[must_use]
    pub fn bindings(&self, ctx: Context) -> Vec<(String, KeySeq, Action)> {
        let mut out: Vec<(String, KeySeq, Action)> = Vec::new();
        for scope in Self::scope_chain(ctx) {
            if let Some(map) = self.scopes.get(scope) {
                for (seq, action) in map {
                    if !out.iter().any(|(_, s, _)| s == seq) {
                        out.push((scope.to_string(), seq.clone(), *action));
                    }
                }
            }
        }
        out
    }

    /// The first key bound to `action` in `ctx`, for hints.
    #[must_use]
    pub fn key_for(&self, ctx: Context, action: Action) -> Option<KeySeq> {
        self.bindings(ctx)
            .into_iter()
            .find(|(_, _, a)| *a == action)
            .map(|(_, s, _)| s)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn every_default_binding_parses() {
        for (scope, key, action) in DEFAULTS {
            assert!(SCOPES.contains(scope), "{scope}");
            assert!(key.parse::<KeySeq>().is_ok(), "{key}");
            assert!(action.parse::<Action>().is_ok(), "{action}");
        }
    }

    #[test]
    fn g_g_waits_for_the_second_g_and_esc_cancels() {
        let mut km = Keymap::defaults();
        let ctx = Context::Tab(Tab::Bugs, false);
        assert_eq!(km.resolve(ctx, Key::ch('g')), Resolved::Pending);
        assert_eq!(
            km.resolve(ctx, Key::ch('g')),
            Resolved::Action(Action::SelectFirst)
        );
        assert_eq!(km.resolve(ctx, Key::ch('g')), Resolved::Pending);
        let esc = Key {
            code: KeyName::Esc,
            ctrl: false,
            alt: false,
        };
        assert_eq!(km.resolve(ctx, esc), Resolved::Unbound);
        assert_eq!(km.pending(), "");
    }

    #[test]
    fn tab_scope_wins_over_list_and_global() {
        let mut km = Keymap::defaults();
        assert_eq!(
            km.resolve(Context::Tab(Tab::Incidents, false), Key::ch('a')),
            Resolved::Action(Action::Acknowledge)
        );
        assert_eq!(
            km.resolve(Context::Tab(Tab::Bugs, false), Key::ch('x')),
            Resolved::Action(Action::CloseBug)
        );
        assert_eq!(
            km.resolve(Context::Tab(Tab::Incidents, false), Key::ch('x')),
            Resolved::Action(Action::Resolve)
        );
    }

    #[test]
    fn a_user_override_touches_only_its_key_and_noop_unbinds() {
        let mut o = BTreeMap::new();
        o.insert(
            "bugs".to_string(),
            BTreeMap::from([
                ("x".to_string(), "noop".to_string()),
                ("Q".to_string(), "quit".to_string()),
            ]),
        );
        let mut km = Keymap::with_overrides(&o).unwrap();
        let ctx = Context::Tab(Tab::Bugs, false);
        assert_eq!(
            km.resolve(ctx, Key::ch('Q')),
            Resolved::Action(Action::Quit)
        );
        assert_eq!(
            km.resolve(ctx, Key::ch('p')),
            Resolved::Action(Action::SetPriority)
        );
        // x falls through to list/global, where it is unbound.
        assert_eq!(km.resolve(ctx, Key::ch('x')), Resolved::Unbound);
    }

    proptest! {
        #[test]
        fn key_strings_round_trip(ctrl in any::<bool>(), alt in any::<bool>(), c in "[a-z0-9?/:@!+]") {
            let key = Key { code: KeyName::Char(c.chars().next().unwrap()), ctrl, alt };
            let text = key.to_string();
            prop_assert_eq!(text.parse::<Key>().unwrap(), key);
        }
    }
}
