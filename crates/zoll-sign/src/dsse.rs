//! DSSE envelopes (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse), the
//! wrapper cosign puts around in-toto attestations.
//!
//! ```json
//! {"payloadType":"application/vnd.in-toto+json","payload":"<base64>",
//!  "signatures":[{"keyid":"","sig":"<base64 DER ECDSA signature>"}]}
//! ```
//!
//! The signature is over the pre-authentication encoding [`pae`],
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body` with decimal ASCII lengths, never over
//! the payload alone. zoll writes standard base64 with padding and the field order above (Go's
//! `dsse.Envelope`); it reads standard or URL-safe base64 with or without padding, as the DSSE
//! specification allows. Parsing is strict otherwise: unknown fields, a missing field or an
//! envelope without signatures are errors naming the input.

use serde::{Deserialize, Serialize};

use crate::encoding::{b64, unb64_any};
use crate::keys::PublicKey;
use crate::{SignError, Signer};

/// `payloadType` of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Why an envelope is unusable or does not verify. `name` identifies the envelope.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DsseError {
    #[error("DSSE envelope {name} is malformed: {reason}")]
    Malformed { name: String, reason: String },
    #[error("DSSE envelope {name} has no signatures")]
    NoSignatures { name: String },
    #[error("DSSE envelope {name} has payload type {found:?}, expected {expected:?}")]
    PayloadType {
        name: String,
        found: String,
        expected: String,
    },
    #[error("DSSE envelope {name} has no signature that verifies with key {key_id}")]
    BadSignature { name: String, key_id: String },
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// `keyid`: a hint, never trusted; cosign writes `""`.
    pub keyid: String,
    /// The DER ECDSA signature over [`pae`].
    pub sig: Vec<u8>,
}

/// A DSSE envelope with its payload decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// `payloadType`.
    pub payload_type: String,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The signatures, at least one in a parsed envelope.
    pub signatures: Vec<EnvelopeSignature>,
}

/// The DSSE v1 pre-authentication encoding of a payload: what is actually signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEnvelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    payload: String,
    signatures: Vec<WireSignature>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSignature {
    #[serde(default)]
    keyid: String,
    sig: String,
}

impl Envelope {
    /// Sign `payload` as `payload_type` with `signer`; `keyid` is the hint stored beside the
    /// signature (cosign stores `""`).
    pub fn sign(
        payload_type: impl Into<String>,
        payload: Vec<u8>,
        signer: &dyn Signer,
        keyid: impl Into<String>,
    ) -> Result<Envelope, SignError> {
        let mut envelope = Envelope {
            payload_type: payload_type.into(),
            payload,
            signatures: Vec::new(),
        };
        envelope.add_signature(signer, keyid)?;
        Ok(envelope)
    }

    /// Add one more signature (several keys may sign one envelope).
    pub fn add_signature(
        &mut self,
        signer: &dyn Signer,
        keyid: impl Into<String>,
    ) -> Result<(), SignError> {
        let signature = crate::sign_message(signer, &self.pae())?;
        self.signatures.push(EnvelopeSignature {
            keyid: keyid.into(),
            sig: signature.as_bytes().to_vec(),
        });
        Ok(())
    }

    /// The bytes the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Parse an envelope strictly. `name` is used in errors.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Envelope, DsseError> {
        let malformed = |reason: String| DsseError::Malformed {
            name: name.to_owned(),
            reason,
        };
        let wire: WireEnvelope =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        Envelope::from_wire(name, wire)
    }

    fn from_wire(name: &str, wire: WireEnvelope) -> Result<Envelope, DsseError> {
        let malformed = |reason: String| DsseError::Malformed {
            name: name.to_owned(),
            reason,
        };
        let payload = unb64_any(&wire.payload).map_err(|e| malformed(format!("payload: {e}")))?;
        if wire.signatures.is_empty() {
            return Err(DsseError::NoSignatures {
                name: name.to_owned(),
            });
        }
        let signatures = wire
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let sig =
                    unb64_any(&s.sig).map_err(|e| malformed(format!("signature {i}: {e}")))?;
                Ok(EnvelopeSignature {
                    keyid: s.keyid,
                    sig,
                })
            })
            .collect::<Result<Vec<_>, DsseError>>()?;
        Ok(Envelope {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Parse from an already-parsed JSON value (a bundle's `dsseEnvelope`).
    pub(crate) fn from_value(name: &str, value: serde_json::Value) -> Result<Envelope, DsseError> {
        let wire: WireEnvelope =
            serde_json::from_value(value).map_err(|e| DsseError::Malformed {
                name: name.to_owned(),
                reason: e.to_string(),
            })?;
        Envelope::from_wire(name, wire)
    }

    pub(crate) fn to_value(&self) -> serde_json::Value {
        serde_json::json!({
            "payloadType": self.payload_type,
            "payload": b64(&self.payload),
            "signatures": self.signatures.iter().map(|s| serde_json::json!({
                "keyid": s.keyid,
                "sig": b64(&s.sig),
            })).collect::<Vec<_>>(),
        })
    }

    /// The envelope as JSON (`payloadType`, `payload`, `signatures[{keyid, sig}]`).
    pub fn to_json(&self) -> Vec<u8> {
        let wire = WireEnvelope {
            payload_type: self.payload_type.clone(),
            payload: b64(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSignature {
                    keyid: s.keyid.clone(),
                    sig: b64(&s.sig),
                })
                .collect(),
        };
        // Strings and a vector of plain structs: serialization cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Check the payload type.
    pub fn expect_payload_type(&self, name: &str, expected: &str) -> Result<(), DsseError> {
        if self.payload_type == expected {
            Ok(())
        } else {
            Err(DsseError::PayloadType {
                name: name.to_owned(),
                found: self.payload_type.clone(),
                expected: expected.to_owned(),
            })
        }
    }

    /// Whether some signature of the envelope verifies with `key`.
    pub fn verify(&self, name: &str, key: &PublicKey) -> Result<(), DsseError> {
        let pae = self.pae();
        if self
            .signatures
            .iter()
            .any(|s| key.verify_message(&pae, &s.sig))
        {
            Ok(())
        } else {
            Err(DsseError::BadSignature {
                name: name.to_owned(),
                key_id: key.id().to_string(),
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::keys::FileSigner;

    #[test]
    fn pae_matches_the_specification_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn sign_serialize_parse_verify() {
        let signer = FileSigner::generate("k").unwrap();
        let envelope =
            Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}".to_vec(), &signer, "").unwrap();
        let json = envelope.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.starts_with(r#"{"payloadType":"application/vnd.in-toto+json","payload":"eyJhIjoxfQ==","signatures":[{"keyid":"","sig":""#), "{text}");
        let parsed = Envelope::parse("att", &json).unwrap();
        assert_eq!(parsed, envelope);
        parsed.verify("att", signer.public()).unwrap();
        parsed
            .expect_payload_type("att", IN_TOTO_PAYLOAD_TYPE)
            .unwrap();

        let other = FileSigner::generate("other").unwrap();
        let err = parsed.verify("att", other.public()).unwrap_err();
        assert!(matches!(err, DsseError::BadSignature { .. }), "{err}");

        let mut tampered = parsed.clone();
        tampered.payload = b"{\"a\":2}".to_vec();
        assert!(tampered.verify("att", signer.public()).is_err());
        let mut retyped = parsed;
        retyped.payload_type = "text/plain".to_owned();
        assert!(retyped.verify("att", signer.public()).is_err());
        assert!(matches!(
            retyped.expect_payload_type("att", IN_TOTO_PAYLOAD_TYPE),
            Err(DsseError::PayloadType { .. })
        ));
    }

    #[test]
    fn truncated_and_malformed_envelopes_are_named_parse_errors() {
        let signer = FileSigner::generate("k").unwrap();
        let json = Envelope::sign("t", b"x".to_vec(), &signer, "")
            .unwrap()
            .to_json();
        for cut in [1, json.len() / 2, json.len() - 1] {
            let err = Envelope::parse("sha256:abc.att", &json[..cut]).unwrap_err();
            assert!(matches!(err, DsseError::Malformed { .. }), "{err}");
            assert!(
                err.to_string()
                    .starts_with("DSSE envelope sha256:abc.att is malformed")
            );
        }
        let err = Envelope::parse(
            "e",
            br#"{"payloadType":"t","payload":"eA==","signatures":[]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            DsseError::NoSignatures {
                name: "e".to_owned()
            }
        );
        let err = Envelope::parse(
            "e",
            br#"{"payloadType":"t","payload":"!!","signatures":[{"sig":"eA=="}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("payload"), "{err}");
        let err = Envelope::parse(
            "e",
            br#"{"payloadType":"t","payload":"eA==","signatures":[{"sig":"eA=="}],"x":1}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let err = Envelope::parse("e", br#"{"payload":"eA==","signatures":[{"sig":"eA=="}]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("payloadType"), "{err}");
    }

    #[test]
    fn url_safe_base64_is_accepted() {
        let signer = FileSigner::generate("k").unwrap();
        let envelope = Envelope::sign("t", vec![0xfb, 0xff, 0xfe], &signer, "id").unwrap();
        let text = String::from_utf8(envelope.to_json()).unwrap();
        let url = text.replace('+', "-").replace('/', "_").replace('=', "");
        let parsed = Envelope::parse("e", url.as_bytes()).unwrap();
        assert_eq!(parsed, envelope);
        parsed.verify("e", signer.public()).unwrap();
    }
}
