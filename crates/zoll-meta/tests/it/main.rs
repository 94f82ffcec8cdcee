#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The metadata store against real SQLite (and PostgreSQL, in zoll-registry's backend tests).

mod postgres;
mod sqlite;
