//! A typed EEN API v1 client that keeps a session alive. Knows nothing of axum or HTML.
//!
//! Built from the wire specification (`een-api-v1.md`, sections 1–8): login is authenticate
//! then authorize, the session key travels as an explicit `Cookie: auth_key=…` header, API calls
//! go to the branded cluster host, and the device list is an array of positional rows.

mod client;
mod config;
mod error;
mod rows;
mod session;
mod status;
mod types;
mod wire;

pub use crate::timestamp::{EenTimestamp, ParseTimestampError};
pub use client::{Client, SessionState};
pub use config::ClientConfig;
pub use error::{AccountProblem, Error};
pub use types::{
    Before, Camera, CameraStatus, DeviceKind, Esn, Image, ParseEsnError, ServiceStatus,
};
