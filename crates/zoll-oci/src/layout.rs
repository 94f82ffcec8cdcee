//! OCI image layout source (`oci:PATH[:TAG|@DIGEST]`): `oci-layout`, `index.json`, `blobs/`.
//! Multi-platform indexes are resolved to one manifest by platform. Every JSON blob read here is
//! verified against its digest and size before it is parsed; layer blobs are verified by the walker.

use std::io::Read;
use std::path::{Path, PathBuf};

use fs_err as fs;
use zoll_core::{Digest, Platform, Target};

use crate::image::{Image, ImageLayer, LayerOpener};
use crate::model::{Descriptor, Index};
use crate::spec::Selector;
use crate::{Fetched, Resolved, SourceError, media_type_of, resolve_manifest};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const MAX_JSON: u64 = 8 << 20;

pub(crate) fn blob_path(root: &Path, digest: &Digest) -> PathBuf {
    root.join("blobs")
        .join(digest.algorithm().as_str())
        .join(digest.hex())
}

/// Read a small blob and verify its digest and size.
pub(crate) fn read_verified(
    root: &Path,
    desc: &Descriptor,
    what: &str,
) -> Result<Vec<u8>, SourceError> {
    if desc.size > MAX_JSON {
        return Err(SourceError::Malformed {
            what: format!("{what} {}", desc.digest),
            reason: format!("{} bytes is too large", desc.size),
        });
    }
    let path = blob_path(root, &desc.digest);
    let data = fs::read(&path).map_err(|e| SourceError::Io {
        what: format!("{what} {}", desc.digest),
        source: e,
    })?;
    verify(&data, desc, &path.display().to_string())?;
    Ok(data)
}

pub(crate) fn verify(data: &[u8], desc: &Descriptor, what: &str) -> Result<(), SourceError> {
    if data.len() as u64 != desc.size {
        return Err(SourceError::SizeMismatch {
            what: what.to_owned(),
            expected: desc.size,
            actual: data.len() as u64,
        });
    }
    let actual = Digest::of(desc.digest.algorithm(), data);
    if actual != desc.digest {
        return Err(SourceError::DigestMismatch {
            what: what.to_owned(),
            expected: desc.digest.clone(),
            actual,
        });
    }
    Ok(())
}

struct LayoutOpener {
    root: PathBuf,
}

impl LayerOpener for LayoutOpener {
    fn open(&self, layer: &ImageLayer) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let path = self.root.join(&layer.location);
        let f = fs::File::open(&path).map_err(|e| SourceError::Io {
            what: format!("layer {}", layer.name()),
            source: e,
        })?;
        Ok(Box::new(f))
    }
}

fn parse<T: serde::de::DeserializeOwned>(data: &[u8], what: &str) -> Result<T, SourceError> {
    serde_json::from_slice(data).map_err(|e| SourceError::Malformed {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

/// Open an image from an OCI layout.
pub(crate) fn open(
    root: &Path,
    selector: &Selector,
    platform: Option<&Platform>,
    input: &str,
) -> Result<Image, SourceError> {
    let layout_file = root.join("oci-layout");
    if !layout_file.is_file() {
        return Err(SourceError::Malformed {
            what: root.display().to_string(),
            reason: "not an OCI image layout (no oci-layout file)".to_owned(),
        });
    }
    let index_path = root.join("index.json");
    let index_bytes = fs::read(&index_path).map_err(|e| SourceError::Io {
        what: index_path.display().to_string(),
        source: e,
    })?;
    let index: Index = parse(&index_bytes, &index_path.display().to_string())?;

    let chosen: &Descriptor = match selector {
        Selector::Digest(d) => {
            index
                .manifests
                .iter()
                .find(|m| &m.digest == d)
                .ok_or_else(|| SourceError::NotFound {
                    what: format!("{input}: no manifest {d} in index.json"),
                })?
        }
        Selector::Tag(t) => index
            .manifests
            .iter()
            .find(|m| {
                m.annotations
                    .get(REF_NAME)
                    .is_some_and(|r| r == t || r.rsplit_once(':').is_some_and(|(_, tag)| tag == t))
            })
            .ok_or_else(|| SourceError::NotFound {
                what: format!(
                    "{input}: no image tagged {t:?} (tags: {})",
                    tags(&index).join(", ")
                ),
            })?,
        Selector::Index(n) => index
            .manifests
            .get(*n)
            .ok_or_else(|| SourceError::NotFound {
                what: format!("{input}: no image #{n}"),
            })?,
        Selector::Default => match index.manifests.as_slice() {
            [one] => one,
            [] => {
                return Err(SourceError::NotFound {
                    what: format!("{input}: index.json lists no image"),
                });
            }
            _ => {
                return Err(SourceError::Ambiguous {
                    what: input.to_owned(),
                    choices: format!(
                        "{} images; name one as oci:PATH:TAG (tags: {})",
                        index.manifests.len(),
                        tags(&index).join(", ")
                    ),
                });
            }
        },
    };
    let mut tag_names: Vec<String> = chosen
        .annotations
        .get(REF_NAME)
        .cloned()
        .into_iter()
        .collect();
    let fetch = |d: &Descriptor| -> Result<Fetched, SourceError> {
        let bytes = read_verified(root, d, "manifest")?;
        Ok(Fetched {
            media_type: media_type_of(&d.media_type, &bytes),
            digest: d.digest.clone(),
            bytes,
        })
    };
    let Resolved {
        manifest,
        digest,
        platform: chosen_platform,
    } = resolve_manifest(fetch(chosen)?, platform, input, fetch)?;
    let config_bytes = read_verified(root, &manifest.config, "config")?;
    let layers = manifest
        .layers
        .iter()
        .map(|l| {
            (
                Some(l.clone()),
                format!("blobs/{}/{}", l.digest.algorithm().as_str(), l.digest.hex()),
            )
        })
        .collect();
    tag_names.retain(|t| !t.is_empty());
    let target = Target {
        input: input.to_owned(),
        kind: "oci".to_owned(),
        manifest_digest: Some(digest),
        config_digest: Some(manifest.config.digest.clone()),
        platform: chosen_platform,
        layers: Vec::new(),
        tags: tag_names,
    };
    Image::assemble(
        target,
        config_bytes,
        Some(manifest),
        layers,
        Box::new(LayoutOpener {
            root: root.to_path_buf(),
        }),
    )
}

fn tags(index: &Index) -> Vec<String> {
    index
        .manifests
        .iter()
        .filter_map(|m| m.annotations.get(REF_NAME).cloned())
        .collect()
}
