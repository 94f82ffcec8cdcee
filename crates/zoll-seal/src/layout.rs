//! Signatures in an OCI image layout on disk, for offline verification: the image and its
//! `.sig`/`.att` manifests (tags are `org.opencontainers.image.ref.name` annotations of
//! `index.json`, as `skopeo copy` into `oci:DIR:TAG` writes them) and referrers (manifests
//! listed in `index.json` whose `subject` is the image).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use zoll_core::Digest;
use zoll_distribution::types::{Descriptor, ImageIndex, ImageManifest};

use crate::cosign::{MAX_ARTIFACT_BYTES, MAX_ENTRIES};
use crate::{
    DSSE_ENVELOPE, Error, Found, FoundBundle, FoundEnvelope, FoundSignature,
    PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION, SIGSTORE_BUNDLE, SIMPLE_SIGNING, b64,
    cosign_tag,
};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An OCI image layout opened for reading.
#[derive(Debug)]
pub struct Layout {
    root: PathBuf,
    index: ImageIndex,
}

impl Layout {
    pub fn open(root: &Path) -> Result<Layout, Error> {
        let path = root.join("index.json");
        let bytes = fs_err::read(&path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let index = serde_json::from_slice(&bytes).map_err(|e| {
            Error::invalid(path.display().to_string(), format!("not an OCI index: {e}"))
        })?;
        Ok(Layout {
            root: root.to_path_buf(),
            index,
        })
    }

    /// The descriptor tagged `tag`, or the only manifest when `tag` is `None` and there is
    /// exactly one untagged-or-tagged image that is not a signature artifact.
    pub fn find(&self, tag: Option<&str>) -> Result<Descriptor, Error> {
        let name = self.root.display().to_string();
        match tag {
            Some(t) => self
                .index
                .manifests
                .iter()
                .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(t))
                .cloned()
                .ok_or_else(|| Error::invalid(name, format!("no manifest tagged {t:?}"))),
            None => {
                let images: Vec<_> = self
                    .index
                    .manifests
                    .iter()
                    .filter(|d| {
                        d.artifact_type.is_none()
                            && !d
                                .annotations
                                .get(REF_NAME)
                                .is_some_and(|t| t.ends_with(".sig") || t.ends_with(".att"))
                    })
                    .collect();
                match images.as_slice() {
                    [one] => Ok((*one).clone()),
                    [] => Err(Error::invalid(name, "the layout holds no image")),
                    _ => Err(Error::invalid(
                        name,
                        "the layout holds several images: name one with oci:DIR:TAG",
                    )),
                }
            }
        }
    }

    /// A blob of the layout, checked against its digest, at most `limit` bytes.
    pub fn blob(&self, d: &Descriptor, limit: u64) -> Result<Vec<u8>, Error> {
        let path = self
            .root
            .join("blobs")
            .join(d.digest.algorithm().as_str())
            .join(d.digest.hex());
        let shown = path.display().to_string();
        if d.size > limit {
            return Err(Error::invalid(
                shown,
                format!("{} bytes is more than {limit}", d.size),
            ));
        }
        let bytes = fs_err::read(&path).map_err(|e| Error::Io {
            path: shown.clone(),
            source: e,
        })?;
        if bytes.len() as u64 != d.size || Digest::of(d.digest.algorithm(), &bytes) != d.digest {
            return Err(Error::invalid(
                shown,
                format!("content does not match {}", d.digest),
            ));
        }
        Ok(bytes)
    }

    fn manifest(&self, d: &Descriptor) -> Result<ImageManifest, Error> {
        let bytes = self.blob(d, MAX_ARTIFACT_BYTES)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::invalid(
                format!("{}@{}", self.root.display(), d.digest),
                e.to_string(),
            )
        })
    }

    /// Everything stored about `subject` in the layout.
    pub fn fetch(&self, subject: &Digest) -> Result<Found, Error> {
        let mut found = Found::default();
        let name = self.root.display().to_string();
        for suffix in ["sig", "att"] {
            let tag = cosign_tag(subject, suffix);
            let Ok(desc) = self.find(Some(&tag)) else {
                continue;
            };
            let manifest = self.manifest(&desc)?;
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
                        payload: self.blob(layer, MAX_ARTIFACT_BYTES)?,
                        signature,
                        source,
                    });
                } else if suffix == "att" && layer.media_type == DSSE_ENVELOPE {
                    found.attestations.push(FoundEnvelope {
                        envelope: self.blob(layer, MAX_ARTIFACT_BYTES)?,
                        predicate_type: layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                        source,
                    });
                }
            }
        }
        for d in self.index.manifests.iter().take(MAX_ENTRIES) {
            let kind = d.artifact_type.as_deref().unwrap_or_default();
            if kind != SIGSTORE_BUNDLE && kind != DSSE_ENVELOPE {
                continue;
            }
            let manifest = self.manifest(d)?;
            if manifest.subject.as_ref().map(|s| &s.digest) != Some(subject) {
                continue;
            }
            let Some(layer) = manifest.layers.iter().find(|l| l.media_type == kind) else {
                continue;
            };
            let source = format!("{name}@{} (referrer)", d.digest);
            let bytes = self.blob(layer, MAX_ARTIFACT_BYTES)?;
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
}
