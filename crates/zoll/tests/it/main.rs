//! End-to-end tests of the `zoll` binary against real images, real peers and real registries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod alpine;
mod cache;
mod checks;
mod cli;
mod gpg;
mod hostile;
mod lint;
mod malware;
mod scan;
mod schemas;
mod seal;
mod secrets;
mod serve;
mod sources;
mod syft;
mod util;
mod version;
