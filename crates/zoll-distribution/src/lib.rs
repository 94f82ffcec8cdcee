//! OCI distribution API client (blocking, `reqwest` + rustls).
//!
//! [`Client`] pulls and pushes manifests and blobs, lists tags and deletes manifests. It handles
//! authentication (anonymous, basic, bearer tokens through the `WWW-Authenticate` challenge, with
//! credentials from [`ClientOptions::credentials`], `ZOLL_USERNAME`/`ZOLL_PASSWORD` or the docker
//! config file and its credential helpers), custom CA certificates, plain HTTP when
//! [`ClientOptions::insecure`] is set, and retries of idempotent requests with bounded exponential
//! backoff (honouring `Retry-After`).
//!
//! Architecture invariant: no data from a registry reaches a caller unverified. Manifests are
//! returned only after their digest is checked (against the reference's digest, else against
//! `Docker-Content-Digest`); blobs come as a [`VerifiedBlob`] whose reads fail instead of ending
//! when the digest or size does not match. Sizes are capped ([`MAX_MANIFEST_SIZE`]).
//!
//! Retries cover a request until its response headers arrive; a body that breaks off midway is an
//! error for the caller (a [`VerifiedBlob`] never yields a partial blob as complete).
//!
//! Secrets (passwords, tokens, identity tokens) never appear in `Debug` output, errors or logs,
//! and the `Authorization` header is only sent to the registry's own origin (redirects to storage
//! hosts go without it).
#![forbid(unsafe_code)]

mod auth;
mod blob;
mod client;
mod docker_config;
mod error;
mod options;
pub mod types;

pub use blob::{BlobVerifyError, VerifiedBlob};
pub use client::{Client, MAX_MANIFEST_SIZE, Manifest};
pub use error::{Error, RegistryErrorEntry, RegistryErrors};
pub use options::{ClientOptions, Credentials, CredentialsError};
