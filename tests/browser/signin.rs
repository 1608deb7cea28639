//! Sign-in in a real Chromium (issue 14), as a person meets it: a camera link opens the
//! sign-in page, a wrong password is refused with nothing shown, the right one leads to the
//! camera first asked for; signing out (the header's button) ends it, and neither the
//! browser's Back button nor an image URL seen before shows a camera again. By keyboard only,
//! and on a phone, too; screenshots of the sign-in page and the header's account block in light
//! and dark.
//!
//! These galleries are always in-process: an external one's users are not the test's.

use std::sync::Arc;

use een_gallery::gallery::guard::SESSION_COOKIE;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;
use url::Url;

use crate::driver::{Browser, Options, PHONE};
use crate::gallery::{Gallery, Setup};
use crate::support::cameras::{self, esn_of};
use crate::support::net::plain_client;
use crate::support::signin::{ADMIN, VIEWER};
use crate::{GRID_SIZE, assert_no_sideways_scroll, check_frames, check_grid, is_own_status};

/// Smallest touch target, in CSS pixels (WCAG 2.5.5; Apple's and Material's guidance).
const TOUCH_TARGET: f64 = 44.0;

/// A demo gallery with sign-in on, its users [`ADMIN`] and [`VIEWER`].
async fn signed_in_gallery() -> Arc<Gallery> {
    let setup = Setup {
        sign_in: true,
        ..Setup::default()
    };
    Arc::new(Gallery::with(setup).await)
}

// ---------------------------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn signing_in_returns_to_the_camera_asked_for_and_signing_out_hides_every_camera() {
    let gallery = signed_in_gallery().await;
    gallery
        .browse(Options::default(), |b, gallery| async move {
            let camera = gallery
                .attached_cameras()
                .into_iter()
                .find(|c| cameras::is_live(c) && cameras::is_outside_utc(c))
                .expect("the demo account has an online camera outside UTC");
            let esn = esn_of(&camera);
            let zone = TimeZone::get(camera.time_zone.as_deref().expect("a zone")).expect("zone");
            let camera_path = format!("/cameras/{esn}");
            let camera_url = Url::parse(&gallery.url(&camera_path)).expect("a URL");

            // A stranger's camera link lands on the sign-in page, which remembers the camera.
            b.goto(camera_url.as_str()).await;
            let url = b.url().await;
            assert_eq!(url.path(), "/login", "{camera_url} led to {url}");
            assert_eq!(
                next_of(&url).as_deref(),
                Some(camera_path.as_str()),
                "{url}"
            );
            check_sign_in_page(&b).await;
            assert_no_camera_data(&b, "the sign-in page").await;
            check_sign_in_style(&b).await;
            b.screenshot("signin").await;
            b.prefer_color_scheme(true).await;
            check_sign_in_style(&b).await;
            b.screenshot("signin-dark").await;
            b.prefer_color_scheme(false).await;

            // A wrong password: refused, said so, the name kept, the password not, nothing shown.
            submit(&b, VIEWER.0, "not the password").await;
            b.wait_until(
                "the refusal",
                "return !!document.querySelector('#sign-in-message')",
            )
            .await;
            let refusal = b
                .js(r"
                    const m = document.querySelector('#sign-in-message');
                    return {
                        text: m.textContent.trim(),
                        role: m.getAttribute('role'),
                        user: document.querySelector('#user').value,
                        password: document.querySelector('#password').value,
                        next: document.querySelector('input[name=next]').value,
                    };
                ")
                .await;
            assert_eq!(refusal["text"], "Wrong user name or password.", "{refusal}");
            assert_eq!(refusal["role"], "alert", "{refusal}");
            assert_eq!(
                refusal["user"], VIEWER.0,
                "the name typed is kept: {refusal}"
            );
            assert_eq!(
                refusal["password"], "",
                "the password is never sent back: {refusal}"
            );
            assert_eq!(refusal["next"], camera_path.as_str(), "{refusal}");
            assert_eq!(b.url().await.path(), "/login");
            check_sign_in_page(&b).await;
            assert_no_camera_data(&b, "the refused sign-in").await;
            check_message_style(&b).await;
            b.screenshot("signin-wrong").await;

            // The right one: the camera first asked for, its frames shown.
            submit(&b, VIEWER.0, VIEWER.1).await;
            b.wait_for_page(&camera_url).await;
            let frames = check_frames(&b, &gallery, &esn, &zone).await;
            assert_eq!(b.text("#camera-name").await, camera.name);
            assert_eq!(b.text("#account-name").await, VIEWER.0);
            assert!(
                b.find_all("#admin-link").await.is_empty(),
                "a viewer is offered the EEN connection page"
            );
            // A frame's image (its link opens the viewer, a page).
            let frame_url = b
                .absolute(&format!(
                    "/cameras/{esn}/images/{}.jpg",
                    frames[0].timestamp
                ))
                .await;
            b.screenshot("signin-camera").await;
            // No page so far broke a rule of the page's policy or failed to load a part; the
            // refusal's own 401 is the point of it.
            let form_url = gallery.url("/login");
            let problems = b
                .console_problems(|e| is_own_status(e, &form_url, Some(401)))
                .await;
            assert!(
                problems.is_empty(),
                "console errors or warnings: {problems:#?}"
            );

            // The grid, its tiles shown.
            let grid_url = b.absolute("/").await;
            b.click_and_wait("#back", &grid_url).await;
            check_grid(&b, &gallery).await;
            let preview_url = b
                .images("li.tile img")
                .await
                .into_iter()
                .find(|i| i.state.as_deref() == Some("ready"))
                .map(|i| i.src)
                .expect("a tile shows a preview");

            // Signing out: the sign-in page, nobody named.
            let session = b
                .client
                .get_named_cookie(SESSION_COOKIE)
                .await
                .expect("the session cookie")
                .value()
                .to_owned();
            let script_sees = b
                .js(&format!(
                    "return document.cookie.includes('{SESSION_COOKIE}=');"
                ))
                .await;
            assert_eq!(
                script_sees, false,
                "page scripts can read the session cookie"
            );
            let login_url = b.absolute("/login").await;
            b.click_and_wait("#sign-out button", &login_url).await;
            check_sign_in_page(&b).await;
            assert!(
                b.find_all("#account").await.is_empty(),
                "still signed in after signing out"
            );
            assert_no_camera_data(&b, "the page after signing out").await;

            // Back: not the grid as it was, but the sign-in page (the grid is asked for again
            // and sends a stranger there).
            b.client.back().await.expect("history back");
            let url = wait_for_sign_in_page(&b).await;
            assert_eq!(next_of(&url).as_deref(), Some("/"), "{url}");
            assert_no_camera_data(&b, "the page Back shows").await;
            b.screenshot("signin-after-back").await;

            // Images seen before, asked for by the page as its own <img> would (the browser's
            // cache included): not shown.
            for image in [frame_url.as_str(), preview_url.as_str()] {
                let loaded = load_image(&b, image).await;
                assert_eq!(
                    loaded["loaded"], false,
                    "after signing out, the page still shows {image}: {loaded}"
                );
            }
            // The session the browser held is over at the gallery too, not only forgotten.
            let answer = plain_client()
                .get(frame_url.as_str())
                .header(COOKIE, format!("{SESSION_COOKIE}={session}"))
                .send()
                .await
                .expect("GET answers");
            assert_eq!(
                answer.status(),
                StatusCode::UNAUTHORIZED,
                "the signed-out session still gets {frame_url}"
            );
            // And opened by its address: the error page, no image.
            b.goto(frame_url.as_str()).await;
            let opened = b
                .js(r"
                    const error = document.querySelector('#error');
                    return {
                        type: document.contentType,
                        status: error && error.dataset.status,
                        images: [...document.images].filter(i => i.naturalWidth > 0).length,
                    };
                ")
                .await;
            assert_eq!(opened["type"], "text/html", "{frame_url}: {opened}");
            assert_eq!(opened["status"], "401", "{frame_url}: {opened}");
            assert_eq!(opened["images"], 0, "{frame_url}: {opened}");
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn keyboard_only_tab_moves_through_the_form_enter_signs_in_and_out() {
    let gallery = signed_in_gallery().await;
    gallery
        .browse(Options::default(), |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            wait_for_sign_in_page(&b).await;

            // The name field has the focus (autofocus), or Tab brings it there.
            tab_to(&b, "#user").await;
            b.type_keys(ADMIN.0).await;
            b.press(Key::Tab).await;
            let focused = focus_facts(&b).await;
            assert_eq!(
                focused["id"], "password",
                "Tab from the name went to {focused}"
            );
            assert_eq!(
                focused["visible"], true,
                "keyboard focus is not visible: {focused}"
            );
            assert_ne!(
                focused["outline"], "none",
                "the focused field looks the same: {focused}"
            );
            b.type_keys(ADMIN.1).await;
            b.press(Key::Tab).await;
            let focused = focus_facts(&b).await;
            assert_eq!(
                focused["tag"], "BUTTON",
                "Tab from the password went to {focused}"
            );
            assert_eq!(
                focused["visible"], true,
                "keyboard focus is not visible: {focused}"
            );
            b.screenshot("signin-keyboard").await;

            // Enter in the password field sends the form.
            shift_tab(&b).await;
            assert_eq!(focus_id(&b).await, "password");
            b.press(Key::Enter).await;
            let grid = b.absolute("/").await;
            b.wait_for_page(&grid).await;
            check_grid(&b, &gallery).await;
            assert_eq!(b.text("#account-name").await, ADMIN.0);

            // On a wide screen the account block is one row: name, admin link, Sign out.
            let row = account_boxes(&b).await;
            assert_eq!(row.len(), 3, "an admin sees name, link and button: {row:?}");
            let centres: Vec<f64> = row.iter().map(|r| r.top + r.height / 2.0).collect();
            assert!(
                centres.iter().all(|c| (c - centres[0]).abs() <= 4.0),
                "the account block is not one row on a wide screen: {row:?}"
            );
            b.screenshot("signin-account-wide").await;

            // Sign out by keyboard: Tab reaches the header's button, Enter presses it.
            tab_to(&b, "#sign-out button").await;
            let focused = focus_facts(&b).await;
            assert_eq!(
                focused["visible"], true,
                "keyboard focus is not visible: {focused}"
            );
            b.press(Key::Enter).await;
            let login = b.absolute("/login").await;
            b.wait_for_page(&login).await;
            check_sign_in_page(&b).await;
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn on_a_phone_the_sign_in_page_and_the_account_block_fit_with_big_targets() {
    let gallery = signed_in_gallery().await;
    let phone = Options {
        phone: true,
        ..Options::default()
    };
    gallery
        .browse(phone, |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            wait_for_sign_in_page(&b).await;
            let viewport = b.js("return window.innerWidth").await;
            assert_eq!(viewport.as_u64(), Some(u64::from(PHONE.0)), "{viewport}");
            assert_no_sideways_scroll(&b, "the sign-in page").await;
            check_sign_in_style(&b).await;
            for target in ["#user", "#password", "#sign-in-form button"] {
                let size = box_of(&b, target).await;
                assert!(
                    size.height >= TOUCH_TARGET,
                    "{target} is too small to touch: {size:?}"
                );
            }
            b.screenshot("phone-signin").await;

            submit(&b, ADMIN.0, ADMIN.1).await;
            let grid = b.absolute("/").await;
            b.wait_for_page(&grid).await;
            assert_eq!(crate::tiles(&b).await.len(), GRID_SIZE);
            assert_no_sideways_scroll(&b, "the grid, signed in").await;
            let width = f64::from(PHONE.0);
            let parts = account_boxes(&b).await;
            assert_eq!(
                parts.len(),
                3,
                "an admin sees name, link and button: {parts:?}"
            );
            for part in parts {
                assert!(
                    part.left >= 0.0 && part.left + part.width <= width && part.height > 0.0,
                    "the account block's {} does not fit a phone: {part:?}",
                    part.name
                );
                if part.name != "name" {
                    assert!(
                        part.height >= TOUCH_TARGET,
                        "the account block's {} is too small to touch: {part:?}",
                        part.name
                    );
                }
            }
            b.screenshot("phone-account").await;
            b.prefer_color_scheme(true).await;
            b.screenshot("phone-account-dark").await;
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// What the sign-in pages show
// ---------------------------------------------------------------------------------------------

/// The sign-in form is there, with its labelled fields and its button.
async fn check_sign_in_page(b: &Browser) {
    let url = b.url().await;
    let form = b
        .js(r"
            const label = id => document.querySelector(`label[for=${id}]`);
            return {
                form: !!document.querySelector('#sign-in-form'),
                user: !!document.querySelector('#user') && !!label('user'),
                password: document.querySelector('#password')?.type,
                passwordLabel: !!label('password'),
                button: document.querySelector('#sign-in-form button[type=submit]')?.textContent.trim(),
                title: document.title,
            };
        ")
        .await;
    assert_eq!(form["form"], true, "{url} has no sign-in form: {form}");
    assert_eq!(form["user"], true, "{url}: {form}");
    assert_eq!(form["password"], "password", "{url}: {form}");
    assert_eq!(form["passwordLabel"], true, "{url}: {form}");
    assert_eq!(form["button"], "Sign in", "{url}: {form}");
    assert!(
        form["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Sign in")),
        "{url}: {form}"
    );
}

/// Nothing of a camera: no tile, no frame, no camera's name or image.
async fn assert_no_camera_data(b: &Browser, page: &str) {
    let shown = b
        .js(r"
            return {
                tiles: document.querySelectorAll('li.tile').length,
                frames: document.querySelectorAll('#frames, li.frame').length,
                names: document.querySelectorAll('.camera-name, #camera-name').length,
                images: [...document.images].map(i => i.currentSrc || i.src)
                    .filter(src => src.includes('/cameras/')),
            };
        ")
        .await;
    assert_eq!(shown["tiles"], 0, "{page} shows tiles: {shown}");
    assert_eq!(shown["frames"], 0, "{page} shows frames: {shown}");
    assert_eq!(shown["names"], 0, "{page} shows camera names: {shown}");
    assert_eq!(shown["images"], Value::Array(Vec::new()), "{page}: {shown}");
}

/// Waits until the browser shows the sign-in page (a redirect may still be under way);
/// returns its URL.
async fn wait_for_sign_in_page(b: &Browser) -> Url {
    b.wait_until(
        "the sign-in page",
        "return location.pathname === '/login' && document.readyState === 'complete' \
         && !!document.querySelector('#sign-in-form');",
    )
    .await;
    check_sign_in_page(b).await;
    b.url().await
}

/// The sign-in page looks like the gallery's: a card in the middle, each label above its
/// field, the fields as wide as the card, the colours of the current scheme.
async fn check_sign_in_style(b: &Browser) {
    let url = b.url().await;
    let facts = b
        .js(r"
            const rect = s => document.querySelector(s).getBoundingClientRect();
            const card = rect('#sign-in');
            const style = getComputedStyle(document.querySelector('#sign-in'));
            const body = getComputedStyle(document.body);
            const fields = ['user', 'password'].map(id => {
                const label = document.querySelector(`label[for=${id}]`).getBoundingClientRect();
                const field = rect('#' + id);
                return {
                    id,
                    above: label.bottom <= field.top + 1,
                    aligned: Math.abs(label.left - field.left) <= 1,
                    wide: field.width >= card.width * 0.7,
                };
            });
            return {
                left: card.left,
                right: document.documentElement.clientWidth - card.right,
                width: card.width,
                viewport: document.documentElement.clientWidth,
                surface: style.backgroundColor,
                page: body.backgroundColor,
                text: body.color,
                fields,
            };
        ")
        .await;
    let left = facts["left"].as_f64().expect("a number");
    let right = facts["right"].as_f64().expect("a number");
    assert!(
        (left - right).abs() <= 2.0 && left >= 0.0,
        "{url}: the sign-in card is not centred: {facts}"
    );
    let width = facts["width"].as_f64().expect("a number");
    let viewport = facts["viewport"].as_f64().expect("a number");
    // On a phone it takes the width there is; on a wide screen it stays a card.
    assert!(
        width <= viewport && (viewport < 800.0 || width <= viewport * 0.6),
        "{url}: the sign-in card is {width} px wide on a {viewport} px screen: {facts}"
    );
    assert_ne!(
        facts["surface"], facts["page"],
        "{url}: the sign-in card does not stand out from the page: {facts}"
    );
    assert_ne!(facts["text"], facts["page"], "{url}: {facts}");
    for field in facts["fields"].as_array().expect("fields") {
        assert_eq!(field["above"], true, "{url}: label not above: {field}");
        assert_eq!(field["aligned"], true, "{url}: label not aligned: {field}");
        assert_eq!(field["wide"], true, "{url}: field narrow: {field}");
    }
}

/// The refusal stands out: its own colours and a border, not plain text.
async fn check_message_style(b: &Browser) {
    let facts = b
        .js(r"
            const m = getComputedStyle(document.querySelector('#sign-in-message'));
            const card = getComputedStyle(document.querySelector('#sign-in'));
            return { background: m.backgroundColor, card: card.backgroundColor, color: m.color,
                     text: getComputedStyle(document.body).color };
        ")
        .await;
    assert_ne!(facts["background"], facts["card"], "{facts}");
    assert_ne!(facts["color"], facts["text"], "{facts}");
}

/// `?next=` of a URL.
fn next_of(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
}

// ---------------------------------------------------------------------------------------------
// Doing things on the page
// ---------------------------------------------------------------------------------------------

/// Types `user` and `password` into the form (replacing what is there) and presses its button.
pub(crate) async fn submit(b: &Browser, user: &str, password: &str) {
    for (selector, text) in [("#user", user), ("#password", password)] {
        let field = b
            .client
            .find(fantoccini::Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no {selector}: {e}"));
        field.clear().await.expect("clear the field");
        field.send_keys(text).await.expect("type into the field");
    }
    b.client
        .find(fantoccini::Locator::Css(
            "#sign-in-form button[type=submit]",
        ))
        .await
        .expect("the sign-in button")
        .click()
        .await
        .expect("press Sign in");
}

/// Loads `url` into a new `<img>` of the page, as the page's own images load (from the
/// browser's cache if it has it): whether it loaded, and its width.
async fn load_image(b: &Browser, url: &str) -> Value {
    b.client
        .execute_async(
            r"
            const [url, done] = arguments;
            const img = new Image();
            img.onload = () => done({ loaded: true, width: img.naturalWidth });
            img.onerror = () => done({ loaded: false });
            img.src = url;
            ",
            vec![Value::String(url.to_owned())],
        )
        .await
        .unwrap_or_else(|e| panic!("load {url} in the page: {e}"))
}

/// Presses Shift+Tab: the focus goes back one.
async fn shift_tab(b: &Browser) {
    let (shift, tab): (char, char) = (Key::Shift.into(), Key::Tab.into());
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: shift })
        .then(KeyAction::Down { value: tab })
        .then(KeyAction::Up { value: tab })
        .then(KeyAction::Up { value: shift });
    b.client
        .perform_actions(keys)
        .await
        .unwrap_or_else(|e| panic!("press Shift+Tab: {e}"));
}

/// Presses Tab until the element matching `selector` has the focus (at most 20 times).
async fn tab_to(b: &Browser, selector: &str) {
    let check = format!(
        "return document.activeElement === document.querySelector({});",
        serde_json::to_string(selector).expect("JSON string")
    );
    let mut visited = Vec::new();
    while b.js(&check).await != Value::Bool(true) {
        assert!(
            visited.len() < 20,
            "20 Tabs never reached {selector}; focus went {visited:?}"
        );
        b.press(Key::Tab).await;
        visited.push(focus_facts(b).await.to_string());
    }
}

/// The focused element: tag, id, whether its focus shows, and its outline.
async fn focus_facts(b: &Browser) -> Value {
    b.js(r"
        const a = document.activeElement;
        const style = getComputedStyle(a);
        return {
            tag: a.tagName,
            id: a.id,
            visible: a.matches(':focus-visible'),
            outline: style.outlineStyle === 'none' && style.boxShadow === 'none'
                ? 'none' : style.outlineStyle + ' ' + style.boxShadow,
        };
    ")
        .await
}

/// The focused element's id.
async fn focus_id(b: &Browser) -> String {
    focus_facts(b).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Where an element is on the screen, in CSS pixels.
#[derive(Debug, serde::Deserialize)]
struct Rect {
    name: String,
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

/// Where the element matching `selector` is.
async fn box_of(b: &Browser, selector: &str) -> Rect {
    let selector = serde_json::to_string(selector).expect("JSON string");
    let value = b
        .js(&format!(
            "const r = document.querySelector({selector}).getBoundingClientRect();
             return {{ name: {selector}, left: r.left, top: r.top, width: r.width, height: r.height }};"
        ))
        .await;
    serde_json::from_value(value).expect("a box")
}

/// The account block's parts that are there: the name, the admin's link, Sign out.
async fn account_boxes(b: &Browser) -> Vec<Rect> {
    let value = b
        .js(r"
            return [['name', '.account-name'], ['admin link', '#admin-link'],
                    ['sign out', '#sign-out button']]
                .map(([name, s]) => [name, document.querySelector(s)])
                .filter(([, e]) => e)
                .map(([name, e]) => {
                    const r = e.getBoundingClientRect();
                    return { name, left: r.left, top: r.top, width: r.width, height: r.height };
                });
        ")
        .await;
    let boxes: Vec<Rect> = serde_json::from_value(value).expect("boxes");
    assert!(!boxes.is_empty(), "no account block at {}", b.url().await);
    boxes
}
