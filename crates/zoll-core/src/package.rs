//! The package model: what a cataloger found, where, and in which layer. One model serves every
//! output format (table, JSON, CycloneDX, SPDX) and, later, vulnerability matching.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Digest, Platform, Purl};

/// The ecosystem a package belongs to. The serialised names are zoll's JSON schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PackageType {
    Deb,
    Apk,
    Rpm,
    Python,
    Npm,
    Cargo,
    /// A Go module compiled into a binary (also the toolchain, as the `stdlib` package).
    GoModule,
    Maven,
    Gem,
    Composer,
    Nuget,
}

impl PackageType {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Python => "python",
            PackageType::Npm => "npm",
            PackageType::Cargo => "cargo",
            PackageType::GoModule => "go-module",
            PackageType::Maven => "maven",
            PackageType::Gem => "gem",
            PackageType::Composer => "composer",
            PackageType::Nuget => "nuget",
        }
    }

    /// Whether packages of this type are managed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        matches!(self, PackageType::Deb | PackageType::Apk | PackageType::Rpm)
    }
}

impl fmt::Display for PackageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The source package an OS package was built from (dpkg `Source:`, apk origin, rpm source RPM).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceInfo {
    pub name: String,
    /// The source package's version; absent when the database records none (dpkg and apk then
    /// mean the binary version). rpm always records it (`V-R` of the source RPM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One package found in an image or filesystem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// The version exactly as the ecosystem writes it (deb with epoch, rpm `[E:]V-R`, apk `V-rN`).
    pub version: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    pub purl: Purl,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The source package, for OS packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The files the package was found in, absolute paths inside the image root.
    pub locations: Vec<String>,
    /// diff-id of the layer that added this package (absent for a root filesystem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// Which cataloger found it, e.g. `dpkg`, `python-installed`.
    pub found_by: String,
}

/// The operating system release an image is based on, from os-release.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Distro {
    /// os-release `ID`, e.g. `debian`, `alpine`, `rhel`.
    pub id: String,
    /// os-release `VERSION_ID`, e.g. `12`, `3.19.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// True for Google's distroless images (Debian-based, no shell, dpkg `status.d`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub distroless: bool,
}

impl Distro {
    /// The purl `distro` qualifier: `ID-VERSION_ID`, e.g. `debian-12`, `alpine-3.19.1`.
    pub fn purl_qualifier(&self) -> String {
        match &self.version_id {
            Some(v) => format!("{}-{}", self.id, v),
            None => self.id.clone(),
        }
    }
}

/// A layer of the image that was cataloged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Digest of the uncompressed layer tar.
    pub diff_id: Digest,
    /// Digest of the blob as stored (compressed), when it differs from the diff-id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The Dockerfile step that made the layer, from the config's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// What was cataloged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The user's input, e.g. `oci:./layout:1.0` or `docker.io/library/alpine:3.19`.
    pub input: String,
    /// `oci`, `docker-archive`, `dir` or `registry`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerInfo>,
    /// Tags the image carries (docker archive `RepoTags`, OCI `org.opencontainers.image.ref.name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A software bill of materials: the target, its distro and its packages, plus anything that could
/// not be read (a scan degrades instead of aborting on one bad file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbom {
    pub target: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<String>,
}
