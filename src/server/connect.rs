//! `een-gallery connect`: the operator's one-time connect step (EEN API v3) from a terminal,
//! for a server without a browser of its own.
//!
//! It serves the registered redirect URI itself, on that URI's host and port (plain HTTP,
//! whatever its path: EEN documents `http://127.0.0.1:3333` for local use, which an SSH
//! tunnel brings to the operator's machine), prints EEN's authorize URL, waits for the one
//! callback of the flow it started, exchanges the code, and exits; the backend writes the
//! connection into `DATA_DIR`, where the gallery finds it when it starts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use crate::config::{Config, Upstream};
use crate::een::{self, Backend, ConnectionState};
use crate::gallery::setup::same_secret;

/// How long `een-gallery connect` waits for the operator to sign in.
pub const TIMEOUT: Duration = Duration::from_secs(600);

/// How long the temporary listener lets the last page reach the browser before it closes.
const DRAIN: Duration = Duration::from_secs(2);

/// Why a terminal connect ended without a connection. Nothing was stored in any case.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The backend has no connect flow (v1).
    #[error("this EEN backend has no connect flow (only EEN API v3 has)")]
    NoConnectFlow,
    /// The redirect URI cannot be served by a plain listener.
    #[error(
        "the redirect URI {0} is not plain http:// with a host; register one such as \
         http://127.0.0.1:3333 for the connect command and give it here with \
         --een-redirect-url"
    )]
    RedirectNotServable(String),
    /// The redirect URI's host and port cannot be listened on.
    #[error("cannot listen on the redirect URI's address {addr}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// EEN sent the browser back without access.
    #[error("Eagle Eye Networks did not grant access (denied or cancelled)")]
    Denied,
    /// EEN did not take the code.
    #[error("Eagle Eye Networks did not complete the sign-in")]
    Exchange(#[source] een::Error),
    /// Ctrl-C (or SIGTERM) before the sign-in arrived.
    #[error("interrupted before the sign-in arrived")]
    Interrupted,
    /// No sign-in within [`TIMEOUT`].
    #[error("no sign-in arrived within {} minutes", TIMEOUT.as_secs() / 60)]
    TimedOut,
}

/// Why [`TerminalFlow::finish`] stopped waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The operator interrupted.
    Interrupted,
    /// The time ran out.
    TimedOut,
}

/// Runs `een-gallery connect` with the gallery's settings: prints EEN's authorize URL on
/// stdout, waits (at most [`TIMEOUT`], or until Ctrl-C) for the callback, and keeps the
/// connection.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let Upstream::EenV3(app) = config.upstream()? else {
        anyhow::bail!(
            "een-gallery connect is for EEN API v3: set EEN_CLIENT_ID, EEN_CLIENT_SECRET (or \
             EEN_CLIENT_SECRET_FILE) and EEN_REDIRECT_URL, as for the gallery"
        );
    };
    // With replicas the connection goes where they read it: the shared store.
    let store = match config.store.settings()? {
        Some(settings) => Some(
            crate::store::Store::connect(&settings).context("cannot set up the store client")?,
        ),
        None => None,
    };
    let kept_in = match &store {
        Some(store) => format!("the shared store {}", store.url()),
        None => app.data_dir.display().to_string(),
    };
    let backend = super::v3_backend(&app, &config, store.as_ref())?;
    if backend.connection_state() == ConnectionState::Connected {
        println!("An EEN account is connected already; connecting again replaces it.");
    }
    let listener = bind(&app.redirect_url).await?;
    let flow = TerminalFlow::start(backend, &app.redirect_url, listener)?;
    println!(
        "Open this address in a browser, sign in to Eagle Eye Networks and allow access \
         (waiting {} minutes; Ctrl-C to stop):\n\n  {}\n",
        TIMEOUT.as_secs() / 60,
        flow.authorize_url()
    );
    let stop = async {
        tokio::select! {
            () = crate::shutdown::signal() => Stop::Interrupted,
            () = tokio::time::sleep(TIMEOUT) => Stop::TimedOut,
        }
    };
    flow.finish(stop)
        .await
        .context("not connected; nothing was stored")?;
    println!(
        "Connected. The connection is kept in {kept_in}; the gallery uses it from its next \
         start (replicas sharing the store take it within seconds)."
    );
    Ok(())
}

/// Listens on the host and port of `redirect_url` (plain `http://` only).
pub async fn bind(redirect_url: &Url) -> Result<TcpListener, ConnectError> {
    let not_servable = || ConnectError::RedirectNotServable(redirect_url.to_string());
    if redirect_url.scheme() != "http" || redirect_url.host_str().is_none() {
        return Err(not_servable());
    }
    let addrs: Vec<SocketAddr> = redirect_url
        .socket_addrs(|| Some(80))
        .map_err(|_| not_servable())?;
    TcpListener::bind(&addrs[..])
        .await
        .map_err(|source| ConnectError::Bind {
            addr: format!(
                "{}:{}",
                redirect_url.host_str().unwrap_or_default(),
                redirect_url.port_or_known_default().unwrap_or(80)
            ),
            source,
        })
}

/// A connect flow served from a temporary listener: started, then finished once.
pub struct TerminalFlow {
    authorize_url: Url,
    outcome: oneshot::Receiver<Result<(), ConnectError>>,
    stop_server: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for TerminalFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The authorize URL carries the flow's state.
        f.debug_struct("TerminalFlow").finish_non_exhaustive()
    }
}

/// What the callback handler needs; it reports the one outcome through `outcome`.
struct Callback {
    backend: Backend,
    path: String,
    state: SecretString,
    verifier: SecretString,
    outcome: Mutex<Option<oneshot::Sender<Result<(), ConnectError>>>>,
}

/// What EEN sends to the redirect URI. No `Debug`: it holds the code.
#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl TerminalFlow {
    /// Starts a connect flow with `backend` and serves `redirect_url`'s path on `listener`
    /// until [`TerminalFlow::finish`].
    pub fn start(
        backend: Backend,
        redirect_url: &Url,
        listener: TcpListener,
    ) -> Result<Self, ConnectError> {
        let request = backend
            .begin_authorization()
            .ok_or(ConnectError::NoConnectFlow)?;
        let (report, outcome) = oneshot::channel();
        let callback = Arc::new(Callback {
            backend,
            path: redirect_url.path().to_owned(),
            state: request.state,
            verifier: request.verifier,
            outcome: Mutex::new(Some(report)),
        });
        let router = Router::new().fallback(callback_page).with_state(callback);
        let (stop_server, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(super::serve(
            listener,
            router,
            super::Limits::default(),
            async move {
                let _ = stopped.await;
            },
            DRAIN,
        ));
        Ok(Self {
            authorize_url: request.url,
            outcome,
            stop_server,
            server,
        })
    }

    /// EEN's authorize page for this flow, for the operator's browser.
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// Waits for the flow's callback (or `stop`), then closes the listener.
    pub async fn finish(self, stop: impl Future<Output = Stop>) -> Result<(), ConnectError> {
        let result = tokio::select! {
            outcome = self.outcome => outcome.unwrap_or(Err(ConnectError::Interrupted)),
            why = stop => Err(match why {
                Stop::Interrupted => ConnectError::Interrupted,
                Stop::TimedOut => ConnectError::TimedOut,
            }),
        };
        let _ = self.stop_server.send(());
        // The server drains for at most DRAIN; its own failure changes nothing now.
        let _ = self.server.await;
        result
    }
}

/// Every request to the temporary listener: the redirect URI's path with this flow's
/// `state` finishes the flow; anything else is turned away and the flow keeps waiting.
async fn callback_page(
    State(callback): State<Arc<Callback>>,
    uri: Uri,
    query: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    if uri.path() != callback.path {
        return page(StatusCode::NOT_FOUND, PAGE_NOT_FOUND);
    }
    let Ok(Query(params)) = query else {
        return page(StatusCode::BAD_REQUEST, PAGE_NOT_THIS_FLOW);
    };
    let this_flow = params
        .state
        .as_deref()
        .is_some_and(|state| same_secret(state, callback.state.expose_secret()));
    if !this_flow {
        return page(StatusCode::BAD_REQUEST, PAGE_NOT_THIS_FLOW);
    }
    let report = callback
        .outcome
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let Some(report) = report else {
        return page(StatusCode::BAD_REQUEST, PAGE_USED);
    };
    // On a task of its own, so a browser that goes away mid-exchange cannot cancel it.
    let exchange = tokio::spawn(async move {
        let outcome = match (params.error, params.code) {
            (Some(_), _) => Err(ConnectError::Denied),
            (None, Some(code)) if !code.is_empty() => callback
                .backend
                .complete_authorization(&code, &callback.verifier)
                .await
                .map_err(ConnectError::Exchange),
            (None, _) => Err(ConnectError::Exchange(een::Error::CodeRejected)),
        };
        let answer = match &outcome {
            Ok(()) => (StatusCode::OK, PAGE_CONNECTED),
            Err(ConnectError::Denied) => (StatusCode::BAD_REQUEST, PAGE_DENIED),
            Err(_) => (StatusCode::BAD_REQUEST, PAGE_FAILED),
        };
        let _ = report.send(outcome);
        answer
    });
    let (status, body) = exchange
        .await
        .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, PAGE_FAILED));
    page(status, body)
}

fn page(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            ),
        ],
        Html(body),
    )
        .into_response()
}

const PAGE_CONNECTED: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Connected · EEN Gallery</title><h1 id=\"connected\">Connected</h1>\
<p>The gallery is connected to Eagle Eye Networks. You can close this tab.</p></html>";

const PAGE_DENIED: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Not connected · EEN Gallery</title><h1 id=\"denied\">Access was not granted</h1>\
<p>Eagle Eye Networks did not give the gallery access. Nothing was stored; run \
<code>een-gallery connect</code> again to retry.</p></html>";

const PAGE_FAILED: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Not connected · EEN Gallery</title><h1 id=\"failed\">The sign-in did not complete</h1>\
<p>Eagle Eye Networks refused the sign-in or could not be reached. Nothing was stored; the \
terminal says more.</p></html>";

const PAGE_NOT_THIS_FLOW: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Not this sign-in · EEN Gallery</title><h1 id=\"not-this-flow\">Not this sign-in</h1>\
<p>This is not the sign-in the terminal is waiting for. Open the address the terminal \
printed.</p></html>";

const PAGE_USED: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Already used · EEN Gallery</title><h1 id=\"used\">Already used</h1>\
<p>This sign-in has been completed already.</p></html>";

const PAGE_NOT_FOUND: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Not found · EEN Gallery</title><h1>Not found</h1></html>";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_plain_http_redirect_uris_can_be_served() {
        for url in ["https://127.0.0.1:3333/", "file:///tmp/x"] {
            let url: Url = url.parse().unwrap();
            assert!(matches!(
                bind(&url).await,
                Err(ConnectError::RedirectNotServable(_))
            ));
        }
        let listener = bind(&"http://127.0.0.1:0/een/callback".parse().unwrap())
            .await
            .expect("binds a loopback port");
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let taken: Url = format!("http://{addr}").parse().unwrap();
        assert!(matches!(bind(&taken).await, Err(ConnectError::Bind { .. })));
    }
}
