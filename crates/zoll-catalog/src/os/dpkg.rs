//! The dpkg database: `/var/lib/dpkg/status` and the per-package files of Google's distroless
//! images, `/var/lib/dpkg/status.d/<name>` (a stanza or several each; `*.md5sums` beside them are
//! file lists and skipped).
//!
//! A package counts when its `Status` says it is installed (`install ok installed`,
//! `hold ok installed`); distroless stanzas carry no `Status` and count as installed. The version
//! is the full `[epoch:]upstream-revision`. `Source: glibc (2.36-9)` gives the source package and,
//! when dpkg records one (only when it differs from the binary's), its version; without `Source`
//! the source package is the binary package itself, as dpkg defines it. Licences are not in the
//! database (they live in `/usr/share/doc/*/copyright`) and stay empty.

use zoll_core::{Package, PackageType, SourceInfo};

use super::{os_purl, stanzas};
use crate::{CatalogError, FileCataloger, FileMeta};

/// Refuse databases beyond this size (real ones are a few MB).
const MAX_SIZE: usize = 256 * 1024 * 1024;

/// One installed package as the database records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpkgEntry {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    /// `Source:` name, when the field is present.
    pub source: Option<String>,
    /// `Source:` version in parentheses, when present.
    pub source_version: Option<String>,
    /// `Status:` value; `None` for distroless `status.d` entries.
    pub status: Option<String>,
}

impl DpkgEntry {
    /// Installed per `Status` (third word `installed`), or no `Status` at all.
    pub fn is_installed(&self) -> bool {
        match &self.status {
            None => true,
            Some(s) => s.split_whitespace().nth(2) == Some("installed"),
        }
    }
}

/// Parse dpkg control stanzas (any status); stanzas without `Package` or `Version` are skipped.
pub fn parse_status(data: &[u8]) -> Vec<DpkgEntry> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for stanza in stanzas(&text) {
        let mut fields: Vec<(&str, &str)> = Vec::new();
        for line in stanza {
            if line.starts_with([' ', '\t']) {
                continue; // continuation of a multi-line field (Description, Conffiles ...)
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim(), v.trim()));
            }
        }
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| *v)
                .filter(|v| !v.is_empty())
        };
        let (Some(name), Some(version)) = (get("Package"), get("Version")) else {
            continue;
        };
        let (source, source_version) = match get("Source") {
            Some(s) => {
                let (n, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
                let v = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.split_once(')'))
                    .map(|(v, _)| v.trim());
                (
                    Some(n.to_owned()),
                    v.filter(|v| !v.is_empty()).map(str::to_owned),
                )
            }
            None => (None, None),
        };
        out.push(DpkgEntry {
            name: name.to_owned(),
            version: version.to_owned(),
            arch: get("Architecture").map(str::to_owned),
            source,
            source_version,
            status: get("Status").map(str::to_owned),
        });
    }
    out
}

fn to_package(e: DpkgEntry, path: &str) -> Option<Package> {
    let upstream = match (&e.source, &e.source_version) {
        (Some(s), Some(v)) if *v != e.version => format!("{s}@{v}"),
        (Some(s), _) => s.clone(),
        (None, _) => String::new(),
    };
    let arch = e.arch.clone().unwrap_or_default();
    let purl = os_purl(
        PackageType::Deb,
        &e.name,
        &e.version,
        &[("arch", &arch), ("upstream", &upstream)],
    )?;
    let source = SourceInfo {
        name: e.source.clone().unwrap_or_else(|| e.name.clone()),
        version: e.source_version.clone().filter(|v| *v != e.version),
    };
    Some(Package {
        name: e.name,
        version: e.version,
        kind: PackageType::Deb,
        purl,
        licenses: Vec::new(),
        source: Some(source),
        arch: e.arch,
        locations: vec![path.to_owned()],
        layer: None,
        found_by: "dpkg".to_owned(),
    })
}

/// Catalogs `/var/lib/dpkg/status` and `/var/lib/dpkg/status.d/*`.
pub struct DpkgCataloger;

impl FileCataloger for DpkgCataloger {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn selects(&self, path: &str, _meta: &FileMeta) -> bool {
        if path == "/var/lib/dpkg/status" {
            return true;
        }
        match path.strip_prefix("/var/lib/dpkg/status.d/") {
            Some(name) => !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"),
            None => false,
        }
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        if data.len() > MAX_SIZE {
            return Err(CatalogError::malformed(
                path,
                format!("dpkg database of {} bytes is too large", data.len()),
            ));
        }
        Ok(parse_status(data)
            .into_iter()
            .filter(DpkgEntry::is_installed)
            .filter_map(|e| to_package(e, path))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12983
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 Package: not-a-package

Package: bash
Essential: yes
Status: install ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5+deb12u1)
Version: 1:2.38.1-5+deb12u1

Package: removed-thing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: held
Status: hold ok installed
Architecture: all
Version: 3.0

Package: half
Status: install reinstreq half-installed
Version: 1

Package: noversion
Status: install ok installed
";

    fn cat(path: &str, data: &str) -> Vec<Package> {
        DpkgCataloger.catalog(path, data.as_bytes()).unwrap()
    }

    #[test]
    fn installed_packages_with_syft_purls() {
        let ps = cat("/var/lib/dpkg/status", STATUS);
        let names: Vec<_> = ps
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            [
                "libc6@2.36-9+deb12u4",
                "bash@5.2.15-2+b2",
                "bsdutils@1:2.38.1-5+deb12u1",
                "held@3.0"
            ]
        );
        let purls: Vec<_> = ps.iter().map(|p| p.purl.to_string()).collect();
        // Pre-finalize purls: placeholder namespace, no distro qualifier.
        assert_eq!(
            purls,
            [
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc",
                "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&upstream=bash%405.2.15-2",
                "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u1?arch=amd64&upstream=util-linux%402.38.1-5%2Bdeb12u1",
                "pkg:deb/debian/held@3.0?arch=all",
            ]
        );
        assert_eq!(
            ps[0].source,
            Some(SourceInfo {
                name: "glibc".into(),
                version: None
            })
        );
        assert_eq!(
            ps[1].source,
            Some(SourceInfo {
                name: "bash".into(),
                version: Some("5.2.15-2".into())
            })
        );
        assert_eq!(
            ps[3].source,
            Some(SourceInfo {
                name: "held".into(),
                version: None
            })
        );
        assert_eq!(ps[0].arch.as_deref(), Some("amd64"));
        assert!(
            ps.iter()
                .all(|p| p.licenses.is_empty() && p.locations == ["/var/lib/dpkg/status"])
        );

        let mut ps = ps;
        let debian = zoll_core::Distro {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..Default::default()
        };
        super::super::finalize(&mut ps, Some(&debian));
        // Syft 1.18 (`syft dir:DIR -o json` on Debian 12's status file) writes exactly these.
        assert_eq!(
            ps[0].purl.to_string(),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
        );
        assert_eq!(
            ps[2].purl.to_string(),
            "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5%2Bdeb12u1"
        );
    }

    #[test]
    fn distroless_status_d() {
        let c = DpkgCataloger;
        let m = FileMeta::default();
        assert!(c.selects("/var/lib/dpkg/status.d/libc6", &m));
        assert!(c.selects("/var/lib/dpkg/status", &m));
        assert!(!c.selects("/var/lib/dpkg/status.d/libc6.md5sums", &m));
        assert!(!c.selects("/var/lib/dpkg/status.d/", &m));
        assert!(!c.selects("/var/lib/dpkg/status-old", &m));
        assert!(!c.selects("/var/lib/dpkg/status.d/x/y", &m));
        let ps = cat(
            "/var/lib/dpkg/status.d/base",
            "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\nPackage: netbase\nVersion: 6.4\nArchitecture: all\n",
        );
        assert_eq!(ps.len(), 2);
        assert_eq!(
            ps[1].purl.to_string(),
            "pkg:deb/debian/netbase@6.4?arch=all"
        );
        assert_eq!(ps[0].locations, ["/var/lib/dpkg/status.d/base"]);
    }

    #[test]
    fn garbage_yields_nothing() {
        assert!(cat("/var/lib/dpkg/status", "").is_empty());
        assert!(
            DpkgCataloger
                .catalog("/var/lib/dpkg/status", b"\xff\xfe\x00\n\n:::\nPackage:\n")
                .unwrap()
                .is_empty()
        );
        let e = parse_status(b"Package: a\r\nVersion: 1\r\nSource: b (\r\n");
        assert_eq!(e[0].source.as_deref(), Some("b"));
        assert_eq!(e[0].source_version, None);
    }
}
