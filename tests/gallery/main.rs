//! The gallery in front of the in-process simulator: its pages, its images and their caching,
//! its health, readiness and serving over a real socket, and the operator's v3 connect flow.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod connect;
mod connect_terminal;
mod connections;
mod finder;
mod first_admin;
mod fuzz;
mod health;
mod images;
mod live;
mod pacing;
mod pages;
mod pages_shared;
mod signin;
mod store;
mod store_pace;
mod store_signin;
mod store_v3;
mod subpath;
mod users_cli;
mod v3;
mod viewer;
mod wall;
