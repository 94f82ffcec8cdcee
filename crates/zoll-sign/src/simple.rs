//! The simple-signing payload: what a cosign signature (and a containers/image GPG signature)
//! signs.
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"registry/repo"},
//!              "image":{"docker-manifest-digest":"sha256:…"},
//!              "type":"cosign container image signature"},
//!  "optional":null}
//! ```
//!
//! Two flavours share the shape and differ in `critical.type` ([`PayloadKind`]):
//! - cosign (`cosign container image signature`, sigstore's `pkg/signature/payload`): `optional`
//!   holds the `-a key=value` annotations, or is `null` when there are none (Go marshals a nil
//!   map as `null`; the field is never omitted).
//! - atomic (`atomic container signature`, containers/image `docs/containers-signature.5.md`):
//!   `optional` is an object with `creator` (string) and `timestamp` (integer Unix seconds),
//!   each omitted when unset.
//!
//! [`SimpleSigning::to_json`] writes the bytes Go's `encoding/json` would: object keys in sorted
//! order (the struct order of `critical` is also sorted), no whitespace, and `<`, `>`, `&`
//! escaped as `\u003c` and so on. Parsing is strict, as containers/image parses it: `critical`,
//! `identity` and `image` must have exactly their fields, the top level exactly `critical` and
//! `optional`, and the type must be known; `optional` may hold anything else.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use serde_json::{Map, Value};
use zoll_core::Digest;

use crate::encoding::go_escape;

/// `critical.type` of a cosign signature payload.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";
/// `critical.type` of a containers/image ("atomic") signature payload.
pub const ATOMIC_SIGNATURE_TYPE: &str = "atomic container signature";
/// OCI media type of a cosign signature layer holding this payload.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// Which simple-signing flavour a payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// `cosign container image signature`.
    Cosign,
    /// `atomic container signature` (containers/image, GPG signatures).
    Atomic,
}

impl PayloadKind {
    /// The `critical.type` string.
    pub fn type_string(self) -> &'static str {
        match self {
            PayloadKind::Cosign => COSIGN_SIGNATURE_TYPE,
            PayloadKind::Atomic => ATOMIC_SIGNATURE_TYPE,
        }
    }

    /// The kind for a `critical.type` string.
    pub fn from_type_string(value: &str) -> Option<PayloadKind> {
        match value {
            COSIGN_SIGNATURE_TYPE => Some(PayloadKind::Cosign),
            ATOMIC_SIGNATURE_TYPE => Some(PayloadKind::Atomic),
            _ => None,
        }
    }
}

/// Why bytes are not a valid simple-signing payload. `name` identifies the payload (a source
/// label, a file).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    #[error("payload {name} is not a JSON object: {reason}")]
    Json { name: String, reason: String },
    #[error("payload {name} lacks field {field}")]
    Missing { name: String, field: &'static str },
    #[error("payload {name} has unexpected field {field}")]
    Unexpected { name: String, field: String },
    #[error("payload {name}: field {field} must be {expected}")]
    WrongType {
        name: String,
        field: &'static str,
        expected: &'static str,
    },
    #[error("payload {name} has unknown signature type {found:?}")]
    UnknownType { name: String, found: String },
    #[error("payload {name} has an invalid manifest digest: {reason}")]
    Digest { name: String, reason: String },
}

/// A simple-signing payload.
#[derive(Clone, Debug, PartialEq)]
pub struct SimpleSigning {
    /// Cosign or atomic.
    pub kind: PayloadKind,
    /// `critical.identity.docker-reference`: the repository (cosign writes `registry/repo`
    /// without tag) or the full reference the signer meant.
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`.
    pub manifest_digest: Digest,
    /// `optional`; `None` is JSON `null`.
    pub optional: Option<BTreeMap<String, Value>>,
}

impl SimpleSigning {
    /// A cosign payload; `annotations` become `optional` (`None` or empty writes `null`, as
    /// cosign does for a nil map).
    pub fn cosign(
        docker_reference: impl Into<String>,
        manifest_digest: Digest,
        annotations: Option<BTreeMap<String, Value>>,
    ) -> SimpleSigning {
        SimpleSigning {
            kind: PayloadKind::Cosign,
            docker_reference: docker_reference.into(),
            manifest_digest,
            optional: annotations.filter(|a| !a.is_empty()),
        }
    }

    /// An atomic (containers/image) payload with optional `creator` and `timestamp`
    /// (Unix seconds).
    pub fn atomic(
        docker_reference: impl Into<String>,
        manifest_digest: Digest,
        creator: Option<String>,
        timestamp: Option<i64>,
    ) -> SimpleSigning {
        let mut optional = BTreeMap::new();
        if let Some(creator) = creator.filter(|c| !c.is_empty()) {
            optional.insert("creator".to_owned(), Value::String(creator));
        }
        if let Some(timestamp) = timestamp {
            optional.insert("timestamp".to_owned(), Value::from(timestamp));
        }
        SimpleSigning {
            kind: PayloadKind::Atomic,
            docker_reference: docker_reference.into(),
            manifest_digest,
            optional: Some(optional),
        }
    }

    /// One entry of `optional`.
    pub fn optional_value(&self, key: &str) -> Option<&Value> {
        self.optional.as_ref().and_then(|o| o.get(key))
    }

    /// `optional.creator` (atomic payloads).
    pub fn creator(&self) -> Option<&str> {
        self.optional_value("creator").and_then(Value::as_str)
    }

    /// `optional.timestamp` (atomic payloads).
    pub fn timestamp(&self) -> Option<i64> {
        self.optional_value("timestamp").and_then(Value::as_i64)
    }

    /// Whether `optional[key]` is the string `value` (how cosign's `-a key=value` annotations
    /// are compared; a non-string value compares by its JSON text).
    pub fn has_annotation(&self, key: &str, value: &str) -> bool {
        match self.optional_value(key) {
            Some(Value::String(s)) => s == value,
            Some(other) => serde_json::to_string(other).is_ok_and(|text| text == value),
            None => false,
        }
    }

    /// The payload bytes as cosign / containers/image would write them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut identity = Map::new();
        identity.insert(
            "docker-reference".to_owned(),
            Value::String(self.docker_reference.clone()),
        );
        let mut image = Map::new();
        image.insert(
            "docker-manifest-digest".to_owned(),
            Value::String(self.manifest_digest.to_string()),
        );
        let mut critical = Map::new();
        critical.insert("identity".to_owned(), Value::Object(identity));
        critical.insert("image".to_owned(), Value::Object(image));
        critical.insert(
            "type".to_owned(),
            Value::String(self.kind.type_string().to_owned()),
        );
        let optional = match &self.optional {
            Some(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            None => Value::Null,
        };
        let mut top = Map::new();
        top.insert("critical".to_owned(), Value::Object(critical));
        top.insert("optional".to_owned(), optional);
        go_escape(Value::Object(top).to_string()).into_bytes()
    }

    /// Parse payload bytes strictly (see the module docs). `name` is used in errors.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<SimpleSigning, PayloadError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| PayloadError::Json {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        let Value::Object(mut top) = value else {
            return Err(PayloadError::Json {
                name: name.to_owned(),
                reason: "the document is not an object".to_owned(),
            });
        };
        let mut critical = take_object(name, &mut top, "critical")?;
        let optional = top.remove("optional").ok_or(PayloadError::Missing {
            name: name.to_owned(),
            field: "optional",
        })?;
        no_more(name, &top)?;

        let kind_text = take_string(name, &mut critical, "critical.type", "type")?;
        let kind =
            PayloadKind::from_type_string(&kind_text).ok_or_else(|| PayloadError::UnknownType {
                name: name.to_owned(),
                found: kind_text.clone(),
            })?;
        let mut identity = take_object(name, &mut critical, "identity")?;
        let mut image = take_object(name, &mut critical, "image")?;
        no_more(name, &critical)?;
        let docker_reference = take_string(
            name,
            &mut identity,
            "critical.identity.docker-reference",
            "docker-reference",
        )?;
        no_more(name, &identity)?;
        let digest_text = take_string(
            name,
            &mut image,
            "critical.image.docker-manifest-digest",
            "docker-manifest-digest",
        )?;
        no_more(name, &image)?;
        let manifest_digest = Digest::from_str(&digest_text).map_err(|e| PayloadError::Digest {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;

        let optional = match optional {
            Value::Null if kind == PayloadKind::Cosign => None,
            Value::Object(map) => Some(map.into_iter().collect::<BTreeMap<_, _>>()),
            _ => {
                return Err(PayloadError::WrongType {
                    name: name.to_owned(),
                    field: "optional",
                    expected: match kind {
                        PayloadKind::Cosign => "an object or null",
                        PayloadKind::Atomic => "an object",
                    },
                });
            }
        };
        if kind == PayloadKind::Atomic
            && let Some(optional) = &optional
        {
            if optional.get("creator").is_some_and(|c| !c.is_string()) {
                return Err(PayloadError::WrongType {
                    name: name.to_owned(),
                    field: "optional.creator",
                    expected: "a string",
                });
            }
            if optional
                .get("timestamp")
                .is_some_and(|t| t.as_i64().is_none())
            {
                return Err(PayloadError::WrongType {
                    name: name.to_owned(),
                    field: "optional.timestamp",
                    expected: "an integer",
                });
            }
        }
        Ok(SimpleSigning {
            kind,
            docker_reference,
            manifest_digest,
            optional,
        })
    }
}

fn take_object(
    name: &str,
    map: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Map<String, Value>, PayloadError> {
    match map.remove(field) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(PayloadError::WrongType {
            name: name.to_owned(),
            field,
            expected: "an object",
        }),
        None => Err(PayloadError::Missing {
            name: name.to_owned(),
            field,
        }),
    }
}

fn take_string(
    name: &str,
    map: &mut Map<String, Value>,
    path: &'static str,
    field: &str,
) -> Result<String, PayloadError> {
    match map.remove(field) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(PayloadError::WrongType {
            name: name.to_owned(),
            field: path,
            expected: "a string",
        }),
        None => Err(PayloadError::Missing {
            name: name.to_owned(),
            field: path,
        }),
    }
}

fn no_more(name: &str, map: &Map<String, Value>) -> Result<(), PayloadError> {
    match map.keys().next() {
        Some(field) => Err(PayloadError::Unexpected {
            name: name.to_owned(),
            field: field.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn digest() -> Digest {
        DIGEST.parse().unwrap()
    }

    #[test]
    fn cosign_payload_bytes_match_cosign() {
        let payload = SimpleSigning::cosign("registry.example/app", digest(), None);
        let expected = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        assert_eq!(String::from_utf8(payload.to_json()).unwrap(), expected);
        assert_eq!(
            SimpleSigning::parse("p", expected.as_bytes()).unwrap(),
            payload
        );
    }

    #[test]
    fn annotations_are_sorted_and_go_escaped() {
        let mut annotations = BTreeMap::new();
        annotations.insert("z".to_owned(), Value::from("last"));
        annotations.insert("a".to_owned(), Value::from("<b>&"));
        let payload = SimpleSigning::cosign("r.example/x", digest(), Some(annotations));
        let text = String::from_utf8(payload.to_json()).unwrap();
        assert!(
            text.ends_with(r#""optional":{"a":"\u003cb\u003e\u0026","z":"last"}}"#),
            "{text}"
        );
        let back = SimpleSigning::parse("p", text.as_bytes()).unwrap();
        assert!(back.has_annotation("a", "<b>&"));
        assert!(!back.has_annotation("a", "x"));
        assert_eq!(back, payload);
    }

    #[test]
    fn atomic_payload() {
        let payload = SimpleSigning::atomic(
            "quay.io/x/y:1",
            digest(),
            Some("zoll 0.1".to_owned()),
            Some(1_700_000_000),
        );
        let text = String::from_utf8(payload.to_json()).unwrap();
        assert!(text.contains(r#""type":"atomic container signature""#));
        assert!(text.ends_with(r#""optional":{"creator":"zoll 0.1","timestamp":1700000000}}"#));
        let back = SimpleSigning::parse("p", text.as_bytes()).unwrap();
        assert_eq!(back.kind, PayloadKind::Atomic);
        assert_eq!(back.creator(), Some("zoll 0.1"));
        assert_eq!(back.timestamp(), Some(1_700_000_000));
        let empty = SimpleSigning::atomic("q/x", digest(), None, None);
        assert!(
            String::from_utf8(empty.to_json())
                .unwrap()
                .ends_with(r#""optional":{}}"#)
        );
    }

    fn parse_err(text: &str) -> PayloadError {
        SimpleSigning::parse("sig-1", text.as_bytes()).unwrap_err()
    }

    #[test]
    fn strict_parsing() {
        let ok = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"r/x"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        assert!(SimpleSigning::parse("p", ok.as_bytes()).is_ok());

        let e = parse_err(&ok.replace("cosign container image signature", "other"));
        assert!(matches!(e, PayloadError::UnknownType { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            r#"payload sig-1 has unknown signature type "other""#
        );

        let e = parse_err(&ok.replace(r#","optional":null"#, ""));
        assert!(
            matches!(
                e,
                PayloadError::Missing {
                    field: "optional",
                    ..
                }
            ),
            "{e}"
        );

        let e = parse_err(&ok.replace(r#"{"docker-reference":"r/x"}"#, "{}"));
        assert_eq!(
            e.to_string(),
            "payload sig-1 lacks field critical.identity.docker-reference"
        );

        let e = parse_err(&ok.replace(r#""type""#, r#""extra":1,"type""#));
        assert!(matches!(e, PayloadError::Unexpected { .. }), "{e}");

        let e = parse_err(&ok.replace(DIGEST, "sha256:abc"));
        assert!(matches!(e, PayloadError::Digest { .. }), "{e}");

        let e = parse_err(&ok.replace("null", "3"));
        assert!(
            matches!(
                e,
                PayloadError::WrongType {
                    field: "optional",
                    ..
                }
            ),
            "{e}"
        );

        let atomic = ok
            .replace("cosign container image signature", ATOMIC_SIGNATURE_TYPE)
            .replace("null", r#"{"timestamp":"yesterday"}"#);
        let e = parse_err(&atomic);
        assert!(matches!(e, PayloadError::WrongType { .. }), "{e}");

        let e = parse_err(&ok[..ok.len() - 5]);
        assert!(matches!(e, PayloadError::Json { .. }), "{e}");
        let e = parse_err("[]");
        assert!(matches!(e, PayloadError::Json { .. }), "{e}");
    }
}
