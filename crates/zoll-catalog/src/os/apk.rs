//! The apk database, `/lib/apk/db/installed` (`/usr/lib/apk/db/installed` with apk-tools 3):
//! blank-line separated records of `X:value` lines; zoll reads `P` (name), `V` (version),
//! `A` (arch), `o` (origin, the source package) and `L` (licence).
//!
//! Licences are split as Syft splits them: an SPDX expression (`MIT AND BSD-3-Clause`) stays one
//! licence, an old space-separated list (`BSD GPL2+ MIT`) becomes several.

use zoll_core::{Package, PackageType, SourceInfo};

use super::{os_purl, stanzas};
use crate::{CatalogError, FileCataloger, FileMeta};

/// Refuse databases beyond this size (real ones are a few MB).
const MAX_SIZE: usize = 256 * 1024 * 1024;

/// One record of the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApkEntry {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub origin: Option<String>,
    pub license: Option<String>,
}

/// Parse an apk `installed` database; records without `P` or `V` are skipped.
pub fn parse_installed(data: &[u8]) -> Vec<ApkEntry> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for stanza in stanzas(&text) {
        let (mut name, mut version, mut arch, mut origin, mut license) =
            (None, None, None, None, None);
        for line in stanza {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let slot = match k {
                "P" => &mut name,
                "V" => &mut version,
                "A" => &mut arch,
                "o" => &mut origin,
                "L" => &mut license,
                _ => continue,
            };
            // The first occurrence wins; records list each of these once.
            if slot.is_none() {
                *slot = Some(v.to_owned());
            }
        }
        if let (Some(name), Some(version)) = (name, version) {
            out.push(ApkEntry {
                name,
                version,
                arch,
                origin,
                license,
            });
        }
    }
    out
}

/// Split an apk licence field the way Syft does.
pub fn split_license(l: &str) -> Vec<String> {
    let words: Vec<&str> = l.split_whitespace().collect();
    if words.iter().any(|w| matches!(*w, "AND" | "OR" | "WITH")) || l.contains('(') {
        vec![words.join(" ")]
    } else {
        words.into_iter().map(str::to_owned).collect()
    }
}

fn to_package(e: ApkEntry, path: &str) -> Option<Package> {
    let upstream = e
        .origin
        .as_deref()
        .filter(|o| *o != e.name)
        .unwrap_or_default();
    let arch = e.arch.clone().unwrap_or_default();
    let purl = os_purl(
        PackageType::Apk,
        &e.name,
        &e.version,
        &[("arch", &arch), ("upstream", upstream)],
    )?;
    Some(Package {
        source: Some(SourceInfo {
            name: e.origin.clone().unwrap_or_else(|| e.name.clone()),
            version: None,
        }),
        licenses: e.license.as_deref().map(split_license).unwrap_or_default(),
        name: e.name,
        version: e.version,
        kind: PackageType::Apk,
        purl,
        arch: e.arch,
        locations: vec![path.to_owned()],
        layer: None,
        found_by: "apk".to_owned(),
    })
}

/// Catalogs `/lib/apk/db/installed`.
pub struct ApkCataloger;

impl FileCataloger for ApkCataloger {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn selects(&self, path: &str, _meta: &FileMeta) -> bool {
        matches!(path, "/lib/apk/db/installed" | "/usr/lib/apk/db/installed")
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        if data.len() > MAX_SIZE {
            return Err(CatalogError::malformed(
                path,
                format!("apk database of {} bytes is too large", data.len()),
            ));
        }
        Ok(parse_installed(data)
            .into_iter()
            .filter_map(|e| to_package(e, path))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let db = "C:Q1x\nP:musl-utils\nV:1.1.22-r3\nA:x86_64\nS:1\nL:MIT BSD GPL2+\no:musl\nF:usr\nR:ldd\n\n\
                  P:zlib\nV:1.2.11-r1\nA:x86_64\nL:Zlib\no:zlib\n\nP:noversion\n\nV:1\n\n\
                  P:expr\nV:1-r0\nL:MIT AND (BSD-3-Clause OR GPL-2.0-only)\n";
        let ps = ApkCataloger
            .catalog("/lib/apk/db/installed", db.as_bytes())
            .unwrap();
        let names: Vec<_> = ps
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            ["musl-utils@1.1.22-r3", "zlib@1.2.11-r1", "expr@1-r0"]
        );
        assert_eq!(
            ps[0].purl.to_string(),
            "pkg:apk/alpine/musl-utils@1.1.22-r3?arch=x86_64&upstream=musl"
        );
        assert_eq!(
            ps[1].purl.to_string(),
            "pkg:apk/alpine/zlib@1.2.11-r1?arch=x86_64"
        );
        assert_eq!(ps[2].purl.to_string(), "pkg:apk/alpine/expr@1-r0");
        assert_eq!(ps[0].licenses, ["MIT", "BSD", "GPL2+"]);
        assert_eq!(ps[2].licenses, ["MIT AND (BSD-3-Clause OR GPL-2.0-only)"]);
        assert_eq!(
            ps[0].source,
            Some(SourceInfo {
                name: "musl".into(),
                version: None
            })
        );
        assert_eq!(
            ps[2].source,
            Some(SourceInfo {
                name: "expr".into(),
                version: None
            })
        );
        assert!(ApkCataloger.selects("/lib/apk/db/installed", &FileMeta::default()));
        assert!(!ApkCataloger.selects("/lib/apk/db/triggers", &FileMeta::default()));
        assert!(
            ApkCataloger
                .catalog("/lib/apk/db/installed", b"\xff\x00:\n\nP\nV:")
                .unwrap()
                .is_empty()
        );
    }
}
