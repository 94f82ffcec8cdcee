//! zoll-formats integration tests: snapshots of every format for one representative SBOM, and
//! validation of the CycloneDX and SPDX output with the official Python tools.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixture;
mod snapshots;
mod validate;
