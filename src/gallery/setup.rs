//! The operator's way in (EEN API v3): the setup link, and the connect flows under way.
//!
//! Whoever can read the gallery's log may connect, reconnect or disconnect the EEN account.
//! The log carries a link with a random token (`/een/connect?setup=…` while no account is
//! connected, `/een?setup=…` once one is); the token is the only proof the pages ask for. One
//! token is valid at a time, kept in memory only (a restart makes a new one), compared in
//! constant time, and spent by the connect or disconnect it allowed. A new one is made at
//! start, whenever the connection is lost (not connected, reconnection needed), and after
//! the old one was spent; each is logged once, by the announcer task, and never again.
//!
//! A connect flow started with the token waits here for EEN's callback, keyed by its OAuth
//! `state`, for at most [`FLOW_TTL`]: the PKCE verifier for the code exchange and the value of
//! the cookie that binds the flow to the browser that started it.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use moka::sync::Cache;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use url::Url;

pub use crate::auth::secret::{random_secret, same_secret};
use crate::cache::{Account, Health, Status};
use crate::config::CALLBACK_PATH;
use crate::een::ConnectionState;

/// How long a connect flow waits for EEN's callback (EEN's codes live 5 minutes; the
/// operator may take a while to sign in).
pub const FLOW_TTL: Duration = Duration::from_secs(600);

/// Connect flows kept at once. Only holders of the setup token start them, so a few are
/// plenty; the bound keeps a leaked token from filling memory.
const MAX_FLOWS: u64 = 64;

/// The gallery's public base, from the redirect URI registered at EEN: its origin and path
/// without [`CALLBACK_PATH`] (`https://g.example.com/een/callback` → `https://g.example.com/`).
/// `None` for a redirect URI the gallery does not serve (such as `http://127.0.0.1:3333`,
/// for `een-gallery connect`): it says nothing about where the gallery is.
pub fn public_base(redirect_url: &Url) -> Option<Url> {
    let path = redirect_url.path().strip_suffix(CALLBACK_PATH)?.to_owned();
    let mut base = redirect_url.clone();
    base.set_path(&path);
    base.set_query(None);
    base.set_fragment(None);
    Some(base)
}

/// Where a setup link leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// `/een/connect?setup=…`: straight to EEN's sign-in (no account is connected).
    Connect,
    /// `/een?setup=…`: the connection page, to disconnect or connect again.
    Manage,
}

/// A setup link as the log shows it. `Debug` hides it; [`SetupLink::expose`] is for the one
/// log line that prints it.
pub struct SetupLink {
    kind: LinkKind,
    url: SecretString,
}

impl SetupLink {
    /// Where it leads.
    pub fn kind(&self) -> LinkKind {
        self.kind
    }

    /// The full link, token included.
    pub fn expose(&self) -> &str {
        self.url.expose_secret()
    }
}

impl fmt::Debug for SetupLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetupLink")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A connect flow waiting for EEN's callback.
pub struct PendingFlow {
    /// The cookie value that binds the flow to the browser that started it.
    pub binding: SecretString,
    /// The PKCE verifier for the code exchange.
    pub verifier: SecretString,
    /// The setup token that started the flow, spent when it succeeds.
    pub token: SecretString,
}

struct Current {
    token: Option<SecretString>,
    kind: LinkKind,
}

/// The setup token and the connect flows under way. Cheap to clone; `Debug` shows no secret.
#[derive(Clone)]
pub struct Setup {
    current: Arc<Mutex<Current>>,
    flows: Cache<String, Arc<PendingFlow>>,
    /// Wakes the announcer when a token was spent.
    spent: Arc<Notify>,
    base: Option<Url>,
    /// The path prefix, when set apart from the public URL (`BASE_PATH`).
    path: Option<String>,
}

impl fmt::Debug for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setup")
            .field("base", &self.base.as_ref().map(Url::as_str))
            .field("flows", &self.flows.entry_count())
            .finish_non_exhaustive()
    }
}

impl Setup {
    /// No token yet (the announcer makes the first); links start with `public_base` (see
    /// [`public_base`]), or are paths only without it.
    pub fn new(public_base: Option<Url>) -> Self {
        Self {
            current: Arc::new(Mutex::new(Current {
                token: None,
                kind: LinkKind::Connect,
            })),
            flows: Cache::builder()
                .max_capacity(MAX_FLOWS)
                .time_to_live(FLOW_TTL)
                .build(),
            spent: Arc::new(Notify::new()),
            base: public_base,
            path: None,
        }
    }

    /// The same, under the path prefix `path` (`""` or `/cams`) whatever the public URL's
    /// path is.
    pub fn with_base_path(mut self, path: &str) -> Self {
        self.path = Some(path.trim_end_matches('/').to_owned());
        self
    }

    /// Whether `presented` is the current setup token.
    pub fn check(&self, presented: Option<&str>) -> bool {
        let current = self.lock();
        match (presented, &current.token) {
            (Some(presented), Some(token)) => same_secret(presented, token.expose_secret()),
            _ => false,
        }
    }

    /// Spends `presented` if it is still the current token (a connect or disconnect it
    /// allowed succeeded); the announcer then logs a new one. `false` when it was no longer
    /// current (a newer link is in the log already).
    pub fn spend(&self, presented: &str) -> bool {
        let spent = {
            let mut current = self.lock();
            let is_current = current
                .token
                .as_ref()
                .is_some_and(|token| same_secret(presented, token.expose_secret()));
            if is_current {
                current.token = None;
            }
            is_current
        };
        if spent {
            self.spent.notify_one();
        }
        spent
    }

    /// Makes a new token, valid from now on in place of the old one, and returns its link.
    /// The announcer logs what this returns; nothing else should call it but tests.
    pub fn renew(&self, kind: LinkKind) -> SetupLink {
        let token = random_secret();
        let url = self.link_url(kind, token.expose_secret());
        let mut current = self.lock();
        current.token = Some(token);
        current.kind = kind;
        SetupLink {
            kind,
            url: SecretString::from(url),
        }
    }

    /// A new link when one is due: there is no token (at start, or it was spent), or the
    /// account just lost its connection (`needs_connect`) while the last link led to the
    /// connection page.
    fn renew_if_due(&self, needs_connect: bool) -> Option<SetupLink> {
        let kind = if needs_connect {
            LinkKind::Connect
        } else {
            LinkKind::Manage
        };
        let due = {
            let current = self.lock();
            current.token.is_none() || (needs_connect && current.kind == LinkKind::Manage)
        };
        due.then(|| self.renew(kind))
    }

    /// Keeps a connect flow until its callback (or [`FLOW_TTL`]); returns the binding for
    /// the browser's cookie.
    pub fn start_flow(
        &self,
        state: &SecretString,
        verifier: SecretString,
        token: &str,
    ) -> SecretString {
        let binding = random_secret();
        let flow = PendingFlow {
            binding: binding.clone(),
            verifier,
            token: SecretString::from(token),
        };
        self.flows
            .insert(state.expose_secret().to_owned(), Arc::new(flow));
        binding
    }

    /// Takes the flow of `state` out: a state is good for one callback only.
    pub fn finish_flow(&self, state: &str) -> Option<Arc<PendingFlow>> {
        self.flows.remove(state)
    }

    /// The gallery's path prefix as browsers see it (`""` at the root of its host).
    pub fn base_path(&self) -> &str {
        match &self.path {
            Some(path) => path,
            None => self
                .base
                .as_ref()
                .map_or("", |base| base.path().trim_end_matches('/')),
        }
    }

    /// Whether the gallery is reached over HTTPS (cookies then carry `Secure`).
    pub fn is_https(&self) -> bool {
        self.base
            .as_ref()
            .is_some_and(|base| base.scheme() == "https")
    }

    fn link_url(&self, kind: LinkKind, token: &str) -> String {
        let page = match kind {
            LinkKind::Connect => "/een/connect",
            LinkKind::Manage => "/een",
        };
        let origin = self
            .base
            .as_ref()
            .map_or_else(String::new, |base| base.origin().ascii_serialization());
        format!("{origin}{}{page}?setup={token}", self.base_path())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        // Nothing can panic while the lock is held; a poisoned lock still holds valid data.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the task that logs each new setup link once: at start, whenever the connection
/// is lost, and after a link was used. Does nothing for a backend without a connect flow
/// (v1).
pub fn spawn_announcer(account: Account, health: Health, setup: Setup) -> JoinHandle<()> {
    tokio::spawn(async move {
        if !account.can_connect() {
            return;
        }
        let mut changes = health.subscribe();
        loop {
            let status = *changes.borrow_and_update();
            let state = account.state();
            let needs_connect = state != ConnectionState::Connected
                || matches!(status, Status::NotConnected | Status::ReconnectionNeeded);
            if let Some(link) = setup.renew_if_due(needs_connect) {
                announce(&link, state, status);
            }
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = setup.spent.notified() => {}
            }
        }
    })
}

fn announce(link: &SetupLink, state: ConnectionState, status: Status) {
    let link = link.expose();
    match link_reason(state, status) {
        Some(reason) => tracing::warn!("{reason}. To connect an EEN account, open {link}"),
        None => {
            tracing::info!("EEN account connected. To disconnect it or connect again, open {link}")
        }
    }
}

/// Why a connect link is printed, or `None` when the account is connected.
fn link_reason(state: ConnectionState, status: Status) -> Option<&'static str> {
    match (state, status) {
        (ConnectionState::ReconnectionNeeded, _) | (_, Status::ReconnectionNeeded) => {
            Some(Status::ReconnectionNeeded.describe())
        }
        (ConnectionState::NotConnected, _) | (_, Status::NotConnected) => {
            Some(Status::NotConnected.describe())
        }
        (ConnectionState::Connected, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Setup {
        Setup::new(public_base(
            &"https://gallery.example.com/een/callback".parse().unwrap(),
        ))
    }

    fn token_of(link: &SetupLink) -> String {
        let url: Url = link.expose().parse().unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "setup")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    #[test]
    fn no_token_is_valid_before_the_first_is_made() {
        let setup = setup();
        assert!(!setup.check(None));
        assert!(!setup.check(Some("")));
    }

    #[test]
    fn one_token_at_a_time_and_a_spent_one_is_dead() {
        let setup = setup();
        let first = setup.renew(LinkKind::Connect);
        let first_token = token_of(&first);
        assert!(setup.check(Some(&first_token)));
        assert!(!setup.check(None));
        assert!(!setup.check(Some(&first_token[1..])));

        let second = setup.renew(LinkKind::Manage);
        let second_token = token_of(&second);
        assert!(
            !setup.check(Some(&first_token)),
            "renewing ends the old one"
        );
        assert!(setup.check(Some(&second_token)));
        assert!(!setup.spend(&first_token), "an old token spends nothing");
        assert!(setup.check(Some(&second_token)));

        assert!(setup.spend(&second_token));
        assert!(!setup.check(Some(&second_token)));
        assert!(!setup.spend(&second_token));
    }

    #[test]
    fn links_start_with_the_public_base() {
        let setup = setup();
        let connect = setup.renew(LinkKind::Connect);
        let token = token_of(&connect);
        assert_eq!(
            connect.expose(),
            format!("https://gallery.example.com/een/connect?setup={token}")
        );
        let manage = setup.renew(LinkKind::Manage);
        let token = token_of(&manage);
        assert_eq!(
            manage.expose(),
            format!("https://gallery.example.com/een?setup={token}")
        );
        assert!(setup.is_https());
        assert_eq!(setup.base_path(), "");

        let nested = Setup::new(public_base(
            &"http://127.0.0.1:8080/photos/een/callback?x=1"
                .parse()
                .unwrap(),
        ));
        assert_eq!(nested.base_path(), "/photos");
        assert!(!nested.is_https());
        let link = nested.renew(LinkKind::Connect);
        assert!(
            link.expose()
                .starts_with("http://127.0.0.1:8080/photos/een/connect?setup="),
            "{}",
            link.expose()
        );

        assert_eq!(
            public_base(&"http://127.0.0.1:3333".parse().unwrap()),
            None,
            "a redirect URI the gallery does not serve says nothing about it"
        );
        let bare = Setup::new(None);
        assert!(
            bare.renew(LinkKind::Manage)
                .expose()
                .starts_with("/een?setup=")
        );
    }

    #[test]
    fn a_link_is_due_at_start_after_spending_and_when_the_connection_is_lost() {
        let setup = setup();
        let first = setup.renew_if_due(true).expect("a link at start");
        assert_eq!(first.kind(), LinkKind::Connect);
        assert!(setup.renew_if_due(true).is_none(), "printed once");
        assert!(
            setup.renew_if_due(false).is_none(),
            "connecting does not by itself make a new link"
        );
        assert!(setup.spend(&token_of(&first)));
        let manage = setup.renew_if_due(false).expect("a link after use");
        assert_eq!(manage.kind(), LinkKind::Manage);
        assert!(setup.renew_if_due(false).is_none());
        let lost = setup
            .renew_if_due(true)
            .expect("a link when the connection is lost");
        assert_eq!(lost.kind(), LinkKind::Connect);
        assert!(!setup.check(Some(&token_of(&manage))));
    }

    #[test]
    fn a_flow_is_good_for_one_callback() {
        let setup = setup();
        let state = random_secret();
        let binding = setup.start_flow(&state, SecretString::from("verifier"), "token");
        let flow = setup.finish_flow(state.expose_secret()).expect("the flow");
        assert_eq!(flow.binding.expose_secret(), binding.expose_secret());
        assert_eq!(flow.verifier.expose_secret(), "verifier");
        assert!(setup.finish_flow(state.expose_secret()).is_none());
        assert!(setup.finish_flow("unknown").is_none());
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let setup = setup();
        let link = setup.renew(LinkKind::Connect);
        let token = token_of(&link);
        let state = random_secret();
        setup.start_flow(&state, SecretString::from("the-verifier"), &token);
        let shown = format!("{setup:?} {link:?}");
        assert!(!shown.contains(&token), "{shown}");
        assert!(!shown.contains(state.expose_secret()), "{shown}");
        assert!(!shown.contains("the-verifier"), "{shown}");
    }
}
