//! een-gallery: a fast, small web gallery for Eagle Eye Networks (EEN) cloud cameras.
//!
//! The layers are folders, top to bottom; data flows down and no module imports one above it
//! (`docs/ARCHITECTURE.md` is the map):
//!
//! - [`gallery`]: the HTTP application (routes, pages, image responses, cache policies);
//! - [`cache`]: the middle layer (camera directory, image cache, page fetch, EEN health, the
//!   keeper), which turns EEN errors into outcomes the gallery renders;
//! - [`store`]: the Valkey/Redis store the replicas share (`STORE_URL`), beside `een` below
//!   the cache layer, which uses it as a second level;
//! - [`een`]: the domain types, the one EEN error, and the backend seam [`een::Backend`], with
//!   one folder per EEN API ([`een::v1`]);
//! - [`sim`]: the EEN simulator, the demo account and every test's EEN.
//!
//! Beside them: [`server`] wires the layers and runs them ([`server::demo`] is demo mode),
//! [`config`] reads flags and the environment, [`timestamp`] is the EEN timestamp both the
//! clients and the simulator use, [`metrics`], [`telemetry`], [`healthcheck`] and
//! [`shutdown`].

pub mod auth;
pub mod cache;
pub mod config;
pub mod een;
pub mod files;
pub mod gallery;
pub mod healthcheck;
pub mod metrics;
pub mod server;
pub mod shutdown;
pub mod sim;
pub mod store;
pub mod telemetry;
pub mod timestamp;

#[cfg(test)]
mod fuzzing;
