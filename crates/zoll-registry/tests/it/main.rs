#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests build configs by changing a default, one field at a time.
#![allow(clippy::field_reassign_with_default, clippy::type_complexity)]
//! End-to-end tests of the registry: a real server on a loopback port, real clients.

mod admin;
mod backends;
mod clients;
mod harness;
mod rbac;
mod spec;
