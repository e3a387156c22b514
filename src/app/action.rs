//! User intents. Keys become actions through the key map; the reducer never sees key codes.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    TogglePause,
    JumpToLive,
    FocusNext,
    FocusPrev,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    ScrollTop,
    /// Toggle the event-kind group `n` (1–9) in the filter.
    ToggleKind(u8),
    TextFilter,
    FocusUser,
    MinTip,
    InvertFilter,
    ClearFilters,
    Mark,
    ToggleSmartViewers,
    /// Show the next room in the detail panes (after the last: all rooms).
    NextRoom,
    /// Show the previous room (before the first: all rooms).
    PrevRoom,
    /// Show every room merged, each line tagged with its room.
    AllRooms,
    ToggleHelp,
    /// Input mode: accept the text being typed.
    Confirm,
    /// Input mode and overlays: leave without changing anything.
    Cancel,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub fn all() -> Vec<Action> {
        let mut v = vec![
            Action::Quit,
            Action::TogglePause,
            Action::JumpToLive,
            Action::FocusNext,
            Action::FocusPrev,
            Action::ScrollUp,
            Action::ScrollDown,
            Action::PageUp,
            Action::PageDown,
            Action::ScrollTop,
        ];
        v.extend((1..=9).map(Action::ToggleKind));
        v.extend([
            Action::TextFilter,
            Action::FocusUser,
            Action::MinTip,
            Action::InvertFilter,
            Action::ClearFilters,
            Action::Mark,
            Action::ToggleSmartViewers,
            Action::NextRoom,
            Action::PrevRoom,
            Action::AllRooms,
            Action::ToggleHelp,
            Action::Confirm,
            Action::Cancel,
        ]);
        v
    }

    /// The name used in the config file's key map (`snake_case`).
    pub fn name(self) -> String {
        match self {
            Action::ToggleKind(n) => format!("toggle_kind_{n}"),
            other => other.static_name().to_string(),
        }
    }

    fn static_name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::TogglePause => "pause",
            Action::JumpToLive => "jump_to_live",
            Action::FocusNext => "next_pane",
            Action::FocusPrev => "prev_pane",
            Action::ScrollUp => "scroll_up",
            Action::ScrollDown => "scroll_down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::ScrollTop => "scroll_top",
            Action::ToggleKind(_) => "toggle_kind",
            Action::TextFilter => "text_filter",
            Action::FocusUser => "focus_user",
            Action::MinTip => "min_tip",
            Action::InvertFilter => "invert_filter",
            Action::ClearFilters => "clear_filters",
            Action::Mark => "marker",
            Action::ToggleSmartViewers => "smart_viewers",
            Action::NextRoom => "next_room",
            Action::PrevRoom => "prev_room",
            Action::AllRooms => "all_rooms",
            Action::ToggleHelp => "help",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::all().into_iter().find(|a| a.name() == name)
    }

    /// One line for the help overlay.
    pub fn description(self) -> String {
        match self {
            Action::Quit => "quit (writes the session summary)".into(),
            Action::TogglePause => "pause / resume the panes (totals stay live)".into(),
            Action::JumpToLive => "jump to live (resume and scroll to the newest)".into(),
            Action::FocusNext => "focus the next pane".into(),
            Action::FocusPrev => "focus the previous pane".into(),
            Action::ScrollUp => "scroll up (pauses the pane)".into(),
            Action::ScrollDown => "scroll down".into(),
            Action::PageUp => "page up (pauses the pane)".into(),
            Action::PageDown => "page down".into(),
            Action::ScrollTop => "scroll to the oldest line".into(),
            Action::ToggleKind(n) => format!("show / hide event group {n}"),
            Action::TextFilter => "text filter (plain or /regex/)".into(),
            Action::FocusUser => "focus one user across all panes".into(),
            Action::MinTip => "minimum tip shown".into(),
            Action::InvertFilter => "invert the filter".into(),
            Action::ClearFilters => "clear all filters".into(),
            Action::Mark => "drop a marker (time + optional note)".into(),
            Action::ToggleSmartViewers => "smart viewers: only notable enters/leaves".into(),
            Action::NextRoom => "show the next room (after the last: all rooms)".into(),
            Action::PrevRoom => "show the previous room".into(),
            Action::AllRooms => "show all rooms merged, each line tagged".into(),
            Action::ToggleHelp => "this help".into(),
            Action::Confirm => "accept input".into(),
            Action::Cancel => "cancel input / close overlay".into(),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Action::all() {
            assert_eq!(Action::from_name(&a.name()), Some(a), "{a:?}");
        }
        assert_eq!(Action::from_name("toggle_kind_0"), None);
        assert_eq!(Action::from_name("launch_rockets"), None);
    }
}
