//! in-toto attestation statements, as `cosign attest` writes them, and cosign's `--type`
//! shortcuts for predicate types.
//!
//! ```json
//! {"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2",
//!  "subject":[{"name":"registry/repo","digest":{"sha256":"<hex>"}}],"predicate":{…}}
//! ```
//!
//! cosign (`pkg/cosign/attestation`) writes `_type` `https://in-toto.io/Statement/v0.1` (the
//! constant `in_toto.StatementInTotoV01`) with the field order above, so zoll writes the same;
//! reading also accepts the v1 statement type `https://in-toto.io/Statement/v1`, whose subject
//! entries may carry more fields (`uri`, `annotations`, …), which are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use zoll_core::Digest;

use crate::encoding::go_escape;

/// `_type` cosign writes.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// `_type` of in-toto attestation framework v1 statements (accepted when reading).
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// cosign's `--type` shortcuts and the predicate type URIs they stand for
/// (cosign `cmd/cosign/cli/options/predicate.go`, in-toto-golang constants).
pub const PREDICATE_SHORTCUTS: &[(&str, &str)] = &[
    ("custom", "https://cosign.sigstore.dev/attestation/v1"),
    ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance02", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
    ("link", "https://in-toto.io/Link/v1"),
    ("spdx", "https://spdx.dev/Document"),
    ("spdxjson", "https://spdx.dev/Document"),
    ("cyclonedx", "https://cyclonedx.org/bom"),
    ("cyclonedxxml", "https://cyclonedx.org/bom"),
    ("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
    ("openvex", "https://openvex.dev/ns"),
];

/// Why a statement is unusable. `name` identifies it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatementError {
    #[error("in-toto statement {name} is malformed: {reason}")]
    Malformed { name: String, reason: String },
    #[error("in-toto statement {name} has unsupported _type {found:?}")]
    StatementType { name: String, found: String },
    #[error("in-toto statement {name} has no subject")]
    NoSubject { name: String },
    #[error(
        "unknown predicate type {0:?}: use a URI or one of custom, slsaprovenance, \
         slsaprovenance02, slsaprovenance1, link, spdx, spdxjson, cyclonedx, cyclonedxxml, vuln, \
         openvex"
    )]
    UnknownPredicateType(String),
}

/// The predicate type URI for a cosign `--type` value: a shortcut from
/// [`PREDICATE_SHORTCUTS`], or any other value containing `:` taken as a URI.
pub fn predicate_type_uri(type_or_uri: &str) -> Result<String, StatementError> {
    if let Some((_, uri)) = PREDICATE_SHORTCUTS.iter().find(|(s, _)| *s == type_or_uri) {
        return Ok((*uri).to_owned());
    }
    if type_or_uri.contains(':') && !type_or_uri.chars().any(char::is_whitespace) {
        return Ok(type_or_uri.to_owned());
    }
    Err(StatementError::UnknownPredicateType(type_or_uri.to_owned()))
}

/// One subject: a name and its digests by algorithm (`sha256` → lowercase hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// An in-toto statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `_type`: [`STATEMENT_V01`] or [`STATEMENT_V1`].
    pub statement_type: String,
    pub subject: Vec<Subject>,
    pub predicate_type: String,
    /// The predicate, any JSON (`null` when absent).
    pub predicate: Value,
}

#[derive(Deserialize)]
struct WireStatement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<WireSubject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    #[serde(default)]
    predicate: Value,
}

#[derive(Deserialize)]
struct WireSubject {
    #[serde(default)]
    name: String,
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

impl Statement {
    /// A statement about one image as `cosign attest` builds it: `_type` v0.1, one subject named
    /// `subject_name` (cosign uses the repository) with the image's manifest digest.
    pub fn new(
        subject_name: impl Into<String>,
        digest: &Digest,
        predicate_type: impl Into<String>,
        predicate: Value,
    ) -> Statement {
        let mut digests = BTreeMap::new();
        digests.insert(
            digest.algorithm().as_str().to_owned(),
            digest.hex().to_owned(),
        );
        Statement {
            statement_type: STATEMENT_V01.to_owned(),
            subject: vec![Subject {
                name: subject_name.into(),
                digest: digests,
            }],
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// Whether some subject names `digest` (same algorithm, same hex, case-insensitively).
    pub fn covers(&self, digest: &Digest) -> bool {
        self.subject.iter().any(|s| {
            s.digest
                .get(digest.algorithm().as_str())
                .is_some_and(|hex| hex.eq_ignore_ascii_case(digest.hex()))
        })
    }

    /// Every subject digest as `algorithm:hex`, for error messages.
    pub fn subject_digests(&self) -> Vec<String> {
        self.subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(alg, hex)| format!("{alg}:{hex}")))
            .collect()
    }

    /// The statement as JSON in cosign's field order (`_type`, `predicateType`, `subject`,
    /// `predicate`).
    pub fn to_json(&self) -> Vec<u8> {
        // Written by hand so the field order holds even if serde_json's `preserve_order` is
        // switched on elsewhere in the build.
        let subjects = self
            .subject
            .iter()
            .map(|s| {
                let digest: Map<String, Value> = s
                    .digest
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                format!(
                    "{{\"name\":{},\"digest\":{}}}",
                    Value::String(s.name.clone()),
                    Value::Object(digest)
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let text = format!(
            "{{\"_type\":{},\"predicateType\":{},\"subject\":[{subjects}],\"predicate\":{}}}",
            Value::String(self.statement_type.clone()),
            Value::String(self.predicate_type.clone()),
            self.predicate,
        );
        go_escape(text).into_bytes()
    }

    /// Parse a statement. `name` is used in errors.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Statement, StatementError> {
        let wire: WireStatement =
            serde_json::from_slice(bytes).map_err(|e| StatementError::Malformed {
                name: name.to_owned(),
                reason: e.to_string(),
            })?;
        if wire.statement_type != STATEMENT_V01 && wire.statement_type != STATEMENT_V1 {
            return Err(StatementError::StatementType {
                name: name.to_owned(),
                found: wire.statement_type,
            });
        }
        if wire.subject.is_empty() {
            return Err(StatementError::NoSubject {
                name: name.to_owned(),
            });
        }
        Ok(Statement {
            statement_type: wire.statement_type,
            subject: wire
                .subject
                .into_iter()
                .map(|s| Subject {
                    name: s.name,
                    digest: s.digest,
                })
                .collect(),
            predicate_type: wire.predicate_type,
            predicate: wire.predicate,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn shortcuts_and_uris() {
        assert_eq!(
            predicate_type_uri("slsaprovenance").unwrap(),
            "https://slsa.dev/provenance/v0.2"
        );
        assert_eq!(
            predicate_type_uri("slsaprovenance1").unwrap(),
            "https://slsa.dev/provenance/v1"
        );
        assert_eq!(
            predicate_type_uri("spdxjson").unwrap(),
            "https://spdx.dev/Document"
        );
        assert_eq!(
            predicate_type_uri("cyclonedx").unwrap(),
            "https://cyclonedx.org/bom"
        );
        assert_eq!(
            predicate_type_uri("openvex").unwrap(),
            "https://openvex.dev/ns"
        );
        assert_eq!(
            predicate_type_uri("custom").unwrap(),
            "https://cosign.sigstore.dev/attestation/v1"
        );
        assert_eq!(
            predicate_type_uri("https://example.com/p/v1").unwrap(),
            "https://example.com/p/v1"
        );
        assert_eq!(predicate_type_uri("urn:x:y").unwrap(), "urn:x:y");
        assert!(matches!(
            predicate_type_uri("sbom"),
            Err(StatementError::UnknownPredicateType(_))
        ));
    }

    #[test]
    fn statement_round_trip_and_order() {
        let digest: Digest = format!("sha256:{HEX}").parse().unwrap();
        let statement = Statement::new(
            "registry.example/app",
            &digest,
            "https://slsa.dev/provenance/v0.2",
            serde_json::json!({"builder": {"id": "x"}}),
        );
        let text = String::from_utf8(statement.to_json()).unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{{"name":"registry.example/app","digest":{{"sha256":"{HEX}"}}}}],"predicate":{{"builder":{{"id":"x"}}}}}}"#
            )
        );
        let back = Statement::parse("s", text.as_bytes()).unwrap();
        assert_eq!(back, statement);
        assert!(back.covers(&digest));
        let other: Digest = format!("sha256:{}", "1".repeat(64)).parse().unwrap();
        assert!(!back.covers(&other));
        assert_eq!(back.subject_digests(), vec![format!("sha256:{HEX}")]);
    }

    #[test]
    fn accepts_v1_and_rejects_others() {
        let v1 = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a","digest":{{"sha256":"{HEX}"}},"uri":"x"}}],"predicateType":"p"}}"#
        );
        let s = Statement::parse("s", v1.as_bytes()).unwrap();
        assert_eq!(s.predicate, Value::Null);
        let bad = v1.replace("Statement/v1", "Statement/v9");
        assert!(matches!(
            Statement::parse("s", bad.as_bytes()),
            Err(StatementError::StatementType { .. })
        ));
        let none =
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}"#;
        assert!(matches!(
            Statement::parse("s", none.as_bytes()),
            Err(StatementError::NoSubject { .. })
        ));
        let err = Statement::parse("s", br#"{"_type":"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("in-toto statement s is malformed")
        );
    }
}
