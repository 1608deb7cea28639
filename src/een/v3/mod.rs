//! The EEN API v3 client: an OAuth2 connection approved once by an operator, kept across
//! restarts as its refresh tokens rotate, and the camera and preview calls the gallery needs.
//!
//! Built from the wire specification (`een-api-v3.md`): tokens from the auth host, calls to
//! the account's own API host (`httpsBaseUrl`, checked against the auth host's domain), JSON
//! camera pages, JPEG frames found by time or by prev token.
//!
//! Files: `config`, `store` (the connection file, memory or the shared store), `shared` (the
//! connection, lock and spent mark in the store replicas share), `oauth` (authorize URL,
//! code exchange, refresh, revoke), `tokens` (the held connection, single-flight refresh),
//! `lease` (one refresh at a time among replicas), `host` (where a token may go),
//! `transport` (HTTP), `api` (the call funnel: deadline, 401 refresh, backoff),
//! `cameras`, `wire` (timestamps, image headers, error bodies), `walk` (finding a page of
//! frames in a few round trips).

mod api;
mod cameras;
mod config;
mod host;
mod lease;
mod oauth;
mod shared;
mod store;
mod tokens;
mod transport;
mod walk;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use secrecy::SecretString;

pub use config::ClientConfig;
pub use shared::SharedConnection;
pub use store::{CONNECTION_FILE, Connection, Store, StoreError};

use api::{Accept, Op};
use tokens::Tokens;
use walk::{Frame, Seek};

use crate::een::http::{Pool, Reply, is_jpeg};
use crate::een::{
    AuthorizationRequest, Before, Camera, ConnectionState, Error, Esn, Image, Listed, Side,
};
use crate::timestamp::EenTimestamp;

/// Most camera pages followed in one listing: 500 cameras each, far beyond any account, so
/// that a server answering the same token forever cannot keep the call going.
const MAX_CAMERA_PAGES: usize = 200;

/// Cameras whose cadence and newest frames a client remembers (the least recently used go
/// first): a chain of 20 timestamps is a few hundred bytes.
const CAMERAS_REMEMBERED: u64 = 10_000;

/// The EEN API v3 client. Cheap to clone: clones share the connection, the pool and the cap
/// on requests in flight.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    transport: Pool,
    tokens: Tokens,
    /// Each camera's preview spacing, learned from walks, so the next page is found faster.
    cadence: Cache<Esn, Duration>,
    /// Each camera's newest frames as the last walk from its newest frame proved them
    /// consecutive (newest first), so the next such walk stops where they begin.
    chains: Cache<Esn, Arc<Vec<EenTimestamp>>>,
    /// The frames each camera's last walk (from any start) proved consecutive, newest
    /// first: the line the next walk aims its anchors by (`walk::line`).
    recent: Cache<Esn, Arc<Vec<EenTimestamp>>>,
}

impl Client {
    /// Builds the client over `store`; reads nothing yet (see [`Client::connect`]).
    pub fn new(config: ClientConfig, store: Store) -> Result<Self, Error> {
        let redirect = url::Url::parse(&config.redirect_uri)
            .map_err(|_| Error::Config("the redirect URI is not a URL"))?;
        for url in [&config.auth_url, &config.api_url, &redirect] {
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(Error::Config("EEN URLs must be http(s) with a host"));
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                transport: transport::pool(&config)?,
                tokens: Tokens::new(store),
                cadence: Cache::new(CAMERAS_REMEMBERED),
                chains: Cache::new(CAMERAS_REMEMBERED),
                recent: Cache::new(CAMERAS_REMEMBERED),
                config,
            }),
        })
    }

    /// Where the connection is kept.
    pub fn store(&self) -> &Store {
        self.inner.tokens.store()
    }

    /// Makes the connection usable: reads the stored one on first use, refreshes it when it
    /// is due. `Err(NotConnected)` when no account is connected yet.
    pub async fn connect(&self) -> Result<(), Error> {
        let op = Op {
            endpoint: "connect",
            esn: None,
        };
        self.call(op, |_| async move {
            self.inner.tokens.load(&self.inner.config).await?;
            self.bearer().await.map(drop)
        })
        .await
    }

    /// Where the connection stands.
    pub fn connection_state(&self) -> ConnectionState {
        self.inner.tokens.state()
    }

    /// Whether the connection is shared with other replicas through a store.
    pub fn is_shared(&self) -> bool {
        matches!(self.store(), Store::Shared(_))
    }

    /// With a shared store and no connection here: takes the one another replica made (or
    /// took back from a spent mark), if the store holds one; whether connected now. Asks
    /// the store at most once a second.
    pub async fn follow(&self) -> bool {
        let Store::Shared(shared) = self.store() else {
            return false;
        };
        let followed = self
            .inner
            .tokens
            .follow(&self.inner.config, shared, Some(lease::FOLLOW_EVERY))
            .await;
        matches!(followed, Ok(Some(_)))
    }

    /// A new connect flow: the authorize URL, its `state` and PKCE verifier.
    pub fn begin_authorization(&self) -> Result<AuthorizationRequest, Error> {
        oauth::authorization(&self.inner.config)
    }

    /// Exchanges the code from the redirect (with the flow's PKCE verifier) and keeps the
    /// connection: stored first, then used.
    pub async fn complete_authorization(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<(), Error> {
        let op = Op {
            endpoint: "authorize",
            esn: None,
        };
        self.call(op, |_| async move {
            let config = &self.inner.config;
            let connection = oauth::exchange(&self.inner.transport, config, code, verifier).await?;
            self.inner.tokens.adopt(config, connection).await
        })
        .await
    }

    /// Revokes the refresh token at EEN and forgets the connection. The connection is
    /// forgotten even when EEN cannot be told (the error says so).
    pub async fn disconnect(&self) -> Result<(), Error> {
        let op = Op {
            endpoint: "revoke",
            esn: None,
        };
        self.call(op, |_| async move {
            let Some(old) = self.inner.tokens.forget().await? else {
                return Ok(());
            };
            oauth::revoke(
                &self.inner.transport,
                &self.inner.config,
                &old.refresh_token,
            )
            .await
        })
        .await
    }

    /// The cameras of the account with their status and time zone, all pages of them.
    pub async fn cameras(&self) -> Result<Vec<Camera>, Error> {
        let op = Op {
            endpoint: "cameras",
            esn: None,
        };
        self.call(op, |deadline| async move {
            let mut cameras = Vec::new();
            let mut token: Option<String> = None;
            for _ in 0..MAX_CAMERA_PAGES {
                let query = cameras::page_query(token.as_deref());
                let reply = self
                    .get(deadline, cameras::CAMERAS_PATH, &query, Accept::Json)
                    .await?;
                if reply.status.as_u16() == 404 {
                    return Err(Error::Upstream(404));
                }
                let page = cameras::parse_page(&reply.body)?;
                cameras.extend(page.cameras);
                match page.next_page_token {
                    Some(next) => token = Some(next),
                    None => return Ok(cameras),
                }
            }
            Err(Error::Decode("the camera list does not end".into()))
        })
        .await
    }

    /// The newest preview of a camera (`liveImage.jpeg`). A camera that cannot deliver one
    /// now answers its last recorded preview, as v1 does.
    pub async fn latest_preview(&self, esn: &Esn) -> Result<Image, Error> {
        let op = Op {
            endpoint: "latest_preview",
            esn: Some(esn),
        };
        self.call(op, |deadline| async move {
            self.frame(deadline, esn, Seek::Newest)
                .await?
                .map(|frame| frame.image)
                .ok_or(Error::NotFound)
        })
        .await
    }

    /// The preview at exactly `timestamp`.
    pub async fn preview(&self, esn: &Esn, timestamp: EenTimestamp) -> Result<Image, Error> {
        let op = Op {
            endpoint: "preview",
            esn: Some(esn),
        };
        self.call(op, |deadline| async move {
            let at = wire::format_timestamp(timestamp);
            let query = [
                ("deviceId", esn.as_str()),
                ("type", "preview"),
                ("timestamp", at.as_str()),
            ];
            let reply = self
                .get(deadline, "media/recordedImage.jpeg", &query, Accept::Jpeg)
                .await?;
            match frame(reply)? {
                Some(frame) if frame.image.timestamp == timestamp => Ok(frame.image),
                _ => Err(Error::NotFound),
            }
        })
        .await
    }

    /// The preview just before or just after the frame at `timestamp` (`side`), in one
    /// request (`timestamp__lt` or `timestamp__gt`).
    pub async fn neighbour_preview(
        &self,
        esn: &Esn,
        timestamp: EenTimestamp,
        side: Side,
    ) -> Result<Image, Error> {
        let (endpoint, filter) = match side {
            Side::Older => ("preview_older", "timestamp__lt"),
            Side::Newer => ("preview_newer", "timestamp__gt"),
        };
        let op = Op {
            endpoint,
            esn: Some(esn),
        };
        self.call(op, |deadline| async move {
            let at = wire::format_timestamp(timestamp);
            let query = [
                ("deviceId", esn.as_str()),
                ("type", "preview"),
                (filter, at.as_str()),
            ];
            let reply = self
                .get(deadline, "media/recordedImage.jpeg", &query, Accept::Jpeg)
                .await?;
            let found = frame(reply)?.ok_or(Error::NotFound)?.image;
            side.checked(timestamp, found)
        })
        .await
    }

    /// What the shared pace of requests to EEN is doing.
    pub fn pace(&self) -> crate::een::PaceStats {
        self.inner.transport.pace.stats()
    }

    /// Shares the pace with the other replicas using `store` (see [`crate::een::Backend::share_pace`]).
    pub(crate) fn share_pace(&self, store: &crate::store::Store) {
        self.inner.transport.pace.share(store.clone());
    }

    /// Up to `count` previews strictly before `before`, newest first, distinct, with their
    /// JPEGs: v3 finds a frame by fetching it (see `walk`). From [`Before::Now`], frames the
    /// camera's last such listing found come without theirs (the walk stops where they
    /// begin): the caller has them, or fetches them by time.
    pub async fn list_previews(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Result<Vec<Listed>, Error> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let op = Op {
            endpoint: "list_previews",
            esn: Some(esn),
        };
        self.call(op, |deadline| async move {
            let start = match before {
                Before::Now => Seek::Newest,
                Before::At(ts) => Seek::Before(ts),
            };
            let hint = self.inner.cadence.get(esn);
            // A view of the newest frames walks down to the frames the last one proved.
            let chain = match start {
                Seek::Newest => self.inner.chains.get(esn),
                _ => None,
            };
            let context = self.inner.recent.get(esn);
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            let walked = walk::walk(
                start.clone(),
                count,
                hint,
                chain.as_deref().map_or(&[], |c| c.as_slice()),
                context.as_deref().map_or(&[], |c| c.as_slice()),
                |seek| self.frame(deadline, esn, seek),
            )
            .await?;
            if let Some(cadence) = walked.cadence {
                self.inner.cadence.insert(esn.clone(), cadence);
            }
            let times: Arc<Vec<EenTimestamp>> =
                Arc::new(walked.frames.iter().map(|f| f.timestamp).collect());
            if start == Seek::Newest {
                self.inner.chains.insert(esn.clone(), times.clone());
            }
            // A short page (the oldest frames) fits no line: the last one stays.
            if times.len() >= walk::CONTEXT_FRAMES {
                self.inner.recent.insert(esn.clone(), times);
            }
            Ok(walked.frames)
        })
        .await
    }

    /// One frame, found as `seek` says; `None` when there is none.
    async fn frame(
        &self,
        deadline: tokio::time::Instant,
        esn: &Esn,
        seek: Seek,
    ) -> Result<Option<Frame>, Error> {
        let device = ("deviceId", esn.as_str());
        let preview = ("type", "preview");
        let (path, query, time) = match &seek {
            Seek::Newest => ("media/liveImage.jpeg", vec![device, preview], None),
            Seek::Before(ts) => (
                "media/recordedImage.jpeg",
                vec![device, preview],
                Some(("timestamp__lt", wire::format_timestamp(*ts))),
            ),
            Seek::AtOrBefore(ts) => (
                "media/recordedImage.jpeg",
                vec![device, preview],
                Some(("timestamp__lte", wire::format_timestamp(*ts))),
            ),
            // A page token overrides every other parameter (spec §6.6).
            Seek::Prev(token) => (
                "media/recordedImage.jpeg",
                vec![("pageToken", token.as_str())],
                None,
            ),
        };
        let mut query = query;
        if let Some((name, value)) = &time {
            query.push((name, value.as_str()));
        }
        let reply = self.get(deadline, path, &query, Accept::Jpeg).await?;
        if matches!(seek, Seek::Newest) && reply.status.as_u16() == 503 {
            // The camera cannot deliver a live frame: its last recorded one stands in.
            return Box::pin(self.frame(deadline, esn, Seek::Before(EenTimestamp::now()))).await;
        }
        frame(reply)
    }
}

/// A JPEG answer as a frame with its prev token; `None` for a 404.
fn frame(reply: Reply) -> Result<Option<Frame>, Error> {
    match reply.status.as_u16() {
        404 => return Ok(None),
        200..=299 => {}
        s => return Err(Error::Upstream(s)),
    }
    if !is_jpeg(&reply.body) {
        return Err(Error::Decode("the image is not a JPEG".into()));
    }
    let headers = wire::frame_headers(&reply.headers);
    let timestamp = headers
        .timestamp
        .ok_or_else(|| Error::Decode("the image has no X-Een-Timestamp".into()))?;
    Ok(Some(Frame {
        image: Image {
            timestamp,
            bytes: reply.body,
        },
        prev: headers.prev,
    }))
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("auth_url", &self.inner.config.auth_url.as_str())
            .field("client_id", &self.inner.config.client_id)
            .field("state", &self.connection_state())
            .finish_non_exhaustive()
    }
}
