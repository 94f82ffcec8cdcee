//! Language ecosystems: Python, npm, Rust (`Cargo.lock`), Java archives, Ruby gemspecs, PHP
//! Composer and .NET `deps.json`, plus the small helpers they share (package construction, path
//! tests, size caps).
//!
//! Each ecosystem module exposes a pure `parse_*(data: &[u8])` function (fuzzable, no paths, no
//! IO) and a [`FileCataloger`] that selects paths the way Syft's image catalogers do.

use zoll_core::{Package, PackageType, Purl};

use crate::{CatalogError, FileCataloger};

pub mod cargo;
pub mod composer;
pub mod dotnet;
pub mod java;
pub mod npm;
pub mod python;
pub mod ruby;

/// Metadata and lock files bigger than this are not read: real ones are far smaller, and the
/// parsers hold the whole document in memory.
pub(crate) const MAX_TEXT_FILE: u64 = 64 * 1024 * 1024;

pub(crate) fn catalogers() -> Vec<Box<dyn FileCataloger>> {
    vec![
        Box::new(python::PythonInstalledCataloger),
        Box::new(npm::PackageJsonCataloger),
        Box::new(npm::PackageLockCataloger),
        Box::new(cargo::CargoLockCataloger),
        Box::new(java::JavaArchiveCataloger),
        Box::new(ruby::GemspecCataloger),
        Box::new(composer::ComposerInstalledCataloger),
        Box::new(dotnet::DotnetDepsCataloger),
    ]
}

/// The last path component.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// What every language cataloger needs to build one [`Package`].
pub(crate) struct NewPackage<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) kind: PackageType,
    pub(crate) purl_type: &'a str,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) purl_name: &'a str,
    pub(crate) licenses: Vec<String>,
    pub(crate) location: &'a str,
    pub(crate) found_by: &'a str,
}

impl NewPackage<'_> {
    pub(crate) fn build(self) -> Result<Package, CatalogError> {
        let purl = Purl::new(
            self.purl_type,
            self.namespace,
            self.purl_name,
            Some(self.version),
        )
        .map_err(|e| {
            CatalogError::malformed(self.location, format!("package {:?}: {e}", self.name))
        })?;
        let mut licenses: Vec<String> = Vec::new();
        for l in self.licenses {
            let l = l.trim();
            if !l.is_empty() && !licenses.iter().any(|x| x == l) {
                licenses.push(l.to_owned());
            }
        }
        Ok(Package {
            name: self.name.to_owned(),
            version: self.version.to_owned(),
            kind: self.kind,
            purl,
            licenses,
            source: None,
            arch: None,
            locations: vec![self.location.to_owned()],
            layer: None,
            found_by: self.found_by.to_owned(),
        })
    }
}

/// Decode bytes as UTF-8, replacing invalid sequences (metadata files are sometimes Latin-1).
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    String::from_utf8_lossy(data)
}
