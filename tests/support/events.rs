//! Realistic Events API events, in the wire shape of the real testbed captures (key order `method, object,
//! id`; 17-field users with sorted keys).

/// The first id's millisecond prefix (2026-11-23).
pub const START_MS: u64 = 1_795_000_000_000;

fn user(name: &str, i: u64) -> String {
    let groups = ["g", "tr", "t", "p", "l", "f", "m"];
    let tips = ["none", "few", "some", "lots", "tons"];
    let langs = ["en", "de", "es", "fr", "ja", "pt", "ru"];
    format!(
        concat!(
            r#"{{"colorGroup":"{}","fcAutoRenew":{},"gender":"{}","hasDarkmode":{},"hasTokens":{},"#,
            r#""inFanclub":{},"inPrivateShow":false,"isBroadcasting":false,"isFollower":{},"isMod":{},"#,
            r#""isOwner":false,"isSilenced":false,"isSpying":false,"language":"{}","recentTips":"{}","#,
            r#""subgender":"","username":"{}"}}"#
        ),
        groups[(i % 7) as usize],
        i.is_multiple_of(5),
        ["m", "f", "t", "c"][(i % 4) as usize],
        i.is_multiple_of(2),
        !i.is_multiple_of(3),
        i.is_multiple_of(11),
        i.is_multiple_of(6),
        i.is_multiple_of(29),
        langs[(i % 7) as usize],
        tips[(i % 5) as usize],
        name
    )
}

/// The id of event number `n` (0-based): a plausible millisecond timestamp and a sequence number.
pub fn id(n: u64) -> String {
    format!("{}-{}", START_MS + n / 2 * 7, n % 2)
}

/// Event number `n` as compact JSON, cycling through the common kinds (chat, tips incl. anonymous and
/// tip-menu text, enters/leaves, follows, a private message, a media purchase, a subject change).
pub fn event(n: u64) -> String {
    let name = format!("viewer_{:05}", n % 3001);
    let u = user(&name, n);
    let b = r#""broadcaster":"test_room""#;
    let (method, object) = match n % 16 {
        0..=4 => (
            "chatMessage",
            format!(
                r##"{{{b},"message":{{"bgColor":null,"color":"#494949","font":"default","message":"message number {n} from {name} 🎉","orig":null}},"user":{u}}}"##
            ),
        ),
        5 | 6 => ("userEnter", format!(r#"{{{b},"user":{u}}}"#)),
        7 => ("userLeave", format!(r#"{{{b},"user":{u}}}"#)),
        8 => (
            "tip",
            format!(
                r#"{{{b},"tip":{{"isAnon":false,"message":"| thanks {n}","tokens":{}}},"user":{u}}}"#,
                n % 97 + 1
            ),
        ),
        9 => (
            "tip",
            format!(r#"{{{b},"tip":{{"isAnon":true,"message":"","tokens":25}},"user":{u}}}"#),
        ),
        10 => ("follow", format!(r#"{{{b},"user":{u}}}"#)),
        11 => (
            "privateMessage",
            format!(
                r#"{{{b},"message":{{"bgColor":null,"color":"","font":"default","fromUser":"{name}","message":"pm {n}","orig":null,"toUser":"test_room"}},"user":{u}}}"#
            ),
        ),
        12 => (
            "mediaPurchase",
            format!(
                r#"{{{b},"media":{{"id":{n},"name":"photoset {n}","tokens":30,"type":"photos"}},"user":{u}}}"#
            ),
        ),
        13 => (
            "roomSubjectChange",
            format!(r#"{{{b},"subject":"Goal {n}: dance #fun"}}"#),
        ),
        14 => ("unfollow", format!(r#"{{{b},"user":{u}}}"#)),
        _ => ("fanclubJoin", format!(r#"{{{b},"user":{u}}}"#)),
    };
    format!(
        r#"{{"method":"{method}","object":{object},"id":"{}"}}"#,
        id(n)
    )
}

pub fn many(count: u64) -> Vec<String> {
    (0..count).map(event).collect()
}
