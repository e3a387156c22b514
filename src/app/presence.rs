//! The viewers pane's "smart" mode: big rooms are all noise otherwise.

use super::stats::SessionStats;
use crate::event::{EventKind, RoomEvent};

/// Whether an enter/leave is worth a line in smart mode: mods, fan-club members, and users who chatted or
/// tipped at any point in the session (decided when drawn, so an early enter shows once they speak).
/// Other viewer events (follows, fan-club joins) always show.
pub fn is_notable(ev: &RoomEvent, stats: &SessionStats) -> bool {
    if !matches!(ev.kind(), EventKind::UserEnter | EventKind::UserLeave) {
        return true;
    }
    let Some(user) = &ev.user else {
        return false;
    };
    user.is_mod
        || user.in_fanclub
        || stats.chatters.contains(user.username.as_str())
        || stats.tips.by_user.contains_key(user.username.as_str())
        || stats.cheers.by_user.contains_key(user.username.as_str())
}
