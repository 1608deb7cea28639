//! Sign-in (issue 14), over real HTTP: strangers get no camera data, a good sign-in gets
//! everything, failures look alike and are rate-limited, sign-out ends the session here,
//! forms need their token, proxies are believed only from trusted addresses, and nothing
//! secret reaches the log.

use std::time::{Duration, Instant};

use een_gallery::auth::{
    Auth, Lifetimes, ProxyHeaders, Role, TrustedProxies, Users, limit::MAX_FAILURES,
};
use een_gallery::gallery::views::image_href;
use scraper::Html;
use secrecy::SecretString;

use crate::support::gallery::{attrs, sel};
use crate::support::logs::Capture;
use crate::support::signin::{ADMIN, Door, VIEWER, cookie_pair, location, set_cookie};

/// A camera's id, name and one of its image paths.
async fn camera(door: &Door) -> (String, String, String) {
    let camera = door.app.online_camera();
    let esn = camera.esn.clone().expect("attached");
    let newest = door.app.newest_timestamps(&esn, 1).await[0];
    let image = image_href("", &esn.parse().expect("an ESN"), newest);
    (esn, camera.name, image)
}

#[tokio::test]
async fn strangers_get_no_camera_data() {
    let door = Door::start().await;
    let (esn, name, image) = camera(&door).await;

    let grid = door.get("/", None).await;
    assert_eq!(grid.status(), 303);
    assert_eq!(location(&grid), "/login?next=%2F");
    let page = door.get(&format!("/cameras/{esn}?before=x"), None).await;
    assert_eq!(page.status(), 303);
    assert_eq!(
        location(&page),
        format!("/login?next=%2Fcameras%2F{esn}%3Fbefore%3Dx")
    );
    for path in [image.clone(), format!("/cameras/{esn}/preview.jpg")] {
        let answer = door.get(&path, None).await;
        assert_eq!(answer.status(), 401, "{path}");
        assert_ne!(answer.headers()["content-type"], "image/jpeg", "{path}");
        assert!(!answer.text().await.unwrap().contains(&name), "{path}");
    }
    let metrics = door.get("/metrics", None).await;
    assert_eq!(metrics.status(), 401);
    assert!(!metrics.text().await.unwrap().contains("een_gallery_"));
    // A session id that was never issued is nobody.
    let forged = door.get("/", Some("een_session=AAAA")).await;
    assert_eq!(forged.status(), 303);

    // The probes stay open and say nothing about cameras.
    for probe in ["/healthz", "/readyz"] {
        let answer = door.get(probe, None).await;
        assert_eq!(answer.status(), 200, "{probe}");
        assert!(!answer.text().await.unwrap().contains(&name), "{probe}");
    }
}

#[tokio::test]
async fn a_good_sign_in_reaches_the_page_first_asked_for_and_the_images() {
    let door = Door::start().await;
    let (esn, name, image) = camera(&door).await;
    let (form_cookie, token) = door.login_form().await;
    let login = set_cookie(&door.get("/login", None).await, "een_login").unwrap();
    assert!(
        login.contains("HttpOnly") && login.contains("SameSite=Strict"),
        "{login}"
    );
    assert!(login.contains("Path=/login"), "{login}");

    let next = format!("/cameras/{esn}");
    let answer = door
        .post_login(
            Some(&form_cookie),
            &[
                ("csrf", &token),
                ("user", VIEWER.0),
                ("password", VIEWER.1),
                ("next", &next),
            ],
            None,
        )
        .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), next);
    let cookie = set_cookie(&answer, "een_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let session = cookie_pair(&answer, "een_session").unwrap();

    let page = door.get(&next, Some(&session)).await;
    assert_eq!(page.status(), 200);
    let html = Html::parse_document(&page.text().await.unwrap());
    assert!(html.root_element().text().any(|t| t.contains(&name)));
    assert_eq!(
        attrs(&html, "#account-name", "id").len(),
        1,
        "the header names the user"
    );
    assert!(
        attrs(&html, "#admin-link", "href").is_empty(),
        "a viewer has no admin link"
    );
    let grid = door.get("/", Some(&session)).await;
    assert_eq!(grid.status(), 200);
    let tiles = Html::parse_document(&grid.text().await.unwrap())
        .select(&sel(".tile"))
        .count();
    assert!(tiles > 0, "the grid shows cameras");

    let jpeg = door.get(&image, Some(&session)).await;
    assert_eq!(jpeg.status(), 200);
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    let policy = jpeg.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(
        policy.starts_with("private"),
        "no shared cache keeps it: {policy}"
    );
    // Viewers do not read the metrics.
    assert_eq!(door.get("/metrics", Some(&session)).await.status(), 403);

    // Signed in, the sign-in page goes straight on.
    let again = door
        .get(&format!("/login?next=%2Fcameras%2F{esn}"), Some(&session))
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), next);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_answer_the_same() {
    let door = Door::start().await;
    let (cookie, token) = door.login_form().await;
    let mut answers = Vec::new();
    for (user, password) in [
        (VIEWER.0, "not the password"),
        ("nobody", "not the password"),
    ] {
        let started = Instant::now();
        let answer = door
            .post_login(
                Some(&cookie),
                &[("csrf", &token), ("user", user), ("password", password)],
                None,
            )
            .await;
        let took = started.elapsed();
        let status = answer.status();
        assert!(set_cookie(&answer, "een_session").is_none());
        // The name typed is shown again; apart from it the pages are the same.
        let body = answer
            .text()
            .await
            .unwrap()
            .replace(&format!("value=\"{user}\""), "value=\"NAME\"");
        answers.push((status, body, took));
    }
    assert_eq!(answers[0].0, 401);
    assert_eq!(answers[0].0, answers[1].0);
    assert_eq!(answers[0].1, answers[1].1);
    assert!(answers[0].1.contains("Wrong user name or password."));
    // Both hashed a password: neither is a fast path (not a timing goal: a floor).
    for (_, _, took) in &answers {
        assert!(*took > Duration::from_millis(1), "{took:?}");
    }
}

#[tokio::test]
async fn the_sixth_rapid_failure_answers_429_per_address_and_per_name() {
    let door = Door::start_with(|file| {
        Auth::users(
            file,
            Lifetimes::default(),
            "127.0.0.1".parse::<TrustedProxies>().unwrap(),
        )
    })
    .await;
    let (cookie, token) = door.login_form().await;
    let fail = |user: &'static str, forwarded: String| {
        let (cookie, token) = (cookie.clone(), token.clone());
        let door = &door;
        async move {
            door.post_login(
                Some(&cookie),
                &[("csrf", &token), ("user", user), ("password", "wrong")],
                Some(&forwarded),
            )
            .await
        }
    };
    // One address trying many names.
    for i in 0..MAX_FAILURES {
        let user = ["n1", "n2", "n3", "n4", "n5"][i as usize];
        assert_eq!(fail(user, "192.0.2.1".to_owned()).await.status(), 401);
    }
    let sixth = fail("n6", "192.0.2.1".to_owned()).await;
    assert_eq!(sixth.status(), 429);
    let wait: u64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    assert!(
        sixth
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins")
    );
    // Even the right password waits, from that address.
    let right = door
        .post_login(
            Some(&cookie),
            &[("csrf", &token), ("user", VIEWER.0), ("password", VIEWER.1)],
            Some("192.0.2.1"),
        )
        .await;
    assert_eq!(right.status(), 429);

    // Many addresses trying one name.
    for i in 0..MAX_FAILURES {
        let status = fail(ADMIN.0, format!("198.51.100.{i}")).await.status();
        assert_eq!(status, 401);
    }
    assert_eq!(
        fail(ADMIN.0, "198.51.100.200".to_owned()).await.status(),
        429
    );
    // Another name from another address is not held up.
    let other = door
        .post_login(
            Some(&cookie),
            &[("csrf", &token), ("user", VIEWER.0), ("password", VIEWER.1)],
            Some("203.0.113.9"),
        )
        .await;
    assert_eq!(other.status(), 303);
}

#[tokio::test]
async fn sign_out_ends_the_session_here_and_needs_the_form_token() {
    let door = Door::start().await;
    let (_, _, image) = camera(&door).await;
    let session = door.sign_in(ADMIN.0, ADMIN.1).await.expect("signed in");
    let token = door.form_token(&session).await;

    let forged = door.post("/logout", &session, &[("csrf", "forged")]).await;
    assert_eq!(forged.status(), 403, "no sign-out without the form's token");
    assert_eq!(door.get("/", Some(&session)).await.status(), 200);

    let out = door.post("/logout", &session, &[("csrf", &token)]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(location(&out), "/login");
    let cleared = set_cookie(&out, "een_session").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // Images seen signed in leave the browser's cache too.
    assert_eq!(out.headers()["clear-site-data"], "\"cache\"");
    // The old cookie is worth nothing now, wherever it was copied.
    assert_eq!(door.get("/", Some(&session)).await.status(), 303);
    assert_eq!(door.get(&image, Some(&session)).await.status(), 401);
    assert_eq!(door.get("/metrics", Some(&session)).await.status(), 401);
}

#[tokio::test]
async fn an_admin_reads_the_metrics_and_a_token_does_too() {
    let door = Door::start_with(|file| {
        Auth::users(file, Lifetimes::default(), TrustedProxies::default())
            .with_metrics_token(Some(SecretString::from("scrape-me-please")))
    })
    .await;
    let session = door.sign_in(ADMIN.0, ADMIN.1).await.expect("signed in");
    let metrics = door.get("/metrics", Some(&session)).await;
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.unwrap().contains("een_gallery_"));

    let bearer = |token: &'static str| {
        door.http
            .get(format!("{}/metrics", door.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(bearer("scrape-me-please").await.unwrap().status(), 200);
    assert_eq!(bearer("scrape-me-pleasf").await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_sign_in_form_needs_its_cookie_and_token() {
    let door = Door::start().await;
    let (cookie, token) = door.login_form().await;
    let fields = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("user".to_owned(), VIEWER.0.to_owned()),
            ("password".to_owned(), VIEWER.1.to_owned()),
        ]
    };
    let post = |cookie: Option<String>, csrf: String| {
        let door = &door;
        let fields = fields(&csrf);
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            door.post_login(cookie.as_deref(), &fields, None).await
        }
    };
    // Another site's form: no cookie (SameSite=Strict), or a token it made up.
    assert_eq!(post(None, token.clone()).await.status(), 403);
    let mut wrong = token.clone();
    wrong.replace_range(..1, if wrong.starts_with('A') { "B" } else { "A" });
    assert_eq!(post(Some(cookie.clone()), wrong).await.status(), 403);
    assert_eq!(post(Some(cookie), token).await.status(), 303);
}

#[tokio::test]
async fn only_local_pages_are_returned_to_after_sign_in() {
    let door = Door::start().await;
    for (next, expected) in [
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/cameras/10001", "/cameras/10001"),
    ] {
        let (cookie, token) = door.login_form().await;
        let answer = door
            .post_login(
                Some(&cookie),
                &[
                    ("csrf", &token),
                    ("user", VIEWER.0),
                    ("password", VIEWER.1),
                    ("next", next),
                ],
                None,
            )
            .await;
        assert_eq!(answer.status(), 303, "{next}");
        assert_eq!(location(&answer), expected, "{next}");
    }
}

#[tokio::test]
async fn the_users_file_is_read_again_when_it_changes() {
    let door = Door::start().await;
    let old = door.sign_in(VIEWER.0, VIEWER.1).await.expect("signed in");

    let mut users = Users::load(&door.users_path).unwrap();
    users
        .add(
            "neo",
            Role::Viewer,
            &SecretString::from("neo's long password"),
        )
        .unwrap();
    users
        .set_password(VIEWER.0, &SecretString::from("vic's new password"))
        .unwrap();
    users.save(&door.users_path).unwrap();

    // A sign-in reads the file at once.
    assert!(door.sign_in("neo", "neo's long password").await.is_ok());
    assert!(door.sign_in(VIEWER.0, VIEWER.1).await.is_err());
    assert!(door.sign_in(VIEWER.0, "vic's new password").await.is_ok());
    // Signed-in requests see the new password within a second or so: the old session ends.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = door.get("/", Some(&old)).await.status();
        if status == 303 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            Instant::now() < deadline,
            "the old password's session lives on"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn proxy_mode_honours_the_header_only_from_a_trusted_address() {
    let headers = || ProxyHeaders {
        user: "x-forwarded-user".parse().unwrap(),
        role: Some("x-forwarded-role".parse().unwrap()),
    };
    let trusted =
        Door::start_with(|_| Auth::proxy(headers(), "127.0.0.0/8".parse().unwrap())).await;
    let untrusted =
        Door::start_with(|_| Auth::proxy(headers(), "10.0.0.0/8".parse().unwrap())).await;
    let as_user = |door: &Door, path: &str, role: &str| {
        door.http
            .get(format!("{}{path}", door.base))
            .header("x-forwarded-user", "pat")
            .header("x-forwarded-role", role)
            .send()
    };

    let page = as_user(&trusted, "/", "viewer").await.unwrap();
    assert_eq!(page.status(), 200);
    let html = Html::parse_document(&page.text().await.unwrap());
    assert!(html.select(&sel(".tile")).count() > 0);
    assert!(
        html.select(&sel("#sign-out")).next().is_none(),
        "sign-out is the proxy's"
    );
    assert_eq!(
        as_user(&trusted, "/metrics", "viewer")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        as_user(&trusted, "/metrics", "admin")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        trusted.get("/", None).await.status(),
        401,
        "no header, nobody"
    );
    assert_eq!(
        trusted.get("/login", None).await.status(),
        404,
        "no sign-in page"
    );

    // The same headers from an address that is no trusted proxy are ignored.
    assert_eq!(
        as_user(&untrusted, "/", "admin").await.unwrap().status(),
        401
    );
    assert_eq!(
        as_user(&untrusted, "/metrics", "admin")
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test(flavor = "current_thread")]
async fn no_password_session_id_or_form_token_reaches_the_log() {
    let logs = Capture::install("debug");
    let door = Door::start().await;
    let (cookie, token) = door.login_form().await;
    let wrong = door
        .post_login(
            Some(&cookie),
            &[
                ("csrf", &token),
                ("user", ADMIN.0),
                ("password", "a wrong password"),
            ],
            None,
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let session = door.sign_in(ADMIN.0, ADMIN.1).await.expect("signed in");
    let form = door.form_token(&session).await;
    door.post("/logout", &session, &[("csrf", &form)]).await;
    let text = logs.text();
    assert!(text.contains("signed in"), "the log says who signed in");
    let id = session.trim_start_matches("een_session=");
    let login = cookie.trim_start_matches("een_login=");
    for secret in [ADMIN.1, "a wrong password", id, login, &token, &form] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_browsers_are_told_to_stay_on_https() {
    let settings = een_gallery::gallery::Settings {
        public_url: Some("https://gallery.example.com/".parse().unwrap()),
        ..Default::default()
    };
    let door = Door::start_at(settings, |file| {
        Auth::users(file, Lifetimes::default(), TrustedProxies::default())
    })
    .await;
    let page = door.get("/login", None).await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert!(
        set_cookie(&page, "een_login")
            .unwrap()
            .ends_with("; Secure")
    );
    let session = door.sign_in(VIEWER.0, VIEWER.1).await.expect("signed in");
    assert!(!session.is_empty());
    let (cookie, token) = door.login_form().await;
    let answer = door
        .post_login(
            Some(&cookie),
            &[("csrf", &token), ("user", VIEWER.0), ("password", VIEWER.1)],
            None,
        )
        .await;
    assert!(
        set_cookie(&answer, "een_session")
            .unwrap()
            .ends_with("; Secure")
    );

    // Over plain http there is no HSTS (a browser would ignore it there anyway).
    let plain = Door::start().await;
    let page = plain.get("/login", None).await;
    assert!(page.headers().get("strict-transport-security").is_none());
}
