//! Signatures in an OCI image layout on disk, for offline verification: the image and its
//! `.sig`/`.att` manifests (tags are `org.opencontainers.image.ref.name` annotations of
//! `index.json`, as `skopeo copy` into `oci:DIR:TAG` writes them) and referrers (manifests
//! listed in `index.json` whose `subject` is the image).

use std::path::{Path, PathBuf};

use zoll_core::Digest;
use zoll_distribution::types::{Descriptor, ImageIndex, ImageManifest};

use crate::found::{MAX_ARTIFACT_BYTES, Source, collect};
use crate::{Error, Found};

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

    /// Everything stored about `subject` in the layout.
    pub fn fetch(&self, subject: &Digest) -> Result<Found, Error> {
        collect(self, subject)
    }
}

impl Source for Layout {
    fn name(&self) -> String {
        self.root.display().to_string()
    }

    fn tagged(&self, tag: &str) -> Result<Option<ImageManifest>, Error> {
        match self
            .index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(tag))
        {
            Some(d) => self.manifest(d).map(Some),
            None => Ok(None),
        }
    }

    fn manifest(&self, d: &Descriptor) -> Result<ImageManifest, Error> {
        let bytes = Layout::blob(self, d, MAX_ARTIFACT_BYTES)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::invalid(
                format!("{}@{}", self.root.display(), d.digest),
                e.to_string(),
            )
        })
    }

    fn blob(&self, d: &Descriptor) -> Result<Vec<u8>, Error> {
        Layout::blob(self, d, MAX_ARTIFACT_BYTES)
    }

    /// A layout has no referrers index: every manifest it lists is a candidate.
    fn candidates(&self, _subject: &Digest) -> Result<Vec<Descriptor>, Error> {
        Ok(self.index.manifests.clone())
    }
}
