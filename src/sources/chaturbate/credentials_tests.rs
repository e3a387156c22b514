use super::*;

const TOKEN: &str = "CredTestTokenXyz987654321";

fn url() -> String {
    format!("http://127.0.0.1:9/events/dana/{TOKEN}/")
}

struct Scripted {
    answers: Vec<String>,
    save: bool,
    said: Vec<String>,
}

impl Prompt for Scripted {
    fn secret(&mut self, _q: &str) -> io::Result<String> {
        Ok(if self.answers.is_empty() {
            String::new()
        } else {
            self.answers.remove(0)
        })
    }
    fn confirm(&mut self, _q: &str) -> io::Result<bool> {
        Ok(self.save)
    }
    fn say(&mut self, line: &str) {
        self.said.push(line.to_string());
    }
}

fn no_prompt() -> Scripted {
    Scripted {
        answers: vec![],
        save: false,
        said: vec![],
    }
}

fn write_mode(path: &Path, text: &str, mode: u32) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn env_wins_and_is_validated() {
    let (u, origin) = resolve(
        Some(url()),
        &CredentialOptions::default(),
        false,
        &mut no_prompt(),
    )
    .unwrap();
    assert_eq!(u.room(), "dana");
    assert_eq!(origin, CredentialOrigin::Env);
    let err = resolve(
        Some(format!("http://example.com/events/dana/{TOKEN}/")),
        &CredentialOptions::default(),
        false,
        &mut no_prompt(),
    )
    .unwrap_err();
    assert!(err.0.starts_with("CB_EVENTS_URL: "), "{err}");
    assert!(!err.0.contains(TOKEN));
}

#[test]
fn file_must_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("url");
    write_mode(&path, &format!("# my room\n{}\n", url()), 0o644);
    let opts = CredentialOptions {
        file: Some(path.clone()),
        ..Default::default()
    };
    let err = resolve(None, &opts, false, &mut no_prompt()).unwrap_err();
    assert!(err.0.contains("chmod 600"), "{err}");
    assert!(!err.0.contains(TOKEN));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let (u, origin) = resolve(None, &opts, false, &mut no_prompt()).unwrap();
    assert_eq!(u.room(), "dana");
    assert_eq!(origin, CredentialOrigin::File(path));
}

#[test]
fn no_terminal_and_nothing_configured_says_to_set_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let opts = CredentialOptions {
        file: Some(dir.path().join("missing")),
        ..Default::default()
    };
    let err = resolve(None, &opts, false, &mut no_prompt()).unwrap_err();
    assert!(err.0.contains("CB_EVENTS_URL"), "{err}");
}

#[test]
fn prompt_validates_retries_and_saves_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let save_to = dir.path().join("sub").join("events_url");
    let opts = CredentialOptions {
        file: None,
        save_to: Some(save_to.clone()),
        testbed: false,
    };
    let mut p = Scripted {
        answers: vec![format!("https://wrong.example/events/dana/{TOKEN}/"), url()],
        save: true,
        said: vec![],
    };
    // `file: None` falls back to the default file only when it exists; make sure a prompt happens.
    let (u, origin) = match default_file().filter(|f| f.exists()) {
        Some(_) => return, // a developer machine with a saved URL: the prompt path is not reachable
        None => resolve(None, &opts, true, &mut p).unwrap(),
    };
    assert_eq!(origin, CredentialOrigin::Prompt);
    assert_eq!(u.room(), "dana");
    assert!(
        p.said.iter().any(|l| l.contains("host must be")),
        "{:?}",
        p.said
    );
    assert!(p.said.iter().all(|l| !l.contains(TOKEN)));
    let mode = fs::metadata(&save_to).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = read_file(&save_to, false).unwrap();
    assert_eq!(again.room(), "dana");
    assert!(again.token_is(TOKEN));
}
