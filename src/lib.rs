//! een-gallery: a fast, small web gallery for Eagle Eye Networks (EEN) cloud cameras.
//!
//! Layers, top to bottom: `gallery` (HTTP pages and image responses), `images` (the image
//! cache and the 5-at-a-time page fetch), `een` (a typed EEN API v1 client that keeps a
//! session alive) and `sim` (an EEN API v1 simulator: the demo account and the test double).

pub mod een;
pub mod sim;
pub mod timestamp;

pub use timestamp::EenTimestamp;
