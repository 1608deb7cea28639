//! The middle layer between the gallery and EEN: what is kept, for how long, and what a
//! failure means.
//!
//! - `account`: the connection as operators manage it (v3 connect flow, disconnect);
//! - `directory`: the camera list (stale-while-revalidate, single flight, failure memory);
//! - `images`: the image cache (byte-bounded, single flight) and what EEN said is missing;
//! - `shared`: its second level in the store the replicas share (`STORE_URL`), if any;
//! - `fetch`: fetching against a deadline, at most [`PAGE_FETCH_PERMITS`] per page;
//! - `health`: how the gallery stands with EEN ([`Status`]), for `/readyz` and the pages;
//! - `keeper`: the background task that (re)connects, with [`Backoff`];
//! - `trouble`: the outcomes the gallery renders ([`Fetch`], [`Failure`], [`Trouble`]), so
//!   nothing above this layer needs to know EEN's errors.
//!
//! It calls EEN through [`een::Backend`](crate::een::Backend) only, and imports nothing of
//! the gallery.

mod account;
mod directory;
mod fetch;
mod health;
mod images;
mod keeper;
mod shared;
mod trouble;

pub use account::Account;
pub use directory::{CameraList, Directory};
pub use fetch::{Fetch, PAGE_FETCH_PERMITS};
pub use health::{Health, Status};
pub use images::{ImageKey, Images, MISSING_TTL, NEIGHBOUR_TTL, PAST_LISTING_TTL};
pub use keeper::{Backoff, spawn_keeper};
pub use trouble::{Failure, SharedError, Trouble};
