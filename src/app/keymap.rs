//! The key map as data: mode → key → action. Defaults here; the config file merges over them.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// Which table a key is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// The live screen.
    Normal,
    /// Typing into a prompt (filter text, user, minimum tip, marker note): printable keys are text.
    Input,
    /// The help overlay.
    Help,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Normal, Mode::Input, Mode::Help];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Input => "input",
            Mode::Help => "help",
        }
    }

    pub fn from_name(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// A key with its modifiers, normalised so that `G` and `shift+g` are the same chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: KeyCodeKey,
    pub ctrl: bool,
    pub alt: bool,
}

/// The key part of a chord (crossterm's `KeyCode` is not `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Delete,
    Insert,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a key; use e.g. \"q\", \"G\", \"space\", \"ctrl+c\", \"pgup\", \"f1\", \"esc\""
)]
pub struct BadKey(pub String);

impl KeyChord {
    pub fn from_event(ev: &KeyEvent) -> Option<KeyChord> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::F(n) => KeyCodeKey::F(n),
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeKey::BackTab,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Backspace => KeyCodeKey::Backspace,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            KeyCode::Delete => KeyCodeKey::Delete,
            KeyCode::Insert => KeyCodeKey::Insert,
            _ => return None,
        };
        Some(KeyChord {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses the config notation: `q`, `G`, `?`, `space`, `ctrl+c`, `alt+x`, `pgup`, `f5`, `shift+tab`.
    pub fn parse(s: &str) -> Result<KeyChord, BadKey> {
        let bad = || BadKey(s.to_string());
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower
                .strip_prefix("ctrl+")
                .or_else(|| lower.strip_prefix("ctrl-"))
            {
                ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower
                .strip_prefix("alt+")
                .or_else(|| lower.strip_prefix("alt-"))
            {
                alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower
                .strip_prefix("shift+")
                .or_else(|| lower.strip_prefix("shift-"))
            {
                shift = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                let c = if shift { c.to_ascii_uppercase() } else { c };
                // Ctrl chords are case-insensitive in terminals.
                KeyCodeKey::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCodeKey::Char(' '),
                "enter" | "return" => KeyCodeKey::Enter,
                "esc" | "escape" => KeyCodeKey::Esc,
                "tab" if shift => KeyCodeKey::BackTab,
                "tab" => KeyCodeKey::Tab,
                "backtab" => KeyCodeKey::BackTab,
                "backspace" => KeyCodeKey::Backspace,
                "up" => KeyCodeKey::Up,
                "down" => KeyCodeKey::Down,
                "left" => KeyCodeKey::Left,
                "right" => KeyCodeKey::Right,
                "home" => KeyCodeKey::Home,
                "end" => KeyCodeKey::End,
                "pgup" | "pageup" => KeyCodeKey::PageUp,
                "pgdn" | "pgdown" | "pagedown" => KeyCodeKey::PageDown,
                "delete" | "del" => KeyCodeKey::Delete,
                "insert" | "ins" => KeyCodeKey::Insert,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCodeKey::F(n),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            },
        };
        Ok(KeyChord { code, ctrl, alt })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl+")?;
        }
        if self.alt {
            f.write_str("Alt+")?;
        }
        match self.code {
            KeyCodeKey::Char(' ') => f.write_str("Space"),
            KeyCodeKey::Char(c) => write!(f, "{c}"),
            KeyCodeKey::F(n) => write!(f, "F{n}"),
            KeyCodeKey::Enter => f.write_str("Enter"),
            KeyCodeKey::Esc => f.write_str("Esc"),
            KeyCodeKey::Tab => f.write_str("Tab"),
            KeyCodeKey::BackTab => f.write_str("Shift+Tab"),
            KeyCodeKey::Backspace => f.write_str("Backspace"),
            KeyCodeKey::Up => f.write_str("↑"),
            KeyCodeKey::Down => f.write_str("↓"),
            KeyCodeKey::Left => f.write_str("←"),
            KeyCodeKey::Right => f.write_str("→"),
            KeyCodeKey::Home => f.write_str("Home"),
            KeyCodeKey::End => f.write_str("End"),
            KeyCodeKey::PageUp => f.write_str("PgUp"),
            KeyCodeKey::PageDown => f.write_str("PgDn"),
            KeyCodeKey::Delete => f.write_str("Del"),
            KeyCodeKey::Insert => f.write_str("Ins"),
        }
    }
}

/// The effective key map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    /// mode → action → keys (ordered so help and hints are stable).
    pub bindings: BTreeMap<Mode, BTreeMap<Action, Vec<KeyChord>>>,
}

/// A key bound to two actions in the same mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub mode: Mode,
    pub key: KeyChord,
    pub actions: Vec<Action>,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.actions.iter().map(|a| a.name()).collect();
        write!(
            f,
            "key `{}` is bound to {} in [keys.{}]",
            self.key,
            names.join(" and "),
            self.mode.name()
        )
    }
}

/// Default bindings: (mode, action, keys).
const DEFAULTS: &[(Mode, &str, &[&str])] = &[
    (Mode::Normal, "quit", &["q", "ctrl+c"]),
    (Mode::Normal, "pause", &["p", "space"]),
    (Mode::Normal, "jump_to_live", &["end", "G"]),
    (Mode::Normal, "next_pane", &["tab"]),
    (Mode::Normal, "prev_pane", &["shift+tab"]),
    (Mode::Normal, "scroll_up", &["up", "k"]),
    (Mode::Normal, "scroll_down", &["down", "j"]),
    (Mode::Normal, "page_up", &["pgup"]),
    (Mode::Normal, "page_down", &["pgdn"]),
    (Mode::Normal, "scroll_top", &["home"]),
    (Mode::Normal, "toggle_kind_1", &["1"]),
    (Mode::Normal, "toggle_kind_2", &["2"]),
    (Mode::Normal, "toggle_kind_3", &["3"]),
    (Mode::Normal, "toggle_kind_4", &["4"]),
    (Mode::Normal, "toggle_kind_5", &["5"]),
    (Mode::Normal, "toggle_kind_6", &["6"]),
    (Mode::Normal, "toggle_kind_7", &["7"]),
    (Mode::Normal, "toggle_kind_8", &["8"]),
    (Mode::Normal, "toggle_kind_9", &["9"]),
    (Mode::Normal, "text_filter", &["/"]),
    (Mode::Normal, "focus_user", &["u"]),
    (Mode::Normal, "min_tip", &["t"]),
    (Mode::Normal, "invert_filter", &["!"]),
    (Mode::Normal, "clear_filters", &["c"]),
    (Mode::Normal, "marker", &["m"]),
    (Mode::Normal, "smart_viewers", &["v"]),
    (Mode::Normal, "next_room", &["]"]),
    (Mode::Normal, "prev_room", &["["]),
    (Mode::Normal, "all_rooms", &["a"]),
    (Mode::Normal, "help", &["?"]),
    (Mode::Input, "confirm", &["enter"]),
    (Mode::Input, "cancel", &["esc"]),
    (Mode::Input, "quit", &["ctrl+c"]),
    (Mode::Help, "help", &["?"]),
    (Mode::Help, "cancel", &["esc", "q"]),
    (Mode::Help, "scroll_up", &["up", "k"]),
    (Mode::Help, "scroll_down", &["down", "j"]),
    (Mode::Help, "page_up", &["pgup"]),
    (Mode::Help, "page_down", &["pgdn", "space"]),
    (Mode::Help, "scroll_top", &["home"]),
    (Mode::Help, "quit", &["ctrl+c"]),
];

impl Default for KeyMap {
    fn default() -> Self {
        let mut bindings: BTreeMap<Mode, BTreeMap<Action, Vec<KeyChord>>> = BTreeMap::new();
        for (mode, action, keys) in DEFAULTS {
            let action = Action::from_name(action).expect("default action names are valid");
            let keys = keys
                .iter()
                .map(|k| KeyChord::parse(k).expect("default keys are valid"))
                .collect();
            bindings.entry(*mode).or_default().insert(action, keys);
        }
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The action bound to a key in a mode. In `Input` mode, unbound printable keys are text (`None`).
    pub fn lookup(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(key)?;
        self.bindings
            .get(&mode)?
            .iter()
            .find(|(_, keys)| keys.contains(&chord))
            .map(|(a, _)| *a)
    }

    /// Replaces the keys of one action in one mode (a config override).
    pub fn bind(&mut self, mode: Mode, action: Action, keys: Vec<KeyChord>) {
        self.bindings.entry(mode).or_default().insert(action, keys);
    }

    pub fn keys_for(&self, mode: Mode, action: Action) -> &[KeyChord] {
        self.bindings
            .get(&mode)
            .and_then(|m| m.get(&action))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Keys bound to more than one action within a mode.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        for (mode, table) in &self.bindings {
            let mut by_key: BTreeMap<KeyChord, Vec<Action>> = BTreeMap::new();
            for (action, keys) in table {
                for k in keys {
                    by_key.entry(*k).or_default().push(*action);
                }
            }
            for (key, actions) in by_key {
                if actions.len() > 1 {
                    out.push(Conflict {
                        mode: *mode,
                        key,
                        actions,
                    });
                }
            }
        }
        out
    }

    /// Help rows for a mode: ("p / Space", "pause / resume …"), in action order, bound actions only.
    pub fn help_rows(&self, mode: Mode) -> Vec<(String, String)> {
        let Some(table) = self.bindings.get(&mode) else {
            return Vec::new();
        };
        table
            .iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(action, keys)| {
                let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                (keys.join(" / "), action.description())
            })
            .collect()
    }

    /// The first key of an action, for footer hints (`None` when unbound).
    pub fn hint(&self, mode: Mode, action: Action) -> Option<String> {
        self.keys_for(mode, action).first().map(|k| k.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_has_no_conflicts() {
        assert_eq!(KeyMap::default().conflicts(), vec![]);
    }

    #[test]
    fn parses_the_config_notation() {
        assert_eq!(
            KeyChord::parse("G").unwrap(),
            KeyChord::parse("shift+g").unwrap()
        );
        assert_eq!(
            KeyChord::parse("ctrl+C").unwrap(),
            KeyChord::parse("ctrl+c").unwrap()
        );
        assert_eq!(
            KeyChord::parse("space").unwrap().code,
            KeyCodeKey::Char(' ')
        );
        assert_eq!(KeyChord::parse("f5").unwrap().code, KeyCodeKey::F(5));
        assert!(KeyChord::parse("ctrl+").is_err());
        assert!(KeyChord::parse("hyper+q").is_err());
        assert!(KeyChord::parse("f99").is_err());
    }

    #[test]
    fn lookup_follows_overrides_and_reports_conflicts() {
        let mut km = KeyMap::default();
        let p = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE);
        assert_eq!(km.lookup(Mode::Normal, &p), Some(Action::TogglePause));
        km.bind(
            Mode::Normal,
            Action::TogglePause,
            vec![KeyChord::parse("x").unwrap()],
        );
        assert_eq!(km.lookup(Mode::Normal, &p), None);
        km.bind(
            Mode::Normal,
            Action::Mark,
            vec![KeyChord::parse("x").unwrap()],
        );
        let c = km.conflicts();
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].to_string(),
            "key `x` is bound to pause and marker in [keys.normal]"
        );
    }

    #[test]
    fn shift_g_from_a_terminal_matches_g() {
        let km = KeyMap::default();
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.lookup(Mode::Normal, &ev), Some(Action::JumpToLive));
    }
}
