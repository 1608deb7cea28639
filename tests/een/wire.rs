//! The client against a deliberately odd EEN: a small server that answers what the simulator
//! never would (HTML error pages, truncated JSON, images that are not JPEGs, redirects to other
//! hosts, rows of 27 to 31 elements). Every case must end in a typed error or a parsed value,
//! never a panic, and the session key must never leave EEN's domain.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use een_gallery::een::v1::{Client, ClientConfig, SessionState};
use een_gallery::een::{AccountProblem, Before, CameraStatus, Error, Esn};
use serde_json::json;
use url::Url;

const SESSION: &str = "c000~0123456789abcdef0123456789abcdef";
const FRAME: &str = "20190409024212.149";
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0xFF, 0xD9,
];

const CAMERA_ROW: &str = r#"["00001106", "10099857", "CFA1 Closet", "camera", [["10031c5f", "ATTD"]], "ATTD",
 "AGMLNSYZcgfhpswz", ["austin", "austin floor 1", "zz_hik"],
 "b0026fac-cf69-11b2-80e2-54c4158c8223", "20170512192919177", 1474615, "US/Central", -18000, 0,
 "*10.143.81.7,[fe80::56c4:15ff:fe8c:8223]", 0, "Capital Factory", false, null, null,
 [30.268947, -97.740397, 0.0, 0.0, "700 San Jacinto Blvd, Austin, TX 78701", null, "Omni2  Building"],
 null, null, 0, [], 0, {}, "20170515171558.000"]"#;

const UNATTACHED_ROW: &str = r#"[null, null, "AXIS|AXIS M1054|5.40.9.2", "camera", [["100a9af6", "IGND"], ["10051705", "IGND"]],
 "IGND", "ws", [], "c38e032a-9e63-11e1-a288-00408cda16f3", null, 0, null, null, 0,
 "*169.254.210.162,10.143.194.77", 0, null, false, null, null,
 [null, null, null, null, null, null, null], null, null, 0, [], 0, {}, null]"#;

/// Real 2019 rows from the spec (§3.1) plus variants: a 31-element row with unknown extras,
/// a 27-element row, an unattached row with a null id, and rows that are not rows at all.
fn device_rows() -> serde_json::Value {
    let camera: serde_json::Value = serde_json::from_str(CAMERA_ROW).unwrap();
    let unattached: serde_json::Value = serde_json::from_str(UNATTACHED_ROW).unwrap();
    let mut longer = camera.as_array().unwrap().clone();
    longer[1] = json!("100a5bc2");
    longer[10] = json!(1998911);
    longer.extend([json!({"flags": ["new"]}), json!(null), json!([1, 2, 3])]);
    let mut shorter = camera.as_array().unwrap().clone();
    shorter.truncate(27);
    shorter[1] = json!("100e1e7d");
    shorter[10] = json!(139264);
    json!([
        camera,
        unattached,
        longer,
        shorter,
        "not a row",
        42,
        null,
        ["00001106"]
    ])
}

#[derive(Default)]
struct Seen {
    /// (host without port, path, cookie) of every request.
    requests: Vec<(String, String, Option<String>)>,
    device_list_mode: u8,
}

type Shared = Arc<Mutex<Seen>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Seen> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn odd_een(State(shared): State<Shared>, request: Request) -> Response {
    let host_header = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (host, port) = host_header.split_once(':').unwrap_or((&host_header, "80"));
    let (host, port) = (host.to_owned(), port.to_owned());
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let cookie = request
        .headers()
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .map(str::to_owned);
    let mode = {
        let mut seen = lock(&shared);
        seen.requests
            .push((host.clone(), path.clone(), cookie.clone()));
        seen.device_list_mode
    };
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let html = |status: StatusCode| {
        let page = "<html><head><title>502 Bad Gateway</title></head><body>openresty</body></html>";
        (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
    };
    let jpeg = |ts: Option<&str>| {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "image/jpeg".parse().unwrap());
        if let Some(ts) = ts {
            headers.insert("x-ee-timestamp", format!("preview-{ts}").parse().unwrap());
        }
        (headers, Body::from(JPEG)).into_response()
    };
    let redirect = |to_host: &str, to_path: &str| {
        let location = format!("http://{to_host}:{port}{to_path}");
        (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response()
    };
    let authed = cookie.as_deref() == Some(&format!("auth_key={SESSION}"));
    match path.as_str() {
        "/g/aaa/authenticate" if body.contains("html@") => html(StatusCode::OK),
        "/g/aaa/authenticate" if body.contains("tfa@") => axum::Json(
            json!({"token": "t", "two_factor_authentication_code": {"sms": "*** *** 779"}}),
        )
        .into_response(),
        "/g/aaa/authenticate" if body.contains("nocookie@") => {
            axum::Json(json!({"token": "nocookie"})).into_response()
        }
        "/g/aaa/authenticate" => axum::Json(json!({"token": "t"})).into_response(),
        "/g/aaa/authorize" if body.contains("nocookie") => {
            axum::Json(json!({"active_brand_subdomain": "c000"})).into_response()
        }
        "/g/aaa/authorize" => (
            [(
                header::SET_COOKIE,
                format!("auth_key={SESSION}; Domain=.bad.test; httponly; Path=/"),
            )],
            "{\"active_brand_subdomain\": \"c000\", \"truncated\": ",
        )
            .into_response(),
        _ if !authed => (StatusCode::UNAUTHORIZED, "{}").into_response(),
        "/g/device/list" => match mode {
            0 => html(StatusCode::OK),
            1 => (StatusCode::OK, "[[\"00001106\", \"10099857\", \"CFA1").into_response(),
            2 => axum::Json(json!({"status_code": 200})).into_response(),
            _ => axum::Json(device_rows()).into_response(),
        },
        "/asset/prev/image.jpeg" if query.contains("id=00000001") => html(StatusCode::OK),
        "/asset/prev/image.jpeg" if query.contains("id=00000002") => jpeg(None),
        "/asset/prev/image.jpeg" if query.contains("id=00000003") => html(StatusCode::BAD_GATEWAY),
        // "Asset moved to a different archiver": another EEN host, and a host outside EEN.
        "/asset/prev/image.jpeg" if query.contains("id=00000004") => redirect(
            "c001.bad.test",
            &format!("/asset/asset/image.jpeg?id=00000004&timestamp={FRAME}"),
        ),
        "/asset/prev/image.jpeg" if query.contains("id=00000006") => {
            redirect("evil.test", "/collect")
        }
        "/asset/prev/image.jpeg" => jpeg(Some(FRAME)),
        "/asset/asset/image.jpeg" => jpeg(Some(FRAME)),
        "/asset/list/image" => (StatusCode::OK, "[{\"t\":\"PRFR\",\"s\":\"2019").into_response(),
        _ => (StatusCode::NOT_FOUND, "nothing here").into_response(),
    }
}

struct OddEen {
    addr: SocketAddr,
    shared: Shared,
}

impl OddEen {
    async fn start() -> Self {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .fallback(odd_een)
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    fn url(&self, host: &str) -> String {
        format!("http://{host}:{}", self.addr.port())
    }

    fn client_as(&self, username: &str) -> Client {
        let base = Url::parse(&self.url("login.bad.test")).unwrap();
        let mut config = ClientConfig::new(base, username, "a-password-1234");
        config.resolve = [
            "login.bad.test",
            "c000.bad.test",
            "c001.bad.test",
            "evil.test",
        ]
        .into_iter()
        .map(|h| (h.to_owned(), self.addr))
        .collect();
        config.backoff_base = std::time::Duration::from_millis(5);
        config.max_retries = 2;
        Client::new(config).unwrap()
    }

    fn client(&self) -> Client {
        self.client_as("demo@bad.test")
    }

    fn requests(&self) -> Vec<(String, String, Option<String>)> {
        lock(&self.shared).requests.clone()
    }

    fn set_device_list_mode(&self, mode: u8) {
        lock(&self.shared).device_list_mode = mode;
    }
}

fn esn(s: &str) -> Esn {
    s.parse().unwrap()
}

#[tokio::test]
async fn unreadable_device_lists_are_decode_errors() {
    let een = OddEen::start().await;
    let client = een.client();
    for mode in 0..3 {
        een.set_device_list_mode(mode);
        let err = client.cameras().await.unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "mode {mode}: {err:?}");
    }
    // The authorize body was truncated JSON: the client kept the login host for API calls
    // rather than guess a cluster.
    let list_hosts: Vec<_> = een
        .requests()
        .into_iter()
        .filter(|(_, path, _)| path == "/g/device/list")
        .map(|(host, _, _)| host)
        .collect();
    assert_eq!(list_hosts, ["login.bad.test"; 3]);
}

#[tokio::test]
async fn rows_of_any_length_with_nulls_and_extras_parse() {
    let een = OddEen::start().await;
    een.set_device_list_mode(3);
    let cameras = een.client().cameras().await.unwrap();
    let got: Vec<_> = cameras
        .iter()
        .map(|c| (c.esn.as_str(), c.status, c.recording))
        .collect();
    // The null-id row and the things that are not rows are skipped.
    assert_eq!(
        got,
        [
            ("10099857", CameraStatus::Online, false),
            ("100a5bc2", CameraStatus::Online, true),
            ("100e1e7d", CameraStatus::InternetOffline, false),
        ]
    );
    assert_eq!(cameras[0].timezone.as_deref(), Some("US/Central"));
    assert_eq!(cameras[2].tags, ["austin", "austin floor 1", "zz_hik"]);
}

#[tokio::test]
async fn images_that_are_not_jpegs_or_untimed_are_decode_errors() {
    let een = OddEen::start().await;
    let client = een.client();
    let err = client.latest_preview(&esn("00000001")).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    let err = client.latest_preview(&esn("00000002")).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    // An HTML 502 page is retried, then reported as the status it was.
    let err = client.latest_preview(&esn("00000003")).await.unwrap_err();
    assert!(matches!(err, Error::Upstream(502)), "{err:?}");
    let tries = een
        .requests()
        .iter()
        .filter(|(_, path, _)| path == "/asset/prev/image.jpeg")
        .count();
    assert_eq!(tries, 1 + 1 + 3);
    let err = client
        .list_previews(&esn("00000005"), Before::Now, 20)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    let image = client.latest_preview(&esn("00000009")).await.unwrap();
    assert_eq!(image.timestamp.to_string(), FRAME);
    assert_eq!(&image.bytes[..], JPEG);
}

#[tokio::test]
async fn odd_logins_fail_with_clear_errors() {
    let een = OddEen::start().await;
    let client = een.client_as("html@bad.test");
    assert!(matches!(client.login().await, Err(Error::Decode(_))));
    let client = een.client_as("tfa@bad.test");
    assert!(matches!(
        client.login().await,
        Err(Error::Account(AccountProblem::TwoFactorRequired))
    ));
    let client = een.client_as("nocookie@bad.test");
    assert!(matches!(client.login().await, Err(Error::Decode(_))));
    assert!(matches!(client.session_state(), SessionState::Failed(_)));
}

#[tokio::test]
async fn redirects_keep_the_session_inside_een() {
    let een = OddEen::start().await;
    let client = een.client();
    let image = client.latest_preview(&esn("00000004")).await.unwrap();
    assert_eq!(image.timestamp.to_string(), FRAME);
    let followed = een
        .requests()
        .into_iter()
        .find(|(host, _, _)| host == "c001.bad.test")
        .expect("the redirect to the other archiver was followed");
    assert_eq!(followed.1, "/asset/asset/image.jpeg");
    assert_eq!(
        followed.2.as_deref(),
        Some(format!("auth_key={SESSION}").as_str())
    );

    let err = client.latest_preview(&esn("00000006")).await.unwrap_err();
    assert!(matches!(err, Error::Upstream(301)), "{err:?}");
    assert!(
        een.requests()
            .iter()
            .all(|(host, _, _)| host != "evil.test")
    );
}
