//! The EEN API clients (v1, and v3 in `v3`) over real HTTP: against the in-process simulator (request counts come
//! from its own counters, SIM-62, so each test proves what went over the wire), against a
//! deliberately odd EEN, and what it writes to the logs.

#[path = "../support/mod.rs"]
mod support;

mod client;
mod logs;
mod v3;
mod wire;
