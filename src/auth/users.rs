//! The users file: who may sign in to the gallery, and as what.
//!
//! One user per line, `name:role:hash`, where the role is `viewer` or `admin` and the hash is
//! an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`, OWASP's parameters). Blank
//! lines and lines starting with `#` are kept as they are. The file is private (0600) and
//! replaced atomically on every change; `een-gallery user …` edits it.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};

/// Longest user name: room for an email address.
pub const MAX_NAME_LEN: usize = 64;
/// Shortest password accepted for a new user (NIST SP 800-63B's minimum).
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password hashed; longer ones are refused rather than cost unbounded work.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Sees the cameras.
    Viewer,
    /// Also connects or disconnects EEN and sees `/metrics`.
    Admin,
}

impl Role {
    /// The role as the file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "admin" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

/// Why the users file or a change to it was refused. Never holds a password or a hash.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// A line that is not `name:role:hash`.
    #[error("users file line {line}: {reason}")]
    BadLine {
        /// 1-based.
        line: usize,
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// A name outside `A-Z a-z 0-9 . _ @ -`, or empty, or too long.
    #[error("a user name is 1 to {MAX_NAME_LEN} letters, digits and . _ @ - (got {0:?})")]
    BadName(String),
    /// `user add` for a name already there.
    #[error("user {0} exists already (use `een-gallery user passwd {0}`)")]
    Exists(String),
    /// A change for a name that is not there.
    #[error("no user {0}")]
    NoSuchUser(String),
    /// A password too short or too long.
    #[error("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")]
    BadPassword,
    /// Reading or writing the file failed.
    #[error("cannot {action} the users file {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Hashing failed (out of memory, no randomness).
    #[error("cannot hash the password")]
    Hash,
}

/// One user.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The name signed in with.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    hash: String,
}

impl User {
    /// A fingerprint of the user's password hash: a session remembers it, so that a new
    /// password (`user passwd`) ends the sessions signed in with the old one. Not the hash:
    /// nothing that could be attacked offline leaves the users file.
    pub fn credential(&self) -> [u8; 16] {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.hash.as_bytes());
        let mut fingerprint = [0; 16];
        fingerprint.copy_from_slice(&digest[..16]);
        fingerprint
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    User(User),
    /// A comment or blank line, kept as written.
    Other(String),
}

/// The users, in the file's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Users {
    lines: Vec<Line>,
}

impl Users {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Self, UsersError> {
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let bad = |reason| UsersError::BadLine {
                line: i + 1,
                reason,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                lines.push(Line::Other(raw.to_owned()));
                continue;
            }
            let mut parts = trimmed.splitn(3, ':');
            let (Some(name), Some(role), Some(hash)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("expected name:role:hash"));
            };
            if !valid_name(name) {
                return Err(bad("bad user name"));
            }
            let role = role
                .parse()
                .map_err(|()| bad("the role is viewer or admin"))?;
            if PasswordHash::new(hash).is_err() || !hash.starts_with("$argon2id$") {
                return Err(bad("the hash is not an argon2id PHC string"));
            }
            let user = User {
                name: name.to_owned(),
                role,
                hash: hash.to_owned(),
            };
            if lines
                .iter()
                .any(|l| matches!(l, Line::User(u) if u.name == user.name))
            {
                return Err(bad("the user is listed twice"));
            }
            lines.push(Line::User(user));
        }
        Ok(Users { lines })
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            match line {
                Line::User(u) => {
                    out.push_str(&format!("{}:{}:{}\n", u.name, u.role, u.hash));
                }
                Line::Other(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Reads the file; a missing file has no users.
    pub fn load(path: &Path) -> Result<Self, UsersError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Users::default()),
            Err(source) => Err(UsersError::Io {
                action: "read",
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Writes the file privately and atomically.
    pub fn save(&self, path: &Path) -> Result<(), UsersError> {
        crate::files::write_private(path, self.render().as_bytes()).map_err(|source| {
            UsersError::Io {
                action: "write",
                path: path.display().to_string(),
                source,
            }
        })
    }

    /// The users, in the file's order.
    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.lines.iter().filter_map(|l| match l {
            Line::User(u) => Some(u),
            Line::Other(_) => None,
        })
    }

    /// Whether there is no user.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Adds a user.
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        password: &SecretString,
    ) -> Result<(), UsersError> {
        if !valid_name(name) {
            return Err(UsersError::BadName(name.to_owned()));
        }
        if self.find(name).is_some() {
            return Err(UsersError::Exists(name.to_owned()));
        }
        let hash = hash(password)?;
        self.lines.push(Line::User(User {
            name: name.to_owned(),
            role,
            hash,
        }));
        Ok(())
    }

    /// Sets a user's password.
    pub fn set_password(&mut self, name: &str, password: &SecretString) -> Result<(), UsersError> {
        let hash = hash(password)?;
        let user = self
            .find_mut(name)
            .ok_or_else(|| UsersError::NoSuchUser(name.to_owned()))?;
        user.hash = hash;
        Ok(())
    }

    /// Removes a user.
    pub fn remove(&mut self, name: &str) -> Result<(), UsersError> {
        let before = self.lines.len();
        self.lines
            .retain(|l| !matches!(l, Line::User(u) if u.name == name));
        if self.lines.len() == before {
            return Err(UsersError::NoSuchUser(name.to_owned()));
        }
        Ok(())
    }

    /// The user whose password this is. An unknown name costs the same hashing as a wrong
    /// password, so the answer's time does not tell which names exist.
    pub fn verify(&self, name: &str, password: &SecretString) -> Option<&User> {
        let secret = password.expose_secret().as_bytes();
        let user = self.find(name);
        let hash: &str = match user {
            Some(u) => &u.hash,
            None => dummy_hash(),
        };
        let ok = secret.len() <= MAX_PASSWORD_LEN
            && PasswordHash::new(hash)
                .is_ok_and(|parsed| Argon2::default().verify_password(secret, &parsed).is_ok());
        user.filter(|_| ok)
    }

    /// The user called `name`.
    pub fn find(&self, name: &str) -> Option<&User> {
        self.iter().find(|u| u.name == name)
    }

    fn find_mut(&mut self, name: &str) -> Option<&mut User> {
        self.lines.iter_mut().find_map(|l| match l {
            Line::User(u) if u.name == name => Some(u),
            _ => None,
        })
    }
}

/// Whether `name` can be a user name: 1 to [`MAX_NAME_LEN`] of `A-Z a-z 0-9 . _ @ -`.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// The argon2id PHC string of a new password (fresh salt, OWASP's parameters).
fn hash(password: &SecretString) -> Result<String, UsersError> {
    let secret = password.expose_secret();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&secret.chars().count()) {
        return Err(UsersError::BadPassword);
    }
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| UsersError::Hash)
}

/// A hash no password is known for, verified against for unknown names.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: [u8; 16] = rand::random();
        let password: String = random.iter().map(|b| format!("{b:02x}")).collect();
        hash(&SecretString::from(password)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn users_are_added_verified_and_survive_a_round_trip() {
        let mut users = Users::parse("# the gallery's users\n\n").unwrap();
        users
            .add("alice", Role::Admin, &secret("correct horse"))
            .unwrap();
        users
            .add("bob@example.com", Role::Viewer, &secret("battery staple"))
            .unwrap();
        let text = users.render();
        assert!(text.starts_with("# the gallery's users\n\nalice:admin:$argon2id$v=19$"));
        assert!(!text.contains("correct horse"));
        let again = Users::parse(&text).unwrap();
        assert_eq!(again, users);

        let alice = again
            .verify("alice", &secret("correct horse"))
            .expect("alice");
        assert_eq!(alice.role, Role::Admin);
        assert!(again.verify("alice", &secret("battery staple")).is_none());
        assert!(again.verify("carol", &secret("correct horse")).is_none());
        assert_eq!(
            again
                .iter()
                .map(|u| (u.name.as_str(), u.role))
                .collect::<Vec<_>>(),
            [("alice", Role::Admin), ("bob@example.com", Role::Viewer)]
        );
    }

    #[test]
    fn changes_name_the_problem() {
        let mut users = Users::default();
        users
            .add("alice", Role::Viewer, &secret("long enough"))
            .unwrap();
        assert!(matches!(
            users.add("alice", Role::Admin, &secret("long enough")),
            Err(UsersError::Exists(_))
        ));
        assert!(matches!(
            users.add("al ice", Role::Admin, &secret("long enough")),
            Err(UsersError::BadName(_))
        ));
        assert!(matches!(
            users.add("carol", Role::Admin, &secret("short")),
            Err(UsersError::BadPassword)
        ));
        assert!(matches!(
            users.set_password("carol", &secret("long enough")),
            Err(UsersError::NoSuchUser(_))
        ));
        users.set_password("alice", &secret("another one")).unwrap();
        assert!(users.verify("alice", &secret("long enough")).is_none());
        assert!(users.verify("alice", &secret("another one")).is_some());
        users.remove("alice").unwrap();
        assert!(users.is_empty());
        assert!(matches!(
            users.remove("alice"),
            Err(UsersError::NoSuchUser(_))
        ));
    }

    #[test]
    fn bad_lines_are_refused_with_their_number_and_no_content() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        for (text, line) in [
            ("alice:admin\n", 1),
            (&format!("# ok\nalice:root:{hash}\n") as &str, 2),
            ("alice:admin:plaintext-password\n", 1),
            (&format!("al ice:admin:{hash}\n"), 1),
            (&format!("alice:admin:{hash}\nalice:viewer:{hash}\n"), 2),
        ] {
            let error = Users::parse(text).unwrap_err();
            assert!(
                matches!(error, UsersError::BadLine { line: l, .. } if l == line),
                "{text}: {error}"
            );
            assert!(!error.to_string().contains("plaintext"), "{error}");
        }
        assert!(Users::parse(&format!("alice:admin:{hash}\n")).is_ok());
    }

    #[test]
    fn the_file_is_private_and_a_missing_one_is_empty() {
        let dir = std::env::temp_dir().join(format!("een-users-{}", rand::random::<u64>()));
        let path = dir.join("users");
        assert!(Users::load(&path).unwrap().is_empty());
        let mut users = Users::default();
        users
            .add("alice", Role::Admin, &secret("correct horse"))
            .unwrap();
        users.save(&path).unwrap();
        assert_eq!(Users::load(&path).unwrap(), users);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_shows_no_hash() {
        let mut users = Users::default();
        users
            .add("alice", Role::Admin, &secret("correct horse"))
            .unwrap();
        let debug = format!("{users:?}");
        assert!(
            debug.contains("alice") && !debug.contains("argon2"),
            "{debug}"
        );
    }
}
