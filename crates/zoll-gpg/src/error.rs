//! The one error type of this crate.

use crate::keys::Fingerprint;

/// Why loading a key, signing, verifying or checking a signature failed.
///
/// Every message is lowercase and names the input it is about (a key file's name, a
/// fingerprint, a reference), so callers can print it as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key file is neither an armored nor a binary OpenPGP key or keyring.
    #[error("cannot read OpenPGP keys from {name}: {reason}")]
    KeyParse { name: String, reason: String },
    /// A key file parsed but held no key of the expected kind.
    #[error("{name} holds no OpenPGP {kind} key")]
    NoKeys { name: String, kind: &'static str },
    /// A fingerprint argument is not 40 (v4) or 64 (v6) hex digits.
    #[error("invalid key fingerprint {input:?}: expected 40 or 64 hex digits (spaces allowed)")]
    InvalidFingerprint { input: String },
    /// No loaded secret key (primary or subkey) has this fingerprint.
    #[error("no secret key with fingerprint {fingerprint} among the loaded key files")]
    KeyNotFound { fingerprint: Fingerprint },
    /// The key exists but neither it nor one of its subkeys may make signatures.
    #[error(
        "key {fingerprint} has no usable signing key (revoked, expired or not signing-capable)"
    )]
    NotSigningCapable { fingerprint: Fingerprint },
    /// The secret key is protected and the passphrase does not unlock it.
    #[error("wrong or missing passphrase for secret key {fingerprint}")]
    BadPassphrase { fingerprint: Fingerprint },
    /// rpgp failed to produce the signed message.
    #[error("cannot sign with key {fingerprint}: {reason}")]
    Sign {
        fingerprint: Fingerprint,
        reason: String,
    },
    /// The simple-signing payload cannot be written (empty reference).
    #[error("cannot write simple-signing payload: {reason}")]
    InvalidPayload { reason: String },
    /// The signature blob is not an OpenPGP signed message carrying exactly one signature.
    #[error("signature is not a valid OpenPGP signed message: {reason}")]
    MalformedSignature { reason: String },
    /// The OpenPGP signature does not verify against the key that claims to have made it.
    #[error("bad signature by key {fingerprint}: {reason}")]
    BadSignature {
        fingerprint: Fingerprint,
        reason: String,
    },
    /// The signature was made by a key that is not among the trusted or accepted keys.
    /// `fingerprint` is the issuer fingerprint the signature names (or its 16-hex-digit key
    /// id when the signature carries no issuer fingerprint).
    #[error("signature made by key {fingerprint}, which is not a trusted key")]
    UnknownKey { fingerprint: String },
    /// The signing key (or the subkey that signed) has been revoked.
    #[error("signature made by revoked key {fingerprint}")]
    KeyRevoked { fingerprint: Fingerprint },
    /// The signing key (or the subkey that signed) has expired.
    #[error("signature made by expired key {fingerprint}")]
    KeyExpired { fingerprint: Fingerprint },
    /// The signature itself carries an expiration time that has passed.
    #[error("signature by key {fingerprint} expired at unix time {expired_at}")]
    SignatureExpired {
        fingerprint: Fingerprint,
        expired_at: u64,
    },
    /// The signed payload is not a strict atomic container signature JSON document.
    #[error("malformed simple-signing payload: {reason}")]
    MalformedPayload { reason: String },
    /// The payload signs another manifest digest than the image's.
    #[error("signature is for manifest digest {signed}, the image's is {expected}")]
    DigestMismatch { expected: String, signed: String },
    /// The payload's docker-reference is not accepted by the identity rule.
    #[error("signature identity {signed:?} does not match {expected:?} under rule {rule}")]
    IdentityMismatch {
        expected: String,
        signed: String,
        rule: &'static str,
    },
    /// A reference given to [`crate::check`] (or held by a rule) is not a valid image reference.
    #[error("invalid image reference {input:?} for identity check: {reason}")]
    InvalidReference { input: String, reason: String },
}
