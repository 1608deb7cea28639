//! A session's record as the shared store keeps it: JSON, versioned, or the word `ended`
//! after sign-out. It holds no value that signs anybody in: the store's key is the SHA-256
//! of the id, and the id itself is only in the browser's cookie.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use super::Session;

/// What a signed-out session's key holds, so that a record written late (by a replica that
/// made it while the store was away) cannot bring it back.
pub(super) const ENDED: &[u8] = b"ended";

/// The record's shape. Versioned, so a later format can tell this one.
#[derive(Serialize, Deserialize)]
struct Stored {
    v: u32,
    user: String,
    role: String,
    csrf: String,
    /// The credential fingerprint, base64url.
    credential: String,
    /// Sign-in time, milliseconds since the Unix epoch.
    created_ms: u64,
}

/// The record of `session`.
pub(super) fn encode(session: &Session) -> Vec<u8> {
    let created_ms = session
        .created
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    let stored = Stored {
        v: 1,
        user: session.user.clone(),
        role: session.role.as_str().to_owned(),
        csrf: session.csrf.expose_secret().to_owned(),
        credential: URL_SAFE_NO_PAD.encode(session.credential),
        created_ms,
    };
    // A struct of strings and numbers always serializes.
    serde_json::to_vec(&stored).unwrap_or_default()
}

/// The session a record holds; `None` for [`ENDED`] and for anything this version does not
/// read (which ends that session rather than trusting it).
pub(super) fn decode(bytes: &[u8]) -> Option<Session> {
    let stored: Stored = serde_json::from_slice(bytes).ok()?;
    if stored.v != 1 {
        return None;
    }
    let credential = URL_SAFE_NO_PAD.decode(stored.credential).ok()?;
    Some(Session {
        user: stored.user,
        role: stored.role.parse().ok()?,
        csrf: stored.csrf.into(),
        credential: credential.try_into().ok()?,
        created: UNIX_EPOCH.checked_add(Duration::from_millis(stored.created_ms))?,
    })
}

/// How long ago `at` was (zero if the clock says it is in the future).
pub(super) fn age(at: SystemTime) -> Duration {
    at.elapsed().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::Role;
    use super::*;

    fn session() -> Session {
        Session {
            user: "ada".into(),
            role: Role::Admin,
            csrf: "form-token-value".to_owned().into(),
            credential: [7; 16],
            created: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
        }
    }

    #[test]
    fn a_record_reads_back_and_anything_else_is_no_session() {
        let back = decode(&encode(&session())).expect("a session");
        assert_eq!((back.user.as_str(), back.role), ("ada", Role::Admin));
        assert_eq!(back.csrf.expose_secret(), "form-token-value");
        assert_eq!(back.credential, [7; 16]);
        assert_eq!(back.created, session().created);
        for other in [
            ENDED,
            b"".as_slice(),
            b"{}",
            br#"{"v":2,"user":"ada","role":"admin","csrf":"x","credential":"BwcHBwcHBwcHBwcHBwcHBw","created_ms":1}"#,
            br#"{"v":1,"user":"ada","role":"root","csrf":"x","credential":"BwcHBwcHBwcHBwcHBwcHBw","created_ms":1}"#,
            br#"{"v":1,"user":"ada","role":"admin","csrf":"x","credential":"BwcH","created_ms":1}"#,
        ] {
            assert!(decode(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }
}
