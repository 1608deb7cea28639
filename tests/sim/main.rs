//! The EEN API v1 simulator over real HTTP, checked against the wire specification
//! (`een-api-v1.md`, SIM-01 … SIM-63): what a client written only against the simulator can
//! rely on when it meets the real EEN cloud.

#[path = "../support/mod.rs"]
mod support;

mod assets;
mod devices;
mod faults;
mod login;
