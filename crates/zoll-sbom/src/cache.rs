//! The layer-analysis cache: one zstd-compressed JSON file per layer, keyed by diff-id, written
//! atomically (temporary file + rename) so a reader never sees half an entry.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use fs_err as fs;
use zoll_core::Digest;

use crate::analysis::{ANALYSIS_VERSION, LayerAnalysis};

/// A directory of cached layer analyses.
#[derive(Clone, Debug)]
pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> LayerCache {
        LayerCache { dir: dir.into() }
    }

    /// `$ZOLL_CACHE_DIR`, else the user's cache directory (`~/.cache/zoll`), else none.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("ZOLL_CACHE_DIR").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(d));
        }
        dirs::cache_dir().map(|d| d.join("zoll"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, diff_id: &Digest) -> PathBuf {
        self.dir
            .join("layers")
            .join(format!("v{ANALYSIS_VERSION}"))
            .join(diff_id.algorithm().as_str())
            .join(format!("{}.json.zst", diff_id.hex()))
    }

    /// The cached analysis of a layer, if present, readable and made by the same catalogers.
    pub(crate) fn get(&self, diff_id: &Digest, fingerprint: &str) -> Option<LayerAnalysis> {
        let path = self.path(diff_id);
        let file = fs::File::open(&path).ok()?;
        let mut data = Vec::new();
        zstd::Decoder::new(file).ok()?.read_to_end(&mut data).ok()?;
        let a: LayerAnalysis = match serde_json::from_slice(&data) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("ignoring unreadable cache entry {}: {e}", path.display());
                return None;
            }
        };
        (a.version == ANALYSIS_VERSION && a.catalogers == fingerprint).then_some(a)
    }

    /// Store an analysis. Failures are logged, never fatal: the cache only saves time.
    pub(crate) fn put(&self, diff_id: &Digest, analysis: &LayerAnalysis) {
        if let Err(e) = self.try_put(diff_id, analysis) {
            tracing::warn!("could not write layer cache entry for {diff_id}: {e}");
        }
    }

    fn try_put(&self, diff_id: &Digest, analysis: &LayerAnalysis) -> std::io::Result<()> {
        let path = self.path(diff_id);
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir)?;
        let json = serde_json::to_vec(analysis).map_err(std::io::Error::other)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut enc = zstd::Encoder::new(tmp.as_file_mut(), 3)?;
            enc.write_all(&json)?;
            enc.finish()?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}
