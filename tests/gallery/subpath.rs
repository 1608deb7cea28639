//! The gallery on a subpath (issue 15, `BASE_PATH`): every link, asset, redirect and cookie
//! path starts with the prefix, the gallery answers with or without it, and the whole walk
//! works through a real nginx that passes the prefix on (`proxy_pass http://gallery;`) or
//! strips it (`proxy_pass http://gallery/;`).

use std::time::Duration;

use een_gallery::auth::{Auth, Lifetimes, TrustedProxies};
use een_gallery::gallery::{Settings, app};
use reqwest::header::{COOKIE, LOCATION};
use scraper::Html;

use crate::support::gallery::{Options, attrs, serve, start_with};
use crate::support::nginx::Nginx;
use crate::support::signin::{ADMIN, Door, cookie_pair, location, set_cookie};

const BASE: &str = "/cameras-wall";

fn settings() -> Settings {
    Settings {
        base_path: Some(BASE.to_owned()),
        ..Settings::default()
    }
}

/// Every link, image, stylesheet and form target of `html`.
fn urls(html: &Html) -> Vec<String> {
    [
        ("a", "href"),
        ("img", "src"),
        ("link", "href"),
        ("form", "action"),
    ]
    .iter()
    .flat_map(|(element, attr)| attrs(html, element, attr))
    .collect()
}

/// Fetches `path` from `base` and every URL its page carries; all must be under the prefix
/// and answer 200 (following the same walk a browser would).
async fn walk(client: &reqwest::Client, base: &str, path: &str, cookies: &str) -> usize {
    let get = |url: String| client.get(url).header(COOKIE, cookies).send();
    let page = get(format!("{base}{path}")).await.expect("answers");
    assert_eq!(page.status(), 200, "{path}");
    let html = Html::parse_document(&page.text().await.unwrap());
    let urls = urls(&html);
    assert!(!urls.is_empty());
    for url in &urls {
        assert!(url.starts_with(&format!("{BASE}/")), "{url} on {path}");
        let answer = get(format!("{base}{url}")).await.expect("answers");
        // The sign-out form's target answers POST only.
        if !url.ends_with("/logout") {
            assert_eq!(answer.status(), 200, "{url} on {path}");
        }
    }
    urls.len()
}

#[tokio::test]
async fn under_a_base_path_every_link_carries_it_and_both_forms_answer() {
    let gallery = start_with(Options {
        settings: settings(),
        ..Options::default()
    })
    .await;
    let camera = gallery.online_camera().esn.unwrap();
    let html = gallery.page(&format!("{BASE}/")).await;
    let links = urls(&html);
    assert!(
        links.iter().all(|url| url.starts_with(&format!("{BASE}/"))),
        "{links:?}"
    );
    assert!(
        links.contains(&format!("{BASE}/static/{}", "")) || links.len() > 9,
        "{links:?}"
    );
    // The prefix may come or not: a proxy may strip it.
    for path in [
        format!("{BASE}/cameras/{camera}"),
        format!("/cameras/{camera}"),
    ] {
        let html = gallery.page(&path).await;
        let older = attrs(&html, "#older", "href");
        assert!(
            older
                .iter()
                .all(|href| href.starts_with(&format!("{BASE}/cameras/"))),
            "{older:?}"
        );
    }
    assert_eq!(
        gallery.get(BASE).await.status,
        200,
        "the prefix alone is the grid"
    );
    assert_eq!(gallery.get("/cameras-wallx/").await.status, 404);
}

#[tokio::test]
async fn the_whole_walk_works_through_nginx_on_a_subpath() {
    let gallery = start_with(Options {
        settings: settings(),
        ..Options::default()
    })
    .await;
    let camera = gallery.online_camera().esn.unwrap();
    let served = serve(app(gallery.state.clone()), Duration::from_secs(1)).await;
    let upstream = served.addr;
    // nginx passing the prefix on, and nginx stripping it: both are common.
    let locations = format!(
        "    location {BASE}/ {{ proxy_pass http://{upstream}; }}\n    \
         location /stripped{BASE}/ {{ proxy_pass http://{upstream}/; }}"
    );
    let Some(nginx) = Nginx::start(&locations).await else {
        return;
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let base = nginx.base();
    let on_grid = walk(&client, &base, &format!("{BASE}/"), "").await;
    let on_camera = walk(&client, &base, &format!("{BASE}/cameras/{camera}"), "").await;
    assert!(on_grid > 9 && on_camera > 20, "{on_grid} {on_camera}");
    let stripped = client
        .get(format!("{base}/stripped{BASE}/cameras/{camera}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stripped.status(), 200);
}

#[tokio::test]
async fn sign_in_behind_nginx_on_a_subpath_redirects_and_scopes_cookies_under_it() {
    let door = Door::start_at(settings(), |file| {
        Auth::users(
            file,
            Lifetimes::default(),
            "127.0.0.1".parse::<TrustedProxies>().unwrap(),
        )
    })
    .await;
    let upstream = door.served.addr;
    let Some(nginx) = Nginx::start(&format!(
        "    location {BASE}/ {{ proxy_pass http://{upstream}; \
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }}"
    ))
    .await
    else {
        return;
    };
    let base = nginx.base();
    let client = &door.http;
    let grid = client.get(format!("{base}{BASE}/")).send().await.unwrap();
    assert_eq!(grid.status(), 303);
    assert_eq!(
        location(&grid),
        format!("{BASE}/login?next=%2Fcameras-wall%2F")
    );

    let form = client
        .get(format!("{base}{BASE}/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = set_cookie(&form, "een_login").unwrap();
    assert!(
        login_cookie.contains(&format!("Path={BASE}/login")),
        "{login_cookie}"
    );
    let pair = cookie_pair(&form, "een_login").unwrap();
    let html = Html::parse_document(&form.text().await.unwrap());
    assert_eq!(
        attrs(&html, "#sign-in-form", "action"),
        [format!("{BASE}/login")]
    );
    let token = attrs(&html, "#sign-in-form input[name=csrf]", "value").remove(0);
    let next = format!("{BASE}/");
    let answer = client
        .post(format!("{base}{BASE}/login"))
        .header(COOKIE, &pair)
        .form(&[
            ("csrf", token.as_str()),
            ("user", ADMIN.0),
            ("password", ADMIN.1),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    assert_eq!(answer.headers()[LOCATION], next.as_str());
    let session_cookie = set_cookie(&answer, "een_session").unwrap();
    assert!(
        session_cookie.contains(&format!("Path={BASE}/")),
        "{session_cookie}"
    );
    let session = cookie_pair(&answer, "een_session").unwrap();
    let links = walk(client, &base, &format!("{BASE}/"), &session).await;
    assert!(links > 9);
}
