//! The rpm database in any of its formats (`Packages` Berkeley DB, `Packages.db` NDB,
//! `rpmdb.sqlite`), under `/var/lib/rpm/` or `/usr/lib/sysimage/rpm/`, read with `zoll-rpmdb`.
//!
//! The version is `[EPOCH:]VERSION-RELEASE`; the source package is parsed from the source RPM's
//! file name (`util-linux-2.32.1-42.el8_8.src.rpm` -> `util-linux`, `2.32.1-42.el8_8`); the purl
//! carries the epoch and the source RPM file name as qualifiers, as Syft's does. `gpg-pubkey`
//! entries are keys rpm imported, not packages, and are skipped.

use zoll_core::{Package, PackageType, SourceInfo};
use zoll_rpmdb::RpmPackage;

use super::os_purl;
use crate::{CatalogError, FileCataloger, FileMeta};

const PATHS: [&str; 6] = [
    "/var/lib/rpm/Packages",
    "/var/lib/rpm/Packages.db",
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/Packages",
    "/usr/lib/sysimage/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Split a source RPM file name into name and `VERSION-RELEASE`.
pub fn parse_source_rpm(srpm: &str) -> Option<(String, String)> {
    let base = srpm.strip_suffix(".rpm")?;
    // Drop the architecture (`src`, `nosrc`).
    let (nvr, _arch) = base.rsplit_once('.')?;
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_owned(), format!("{version}-{release}")))
}

/// Parse an rpm database of any format into packages (`gpg-pubkey` skipped), for `path`.
pub fn parse_database(path: &str, data: &[u8]) -> Result<Vec<Package>, zoll_rpmdb::Error> {
    let pkgs = zoll_rpmdb::read_any(path, data)?;
    Ok(pkgs
        .into_iter()
        .filter(|p| p.name != "gpg-pubkey")
        .filter_map(|p| to_package(p, path))
        .collect())
}

fn to_package(p: RpmPackage, path: &str) -> Option<Package> {
    let version = p.evr();
    let purl_version = format!("{}-{}", p.version, p.release);
    let epoch = p.epoch.map(|e| e.to_string()).unwrap_or_default();
    let arch = p.arch.clone().unwrap_or_default();
    let srpm = p.source_rpm.clone().unwrap_or_default();
    let purl = os_purl(
        PackageType::Rpm,
        &p.name,
        &purl_version,
        &[("arch", &arch), ("epoch", &epoch), ("upstream", &srpm)],
    )?;
    let source = p
        .source_rpm
        .as_deref()
        .and_then(parse_source_rpm)
        .map(|(name, version)| SourceInfo {
            name,
            version: Some(version),
        });
    Some(Package {
        name: p.name,
        version,
        kind: PackageType::Rpm,
        purl,
        licenses: p.license.into_iter().collect(),
        source,
        arch: p.arch,
        locations: vec![path.to_owned()],
        layer: None,
        found_by: "rpm".to_owned(),
    })
}

/// Catalogs the rpm database files.
pub struct RpmCataloger;

impl FileCataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn selects(&self, path: &str, _meta: &FileMeta) -> bool {
        PATHS.contains(&path)
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        parse_database(path, data).map_err(|source| CatalogError::Rpm {
            path: path.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux".into(), "2.32.1-42.el8_8".into()))
        );
        assert_eq!(
            parse_source_rpm("curl-7.76.0-6.cm2.src.rpm"),
            Some(("curl".into(), "7.76.0-6.cm2".into()))
        );
        assert_eq!(
            parse_source_rpm("x-1-2.nosrc.rpm"),
            Some(("x".into(), "1-2".into()))
        );
        for bad in [
            "",
            "curl.src.rpm",
            "curl-1.src.rpm",
            "-1-2.src.rpm",
            "curl-1-2.src",
            "(none)",
        ] {
            assert_eq!(parse_source_rpm(bad), None, "{bad}");
        }
    }

    #[test]
    fn selects_database_paths_only() {
        let m = FileMeta::default();
        for p in PATHS {
            assert!(RpmCataloger.selects(p, &m), "{p}");
        }
        assert!(!RpmCataloger.selects("/var/lib/rpm/Name", &m));
        assert!(!RpmCataloger.selects("/var/lib/rpm/rpmdb.sqlite-wal", &m));
    }

    #[test]
    fn corrupt_database_is_an_rpm_error_naming_the_path() {
        let e = RpmCataloger
            .catalog("/var/lib/rpm/Packages", b"garbage")
            .unwrap_err();
        assert!(matches!(e, CatalogError::Rpm { .. }));
        assert!(
            e.to_string()
                .starts_with("/var/lib/rpm/Packages: malformed berkeley db rpm database at page 0"),
            "{e}"
        );
    }
}
