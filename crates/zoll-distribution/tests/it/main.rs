//! Integration tests of the distribution client: a real registry (`docker-registry`, `skopeo`)
//! and scripted hostile servers. One test binary, as the workspace convention asks.
// Helpers outside `#[test]` functions fail loudly too (clippy's in-test allowances do not reach them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod hostile;
mod registry;
mod support;
