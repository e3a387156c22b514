//! Layering (built-in default → file → environment → --set), NO_COLOR, and the key map merged over the
//! defaults, through the public `config::load`.

mod config_support;
use config_support::fixture;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use roomwatch::app::keymap::{KeyChord, KeyMap, Mode};
use roomwatch::app::settings::{Currency, Settings, ThemeName, TipGoal};
use roomwatch::app::{update, Action, Msg, State};
use roomwatch::config::{load, LoadOptions};
use roomwatch::event::SourceKind;
use std::path::PathBuf;
use std::time::Duration;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn with_file(name: &str) -> LoadOptions {
    LoadOptions {
        config_file: Some(fixture(name)),
        ..LoadOptions::default()
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn the_file_changes_only_what_it_names() {
    let c = load(&with_file("good.toml")).unwrap();
    let s = &c.settings;
    assert!(!s.bell);
    assert_eq!(s.tip_alert_min, 50);
    assert_eq!(s.alert_cooldown, Duration::from_secs(30));
    assert_eq!(s.theme, ThemeName::Light);
    assert_eq!(
        s.tip_goal,
        Some(TipGoal {
            tokens: 5000,
            label: "Oil show".into()
        })
    );
    let d = Settings::default();
    assert_eq!(s.history_per_pane, d.history_per_pane);
    assert_eq!(s.timestamp_format, d.timestamp_format);
    assert_eq!(s.currency, None);
    assert_eq!(c.paths.config_file, Some(fixture("good.toml")));
    // A relative path in a file is relative to that file.
    assert_eq!(c.paths.summary_dir, Some(fixture("sessions-here")));
}

#[test]
fn environment_overrides_the_file_and_set_overrides_the_environment() {
    let mut opts = with_file("good.toml");
    opts.env = env(&[
        ("ROOMWATCH_BELL", "true"),
        ("ROOMWATCH_TIP_ALERT_MIN", "75"),
        ("ROOMWATCH_THEME", "mono"),
        ("ROOMWATCH_TIP_GOAL_TOKENS", "9000"),
        ("ROOMWATCH_CURRENCY_PER_TOKEN", "0.05"),
        ("ROOMWATCH_SUMMARY_DIR", "/env/sessions"),
        ("UNRELATED", "x"),
    ]);
    let c = load(&opts).unwrap();
    assert!(c.settings.bell);
    assert_eq!(c.settings.tip_alert_min, 75);
    assert_eq!(c.settings.theme, ThemeName::Mono);
    // The label from the file survives an env layer that sets only the amount.
    assert_eq!(
        c.settings.tip_goal,
        Some(TipGoal {
            tokens: 9000,
            label: "Oil show".into()
        })
    );
    assert_eq!(
        c.settings.currency,
        Some(Currency {
            per_token: 0.05,
            symbol: "$".into()
        })
    );
    assert_eq!(c.paths.summary_dir, Some(PathBuf::from("/env/sessions")));

    opts.sets = vec![
        "tip_alert_min=500".into(),
        "theme=dark".into(),
        "tip_goal.label=Big goal".into(),
        "alert_cooldown=2m".into(),
    ];
    opts.summary_dir = Some(PathBuf::from("/cli/sessions"));
    let c = load(&opts).unwrap();
    assert_eq!(c.settings.tip_alert_min, 500);
    assert_eq!(c.settings.theme, ThemeName::Dark);
    assert_eq!(c.settings.alert_cooldown, Duration::from_secs(120));
    assert_eq!(c.settings.tip_goal.as_ref().unwrap().label, "Big goal");
    assert_eq!(c.paths.summary_dir, Some(PathBuf::from("/cli/sessions")));
}

#[test]
fn no_color_wins_over_every_layer() {
    let mut opts = with_file("good.toml");
    opts.sets = vec!["theme=dark".into()];
    opts.env = env(&[("NO_COLOR", "1")]);
    assert_eq!(load(&opts).unwrap().settings.theme, ThemeName::Mono);
    // An empty NO_COLOR does not count (no-color.org).
    opts.env = env(&[("NO_COLOR", "")]);
    assert_eq!(load(&opts).unwrap().settings.theme, ThemeName::Dark);
}

#[test]
fn key_overrides_merge_over_the_defaults() {
    let km = load(&with_file("good.toml")).unwrap().settings.keymap;
    // Overridden: pause moved from p to x (space kept); marker moved from m to p.
    assert_eq!(
        km.lookup(Mode::Normal, &key('x')),
        Some(Action::TogglePause)
    );
    assert_eq!(
        km.lookup(Mode::Normal, &key(' ')),
        Some(Action::TogglePause)
    );
    assert_eq!(km.lookup(Mode::Normal, &key('p')), Some(Action::Mark));
    assert_eq!(km.lookup(Mode::Normal, &key('m')), None);
    // Not named: defaults kept.
    assert_eq!(km.lookup(Mode::Normal, &key('q')), Some(Action::Quit));
    assert_eq!(km.lookup(Mode::Help, &key('q')), Some(Action::Cancel));
    assert_eq!(km.conflicts(), vec![]);
}

#[test]
fn help_rows_list_the_effective_bindings() {
    let km = load(&with_file("good.toml")).unwrap().settings.keymap;
    let rows = km.help_rows(Mode::Normal);
    let row = |desc: &str| {
        rows.iter()
            .find(|(_, d)| d.starts_with(desc))
            .map(|(k, _)| k.clone())
    };
    assert_eq!(row("pause / resume").as_deref(), Some("x / Space"));
    assert_eq!(row("drop a marker").as_deref(), Some("p"));
    assert_eq!(row("quit").as_deref(), Some("q / Ctrl+c"));
    assert_eq!(
        km.hint(Mode::Normal, Action::TogglePause).as_deref(),
        Some("x")
    );

    let defaults = KeyMap::default().help_rows(Mode::Normal);
    assert!(defaults
        .iter()
        .any(|(k, d)| k == "p / Space" && d.starts_with("pause")));
}

/// The pause banner names the keys that resume in the effective map, not the defaults.
#[test]
fn the_pause_banner_names_the_remapped_keys() {
    let settings = load(&with_file("good.toml")).unwrap().settings;
    let t = chrono::Utc::now();
    let mut state = State::with_settings("room", SourceKind::Simulator, t, settings);
    update(&mut state, Msg::Action(Action::TogglePause), t);
    let banner = roomwatch::ui::status::banner(&state).expect("a banner while paused");
    assert!(banner.ends_with("x / End resumes"), "{banner}");

    let mut defaults = State::new("room", SourceKind::Simulator, t);
    update(&mut defaults, Msg::Action(Action::TogglePause), t);
    let banner = roomwatch::ui::status::banner(&defaults).unwrap();
    assert!(banner.ends_with("p / End resumes"), "{banner}");
}

#[test]
fn the_default_key_map_has_no_conflicts_in_any_mode() {
    let km = load(&LoadOptions {
        config_file: Some(PathBuf::from("/dev/null")),
        ..LoadOptions::default()
    })
    .unwrap()
    .settings
    .keymap;
    assert_eq!(km, KeyMap::default());
    assert_eq!(km.conflicts(), vec![]);
    for mode in Mode::ALL {
        assert!(!km.help_rows(mode).is_empty(), "{mode:?}");
    }
}

#[test]
fn an_empty_list_unbinds_and_frees_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[keys.normal]\npause = []\nmarker = [\"p\"]\nquit = \"Q\"\n",
    )
    .unwrap();
    let km = load(&LoadOptions {
        config_file: Some(path),
        ..LoadOptions::default()
    })
    .unwrap()
    .settings
    .keymap;
    assert!(km.keys_for(Mode::Normal, Action::TogglePause).is_empty());
    assert_eq!(km.lookup(Mode::Normal, &key('p')), Some(Action::Mark));
    // A single key may be written without brackets.
    assert_eq!(
        km.keys_for(Mode::Normal, Action::Quit),
        &[KeyChord::parse("Q").unwrap()]
    );
    assert!(!km
        .help_rows(Mode::Normal)
        .iter()
        .any(|(_, d)| d.starts_with("pause")));
}

#[test]
fn print_default_is_a_valid_config_equal_to_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, roomwatch::config::DEFAULT_TOML).unwrap();
    let c = load(&LoadOptions {
        config_file: Some(path),
        ..LoadOptions::default()
    })
    .unwrap();
    assert_eq!(c.settings, Settings::default());
}

#[test]
fn environment_booleans_durations_and_home_paths() {
    let opts = LoadOptions {
        config_file: Some(PathBuf::from("/dev/null")),
        env: env(&[
            ("ROOMWATCH_PM_ALERT", "no"),
            ("ROOMWATCH_SMART_VIEWERS", "0"),
            ("ROOMWATCH_STALE_AFTER", "90"),
            ("ROOMWATCH_AUTOSAVE_EVERY", "1h30m"),
            ("ROOMWATCH_JOURNAL_DIR", "~/rw/journals"),
            ("ROOMWATCH_CREDENTIALS_FILE", "/secure/url"),
        ]),
        ..LoadOptions::default()
    };
    let c = load(&opts).unwrap();
    assert!(!c.settings.pm_alert);
    assert!(!c.settings.smart_viewers);
    assert_eq!(c.settings.stale_after, Duration::from_secs(90));
    assert_eq!(c.settings.autosave_every, Duration::from_secs(5400));
    let home = directories::BaseDirs::new()
        .unwrap()
        .home_dir()
        .to_path_buf();
    assert_eq!(c.paths.journal_dir, Some(home.join("rw/journals")));
    assert_eq!(c.paths.credentials_file, Some(PathBuf::from("/secure/url")));
}
