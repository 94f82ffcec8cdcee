//! Registry source (`REGISTRY/REPO[:TAG|@DIGEST]`), on top of the `zoll-distribution` client.
//! Manifests and the config arrive verified; layer streams verify themselves as they are read
//! (and the walker checks them again against the config's diff-ids).

use std::io::Read;

use zoll_core::{ImageRef, Target};
use zoll_distribution::Client;

use crate::image::{Image, ImageLayer, LayerOpener};
use crate::model::Descriptor;
use crate::{Fetched, OpenOptions, Resolved, SourceError, resolve_manifest};

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
    let fetch = |d: &Descriptor| -> Result<Fetched, SourceError> {
        let m = client
            .get_manifest(&reference.with_digest(d.digest.clone()))
            .map_err(registry_err(input.clone()))?;
        Ok(Fetched {
            bytes: m.bytes,
            media_type: m.media_type,
            digest: m.digest,
        })
    };
    let top = client
        .get_manifest(reference)
        .map_err(registry_err(input.clone()))?;
    let top = Fetched {
        bytes: top.bytes,
        media_type: top.media_type,
        digest: top.digest,
    };
    let Resolved {
        manifest,
        digest,
        platform,
    } = resolve_manifest(top, opts.platform.as_ref(), &input, fetch)?;
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
        manifest_digest: Some(digest),
        config_digest: Some(manifest.config.digest.clone()),
        platform,
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
