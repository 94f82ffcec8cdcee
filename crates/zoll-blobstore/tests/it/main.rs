//! The one integration-test binary of zoll-blobstore: the S3 backend against a real S3 server
//! (moto, started through `zoll-testenv`), running the behavioural suite the unit tests run on
//! every backend (`src/suite.rs`, included here), plus checks only a real server can answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../src/suite.rs"]
mod suite;

mod s3;

use zoll_blobstore::{Algorithm, BlobStore, ByteStream, Digest, Error};
