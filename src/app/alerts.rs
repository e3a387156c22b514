//! Alert rules: big tips and private messages ring the terminal bell (with a cooldown, so a tip train does not
//! become a siren) and flash the pane border (always, the bell's visual twin).

use super::feed::Pane;
use super::settings::Settings;
use crate::event::{EventBody, RoomEvent};
use chrono::{DateTime, Duration, Utc};

/// How long a pane border flashes after an alert.
pub const FLASH: Duration = Duration::seconds(2);

#[derive(Debug, Clone, Default)]
pub struct Alerts {
    pub last_bell: Option<DateTime<Utc>>,
}

/// What an event triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub pane: Pane,
    pub bell: bool,
}

impl Alerts {
    pub fn check(
        &mut self,
        ev: &RoomEvent,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Option<Alert> {
        let pane = match &ev.body {
            // A gift in any unit, against the threshold in that unit (tokens, bits).
            _ if ev.gift().is_some_and(|g| g.value >= settings.tip_alert_min) => Pane::Tips,
            EventBody::PrivateMessage { .. } if settings.pm_alert => Pane::Chat,
            _ => return None,
        };
        let bell = self.ring(settings, now);
        Some(Alert { pane, bell })
    }

    /// Whether an alert rings the bell now: the bell is on and the cooldown has passed since the last ring.
    pub fn ring(&mut self, settings: &Settings, now: DateTime<Utc>) -> bool {
        let cooled = self.last_bell.is_none_or(|t| {
            now.signed_duration_since(t).to_std().unwrap_or_default() >= settings.alert_cooldown
        });
        let bell = settings.bell && cooled;
        if bell {
            self.last_bell = Some(now);
        }
        bell
    }
}
