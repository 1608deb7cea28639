//! The one support layer of the integration tests, included by every test binary with
//! `#[path = "../support/mod.rs"] mod support;`.
//!
//! Every test talks real HTTP to an in-process simulator on `127.0.0.1:0`, so the pieces here
//! build on each other: [`sim`] starts it under the test domain, [`een`] points an EEN client at
//! it, [`gallery`] puts the gallery in front of it, [`cameras`] picks demo cameras by what a test
//! needs of them, [`jpeg`] reads which frame an image is, [`logs`] captures a test's log lines,
//! [`v3`] is a v3 client of the simulator's API v3 (OAuth and bearer calls), and [`connect`]
//! a gallery on v3 waiting to be connected, with the operator's browser at the consent page;
//! [`signin`] a gallery with sign-in on, and a browser's side of signing in; [`nginx`] a real
//! nginx in front of a gallery; [`redis`] a real `redis-server` for the store tests, and
//! [`replicas`] galleries sharing it.

// Each test binary uses a different part of the support layer, and `pub` here means "for the
// test modules of this binary", which is as far as it can reach.
#![allow(dead_code, unreachable_pub)]

pub mod cameras;
pub mod connect;
pub mod een;
pub mod fuzz;
pub mod gallery;
pub mod jpeg;
pub mod logs;
pub mod net;
pub mod nginx;
pub mod redis;
pub mod replicas;
pub mod signin;
pub mod sim;
pub mod v3;
