//! Who may use the gallery, and as what.
//!
//! - `users`: the users file (argon2id hashes, roles); `users_file`: it kept current while
//!   the server runs; `cli`: `een-gallery user …`;
//! - `sessions`: sign-in sessions (random ids, idle and absolute lifetimes), shared by the
//!   replicas through the store when there is one;
//! - `limit`: the sign-in rate limit (shared likewise); `proxy`: trusted reverse proxies;
//! - `secret`: random secrets and comparing them;
//! - [`Auth`]: the three modes (open, the users file, a trusted proxy's header) and the one
//!   question the gallery asks of a request: who is this?
//!
//! Nothing here knows a route or a cookie name: the gallery's `guard` and `login` handlers
//! carry the answers over HTTP.

pub mod cli;
pub mod limit;
pub mod proxy;
pub mod secret;
pub mod sessions;
pub mod users;
pub mod users_file;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;
use tokio::sync::Semaphore;

pub use limit::LoginLimiter;
pub use proxy::TrustedProxies;
pub use sessions::{Lifetimes, Sessions};
pub use users::{Role, User, Users, UsersError};
pub use users_file::UsersFile;

use crate::store::Store;

/// A signed-in user (or one a trusted proxy vouches for), for one request. `Debug` shows no
/// secret.
#[derive(Clone)]
pub struct Principal {
    /// The user's name.
    pub name: String,
    /// What the user may do, as the users file (or the proxy) says now.
    pub role: Role,
    /// The token this user's forms must carry.
    pub csrf: SecretString,
    /// Signed in with a session (`false`: the proxy's header), so signing out means something.
    pub has_session: bool,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Principal {
    /// Whether the user may manage the EEN connection and read `/metrics`.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The headers a trusted proxy names its user (and optionally the role) in.
#[derive(Clone, Debug)]
pub struct ProxyHeaders {
    /// E.g. `X-Forwarded-User`.
    pub user: HeaderName,
    /// E.g. `X-Forwarded-Role`: `admin` makes an admin, anything else or nothing a viewer.
    pub role: Option<HeaderName>,
}

/// How visitors are known.
#[derive(Clone, Debug)]
enum Mode {
    /// Everybody may look (`AUTH=none`, and the demo without users).
    Open,
    /// Users of the users file sign in on `/login`.
    Users(UsersFile),
    /// A trusted proxy names the user.
    Proxy(ProxyHeaders),
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many failures lately from this address or for this name.
    #[error("too many failed sign-ins; try again in {} s", .0.as_secs())]
    Limited(Duration),
    /// The name or the password is wrong (which one is not said).
    #[error("wrong user name or password")]
    Wrong,
    /// No users file (another mode).
    #[error("this gallery has no sign-in")]
    NoSignIn,
}

struct Inner {
    mode: Mode,
    sessions: Sessions,
    limiter: LoginLimiter,
    trusted: TrustedProxies,
    metrics_token: Option<SecretString>,
    /// Derives the form token of a user known by proxy header (who has no session).
    form_key: SecretString,
    /// Bounds the password hashes computed at once: each takes 19 MiB and a core for tens of
    /// milliseconds, so a burst of sign-ins waits instead of exhausting memory.
    hashing: Semaphore,
}

/// The gallery's answer to "who is this?". Cheap to clone; `Debug` shows no secret.
#[derive(Clone)]
pub struct Auth(Arc<Inner>);

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("mode", &self.0.mode)
            .field("sessions", &self.0.sessions)
            .field("trusted", &self.0.trusted)
            .field("metrics_token", &self.0.metrics_token.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Auth {
    /// Open to everybody.
    fn default() -> Self {
        Self::new(Mode::Open, Lifetimes::default(), TrustedProxies::default())
    }
}

impl Auth {
    fn new(mode: Mode, lifetimes: Lifetimes, trusted: TrustedProxies) -> Self {
        Self(Arc::new(Inner {
            mode,
            sessions: Sessions::new(lifetimes),
            limiter: LoginLimiter::default(),
            trusted,
            metrics_token: None,
            form_key: secret::random_secret(),
            hashing: Semaphore::new(permits()),
        }))
    }

    /// Open to everybody (`AUTH=none`): pages and images need no sign-in.
    pub fn open(trusted: TrustedProxies) -> Self {
        Self::new(Mode::Open, Lifetimes::default(), trusted)
    }

    /// Sign-in with the users of `file`, sessions living `lifetimes`.
    pub fn users(file: UsersFile, lifetimes: Lifetimes, trusted: TrustedProxies) -> Self {
        Self::new(Mode::Users(file), lifetimes, trusted)
    }

    /// The user named by `headers` of a request from one of `trusted`.
    pub fn proxy(headers: ProxyHeaders, trusted: TrustedProxies) -> Self {
        Self::new(Mode::Proxy(headers), Lifetimes::default(), trusted)
    }

    /// Also lets `Authorization: Bearer <token>` read `/metrics`. Call before cloning.
    pub fn with_metrics_token(mut self, token: Option<SecretString>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.metrics_token = token;
        }
        self
    }

    /// The same access, its sessions and sign-in limits shared through `store` with the
    /// other replicas. Call at setup, within a Tokio runtime: sessions made before are not
    /// carried over.
    pub fn with_store(&self, store: &Store) -> Self {
        let old = &self.0;
        let lifetimes = old.sessions.lifetimes();
        Self(Arc::new(Inner {
            mode: old.mode.clone(),
            sessions: Sessions::shared(lifetimes, store.clone()),
            limiter: LoginLimiter::shared(store.clone()),
            trusted: old.trusted.clone(),
            metrics_token: old.metrics_token.clone(),
            form_key: old.form_key.clone(),
            hashing: Semaphore::new(permits()),
        }))
    }

    /// Whether everybody may look (no sign-in).
    pub fn is_open(&self) -> bool {
        matches!(self.0.mode, Mode::Open)
    }

    /// Whether visitors sign in on the gallery's own page (the users file).
    pub fn has_sign_in(&self) -> bool {
        matches!(self.0.mode, Mode::Users(_))
    }

    /// The sessions' lifetimes.
    pub fn lifetimes(&self) -> Lifetimes {
        self.0.sessions.lifetimes()
    }

    /// The client's address: the peer's, or what trusted proxies say it is.
    pub fn client_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        peer.map(|peer| self.0.trusted.client(peer, headers))
    }

    /// Who sent a request from `peer` with `headers`, presenting session id `session`.
    pub async fn identify(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
        session: Option<&str>,
    ) -> Option<Principal> {
        match &self.0.mode {
            Mode::Open => None,
            Mode::Users(file) => {
                let record = self.0.sessions.get(session?).await?;
                let users = file.recent();
                // A removed user, or a new password, ends the session.
                let user = users
                    .find(&record.user)
                    .filter(|user| user.credential() == record.credential)?;
                Some(Principal {
                    name: user.name.clone(),
                    role: user.role,
                    csrf: record.csrf.clone(),
                    has_session: true,
                })
            }
            Mode::Proxy(names) => {
                if !self.0.trusted.trusts(peer?) {
                    return None;
                }
                let name = headers.get(&names.user)?.to_str().ok()?.trim();
                if !users::valid_name(name) {
                    return None;
                }
                let role = names
                    .role
                    .as_ref()
                    .and_then(|role| headers.get(role))
                    .and_then(|v| v.to_str().ok())
                    .filter(|role| role.trim().eq_ignore_ascii_case("admin"))
                    .map_or(Role::Viewer, |_| Role::Admin);
                Some(Principal {
                    name: name.to_owned(),
                    role,
                    csrf: self.form_token(name),
                    has_session: false,
                })
            }
        }
    }

    /// Checks `name` and `password` and starts a session: its id, for the cookie.
    pub async fn sign_in(
        &self,
        client: Option<IpAddr>,
        name: &str,
        password: SecretString,
    ) -> Result<SecretString, SignInError> {
        let Mode::Users(file) = &self.0.mode else {
            return Err(SignInError::NoSignIn);
        };
        self.0
            .limiter
            .check(client, name)
            .await
            .map_err(SignInError::Limited)?;
        let users = file.fresh();
        let checked = {
            // Closed only when the whole `Auth` is gone, which no caller sees.
            let _permit = self.0.hashing.acquire().await.ok();
            let name = name.to_owned();
            tokio::task::spawn_blocking(move || users.verify(&name, &password).cloned())
                .await
                .ok()
                .flatten()
        };
        match checked {
            Some(user) => {
                self.0.limiter.succeeded(name).await;
                Ok(self.0.sessions.create(&user).await)
            }
            None => {
                self.0.limiter.failed(client, name).await;
                Err(SignInError::Wrong)
            }
        }
    }

    /// Ends session `id` (nothing if there is none), on every replica.
    pub async fn sign_out(&self, id: &str) {
        self.0.sessions.end(id).await;
    }

    /// Whether `headers` carry the metrics token as `Authorization: Bearer …`.
    pub fn metrics_token_presented(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.0.metrics_token else {
            return false;
        };
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| {
                // Hashed first, so the comparison's length is fixed and says nothing.
                let digest = |s: &str| URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(s.as_bytes()));
                secret::same_secret(&digest(token.trim()), &digest(expected.expose_secret()))
            })
    }

    /// Whether `/metrics` is open to everybody: no sign-in and no metrics token.
    pub fn metrics_open(&self) -> bool {
        self.is_open() && self.0.metrics_token.is_none()
    }

    /// The form token of a user without a session: keyed by this process's secret, so only
    /// pages this server rendered for that user carry it.
    fn form_token(&self, name: &str) -> SecretString {
        let mut hasher = sha2::Sha256::new();
        hasher.update(self.0.form_key.expose_secret().as_bytes());
        hasher.update(b"\0");
        hasher.update(name.as_bytes());
        SecretString::from(URL_SAFE_NO_PAD.encode(hasher.finalize()))
    }
}

/// Password hashes computed at once: one per core.
fn permits() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// The password of a new first admin (`admin`, at first start with no users): 24 random
/// characters from an alphabet without look-alikes, easy to type from a log.
pub fn first_admin_password() -> SecretString {
    use rand::RngExt as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let password: String = (0..24)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    SecretString::from(password)
}

/// The name of the first admin.
pub const FIRST_ADMIN: &str = "admin";

/// At first start with an empty (or missing) users file: adds [`FIRST_ADMIN`] with a random
/// password and answers that password, to be shown once. `None` when there are users.
pub fn create_first_admin(path: &std::path::Path) -> Result<Option<SecretString>, UsersError> {
    let mut users = Users::load(path)?;
    if !users.is_empty() {
        return Ok(None);
    }
    let password = first_admin_password();
    users.add(FIRST_ADMIN, Role::Admin, &password)?;
    users.save(path)?;
    Ok(Some(password))
}
