//! End-to-end tests of image access: every source type, multi-platform selection, whiteouts,
//! and each kind of hostile layer (a clear error naming layer and entry, nothing written).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod hostile;
mod sources;
mod util;
