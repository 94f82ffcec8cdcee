//! The one interface every image source sits behind: an [`Image`] is a verified config plus an
//! ordered list of [`ImageLayer`]s that can each be opened as a byte stream.

use std::io::Read;
use std::path::PathBuf;

use zoll_core::{Digest, LayerInfo, Platform, Target};

use crate::SourceError;
use crate::model::{Descriptor, ImageConfig, Manifest};

/// One layer of an image.
#[derive(Clone, Debug)]
pub struct ImageLayer {
    pub index: usize,
    /// The blob as stored, when the source has a descriptor for it.
    pub blob: Option<Descriptor>,
    /// The diff-id from the image config, when the config lists one for this layer.
    pub diff_id: Option<Digest>,
    pub created_by: Option<String>,
    /// Where the layer sits inside the source (e.g. `blobs/sha256/ab..` or `ab../layer.tar`).
    pub location: String,
}

impl ImageLayer {
    /// How errors name this layer: its diff-id, else its blob digest, else its location.
    pub fn name(&self) -> String {
        if let Some(d) = &self.diff_id {
            return d.to_string();
        }
        if let Some(b) = &self.blob {
            return b.digest.to_string();
        }
        self.location.clone()
    }
}

/// Opens layer streams; implemented by each source.
pub(crate) trait LayerOpener: Send + Sync {
    fn open(&self, layer: &ImageLayer) -> Result<Box<dyn Read + Send + '_>, SourceError>;
}

/// An image from any layered source.
pub struct Image {
    /// What was opened, for reports.
    pub target: Target,
    pub config: ImageConfig,
    /// The config exactly as stored (its digest is `target.config_digest`).
    pub config_bytes: Vec<u8>,
    pub manifest: Option<Manifest>,
    pub layers: Vec<ImageLayer>,
    pub(crate) opener: Box<dyn LayerOpener>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("target", &self.target)
            .field("layers", &self.layers)
            .finish_non_exhaustive()
    }
}

impl Image {
    /// Open one layer's blob stream (as stored: possibly compressed). Registry streams verify
    /// their digest as they are read; the walker verifies every source's digests again.
    pub fn open_layer(&self, layer: &ImageLayer) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        self.opener.open(layer)
    }

    pub(crate) fn assemble(
        mut target: Target,
        config_bytes: Vec<u8>,
        manifest: Option<Manifest>,
        layer_locations: Vec<(Option<Descriptor>, String)>,
        opener: Box<dyn LayerOpener>,
    ) -> Result<Image, SourceError> {
        let config: ImageConfig =
            serde_json::from_slice(&config_bytes).map_err(|e| SourceError::Malformed {
                what: format!("{}: image config", target.input),
                reason: e.to_string(),
            })?;
        let diff_ids = &config.rootfs.diff_ids;
        if !diff_ids.is_empty() && diff_ids.len() != layer_locations.len() {
            return Err(SourceError::Malformed {
                what: format!("{}: image config", target.input),
                reason: format!(
                    "lists {} diff-ids for {} layers",
                    diff_ids.len(),
                    layer_locations.len()
                ),
            });
        }
        let steps = config.layer_steps();
        let layers: Vec<ImageLayer> = layer_locations
            .into_iter()
            .enumerate()
            .map(|(index, (blob, location))| ImageLayer {
                index,
                blob,
                diff_id: diff_ids.get(index).cloned(),
                created_by: steps.get(index).cloned().flatten(),
                location,
            })
            .collect();
        if target.platform.is_none() && !config.os.is_empty() {
            target.platform = Some(Platform {
                os: config.os.clone(),
                architecture: config.architecture.clone(),
                variant: config.variant.clone(),
            });
        }
        target.layers = layers
            .iter()
            .map(|l| LayerInfo {
                diff_id: l
                    .diff_id
                    .clone()
                    .unwrap_or_else(|| Digest::sha256(l.location.as_bytes())),
                digest: l
                    .blob
                    .as_ref()
                    .map(|b| b.digest.clone())
                    .filter(|d| Some(d) != l.diff_id.as_ref()),
                size: l.blob.as_ref().map(|b| b.size),
                created_by: l.created_by.clone(),
            })
            .collect();
        Ok(Image {
            target,
            config,
            config_bytes,
            manifest,
            layers,
            opener,
        })
    }
}

/// What a source opened to.
#[derive(Debug)]
pub enum Opened {
    Image(Box<Image>),
    /// A root filesystem directory, walked with [`crate::walk_dir`].
    Rootfs {
        path: PathBuf,
        target: Box<Target>,
    },
}
