//! Writing OCI image layouts: blobs by digest, manifests, and `index.json` entries with a
//! `org.opencontainers.image.ref.name` tag. Every file is written atomically (temporary file and
//! rename), so a reader never sees a half-written blob.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use fs_err as fs;
use zoll_core::Digest;

use crate::model::{self, Descriptor, Index, Manifest, RootFs};

/// Builds an OCI image layout in a directory.
#[derive(Debug)]
pub struct LayoutWriter {
    root: PathBuf,
    index: Index,
}

impl LayoutWriter {
    /// Create (or extend) a layout at `root`.
    pub fn create(root: &Path) -> std::io::Result<LayoutWriter> {
        fs::create_dir_all(root.join("blobs").join("sha256"))?;
        fs::write(
            root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        let index = match fs::read(root.join("index.json")) {
            Ok(b) => serde_json::from_slice(&b).map_err(std::io::Error::other)?,
            Err(_) => Index {
                schema_version: 2,
                media_type: Some(model::OCI_INDEX.to_owned()),
                artifact_type: None,
                manifests: Vec::new(),
                subject: None,
                annotations: BTreeMap::new(),
            },
        };
        Ok(LayoutWriter {
            root: root.to_path_buf(),
            index,
        })
    }

    /// Store a blob; returns its descriptor.
    pub fn blob(&self, media_type: &str, data: &[u8]) -> std::io::Result<Descriptor> {
        let digest = Digest::sha256(data);
        let path = self.root.join("blobs").join("sha256").join(digest.hex());
        if !path.exists() {
            let dir = self.root.join("blobs").join("sha256");
            let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
            tmp.write_all(data)?;
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        let mut desc = Descriptor::of(media_type, b"");
        desc.digest = digest;
        desc.size = data.len() as u64;
        Ok(desc)
    }

    /// Store an image from a config and layer blobs (each a tar, optionally gzip'd, with its
    /// media type). `diff_ids` in `config` are filled in from `diff_ids` when given.
    pub fn image(
        &mut self,
        tag: Option<&str>,
        mut config: model::ImageConfig,
        layers: &[(Vec<u8>, &str, Digest)],
    ) -> std::io::Result<Descriptor> {
        config.rootfs = RootFs {
            kind: "layers".to_owned(),
            diff_ids: layers.iter().map(|(_, _, d)| d.clone()).collect(),
        };
        let config_bytes = serde_json::to_vec(&config).map_err(std::io::Error::other)?;
        let config_desc = self.blob(model::OCI_CONFIG, &config_bytes)?;
        let mut descs = Vec::new();
        for (data, media_type, _) in layers {
            descs.push(self.blob(media_type, data)?);
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(model::OCI_MANIFEST.to_owned()),
            artifact_type: None,
            config: config_desc,
            layers: descs,
            subject: None,
            annotations: BTreeMap::new(),
        };
        let bytes = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
        let desc = self.blob(model::OCI_MANIFEST, &bytes)?;
        self.add_to_index(desc.clone(), tag)?;
        Ok(desc)
    }

    /// Record a manifest or index in `index.json`, optionally tagged.
    pub fn add_to_index(&mut self, mut desc: Descriptor, tag: Option<&str>) -> std::io::Result<()> {
        if let Some(t) = tag {
            desc.annotations
                .insert("org.opencontainers.image.ref.name".to_owned(), t.to_owned());
            self.index.manifests.retain(|m| {
                m.annotations
                    .get("org.opencontainers.image.ref.name")
                    .is_none_or(|r| r != t)
            });
        }
        self.index.manifests.push(desc);
        let bytes = serde_json::to_vec_pretty(&self.index).map_err(std::io::Error::other)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.root)?;
        tmp.write_all(&bytes)?;
        tmp.persist(self.root.join("index.json"))
            .map_err(|e| e.error)?;
        Ok(())
    }
}
