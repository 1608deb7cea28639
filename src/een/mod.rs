//! A typed EEN API v1 client that keeps a session alive. Knows nothing of axum or HTML.
//!
//! PUBLIC API CONTRACT (used by the gallery; keep these names). Placeholder bodies.

mod client;
mod error;
mod types;

pub use crate::timestamp::{EenTimestamp, ParseTimestampError};
pub use client::{Client, ClientConfig, SessionState};
pub use error::Error;
pub use types::{
    Before, Camera, CameraStatus, DeviceKind, Esn, Image, ParseEsnError, ServiceStatus,
};
