//! Which OSV ecosystem, name and version a package is matched as.

use zoll_core::{Distro, Package, PackageType};
use zoll_version::Ecosystem;

/// How to look a package up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Exactly these OSV ecosystem strings, tried in order (all are consulted).
    Exact(Vec<String>),
    /// Every OSV ecosystem starting with this prefix, kept when `release` is one of its
    /// `:`-separated parts (Red Hat, SUSE).
    Prefix {
        prefix: String,
        release: Option<String>,
    },
}

/// A package as the matcher sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchKey {
    pub lookup: Lookup,
    /// The OSV ecosystem shown in reports (the first exact one, or the prefix).
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    pub ordering: Ecosystem,
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// The key to match `pkg` with, or why it cannot be matched.
pub fn match_key(pkg: &Package, distro: Option<&Distro>) -> Result<MatchKey, String> {
    let (name, version) = if pkg.kind.is_os() {
        // OS advisories are written against source packages and source versions.
        match &pkg.source {
            Some(s) => (
                s.name.clone(),
                s.version.clone().unwrap_or_else(|| pkg.version.clone()),
            ),
            None => (pkg.name.clone(), pkg.version.clone()),
        }
    } else {
        (pkg.name.clone(), pkg.version.clone())
    };
    let exact = |ecos: Vec<String>, name: String, ordering| {
        Ok(MatchKey {
            ecosystem: ecos.first().cloned().unwrap_or_default(),
            lookup: Lookup::Exact(ecos),
            name,
            version: version.clone(),
            ordering,
        })
    };
    match pkg.kind {
        PackageType::Deb | PackageType::Apk | PackageType::Rpm => {
            let Some(d) = distro else {
                return Err("no distribution identified (no os-release file)".into());
            };
            let vid = d.version_id.clone().unwrap_or_default();
            let id = d.id.as_str();
            match (pkg.kind, id) {
                (PackageType::Deb, "debian") if !vid.is_empty() => exact(
                    vec![format!("Debian:{}", major(&vid))],
                    name,
                    Ecosystem::Dpkg,
                ),
                (PackageType::Deb, "ubuntu") if !vid.is_empty() => exact(
                    vec![format!("Ubuntu:{vid}:LTS"), format!("Ubuntu:{vid}")],
                    name,
                    Ecosystem::Dpkg,
                ),
                (PackageType::Apk, "alpine") if !vid.is_empty() => exact(
                    vec![format!("Alpine:v{}", major_minor(&vid))],
                    name,
                    Ecosystem::Apk,
                ),
                (PackageType::Apk, "wolfi") => exact(vec!["Wolfi".into()], name, Ecosystem::Apk),
                (PackageType::Apk, "chainguard") => {
                    exact(vec!["Chainguard".into()], name, Ecosystem::Apk)
                }
                (PackageType::Rpm, "rocky") if !vid.is_empty() => exact(
                    vec![format!("Rocky Linux:{}", major(&vid))],
                    name,
                    Ecosystem::Rpm,
                ),
                (PackageType::Rpm, "almalinux") if !vid.is_empty() => exact(
                    vec![format!("AlmaLinux:{}", major(&vid))],
                    name,
                    Ecosystem::Rpm,
                ),
                (PackageType::Rpm, "rhel") if !vid.is_empty() => Ok(MatchKey {
                    lookup: Lookup::Prefix {
                        prefix: "Red Hat:".into(),
                        release: Some(major(&vid).to_owned()),
                    },
                    ecosystem: format!("Red Hat:{}", major(&vid)),
                    name,
                    version,
                    ordering: Ecosystem::Rpm,
                }),
                (PackageType::Rpm, "sles" | "sle-micro" | "opensuse-leap") => Ok(MatchKey {
                    lookup: Lookup::Prefix {
                        prefix: if id == "opensuse-leap" {
                            "openSUSE:"
                        } else {
                            "SUSE:"
                        }
                        .into(),
                        release: None,
                    },
                    ecosystem: if id == "opensuse-leap" {
                        "openSUSE"
                    } else {
                        "SUSE"
                    }
                    .into(),
                    name,
                    version,
                    ordering: Ecosystem::Rpm,
                }),
                _ => Err(format!(
                    "no advisory source for {} packages on {}{}",
                    pkg.kind,
                    id,
                    if vid.is_empty() {
                        String::new()
                    } else {
                        format!(" {vid}")
                    }
                )),
            }
        }
        PackageType::Python => exact(vec!["PyPI".into()], name, Ecosystem::PyPI),
        PackageType::Npm => {
            // The purl carries the scope as namespace; OSV writes `@scope/name`.
            let n = match pkg.purl.namespace() {
                Some(ns) if !name.starts_with('@') => format!("{ns}/{}", pkg.purl.name()),
                _ => name,
            };
            exact(vec!["npm".into()], n, Ecosystem::Npm)
        }
        PackageType::Cargo => exact(vec!["crates.io".into()], name, Ecosystem::CratesIo),
        PackageType::GoModule => exact(vec!["Go".into()], name, Ecosystem::Go),
        PackageType::Maven => {
            let n = match pkg.purl.namespace() {
                Some(g) => format!("{g}:{}", pkg.purl.name()),
                None => return Err("maven package without a group id".into()),
            };
            exact(vec!["Maven".into()], n, Ecosystem::Maven)
        }
        PackageType::Gem => exact(vec!["RubyGems".into()], name, Ecosystem::RubyGems),
        PackageType::Composer => {
            let n = match pkg.purl.namespace() {
                Some(v) => format!("{v}/{}", pkg.purl.name()),
                None => name,
            };
            exact(vec!["Packagist".into()], n, Ecosystem::Packagist)
        }
        PackageType::Nuget => exact(vec!["NuGet".into()], name, Ecosystem::NuGet),
        _ => Err(format!("no advisory source for {} packages", pkg.kind)),
    }
}

/// Whether an OSV ecosystem string found by a prefix lookup belongs to `release`.
pub fn release_matches(ecosystem: &str, release: Option<&str>) -> bool {
    match release {
        None => true,
        Some(r) => ecosystem.split(':').any(|part| part == r),
    }
}
