//! The simulator's HTTP side, shared by every API it speaks.
//!
//! - `state`: the shared state ([`state::SimState`]: configuration, faults, the demo account,
//!   timelines, frames, counters) and one parsed request ([`state::Ctx`]); the lower layer.
//! - `query`, `body`: query strings and bodies the way EEN reads them.
//! - `dispatch`: the fallback handler every request reaches: records, delays, picks the API
//!   and calls its endpoints; the upper layer. Only `sim/mod.rs` uses it.

pub(crate) mod body;
pub(crate) mod dispatch;
pub(crate) mod query;
pub(crate) mod state;
