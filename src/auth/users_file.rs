//! The users file as the server reads it: loaded at start, and read again whenever it
//! changed, so `een-gallery user …` (or an edited secret) takes effect without a restart.
//!
//! A change is seen by the file's identity and size and modification time: `user …` replaces
//! the file by a rename (a new inode), and Kubernetes swaps a mounted secret by a symlink,
//! either of which changes them. A sign-in always looks; a signed-in request at most once a
//! [`RECHECK`], since it runs on every page and image. A file that stops parsing is logged and
//! the users read before stay in force: a typo must not lock everybody out or let anybody in.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::users::{Users, UsersError};

/// How often signed-in requests look for a change (a sign-in always does).
pub const RECHECK: Duration = Duration::from_secs(1);

/// What identifies one version of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug)]
struct Loaded {
    /// `None`: the file was missing.
    stamp: Option<Stamp>,
    users: Arc<Users>,
    checked: Instant,
}

/// The users file, kept current. Cheap to clone.
#[derive(Clone, Debug)]
pub struct UsersFile {
    path: Arc<PathBuf>,
    loaded: Arc<Mutex<Loaded>>,
}

impl UsersFile {
    /// Reads the file at `path` (a missing file is no users).
    pub fn open(path: &Path) -> Result<Self, UsersError> {
        let stamp = stamp(path);
        let users = Users::load(path)?;
        Ok(Self {
            path: Arc::new(path.to_owned()),
            loaded: Arc::new(Mutex::new(Loaded {
                stamp,
                users: Arc::new(users),
                checked: Instant::now(),
            })),
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The users as of now: the file is looked at first.
    pub fn fresh(&self) -> Arc<Users> {
        self.current(Duration::ZERO)
    }

    /// The users, looking at the file if it was not looked at for a [`RECHECK`].
    pub fn recent(&self) -> Arc<Users> {
        self.current(RECHECK)
    }

    fn current(&self, max_age: Duration) -> Arc<Users> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if loaded.checked.elapsed() < max_age {
            return Arc::clone(&loaded.users);
        }
        loaded.checked = Instant::now();
        let now = stamp(&self.path);
        if now != loaded.stamp {
            match Users::load(&self.path) {
                Ok(users) => {
                    tracing::info!(
                        path = %self.path.display(),
                        users = users.iter().count(),
                        "read the changed users file"
                    );
                    loaded.users = Arc::new(users);
                    loaded.stamp = now;
                }
                Err(error) => {
                    // Logged once per version of the file: the stamp is kept.
                    tracing::error!(
                        %error,
                        "the changed users file cannot be read; the users read before stay"
                    );
                    loaded.stamp = now;
                }
            }
        }
        Arc::clone(&loaded.users)
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        dev: meta.dev(),
        inode: meta.ino(),
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::auth::Role;

    fn password() -> SecretString {
        SecretString::from("correct horse")
    }

    #[test]
    fn a_change_is_seen_by_a_fresh_read_and_a_broken_file_keeps_the_old_users() {
        let dir = std::env::temp_dir().join(format!("een-users-{}", rand::random::<u64>()));
        let path = dir.join("users");
        let file = UsersFile::open(&path).unwrap();
        assert!(file.fresh().is_empty(), "a missing file is no users");

        let mut users = Users::default();
        users.add("ada", Role::Admin, &password()).unwrap();
        users.save(&path).unwrap();
        assert!(file.fresh().find("ada").is_some());

        std::fs::write(&path, "not a users line\n").unwrap();
        let kept = file.fresh();
        assert!(
            kept.find("ada").is_some(),
            "a broken file keeps the old users"
        );

        users.remove("ada").unwrap();
        users.add("bob", Role::Viewer, &password()).unwrap();
        users.save(&path).unwrap();
        let now = file.fresh();
        assert!(now.find("ada").is_none() && now.find("bob").is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
