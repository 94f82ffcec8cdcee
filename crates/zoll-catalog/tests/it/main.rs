//! The one integration-test binary of zoll-catalog: catalogers on real files and parity with Syft.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod lang;
