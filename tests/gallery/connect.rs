//! The operator's connect flow (EEN API v3): the setup link, the connection page, the
//! connect redirect with its cookie, EEN's callback and disconnecting. A v1 gallery has none
//! of it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::support::gallery::{self, text};

/// A v1 backend has nothing to connect: every address of the flow is a plain 404 page, with
/// or without a token, and the announcer has nothing to say.
#[tokio::test]
async fn a_v1_gallery_has_no_connect_flow() {
    let app = gallery::start().await;
    for uri in [
        "/een",
        "/een?setup=anything",
        "/een/connect?setup=anything",
        "/een/callback?code=c&state=s",
        "/een/callback?error=access_denied&state=s",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "GET {uri}");
        assert_eq!(
            text(&response.html(), "#error h1").as_deref(),
            Some("Page not found"),
            "GET {uri}"
        );
        assert!(response.header("set-cookie").is_none(), "GET {uri}");
    }
    let response = app
        .request(
            Request::post("/een/disconnect")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("setup=anything"))
                .expect("valid request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(app.state.health.gate().is_ok(), "v1 stays connected");

    // The announcer ends at once: there is no link to print.
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.state.spawn_setup_announcer(),
    )
    .await
    .expect("the announcer ends")
    .expect("the announcer does not panic");
    assert!(!app.state.setup.check(None));
}

/// Pages may post forms to the gallery itself (the connection page's Disconnect), nowhere
/// else.
#[tokio::test]
async fn pages_may_post_forms_to_the_gallery_only() {
    let app = gallery::start().await;
    let response = app.get("/").await;
    let csp = response.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(!csp.contains("form-action 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
}
