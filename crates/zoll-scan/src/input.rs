//! `zoll scan --sbom FILE`: read a CycloneDX (JSON), SPDX 2.x (JSON) or zoll SBOM instead of an
//! image. Packages are rebuilt from their purls (type, name, version; `upstream` gives the source
//! package of OS packages and `distro` the distribution), which is everything matching needs.

use std::path::Path;

use zoll_core::{Distro, Package, PackageType, Purl, Sbom, SourceInfo, Target};

use crate::Error;

fn kind_of(purl: &Purl) -> Option<PackageType> {
    Some(match purl.ty() {
        "deb" => PackageType::Deb,
        "apk" => PackageType::Apk,
        "rpm" => PackageType::Rpm,
        "pypi" => PackageType::Python,
        "npm" => PackageType::Npm,
        "cargo" => PackageType::Cargo,
        "golang" => PackageType::GoModule,
        "maven" => PackageType::Maven,
        "gem" => PackageType::Gem,
        "composer" => PackageType::Composer,
        "nuget" => PackageType::Nuget,
        _ => return None,
    })
}

/// A package rebuilt from its purl; `None` for purls without a version or of unknown types.
pub fn package_from_purl(purl: Purl) -> Option<Package> {
    let kind = kind_of(&purl)?;
    let version = purl.version()?.to_owned();
    let name = match (kind, purl.namespace()) {
        (PackageType::GoModule, Some(ns)) => format!("{ns}/{}", purl.name()),
        (PackageType::Npm, Some(ns)) => format!("{ns}/{}", purl.name()),
        _ => purl.name().to_owned(),
    };
    let source = purl
        .qualifier("upstream")
        .map(|u| match u.rsplit_once('@') {
            Some((n, v)) if !n.is_empty() => SourceInfo {
                name: n.to_owned(),
                version: Some(v.to_owned()),
            },
            _ => SourceInfo {
                name: u.to_owned(),
                version: None,
            },
        });
    let source = match (kind, source) {
        // rpm's upstream is the source RPM file name: name-version-release.src.rpm.
        (PackageType::Rpm, Some(s)) => {
            let base = s.name.trim_end_matches(".rpm").trim_end_matches(".src");
            let mut parts = base.rsplitn(3, '-');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(r), Some(v), Some(n)) => Some(SourceInfo {
                    name: n.to_owned(),
                    version: Some(format!("{v}-{r}")),
                }),
                _ => Some(s),
            }
        }
        (_, s) => s,
    };
    Some(Package {
        name,
        version,
        kind,
        arch: purl.qualifier("arch").map(str::to_owned),
        purl,
        licenses: vec![],
        source,
        locations: vec![],
        layer: None,
        found_by: "sbom".into(),
    })
}

fn distro_from(purls: &[&Purl]) -> Option<Distro> {
    let q = purls.iter().find_map(|p| p.qualifier("distro"))?;
    // `debian-12`, `alpine-3.10.4`, `rhel-9.3`, `ubuntu-22.04`: id, then the version.
    let (id, ver) = match q.rsplit_once('-') {
        Some((id, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => (id, Some(v)),
        _ => (q, None),
    };
    Some(Distro {
        id: id.to_owned(),
        version_id: ver.map(str::to_owned),
        ..Default::default()
    })
}

fn collect_cyclonedx(v: &serde_json::Value, out: &mut Vec<String>) {
    if let Some(cs) = v.get("components").and_then(|c| c.as_array()) {
        for c in cs {
            if let Some(p) = c.get("purl").and_then(|p| p.as_str()) {
                out.push(p.to_owned());
            }
            collect_cyclonedx(c, out);
        }
    }
}

/// Read an SBOM file.
pub fn read_sbom(path: &Path) -> Result<Sbom, Error> {
    let name = path.display().to_string();
    let bad = |m: String| Error::Input {
        input: name.clone(),
        message: m,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string().to_lowercase()))?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a JSON SBOM: {e}")))?;
    let target = Target {
        input: format!("sbom:{name}"),
        kind: "sbom".into(),
        manifest_digest: None,
        config_digest: None,
        platform: None,
        layers: vec![],
        tags: vec![],
    };
    if v.get("schema").and_then(|s| s.as_str()) == Some("zoll.sbom/v1") {
        let mut sbom: Sbom =
            serde_json::from_value(v).map_err(|e| bad(format!("zoll SBOM: {e}")))?;
        sbom.target.input = format!("sbom:{name}");
        return Ok(sbom);
    }
    let mut purls = Vec::new();
    if v.get("bomFormat").and_then(|s| s.as_str()) == Some("CycloneDX") {
        if let Some(c) = v.get("metadata").and_then(|m| m.get("component")) {
            collect_cyclonedx(c, &mut purls);
        }
        collect_cyclonedx(&v, &mut purls);
    } else if v.get("spdxVersion").is_some() {
        for p in v
            .get("packages")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            for r in p
                .get("externalRefs")
                .and_then(|r| r.as_array())
                .into_iter()
                .flatten()
            {
                if r.get("referenceType").and_then(|t| t.as_str()) == Some("purl")
                    && let Some(l) = r.get("referenceLocator").and_then(|l| l.as_str())
                {
                    purls.push(l.to_owned());
                }
            }
        }
    } else {
        return Err(bad(
            "not a CycloneDX, SPDX or zoll SBOM (no bomFormat, spdxVersion or schema field)".into(),
        ));
    }
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    for p in purls {
        match p.parse::<Purl>() {
            Ok(x) => parsed.push(x),
            Err(e) => diagnostics.push(format!("{name}: skipped purl {p:?}: {e}")),
        }
    }
    let refs: Vec<&Purl> = parsed
        .iter()
        .filter(|p| kind_of(p).is_some_and(|k| k.is_os()))
        .collect();
    let distro = distro_from(&refs);
    let mut packages: Vec<Package> = parsed.into_iter().filter_map(package_from_purl).collect();
    packages.sort_by_key(|p| p.purl.to_string());
    packages.dedup_by(|a, b| a.purl == b.purl);
    Ok(Sbom {
        target,
        distro,
        packages,
        diagnostics,
    })
}
