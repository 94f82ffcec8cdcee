//! Reading what is stored about an image, the same way from a registry and from an OCI layout:
//! the `.sig` and `.att` tags, then the referrers that carry a bundle or a DSSE envelope.

use base64::Engine as _;
use zoll_core::Digest;
use zoll_distribution::types::{Descriptor, ImageManifest};

use crate::{
    DSSE_ENVELOPE, Error, Found, FoundBundle, FoundEnvelope, FoundSignature,
    PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION, SIGSTORE_BUNDLE, SIMPLE_SIGNING, b64,
    cosign_tag,
};

/// Largest signature payload, envelope or bundle read.
pub const MAX_ARTIFACT_BYTES: u64 = 4 << 20;
/// Most signature layers or referrers looked at per image.
pub const MAX_ENTRIES: usize = 256;

/// Where signature artifacts are read from.
pub(crate) trait Source {
    /// A label for messages: `registry/repository` or the layout's directory.
    fn name(&self) -> String;
    /// The image manifest tagged `tag`; `None` when the tag does not exist.
    fn tagged(&self, tag: &str) -> Result<Option<ImageManifest>, Error>;
    /// The image manifest a descriptor names.
    fn manifest(&self, d: &Descriptor) -> Result<ImageManifest, Error>;
    /// A blob, checked against the descriptor's digest and size.
    fn blob(&self, d: &Descriptor) -> Result<Vec<u8>, Error>;
    /// Manifests that may refer to `subject` (each is checked here, so a source may list more).
    fn candidates(&self, subject: &Digest) -> Result<Vec<Descriptor>, Error>;
}

fn bounded(src: &dyn Source, d: &Descriptor) -> Result<Vec<u8>, Error> {
    if d.size > MAX_ARTIFACT_BYTES {
        return Err(Error::invalid(
            format!("{}@{}", src.name(), d.digest),
            format!("{} bytes is more than {MAX_ARTIFACT_BYTES}", d.size),
        ));
    }
    src.blob(d)
}

/// Everything stored about `subject`. The same envelope under the `.att` tag and as a referrer
/// is one attestation; a referrer whose manifest names another subject is ignored.
pub(crate) fn collect(src: &dyn Source, subject: &Digest) -> Result<Found, Error> {
    let name = src.name();
    let mut found = Found::default();
    for suffix in ["sig", "att"] {
        let tag = cosign_tag(subject, suffix);
        let Some(manifest) = src.tagged(&tag)? else {
            continue;
        };
        for (i, layer) in manifest.layers.iter().take(MAX_ENTRIES).enumerate() {
            let source = format!("{name}:{tag} layer {}", i + 1);
            if suffix == "sig" && layer.media_type == SIMPLE_SIGNING {
                let Some(sig) = layer.annotations.get(SIGNATURE_ANNOTATION) else {
                    continue;
                };
                let signature = b64().decode(sig.trim()).map_err(|e| {
                    Error::invalid(source.clone(), format!("signature is not base64: {e}"))
                })?;
                found.signatures.push(FoundSignature {
                    payload: bounded(src, layer)?,
                    signature,
                    source,
                });
            } else if suffix == "att" && layer.media_type == DSSE_ENVELOPE {
                found.attestations.push(FoundEnvelope {
                    envelope: bounded(src, layer)?,
                    predicate_type: layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                    source,
                });
            }
        }
    }
    for d in src.candidates(subject)?.iter().take(MAX_ENTRIES) {
        let kind = d.artifact_type.as_deref().unwrap_or_default();
        if kind != SIGSTORE_BUNDLE && kind != DSSE_ENVELOPE {
            continue;
        }
        let manifest = src.manifest(d)?;
        if manifest.subject.as_ref().map(|s| &s.digest) != Some(subject) {
            continue;
        }
        let Some(layer) = manifest.layers.iter().find(|l| l.media_type == kind) else {
            continue;
        };
        let source = format!("{name}@{} (referrer)", d.digest);
        let bytes = bounded(src, layer)?;
        if kind == SIGSTORE_BUNDLE {
            found.bundles.push(FoundBundle {
                bundle: bytes,
                source,
            });
        } else if !found.attestations.iter().any(|a| a.envelope == bytes) {
            found.attestations.push(FoundEnvelope {
                envelope: bytes,
                predicate_type: manifest.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                source,
            });
        }
    }
    Ok(found)
}
