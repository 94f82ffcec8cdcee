//! Per-layer analysis: the [`Visitor`] that runs catalogers over the files of one layer while it
//! streams, and the serialisable result that the layer cache stores.

use std::collections::BTreeMap;
use std::io::{self, Read};

use serde::{Deserialize, Serialize};
use zoll_catalog::{FileCataloger, FileMeta};
use zoll_core::{CheckFinding, Distro, Package};
use zoll_oci::{Entry, EntryKind, Visitor};

use crate::inspect::{self, InspectError, Inspector, LayerFacts, LayerInspector};

/// Bump when the shape or meaning of [`LayerAnalysis`] changes; old cache entries are ignored.
pub(crate) const ANALYSIS_VERSION: u32 = 2;

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
    /// Facts for the image checks (modes, account files, caches), stacked like files.
    #[serde(default)]
    pub facts: LayerFacts,
    /// What the inspectors found in this layer's files (location.layer not yet set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckFinding>,
}

/// Runs catalogers on the entries of one layer.
pub(crate) struct Analyzer<'a> {
    pub(crate) catalogers: &'a [Box<dyn FileCataloger>],
    pub(crate) max_file_bytes: u64,
    pub(crate) out: LayerAnalysis,
    /// The inspectors and their workers for this layer.
    inspectors: Vec<(&'a dyn Inspector, Box<dyn LayerInspector + 'a>)>,
    /// The first inspector failure; the walk stops and the scan fails with it.
    pub(crate) failure: Option<InspectError>,
    buf: Vec<u8>,
    /// Per inspector, whether it wants the current file (decided once per file).
    want: Vec<bool>,
}

impl<'a> Analyzer<'a> {
    pub(crate) fn new(
        catalogers: &'a [Box<dyn FileCataloger>],
        inspectors: &[&'a dyn Inspector],
        fingerprint: String,
        max_file_bytes: u64,
    ) -> Result<Self, InspectError> {
        let mut workers = Vec::with_capacity(inspectors.len());
        for i in inspectors {
            workers.push((*i, i.layer()?));
        }
        Ok(Analyzer {
            catalogers,
            max_file_bytes,
            out: LayerAnalysis {
                version: ANALYSIS_VERSION,
                catalogers: fingerprint,
                ..LayerAnalysis::default()
            },
            inspectors: workers,
            failure: None,
            buf: Vec::new(),
            want: Vec::new(),
        })
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
                let _ = inspect::record(&mut self.out.facts, path, entry.mode, false, 0);
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
                let account =
                    inspect::record(&mut self.out.facts, path, entry.mode, false, entry.size);
                let release = zoll_catalog::is_release_file(path);
                let selected: Vec<&dyn FileCataloger> = self
                    .catalogers
                    .iter()
                    .filter(|c| c.selects(path, &meta))
                    .map(|c| c.as_ref())
                    .collect();
                let fits = entry.size <= self.max_file_bytes;
                self.want.clear();
                self.want.extend(
                    self.inspectors
                        .iter()
                        .map(|(i, _)| fits && i.wants(path, entry.size)),
                );
                let inspected = self.want.contains(&true);
                if selected.is_empty() && !release && !account && !inspected {
                    return Ok(());
                }
                if selected.is_empty() && !release {
                    self.buf.clear();
                    if !account {
                        // Only inspectors want it: look at the head first, so binaries they
                        // skip are never copied whole.
                        let head = inspect::HEAD_BYTES as u64;
                        content.take(head).read_to_end(&mut self.buf)?;
                        self.decide_on_head();
                        let wanted = self.want.contains(&true);
                        if !wanted {
                            return Ok(());
                        }
                    }
                    content
                        .take(self.max_file_bytes + 1)
                        .read_to_end(&mut self.buf)?;
                    if account {
                        self.decide_on_head();
                    }
                    self.look(path, account)?;
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
                self.decide_on_head();
                self.look(path, account)?;
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
            EntryKind::Dir => {
                let _ = inspect::record(&mut self.out.facts, path, entry.mode, true, 0);
            }
            EntryKind::Other => {}
        }
        Ok(())
    }
}

impl Analyzer<'_> {
    /// Drop the inspectors that do not want the file after seeing its head (in `buf`).
    fn decide_on_head(&mut self) {
        let head = self.buf.get(..inspect::HEAD_BYTES).unwrap_or(&self.buf);
        for (want, (i, _)) in self.want.iter_mut().zip(&self.inspectors) {
            *want = *want && i.wants_head(head);
        }
    }

    /// Keep an account file's text and run the inspectors that want the file over `buf`
    /// (`want` already decided on the head: [`Analyzer::decide_on_head`]).
    fn look(&mut self, path: &str, account: bool) -> io::Result<()> {
        if account {
            self.out.facts.account_files.insert(
                path.to_owned(),
                String::from_utf8_lossy(&self.buf).into_owned(),
            );
        }
        for (want, (_, worker)) in self.want.iter().zip(&mut self.inspectors) {
            if !*want {
                continue;
            }
            match worker.inspect(path, &self.buf) {
                Ok(found) => self.out.checks.extend(found),
                Err(e) => {
                    let msg = format!("{path}: {e}");
                    self.failure = Some(InspectError(msg.clone()));
                    return Err(io::Error::other(msg));
                }
            }
        }
        Ok(())
    }
}
