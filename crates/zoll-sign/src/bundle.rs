//! Sigstore bundles (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, JSON form) for key-based
//! signatures, without a transparency log.
//!
//! ```json
//! {"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
//!  "verificationMaterial":{"publicKey":{"hint":"<key hint>"},"tlogEntries":[]},
//!  "messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"<base64>"},
//!                      "signature":"<base64 DER>"}}
//! ```
//!
//! or, instead of `messageSignature`, `"dsseEnvelope":{"payload","payloadType","signatures"}`
//! (an in-toto attestation). Field names are protobuf-JSON camelCase as in protobuf-specs
//! (`bundle.proto`, `sigstore_common.proto`); bytes are standard base64. The hint zoll writes
//! is [`key_hint`], base64 of the SHA-256 of the key's DER SubjectPublicKeyInfo (what sigstore-go
//! uses for a key pair); it is only a hint: verification always uses the caller's trusted keys.
//!
//! Parsing accepts the v0.1–v0.3 media types and both spellings of v0.3, requires
//! `verificationMaterial.publicKey` (certificate-based, "keyless", bundles are rejected with
//! [`BundleError::Unsupported`]) and exactly one of `messageSignature` and `dsseEnvelope`.
//! Transparency-log entries and timestamps are carried but not checked: zoll's key-based
//! verification does not use Rekor.

use p256::ecdsa::Signature;
use serde_json::{Map, Value, json};

use crate::dsse::{DsseError, Envelope};
use crate::encoding::{b64, unb64};
use crate::keys::PublicKey;
use crate::{SignError, Signer};

/// The media type zoll writes.
pub const BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const ACCEPTED_MEDIA_TYPES: [&str; 4] = [
    BUNDLE_V03_MEDIA_TYPE,
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
];
/// protobuf-specs `HashAlgorithm` name of SHA-256.
pub const SHA2_256: &str = "SHA2_256";

/// Why a bundle is unusable or does not verify. `name` identifies the bundle.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    #[error("sigstore bundle {name} is malformed: {reason}")]
    Malformed { name: String, reason: String },
    #[error("sigstore bundle {name} has unsupported media type {found:?}")]
    MediaType { name: String, found: String },
    #[error("sigstore bundle {name} is not supported: {what}")]
    Unsupported { name: String, what: String },
    #[error("sigstore bundle {name} signs digest {found}, not the artifact's digest {expected}")]
    ArtifactMismatch {
        name: String,
        expected: String,
        found: String,
    },
    #[error("sigstore bundle {name}: signature does not verify with key {key_id}")]
    BadSignature { name: String, key_id: String },
    #[error(transparent)]
    Dsse(#[from] DsseError),
}

/// What the bundle signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleContent {
    /// A signature over an artifact whose SHA-256 is `digest`.
    MessageSignature {
        digest: [u8; 32],
        signature: Vec<u8>,
    },
    /// A DSSE envelope (an attestation).
    Dsse(Envelope),
}

/// A key-based Sigstore bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// `mediaType` as read (zoll writes [`BUNDLE_V03_MEDIA_TYPE`]).
    pub media_type: String,
    /// `verificationMaterial.publicKey.hint` (empty when absent).
    pub public_key_hint: String,
    /// `verificationMaterial.tlogEntries`, carried unverified.
    pub tlog_entries: Vec<Value>,
    pub content: BundleContent,
}

/// The hint zoll writes for a key: standard base64 of SHA-256 of the DER SubjectPublicKeyInfo.
pub fn key_hint(key: &PublicKey) -> String {
    b64(&crate::sha256(key.spki_der()))
}

impl Bundle {
    /// Sign `artifact` (hashed with SHA-256) into a `messageSignature` bundle.
    pub fn sign_artifact(signer: &dyn Signer, artifact: &[u8]) -> Result<Bundle, SignError> {
        let digest = crate::sha256(artifact);
        let signature = signer.sign_digest(&digest)?;
        let hint = PublicKey::from_verifying_key(signer.public_key())
            .map(|k| key_hint(&k))
            .unwrap_or_default();
        Ok(Bundle {
            media_type: BUNDLE_V03_MEDIA_TYPE.to_owned(),
            public_key_hint: hint,
            tlog_entries: Vec::new(),
            content: BundleContent::MessageSignature {
                digest,
                signature: signature.as_bytes().to_vec(),
            },
        })
    }

    /// Wrap a signed DSSE envelope; `public_key_hint` as in [`key_hint`].
    pub fn from_envelope(envelope: Envelope, public_key_hint: impl Into<String>) -> Bundle {
        Bundle {
            media_type: BUNDLE_V03_MEDIA_TYPE.to_owned(),
            public_key_hint: public_key_hint.into(),
            tlog_entries: Vec::new(),
            content: BundleContent::Dsse(envelope),
        }
    }

    /// The bundle as protobuf JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut top = Map::new();
        top.insert(
            "mediaType".to_owned(),
            Value::String(self.media_type.clone()),
        );
        top.insert(
            "verificationMaterial".to_owned(),
            json!({
                "publicKey": {"hint": self.public_key_hint},
                "tlogEntries": self.tlog_entries,
            }),
        );
        match &self.content {
            BundleContent::MessageSignature { digest, signature } => {
                top.insert(
                    "messageSignature".to_owned(),
                    json!({
                        "messageDigest": {"algorithm": SHA2_256, "digest": b64(digest)},
                        "signature": b64(signature),
                    }),
                );
            }
            BundleContent::Dsse(envelope) => {
                top.insert("dsseEnvelope".to_owned(), envelope.to_value());
            }
        }
        Value::Object(top).to_string().into_bytes()
    }

    /// Parse a bundle (see the module docs). `name` is used in errors.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Bundle, BundleError> {
        let malformed = |reason: String| BundleError::Malformed {
            name: name.to_owned(),
            reason,
        };
        let unsupported = |what: &str| BundleError::Unsupported {
            name: name.to_owned(),
            what: what.to_owned(),
        };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        let Value::Object(mut top) = value else {
            return Err(malformed("the document is not an object".to_owned()));
        };
        let media_type = match top.remove("mediaType") {
            Some(Value::String(s)) => s,
            _ => return Err(malformed("mediaType must be a string".to_owned())),
        };
        if !ACCEPTED_MEDIA_TYPES.contains(&media_type.as_str()) {
            return Err(BundleError::MediaType {
                name: name.to_owned(),
                found: media_type,
            });
        }
        let Some(Value::Object(mut material)) = top.remove("verificationMaterial") else {
            return Err(malformed(
                "verificationMaterial must be an object".to_owned(),
            ));
        };
        if material.contains_key("certificate") || material.contains_key("x509CertificateChain") {
            return Err(unsupported(
                "certificate-based (keyless) verification material; zoll verifies with keys",
            ));
        }
        let public_key_hint = match material.remove("publicKey") {
            Some(Value::Object(mut pk)) => match pk.remove("hint") {
                Some(Value::String(h)) => h,
                None => String::new(),
                Some(_) => return Err(malformed("publicKey.hint must be a string".to_owned())),
            },
            Some(_) => return Err(malformed("publicKey must be an object".to_owned())),
            None => return Err(malformed("verificationMaterial lacks publicKey".to_owned())),
        };
        let tlog_entries = match material.remove("tlogEntries") {
            Some(Value::Array(entries)) => entries,
            None => Vec::new(),
            Some(_) => return Err(malformed("tlogEntries must be an array".to_owned())),
        };
        let message = top.remove("messageSignature");
        let envelope = top.remove("dsseEnvelope");
        if let Some(field) = top.keys().next() {
            return Err(malformed(format!("unexpected field {field}")));
        }
        let content = match (message, envelope) {
            (Some(message), None) => parse_message_signature(name, message)?,
            (None, Some(envelope)) => BundleContent::Dsse(Envelope::from_value(name, envelope)?),
            (Some(_), Some(_)) => {
                return Err(malformed(
                    "both messageSignature and dsseEnvelope are present".to_owned(),
                ));
            }
            (None, None) => {
                return Err(malformed(
                    "neither messageSignature nor dsseEnvelope is present".to_owned(),
                ));
            }
        };
        Ok(Bundle {
            media_type,
            public_key_hint,
            tlog_entries,
            content,
        })
    }

    /// Verify the bundle's signature with `key`. For a `messageSignature` bundle,
    /// `artifact_sha256` (when given) must equal the signed digest; a DSSE bundle checks the
    /// envelope's signatures (the statement is checked by [`crate::verify`]).
    pub fn verify(
        &self,
        name: &str,
        key: &PublicKey,
        artifact_sha256: Option<&[u8; 32]>,
    ) -> Result<(), BundleError> {
        match &self.content {
            BundleContent::MessageSignature { digest, signature } => {
                if let Some(expected) = artifact_sha256
                    && expected != digest
                {
                    return Err(BundleError::ArtifactMismatch {
                        name: name.to_owned(),
                        expected: format!("sha256:{}", hex::encode(expected)),
                        found: format!("sha256:{}", hex::encode(digest)),
                    });
                }
                let ok =
                    Signature::from_der(signature).is_ok_and(|sig| key.verify_digest(digest, &sig));
                if ok {
                    Ok(())
                } else {
                    Err(BundleError::BadSignature {
                        name: name.to_owned(),
                        key_id: key.id().to_string(),
                    })
                }
            }
            BundleContent::Dsse(envelope) => Ok(envelope.verify(name, key)?),
        }
    }
}

fn parse_message_signature(name: &str, value: Value) -> Result<BundleContent, BundleError> {
    let malformed = |reason: String| BundleError::Malformed {
        name: name.to_owned(),
        reason: format!("messageSignature: {reason}"),
    };
    let Value::Object(mut m) = value else {
        return Err(malformed("not an object".to_owned()));
    };
    let Some(Value::Object(mut md)) = m.remove("messageDigest") else {
        return Err(malformed("messageDigest must be an object".to_owned()));
    };
    match md.remove("algorithm") {
        Some(Value::String(a)) if a == SHA2_256 => {}
        Some(Value::String(a)) => {
            return Err(BundleError::Unsupported {
                name: name.to_owned(),
                what: format!("message digest algorithm {a}"),
            });
        }
        _ => {
            return Err(malformed(
                "messageDigest.algorithm must be a string".to_owned(),
            ));
        }
    }
    let digest = match md.remove("digest") {
        Some(Value::String(d)) => unb64(&d).map_err(|e| malformed(format!("digest: {e}")))?,
        _ => {
            return Err(malformed(
                "messageDigest.digest must be a string".to_owned(),
            ));
        }
    };
    let digest: [u8; 32] = digest
        .try_into()
        .map_err(|d: Vec<u8>| malformed(format!("digest is {} bytes, expected 32", d.len())))?;
    let signature = match m.remove("signature") {
        Some(Value::String(s)) => unb64(&s).map_err(|e| malformed(format!("signature: {e}")))?,
        _ => return Err(malformed("signature must be a string".to_owned())),
    };
    Ok(BundleContent::MessageSignature { digest, signature })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::dsse::IN_TOTO_PAYLOAD_TYPE;
    use crate::keys::FileSigner;

    #[test]
    fn message_signature_bundle() {
        let signer = FileSigner::generate("k").unwrap();
        let bundle = Bundle::sign_artifact(&signer, b"artifact").unwrap();
        let json = bundle.to_json();
        let value: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["mediaType"], BUNDLE_V03_MEDIA_TYPE);
        assert_eq!(value["verificationMaterial"]["tlogEntries"], json!([]));
        assert_eq!(
            value["verificationMaterial"]["publicKey"]["hint"],
            key_hint(signer.public())
        );
        assert_eq!(
            value["messageSignature"]["messageDigest"]["algorithm"],
            "SHA2_256"
        );
        assert_eq!(
            value["messageSignature"]["messageDigest"]["digest"],
            b64(&crate::sha256(b"artifact"))
        );
        let parsed = Bundle::parse("b", &json).unwrap();
        assert_eq!(parsed, bundle);
        parsed
            .verify("b", signer.public(), Some(&crate::sha256(b"artifact")))
            .unwrap();
        let err = parsed
            .verify("b", signer.public(), Some(&crate::sha256(b"other")))
            .unwrap_err();
        assert!(matches!(err, BundleError::ArtifactMismatch { .. }), "{err}");
        let other = FileSigner::generate("o").unwrap();
        let err = parsed.verify("b", other.public(), None).unwrap_err();
        assert!(matches!(err, BundleError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn dsse_bundle() {
        let signer = FileSigner::generate("k").unwrap();
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}".to_vec(), &signer, "").unwrap();
        let bundle = Bundle::from_envelope(envelope, key_hint(signer.public()));
        let parsed = Bundle::parse("b", &bundle.to_json()).unwrap();
        assert_eq!(parsed, bundle);
        parsed.verify("b", signer.public(), None).unwrap();
        let other = FileSigner::generate("o").unwrap();
        assert!(matches!(
            parsed.verify("b", other.public(), None),
            Err(BundleError::Dsse(DsseError::BadSignature { .. }))
        ));
    }

    #[test]
    fn rejects_malformed_and_keyless_bundles() {
        let signer = FileSigner::generate("k").unwrap();
        let json =
            String::from_utf8(Bundle::sign_artifact(&signer, b"a").unwrap().to_json()).unwrap();
        let err = Bundle::parse("b.json", &json.as_bytes()[..json.len() / 2]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("sigstore bundle b.json is malformed"),
            "{err}"
        );
        let err = Bundle::parse("b", json.replace("v0.3", "v9").as_bytes()).unwrap_err();
        assert!(matches!(err, BundleError::MediaType { .. }), "{err}");
        let keyless = json.replace(r#""publicKey""#, r#""certificate""#);
        let err = Bundle::parse("b", keyless.as_bytes()).unwrap_err();
        assert!(matches!(err, BundleError::Unsupported { .. }), "{err}");
        let sha512 = json.replace("SHA2_256", "SHA2_512");
        let err = Bundle::parse("b", sha512.as_bytes()).unwrap_err();
        assert!(matches!(err, BundleError::Unsupported { .. }), "{err}");
        let neither = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}}}"#;
        let err = Bundle::parse("b", neither.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("neither"), "{err}");
    }
}
