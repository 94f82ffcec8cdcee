//! zoll's core types: values that every other crate passes around.
//!
//! Everything here is pure (no IO) and built by parsing: a [`Digest`], an [`ImageRef`], a [`Purl`] or a
//! [`Platform`] that exists is valid, so code that receives one never re-checks it.

mod check;
mod digest;
mod image_ref;
mod package;
mod platform;
mod purl;
mod vuln;

pub use check::{CheckFinding, Location, PssLevel, Scanner, ScannerError, WorkloadLevel};
pub use digest::{Algorithm, Digest, DigestError, Hasher};
pub use image_ref::{DEFAULT_REGISTRY, ImageRef, ImageRefError, Reference};
pub use package::{Distro, LayerInfo, Package, PackageType, Sbom, SourceInfo, Target};
pub use platform::{Platform, PlatformError};
pub use purl::{Purl, PurlError};
pub use vuln::{
    AffectedPackage, Cvss, DbInfo, Finding, Severity, SeverityError, SeveritySource, Suppression,
    VulnReport,
};
