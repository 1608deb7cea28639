//! `een-gallery user …`, the real binary: the users file it writes, the passwords it reads
//! from stdin, and its refusals.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use een_gallery::auth::{Role, Users};
use secrecy::SecretString;

/// Runs `een-gallery user ARGS` with DATA_DIR `dir` and `stdin`; exit status and output.
fn user(dir: &Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_een-gallery"))
        .arg("user")
        .args(args)
        .env("DATA_DIR", dir)
        .env_remove("AUTH_USERS_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("it ends");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn users_are_added_listed_changed_and_removed_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("een-user-cli-{}", rand::random::<u64>()));
    let (ok, out) = user(
        &dir,
        &["add", "alice", "--role", "admin"],
        "correct horse\n",
    );
    assert!(ok, "{out}");
    assert!(!out.contains("correct horse"), "{out}");
    let (ok, out) = user(&dir, &["add", "bob"], "battery staple\n");
    assert!(ok, "{out}");
    let (ok, out) = user(&dir, &["list"], "");
    assert!(ok, "{out}");
    assert_eq!(out, "alice\tadmin\nbob\tviewer\n");

    let users = Users::load(&dir.join("users")).expect("the file parses");
    let secret = |s: &str| SecretString::from(s.to_owned());
    assert_eq!(
        users
            .verify("alice", &secret("correct horse"))
            .map(|u| u.role),
        Some(Role::Admin)
    );

    let (ok, out) = user(&dir, &["add", "alice"], "whatever else\n");
    assert!(!ok && out.contains("exists already"), "{out}");
    let (ok, out) = user(&dir, &["add", "carol"], "short\n");
    assert!(!ok && out.contains("8 to 1024 characters"), "{out}");
    let (ok, out) = user(&dir, &["passwd", "alice"], "a new password\n");
    assert!(ok, "{out}");
    let users = Users::load(&dir.join("users")).expect("the file parses");
    assert!(users.verify("alice", &secret("correct horse")).is_none());
    assert!(users.verify("alice", &secret("a new password")).is_some());
    let (ok, out) = user(&dir, &["remove", "bob"], "");
    assert!(ok, "{out}");
    let (ok, out) = user(&dir, &["remove", "bob"], "");
    assert!(!ok && out.contains("no user bob"), "{out}");
    let (_, out) = user(&dir, &["list"], "");
    assert_eq!(out, "alice\tadmin\n");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
