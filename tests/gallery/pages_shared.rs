//! A camera page's images are rendered once for all its viewers (`gallery::frame_list`),
//! over real HTTP: two users signed in see the same images, each with their own name and form
//! token around them, and nothing of the other.

use scraper::Html;

use crate::support::gallery::{attrs, sel};
use crate::support::signin::{ADMIN, Door, VIEWER};

/// The page's images as HTML, and the page.
async fn view(door: &Door, path: &str, session: &str) -> (String, Html) {
    let page = door.get(path, Some(session)).await;
    assert_eq!(page.status(), 200, "{path}");
    let html = Html::parse_document(&page.text().await.expect("a page"));
    let frames = html
        .select(&sel("#frames"))
        .next()
        .expect("the page has images")
        .html();
    (frames, html)
}

#[tokio::test]
async fn viewers_of_one_page_share_its_images_and_keep_their_own_header() {
    let door = Door::start().await;
    let esn = door.app.online_camera().esn.expect("attached");
    // A window in the past: its listing stays the same for every view.
    let newest = door.app.newest_timestamps(&esn, 1).await[0];
    let path = format!("/cameras/{esn}?before={}", newest.add_millis(1));
    let admin = door.sign_in(ADMIN.0, ADMIN.1).await.expect("ada signs in");
    let viewer = door
        .sign_in(VIEWER.0, VIEWER.1)
        .await
        .expect("vic signs in");
    let admin_token = door.form_token(&admin).await;
    let viewer_token = door.form_token(&viewer).await;
    assert_ne!(admin_token, viewer_token);

    // The first view fetches the images; the next ones find them cached.
    view(&door, &path, &admin).await;
    let (admin_frames, admin_page) = view(&door, &path, &admin).await;
    let (viewer_frames, viewer_page) = view(&door, &path, &viewer).await;

    assert_eq!(admin_frames, viewer_frames, "the same images for both");
    assert_eq!(
        attrs(&admin_page, "#frames li.frame", "data-timestamp").len(),
        20,
        "a full page"
    );
    let states = attrs(&viewer_page, "#frames img", "data-state");
    assert!(states.iter().all(|s| s == "ready"), "{states:?}");
    for (page, name, token) in [
        (&admin_page, ADMIN.0, &admin_token),
        (&viewer_page, VIEWER.0, &viewer_token),
    ] {
        let shown = page
            .select(&sel("#account-name"))
            .next()
            .expect("the header names the user")
            .text()
            .collect::<String>();
        assert_eq!(shown, name);
        assert_eq!(
            attrs(page, "#sign-out input[name=csrf]", "value"),
            vec![token.clone()],
            "{name}'s own form token"
        );
    }
    assert!(
        !viewer_page.html().contains(&admin_token),
        "no token of ada's for vic"
    );
}
