//! The layers only look down (docs/architecture.md): a check over the source text, so an upward `use` fails
//! `cargo test` instead of waiting for a review. Test code (after `#[cfg(test)]`, and `*tests.rs` files) may
//! reach anywhere.

use std::path::{Path, PathBuf};

/// (folder under `src/`, paths its non-test code must not name, why).
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "app",
        &[
            "crate::ui",
            "crate::run",
            "crate::effects",
            "crate::sources::chaturbate",
            "crate::sources::twitch",
        ],
        "the reducer knows no view, runner, file or platform",
    ),
    (
        "event",
        &[
            "crate::ui",
            "crate::run",
            "crate::app",
            "crate::effects",
            "crate::sources",
        ],
        "the event model is the bottom layer",
    ),
    (
        "sources",
        &["crate::ui", "crate::run", "crate::effects", "crate::app"],
        "sources only send messages",
    ),
    (
        "effects",
        &["crate::ui", "crate::run"],
        "files are written from the state, not from the view",
    ),
    (
        "api",
        &["crate::ui", "crate::run", "crate::effects", "crate::app"],
        "the server asks the runner; it never reads the state",
    ),
    (
        "config",
        &["crate::ui", "crate::run", "crate::effects"],
        "the config is read before anything runs",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's text up to its first `#[cfg(test)]` (empty for a file of tests).
fn production_text(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[test]
fn no_layer_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (folder, forbidden, why) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(folder), &mut files);
        assert!(!files.is_empty(), "no files under src/{folder}");
        for file in files {
            let text = production_text(&file);
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for f in *forbidden {
                    if code.contains(f) {
                        broken.push(format!("{}:{}: {f} ({why})", file.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "upward imports:\n{}", broken.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.rs");
    std::fs::write(
        &file,
        "use crate::ui::view;\n#[cfg(test)]\nuse crate::run;\n",
    )
    .unwrap();
    let text = production_text(&file);
    assert!(text.contains("crate::ui") && !text.contains("crate::run"));
}
