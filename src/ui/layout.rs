//! Which layout fits the terminal, and where everything goes. Pure: sizes in, rectangles out.

use crate::app::{Pane, State};
use ratatui::layout::Rect;

/// Below this nothing but a "terminal too small" message is drawn.
pub const MIN_W: u16 = 40;
pub const MIN_H: u16 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Chat | Tips | Viewers side by side (from about 120 columns).
    Columns,
    /// Chat on top, Tips | Viewers below (80×24 and similar).
    Stacked,
    /// One pane at a time, `Tab` switches (small windows, phones over SSH).
    Single,
    TooSmall,
}

pub fn too_small(w: u16, h: u16) -> bool {
    w < MIN_W || h < MIN_H
}

pub fn shape(w: u16, h: u16) -> Shape {
    if too_small(w, h) {
        Shape::TooSmall
    } else if w >= 120 && h >= 20 {
        Shape::Columns
    } else if w >= 60 && h >= 16 {
        Shape::Stacked
    } else {
        Shape::Single
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Areas {
    pub shape: Shape,
    pub status: Rect,
    /// One line per room, with several rooms.
    pub overview: Option<Rect>,
    /// The channel table (`[watch]` channels in a session of rooms): a title line and the first rows.
    pub channels: Option<Rect>,
    pub notice: Option<Rect>,
    pub banner: Option<Rect>,
    pub panes: Vec<(Pane, Rect)>,
    pub prompt: Option<Rect>,
    pub footer: Rect,
}

fn take_top(r: &mut Rect) -> Rect {
    let row = Rect { height: 1, ..*r };
    r.y += 1;
    r.height -= 1;
    row
}

fn take_bottom(r: &mut Rect) -> Rect {
    r.height -= 1;
    Rect {
        y: r.y + r.height,
        height: 1,
        ..*r
    }
}

pub fn areas(state: &State, area: Rect, banner: bool, notice: bool) -> Areas {
    let shape = shape(area.width, area.height);
    let mut body = area;
    if shape == Shape::TooSmall {
        return Areas {
            shape,
            status: Rect::default(),
            overview: None,
            channels: None,
            notice: None,
            banner: None,
            panes: Vec::new(),
            prompt: None,
            footer: Rect::default(),
        };
    }
    let status = take_top(&mut body);
    let footer = take_bottom(&mut body);
    // The overview takes a line per room, at most a third of the body: the panes stay usable.
    let overview = (state.multi_room()).then(|| {
        let rows = (state.rooms.len() as u16).min(body.height / 3).max(1);
        let r = Rect {
            height: rows,
            ..body
        };
        body.y += rows;
        body.height -= rows;
        r
    });
    // The channel table takes its live channels' rows (at least one), at most a quarter of the body.
    let channels = (state.channels.as_ref())
        .filter(|_| shape != Shape::Single)
        .map(|board| {
            let wanted = 1 + (board.live_count() as u16).clamp(1, 50);
            let rows = wanted.min(body.height / 4).max(2);
            let r = Rect {
                height: rows,
                ..body
            };
            body.y += rows;
            body.height -= rows;
            r
        });
    let banner = banner.then(|| take_top(&mut body));
    let notice = (notice && body.height > 8).then(|| take_top(&mut body));
    let prompt = state.live.prompt.is_some().then(|| take_bottom(&mut body));
    let panes = match shape {
        Shape::Columns => {
            let chat_w = body.width / 2;
            let tips_w = (body.width - chat_w) / 2;
            let viewers_w = body.width - chat_w - tips_w;
            vec![
                (
                    Pane::Chat,
                    Rect {
                        width: chat_w,
                        ..body
                    },
                ),
                (
                    Pane::Tips,
                    Rect {
                        x: body.x + chat_w,
                        width: tips_w,
                        ..body
                    },
                ),
                (
                    Pane::Viewers,
                    Rect {
                        x: body.x + chat_w + tips_w,
                        width: viewers_w,
                        ..body
                    },
                ),
            ]
        }
        Shape::Stacked => {
            let chat_h = body.height / 2;
            let lower = Rect {
                y: body.y + chat_h,
                height: body.height - chat_h,
                ..body
            };
            let tips_w = lower.width / 2;
            vec![
                (
                    Pane::Chat,
                    Rect {
                        height: chat_h,
                        ..body
                    },
                ),
                (
                    Pane::Tips,
                    Rect {
                        width: tips_w,
                        ..lower
                    },
                ),
                (
                    Pane::Viewers,
                    Rect {
                        x: lower.x + tips_w,
                        width: lower.width - tips_w,
                        ..lower
                    },
                ),
            ]
        }
        Shape::Single | Shape::TooSmall => vec![(state.live.focus, body)],
    };
    Areas {
        shape,
        status,
        overview,
        channels,
        notice,
        banner,
        panes,
        prompt,
        footer,
    }
}
