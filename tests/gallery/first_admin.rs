//! Sign-in as configured (issue 14): secure by default with a real account (a first admin
//! with a random password, printed once), the demo open without users, `AUTH=none` open,
//! `AUTH=proxy` refused without trusted proxies.

use clap::Parser;
use een_gallery::config::Config;
use een_gallery::server::access;
use secrecy::SecretString;

use crate::support::connect::temp_dir;
use crate::support::logs::Capture;
use crate::support::signin::write_users;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

fn config(args: &[&str]) -> Config {
    let args = std::iter::once("een-gallery").chain(args.iter().copied());
    Cli::try_parse_from(args).expect("valid flags").config
}

/// The value of the log's `password=` field.
fn logged_password(text: &str) -> Option<String> {
    let rest = &text[text.find("password=")? + "password=".len()..];
    let value: String = rest
        .trim_start_matches('"')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (!value.is_empty()).then_some(value)
}

#[tokio::test(flavor = "current_thread")]
async fn the_first_admin_is_made_once_and_its_password_works() {
    let logs = Capture::install("info");
    let dir = temp_dir("first-admin");
    let config = config(&["--data-dir", dir.to_str().unwrap()]);

    let first = access::auth(&config, false).expect("starts");
    assert!(first.has_sign_in(), "a real account is not open by default");
    let text = logs.text();
    assert_eq!(text.matches("created the first admin").count(), 1, "{text}");
    let password = logged_password(&text).expect("the password is shown");
    assert_eq!(password.len(), 24);

    // A restart finds the admin and shows no password again.
    let second = access::auth(&config, false).expect("starts again");
    let text = logs.text();
    assert_eq!(text.matches("created the first admin").count(), 1, "{text}");
    assert_eq!(text.matches(&password).count(), 1, "printed exactly once");

    let session = second
        .sign_in(None, "admin", SecretString::from(password.clone()))
        .await;
    assert!(session.is_ok(), "the printed password signs in");
    assert!(
        second
            .sign_in(None, "admin", SecretString::from("not it at all"))
            .await
            .is_err()
    );
    let users = std::fs::read_to_string(dir.join("users")).unwrap();
    assert!(users.starts_with("admin:admin:$argon2id$"), "{users}");
    assert!(!users.contains(&password), "only the hash is kept");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_demo_is_open_without_users_and_signs_in_with_them() {
    let dir = temp_dir("demo-users");
    let config = config(&["--data-dir", dir.to_str().unwrap()]);
    assert!(access::auth(&config, true).unwrap().is_open());
    assert!(!dir.join("users").exists(), "no admin is made for the demo");
    write_users(&dir.join("users"));
    assert!(access::auth(&config, true).unwrap().has_sign_in());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn auth_none_is_open_and_proxy_mode_needs_trusted_proxies() {
    let dir = temp_dir("auth-modes");
    let data_dir = dir.to_str().unwrap();
    let open = access::auth(&config(&["--data-dir", data_dir, "--auth", "none"]), false).unwrap();
    assert!(open.is_open() && open.metrics_open());
    assert!(!dir.join("users").exists(), "AUTH=none makes no admin");

    let proxy = config(&["--data-dir", data_dir, "--auth", "proxy"]);
    let refused = access::auth(&proxy, false).unwrap_err();
    assert!(
        refused.to_string().contains("AUTH_TRUSTED_PROXIES"),
        "{refused}"
    );
    let proxy = config(&[
        "--data-dir",
        data_dir,
        "--auth",
        "proxy",
        "--auth-trusted-proxies",
        "127.0.0.1, 10.0.0.0/8",
    ]);
    let auth = access::auth(&proxy, false).unwrap();
    assert!(!auth.is_open() && !auth.has_sign_in());
    let garbage = config(&["--auth", "proxy", "--auth-trusted-proxies", "10.0.0.0/40"]);
    assert!(access::auth(&garbage, false).is_err());
}
