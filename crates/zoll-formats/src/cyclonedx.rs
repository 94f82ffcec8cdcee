//! CycloneDX 1.6 JSON, written the way syft writes it where that is sensible.
//!
//! - `serialNumber` is `urn:uuid:` + a UUID v5 of the content (see `common::document_uuid`), so
//!   rendering the same SBOM twice gives the same BOM.
//! - `metadata.component` is the image (`type: container`): name = the user's input, version = the
//!   manifest digest (else the config digest), purl `pkg:oci/...` when the repository is known;
//!   its properties record kind, tags, platform and layers (`zoll:image:layer:N:diffID`, ...).
//! - `components` holds one `library` per package, sorted by name, type and version, and the distro
//!   as an `operating-system` component (`bom-ref` `os:ID@VERSION`). A package's `bom-ref` is its
//!   purl with a `package-id` qualifier (16 hex digits of a hash of the package), as syft does:
//!   unique and stable across runs.
//! - Licences: SPDX ids go in `license.id`, free-form names in `license.name`. A single SPDX
//!   `expression` is written when there is no free-form name: several licences are then joined
//!   with `AND`. Otherwise expressions become names, since the schema forbids mixing the two.
//! - zoll-specific data goes in `properties`: `zoll:package:type`, `zoll:package:foundBy`,
//!   `zoll:package:arch`, `zoll:package:layer`, `zoll:location:N`, `zoll:source:name`,
//!   `zoll:source:version`.
//! - `dependencies` is left out: zoll does not know which package depends on which.

use serde::Serialize;
use zoll_core::{Distro, Package, Sbom, Target};

use crate::common::{
    PackageIds, document_uuid, image_digest, image_purl, platform_string, sorted_packages,
    timestamp,
};
use crate::license::License;
use crate::{Error, RenderOptions, SbomFormat};

/// The CycloneDX version written.
pub const SPEC_VERSION: &str = "1.6";

/// A CycloneDX BOM (the subset zoll writes).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub bom_format: &'static str,
    pub spec_version: &'static str,
    pub serial_number: String,
    pub version: u32,
    pub metadata: Metadata,
    pub components: Vec<Component>,
}

/// `metadata`.
#[derive(Debug, Serialize)]
pub struct Metadata {
    pub timestamp: String,
    pub tools: Tools,
    pub component: Component,
}

/// `metadata.tools` in the 1.5+ object form.
#[derive(Debug, Serialize)]
pub struct Tools {
    pub components: Vec<Component>,
}

/// A component.
#[derive(Debug, Serialize)]
pub struct Component {
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

impl Component {
    pub(crate) fn new(kind: &'static str, name: impl Into<String>) -> Component {
        Component {
            bom_ref: None,
            kind,
            group: None,
            name: name.into(),
            version: None,
            description: None,
            licenses: vec![],
            purl: None,
            properties: vec![],
        }
    }
}

/// One entry of `licenses`: a licence, or the single expression.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum LicenseChoice {
    License { license: LicenseObject },
    Expression { expression: String },
}

/// `license`: an SPDX `id` or a `name`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LicenseObject {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A name/value property.
#[derive(Debug, Serialize)]
pub struct Property {
    pub name: String,
    pub value: String,
}

pub(crate) fn prop(name: impl Into<String>, value: impl Into<String>) -> Property {
    Property {
        name: name.into(),
        value: value.into(),
    }
}

/// Build the BOM for `sbom`.
pub fn document(sbom: &Sbom, opts: &RenderOptions) -> Result<Bom, Error> {
    let uuid = document_uuid(sbom, SbomFormat::CycloneDxJson, opts)?;
    let mut tool = Component::new("application", "zoll");
    tool.version = Some(opts.tool_version.clone());

    let mut components: Vec<Component> = package_refs(sbom)
        .into_iter()
        .map(|(p, bom_ref)| package(p, bom_ref))
        .collect();
    if let Some(d) = &sbom.distro {
        components.push(distro(d));
    }
    Ok(Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: format!("urn:uuid:{uuid}"),
        version: 1,
        metadata: Metadata {
            timestamp: timestamp(opts.now)?,
            tools: Tools {
                components: vec![tool],
            },
            component: image(&sbom.target),
        },
        components,
    })
}

fn image(t: &Target) -> Component {
    let kind = if t.kind == "dir" { "file" } else { "container" };
    let mut c = Component::new(kind, t.input.clone());
    let purl = image_purl(t);
    c.bom_ref = Some(match (&purl, image_digest(t)) {
        (Some(p), _) => p.to_string(),
        (None, Some(d)) => format!("image:{d}"),
        (None, None) => "target".to_owned(),
    });
    c.version = image_digest(t).map(ToString::to_string);
    c.purl = purl.map(|p| p.to_string());
    c.properties.push(prop("zoll:image:kind", t.kind.clone()));
    if let Some(d) = &t.manifest_digest {
        c.properties
            .push(prop("zoll:image:manifestDigest", d.to_string()));
    }
    if let Some(d) = &t.config_digest {
        c.properties
            .push(prop("zoll:image:configDigest", d.to_string()));
    }
    if let Some(p) = platform_string(t) {
        c.properties.push(prop("zoll:image:platform", p));
    }
    for tag in &t.tags {
        c.properties.push(prop("zoll:image:tag", tag.clone()));
    }
    for (i, l) in t.layers.iter().enumerate() {
        c.properties.push(prop(
            format!("zoll:image:layer:{i}:diffID"),
            l.diff_id.to_string(),
        ));
        if let Some(d) = &l.digest {
            c.properties
                .push(prop(format!("zoll:image:layer:{i}:digest"), d.to_string()));
        }
        if let Some(s) = l.size {
            c.properties
                .push(prop(format!("zoll:image:layer:{i}:size"), s.to_string()));
        }
        if let Some(s) = &l.created_by {
            c.properties
                .push(prop(format!("zoll:image:layer:{i}:createdBy"), s.clone()));
        }
    }
    c
}

/// The packages in output order (see `common::sorted_packages`), each with its `bom-ref`: the purl
/// with a `package-id` qualifier. The vulnerability BOM points at components through these.
pub(crate) fn package_refs(sbom: &Sbom) -> Vec<(&Package, String)> {
    let mut ids = PackageIds::new();
    sorted_packages(sbom)
        .into_iter()
        .map(|p| {
            let bom_ref = p
                .purl
                .clone()
                .with_qualifier("package-id", &ids.id(p))
                .to_string();
            (p, bom_ref)
        })
        .collect()
}

fn package(p: &Package, bom_ref: String) -> Component {
    let mut c = Component::new("library", p.name.clone());
    c.bom_ref = Some(bom_ref);
    if p.purl.ty() == "maven" && !p.name.contains(':') {
        c.group = p.purl.namespace().map(str::to_owned);
    }
    c.version = Some(p.version.clone()).filter(|v| !v.is_empty());
    c.licenses = licenses(&p.licenses);
    c.purl = Some(p.purl.to_string());
    c.properties
        .push(prop("zoll:package:type", p.kind.as_str()));
    c.properties
        .push(prop("zoll:package:foundBy", p.found_by.clone()));
    if let Some(a) = &p.arch {
        c.properties.push(prop("zoll:package:arch", a.clone()));
    }
    if let Some(l) = &p.layer {
        c.properties.push(prop("zoll:package:layer", l.to_string()));
    }
    for (i, loc) in p.locations.iter().enumerate() {
        c.properties
            .push(prop(format!("zoll:location:{i}"), loc.clone()));
    }
    if let Some(s) = &p.source {
        c.properties.push(prop("zoll:source:name", s.name.clone()));
        if let Some(v) = &s.version {
            c.properties.push(prop("zoll:source:version", v.clone()));
        }
    }
    c
}

fn distro(d: &Distro) -> Component {
    let mut c = Component::new("operating-system", d.id.clone());
    c.bom_ref = Some(match &d.version_id {
        Some(v) => format!("os:{}@{v}", d.id),
        None => format!("os:{}", d.id),
    });
    c.version = d.version_id.clone();
    c.description = d.pretty_name.clone();
    c.properties.push(prop("zoll:distro:id", d.id.clone()));
    if let Some(v) = &d.version_id {
        c.properties.push(prop("zoll:distro:versionID", v.clone()));
    }
    if let Some(v) = &d.version_codename {
        c.properties
            .push(prop("zoll:distro:versionCodename", v.clone()));
    }
    if let Some(v) = &d.pretty_name {
        c.properties.push(prop("zoll:distro:prettyName", v.clone()));
    }
    for like in &d.id_like {
        c.properties.push(prop("zoll:distro:idLike", like.clone()));
    }
    if d.distroless {
        c.properties.push(prop("zoll:distro:distroless", "true"));
    }
    c
}

/// The `licenses` array for a package's licence strings (see the module docs for the rules).
pub fn licenses(raw: &[String]) -> Vec<LicenseChoice> {
    let mut parsed: Vec<License> = vec![];
    for s in raw {
        let l = License::parse(s);
        if !l.as_str().is_empty() && !parsed.contains(&l) {
            parsed.push(l);
        }
    }
    let has_name = parsed.iter().any(|l| matches!(l, License::Name(_)));
    let has_expr = parsed.iter().any(|l| matches!(l, License::Expression(_)));
    if has_expr && !has_name {
        let parts: Vec<String> = parsed
            .iter()
            .map(|l| match l {
                License::Expression(e) if parsed.len() > 1 => format!("({e})"),
                other => other.as_str().to_owned(),
            })
            .collect();
        return vec![LicenseChoice::Expression {
            expression: parts.join(" AND "),
        }];
    }
    parsed
        .into_iter()
        .map(|l| {
            let license = match l {
                License::Id(id) => LicenseObject {
                    id: Some(id.to_owned()),
                    name: None,
                },
                License::Expression(e) | License::Name(e) => LicenseObject {
                    id: None,
                    name: Some(e),
                },
            };
            LicenseChoice::License { license }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn licence_choices() {
        let id = |s: &str| LicenseChoice::License {
            license: LicenseObject {
                id: Some(s.into()),
                name: None,
            },
        };
        let name = |s: &str| LicenseChoice::License {
            license: LicenseObject {
                id: None,
                name: Some(s.into()),
            },
        };
        let expr = |s: &str| LicenseChoice::Expression {
            expression: s.into(),
        };
        assert_eq!(
            licenses(&strings(&["MIT", "mit", "Apache 2.0"])),
            vec![id("MIT"), id("Apache-2.0")]
        );
        assert_eq!(
            licenses(&strings(&["MIT OR Apache-2.0"])),
            vec![expr("MIT OR Apache-2.0")]
        );
        assert_eq!(
            licenses(&strings(&["MIT OR Apache-2.0", "Zlib"])),
            vec![expr("(MIT OR Apache-2.0) AND Zlib")]
        );
        assert_eq!(
            licenses(&strings(&["MIT OR Apache-2.0", "BSD", "ISC"])),
            vec![name("MIT OR Apache-2.0"), name("BSD"), id("ISC")]
        );
        assert_eq!(licenses(&strings(&["", "  "])), vec![]);
    }
}
