//! Rust binaries built with `cargo auditable`: the `.dep-v0` section (zlib-compressed JSON
//! `{"packages":[{"name","version","source","kind","dependencies","root"}]}`) lists every crate
//! compiled in. Each runtime crate becomes `pkg:cargo/<name>@<version>`; build-time-only crates
//! (`"kind": "build"`, proc macros and build scripts) are skipped, as Syft's
//! `cargo-auditable-binary-cataloger` does. The root crate (the binary's own package) is included.

use std::io::Read;

use object::{Object, ObjectSection};
use serde::Deserialize;
use zoll_core::{Package, PackageType, Purl};

use super::{looks_like_object, selects_binary};
use crate::{CatalogError, FileCataloger, FileMeta};

/// cargo-auditable itself refuses to emit more than this; anything bigger is hostile.
const MAX_AUDIT_JSON: u64 = 8 * 1024 * 1024;

/// One crate recorded by cargo-auditable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuditPackage {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub source: String,
    /// `runtime` (the default when absent) or `build`.
    #[serde(default = "runtime")]
    pub kind: String,
    #[serde(default)]
    pub root: bool,
}

fn runtime() -> String {
    "runtime".to_owned()
}

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

/// Decompress and parse the contents of a `.dep-v0` section.
pub fn parse_audit_data(compressed: &[u8]) -> Result<Vec<AuditPackage>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_AUDIT_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cannot decompress .dep-v0 section: {e}"))?;
    if json.len() as u64 > MAX_AUDIT_JSON {
        return Err("the .dep-v0 section decompresses to more than 8 MiB".to_owned());
    }
    let data: AuditData =
        serde_json::from_slice(&json).map_err(|e| format!("invalid .dep-v0 json: {e}"))?;
    Ok(data.packages)
}

/// Find and parse the audit data of an executable; `Ok(None)` when it has none.
pub fn parse_auditable_binary(data: &[u8]) -> Result<Option<Vec<AuditPackage>>, String> {
    if !looks_like_object(data) {
        return Ok(None);
    }
    let Ok(file) = object::File::parse(data) else {
        return Ok(None);
    };
    let section = file
        .sections()
        .find(|s| matches!(s.name(), Ok(".dep-v0" | "__dep-v0")));
    let Some(section) = section else {
        return Ok(None);
    };
    let bytes = section
        .data()
        .map_err(|e| format!("cannot read .dep-v0 section: {e}"))?;
    parse_audit_data(bytes).map(Some)
}

/// `cargo-auditable`: crates recorded in Rust executables.
pub struct CargoAuditableCataloger;

impl FileCataloger for CargoAuditableCataloger {
    fn name(&self) -> &'static str {
        "cargo-auditable"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        selects_binary(path, meta)
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let Some(pkgs) =
            parse_auditable_binary(data).map_err(|e| CatalogError::malformed(path, e))?
        else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Package> = Vec::new();
        for p in pkgs
            .iter()
            .filter(|p| p.kind != "build" && !p.name.is_empty() && !p.version.is_empty())
        {
            let purl = Purl::new("cargo", None, &p.name, Some(&p.version))
                .map_err(|e| CatalogError::malformed(path, format!("crate {:?}: {e}", p.name)))?;
            if out.iter().any(|o| o.purl == purl) {
                continue;
            }
            out.push(Package {
                name: p.name.clone(),
                version: p.version.clone(),
                kind: PackageType::Cargo,
                purl,
                licenses: Vec::new(),
                source: None,
                arch: None,
                locations: vec![path.to_owned()],
                layer: None,
                found_by: self.name().to_owned(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn audit_json() {
        let json = br#"{"packages":[{"name":"audfix","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"hex","version":"0.4.3","source":"crates.io"},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;
        let pkgs = parse_audit_data(&zlib(json)).unwrap();
        assert_eq!(pkgs.len(), 3);
        assert!(pkgs[0].root);
        assert_eq!(pkgs[1].kind, "runtime");
        assert_eq!(pkgs[2].kind, "build");
        assert!(parse_audit_data(b"not zlib").is_err());
        assert!(parse_audit_data(&zlib(b"{}")).is_err());
        // A bomb: 9 MiB of spaces decompresses past the cap.
        let bomb = zlib(&vec![b' '; 9 * 1024 * 1024]);
        assert!(parse_audit_data(&bomb).unwrap_err().contains("8 MiB"));
    }

    #[test]
    fn not_a_binary() {
        assert_eq!(
            parse_auditable_binary(b"#!/bin/sh\necho hi\n").unwrap(),
            None
        );
        assert_eq!(parse_auditable_binary(b"\x7fELF garbage").unwrap(), None);
        let m = FileMeta {
            mode: 0o755,
            size: 4096,
        };
        assert!(CargoAuditableCataloger.selects("/usr/bin/rg", &m));
        assert!(!CargoAuditableCataloger.selects(
            "/usr/share/doc/x",
            &FileMeta {
                mode: 0o644,
                size: 4096
            }
        ));
        assert!(
            CargoAuditableCataloger
                .catalog("/usr/bin/x", b"#!/bin/sh\n")
                .unwrap()
                .is_empty()
        );
    }
}
