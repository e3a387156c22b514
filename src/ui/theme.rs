//! Styles from the 16-colour ANSI palette (safe over SSH and in tmux), a light variant, and a mono theme used
//! for `NO_COLOR` that relies on bold / reverse / italic only.

use crate::app::settings::ThemeName;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: ThemeName,
}

/// The severity of the connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Good,
    Warn,
    Bad,
}

const DARK_USERS: [Color; 8] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::LightCyan,
    Color::LightGreen,
    Color::LightMagenta,
];

const LIGHT_USERS: [Color; 6] = [
    Color::Blue,
    Color::Magenta,
    Color::Red,
    Color::Green,
    Color::Cyan,
    Color::DarkGray,
];

impl Theme {
    pub fn new(name: ThemeName) -> Self {
        Theme { name }
    }

    fn mono(&self) -> bool {
        self.name == ThemeName::Mono
    }

    fn fg(&self, dark: Color, light: Color) -> Style {
        match self.name {
            ThemeName::Mono => Style::default(),
            ThemeName::Dark => Style::default().fg(dark),
            ThemeName::Light => Style::default().fg(light),
        }
    }

    pub fn text(&self) -> Style {
        Style::default()
    }

    pub fn dim(&self) -> Style {
        if self.mono() {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            self.fg(Color::DarkGray, Color::DarkGray)
        }
    }

    pub fn time(&self) -> Style {
        self.dim()
    }

    /// A stable colour per user name (FNV-1a), so a regular is recognisable at a glance.
    pub fn user(&self, name: &str) -> Style {
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let style = match self.name {
            ThemeName::Mono => Style::default(),
            ThemeName::Dark => {
                Style::default().fg(DARK_USERS[(h % DARK_USERS.len() as u64) as usize])
            }
            ThemeName::Light => {
                Style::default().fg(LIGHT_USERS[(h % LIGHT_USERS.len() as u64) as usize])
            }
        };
        style.add_modifier(Modifier::BOLD)
    }

    pub fn anonymous(&self) -> Style {
        self.dim().add_modifier(Modifier::ITALIC)
    }

    /// The tag of room `i` where several rooms are merged: a colour per room, in order.
    pub fn room(&self, i: usize) -> Style {
        let style = match self.name {
            ThemeName::Mono => Style::default(),
            ThemeName::Dark => Style::default().fg(DARK_USERS[i % DARK_USERS.len()]),
            ThemeName::Light => Style::default().fg(LIGHT_USERS[i % LIGHT_USERS.len()]),
        };
        style.add_modifier(Modifier::REVERSED)
    }

    pub fn tokens(&self) -> Style {
        self.fg(Color::Yellow, Color::Red)
            .add_modifier(Modifier::BOLD)
    }

    /// A tip at or above the alert threshold.
    pub fn big_tokens(&self) -> Style {
        self.tokens().add_modifier(Modifier::REVERSED)
    }

    pub fn system(&self) -> Style {
        self.fg(Color::Blue, Color::Blue)
            .add_modifier(Modifier::ITALIC)
    }

    /// A moderation action (ban, timeout, delete, …): its own colour, so it stands out from chat and notices.
    pub fn moderation(&self) -> Style {
        self.fg(Color::LightRed, Color::Red)
            .add_modifier(Modifier::BOLD)
    }

    pub fn pm_tag(&self) -> Style {
        self.fg(Color::Magenta, Color::Magenta)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn mod_mark(&self) -> Style {
        self.fg(Color::Red, Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn fan_mark(&self) -> Style {
        self.fg(Color::Green, Color::Green)
            .add_modifier(Modifier::BOLD)
    }

    pub fn tier_mark(&self) -> Style {
        self.fg(Color::Yellow, Color::Red)
    }

    pub fn enter(&self) -> Style {
        self.fg(Color::Green, Color::Green)
    }

    pub fn selection(&self) -> Style {
        self.fg(Color::Cyan, Color::Blue)
    }

    pub fn border(&self, focused: bool, frozen: bool, flashing: bool) -> Style {
        if flashing {
            return self
                .fg(Color::Red, Color::Red)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED);
        }
        let s = if frozen {
            self.fg(Color::Yellow, Color::Red)
        } else if focused {
            self.fg(Color::Cyan, Color::Blue)
        } else {
            self.dim()
        };
        if focused {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        if focused {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        }
    }

    /// The pause banner: impossible to miss in any theme.
    pub fn banner(&self) -> Style {
        match self.name {
            ThemeName::Mono => Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            _ => Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        }
    }

    pub fn level(&self, level: Level) -> Style {
        let base = match (self.name, level) {
            (ThemeName::Mono, _) => Style::default(),
            (_, Level::Good) => Style::default().fg(Color::Black).bg(Color::Green),
            (_, Level::Warn) => Style::default().fg(Color::Black).bg(Color::Yellow),
            (_, Level::Bad) => Style::default().fg(Color::White).bg(Color::Red),
        };
        base.add_modifier(
            Modifier::BOLD
                | if self.mono() {
                    Modifier::REVERSED
                } else {
                    Modifier::empty()
                },
        )
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow, Color::Red)
            .add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red, Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan, Color::Blue)
            .add_modifier(Modifier::BOLD)
    }
}
