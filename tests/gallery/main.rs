//! The gallery in front of the in-process simulator: its pages, its images and their caching,
//! its health, readiness and serving over a real socket, and the operator's v3 connect flow.

#[path = "../support/mod.rs"]
mod support;

mod connect;
mod connect_terminal;
mod connections;
mod fuzz;
mod health;
mod images;
mod pacing;
mod pages;
mod store;
mod users_cli;
mod v3;
