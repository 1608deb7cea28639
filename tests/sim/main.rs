//! The EEN simulator over real HTTP, checked against the wire specifications: API v1
//! (`een-api-v1.md`, SIM-01 … SIM-63; `assets`, `devices`, `faults`, `login`) and API v3
//! (`een-api-v3.md`, V3-SIM-01 … 41; the `v3_*` modules): what a client written only against
//! the simulator can rely on when it meets the real EEN cloud.

#[path = "../support/mod.rs"]
mod support;

mod assets;
mod devices;
mod faults;
mod fuzz;
mod login;
mod v3_api;
mod v3_faults;
mod v3_media;
mod v3_oauth;
