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

pub use crate::found::{MAX_ARTIFACT_BYTES, MAX_ENTRIES};
use crate::found::{Source, collect};
use crate::{
    BUNDLE_CONTENT_ANNOTATION, BUNDLE_PREDICATE_ANNOTATION, DSSE_ENVELOPE, Error, Found,
    PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION, SIMPLE_SIGNING, b64, cosign_tag,
};

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

/// A repository of a registry as a [`Source`].
struct Registry<'a> {
    client: &'a Client,
    image: &'a ImageRef,
}

impl Source for Registry<'_> {
    fn name(&self) -> String {
        self.image.name()
    }

    fn tagged(&self, tag: &str) -> Result<Option<ImageManifest>, Error> {
        let tag_ref = self.image.with_tag(tag);
        match self.client.get_manifest(&tag_ref) {
            Ok(m) => m.image_manifest().map(Some).map_err(|e| {
                Error::invalid(tag_ref.to_string(), format!("not an image manifest: {e}"))
            }),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn manifest(&self, d: &Descriptor) -> Result<ImageManifest, Error> {
        let at = self.image.with_digest(d.digest.clone());
        self.client
            .get_manifest(&at)?
            .image_manifest()
            .map_err(|e| Error::invalid(at.to_string(), format!("not an image manifest: {e}")))
    }

    fn blob(&self, d: &Descriptor) -> Result<Vec<u8>, Error> {
        Ok(self
            .client
            .get_blob_bytes(self.image, &d.digest, Some(d.size), MAX_ARTIFACT_BYTES)?)
    }

    fn candidates(&self, subject: &Digest) -> Result<Vec<Descriptor>, Error> {
        Ok(self.client.referrers(self.image, subject, None)?.manifests)
    }
}

/// Everything stored about `subject` in the image's repository: `.sig` and `.att` tags and
/// referrers (bundles and DSSE envelopes).
pub fn fetch(client: &Client, image: &ImageRef, subject: &Digest) -> Result<Found, Error> {
    collect(&Registry { client, image }, subject)
}
