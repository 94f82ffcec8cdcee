#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end tests of the registry: a real server on a loopback port, real clients.

mod harness;
mod admin;
mod backends;
mod clients;
