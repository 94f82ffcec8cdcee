//! The signed JSON payload ("atomic container signature").
//!
//! Source read: containers/image `signature/simple.go` (`untrustedSignature.MarshalJSON`,
//! `strictUnmarshalJSON`) and `signature/internal/json.go` (`ParanoidUnmarshalJSONObject`).
//!
//! Writing: Go marshals `map[string]any`, so keys come out sorted and without whitespace:
//! `{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":"atomic container signature"},"optional":{"creator":C,"timestamp":T}}`;
//! `optional` is `{}` when neither creator nor timestamp is set. Strings are escaped as Go's
//! `encoding/json` escapes them (`<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`).
//!
//! Reading is strict: the top level must hold exactly `critical` and `optional`; `critical`
//! exactly `type`, `image` and `identity`; `image` exactly `docker-manifest-digest`;
//! `identity` exactly `docker-reference`. Duplicate keys and trailing data are rejected,
//! `type` must be `atomic container signature`, unknown keys inside `optional` are ignored,
//! and `optional.timestamp` must be an integral number.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use zoll_core::Digest;

use crate::error::Error;

/// The `critical.type` value of a simple signing payload.
pub const SIGNATURE_TYPE: &str = "atomic container signature";

/// The content of a simple-signing signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleSigning {
    /// `critical.identity.docker-reference`, e.g. `registry.example/ns/app:1.0`.
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`.
    pub manifest_digest: Digest,
    /// `optional.creator`; containers/image writes `atomic <version>`.
    pub creator: Option<String>,
    /// `optional.timestamp`, unix seconds.
    pub timestamp: Option<i64>,
}

impl SimpleSigning {
    /// A payload with the current time and zoll as creator.
    pub fn new(docker_reference: impl Into<String>, manifest_digest: Digest) -> SimpleSigning {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        SimpleSigning {
            docker_reference: docker_reference.into(),
            manifest_digest,
            creator: Some(format!("zoll {}", env!("CARGO_PKG_VERSION"))),
            timestamp,
        }
    }

    /// The JSON bytes, byte for byte as containers/image's `json.Marshal` writes them.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        if self.docker_reference.is_empty() {
            return Err(Error::InvalidPayload {
                reason: "the docker reference is empty".to_owned(),
            });
        }
        let mut s = String::from(r#"{"critical":{"identity":{"docker-reference":"#);
        go_string(&mut s, &self.docker_reference);
        s.push_str(r#"},"image":{"docker-manifest-digest":"#);
        go_string(&mut s, &self.manifest_digest.to_string());
        s.push_str(r#"},"type":"#);
        go_string(&mut s, SIGNATURE_TYPE);
        s.push_str(r#"},"optional":{"#);
        if let Some(c) = &self.creator {
            s.push_str(r#""creator":"#);
            go_string(&mut s, c);
            if self.timestamp.is_some() {
                s.push(',');
            }
        }
        if let Some(t) = self.timestamp {
            let _ = write!(s, r#""timestamp":{t}"#);
        }
        s.push_str("}}");
        Ok(s.into_bytes())
    }

    /// Parses a payload as strictly as containers/image does.
    pub fn from_json(data: &[u8]) -> Result<SimpleSigning, Error> {
        let mal = |reason: String| Error::MalformedPayload { reason };
        let mut de = serde_json::Deserializer::from_slice(data);
        let top: Strict =
            serde::Deserialize::deserialize(&mut de).map_err(|e| mal(e.to_string()))?;
        de.end().map_err(|e| mal(e.to_string()))?;

        let top = exact(top, "the payload", &["critical", "optional"])?;
        let [critical, optional] = <[Strict; 2]>::try_from(top)
            .map_err(|_| mal("unexpected top-level layout".to_owned()))?;

        let Strict::Object(optional) = optional else {
            return Err(mal("\"optional\" is not a JSON object".to_owned()));
        };
        let mut creator = None;
        let mut timestamp = None;
        for (k, v) in optional {
            match k.as_str() {
                "creator" => match v {
                    Strict::String(s) => creator = Some(s),
                    Strict::Null => creator = Some(String::new()),
                    _ => return Err(mal("\"optional.creator\" is not a string".to_owned())),
                },
                "timestamp" => match v {
                    Strict::Int(i) => timestamp = Some(i),
                    Strict::Float(f) => {
                        // Go decodes into float64 and requires int64(f) == f.
                        if f.fract() != 0.0 || !f.is_finite() || f.abs() >= 9.2e18 {
                            return Err(mal(
                                "field optional.timestamp is not an integer".to_owned()
                            ));
                        }
                        #[allow(clippy::cast_possible_truncation)]
                        {
                            timestamp = Some(f as i64);
                        }
                    }
                    Strict::Null => timestamp = Some(0),
                    _ => return Err(mal("\"optional.timestamp\" is not a number".to_owned())),
                },
                _ => {}
            }
        }

        let critical = exact(critical, "\"critical\"", &["type", "image", "identity"])?;
        let [typ, image, identity] = <[Strict; 3]>::try_from(critical)
            .map_err(|_| mal("unexpected critical layout".to_owned()))?;
        let typ = string(typ, "critical.type")?;
        if typ != SIGNATURE_TYPE {
            return Err(mal(format!("unrecognized signature type {typ:?}")));
        }
        let image = exact(image, "\"critical.image\"", &["docker-manifest-digest"])?;
        let digest_str = string(
            image.into_iter().next().unwrap_or(Strict::Null),
            "critical.image.docker-manifest-digest",
        )?;
        let manifest_digest: Digest = digest_str.parse().map_err(|e| {
            mal(format!(
                "invalid docker-manifest-digest value {digest_str:?}: {e}"
            ))
        })?;
        let identity = exact(identity, "\"critical.identity\"", &["docker-reference"])?;
        let docker_reference = string(
            identity.into_iter().next().unwrap_or(Strict::Null),
            "critical.identity.docker-reference",
        )?;
        Ok(SimpleSigning {
            docker_reference,
            manifest_digest,
            creator,
            timestamp,
        })
    }
}

fn string(v: Strict, what: &str) -> Result<String, Error> {
    match v {
        Strict::String(s) => Ok(s),
        _ => Err(Error::MalformedPayload {
            reason: format!("\"{what}\" is not a string"),
        }),
    }
}

/// Requires `v` to be an object with exactly `fields`; returns the values in `fields` order.
fn exact(v: Strict, what: &str, fields: &[&str]) -> Result<Vec<Strict>, Error> {
    let Strict::Object(pairs) = v else {
        return Err(Error::MalformedPayload {
            reason: format!("{what} is not a JSON object"),
        });
    };
    let mut slots: Vec<Option<Strict>> = fields.iter().map(|_| None).collect();
    for (k, val) in pairs {
        let Some(i) = fields.iter().position(|f| *f == k) else {
            return Err(Error::MalformedPayload {
                reason: format!("unknown key {k:?} in {what}"),
            });
        };
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(val);
        }
    }
    let mut out = Vec::with_capacity(fields.len());
    for (slot, f) in slots.into_iter().zip(fields) {
        match slot {
            Some(v) => out.push(v),
            None => {
                return Err(Error::MalformedPayload {
                    reason: format!("key {f:?} missing in {what}"),
                });
            }
        }
    }
    Ok(out)
}

/// Writes `s` as a JSON string literal the way Go's `encoding/json` does (HTML-safe).
fn go_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON value that keeps object keys in order and rejects duplicate keys.
#[derive(Debug)]
enum Strict {
    Null,
    Bool,
    Int(i64),
    Float(f64),
    String(String),
    Array,
    Object(Vec<(String, Strict)>),
}

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Strict, E> {
        Ok(Strict::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Strict, E> {
        Ok(Strict::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict::Bool)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Strict, E> {
        match i64::try_from(v) {
            Ok(i) => Ok(Strict::Int(i)),
            Err(_) => Err(E::custom("number out of range")),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Strict, E> {
        Ok(Strict::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut seen = HashSet::new();
        let mut pairs = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                return Err(de::Error::custom(format!("duplicate key {k:?}")));
            }
            let v = map.next_value::<Strict>()?;
            pairs.push((k, v));
        }
        Ok(Strict::Object(pairs))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const D: &str = "sha256:817a12c32a39bbe394944ba49de563e085f1d3c5266eb8e9723256bc4448680e";

    fn sample() -> SimpleSigning {
        SimpleSigning {
            docker_reference: "docker.io/library/busybox:latest".into(),
            manifest_digest: D.parse().unwrap(),
            creator: Some("atomic 5.23.1".into()),
            timestamp: Some(1_700_000_000),
        }
    }

    #[test]
    fn writes_go_layout() {
        let json = String::from_utf8(sample().to_json().unwrap()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"docker.io/library/busybox:latest"}},"image":{{"docker-manifest-digest":"{D}"}},"type":"atomic container signature"}},"optional":{{"creator":"atomic 5.23.1","timestamp":1700000000}}}}"#
            )
        );
        let mut bare = sample();
        bare.creator = None;
        bare.timestamp = None;
        let json = String::from_utf8(bare.to_json().unwrap()).unwrap();
        assert!(json.ends_with(r#""optional":{}}"#), "{json}");
        let mut only_ts = sample();
        only_ts.creator = None;
        let json = String::from_utf8(only_ts.to_json().unwrap()).unwrap();
        assert!(
            json.ends_with(r#""optional":{"timestamp":1700000000}}"#),
            "{json}"
        );
    }

    #[test]
    fn go_escaping() {
        let mut s = String::new();
        go_string(&mut s, "a<b>&\"\\\n\u{1}\u{2028}é");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001\u2028é""#);
    }

    #[test]
    fn round_trip() {
        let s = sample();
        assert_eq!(SimpleSigning::from_json(&s.to_json().unwrap()).unwrap(), s);
    }

    #[test]
    fn strict_parsing() {
        let good = String::from_utf8(sample().to_json().unwrap()).unwrap();
        let bad = |s: &str| {
            let e = SimpleSigning::from_json(s.as_bytes()).unwrap_err();
            assert!(matches!(e, Error::MalformedPayload { .. }), "{s}: {e}");
        };
        bad(&good.replace(r#""type":"#, r#""extra":1,"type":"#));
        bad(&good.replace(
            "atomic container signature",
            "cosign container image signature",
        ));
        bad(&good.replace(
            r#","optional":{"creator":"atomic 5.23.1","timestamp":1700000000}"#,
            "",
        ));
        bad(&good.replace("1700000000", "1700000000.5"));
        bad(&good.replace(
            r#""critical":{"#,
            r#""critical":{"type":"atomic container signature","#,
        ));
        bad(&format!("{good} x"));
        bad(&good.replace(D, "sha256:1234"));
        bad(r#"[]"#);
        bad(&good.replace(r#"{"critical""#, r#"{"other":{},"critical""#));
        // Unknown optional fields are ignored; a float timestamp with no fraction is fine.
        let ok = good
            .replace(r#""creator""#, r#""x":[1,{"y":2}],"creator""#)
            .replace("1700000000", "1.7e9");
        let p = SimpleSigning::from_json(ok.as_bytes()).unwrap();
        assert_eq!(p.timestamp, Some(1_700_000_000));
    }
}
