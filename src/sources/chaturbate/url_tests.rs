use super::*;

const TOKEN: &str = "UrlTestTokenAbcdef123456";

fn prod() -> String {
    format!("https://eventsapi.chaturbate.com/events/alice/{TOKEN}/")
}

#[test]
fn accepted_forms() {
    let u = EventsUrl::parse(&prod(), false).unwrap();
    assert_eq!(u.room(), "alice");
    assert_eq!(u.host_kind(), HostKind::Production);
    let t = EventsUrl::parse(
        &format!("https://events.testbed.cb.dev/events/bob/{TOKEN}"),
        true,
    )
    .unwrap();
    assert_eq!(t.host_kind(), HostKind::Testbed);
    assert_eq!(t.room(), "bob");
    for local in [
        format!("http://127.0.0.1:8080/events/carol/{TOKEN}/"),
        format!("http://127.9.9.9/events/carol/{TOKEN}/"),
        format!("http://localhost:1/events/carol/{TOKEN}/"),
        format!("http://[::1]:9/events/carol/{TOKEN}/"),
    ] {
        for testbed in [false, true] {
            let u = EventsUrl::parse(&local, testbed).unwrap();
            assert_eq!(u.host_kind(), HostKind::Loopback, "{local}");
        }
    }
}

#[test]
fn each_wrong_form_has_its_own_message() {
    let cases = [
        (
            format!("http://eventsapi.chaturbate.com/events/alice/{TOKEN}/"),
            UrlError::HttpOnPublicHost,
        ),
        (
            format!("https://evil.example.com/events/alice/{TOKEN}/"),
            UrlError::WrongHost("evil.example.com".into()),
        ),
        (
            format!("http://10.0.0.1/events/alice/{TOKEN}/"),
            UrlError::HttpOnPublicHost,
        ),
        (
            format!("https://eventsapi.chaturbate.com:8443/events/alice/{TOKEN}/"),
            UrlError::PortNotAllowed("eventsapi.chaturbate.com".into()),
        ),
        (
            "https://eventsapi.chaturbate.com/events/alice/".into(),
            UrlError::MissingToken,
        ),
        (
            "https://eventsapi.chaturbate.com/events/".into(),
            UrlError::MissingUser,
        ),
        (
            format!("https://eventsapi.chaturbate.com/events/alice/{TOKEN}/more"),
            UrlError::ExtraPath,
        ),
        (
            format!("https://eventsapi.chaturbate.com/api/alice/{TOKEN}/"),
            UrlError::WrongPath,
        ),
        ("not a url".into(), UrlError::NotAUrl),
        (
            format!("ftp://127.0.0.1/events/alice/{TOKEN}/"),
            UrlError::WrongScheme("ftp".into()),
        ),
        (
            format!("https://me:pw@eventsapi.chaturbate.com/events/alice/{TOKEN}/"),
            UrlError::UserInfo,
        ),
        (
            format!("https://events.testbed.cb.dev/events/alice/{TOKEN}/"),
            UrlError::TestbedWithoutFlag,
        ),
    ];
    for (url, want) in cases {
        let got = EventsUrl::parse(&url, false).unwrap_err();
        assert_eq!(got, want, "{url}");
        let text = got.to_string();
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains('\n'));
    }
    assert_eq!(
        EventsUrl::parse(&prod(), true).unwrap_err(),
        UrlError::ProductionWithTestbedFlag
    );
}

#[test]
fn debug_and_display_mask_the_token() {
    let u = EventsUrl::parse(&prod(), false).unwrap();
    for text in [
        format!("{u:?}"),
        format!("{}", u.configured()),
        format!("{:?}", u.configured()),
        format!("{:?}", u.poll_url(Some("1-0"), 30)),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("***"), "{text}");
    }
}

#[test]
fn query_is_merged_with_cursor_and_timeout() {
    let u = EventsUrl::parse(&prod(), false).unwrap();
    let p = u.poll_url(None, 30);
    assert_eq!(p.expose().query(), Some("timeout=30"));
    assert_eq!(p.long_poll_timeout_s(), 30);
    let p = u.poll_url(Some("1625274862454-0"), 30);
    assert_eq!(p.expose().query(), Some("i=1625274862454-0&timeout=30"));
    assert_eq!(p.cursor().as_deref(), Some("1625274862454-0"));

    let own = EventsUrl::parse(&format!("{}?timeout=5&x=1&i=old", prod()), false).unwrap();
    let p = own.poll_url(Some("9-1"), 30);
    assert_eq!(p.expose().query(), Some("timeout=5&x=1&i=9-1"));
    assert_eq!(p.long_poll_timeout_s(), 5);
    // Without a cursor of roomwatch's own, the configured one stays.
    assert_eq!(own.poll_url(None, 30).cursor().as_deref(), Some("old"));
}

#[test]
fn next_url_same_origin_rule() {
    let u = EventsUrl::parse(
        &format!("http://127.0.0.1:4000/events/alice/{TOKEN}/"),
        false,
    )
    .unwrap();
    let ok = u
        .resolve_next(&format!(
            "http://127.0.0.1:4000/events/alice/{TOKEN}/?i=2-0&timeout=10"
        ))
        .unwrap();
    assert_eq!(ok.cursor().as_deref(), Some("2-0"));
    let rel = u.resolve_next("/events/alice/x/?i=3-0").unwrap();
    assert_eq!(
        rel.expose().as_str(),
        "http://127.0.0.1:4000/events/alice/x/?i=3-0"
    );
    let rel2 = u.resolve_next("?i=4-0&timeout=10").unwrap();
    assert_eq!(rel2.cursor().as_deref(), Some("4-0"));
    for bad in [
        "http://127.0.0.1:4001/events/alice/t/",
        "https://127.0.0.1:4000/events/alice/t/",
        "http://localhost:4000/events/alice/t/",
        "http://evil.example/events/alice/t/",
        "//evil.example/events/",
    ] {
        assert!(
            matches!(u.resolve_next(bad), Err(NextUrlRefused::ForeignOrigin(_))),
            "{bad}"
        );
    }
    // Same origin, but with a user name: refused for what it is, not as another origin (issue 9).
    let refused = u.resolve_next("http://x@127.0.0.1:4000/events/alice/t/");
    assert_eq!(refused, Err(NextUrlRefused::UserInfo));
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("user name or password"));
    let p = EventsUrl::parse(&prod(), false).unwrap();
    assert!(p
        .resolve_next("http://eventsapi.chaturbate.com/events/alice/t/")
        .is_err());
    assert!(p
        .resolve_next("https://eventsapi.chaturbate.com:443/events/alice/t/?i=1")
        .is_ok());
}

#[test]
fn percent_encoded_token_is_decoded_and_masked_both_ways() {
    let u = EventsUrl::parse(
        "https://eventsapi.chaturbate.com/events/alice/Enc%2FTokenValue99/",
        false,
    )
    .unwrap();
    assert!(u.token_is("Enc/TokenValue99"));
    let shown = format!("{}", u.configured());
    assert!(!shown.contains("TokenValue99"), "{shown}");
}

#[test]
fn huge_timeouts_are_read_as_the_api_maximum() {
    // `timeout=1e20` overflowed the deadline arithmetic and panicked the poller (issue 9).
    for (q, want) in [("1e20", 90), ("inf", 90), ("91", 90), ("-5", 0), ("2.5", 3)] {
        let u = EventsUrl::parse(&format!("{}?timeout={q}", prod()), false).unwrap();
        let p = u.poll_url(None, 30);
        assert_eq!(p.long_poll_timeout_s(), want, "{q}");
        assert_eq!(p.expose().query(), Some(format!("timeout={want}").as_str()));
        let next = u.resolve_next(&format!("?i=1-0&timeout={q}")).unwrap();
        assert_eq!(next.long_poll_timeout_s(), want, "{q}");
    }
    // Not a number: the default asked for, or the server's own default for a nextUrl.
    let u = EventsUrl::parse(&format!("{}?timeout=NaN", prod()), false).unwrap();
    assert_eq!(u.poll_url(None, 30).long_poll_timeout_s(), 30);
    assert_eq!(
        u.resolve_next("?timeout=NaN")
            .unwrap()
            .long_poll_timeout_s(),
        10
    );
    let u = EventsUrl::parse(&prod(), false).unwrap();
    assert_eq!(u.poll_url(None, 1000).long_poll_timeout_s(), 90);
}

#[test]
fn starting_over_drops_a_configured_cursor() {
    // A configured `i=` that the server refuses must not be rebuilt for ever (issue 9).
    let u = EventsUrl::parse(&format!("{}?i=bad-0&x=1", prod()), false).unwrap();
    assert_eq!(u.poll_url(None, 30).cursor().as_deref(), Some("bad-0"));
    let fresh = u.poll_url_from_start(30);
    assert_eq!(fresh.cursor(), None);
    assert_eq!(fresh.expose().query(), Some("x=1&timeout=30"));
}

#[test]
fn an_overlong_next_url_is_refused() {
    let u = EventsUrl::parse(
        &format!("http://127.0.0.1:4000/events/alice/{TOKEN}/"),
        false,
    )
    .unwrap();
    let long = format!("?i={}", "9".repeat(100 * 1024));
    assert_eq!(u.resolve_next(&long), Err(NextUrlRefused::TooLong));
    assert!(u.resolve_next("?i=1-0&timeout=10").is_ok());
}
