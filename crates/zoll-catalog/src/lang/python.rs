//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and the
//! single-file `*.egg-info` that distutils (and so Debian's `python3-*` packages) install.
//!
//! Mirrors Syft's `python-installed-package-cataloger`: the same globs (lower and upper case
//! directory names), the RFC 822 header block up to the first blank line, purl
//! `pkg:pypi/<PEP 503 normalised name>@<version>`. Differences, on purpose:
//! - the package name is kept as written (`Pygments`); Syft 1.18 normalises it (`pygments`);
//!   the purl is the same either way;
//! - `License: UNKNOWN` (what setuptools writes when no licence was given) is not a licence;
//! - when neither `License-Expression` nor `License` is set, `License ::` trove classifiers are
//!   used (Syft 1.18 ignores classifiers, losing licences the metadata does record).

use zoll_core::{Package, PackageType};

use super::{MAX_TEXT_FILE, NewPackage, text};
use crate::{CatalogError, FileCataloger, FileMeta};

/// Header block fields zoll uses from core metadata (PEP 566 / 639).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PythonMetadata {
    pub name: String,
    pub version: String,
    pub license: Option<String>,
    pub license_expression: Option<String>,
    pub classifiers: Vec<String>,
}

impl PythonMetadata {
    /// The licences the metadata records, most authoritative source first.
    pub fn licenses(&self) -> Vec<String> {
        if let Some(e) = self
            .license_expression
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            return vec![e.to_owned()];
        }
        if let Some(l) = self
            .license
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case("unknown"))
        {
            return vec![l.to_owned()];
        }
        self.classifiers
            .iter()
            .filter_map(|c| {
                let rest = c.strip_prefix("License ::")?;
                let last = rest.rsplit("::").next()?.trim();
                // "License :: OSI Approved" alone names no licence.
                (rest.contains("::") || !rest.trim().eq_ignore_ascii_case("OSI Approved"))
                    .then(|| last.to_owned())
            })
            .filter(|l| !l.is_empty() && l != "OSI Approved")
            .collect()
    }
}

/// Parse a METADATA / PKG-INFO header block. Returns the fields even when name or version is
/// missing (the cataloger skips such files); fails only on input that is not metadata at all.
pub fn parse_metadata(data: &[u8]) -> Result<PythonMetadata, String> {
    let s = text(data);
    let mut m = PythonMetadata::default();
    let mut seen_field = false;
    // (field, value) of the field being continued.
    let mut current: Option<(String, String)> = None;
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in s.lines() {
        if line.trim().is_empty() {
            if seen_field {
                break; // the description body follows
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = current.as_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some(done) = current.take() {
            fields.push(done);
        }
        match line.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() && !k.contains(' ') => {
                seen_field = true;
                current = Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
            _ => {} // not a header line; Syft skips these too
        }
    }
    if let Some(done) = current.take() {
        fields.push(done);
    }
    if !seen_field {
        return Err("no metadata header fields".to_owned());
    }
    for (k, v) in fields {
        match k.as_str() {
            "name" => m.name = v,
            "version" => m.version = v,
            "license" => m.license = Some(v),
            "license-expression" => m.license_expression = Some(v),
            "classifier" => m.classifiers.push(v),
            _ => {}
        }
    }
    Ok(m)
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `python-installed`: site-packages metadata of installed distributions.
pub struct PythonInstalledCataloger;

const FOUND_BY: &str = "python-installed";

impl FileCataloger for PythonInstalledCataloger {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        if meta.size > MAX_TEXT_FILE {
            return false;
        }
        // Syft's globs: **/*.egg-info, **/*dist-info/METADATA, **/*egg-info/PKG-INFO and the
        // upper-case DIST-INFO / EGG-INFO directory variants.
        path.ends_with(".egg-info")
            || path.ends_with("dist-info/METADATA")
            || path.ends_with("DIST-INFO/METADATA")
            || path.ends_with("egg-info/PKG-INFO")
            || path.ends_with("EGG-INFO/PKG-INFO")
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let m = parse_metadata(data).map_err(|e| CatalogError::malformed(path, e))?;
        if m.name.is_empty() || m.version.is_empty() {
            return Ok(Vec::new());
        }
        let purl_name = normalize_name(&m.name);
        let p = NewPackage {
            name: &m.name,
            version: &m.version,
            kind: PackageType::Python,
            purl_type: "pypi",
            namespace: None,
            purl_name: &purl_name,
            licenses: m.licenses(),
            location: path,
            found_by: FOUND_BY,
        }
        .build()?;
        Ok(vec![p])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Debian bookworm python3-pygments, /usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info/PKG-INFO
    const PYGMENTS: &str = "Metadata-Version: 2.1\nName: Pygments\nVersion: 2.14.0\nSummary: Pygments is a syntax highlighting package written in Python.\nHome-page: https://pygments.org\nAuthor: Georg Brandl\nAuthor-email: georg@python.org\nLicense: BSD-2-Clause\nProject-URL: Documentation, https://pygments.org/docs\nKeywords: syntax highlighting\nPlatform: any\nClassifier: Development Status :: 6 - Mature\nClassifier: License :: OSI Approved :: BSD License\nRequires-Python: >=3.6\nProvides-Extra: plugins\nLicense-File: LICENSE\n\nPygments\n~~~~~~~~\nLicense: not-a-header\n";

    #[test]
    fn pygments_egg_info() {
        let cat = PythonInstalledCataloger;
        let path = "/usr/lib/python3/dist-packages/Pygments-2.14.0.egg-info/PKG-INFO";
        assert!(cat.selects(path, &FileMeta::default()));
        let pkgs = cat.catalog(path, PYGMENTS.as_bytes()).unwrap();
        assert_eq!(pkgs.len(), 1);
        let p = &pkgs[0];
        assert_eq!(p.name, "Pygments");
        assert_eq!(p.version, "2.14.0");
        assert_eq!(p.purl.to_string(), "pkg:pypi/pygments@2.14.0");
        assert_eq!(p.licenses, vec!["BSD-2-Clause"]);
        assert_eq!(p.locations, vec![path]);
        assert_eq!(p.kind, PackageType::Python);
        assert_eq!(p.found_by, "python-installed");
    }

    #[test]
    fn single_file_egg_info_and_name_normalisation() {
        let data =
            "Metadata-Version: 1.1\nName: lazr.restful_client\nVersion: 0.14.5\nLicense: LGPL v3\n";
        let path = "/usr/lib/python3/dist-packages/lazr.restful_client-0.14.5.egg-info";
        assert!(PythonInstalledCataloger.selects(path, &FileMeta::default()));
        let p = &PythonInstalledCataloger
            .catalog(path, data.as_bytes())
            .unwrap()[0];
        assert_eq!(p.name, "lazr.restful_client");
        assert_eq!(p.purl.to_string(), "pkg:pypi/lazr-restful-client@0.14.5");
    }

    #[test]
    fn licence_precedence() {
        let m = parse_metadata(b"Name: x\nVersion: 1\nLicense: Apache Software License\nLicense-Expression: Apache-2.0 OR MIT\n").unwrap();
        assert_eq!(m.licenses(), vec!["Apache-2.0 OR MIT"]);
        let m = parse_metadata(
            b"Name: x\nVersion: 1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved\nClassifier: Programming Language :: Python\n",
        )
        .unwrap();
        assert_eq!(m.licenses(), vec!["MIT License"]);
        let m = parse_metadata(b"Name: x\nVersion: 1\n").unwrap();
        assert!(m.licenses().is_empty());
    }

    #[test]
    fn continuation_lines_and_crlf() {
        let m = parse_metadata(b"Name: x\r\nVersion: 1.0\r\nLicense: Permission is hereby granted\r\n        to anyone\r\n\r\nbody").unwrap();
        assert_eq!(m.version, "1.0");
        assert_eq!(
            m.license.as_deref(),
            Some("Permission is hereby granted\nto anyone")
        );
    }

    #[test]
    fn selection() {
        let m = FileMeta::default();
        let c = PythonInstalledCataloger;
        assert!(c.selects(
            "/usr/lib/python3.11/site-packages/pip-23.0.1.dist-info/METADATA",
            &m
        ));
        assert!(c.selects("/x/EGG-INFO/PKG-INFO", &m));
        assert!(!c.selects("/x/pip-23.0.1.dist-info/RECORD", &m));
        assert!(!c.selects("/x/METADATA", &m));
    }

    #[test]
    fn missing_name_or_garbage() {
        assert!(
            PythonInstalledCataloger
                .catalog("/a.egg-info", b"Version: 1\n")
                .unwrap()
                .is_empty()
        );
        assert!(
            PythonInstalledCataloger
                .catalog("/a.egg-info", b"\x00\x01garbage")
                .is_err()
        );
        assert_eq!(normalize_name("Foo__Bar..baz"), "foo-bar-baz");
    }
}
