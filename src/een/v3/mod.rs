//! EEN API v3 (OAuth2, REST under `/api/v3.0`): the leaf modules the client is built on.
//! This file only declares them; the client (`Client`, OAuth, tokens, transport) replaces it.

#[cfg_attr(not(test), allow(dead_code))]
mod cameras;
#[cfg_attr(not(test), allow(dead_code))]
mod walk;
#[cfg_attr(not(test), allow(dead_code))]
mod wire;
