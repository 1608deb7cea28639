//! The gallery in front of the in-process simulator: its pages, its images and their caching,
//! and its health, readiness and serving over a real socket.

#[path = "../support/mod.rs"]
mod support;

mod health;
mod images;
mod pages;
mod v3;
