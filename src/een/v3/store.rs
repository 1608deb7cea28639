//! Where the connection is kept: one JSON file in `DATA_DIR` (mode 0600, replaced atomically),
//! memory only (demo mode, tests), or the store the replicas share (`STORE_URL`, issue 16;
//! see `shared`), where the refresh lock lives beside it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::shared::SharedConnection;

/// The file name of the connection inside `DATA_DIR`.
pub const CONNECTION_FILE: &str = "een-connection.json";

/// What the gallery holds to call EEN on the account's behalf. `Debug` shows no token.
#[derive(Clone)]
pub struct Connection {
    /// The bearer token.
    pub access_token: SecretString,
    /// The refresh token (rotates on every refresh).
    pub refresh_token: SecretString,
    /// When the access token expires.
    pub expires_at: Timestamp,
    /// The account's API host, as EEN named it.
    pub api_host: String,
    /// Its port.
    pub api_port: u16,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("expires_at", &self.expires_at)
            .field("api_host", &self.api_host)
            .field("api_port", &self.api_port)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Whether `other` is this connection (the same token pair): a refresh makes another.
    pub(super) fn same_as(&self, other: &Connection) -> bool {
        self.refresh_token.expose_secret() == other.refresh_token.expose_secret()
            && self.access_token.expose_secret() == other.access_token.expose_secret()
    }
}

/// The file's shape (and the shared store's, inside its record). Versioned, so a later
/// format can read this one.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    version: u32,
    access_token: String,
    refresh_token: String,
    expires_at: Timestamp,
    api_host: String,
    api_port: u16,
}

impl Stored {
    pub(super) fn of(connection: &Connection) -> Self {
        Stored {
            version: 1,
            access_token: connection.access_token.expose_secret().to_owned(),
            refresh_token: connection.refresh_token.expose_secret().to_owned(),
            expires_at: connection.expires_at,
            api_host: connection.api_host.clone(),
            api_port: connection.api_port,
        }
    }

    /// The connection, if this version reads it.
    pub(super) fn connection(self) -> Option<Connection> {
        (self.version == 1).then(|| Connection {
            access_token: self.access_token.into(),
            refresh_token: self.refresh_token.into(),
            expires_at: self.expires_at,
            api_host: self.api_host,
            api_port: self.api_port,
        })
    }
}

/// Why the connection could not be read or written. Names the file, never its content.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading, writing or renaming failed.
    #[error("cannot {action} the EEN connection file {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a connection this version understands.
    #[error("the EEN connection file {0} is damaged or of an unknown version")]
    Damaged(PathBuf),
    /// The shared store did not answer, or holds something this version does not read.
    #[error("the EEN connection in the shared store: {0}")]
    Shared(#[from] crate::store::StoreError),
}

/// Where the connection lives. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    /// In memory only: lost at exit (demo mode, tests).
    Memory(Arc<Mutex<Option<Connection>>>),
    /// One file, [`CONNECTION_FILE`] in this directory.
    File(PathBuf),
    /// The store the replicas share.
    Shared(SharedConnection),
}

impl Store {
    /// An empty in-memory store.
    pub fn memory() -> Self {
        Store::Memory(Arc::default())
    }

    /// The file store in `data_dir`.
    pub fn file(data_dir: impl Into<PathBuf>) -> Self {
        Store::File(data_dir.into())
    }

    /// The connection in `store`, shared by the replicas (and refreshed by one at a time).
    pub fn shared(store: crate::store::Store) -> Self {
        Store::Shared(SharedConnection::new(store))
    }

    /// The file this store writes, if it is one.
    pub fn path(&self) -> Option<PathBuf> {
        match self {
            Store::Memory(_) | Store::Shared(_) => None,
            Store::File(dir) => Some(dir.join(CONNECTION_FILE)),
        }
    }

    /// The shared store, if this is it.
    pub(super) fn as_shared(&self) -> Option<&SharedConnection> {
        match self {
            Store::Shared(shared) => Some(shared),
            Store::Memory(_) | Store::File(_) => None,
        }
    }

    /// The stored connection, if there is one.
    pub async fn load(&self) -> Result<Option<Connection>, StoreError> {
        match self {
            Store::Memory(slot) => Ok(slot.lock().unwrap_or_else(PoisonError::into_inner).clone()),
            Store::File(dir) => {
                let path = dir.join(CONNECTION_FILE);
                blocking(move || read(&path)).await
            }
            Store::Shared(shared) => Ok(shared.load().await?),
        }
    }

    /// Keeps `connection`, replacing any other: for a file, written to a temporary file,
    /// flushed to disk and renamed over the old one, so a crash leaves the old or the new
    /// connection, never half of one.
    pub async fn save(&self, connection: &Connection) -> Result<(), StoreError> {
        match self {
            Store::Memory(slot) => {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
                Ok(())
            }
            Store::File(dir) => {
                let dir = dir.clone();
                let stored = Stored::of(connection);
                blocking(move || write(&dir, &stored)).await
            }
            Store::Shared(shared) => Ok(shared.adopt(connection).await?),
        }
    }

    /// Forgets the connection.
    pub async fn delete(&self) -> Result<(), StoreError> {
        match self {
            Store::Memory(slot) => {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
                Ok(())
            }
            Store::File(dir) => {
                let path = dir.join(CONNECTION_FILE);
                blocking(move || match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(source) => Err(StoreError::Io {
                        action: "delete",
                        path,
                        source,
                    }),
                })
                .await
            }
            Store::Shared(shared) => Ok(shared.disconnect().await?),
        }
    }
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join| {
            Err(StoreError::Io {
                action: "access",
                path: PathBuf::new(),
                source: std::io::Error::other(join.to_string()),
            })
        })
}

fn read(path: &Path) -> Result<Option<Connection>, StoreError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    let stored: Stored =
        serde_json::from_slice(&text).map_err(|_| StoreError::Damaged(path.to_owned()))?;
    match stored.connection() {
        Some(connection) => Ok(Some(connection)),
        None => Err(StoreError::Damaged(path.to_owned())),
    }
}

fn write(dir: &Path, stored: &Stored) -> Result<(), StoreError> {
    let path = dir.join(CONNECTION_FILE);
    let io = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    };
    let json = serde_json::to_vec_pretty(stored).map_err(|e| StoreError::Io {
        action: "encode",
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    crate::files::write_private(&path, &json).map_err(io("write", &path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(access: &str) -> Connection {
        Connection {
            access_token: access.to_owned().into(),
            refresh_token: "refresh-secret-value".to_owned().into(),
            expires_at: Timestamp::from_second(1_900_000_000).unwrap(),
            api_host: "api.c001.eagleeyenetworks.com".into(),
            api_port: 443,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "een-gallery-store-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn a_file_store_round_trips_privately_and_replaces_atomically() {
        let dir = temp_dir("round-trip").join("nested");
        let store = Store::file(&dir);
        assert!(store.load().await.unwrap().is_none());
        store.save(&connection("access-one")).await.unwrap();
        store.save(&connection("access-two")).await.unwrap();
        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.access_token.expose_secret(), "access-two");
        assert_eq!(loaded.refresh_token.expose_secret(), "refresh-secret-value");
        assert_eq!(loaded.api_host, "api.c001.eagleeyenetworks.com");
        // Only the connection file is left: no temporary files.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [CONNECTION_FILE]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(CONNECTION_FILE)), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        store.delete().await.unwrap();
        assert!(store.load().await.unwrap().is_none());
        store.delete().await.unwrap();
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_damaged_file_is_an_error_naming_the_file_not_its_content() {
        let dir = temp_dir("damaged");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(CONNECTION_FILE), "{\"refresh_token\": \"leaked\"").unwrap();
        let error = Store::file(&dir).load().await.unwrap_err();
        let shown = error.to_string();
        assert!(
            shown.contains(CONNECTION_FILE) && !shown.contains("leaked"),
            "{shown}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debug_shows_no_token() {
        let shown = format!("{:?}", connection("access-secret-value"));
        assert!(!shown.contains("secret-value"), "{shown}");
        assert!(shown.contains("api.c001"));
    }
}

/// Property tests (issue 13): a connection file of any content is a connection or
/// [`StoreError::Damaged`], never a panic; what is saved loads back.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated_bytes};

    fn file_with(bytes: &[u8]) -> Result<Option<Connection>, StoreError> {
        let dir = std::env::temp_dir().join(format!(
            "een-gallery-store-fuzz-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(CONNECTION_FILE);
        std::fs::write(&path, bytes).unwrap();
        let read = read(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        read
    }

    /// The fields of a [`Stored`] (which has no `Debug`: it holds the tokens).
    type Fields = (String, String, i64, String, u16);

    fn fields() -> impl Strategy<Value = Fields> {
        (
            "[ -~]{0,40}",
            "[ -~]{0,40}",
            0i64..4_000_000_000,
            "[a-z0-9.]{1,30}",
            any::<u16>(),
        )
    }

    fn stored((access_token, refresh_token, secs, api_host, api_port): Fields) -> Stored {
        Stored {
            version: 1,
            access_token,
            refresh_token,
            expires_at: Timestamp::from_second(secs).unwrap(),
            api_host,
            api_port,
        }
    }

    proptest! {
        #![proptest_config(config(64))]

        #[test]
        fn any_file_is_a_connection_or_damaged(bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            mutated_bytes(fields().prop_map(|f| serde_json::to_vec(&stored(f)).unwrap())),
        ]) {
            match file_with(&bytes) {
                Ok(Some(_)) | Err(StoreError::Damaged(_)) => {}
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn stored_connections_read_back(fields in fields()) {
            let stored = stored(fields);
            let got = file_with(&serde_json::to_vec_pretty(&stored).unwrap()).unwrap().unwrap();
            prop_assert_eq!(got.access_token.expose_secret(), stored.access_token.as_str());
            prop_assert_eq!(got.refresh_token.expose_secret(), stored.refresh_token.as_str());
            prop_assert_eq!(got.expires_at, stored.expires_at);
            prop_assert_eq!(got.api_host, stored.api_host);
            prop_assert_eq!(got.api_port, stored.api_port);
        }
    }
}
