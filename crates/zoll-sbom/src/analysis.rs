//! Per-layer analysis: the [`Visitor`] that runs catalogers over the files of one layer while it
//! streams, and the serialisable result that the layer cache stores.

use std::collections::BTreeMap;
use std::io::{self, Read};

use serde::{Deserialize, Serialize};
use zoll_catalog::{FileCataloger, FileMeta};
use zoll_core::{Distro, Package};
use zoll_oci::{Entry, EntryKind, Visitor};

/// Bump when the shape or meaning of [`LayerAnalysis`] changes; old cache entries are ignored.
pub(crate) const ANALYSIS_VERSION: u32 = 1;

/// What catalogers made of one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Everything zoll keeps of one layer: enough to merge layers and attribute packages without
/// reading the layer again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerAnalysis {
    pub version: u32,
    /// Which catalogers produced this (a layer analysed by an older set is analysed again).
    pub catalogers: String,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
    /// Symlinks (path -> target as written); a symlink also hides a lower file at its path.
    pub symlinks: BTreeMap<String, String>,
    /// Files some cataloger selected, with what was found in them.
    pub files: BTreeMap<String, FileResult>,
    pub diagnostics: Vec<String>,
    pub entries: u64,
}

/// Runs catalogers on the entries of one layer.
pub(crate) struct Analyzer<'a> {
    pub(crate) catalogers: &'a [Box<dyn FileCataloger>],
    pub(crate) max_file_bytes: u64,
    pub(crate) out: LayerAnalysis,
    buf: Vec<u8>,
}

impl<'a> Analyzer<'a> {
    pub(crate) fn new(
        catalogers: &'a [Box<dyn FileCataloger>],
        fingerprint: String,
        max_file_bytes: u64,
    ) -> Self {
        Analyzer {
            catalogers,
            max_file_bytes,
            out: LayerAnalysis {
                version: ANALYSIS_VERSION,
                catalogers: fingerprint,
                ..LayerAnalysis::default()
            },
            buf: Vec::new(),
        }
    }
}

impl Visitor for Analyzer<'_> {
    fn entry(&mut self, entry: &Entry, content: &mut dyn Read) -> io::Result<()> {
        self.out.entries += 1;
        let path = entry.path.as_str();
        match &entry.kind {
            EntryKind::Whiteout(p) => self.out.whiteouts.push(p.clone()),
            EntryKind::Opaque(p) => self.out.opaque_dirs.push(p.clone()),
            EntryKind::Symlink(t) => {
                self.out.symlinks.insert(entry.path.clone(), t.clone());
            }
            EntryKind::Hardlink(target) => {
                let meta = FileMeta {
                    mode: entry.mode,
                    size: entry.size,
                };
                let wanted = zoll_catalog::is_release_file(path)
                    || self.catalogers.iter().any(|c| c.selects(path, &meta));
                if !wanted {
                    return Ok(());
                }
                match self.out.files.get(target).cloned() {
                    Some(mut r) => {
                        for p in &mut r.packages {
                            p.locations = vec![entry.path.clone()];
                        }
                        self.out.files.insert(entry.path.clone(), r);
                    }
                    None => self.out.diagnostics.push(format!(
                        "{path}: hard link to {target}, which was not read; not cataloged"
                    )),
                }
            }
            EntryKind::File => {
                let meta = FileMeta {
                    mode: entry.mode,
                    size: entry.size,
                };
                let release = zoll_catalog::is_release_file(path);
                let selected: Vec<&dyn FileCataloger> = self
                    .catalogers
                    .iter()
                    .filter(|c| c.selects(path, &meta))
                    .map(|c| c.as_ref())
                    .collect();
                if selected.is_empty() && !release {
                    return Ok(());
                }
                if entry.size > self.max_file_bytes {
                    self.out.diagnostics.push(format!(
                        "{path}: {} bytes is over the {} byte limit for cataloged files; skipped",
                        entry.size, self.max_file_bytes
                    ));
                    return Ok(());
                }
                self.buf.clear();
                content
                    .take(self.max_file_bytes + 1)
                    .read_to_end(&mut self.buf)?;
                let mut result = FileResult::default();
                if release {
                    result.distro = zoll_catalog::parse_release_file(path, &self.buf);
                }
                for c in selected {
                    match c.catalog(path, &self.buf) {
                        Ok(mut pkgs) => {
                            for p in &mut pkgs {
                                if p.locations.is_empty() {
                                    p.locations.push(entry.path.clone());
                                }
                            }
                            result.packages.extend(pkgs);
                        }
                        Err(e) => result.errors.push(format!("{}: {e}", c.name())),
                    }
                }
                if !result.packages.is_empty()
                    || result.distro.is_some()
                    || !result.errors.is_empty()
                {
                    self.out.files.insert(entry.path.clone(), result);
                } else {
                    // Still record the path: an upper layer's empty result must hide a lower one.
                    self.out
                        .files
                        .insert(entry.path.clone(), FileResult::default());
                }
            }
            EntryKind::Dir | EntryKind::Other => {}
        }
        Ok(())
    }
}
