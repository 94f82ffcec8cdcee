//! cosign's signature layout in a registry, and OCI 1.1 referrers.
//!
//! Appending to a `.sig`/`.att` tag reads the manifest there, adds a layer and writes the tag
//! again, as cosign does; two signers racing on one image can lose one signature (the tag is
//! last-writer-wins), which cosign shares. Referrers have no such race.

use std::collections::BTreeMap;

use base64::Engine as _;
use zoll_core::{Digest, ImageRef};
use zoll_distribution::Client;
use zoll_distribution::types::{Descriptor, ImageManifest, OCI_CONFIG, OCI_EMPTY, OCI_MANIFEST};

use crate::{
    BUNDLE_CONTENT_ANNOTATION, BUNDLE_PREDICATE_ANNOTATION, DSSE_ENVELOPE, Error, Found,
    FoundBundle, FoundEnvelope, FoundSignature, PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION,
    SIGSTORE_BUNDLE, SIMPLE_SIGNING, b64, cosign_tag,
};

/// Largest signature payload, envelope or bundle read from a registry.
pub const MAX_ARTIFACT_BYTES: u64 = 4 << 20;
/// Most signature layers or referrers looked at per image.
pub const MAX_ENTRIES: usize = 256;

/// The manifest a reference names: its descriptor (digest, media type, size). A tag is
/// resolved once, here; everything after works on the digest.
pub fn resolve(client: &Client, image: &ImageRef) -> Result<Descriptor, Error> {
    match client.head_manifest(image)? {
        Some((digest, media_type, size)) => {
            let mut d = Descriptor::of(&media_type, b"");
            d.digest = digest;
            d.size = size;
            Ok(d)
        }
        None => Err(Error::invalid(
            image.to_string(),
            "no such image: cannot resolve it to a digest",
        )),
    }
}

/// Append a cosign signature (payload and DER signature) to the image's `.sig` tag. Returns
/// the digest of the signature manifest. A signature already there is not added twice.
pub fn append_signature(
    client: &Client,
    image: &ImageRef,
    subject: &Digest,
    payload: &[u8],
    signature: &[u8],
) -> Result<Digest, Error> {
    let mut annotations = BTreeMap::new();
    annotations.insert(SIGNATURE_ANNOTATION.to_owned(), b64().encode(signature));
    append_layer(
        client,
        image,
        &cosign_tag(subject, "sig"),
        SIMPLE_SIGNING,
        payload,
        annotations,
    )
}

/// Append a DSSE envelope to the image's `.att` tag, as `cosign attest` does.
pub fn append_attestation(
    client: &Client,
    image: &ImageRef,
    subject: &Digest,
    envelope: &[u8],
    predicate_type: &str,
) -> Result<Digest, Error> {
    let mut annotations = BTreeMap::new();
    annotations.insert(
        PREDICATE_TYPE_ANNOTATION.to_owned(),
        predicate_type.to_owned(),
    );
    // cosign writes an empty signature annotation on attestation layers.
    annotations.insert(SIGNATURE_ANNOTATION.to_owned(), String::new());
    append_layer(
        client,
        image,
        &cosign_tag(subject, "att"),
        DSSE_ENVELOPE,
        envelope,
        annotations,
    )
}

/// The config cosign writes for a signature image (go-containerregistry's empty image with the
/// layers appended).
fn signature_config(layers: &[Descriptor]) -> Vec<u8> {
    let zero = "0001-01-01T00:00:00Z";
    let history: Vec<_> = layers
        .iter()
        .map(|_| serde_json::json!({"created": zero}))
        .collect();
    let diff_ids: Vec<_> = layers.iter().map(|l| l.digest.to_string()).collect();
    serde_json::json!({
        "architecture": "",
        "created": zero,
        "history": history,
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {},
    })
    .to_string()
    .into_bytes()
}

fn append_layer(
    client: &Client,
    image: &ImageRef,
    tag: &str,
    media_type: &str,
    blob: &[u8],
    annotations: BTreeMap<String, String>,
) -> Result<Digest, Error> {
    let tag_ref = image.with_tag(tag);
    let (mut layers, current) = match client.get_manifest(&tag_ref) {
        Ok(m) => {
            let parsed = m.image_manifest().map_err(|e| {
                Error::invalid(tag_ref.to_string(), format!("not an image manifest: {e}"))
            })?;
            (parsed.layers, Some(m.digest))
        }
        Err(e) if e.is_not_found() => (Vec::new(), None),
        Err(e) => return Err(e.into()),
    };
    let mut layer = Descriptor::of(media_type, blob);
    layer.annotations = annotations;
    if let Some(current) = current
        && layers.contains(&layer)
    {
        // Already there: nothing to write.
        return Ok(current);
    }
    if layers.len() >= MAX_ENTRIES {
        return Err(Error::invalid(
            tag_ref.to_string(),
            format!("already holds {MAX_ENTRIES} entries"),
        ));
    }
    client.push_blob_bytes(image, blob)?;
    layers.push(layer);
    let config = signature_config(&layers);
    client.push_blob_bytes(image, &config)?;
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        artifact_type: None,
        config: Descriptor::of(OCI_CONFIG, &config),
        layers,
        subject: None,
        annotations: BTreeMap::new(),
    };
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| Error::invalid(tag_ref.to_string(), e.to_string()))?;
    Ok(client.put_manifest(&tag_ref, &bytes, OCI_MANIFEST)?)
}

/// Push `blob` as an OCI 1.1 artifact referring to `subject`: an image manifest with
/// `artifactType`, the empty config and one layer. Returns the artifact's digest.
pub fn push_referrer(
    client: &Client,
    image: &ImageRef,
    subject: &Descriptor,
    artifact_type: &str,
    blob: &[u8],
    annotations: BTreeMap<String, String>,
) -> Result<Digest, Error> {
    let empty = b"{}";
    client.push_blob_bytes(image, empty)?;
    client.push_blob_bytes(image, blob)?;
    let manifest = referrer_manifest(subject, artifact_type, blob, annotations);
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| Error::invalid(image.to_string(), e.to_string()))?;
    let digest = Digest::sha256(&bytes);
    Ok(client.put_manifest(&image.with_digest(digest), &bytes, OCI_MANIFEST)?)
}

/// The manifest of a referrer carrying one blob of `artifact_type`.
pub fn referrer_manifest(
    subject: &Descriptor,
    artifact_type: &str,
    blob: &[u8],
    annotations: BTreeMap<String, String>,
) -> ImageManifest {
    let mut subject = subject.clone();
    subject.annotations.clear();
    subject.platform = None;
    ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        artifact_type: Some(artifact_type.to_owned()),
        config: Descriptor::of(OCI_EMPTY, b"{}"),
        layers: vec![Descriptor::of(artifact_type, blob)],
        subject: Some(subject),
        annotations,
    }
}

/// Annotations of a bundle referrer, as cosign writes them.
pub fn bundle_annotations(content: &str, predicate_type: Option<&str>) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    a.insert(BUNDLE_CONTENT_ANNOTATION.to_owned(), content.to_owned());
    if let Some(p) = predicate_type {
        a.insert(BUNDLE_PREDICATE_ANNOTATION.to_owned(), p.to_owned());
    }
    a
}

/// Everything stored about `subject` in the image's repository: `.sig` and `.att` tags and
/// referrers (bundles and DSSE envelopes).
pub fn fetch(client: &Client, image: &ImageRef, subject: &Digest) -> Result<Found, Error> {
    let mut found = Found::default();
    let blob = |d: &Descriptor| {
        if d.size > MAX_ARTIFACT_BYTES {
            return Err(Error::invalid(
                format!("{}@{}", image.name(), d.digest),
                format!("{} bytes is more than {MAX_ARTIFACT_BYTES}", d.size),
            ));
        }
        Ok::<_, Error>(client.get_blob_bytes(image, &d.digest, Some(d.size), MAX_ARTIFACT_BYTES)?)
    };
    for suffix in ["sig", "att"] {
        let tag = cosign_tag(subject, suffix);
        let tag_ref = image.with_tag(&tag);
        let manifest = match client.get_manifest(&tag_ref) {
            Ok(m) => m.image_manifest().map_err(|e| {
                Error::invalid(tag_ref.to_string(), format!("not an image manifest: {e}"))
            })?,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e.into()),
        };
        for (i, layer) in manifest.layers.iter().take(MAX_ENTRIES).enumerate() {
            let source = format!("{}:{tag} layer {}", image.name(), i + 1);
            if suffix == "sig" && layer.media_type == SIMPLE_SIGNING {
                let Some(sig) = layer.annotations.get(SIGNATURE_ANNOTATION) else {
                    continue;
                };
                let signature = b64().decode(sig.trim()).map_err(|e| {
                    Error::invalid(source.clone(), format!("signature is not base64: {e}"))
                })?;
                found.signatures.push(FoundSignature {
                    payload: blob(layer)?,
                    signature,
                    source,
                });
            } else if suffix == "att" && layer.media_type == DSSE_ENVELOPE {
                found.attestations.push(FoundEnvelope {
                    envelope: blob(layer)?,
                    predicate_type: layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                    source,
                });
            }
        }
    }
    let index = client.referrers(image, subject, None)?;
    for r in index.manifests.iter().take(MAX_ENTRIES) {
        let kind = r.artifact_type.as_deref().unwrap_or_default();
        if kind != SIGSTORE_BUNDLE && kind != DSSE_ENVELOPE {
            continue;
        }
        let source = format!("{}@{} (referrer)", image.name(), r.digest);
        let m = client.get_manifest(&image.with_digest(r.digest.clone()))?;
        let manifest = m
            .image_manifest()
            .map_err(|e| Error::invalid(source.clone(), format!("not an image manifest: {e}")))?;
        if manifest.subject.as_ref().map(|s| &s.digest) != Some(subject) {
            return Err(Error::invalid(source, "its subject is not this image"));
        }
        let Some(layer) = manifest.layers.iter().find(|l| l.media_type == kind) else {
            continue;
        };
        let bytes = blob(layer)?;
        if kind == SIGSTORE_BUNDLE {
            found.bundles.push(FoundBundle {
                bundle: bytes,
                source,
            });
        } else {
            // The same envelope under the `.att` tag and as a referrer is one attestation.
            if !found.attestations.iter().any(|a| a.envelope == bytes) {
                found.attestations.push(FoundEnvelope {
                    envelope: bytes,
                    predicate_type: manifest.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                    source,
                });
            }
        }
    }
    Ok(found)
}
