//! Registry source (`REGISTRY/REPO[:TAG|@DIGEST]`), on top of the `zoll-distribution` client.
//! Manifests and the config arrive verified; layer streams verify themselves as they are read
//! (and the walker checks them again against the config's diff-ids).

use std::io::Read;

use zoll_core::{ImageRef, Platform, Target};
use zoll_distribution::Client;

use crate::image::{Image, ImageLayer, LayerOpener};
use crate::model::{self, Index, Manifest};
use crate::{OpenOptions, SourceError, select_platform};

const MAX_CONFIG: u64 = 8 << 20;

struct RegistryOpener {
    client: Client,
    reference: ImageRef,
}

impl LayerOpener for RegistryOpener {
    fn open(&self, layer: &ImageLayer) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let blob = layer.blob.as_ref().ok_or_else(|| SourceError::NotFound {
            what: format!(
                "{}: layer {} has no descriptor",
                self.reference, layer.index
            ),
        })?;
        let stream = self
            .client
            .get_blob(&self.reference, &blob.digest, Some(blob.size))
            .map_err(|source| SourceError::Registry {
                what: format!("{}: layer {}", self.reference, blob.digest),
                source,
            })?;
        Ok(Box::new(stream))
    }
}

fn registry_err(what: String) -> impl FnOnce(zoll_distribution::Error) -> SourceError {
    move |source| SourceError::Registry { what, source }
}

pub(crate) fn open(reference: &ImageRef, opts: &OpenOptions) -> Result<Image, SourceError> {
    let input = reference.to_string();
    let client = Client::new(opts.registry.clone()).map_err(registry_err(input.clone()))?;
    let mut fetched = client
        .get_manifest(reference)
        .map_err(registry_err(input.clone()))?;
    let mut chosen_platform = None;
    for _ in 0..4 {
        if !model::is_index(&fetched.media_type) {
            break;
        }
        let index: Index =
            serde_json::from_slice(&fetched.bytes).map_err(|e| SourceError::Malformed {
                what: format!("{input}: index {}", fetched.digest),
                reason: e.to_string(),
            })?;
        let pick = select_platform(&index.manifests, opts.platform.as_ref(), &input)?;
        chosen_platform = pick.platform.clone();
        fetched = client
            .get_manifest(&reference.with_digest(pick.digest.clone()))
            .map_err(registry_err(input.clone()))?;
    }
    if !model::is_manifest(&fetched.media_type) {
        return Err(SourceError::Malformed {
            what: format!("{input}: manifest {}", fetched.digest),
            reason: format!(
                "unsupported media type {:?} (expected an OCI or Docker v2 schema 2 image manifest)",
                fetched.media_type
            ),
        });
    }
    let manifest: Manifest =
        serde_json::from_slice(&fetched.bytes).map_err(|e| SourceError::Malformed {
            what: format!("{input}: manifest {}", fetched.digest),
            reason: e.to_string(),
        })?;
    let config_bytes = client
        .get_blob_bytes(
            reference,
            &manifest.config.digest,
            Some(manifest.config.size),
            MAX_CONFIG,
        )
        .map_err(registry_err(format!(
            "{input}: config {}",
            manifest.config.digest
        )))?;
    let layers = manifest
        .layers
        .iter()
        .map(|l| (Some(l.clone()), l.digest.to_string()))
        .collect();
    let target = Target {
        input: input.clone(),
        kind: "registry".to_owned(),
        manifest_digest: Some(fetched.digest.clone()),
        config_digest: Some(manifest.config.digest.clone()),
        platform: chosen_platform.map(|p| Platform {
            os: p.os,
            architecture: p.architecture,
            variant: p.variant,
        }),
        layers: Vec::new(),
        tags: reference
            .tag()
            .map(|t| vec![format!("{}:{t}", reference.name())])
            .unwrap_or_default(),
    };
    Image::assemble(
        target,
        config_bytes,
        Some(manifest),
        layers,
        Box::new(RegistryOpener {
            client,
            reference: reference.clone(),
        }),
    )
}
