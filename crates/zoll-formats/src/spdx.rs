//! SPDX 2.3 JSON, written the way syft writes it where that is sensible.
//!
//! - `documentNamespace` is `https://zoll.invalid/spdx/<kind>/<name>-<uuid>` with the UUID v5 of
//!   the content (see `common::document_uuid`): unique per content, the same for the same input.
//!   The `.invalid` host says it is a name, not a place to download from.
//! - `packages`: a root package for the image (`SPDXRef-DocumentRoot-Image-...`,
//!   `primaryPackagePurpose: CONTAINER`, `pkg:oci` purl when known), the distro
//!   (`OPERATING-SYSTEM`), then one `LIBRARY` package per package, sorted by name, type and
//!   version, with `SPDXRef-Package-<type>-<name>-<package id>` ids.
//! - `licenseDeclared` is the package's licences joined with `AND`: SPDX ids and expressions as
//!   they are, free-form names as `LicenseRef-<name>` with a `hasExtractedLicensingInfos` entry
//!   carrying the original text; `NOASSERTION` when there are none. `licenseConcluded` is always
//!   `NOASSERTION`: zoll reports what packages declare, it does not conclude.
//! - `relationships`: the document `DESCRIBES` the root, the root `CONTAINS` every package.

use std::collections::BTreeMap;

use serde::Serialize;
use zoll_core::{Distro, Package, Sbom, Target};

use crate::common::{
    PackageIds, document_uuid, image_digest, image_purl, sorted_packages, spdx_id_chars, timestamp,
};
use crate::license::{LICENSE_LIST_VERSION, License};
use crate::{Error, RenderOptions, SbomFormat};

/// Where document namespaces live. `.invalid` is reserved (RFC 2606) and never resolves.
pub const NAMESPACE_BASE: &str = "https://zoll.invalid/spdx";

const NOASSERTION: &str = "NOASSERTION";

/// An SPDX 2.3 document (the subset zoll writes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub spdx_version: &'static str,
    pub data_license: &'static str,
    #[serde(rename = "SPDXID")]
    pub spdx_id: &'static str,
    pub name: String,
    pub document_namespace: String,
    pub creation_info: CreationInfo,
    pub packages: Vec<SpdxPackage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub has_extracted_licensing_infos: Vec<ExtractedLicense>,
    pub relationships: Vec<Relationship>,
}

/// `creationInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationInfo {
    pub license_list_version: &'static str,
    pub creators: Vec<String>,
    pub created: String,
}

/// A package.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpdxPackage {
    pub name: String,
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    pub supplier: &'static str,
    pub download_location: &'static str,
    pub files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_info: Option<String>,
    pub license_concluded: &'static str,
    pub license_declared: String,
    pub copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_refs: Vec<ExternalRef>,
    pub primary_package_purpose: &'static str,
}

impl SpdxPackage {
    fn new(spdx_id: String, name: String, purpose: &'static str) -> SpdxPackage {
        SpdxPackage {
            name,
            spdx_id,
            version_info: None,
            supplier: NOASSERTION,
            download_location: NOASSERTION,
            files_analyzed: false,
            source_info: None,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.to_owned(),
            copyright_text: NOASSERTION,
            description: None,
            external_refs: vec![],
            primary_package_purpose: purpose,
        }
    }
}

/// `externalRefs` entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRef {
    pub reference_category: &'static str,
    pub reference_type: &'static str,
    pub reference_locator: String,
}

fn purl_ref(purl: String) -> ExternalRef {
    ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: purl,
    }
}

/// `hasExtractedLicensingInfos` entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedLicense {
    pub license_id: String,
    pub extracted_text: String,
}

/// A relationship.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    pub spdx_element_id: String,
    pub related_spdx_element: String,
    pub relationship_type: &'static str,
}

/// Build the document for `sbom`.
pub fn document(sbom: &Sbom, opts: &RenderOptions) -> Result<Document, Error> {
    let uuid = document_uuid(sbom, SbomFormat::SpdxJson, opts)?;
    let t = &sbom.target;
    let root = root_package(t);
    let root_id = root.spdx_id.clone();
    let mut packages = vec![root];
    if let Some(d) = &sbom.distro {
        packages.push(distro(d));
    }
    let mut refs = LicenseRefs::default();
    let mut ids = PackageIds::new();
    for p in sorted_packages(sbom) {
        packages.push(package(p, &mut ids, &mut refs));
    }
    let mut relationships = vec![Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".to_owned(),
        related_spdx_element: root_id.clone(),
        relationship_type: "DESCRIBES",
    }];
    for p in packages.iter().skip(1) {
        relationships.push(Relationship {
            spdx_element_id: root_id.clone(),
            related_spdx_element: p.spdx_id.clone(),
            relationship_type: "CONTAINS",
        });
    }
    let ns_name = spdx_id_chars(&t.input);
    Ok(Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: t.input.clone(),
        document_namespace: format!(
            "{NAMESPACE_BASE}/{}/{}-{uuid}",
            spdx_id_chars(&t.kind),
            ns_name.trim_matches('-')
        ),
        creation_info: CreationInfo {
            license_list_version: LICENSE_LIST_VERSION,
            creators: vec![format!("Tool: zoll-{}", opts.tool_version)],
            created: timestamp(opts.now)?,
        },
        packages,
        has_extracted_licensing_infos: refs.into_entries(),
        relationships,
    })
}

fn root_package(t: &Target) -> SpdxPackage {
    let (kind, purpose) = if t.kind == "dir" {
        ("Directory", "FILE")
    } else {
        ("Image", "CONTAINER")
    };
    let id = format!(
        "SPDXRef-DocumentRoot-{kind}-{}",
        spdx_id_chars(&t.input).trim_matches('-')
    );
    let mut p = SpdxPackage::new(id, t.input.clone(), purpose);
    p.version_info = image_digest(t).map(ToString::to_string);
    if let Some(purl) = image_purl(t) {
        p.external_refs.push(purl_ref(purl.to_string()));
    }
    p
}

fn distro(d: &Distro) -> SpdxPackage {
    let id = format!("SPDXRef-OperatingSystem-{}", spdx_id_chars(&d.id));
    let mut p = SpdxPackage::new(id, d.id.clone(), "OPERATING-SYSTEM");
    p.version_info = d.version_id.clone();
    p.description = d.pretty_name.clone();
    p
}

fn package(pkg: &Package, ids: &mut PackageIds, refs: &mut LicenseRefs) -> SpdxPackage {
    let id = format!(
        "SPDXRef-Package-{}-{}-{}",
        pkg.kind.as_str(),
        spdx_id_chars(&pkg.name),
        ids.id(pkg)
    );
    let mut p = SpdxPackage::new(id, pkg.name.clone(), "LIBRARY");
    p.version_info = Some(pkg.version.clone()).filter(|v| !v.is_empty());
    let mut info = format!("acquired package info from {}", pkg.found_by);
    if !pkg.locations.is_empty() {
        info.push_str(": ");
        info.push_str(&pkg.locations.join(", "));
    }
    if let Some(l) = &pkg.layer {
        info.push_str(&format!(" (layer {l})"));
    }
    p.source_info = Some(info);
    p.license_declared = refs.declared(&pkg.licenses);
    p.external_refs.push(purl_ref(pkg.purl.to_string()));
    p
}

/// The `LicenseRef-`s handed out for free-form licence names, one per distinct name.
#[derive(Default)]
struct LicenseRefs {
    by_name: BTreeMap<String, String>,
    used: BTreeMap<String, String>,
}

impl LicenseRefs {
    fn license_ref(&mut self, name: &str) -> String {
        if let Some(r) = self.by_name.get(name) {
            return r.clone();
        }
        let base = format!("LicenseRef-{}", spdx_id_chars(name));
        let mut candidate = base.clone();
        let mut n = 1;
        while self.used.contains_key(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        self.used.insert(candidate.clone(), name.to_owned());
        self.by_name.insert(name.to_owned(), candidate.clone());
        candidate
    }

    /// `licenseDeclared` for a package's licence strings.
    fn declared(&mut self, raw: &[String]) -> String {
        // (text, whether it needs parentheses when joined with AND)
        let mut parts: Vec<(String, bool)> = vec![];
        for s in raw {
            let part = match License::parse(s) {
                License::Name(n) if n.is_empty() => continue,
                License::Name(n) => (self.license_ref(&n), false),
                License::Id(id) => (id.to_owned(), false),
                License::Expression(e) => (e, true),
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        match parts.as_slice() {
            [] => NOASSERTION.to_owned(),
            [(one, _)] => one.clone(),
            _ => {
                let texts: Vec<String> = parts
                    .into_iter()
                    .map(|(t, compound)| if compound { format!("({t})") } else { t })
                    .collect();
                texts.join(" AND ")
            }
        }
    }

    fn into_entries(self) -> Vec<ExtractedLicense> {
        self.used
            .into_iter()
            .map(|(license_id, extracted_text)| ExtractedLicense {
                license_id,
                extracted_text,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn declared_licences() {
        let mut r = LicenseRefs::default();
        assert_eq!(r.declared(&[]), "NOASSERTION");
        assert_eq!(r.declared(&strings(&["MIT"])), "MIT");
        assert_eq!(
            r.declared(&strings(&["MIT OR Apache-2.0"])),
            "MIT OR Apache-2.0"
        );
        assert_eq!(
            r.declared(&strings(&["MIT OR Apache-2.0", "GPLv2+"])),
            "(MIT OR Apache-2.0) AND GPL-2.0-or-later"
        );
        assert_eq!(
            r.declared(&strings(&["BSD", "Public Domain", "GPLv2-"])),
            "LicenseRef-BSD AND LicenseRef-Public-Domain AND LicenseRef-GPLv2-"
        );
        assert_eq!(r.declared(&strings(&["GPLv2?"])), "LicenseRef-GPLv2--2");
        assert_eq!(r.declared(&strings(&["BSD"])), "LicenseRef-BSD");
        let entries = r.into_entries();
        assert_eq!(entries.len(), 4);
        assert!(
            entries
                .iter()
                .any(|e| e.license_id == "LicenseRef-GPLv2--2" && e.extracted_text == "GPLv2?")
        );
    }
}
