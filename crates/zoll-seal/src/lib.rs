//! Where signatures live, independent of how they are made or checked (crate `zoll-sign` and
//! `zoll-gpg` do that): this crate stores and fetches the bytes.
//!
//! - [`cosign`]: cosign's layout in a registry. Signatures go to the tag `sha256-<hex>.sig`, an
//!   OCI image manifest with one `application/vnd.dev.cosign.simplesigning.v1+json` layer per
//!   signature (the payload) whose `dev.cosignproject.cosign/signature` annotation holds the
//!   base64 signature; attestations go to `sha256-<hex>.att`, one
//!   `application/vnd.dsse.envelope.v1+json` layer per envelope with a `predicateType`
//!   annotation. A new signature is appended to the ones already there. Bundles and
//!   attestations are also stored as OCI 1.1 referrers (a manifest whose `subject` is the
//!   image), read through the referrers API or its fallback tag.
//! - [`layout`]: the same structures read from an OCI image layout on disk (offline
//!   verification): tags are `org.opencontainers.image.ref.name` annotations of `index.json`,
//!   referrers are manifests of the layout whose `subject` is the image.
//! - [`simple`]: containers/image's GPG simple signatures, in a lookaside directory or URL
//!   (`registries.d` `lookaside`) or through the registry's signature API extension.

pub mod cosign;
mod found;
pub mod layout;
pub mod simple;
pub mod trust;

use zoll_core::Digest;

/// Media type of a cosign simple-signing payload layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Media type of a DSSE envelope layer.
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Media type (and artifact type) of a Sigstore bundle v0.3.
pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The annotation holding a cosign signature (base64 DER).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation naming an attestation's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
/// Bundle annotations of cosign's referrers (`dev.sigstore.bundle.*`).
pub const BUNDLE_CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
pub const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// Why storing or fetching a signature failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Registry(#[from] zoll_distribution::Error),
    #[error("{target}: {message}")]
    Invalid { target: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(target: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            target: target.into(),
            message: message.into(),
        }
    }
}

/// A cosign signature found next to an image: the payload and the DER signature over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSignature {
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
    /// Where it was found, for messages (`<repo>:sha256-….sig layer 2`).
    pub source: String,
}

/// A DSSE envelope found next to an image (an attestation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundEnvelope {
    pub envelope: Vec<u8>,
    /// The `predicateType` annotation, when present (the envelope is authoritative).
    pub predicate_type: Option<String>,
    pub source: String,
}

/// A Sigstore bundle found as a referrer of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBundle {
    pub bundle: Vec<u8>,
    pub source: String,
}

/// Everything signed about one manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub signatures: Vec<FoundSignature>,
    pub attestations: Vec<FoundEnvelope>,
    pub bundles: Vec<FoundBundle>,
}

/// cosign's tag for signatures (`suffix` `sig`) or attestations (`att`) of `digest`.
pub fn cosign_tag(digest: &Digest, suffix: &str) -> String {
    format!("{}-{}.{suffix}", digest.algorithm().as_str(), digest.hex())
}

pub(crate) fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}
