//! Image access: every image source (OCI layout, docker archive, root filesystem, registry) behind
//! one interface, and the streaming layer walker.
//!
//! [`open`] turns a [`SourceSpec`] into an [`Opened`] image; [`walk_layer`] streams one layer
//! through a [`Visitor`] with digest verification and safety [`Limits`]; [`walk_dir`] offers a
//! root filesystem through the same visitor.

mod archive;
mod image;
mod layout;
pub mod model;
mod registry;
mod rootfs;
mod spec;
mod walk;
mod writer;

use zoll_core::{Digest, Platform, Target};

pub use image::{Image, ImageLayer, Opened};
pub use rootfs::{DirError, walk_dir};
pub use spec::{Selector, SourceSpec, SpecError};
pub use walk::{
    Compression, Entry, EntryKind, LayerError, LayerExpect, Limits, Visitor, WalkSummary,
    normalize_path, resolve_link_target, walk_layer,
};
pub use writer::LayoutWriter;
pub use zoll_distribution::{ClientOptions, Credentials};

use model::{Descriptor, DescriptorPlatform, Index, Manifest};

/// Why an image could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    Malformed { what: String, reason: String },
    #[error("{what}")]
    NotFound { what: String },
    #[error("{what}: several images match: {choices}")]
    Ambiguous { what: String, choices: String },
    #[error("{what}: digest mismatch: expected {expected}, the content is {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("{what}: size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },
    #[error("{what}: {source}")]
    Registry {
        what: String,
        source: zoll_distribution::Error,
    },
}

/// Options for opening an image.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Platform to pick from a multi-platform index; the host's when absent.
    pub platform: Option<Platform>,
    /// How to reach registries.
    pub registry: ClientOptions,
}

/// Open the image a [`SourceSpec`] names.
pub fn open(spec: &SourceSpec, opts: &OpenOptions) -> Result<Opened, SourceError> {
    let input = spec.to_string();
    match spec {
        SourceSpec::OciLayout { path, selector } => Ok(Opened::Image(Box::new(layout::open(
            path,
            selector,
            opts.platform.as_ref(),
            &input,
        )?))),
        SourceSpec::DockerArchive { path, selector } => Ok(Opened::Image(Box::new(archive::open(
            path, selector, &input,
        )?))),
        SourceSpec::Dir { path } => {
            if !path.is_dir() {
                return Err(SourceError::NotFound {
                    what: format!("{input}: {} is not a directory", path.display()),
                });
            }
            let target = Target {
                input,
                kind: "dir".to_owned(),
                manifest_digest: None,
                config_digest: None,
                platform: None,
                layers: Vec::new(),
                tags: Vec::new(),
            };
            Ok(Opened::Rootfs {
                path: path.clone(),
                target: Box::new(target),
            })
        }
        SourceSpec::Registry(r) => Ok(Opened::Image(Box::new(registry::open(r, opts)?))),
    }
}

/// Pick the manifest for a platform out of an index's entries. Attestation manifests
/// (`unknown/unknown`) are never picked.
pub(crate) fn select_platform<'a>(
    entries: &'a [Descriptor],
    wanted: Option<&Platform>,
    input: &str,
) -> Result<&'a Descriptor, SourceError> {
    let host = Platform::host();
    let want = wanted.unwrap_or(&host);
    let candidates: Vec<&Descriptor> = entries
        .iter()
        .filter(|d| d.platform.as_ref().is_none_or(|p| p.os != "unknown"))
        .filter(|d| {
            d.annotations
                .get("vnd.docker.reference.type")
                .is_none_or(|t| t != "attestation-manifest")
        })
        .collect();
    if let Some(d) = candidates.iter().find(|d| {
        d.platform
            .as_ref()
            .is_some_and(|p| want.matches(&p.os, &p.architecture, p.variant.as_deref()))
    }) {
        return Ok(d);
    }
    if wanted.is_none()
        && let [only] = candidates.as_slice()
    {
        return Ok(only);
    }
    let available: Vec<String> = candidates
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .map(|p| {
            Platform {
                os: p.os.clone(),
                architecture: p.architecture.clone(),
                variant: p.variant.clone(),
            }
            .to_string()
        })
        .collect();
    Err(SourceError::NotFound {
        what: format!(
            "{input}: no image for platform {want} (available: {})",
            available.join(", ")
        ),
    })
}

/// A manifest or index as a source fetched it: verified bytes, media type and digest.
pub(crate) struct Fetched {
    pub(crate) bytes: Vec<u8>,
    pub(crate) media_type: String,
    pub(crate) digest: Digest,
}

/// What [`resolve_manifest`] arrived at.
pub(crate) struct Resolved {
    pub(crate) manifest: Manifest,
    pub(crate) digest: Digest,
    /// The platform of the index entry that was chosen, when an index was followed.
    pub(crate) platform: Option<Platform>,
}

/// Follow indexes (at most four deep) down to one image manifest, picking by platform, and
/// parse it. Every source resolves manifests through this one function, so they agree on what
/// is accepted. `fetch` returns the verified bytes of a child descriptor.
pub(crate) fn resolve_manifest(
    mut fetched: Fetched,
    platform: Option<&Platform>,
    input: &str,
    mut fetch: impl FnMut(&Descriptor) -> Result<Fetched, SourceError>,
) -> Result<Resolved, SourceError> {
    let malformed = |what: String, reason: String| SourceError::Malformed {
        what: format!("{input}: {what}"),
        reason,
    };
    let mut chosen: Option<DescriptorPlatform> = None;
    for _ in 0..4 {
        if !model::is_index(&fetched.media_type) {
            break;
        }
        let index: Index = serde_json::from_slice(&fetched.bytes)
            .map_err(|e| malformed(format!("index {}", fetched.digest), e.to_string()))?;
        let pick = select_platform(&index.manifests, platform, input)?;
        chosen = pick.platform.clone();
        fetched = fetch(pick)?;
    }
    if !model::is_manifest(&fetched.media_type) {
        return Err(malformed(
            format!("manifest {}", fetched.digest),
            format!(
                "unsupported media type {:?} (expected an OCI or Docker v2 schema 2 image manifest, or an index of them)",
                fetched.media_type
            ),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(&fetched.bytes)
        .map_err(|e| malformed(format!("manifest {}", fetched.digest), e.to_string()))?;
    Ok(Resolved {
        manifest,
        digest: fetched.digest,
        platform: chosen.map(|p| Platform {
            os: p.os,
            architecture: p.architecture,
            variant: p.variant,
        }),
    })
}

/// The media type of a manifest or index: the descriptor's, else the document's own `mediaType`,
/// else what its shape says (an OCI layout's `index.json` may omit media types).
pub(crate) fn media_type_of(declared: &str, bytes: &[u8]) -> String {
    if !declared.is_empty() {
        return declared.to_owned();
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_slice::<Probe>(bytes) {
        Ok(Probe {
            media_type: Some(m),
            ..
        }) => m,
        Ok(Probe {
            manifests: Some(_), ..
        }) => model::OCI_INDEX.to_owned(),
        _ => model::OCI_MANIFEST.to_owned(),
    }
}
