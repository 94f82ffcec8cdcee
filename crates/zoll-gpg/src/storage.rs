//! Where simple signatures are stored: lookaside ("sigstore") paths and the registry API
//! extension. Pure functions and serde types; no IO.
//!
//! # Lookaside storage
//!
//! Sources read: containers/image `docker/registries_d.go` (`lookasideStorageBaseURL`,
//! `lookasideStorageURL`, `builtinDefaultLookasideStorageDir`) and
//! `docs/signature-protocols.md`.
//!
//! The base URL comes from registries.d (`lookaside`/`sigstore`, or `lookaside-staging`/
//! `sigstore-staging` for writing). containers/image appends `"/" + reference.Path(ref)`:
//! the repository path **without the registry host** and without tag or digest
//! (`docker.io/library/busybox:latest` → `library/busybox`, `registry.example:5000/ns/app`
//! → `ns/app`). A signature then lives at
//! `<base>/<repository>@<algorithm>=<hex>/signature-<index+1>`: `=` instead of `:`, and the
//! file names count from 1 (`signature-1`, `signature-2`, …; readers stop at the first
//! missing one, writers use the first free one). The concatenation is literal, so a base
//! ending in `/` yields `//`. With nothing configured the base is
//! `file:///var/lib/containers/sigstore` for root and
//! `file://$HOME/.local/share/containers/sigstore` otherwise.
//!
//! # Registry API extension (`X-Registry-Supports-Signatures`)
//!
//! Sources read: containers/image `docker/docker_client.go` (`extensionSignature`,
//! `extensionSignatureList`, `getExtensionsSignatures`, `detectPropertiesHelper`),
//! `docker/docker_image_dest.go` (`putSignaturesToAPIExtension`) and
//! `docker/docker_image_src.go` (`appendSignaturesFromAPIExtension`).
//!
//! * Support is advertised by the response header `X-Registry-Supports-Signatures: 1` on the
//!   registry ping, `GET /v2/` (containers/image reads it from that response whether it is
//!   200 or 401). When advertised, containers/image uses the extension *instead of* the
//!   lookaside for that registry (newer versions check it first).
//! * `GET /extensions/v2/<repository>/signatures/<digest>` (repository = `reference.Path`,
//!   as above; digest = `sha256:<hex>`) returns `{"signatures":[{"schemaVersion":2,
//!   "name":"<digest>@<32 hex>","type":"atomic","content":"<base64>"}, …]}`. Readers keep
//!   only entries with `schemaVersion == 2` and `type == "atomic"`; `content` is the
//!   signature blob (Go `[]byte`, i.e. standard padded base64).
//! * `PUT` to the same path, one signature per request, with one such object as the body;
//!   `name` is `<digest>@<16 random bytes as 32 lowercase hex>`, unique among the existing
//!   names. Success is `201 Created`. Signatures whose exact bytes already exist (with
//!   version 2 and type atomic) are not uploaded again. There is no delete.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zoll_core::{Digest, ImageRef};

/// Response header that advertises the signature API extension (read on `GET /v2/`).
pub const SUPPORTS_SIGNATURES_HEADER: &str = "X-Registry-Supports-Signatures";
/// The header's value meaning "supported".
pub const SUPPORTS_SIGNATURES_VALUE: &str = "1";
/// `schemaVersion` of an atomic signature object.
pub const EXTENSION_SCHEMA_VERSION: i64 = 2;
/// `type` of an atomic signature object.
pub const EXTENSION_TYPE_ATOMIC: &str = "atomic";
/// Default lookaside directory for root (a `file://` base).
pub const DEFAULT_LOOKASIDE_DIR_ROOT: &str = "/var/lib/containers/sigstore";
/// Default lookaside directory for other users, relative to `$HOME`.
pub const DEFAULT_LOOKASIDE_DIR_USER: &str = ".local/share/containers/sigstore";

/// `<repository>@<algorithm>=<hex>/signature-<index+1>`, relative to a lookaside base.
/// `index` counts from 0, the file name from 1, as in containers/image.
pub fn lookaside_path(image: &ImageRef, manifest_digest: &Digest, index: usize) -> String {
    format!(
        "{}@{}={}/signature-{}",
        image.repository(),
        manifest_digest.algorithm().as_str(),
        manifest_digest.hex(),
        index.saturating_add(1)
    )
}

/// `base + "/" + lookaside_path(..)`, the URL (or, for a `file://` base, the file) of one
/// signature. `base` is used verbatim, as containers/image does.
pub fn lookaside_url(
    base: &str,
    image: &ImageRef,
    manifest_digest: &Digest,
    index: usize,
) -> String {
    format!("{base}/{}", lookaside_path(image, manifest_digest, index))
}

/// The extension endpoint path: `/extensions/v2/<repository>/signatures/<digest>`.
pub fn extension_path(image: &ImageRef, manifest_digest: &Digest) -> String {
    format!(
        "/extensions/v2/{}/signatures/{manifest_digest}",
        image.repository()
    )
}

/// One signature object of the API extension (`extensionSignature` in containers/image).
/// Missing fields decode to zero values, as Go's `encoding/json` does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionSignature {
    #[serde(rename = "schemaVersion", default)]
    pub version: i64,
    /// `<digest>@<per-image unique name>`.
    #[serde(default)]
    pub name: String,
    /// `atomic` for simple signatures.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The signature blob, base64 in JSON.
    #[serde(with = "b64", default)]
    pub content: Vec<u8>,
}

impl ExtensionSignature {
    /// A new atomic signature object for `manifest_digest`, named with 16 random bytes.
    pub fn atomic(manifest_digest: &Digest, content: Vec<u8>) -> ExtensionSignature {
        let random: [u8; 16] = rand::random();
        ExtensionSignature::atomic_named(manifest_digest, content, random)
    }

    /// Same as [`ExtensionSignature::atomic`] with the random part given.
    pub fn atomic_named(
        manifest_digest: &Digest,
        content: Vec<u8>,
        random: [u8; 16],
    ) -> ExtensionSignature {
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        ExtensionSignature {
            version: EXTENSION_SCHEMA_VERSION,
            name: format!("{manifest_digest}@{hex}"),
            kind: EXTENSION_TYPE_ATOMIC.to_owned(),
            content,
        }
    }

    /// Whether readers use this entry (`schemaVersion` 2 and `type` atomic).
    pub fn is_atomic(&self) -> bool {
        self.version == EXTENSION_SCHEMA_VERSION && self.kind == EXTENSION_TYPE_ATOMIC
    }

    /// The PUT body.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

/// The GET response body (`extensionSignatureList`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionSignatureList {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub signatures: Vec<ExtensionSignature>,
}

impl ExtensionSignatureList {
    pub fn from_json(data: &[u8]) -> Result<ExtensionSignatureList, serde_json::Error> {
        serde_json::from_slice(data)
    }

    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// The blobs a reader uses, in order.
    pub fn atomic_signatures(&self) -> Vec<&[u8]> {
        self.signatures
            .iter()
            .filter(|s| s.is_atomic())
            .map(|s| s.content.as_slice())
            .collect()
    }

    /// Whether `content` is already stored (so a writer skips it).
    pub fn contains(&self, content: &[u8]) -> bool {
        self.signatures
            .iter()
            .any(|s| s.is_atomic() && s.content == content)
    }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<ExtensionSignature>, D::Error> {
    Ok(Option::<Vec<ExtensionSignature>>::deserialize(d)?.unwrap_or_default())
}

mod b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(Vec::new()),
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Standard base64, as Go encodes `[]byte` (exposed for callers building bodies by hand).
pub fn encode_content(content: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(content)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const D: &str = "sha256:817a12c32a39bbe394944ba49de563e085f1d3c5266eb8e9723256bc4448680e";

    #[test]
    fn lookaside_layout_matches_signature_protocols_doc() {
        let img: ImageRef = "busybox:latest".parse().unwrap();
        let d: Digest = D.parse().unwrap();
        assert_eq!(
            lookaside_url("https://example.com/sigstore", &img, &d, 0),
            format!(
                "https://example.com/sigstore/library/busybox@sha256={}/signature-1",
                d.hex()
            )
        );
        let img: ImageRef = "example.com/ns1/ns2/ns3/repo:t".parse().unwrap();
        assert_eq!(
            lookaside_path(&img, &d, 1),
            format!("ns1/ns2/ns3/repo@sha256={}/signature-2", d.hex())
        );
    }

    #[test]
    fn extension_json() {
        let d: Digest = D.parse().unwrap();
        let img: ImageRef = "localhost:5000/myns/personal:personal".parse().unwrap();
        assert_eq!(
            extension_path(&img, &d),
            format!("/extensions/v2/myns/personal/signatures/{D}")
        );
        let sig = ExtensionSignature::atomic_named(&d, b"\x01\x02sig".to_vec(), [0xab; 16]);
        let json = String::from_utf8(sig.to_json().unwrap()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"schemaVersion":2,"name":"{D}@abababababababababababababababab","type":"atomic","content":"AQJzaWc="}}"#
            )
        );
        let list = ExtensionSignatureList::from_json(
            format!(
                r#"{{"signatures":[{json},{{"schemaVersion":1,"name":"x","type":"atomic","content":"AA=="}},{{"schemaVersion":2,"type":"other"}}]}}"#
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(list.atomic_signatures(), vec![b"\x01\x02sig".as_slice()]);
        assert!(list.contains(b"\x01\x02sig"));
        assert!(!list.contains(b"\x00"));
        assert!(
            ExtensionSignatureList::from_json(br#"{"signatures":null}"#)
                .unwrap()
                .signatures
                .is_empty()
        );
        let random = ExtensionSignature::atomic(&d, Vec::new());
        assert_eq!(random.name.len(), D.len() + 1 + 32);
    }
}
