//! One-line prompts (text filter, user, minimum tip, marker note). While one is open, keys are text.

use super::filter::FilterSet;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: applied live while typing; `Esc` restores the filters as they were.
    Text,
    User,
    MinTip,
    /// `m`: the marker's time is taken when the key is pressed, the note is optional.
    Marker {
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub buffer: String,
    /// Shown next to the input (e.g. a bad regex); the prompt stays open.
    pub error: Option<String>,
    /// The filters when the prompt opened, restored on cancel.
    pub saved: FilterSet,
}

/// Longest input accepted (a pasted novel should not become a filter).
pub const MAX_INPUT: usize = 200;

impl Prompt {
    pub fn new(kind: PromptKind, buffer: String, saved: FilterSet) -> Self {
        Prompt {
            kind,
            buffer,
            error: None,
            saved,
        }
    }

    pub fn label(&self) -> String {
        match &self.kind {
            PromptKind::Text => "filter (text or /regex/)".into(),
            PromptKind::User => "user".into(),
            PromptKind::MinTip => "minimum tip (tokens, empty = off)".into(),
            PromptKind::Marker { at } => format!("marker at {} · note", at.format("%H:%M:%S")),
        }
    }

    /// Accepts a typed character; `false` when it is refused (non-digit for a number, too long, control).
    pub fn push(&mut self, c: char) -> bool {
        if c.is_control() || self.buffer.chars().count() >= MAX_INPUT {
            return false;
        }
        if self.kind == PromptKind::MinTip && !c.is_ascii_digit() {
            return false;
        }
        self.buffer.push(c);
        true
    }
}
