//! OAuth2 state (V3-SIM-11 … 15): authorization codes, access tokens and refresh tokens,
//! with rotation, idle and absolute lifetimes, and revocation.
//!
//! A "grant" is one approval by a user; its refresh tokens form a chain (each refresh
//! replaces the previous one when rotating). Each refresh token knows the access token issued
//! with it, so rotating or revoking it kills that access token too (spec §2.4, §2.5).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use rand::RngExt;
use serde_json::json;

use super::config::V3Config;

/// The most live codes, access and refresh tokens kept; beyond it expired ones are dropped,
/// then the oldest (a client minting tokens in a loop cannot grow memory without bound).
const MAX_ENTRIES: usize = 100_000;

/// The key id of the access tokens' (pretend) RS256 signature, as in EEN's tokens.
const KID: &str = "6861b0ca-0f26-11ed-861d-0242ac120002";

/// An approved authorization request waiting for its code exchange.
#[derive(Clone, Debug)]
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) user: usize,
    /// The PKCE `code_challenge` (S256) sent to authorize, if any.
    pub(crate) challenge: Option<String>,
    expires: Instant,
}

#[derive(Debug)]
struct Access {
    ordinal: u64,
    user: usize,
    expires: Instant,
    /// API calls still to answer 401 (v1's `unauthorized_after_login`, per access token).
    unauthorized_left: u32,
    /// When requests let through in the last second arrived (the per-token rate limit).
    recent: VecDeque<Instant>,
    /// The same for `type=main` recorded images.
    recent_main: VecDeque<Instant>,
}

#[derive(Debug)]
struct Refresh {
    client_id: String,
    user: usize,
    access: String,
    last_used: Instant,
    /// When the user approved (the absolute lifetime counts from here).
    approved: Instant,
}

#[derive(Debug, Default)]
struct Store {
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    issued: u64,
}

/// A successful token request's answer, before the host is added.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    pub(crate) refresh_token: String,
    /// Whether a new access token was minted (a non-rotating refresh may hand back the live one).
    pub(crate) minted: bool,
}

/// Why a refresh failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshError {
    /// Unknown, rotated away, revoked or expired: 401.
    Invalid,
    /// Issued to another client: 400 `invalid_grant`.
    OtherClient,
}

/// What an API call's bearer token allows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bearer {
    pub(crate) user: usize,
}

/// Why an API call's bearer token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    /// 401.
    Unauthenticated,
    /// 429 (the per-token rate limit).
    TooMany,
}

/// Codes and tokens.
#[derive(Debug)]
pub(crate) struct OAuth {
    store: Mutex<Store>,
    access_ttl: Duration,
    code_ttl: Duration,
    rotate: bool,
    idle_ttl: Duration,
    max_ttl: Duration,
    cluster: String,
}

// A poisoned lock only means another request panicked mid-update of plain maps; carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn random_b64(bytes: usize) -> String {
    let mut rng = rand::rng();
    let buf: Vec<u8> = (0..bytes).map(|_| rng.random()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Drops expired entries, then the oldest-expiring, until there is room for one more.
fn make_room<V>(map: &mut HashMap<String, V>, now: Instant, expires: impl Fn(&V) -> Instant) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    map.retain(|_, v| expires(v) > now);
    while map.len() >= MAX_ENTRIES {
        let oldest = map
            .iter()
            .min_by_key(|(_, v)| expires(v))
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => map.remove(&k),
            None => break,
        };
    }
}

impl OAuth {
    pub(crate) fn new(config: &V3Config, cluster: &str) -> Self {
        Self {
            store: Mutex::new(Store::default()),
            access_ttl: config.access_token_ttl,
            code_ttl: config.code_ttl,
            rotate: config.rotate_refresh_tokens,
            idle_ttl: config.refresh_idle_ttl,
            max_ttl: config.refresh_max_ttl,
            cluster: cluster.to_owned(),
        }
    }

    /// V3-SIM-10/11: a fresh single-use code for an approved request.
    pub(crate) fn new_code(
        &self,
        client_id: &str,
        redirect_uri: &str,
        user: usize,
        challenge: Option<String>,
    ) -> String {
        let code = random_b64(24);
        let now = Instant::now();
        let mut store = lock(&self.store);
        make_room(&mut store.codes, now, |c| c.expires);
        store.codes.insert(
            code.clone(),
            Code {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                user,
                challenge,
                expires: now + self.code_ttl,
            },
        );
        code
    }

    /// Takes a code out (it is single use, whatever the exchange's outcome); `None` when
    /// unknown, used or expired.
    pub(crate) fn take_code(&self, code: &str) -> Option<Code> {
        let now = Instant::now();
        lock(&self.store)
            .codes
            .remove(code)
            .filter(|c| c.expires > now)
    }

    /// Mints an access token (JWT-shaped, claims as EEN's) and its refresh token.
    fn mint(
        &self,
        store: &mut Store,
        client_id: &str,
        user: (usize, &str),
        approved: Instant,
    ) -> Issued {
        let now = Instant::now();
        store.issued += 1;
        let ordinal = store.issued;
        let iat = jiff::Timestamp::now().as_second();
        let ttl = self.access_ttl.as_secs();
        let header = json!({ "kid": KID, "typ": "JWT", "alg": "RS256" });
        let claims = json!({
            "sub": user.1,
            "aud": "vms.api",
            "iss": "vms.auth.v1",
            "vms_account": crate::sim::account::devices::ACCOUNT_ID,
            "exp": iat.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
            "iat": iat,
            "jti": random_b64(12),
            "client_id": client_id,
            "vms_cluster": self.cluster,
        });
        let b64 = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let access_token = format!("{}.{}.{}", b64(&header), b64(&claims), random_b64(256));
        let refresh_token = random_b64(32);
        make_room(&mut store.access, now, |a| a.expires);
        store.access.insert(
            access_token.clone(),
            Access {
                ordinal,
                user: user.0,
                expires: now + self.access_ttl,
                unauthorized_left: 0,
                recent: VecDeque::new(),
                recent_main: VecDeque::new(),
            },
        );
        let idle = self.idle_ttl;
        make_room(&mut store.refresh, now, |r| r.last_used + idle);
        store.refresh.insert(
            refresh_token.clone(),
            Refresh {
                client_id: client_id.to_owned(),
                user: user.0,
                access: access_token.clone(),
                last_used: now,
                approved,
            },
        );
        Issued {
            access_token,
            expires_in: ttl,
            refresh_token,
            minted: true,
        }
    }

    /// V3-SIM-12: the tokens for an exchanged code.
    pub(crate) fn issue(
        &self,
        client_id: &str,
        user: (usize, &str),
        unauthorized_after: u32,
    ) -> Issued {
        let mut store = lock(&self.store);
        let issued = self.mint(&mut store, client_id, user, Instant::now());
        Self::arm(&mut store, &issued, unauthorized_after);
        issued
    }

    fn arm(store: &mut Store, issued: &Issued, unauthorized_after: u32) {
        if let Some(access) = store.access.get_mut(&issued.access_token) {
            access.unauthorized_left = unauthorized_after;
        }
    }

    /// V3-SIM-13: a refresh. Rotating: the old refresh token and its access token die at
    /// once and new ones are issued. Not rotating: the same refresh token comes back, with the
    /// live access token if there is one (and its remaining `expires_in`).
    pub(crate) fn refresh(
        &self,
        client_id: &str,
        token: &str,
        user_id: impl Fn(usize) -> String,
        unauthorized_after: u32,
    ) -> Result<Issued, RefreshError> {
        let now = Instant::now();
        let mut store = lock(&self.store);
        let entry = store.refresh.get(token).ok_or(RefreshError::Invalid)?;
        if entry.client_id != client_id {
            return Err(RefreshError::OtherClient);
        }
        if now.duration_since(entry.last_used) >= self.idle_ttl
            || now.duration_since(entry.approved) >= self.max_ttl
        {
            let old = store.refresh.remove(token);
            if let Some(old) = old {
                store.access.remove(&old.access);
            }
            return Err(RefreshError::Invalid);
        }
        let (user, approved, access) = (entry.user, entry.approved, entry.access.clone());
        if !self.rotate {
            if let Some(live) = store.access.get(&access).filter(|a| a.expires > now) {
                let expires_in = live.expires.saturating_duration_since(now).as_secs();
                if let Some(entry) = store.refresh.get_mut(token) {
                    entry.last_used = now;
                }
                return Ok(Issued {
                    access_token: access,
                    expires_in,
                    refresh_token: token.to_owned(),
                    minted: false,
                });
            }
            store.access.remove(&access);
            let mut issued = self.mint(&mut store, client_id, (user, &user_id(user)), approved);
            // The new refresh token minted alongside is dropped: this one stays.
            store.refresh.remove(&issued.refresh_token);
            if let Some(entry) = store.refresh.get_mut(token) {
                entry.last_used = now;
                entry.access = issued.access_token.clone();
            }
            issued.refresh_token = token.to_owned();
            Self::arm(&mut store, &issued, unauthorized_after);
            return Ok(issued);
        }
        store.refresh.remove(token);
        store.access.remove(&access);
        let issued = self.mint(&mut store, client_id, (user, &user_id(user)), approved);
        Self::arm(&mut store, &issued, unauthorized_after);
        Ok(issued)
    }

    /// The refresh token of `client_id` dies (the replayed-refresh fault).
    pub(crate) fn kill_refresh(&self, client_id: &str, token: &str) {
        let mut store = lock(&self.store);
        if store
            .refresh
            .get(token)
            .is_some_and(|r| r.client_id == client_id)
            && let Some(old) = store.refresh.remove(token)
        {
            store.access.remove(&old.access);
        }
    }

    /// V3-SIM-14: revokes an access or refresh token of `client_id` (a refresh token takes
    /// its access token with it). Whether anything was revoked.
    pub(crate) fn revoke(&self, client_id: &str, token: &str) -> bool {
        let mut store = lock(&self.store);
        if store
            .refresh
            .get(token)
            .is_some_and(|r| r.client_id == client_id)
        {
            if let Some(old) = store.refresh.remove(token) {
                store.access.remove(&old.access);
            }
            return true;
        }
        let owner = store
            .refresh
            .values()
            .find(|r| r.access == token)
            .map(|r| r.client_id.clone());
        // An access token whose refresh token is gone (rotated, revoked) has no owner left to
        // check; it is dead already unless it is still in the map.
        if owner.as_deref().is_none_or(|o| o == client_id) {
            return store.access.remove(token).is_some();
        }
        false
    }

    /// Every access token expires now (the mid-run expiry fault); refresh tokens live on.
    pub(crate) fn expire_access_tokens(&self) {
        let now = Instant::now();
        for access in lock(&self.store).access.values_mut() {
            access.expires = access.expires.min(now);
        }
    }

    /// The ordinal of a live access token, without counting anything (for the gauges).
    pub(crate) fn peek(&self, token: &str) -> Option<u64> {
        let now = Instant::now();
        lock(&self.store)
            .access
            .get(token)
            .filter(|a| a.expires > now)
            .map(|a| a.ordinal)
    }

    /// V3-SIM-15/20: the access token an API call acts with, or why it may not.
    pub(crate) fn check(
        &self,
        token: &str,
        rate_limit: Option<u32>,
    ) -> Result<Bearer, BearerError> {
        let now = Instant::now();
        let mut store = lock(&self.store);
        let access = store
            .access
            .get_mut(token)
            .filter(|a| a.expires > now)
            .ok_or(BearerError::Unauthenticated)?;
        if access.unauthorized_left > 0 {
            access.unauthorized_left -= 1;
            return Err(BearerError::Unauthenticated);
        }
        if let Some(limit) = rate_limit
            && !within(&mut access.recent, now, limit)
        {
            return Err(BearerError::TooMany);
        }
        Ok(Bearer { user: access.user })
    }

    /// V3-SIM-33: whether one more `type=main` image is allowed for this token right now.
    pub(crate) fn allow_main(&self, token: &str, per_second: u32) -> bool {
        let now = Instant::now();
        lock(&self.store)
            .access
            .get_mut(token)
            .is_some_and(|a| within(&mut a.recent_main, now, per_second))
    }
}

/// A sliding one-second window of at most `limit` requests; refused ones do not count.
fn within(recent: &mut VecDeque<Instant>, now: Instant, limit: u32) -> bool {
    while recent
        .front()
        .is_some_and(|&t| now.duration_since(t) >= Duration::from_secs(1))
    {
        recent.pop_front();
    }
    if recent.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
        return false;
    }
    recent.push_back(now);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(rotate: bool) -> OAuth {
        OAuth::new(
            &V3Config {
                rotate_refresh_tokens: rotate,
                ..V3Config::default()
            },
            "c000",
        )
    }

    #[test]
    fn v3_sim_13_rotation_kills_the_old_pair_and_non_rotating_keeps_it() {
        let o = oauth(true);
        let first = o.issue("c", (0, "u"), 0);
        assert!(o.check(&first.access_token, None).is_ok());
        let second = o
            .refresh("c", &first.refresh_token, |_| "u".into(), 0)
            .unwrap();
        assert_ne!(second.refresh_token, first.refresh_token);
        assert!(o.check(&first.access_token, None).is_err());
        assert!(o.check(&second.access_token, None).is_ok());
        assert_eq!(
            o.refresh("c", &first.refresh_token, |_| "u".into(), 0)
                .unwrap_err(),
            RefreshError::Invalid
        );

        let o = oauth(false);
        let first = o.issue("c", (0, "u"), 0);
        let again = o
            .refresh("c", &first.refresh_token, |_| "u".into(), 0)
            .unwrap();
        assert_eq!(again.refresh_token, first.refresh_token);
        assert_eq!(again.access_token, first.access_token);
        assert!(!again.minted);
        o.expire_access_tokens();
        let fresh = o
            .refresh("c", &first.refresh_token, |_| "u".into(), 0)
            .unwrap();
        assert_eq!(fresh.refresh_token, first.refresh_token);
        assert_ne!(fresh.access_token, first.access_token);
        assert!(o.check(&fresh.access_token, None).is_ok());
    }

    #[test]
    fn access_tokens_look_like_een_jwts() {
        let o = oauth(true);
        let issued = o.issue("een-gallery-demo", (0, "cafe8174"), 0);
        let parts: Vec<&str> = issued.access_token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
        assert_eq!(claims["aud"], "vms.api");
        assert_eq!(claims["vms_account"], "00001106");
        assert_eq!(claims["client_id"], "een-gallery-demo");
    }
}
