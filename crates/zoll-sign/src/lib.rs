//! zoll's signing formats and verification rules, independent of where signatures are stored.
//!
//! Every signature zoll makes is ECDSA P-256 over SHA-256 (cosign's default). The private key is
//! behind the [`Signer`] trait: a key file ([`keys`]) or a PKCS#11 token (crate `zoll-pkcs11`)
//! sign the same way, because the message is always hashed on the host and only the 32-byte
//! digest is handed to the key (not every token offers `CKM_ECDSA_SHA256`).
//!
//! Modules:
//! - [`keys`]: cosign-compatible key files (encrypted `ENCRYPTED SIGSTORE PRIVATE KEY`, plain
//!   PKCS#8 / SEC1, SPKI public keys), [`keys::FileSigner`] and the [`keys::KeyId`].
//! - [`simple`]: the simple-signing payload (cosign's and containers/image's "atomic" one).
//! - [`dsse`]: DSSE envelopes and their pre-authentication encoding.
//! - [`intoto`]: in-toto statements and cosign's `--type` shortcuts.
//! - [`bundle`]: Sigstore bundle v0.3 JSON with a public-key hint (no transparency log).
//! - [`verify`]: the verification rules (digest, identity, annotations, distinct-key threshold).
//!
//! # Why the formats are hand-written
//!
//! The Rust crates that implement these formats (`sigstore`, `sigstore-protobuf-specs`,
//! `in-toto`) pull in an HTTP stack, OpenSSL or a protobuf toolchain and follow p256/ecdsa
//! releases of their own, while zoll pins p256 0.14 workspace-wide; the formats themselves are
//! small JSON documents. So only the cryptographic primitives come from RustCrypto crates
//! (`p256`, `scrypt`, `crypto_secretbox`, `sha2`) and the JSON shapes are written here, each
//! checked against an independent implementation (Python `cryptography` + `pynacl`, see
//! `tests/py/cosign_formats.py`) and, where the upstream project publishes them, its own test
//! vectors.

pub mod bundle;
pub mod dsse;
mod encoding;
pub mod intoto;
pub mod keys;
pub mod simple;
pub mod verify;

use p256::ecdsa::{DerSignature, VerifyingKey};
use sha2::{Digest as _, Sha256};

pub use keys::{FileSigner, KeyError, KeyId, PublicKey};

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key refused or failed to sign; the text names the key.
    #[error("{key}: {reason}")]
    Key { key: String, reason: String },
}

/// A P-256 private key that signs SHA-256 digests, wherever it lives.
pub trait Signer: Send + Sync {
    /// The public half, for verification and for identifying the key.
    fn public_key(&self) -> VerifyingKey;

    /// Sign a SHA-256 digest computed by the caller; returns the ASN.1 DER signature (the form
    /// cosign stores, base64-encoded).
    fn sign_digest(&self, sha256: &[u8; 32]) -> Result<DerSignature, SignError>;

    /// A human-readable name for error messages and logs (a path, a PKCS#11 URI without PIN).
    fn describe(&self) -> String;
}

/// Hash `message` with SHA-256 and sign the digest with `signer`: the ECDSA-P256-SHA256
/// signature of `message`, DER-encoded.
pub fn sign_message(signer: &dyn Signer, message: &[u8]) -> Result<DerSignature, SignError> {
    signer.sign_digest(&sha256(message))
}

/// SHA-256 of `data` as a fixed-size array.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
