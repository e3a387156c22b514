//! A broken config stops the binary with exit code 2 and one line naming the file, the line, the key and what
//! is allowed.

mod config_support;
use config_support::{demo_args, fixture, roomwatch, stderr};

/// Runs a demo session with `--config FIXTURE`; returns the exit code and stderr.
fn run_with(name: &str) -> (Option<i32>, String) {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .arg("--config")
        .arg(fixture(name))
        .output()
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "no event may be emitted before the config is valid"
    );
    (out.status.code(), stderr(&out))
}

fn expect(name: &str, line: usize, rest: &str) {
    let (code, err) = run_with(name);
    let expected = format!(
        "roomwatch: config error at {} line {line}: {rest}\n",
        fixture(name).display()
    );
    assert_eq!(err, expected);
    assert_eq!(code, Some(2), "{name}");
}

#[test]
fn unknown_key_lists_the_known_keys() {
    expect(
        "unknown_key.toml",
        3,
        "`tip_alert_mni`: unknown key; allowed: bell, tip_alert_min, pm_alert, alert_cooldown, history_per_pane, \
         smart_viewers, timestamp_format, theme, max_fps, stale_after, autosave_every, credentials_file, data_dir, \
         summary_dir, journal_dir, log_dir, tip_goal, currency, twitch, keys, rooms, watch (see `roomwatch config --print-default`)",
    );
}

#[test]
fn unknown_key_in_a_table_is_named_with_its_table() {
    expect(
        "unknown_key_in_table.toml",
        5,
        "`tip_goal.colour`: unknown key; allowed: tokens or label (see `roomwatch config --print-default`)",
    );
}

#[test]
fn bad_enum_value_lists_the_choices() {
    expect(
        "bad_theme.toml",
        1,
        "`theme`: \"purple\" is not a theme; allowed: \"dark\", \"light\", \"mono\"",
    );
}

#[test]
fn wrong_type() {
    expect(
        "bad_bool.toml",
        1,
        "`bell`: \"yes\" is not valid; allowed: true or false",
    );
}

#[test]
fn out_of_range_names_the_range() {
    expect(
        "out_of_range.toml",
        2,
        "`history_per_pane`: 10 is out of range; allowed: a whole number from 100 to 1000000",
    );
}

#[test]
fn bad_duration() {
    expect(
        "bad_duration.toml",
        1,
        "`alert_cooldown`: \"ten seconds\" is not a duration; allowed: a number of seconds (e.g. 30) or a \
         duration string like \"30s\", \"5m\", \"1h30m\"",
    );
}

#[test]
fn bad_timestamp_format() {
    expect(
        "bad_timestamp.toml",
        1,
        "`timestamp_format`: \"%H:%Q\" is not a valid time format; allowed: a strftime format, e.g. \
         \"%H:%M:%S\" or \"%H:%M\"",
    );
}

#[test]
fn bad_key_name() {
    expect(
        "bad_key.toml",
        2,
        "`keys.normal.pause`: \"hyper+q\" is not a key; allowed: key names like \"q\", \"G\", \"?\", \"space\", \
         \"ctrl+c\", \"alt+x\", \"shift+tab\", \"pgup\", \"f1\", \"esc\"",
    );
}

#[test]
fn bad_action_name_lists_the_actions() {
    let (code, err) = run_with("bad_action.toml");
    assert_eq!(code, Some(2));
    let head = format!(
        "roomwatch: config error at {} line 3: `keys.normal.launch_rockets`: is not an action; allowed: quit, \
         pause, jump_to_live, ",
        fixture("bad_action.toml").display()
    );
    assert!(err.starts_with(&head), "{err}");
    assert!(err.trim_end().ends_with("help, confirm, cancel"), "{err}");
}

#[test]
fn bad_mode() {
    expect(
        "bad_mode.toml",
        1,
        "`keys.nromal`: is not a mode; allowed: [keys.normal], [keys.input], [keys.help]",
    );
}

#[test]
fn key_conflict_names_the_key_both_actions_and_the_mode() {
    expect(
        "conflict.toml",
        3,
        "`keys.normal.marker`: key `p` is bound to pause and marker in [keys.normal]; allowed: one action per key \
         in a mode: give one of them another key, or unbind it with []",
    );
}

#[test]
fn toml_syntax_error_names_the_line_and_key() {
    let (code, err) = run_with("syntax.toml");
    assert_eq!(code, Some(2));
    let head = format!(
        "roomwatch: config error at {} line 2: `tip_alert_min`: not valid TOML: ",
        fixture("syntax.toml").display()
    );
    assert!(err.starts_with(&head), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn value_where_a_table_belongs() {
    expect(
        "table_expected.toml",
        1,
        "`tip_goal`: integer `5000` where a table belongs; allowed: a table: a [name] line, then its keys one per line",
    );
}

#[test]
fn a_missing_config_given_with_the_flag_is_an_error() {
    let (code, err) = run_with("does-not-exist.toml");
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        format!(
            "roomwatch: cannot read the config file {}: No such file or directory (os error 2); check the path \
             given with --config (`roomwatch config --print-default` prints a starting point)\n",
            fixture("does-not-exist.toml").display()
        )
    );
}

#[test]
fn a_missing_config_at_the_default_place_means_defaults() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

#[test]
fn env_and_set_errors_name_the_variable_or_argument() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .env("ROOMWATCH_TIP_ALERT_MIN", "lots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "roomwatch: config error at environment variable ROOMWATCH_TIP_ALERT_MIN: `tip_alert_min`: \"lots\" is \
         not valid; allowed: a whole number from 0 to 10000000\n"
    );

    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .args(["--set", "theme=neon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "roomwatch: config error at --set theme=neon: `theme`: \"neon\" is not a theme; allowed: \"dark\", \
         \"light\", \"mono\"\n"
    );

    let out = roomwatch(home.path())
        .args(demo_args(home.path()))
        .env("ROOMWATCH_BEL", "false")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "roomwatch: config error at environment variable ROOMWATCH_BEL: unknown variable; allowed: \
             ROOMWATCH_BELL, "
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_check_reports_the_same_error_and_ok() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(["config", "--check", "--config"])
        .arg(fixture("bad_theme.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 1: `theme`: \"purple\" is not a theme"));

    let out = roomwatch(home.path())
        .args(["config", "--check", "--config"])
        .arg(fixture("good.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("ok: {}\n", fixture("good.toml").display())
    );
}
