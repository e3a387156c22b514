//! `roomwatch config`, `completions` and `man`.

mod config_support;
use clap::CommandFactory;
use config_support::{roomwatch, stderr};

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path()).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout.clone()).unwrap(),
        stderr(&out),
    )
}

#[test]
fn the_command_line_definition_is_consistent() {
    roomwatch::cli::Cli::command().debug_assert();
}

#[test]
fn print_default_prints_the_embedded_file() {
    let (code, out, _) = run(&["config", "--print-default"]);
    assert_eq!(code, Some(0));
    assert_eq!(out, include_str!("../assets/config.toml"));
}

#[test]
fn path_follows_the_xdg_config_dir_and_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let out = roomwatch(home.path())
        .args(["config", "--path"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        format!(
            "{}\n",
            home.path().join("config/roomwatch/config.toml").display()
        )
    );
    let (_, out, _) = run(&["config", "--path", "--config", "/etc/rw.toml"]);
    assert_eq!(out, "/etc/rw.toml\n");
}

#[test]
fn config_needs_one_question() {
    let (code, _, err) = run(&["config"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--path"), "{err}");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef roomwatch"),
        ("fish", "complete -c roomwatch"),
    ] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {err}");
        assert!(out.contains(marker), "{shell}");
        for word in ["demo", "chaturbate", "replay", "max-events", "log-level"] {
            assert!(out.contains(word), "{shell} lacks {word}");
        }
    }
    let (code, _, _) = run(&["completions", "tcsh"]);
    assert_eq!(code, Some(2));
}

#[test]
fn man_page_documents_commands_environment_and_exit_codes() {
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with(".ie") || out.starts_with(".TH"),
        "{}",
        &out[..80]
    );
    for needle in [
        ".TH roomwatch 1",
        ".SH \"ROOMWATCH DEMO\"",
        ".SH \"ROOMWATCH CHATURBATE\"",
        ".SH \"ROOMWATCH REPLAY\"",
        "\\-\\-testbed",
        ".SH ENVIRONMENT",
        "CB_EVENTS_URL",
        "ROOMWATCH_BELL=false",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(out.contains(needle), "man page lacks {needle}");
    }
}
