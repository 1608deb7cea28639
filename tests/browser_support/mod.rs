//! Shared setup of the browser tests: the gallery under test and a real Chromium.

#![allow(dead_code, unreachable_pub)] // each scenario uses a different subset

pub mod browser;
pub mod gallery;

pub use browser::{Browser, Driver, ImageFacts, LogEntry, Options};
pub use gallery::{Gallery, esn_of};
