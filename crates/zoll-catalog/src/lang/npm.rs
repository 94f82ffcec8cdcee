//! npm: installed packages (`package.json`, as Syft's image cataloger `javascript-package-cataloger`
//! reads them: every `package.json` with a name and a version, the project's own included) and
//! lock files (`package-lock.json` v1, v2 and v3).
//!
//! Purl `pkg:npm/<name>@<version>`, a scope becoming the namespace (`pkg:npm/%40babel/core@7.0.0`).
//! Differences from Syft 1.18, on purpose:
//! - lock file v1: packages nested under `dependencies` (a second copy at another version, e.g.
//!   `debug/node_modules/ms`) are reported; Syft reads only the top level;
//! - lock file v1: the project itself is reported from the top-level `name`/`version`, as Syft
//!   does for v2 and v3;
//! - Syft fills lock-file licences from `node_modules/*/package.json` next to the lock; a
//!   cataloger here sees one file, so v1 lock packages (which record no licence) have none.

use std::collections::BTreeSet;

use serde_json::Value;
use zoll_core::{Package, PackageType};

use super::{MAX_TEXT_FILE, NewPackage, file_name};
use crate::{CatalogError, FileCataloger, FileMeta};

/// Nesting depth of v1 `dependencies` followed before giving up on a hostile file.
const MAX_V1_DEPTH: usize = 64;

/// One npm package: name (with scope), version and declared licences.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NpmPackage {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
}

/// Licences from `license` (a string or `{ "type": ... }`) and the legacy `licenses` array.
fn licenses_of(v: &Value) -> Vec<String> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    }
    let mut out = Vec::new();
    if let Some(l) = v.get("license").and_then(one) {
        out.push(l);
    }
    match v.get("licenses") {
        Some(Value::Array(a)) => out.extend(a.iter().filter_map(one)),
        Some(other) => out.extend(one(other)),
        None => {}
    }
    out.retain(|l| !l.trim().is_empty());
    out
}

/// Parse a `package.json`. `Ok(None)` when it lacks a name or a version (a project that is not a
/// package, a test fixture ...), which Syft also skips.
pub fn parse_package_json(data: &[u8]) -> Result<Option<NpmPackage>, String> {
    let v: Value =
        serde_json::from_slice(data).map_err(|e| format!("invalid package.json: {e}"))?;
    if !v.is_object() {
        return Err("package.json is not a JSON object".to_owned());
    }
    let name = v.get("name").and_then(Value::as_str).unwrap_or("").trim();
    let version = v
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if name.is_empty() || version.is_empty() {
        return Ok(None);
    }
    Ok(Some(NpmPackage {
        name: name.to_owned(),
        version: version.to_owned(),
        licenses: licenses_of(&v),
    }))
}

/// Parse a `package-lock.json` (v1 `dependencies` tree, v2/v3 `packages` map). Duplicates (the same
/// name and version installed in two places) are reported once.
pub fn parse_package_lock(data: &[u8]) -> Result<Vec<NpmPackage>, String> {
    let v: Value =
        serde_json::from_slice(data).map_err(|e| format!("invalid package-lock.json: {e}"))?;
    let Some(doc) = v.as_object() else {
        return Err("package-lock.json is not a JSON object".to_owned());
    };
    let mut out = BTreeSet::new();
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        for (key, entry) in packages {
            let Some(version) = entry
                .get("version")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
            else {
                continue; // links to workspace folders carry no version
            };
            let name = match entry.get("name").and_then(Value::as_str) {
                Some(n) if !n.is_empty() => n.to_owned(),
                _ => match key.rfind("node_modules/") {
                    Some(i) => key[i + "node_modules/".len()..].to_owned(),
                    None if key.is_empty() => continue,
                    // A workspace member folder ("packages/foo") without a name.
                    None => file_name(key).to_owned(),
                },
            };
            if name.is_empty() {
                continue;
            }
            out.insert(NpmPackage {
                name,
                version: version.to_owned(),
                licenses: licenses_of(entry),
            });
        }
    } else {
        if let (Some(n), Some(ver)) = (
            doc.get("name").and_then(Value::as_str),
            doc.get("version").and_then(Value::as_str),
        ) && !n.is_empty()
            && !ver.is_empty()
        {
            out.insert(NpmPackage {
                name: n.to_owned(),
                version: ver.to_owned(),
                licenses: Vec::new(),
            });
        }
        if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
            walk_v1(deps, 0, &mut out);
        }
    }
    Ok(out.into_iter().collect())
}

fn walk_v1(deps: &serde_json::Map<String, Value>, depth: usize, out: &mut BTreeSet<NpmPackage>) {
    if depth > MAX_V1_DEPTH {
        return;
    }
    for (name, entry) in deps {
        if let Some(version) = entry
            .get("version")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        {
            out.insert(NpmPackage {
                name: name.clone(),
                version: version.to_owned(),
                licenses: licenses_of(entry),
            });
        }
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            walk_v1(nested, depth + 1, out);
        }
    }
}

fn to_package(p: &NpmPackage, path: &str, found_by: &str) -> Result<Package, CatalogError> {
    let (namespace, purl_name) = match p.name.strip_prefix('@').and_then(|s| s.split_once('/')) {
        Some((scope, n)) => (Some(format!("@{scope}")), n),
        None => (None, p.name.as_str()),
    };
    NewPackage {
        name: &p.name,
        version: &p.version,
        kind: PackageType::Npm,
        purl_type: "npm",
        namespace: namespace.as_deref(),
        purl_name,
        licenses: p.licenses.clone(),
        location: path,
        found_by,
    }
    .build()
}

/// `npm-package-json`: every `package.json` naming a package and a version.
pub struct PackageJsonCataloger;

impl FileCataloger for PackageJsonCataloger {
    fn name(&self) -> &'static str {
        "npm-package-json"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        meta.size <= MAX_TEXT_FILE && file_name(path) == "package.json"
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        match parse_package_json(data).map_err(|e| CatalogError::malformed(path, e))? {
            Some(p) => Ok(vec![to_package(&p, path, self.name())?]),
            None => Ok(Vec::new()),
        }
    }
}

/// `npm-lock`: `package-lock.json` of any lockfile version.
pub struct PackageLockCataloger;

impl FileCataloger for PackageLockCataloger {
    fn name(&self) -> &'static str {
        "npm-lock"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        meta.size <= MAX_TEXT_FILE && file_name(path) == "package-lock.json"
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let pkgs = parse_package_lock(data).map_err(|e| CatalogError::malformed(path, e))?;
        pkgs.iter()
            .map(|p| to_package(p, path, self.name()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purls(pkgs: &[Package]) -> Vec<String> {
        let mut v: Vec<String> = pkgs.iter().map(|p| p.purl.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn package_json_forms() {
        let pj = br#"{"name":"@babel/helper-string-parser","version":"7.22.5","description":"x","license":"MIT","main":"./lib/index.js"}"#;
        let path = "/app/node_modules/@babel/helper-string-parser/package.json";
        assert!(PackageJsonCataloger.selects(path, &FileMeta::default()));
        let p = &PackageJsonCataloger.catalog(path, pj).unwrap()[0];
        assert_eq!(p.name, "@babel/helper-string-parser");
        assert_eq!(
            p.purl.to_string(),
            "pkg:npm/%40babel/helper-string-parser@7.22.5"
        );
        assert_eq!(p.licenses, vec!["MIT"]);
        assert_eq!(p.found_by, "npm-package-json");

        let obj = parse_package_json(
            br#"{"name":"a","version":"1.0.0","license":{"type":"ISC","url":"x"}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(obj.licenses, vec!["ISC"]);
        let arr = parse_package_json(
            br#"{"name":"a","version":"1","licenses":[{"type":"MIT"},"Apache-2.0"]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(arr.licenses, vec!["MIT", "Apache-2.0"]);
        assert_eq!(parse_package_json(br#"{"name":"a"}"#).unwrap(), None);
        assert!(parse_package_json(b"{not json").is_err());
        assert!(parse_package_json(b"[1]").is_err());
    }

    // Written by npm 11 (`npm install --lockfile-version 1 ms@2.1.3 debug@2.6.9`).
    const LOCK_V1: &str = r#"{
  "name": "fixture-v1",
  "version": "0.1.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "@babel/helper-string-parser": {
      "version": "7.22.5",
      "integrity": "sha512-mM4COjgZox8U+JcXQwPijIZLElkgEpO5rsERVDJTc2qfCDfERyob6k5WegS14SX18IIjv+XD+GrqNumY5JRCDw=="
    },
    "debug": {
      "version": "2.6.9",
      "integrity": "sha512-bC7ElrdJaJnPbAP+1EotYvqZsb3ecl5wi6Bfi6BJTUcNowp6cvspg0jXznRTKDjm/E7AdgFBVeAPVMNcKGsHMA==",
      "requires": { "ms": "2.0.0" },
      "dependencies": {
        "ms": {
          "version": "2.0.0",
          "integrity": "sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A=="
        }
      }
    },
    "ms": {
      "version": "2.1.3",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
    }
  }
}"#;

    #[test]
    fn lock_v1_nested() {
        let pkgs = PackageLockCataloger
            .catalog("/app/package-lock.json", LOCK_V1.as_bytes())
            .unwrap();
        assert_eq!(
            purls(&pkgs),
            vec![
                "pkg:npm/%40babel/helper-string-parser@7.22.5",
                "pkg:npm/debug@2.6.9",
                "pkg:npm/fixture-v1@0.1.0",
                "pkg:npm/ms@2.0.0",
                "pkg:npm/ms@2.1.3",
            ]
        );
    }

    #[test]
    fn lock_v3_packages() {
        let lock = r#"{
  "name": "fixture-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": { "name": "fixture-app", "version": "1.0.0", "license": "MIT", "dependencies": { "debug": "^4.3.4" } },
    "node_modules/@sindresorhus/is": { "version": "4.6.0", "license": "MIT" },
    "node_modules/debug": { "version": "4.3.4", "license": "MIT", "dependencies": { "ms": "2.1.2" } },
    "node_modules/debug/node_modules/ms": { "version": "2.1.2", "license": "MIT" },
    "node_modules/other/node_modules/ms": { "version": "2.1.2", "license": "MIT" },
    "node_modules/aliased": { "name": "real-name", "version": "1.0.0" },
    "node_modules/workspace-a": { "resolved": "packages/a", "link": true },
    "packages/a": { "name": "workspace-a", "version": "0.0.1" }
  }
}"#;
        let pkgs = PackageLockCataloger
            .catalog("/app/package-lock.json", lock.as_bytes())
            .unwrap();
        assert_eq!(
            purls(&pkgs),
            vec![
                "pkg:npm/%40sindresorhus/is@4.6.0",
                "pkg:npm/debug@4.3.4",
                "pkg:npm/fixture-app@1.0.0",
                "pkg:npm/ms@2.1.2",
                "pkg:npm/real-name@1.0.0",
                "pkg:npm/workspace-a@0.0.1",
            ]
        );
        let debug = pkgs.iter().find(|p| p.name == "debug").unwrap();
        assert_eq!(debug.licenses, vec!["MIT"]);
    }

    #[test]
    fn lock_selection_and_errors() {
        let m = FileMeta::default();
        assert!(PackageLockCataloger.selects("/a/package-lock.json", &m));
        assert!(!PackageLockCataloger.selects("/a/node_modules/.package-lock.json", &m));
        assert!(!PackageJsonCataloger.selects("/a/package.json.bak", &m));
        assert!(parse_package_lock(b"[]").is_err());
        // A deeply nested hostile v1 file terminates.
        let mut s = String::from(r#"{"dependencies":"#);
        for _ in 0..100 {
            s.push_str(r#"{"a":{"version":"1","dependencies":"#);
        }
        s.push_str("{}");
        for _ in 0..100 {
            s.push_str("}}");
        }
        s.push('}');
        // serde_json's recursion limit rejects it or the walk stops at the cap; either way no hang.
        let _ = parse_package_lock(s.as_bytes());
    }
}
