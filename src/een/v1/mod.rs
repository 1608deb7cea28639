//! The EEN API v1 client: a session key kept alive, typed device rows, re-login on 401.
//!
//! Built from the wire specification (`een-api-v1.md`, sections 1–8): login is authenticate
//! then authorize, the session key travels as an explicit `Cookie: auth_key=…` header, API calls
//! go to the branded cluster host, and the device list is an array of positional rows.
//!
//! This file is the public API; each job has a file of its own: `login` (authenticate,
//! authorize, the cluster host), `session` (single-flight login, [`SessionState`]), `retry`
//! (the funnel every call goes through: deadlines, backoff, re-login), `transport` (HTTP, the
//! in-flight cap, body limits, redirects), `rows`, `status` and `device` (the device list),
//! `wire` (headers, cookies, envelopes) and `config`.

mod config;
mod device;
mod login;
mod retry;
mod rows;
mod session;
mod status;
mod transport;
mod wire;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::header::COOKIE;

pub use config::ClientConfig;
pub(crate) use device::attached_cameras;
pub use device::{Device, DeviceKind, ServiceStatus};
pub use session::SessionState;

use retry::Op;
use session::Sessions;
use status::Decoded;
use transport::{Reply, Transport, endpoint};

use crate::een::{Before, Error, Esn, Image, Side, http};
use crate::timestamp::EenTimestamp;

/// The EEN API v1 client. Cheap to clone: clones share the session, the connection pool and
/// the cap on requests in flight.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    config: ClientConfig,
    sessions: Sessions,
    /// Each device's last decoded status, which EEN says to keep when a new one is "invalid".
    last_status: Mutex<HashMap<Esn, Decoded>>,
}

impl Client {
    /// Builds the client; does not log in yet.
    pub fn new(mut config: ClientConfig) -> Result<Self, Error> {
        let base = &mut config.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::Config(
                "the EEN base URL must be http(s) with a host",
            ));
        }
        // API paths are joined to the base, which therefore must end in '/'.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);

        Ok(Self {
            inner: Arc::new(Inner {
                transport: Transport::new(&config)?,
                sessions: Sessions::new(config.rejected_login_cooldown),
                last_status: Mutex::new(HashMap::new()),
                config,
            }),
        })
    }

    /// on first use). Unlike a lazy login, this also tries right after a rejected login.
    pub async fn login(&self) -> Result<(), Error> {
        self.call(Op::new("login"), |deadline| async move {
            self.inner
                .sessions
                .get(None, true, |number| self.log_in(number, deadline))
                .await
                .map(drop)
        })
        .await
    }

    /// What the shared pace of requests to EEN is doing.
    pub fn pace(&self) -> crate::een::PaceStats {
        self.inner.transport.pool.pace.stats()
    }

    /// Shares the pace with the other replicas using `store` (see [`crate::een::Backend::share_pace`]).
    pub(crate) fn share_pace(&self, store: &crate::store::Store) {
        self.inner.transport.pool.pace.share(store.clone());
    }

    /// Where the session stands.
    pub fn session_state(&self) -> SessionState {
        self.inner.sessions.state()
    }

    /// All devices with an id: cameras, bridges and channels of multiview cameras. Rows EEN
    /// lists without an id (discovered, unattached cameras) are left out.
    pub async fn cameras(&self) -> Result<Vec<Device>, Error> {
        let op = Op::new("device_list");
        self.call(op, |deadline| async move {
            let reply = self.get(op, deadline, "g/device/list", &[]).await?;
            let mut last = self
                .inner
                .last_status
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let cameras = rows::parse_device_list(&reply.body, |esn| last.get(esn).copied())
                .map_err(|e| Error::Decode(e.to_string()))?;
            *last = cameras
                .iter()
                .map(|c| {
                    let decoded = Decoded {
                        status: c.status,
                        recording: c.recording,
                    };
                    (c.esn.clone(), decoded)
                })
                .collect();
            Ok(cameras)
        })
        .await
    }

    /// The newest preview of a camera, in one request.
    pub async fn latest_preview(&self, esn: &Esn) -> Result<Image, Error> {
        let op = Op {
            endpoint: "latest_preview",
            esn: Some(esn),
            now_relative: true,
        };
        self.call(op, |deadline| async move {
            let query = [
                ("id", esn.as_str()),
                ("timestamp", "now"),
                ("asset_class", "pre"),
            ];
            let reply = self
                .get(op, deadline, "asset/prev/image.jpeg", &query)
                .await?;
            image(reply, None)
        })
        .await
    }

    /// Timestamps of up to `count` previews strictly before `before`, newest first.
    pub async fn list_previews(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Result<Vec<EenTimestamp>, Error> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let op = Op {
            endpoint: "list_previews",
            esn: Some(esn),
            now_relative: before == Before::Now,
        };
        // Whether EEN includes a frame exactly at the start time is undocumented: ask for one
        // more and drop it ourselves, so paging back never repeats a frame.
        let (start, ask, cutoff) = match before {
            Before::Now => ("now".to_owned(), count, None),
            Before::At(ts) => (ts.to_string(), count.saturating_add(1), Some(ts)),
        };
        let count_param = format!("-{ask}");
        self.call(op, |deadline| async move {
            let query = [
                ("id", esn.as_str()),
                ("start_timestamp", &start),
                ("count", &count_param),
                ("asset_class", "pre"),
            ];
            let reply = self.get(op, deadline, "asset/list/image", &query).await?;
            let mut list = wire::parse_image_list(&reply.body)
                .map_err(|_| Error::Decode("the image list is not a JSON array".into()))?;
            if let Some(cutoff) = cutoff {
                list.retain(|ts| *ts < cutoff);
            }
            list.truncate(usize::try_from(count).unwrap_or(usize::MAX));
            Ok(list)
        })
        .await
    }

    /// The preview at exactly `timestamp`.
    pub async fn preview(&self, esn: &Esn, timestamp: EenTimestamp) -> Result<Image, Error> {
        let op = Op {
            endpoint: "preview",
            esn: Some(esn),
            now_relative: false,
        };
        self.call(op, |deadline| async move {
            let ts = timestamp.to_string();
            let query = [
                ("id", esn.as_str()),
                ("timestamp", ts.as_str()),
                ("asset_class", "pre"),
            ];
            let reply = self
                .get(op, deadline, "asset/asset/image.jpeg", &query)
                .await?;
            image(reply, Some(timestamp))
        })
        .await
    }

    /// The preview just before or just after the frame at `timestamp` (`side`), in one
    /// request: `prev` answers the first image at or before a time, so it is asked for a
    /// millisecond earlier; `after` answers the first image after one.
    pub async fn neighbour_preview(
        &self,
        esn: &Esn,
        timestamp: EenTimestamp,
        side: Side,
    ) -> Result<Image, Error> {
        let (endpoint, path, at) = match side {
            Side::Older => (
                "preview_older",
                "asset/prev/image.jpeg",
                timestamp.add_millis(-1),
            ),
            Side::Newer => ("preview_newer", "asset/after/image.jpeg", timestamp),
        };
        let op = Op {
            endpoint,
            esn: Some(esn),
            now_relative: false,
        };
        self.call(op, |deadline| async move {
            let at = at.to_string();
            let query = [
                ("id", esn.as_str()),
                ("timestamp", at.as_str()),
                ("asset_class", "pre"),
            ];
            let reply = self.get(op, deadline, path, &query).await?;
            let found = image(reply, None)?;
            side.checked(timestamp, found)
        })
        .await
    }

    /// Ends the session. The next call logs in again.
    pub async fn logout(&self) -> Result<(), Error> {
        self.call(Op::new("logout"), |_| async move {
            let Some(session) = self.inner.sessions.take().await else {
                return Ok(());
            };
            let url = endpoint(&session.api_base, "g/aaa/logout", &[])?;
            let transport = &self.inner.transport;
            let request = transport
                .pool
                .http
                .post(url)
                .header(COOKIE, session.cookie.clone());
            let reply = transport.send(request).await?;
            match reply.status.as_u16() {
                // 401: the session was already gone, which is what we wanted.
                200..=299 | 401 => Ok(()),
                s => Err(Error::Upstream(s)),
            }
        })
        .await
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("session", &self.session_state())
            .finish_non_exhaustive()
    }
}

/// A JPEG answer as an image, timed by `X-Ee-Timestamp` (or by the time asked for).
fn image(reply: Reply, requested: Option<EenTimestamp>) -> Result<Image, Error> {
    if !http::is_jpeg(&reply.body) {
        return Err(Error::Decode("the image is not a JPEG".into()));
    }
    let timestamp = wire::frame_timestamp(&reply.headers)
        .or(requested)
        .ok_or_else(|| Error::Decode("the image has no X-Ee-Timestamp".into()))?;
    Ok(Image {
        timestamp,
        bytes: reply.body,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};
    use url::Url;

    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn client_rejects_unusable_base_urls() {
        for bad in ["mailto:demo@een.com", "file:///tmp/x"] {
            let config = ClientConfig::new(url(bad), "u", "p");
            assert!(
                matches!(Client::new(config), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let config = ClientConfig::new(
            url("https://login.eagleeyenetworks.com"),
            "demo@een.com",
            "hunter2-password",
        );
        let client = Client::new(config).unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("NotLoggedIn"));
    }

    #[test]
    fn images_must_be_jpegs_with_a_time() {
        let jpeg = Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]);
        let ts: EenTimestamp = "20190409024212.149".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ee-timestamp",
            HeaderValue::from_static("preview-20190409024212.149"),
        );
        let reply = |headers: HeaderMap, body: Bytes| Reply {
            status: StatusCode::OK,
            headers,
            body,
        };
        let img = image(reply(headers.clone(), jpeg.clone()), None).unwrap();
        assert_eq!(img.timestamp, ts);
        assert_eq!(img.bytes, jpeg);
        let html = Bytes::from_static(b"<html>502 Bad Gateway</html>");
        assert!(matches!(
            image(reply(headers, html), None),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            image(reply(HeaderMap::new(), jpeg.clone()), None),
            Err(Error::Decode(_))
        ));
        let asked = ts.add_millis(5);
        assert_eq!(
            image(reply(HeaderMap::new(), jpeg), Some(asked))
                .unwrap()
                .timestamp,
            asked
        );
    }
}
