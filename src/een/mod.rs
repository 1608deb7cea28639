//! Eagle Eye Networks: the domain types the layers above work with, the one [`Error`] every
//! backend reports, and the backend seam, [`Backend`]. Knows nothing of axum or HTML.
//!
//! Each EEN API is a folder of its own ([`v1`] today); a backend turns its wire format into
//! the domain types here, so nothing above `een` changes when a backend is added.

mod backend;
mod error;
pub(crate) mod http;
mod pace;
mod types;
pub mod v1;
pub mod v3;

pub use backend::Backend;
pub use error::{AccountProblem, Error};
pub use pace::{PaceStats, SharedPaceStats};
pub use types::{
    AuthorizationRequest, Before, Camera, CameraStatus, ConnectionState, Esn, Image, Listed,
    ParseEsnError, Side,
};
