//! zoll-formats integration tests: snapshots of every format for one representative SBOM and one
//! representative vulnerability report, and validation of the CycloneDX, SPDX and SARIF output with
//! the official schemas and tools.

// Test helpers outside #[test] functions may unwrap and panic too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixture;
mod scan;
mod snapshots;
mod validate;
mod vuln_fixture;
