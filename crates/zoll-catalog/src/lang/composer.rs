//! PHP Composer: `vendor/composer/installed.json`, in Composer 1's array form and Composer 2's
//! `{"packages": [...]}` form. Purl `pkg:composer/<vendor>/<name>@<version>`, licences from the
//! `license` array (or string), as Syft's `php-composer-installed-cataloger` does.

use serde_json::Value;
use zoll_core::{Package, PackageType};

use super::{MAX_TEXT_FILE, NewPackage};
use crate::{CatalogError, FileCataloger, FileMeta};

/// One installed Composer package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerPackage {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
}

/// Parse `installed.json` (either form).
pub fn parse_installed_json(data: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    let v: Value =
        serde_json::from_slice(data).map_err(|e| format!("invalid installed.json: {e}"))?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("packages") {
            Some(Value::Array(a)) => a,
            _ => return Err("installed.json has no \"packages\" array".to_owned()),
        },
        _ => return Err("installed.json is neither an array nor an object".to_owned()),
    };
    let mut out = Vec::new();
    for entry in list {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let version = entry
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let licenses = match entry.get("license") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        out.push(ComposerPackage {
            name: name.to_owned(),
            version: version.to_owned(),
            licenses,
        });
    }
    Ok(out)
}

/// `composer-installed`: Composer's record of the packages in `vendor/`.
pub struct ComposerInstalledCataloger;

impl FileCataloger for ComposerInstalledCataloger {
    fn name(&self) -> &'static str {
        "composer-installed"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        meta.size <= MAX_TEXT_FILE && path.ends_with("/composer/installed.json")
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let pkgs = parse_installed_json(data).map_err(|e| CatalogError::malformed(path, e))?;
        pkgs.iter()
            .map(|p| {
                let (vendor, name) = match p.name.split_once('/') {
                    Some((v, n)) => (Some(v), n),
                    None => (None, p.name.as_str()),
                };
                NewPackage {
                    name: &p.name,
                    version: &p.version,
                    kind: PackageType::Composer,
                    purl_type: "composer",
                    namespace: vendor,
                    purl_name: name,
                    licenses: p.licenses.clone(),
                    location: path,
                    found_by: self.name(),
                }
                .build()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_2_and_1() {
        let v2 = br#"{"packages":[{"name":"psr/log","version":"3.0.0","version_normalized":"3.0.0.0","type":"library","license":["MIT"],"install-path":"../psr/log"},{"name":"Monolog/Monolog","version":"2.9.1","license":"MIT"},{"name":"broken"}],"dev":true,"dev-package-names":[]}"#;
        let path = "/app/vendor/composer/installed.json";
        assert!(ComposerInstalledCataloger.selects(path, &FileMeta::default()));
        let pkgs = ComposerInstalledCataloger.catalog(path, v2).unwrap();
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].purl.to_string(), "pkg:composer/psr/log@3.0.0");
        assert_eq!(pkgs[0].licenses, vec!["MIT"]);
        assert_eq!(pkgs[1].name, "Monolog/Monolog");
        assert_eq!(
            pkgs[1].purl.to_string(),
            "pkg:composer/monolog/monolog@2.9.1"
        );
        let v1 = br#"[{"name":"symfony/polyfill-ctype","version":"v1.19.0","license":["MIT"]}]"#;
        let pkgs = ComposerInstalledCataloger.catalog(path, v1).unwrap();
        assert_eq!(
            pkgs[0].purl.to_string(),
            "pkg:composer/symfony/polyfill-ctype@v1.19.0"
        );
        assert!(parse_installed_json(b"{}").is_err());
        assert!(parse_installed_json(b"3").is_err());
    }
}
