//! .NET: `*.deps.json` written next to an application by the SDK. Only `libraries` entries of
//! `type: package` (NuGet packages) are reported, as `pkg:nuget/<Name>@<version>`.
//!
//! Syft 1.18's `dotnet-deps-cataloger` (a directory-scan cataloger, not run on images) also
//! reports the application itself (`type: project`) and `type: reference` assemblies, which are
//! not NuGet packages and have no meaningful purl; zoll leaves them out.

use serde_json::Value;
use zoll_core::{Package, PackageType};

use super::{MAX_TEXT_FILE, NewPackage};
use crate::{CatalogError, FileCataloger, FileMeta};

/// A NuGet package named in a deps.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NugetPackage {
    pub name: String,
    pub version: String,
}

/// Parse a `*.deps.json`.
pub fn parse_deps_json(data: &[u8]) -> Result<Vec<NugetPackage>, String> {
    let v: Value = serde_json::from_slice(data).map_err(|e| format!("invalid deps.json: {e}"))?;
    let Some(libraries) = v.get("libraries").and_then(Value::as_object) else {
        return Err("deps.json has no \"libraries\" object".to_owned());
    };
    let mut out = Vec::new();
    for (key, lib) in libraries {
        if lib.get("type").and_then(Value::as_str) != Some("package") {
            continue;
        }
        let Some((name, version)) = key.split_once('/') else {
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        out.push(NugetPackage {
            name: name.to_owned(),
            version: version.to_owned(),
        });
    }
    Ok(out)
}

/// `dotnet-deps`: `*.deps.json` files.
pub struct DotnetDepsCataloger;

impl FileCataloger for DotnetDepsCataloger {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        meta.size <= MAX_TEXT_FILE && path.ends_with(".deps.json")
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let pkgs = parse_deps_json(data).map_err(|e| CatalogError::malformed(path, e))?;
        pkgs.iter()
            .map(|p| {
                NewPackage {
                    name: &p.name,
                    version: &p.version,
                    kind: PackageType::Nuget,
                    purl_type: "nuget",
                    namespace: None,
                    purl_name: &p.name,
                    licenses: Vec::new(),
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

    const DEPS: &str = r#"{
  "runtimeTarget": { "name": ".NETCoreApp,Version=v6.0", "signature": "" },
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v6.0": {
      "app/1.0.0": { "dependencies": { "Newtonsoft.Json": "13.0.1" }, "runtime": { "app.dll": {} } },
      "Newtonsoft.Json/13.0.1": { "runtime": { "lib/netstandard2.0/Newtonsoft.Json.dll": { "assemblyVersion": "13.0.0.0", "fileVersion": "13.0.1.25517" } } }
    }
  },
  "libraries": {
    "app/1.0.0": { "type": "project", "serviceable": false, "sha512": "" },
    "Newtonsoft.Json/13.0.1": { "type": "package", "serviceable": true, "sha512": "sha512-ppPFpBcvxdsfUonNcvITKqLl3bqxWbDCZIzDWHzjpdAHRFfZe0Dw9HmA0+za13IdyrgJwpkDTDA9fHaxOrt20A==", "path": "newtonsoft.json/13.0.1", "hashPath": "newtonsoft.json.13.0.1.nupkg.sha512" },
    "Helper.Lib/1.0.0": { "type": "reference", "serviceable": false, "sha512": "" }
  }
}"#;

    #[test]
    fn packages_only() {
        let path = "/app/app.deps.json";
        assert!(DotnetDepsCataloger.selects(path, &FileMeta::default()));
        let pkgs = DotnetDepsCataloger.catalog(path, DEPS.as_bytes()).unwrap();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].name, "Newtonsoft.Json");
        assert_eq!(pkgs[0].purl.to_string(), "pkg:nuget/Newtonsoft.Json@13.0.1");
        assert_eq!(pkgs[0].kind, PackageType::Nuget);
        assert!(parse_deps_json(b"{}").is_err());
    }
}
