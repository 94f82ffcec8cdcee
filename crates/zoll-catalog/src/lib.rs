//! Catalogers: each one knows the files it reads and turns their bytes into [`Package`]s.
//!
//! A cataloger never does IO. The image walker (crate `zoll-sbom`) asks every cataloger whether it
//! [selects](FileCataloger::selects) a path, reads the selected files once while streaming the
//! layer, and hands their bytes to [`FileCataloger::catalog`]. After all layers are merged,
//! [`finalize`] fills in what needs the whole image (the distro qualifier of OS package purls).

use zoll_core::{Distro, Package};

pub mod binary;
pub mod lang;
pub mod os;

/// Metadata of a file the walker offers to catalogers.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileMeta {
    /// Unix permission bits (`0o755` ...).
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
}

impl FileMeta {
    /// Any execute bit set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// Why a file could not be cataloged. The walker records it as a diagnostic and goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error("{path}: {reason}")]
    Malformed { path: String, reason: String },
    #[error("{path}: {source}")]
    Rpm {
        path: String,
        source: zoll_rpmdb::Error,
    },
}

impl CatalogError {
    pub fn malformed(path: &str, reason: impl std::fmt::Display) -> CatalogError {
        CatalogError::Malformed {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// One kind of file that yields packages.
pub trait FileCataloger: Send + Sync {
    /// Stable name, recorded as [`Package::found_by`].
    fn name(&self) -> &'static str;
    /// Cheap test on the path (absolute inside the image root, e.g. `/var/lib/dpkg/status`) and
    /// metadata, before any byte is read.
    fn selects(&self, path: &str, meta: &FileMeta) -> bool;
    /// Parse one selected file. Returning no packages is fine (e.g. an executable that is not a
    /// Go binary). `Package::locations` must hold `path`; `Package::layer` is left empty.
    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError>;
}

/// Every cataloger zoll runs by default, OS databases first.
pub fn default_catalogers() -> Vec<Box<dyn FileCataloger>> {
    let mut v = os::catalogers();
    v.extend(lang::catalogers());
    v.extend(binary::catalogers());
    v
}

/// Files that tell the OS release (os-release and its fallbacks); the walker reads these too.
pub fn is_release_file(path: &str) -> bool {
    os::release::is_release_file(path)
}

/// Parse a release file; `None` when it names no distribution.
pub fn parse_release_file(path: &str, data: &[u8]) -> Option<Distro> {
    os::release::parse(path, data)
}

/// Fill in what depends on the whole image: OS package purls get the distro namespace and
/// qualifier (`pkg:deb/debian/bash@5.2?distro=debian-12`).
pub fn finalize(packages: &mut [Package], distro: Option<&Distro>) {
    os::finalize(packages, distro);
}
