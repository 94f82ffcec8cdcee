//! CycloneDX 1.6 JSON with `vulnerabilities`: the SBOM's BOM (built by [`crate::cyclonedx`], so
//! components and their `bom-ref`s are exactly those of `zoll sbom -f cyclonedx-json`) plus one
//! vulnerability per finding, counted or suppressed.
//!
//! - `serialNumber` is a UUID v5 of the whole report in output order (not just the SBOM), so the
//!   vulnerability BOM never shares a serial number with the SBOM's, and rendering the same report
//!   twice gives the same BOM.
//! - One `vulnerabilities[]` entry per finding, not per id: a suppression (and so `analysis`)
//!   belongs to one vulnerability in one package. `bom-ref` is `ID/COMPONENT-BOM-REF`.
//! - `source` comes from the id's prefix ([`super::advisory_source`]): CVE → NVD, GHSA → GitHub
//!   Advisories, any other OSV id → its page on osv.dev. `references` lists every other advisory
//!   id and alias with its own source.
//! - `ratings`: one per CVSS rating (score, severity, vector, method `CVSSv2`, `CVSSv3`, `CVSSv31`
//!   or `CVSSv4`), the one the severity came from first; when the severity is an ecosystem's own
//!   rating, a first rating with method `other`, that severity and the ecosystem as `source`, and
//!   no score.
//! - `description` is the summary, `detail` the details, `recommendation` `Upgrade NAME to
//!   VERSION` (the lowest fixed version; others are listed after it), `advisories` the references
//!   that are URLs, `published`/`updated` the advisory's timestamps in UTC (left out when they do
//!   not parse as RFC 3339).
//! - `affects`: the component's `bom-ref` with the installed version, status `affected` (a VEX
//!   suppression states the package is not affected or fixed: status `unaffected` then). A finding
//!   about a package the SBOM does not hold gets a component of its own (`bom-ref` = its purl).
//! - Suppressed findings carry `analysis`: a VEX `fixed` is state `resolved`, anything else VEX
//!   says (`not_affected`); an ignore-file entry is accepted risk, not a claim of safety, so it is
//!   state `exploitable` with response `will_not_fix`. An OpenVEX justification
//!   maps onto CycloneDX's enum (`component_not_present` and `vulnerable_code_not_present` →
//!   `code_not_present`, `vulnerable_code_not_in_execute_path` → `code_not_reachable`,
//!   `vulnerable_code_cannot_be_controlled_by_adversary` → `requires_environment`,
//!   `inline_mitigations_already_exist` → `protected_by_mitigating_control`; CycloneDX's own words
//!   pass through); anything else stays only in `detail`, which quotes the VEX statement or the
//!   ignore-file reason.
//! - `properties`: `zoll:finding:severitySource` (`cvss:3.1`, `ecosystem:debian`, `none`),
//!   `zoll:finding:ecosystem`, `zoll:finding:fixedVersion` (one per version) and, for suppressed
//!   findings, `zoll:suppression:by` (`vex` or `ignore-file`), `zoll:suppression:document` or
//!   `zoll:suppression:file`, `zoll:suppression:expires`.

use std::collections::HashSet;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use zoll_core::{Cvss, Finding, Severity, SeveritySource, Suppression, VulnReport};

use super::{PackageIndex, ScanFormat, advisory_source, chosen_cvss, sorted_findings};
use crate::common::{sorted_packages, timestamp};
use crate::cyclonedx::{Bom, Component, Property, package_refs, prop};
use crate::{Error, RenderOptions};

/// A CycloneDX BOM with vulnerabilities.
#[derive(Debug, Serialize)]
pub struct VulnBom {
    #[serde(flatten)]
    pub bom: Bom,
    pub vulnerabilities: Vec<Vulnerability>,
}

/// `vulnerabilities[]`.
#[derive(Debug, Serialize)]
pub struct Vulnerability {
    #[serde(rename = "bom-ref")]
    pub bom_ref: String,
    pub id: String,
    pub source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
    pub affects: Vec<Affects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// `source`: who published an advisory.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `references[]`: the same vulnerability under another id.
#[derive(Debug, Serialize)]
pub struct Reference {
    pub id: String,
    pub source: Source,
}

/// `ratings[]`.
#[derive(Debug, Serialize)]
pub struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub severity: Severity,
    pub method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

/// `advisories[]`.
#[derive(Debug, Serialize)]
pub struct Advisory {
    pub url: String,
}

/// `analysis`.
#[derive(Debug, Serialize)]
pub struct Analysis {
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<&'static str>,
    /// For accepted risk (the ignore file): `will_not_fix`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<&'static str>,
    pub detail: String,
}

/// `affects[]`.
#[derive(Debug, Serialize)]
pub struct Affects {
    #[serde(rename = "ref")]
    pub bom_ref: String,
    pub versions: Vec<AffectedVersion>,
}

/// `affects[].versions[]`.
#[derive(Debug, Serialize)]
pub struct AffectedVersion {
    pub version: String,
    pub status: &'static str,
}

/// Build the BOM for `report`.
pub fn document(report: &VulnReport, opts: &RenderOptions) -> Result<VulnBom, Error> {
    let sbom = &report.sbom;
    let mut bom = crate::cyclonedx::document(sbom, opts)?;
    bom.serial_number = format!("urn:uuid:{}", report_uuid(report, opts)?);

    let pkgs = sorted_packages(sbom);
    let refs: Vec<String> = package_refs(sbom).into_iter().map(|(_, r)| r).collect();
    let mut used_refs: HashSet<String> = bom
        .components
        .iter()
        .filter_map(|c| c.bom_ref.clone())
        .collect();
    let mut extra: Vec<(String, String)> = vec![]; // (purl + locations key, bom-ref)
    let mut vuln_refs: HashSet<String> = HashSet::new();
    let mut vulnerabilities = vec![];

    let counted = sorted_findings(&report.findings);
    let suppressed = sorted_findings(&report.suppressed);
    let index = PackageIndex::new(&pkgs);
    for f in counted.into_iter().chain(suppressed) {
        let component_ref = match index.find(&f.package).and_then(|i| refs.get(i)) {
            Some(r) => r.clone(),
            None => {
                let key = format!("{}\0{}", f.package.purl, f.package.locations.join("\0"));
                match extra.iter().find(|(k, _)| *k == key) {
                    Some((_, r)) => r.clone(),
                    None => {
                        let r = unique(f.package.purl.to_string(), &mut used_refs);
                        bom.components.push(orphan_component(f, r.clone()));
                        extra.push((key, r.clone()));
                        r
                    }
                }
            }
        };
        let bom_ref = unique(format!("{}/{component_ref}", f.id), &mut vuln_refs);
        vulnerabilities.push(vulnerability(f, bom_ref, component_ref));
    }
    // Secrets, malware and misconfigurations affect the image itself.
    let image_ref = bom.metadata.component.bom_ref.clone().unwrap_or_default();
    for c in super::checks::sorted_checks(&report.checks) {
        let bom_ref = unique(format!("{}/{}", c.rule, c.location.path), &mut vuln_refs);
        vulnerabilities.push(check_vulnerability(c, bom_ref, image_ref.clone()));
    }
    Ok(VulnBom {
        bom,
        vulnerabilities,
    })
}

/// A check finding as a `vulnerabilities[]` entry whose source is zoll (see [`super::checks`]).
fn check_vulnerability(
    c: &zoll_core::CheckFinding,
    bom_ref: String,
    image_ref: String,
) -> Vulnerability {
    let l = &c.location;
    let mut properties = vec![
        prop("zoll:check:scanner", c.scanner.as_str()),
        prop("zoll:check:path", l.path.clone()),
    ];
    if let Some(d) = &l.layer {
        properties.push(prop("zoll:check:layer", d.to_string()));
    }
    if let Some(n) = l.line {
        properties.push(prop("zoll:check:line", n.to_string()));
    }
    if let Some(o) = &l.object {
        properties.push(prop("zoll:check:object", o.clone()));
    }
    if let Some(e) = &c.evidence {
        properties.push(prop("zoll:check:evidence", e.clone()));
    }
    Vulnerability {
        bom_ref,
        id: c.rule.clone(),
        source: Source {
            name: "zoll".to_owned(),
            url: c.references.first().cloned(),
        },
        references: c
            .aliases
            .iter()
            .map(|a| Reference {
                id: a.clone(),
                source: Source {
                    name: "zoll".to_owned(),
                    url: None,
                },
            })
            .collect(),
        ratings: vec![Rating {
            source: None,
            score: None,
            severity: c.severity,
            method: "other",
            vector: None,
        }],
        description: Some(c.title.clone()),
        detail: None,
        recommendation: c.remediation.clone(),
        advisories: Vec::new(),
        published: None,
        updated: None,
        analysis: None,
        affects: vec![Affects {
            bom_ref: image_ref,
            versions: Vec::new(),
        }],
        properties,
    }
}

/// `base`, or `base-2`, `base-3`, ... when taken; recorded as taken.
fn unique(base: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = base.clone();
    let mut n = 1;
    while taken.contains(&candidate) {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    taken.insert(candidate.clone());
    candidate
}

/// A component for a package only a finding names.
fn orphan_component(f: &Finding, bom_ref: String) -> Component {
    let p = &f.package;
    let mut c = Component::new("library", p.name.clone());
    c.bom_ref = Some(bom_ref);
    c.version = Some(p.version.clone()).filter(|v| !v.is_empty());
    c.purl = Some(p.purl.to_string());
    c.properties
        .push(prop("zoll:package:type", p.kind.as_str()));
    if let Some(l) = &p.layer {
        c.properties.push(prop("zoll:package:layer", l.to_string()));
    }
    for (i, loc) in p.locations.iter().enumerate() {
        c.properties
            .push(prop(format!("zoll:location:{i}"), loc.clone()));
    }
    c
}

/// UUID v5 of the report's content (in output order, so the order the matcher and the catalogers
/// produced does not change it), the format and the tool version. The clock is left out.
fn report_uuid(report: &VulnReport, opts: &RenderOptions) -> Result<Uuid, Error> {
    let format = ScanFormat::CycloneDxJson;
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:zoll:scan");
    let canonical = (
        super::json::document(report, opts),
        sorted_packages(&report.sbom),
    );
    let content = serde_json::to_vec(&canonical)
        .map_err(|source| Error::SerializeReport { format, source })?;
    let mut h = Sha256::new();
    h.update(format.as_str().as_bytes());
    h.update([0]);
    h.update(&content);
    Ok(Uuid::new_v5(&namespace, &h.finalize()))
}

fn source(id: &str) -> Source {
    let (name, url) = advisory_source(id);
    Source {
        name: name.to_owned(),
        url: Some(url),
    }
}

/// The CycloneDX `method` of a CVSS version.
pub fn cvss_method(version: &str) -> &'static str {
    match version {
        "2" | "2.0" => "CVSSv2",
        "3" | "3.0" => "CVSSv3",
        "3.1" => "CVSSv31",
        "4" | "4.0" => "CVSSv4",
        _ => "other",
    }
}

fn cvss_rating(c: &Cvss) -> Rating {
    Rating {
        source: None,
        score: Some(c.score),
        severity: c.severity,
        method: cvss_method(&c.version),
        vector: Some(c.vector.clone()),
    }
}

fn ratings(f: &Finding) -> Vec<Rating> {
    let mut out = vec![];
    if let SeveritySource::Ecosystem(name) = &f.severity_source {
        out.push(Rating {
            source: Some(Source {
                name: name.clone(),
                url: None,
            }),
            score: None,
            severity: f.severity,
            method: "other",
            vector: None,
        });
    }
    let chosen = chosen_cvss(f);
    if let Some(c) = chosen {
        out.push(cvss_rating(c));
    }
    for c in &f.cvss {
        if chosen.is_none_or(|ch| !std::ptr::eq(ch, c)) {
            out.push(cvss_rating(c));
        }
    }
    out
}

/// An OpenVEX justification (or a CycloneDX one) as CycloneDX's `impactAnalysisJustification`.
pub fn justification(vex: &str) -> Option<&'static str> {
    const CYCLONEDX: [&str; 9] = [
        "code_not_present",
        "code_not_reachable",
        "requires_configuration",
        "requires_dependency",
        "requires_environment",
        "protected_by_compiler",
        "protected_at_runtime",
        "protected_at_perimeter",
        "protected_by_mitigating_control",
    ];
    let v = vex.trim();
    match v {
        "component_not_present" | "vulnerable_code_not_present" => Some("code_not_present"),
        "vulnerable_code_not_in_execute_path" => Some("code_not_reachable"),
        "vulnerable_code_cannot_be_controlled_by_adversary" => Some("requires_environment"),
        "inline_mitigations_already_exist" => Some("protected_by_mitigating_control"),
        _ => CYCLONEDX.into_iter().find(|c| *c == v),
    }
}

fn analysis(s: &Suppression) -> Analysis {
    match s {
        Suppression::Vex {
            document,
            status,
            justification: j,
            statement,
        } => {
            let mut detail = format!("VEX document {document}: {status}");
            if let Some(j) = j {
                detail.push_str(&format!(" ({j})"));
            }
            if let Some(st) = statement {
                detail.push_str(&format!(": {st}"));
            }
            Analysis {
                state: if status == "fixed" {
                    "resolved"
                } else {
                    "not_affected"
                },
                justification: j.as_deref().and_then(justification),
                response: vec![],
                detail,
            }
        }
        Suppression::IgnoreFile {
            file,
            reason,
            expires,
            ..
        } => {
            let mut detail = format!("Ignored by {file}: {reason}");
            if let Some(e) = expires {
                detail.push_str(&format!(" (until {e})"));
            }
            // An ignore entry accepts a risk; it does not claim the package is unaffected.
            Analysis {
                state: "exploitable",
                justification: None,
                response: vec!["will_not_fix"],
                detail,
            }
        }
    }
}

/// An advisory timestamp as `YYYY-MM-DDThh:mm:ssZ`, when it is RFC 3339.
fn normalise_time(s: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
    timestamp(t).ok()
}

fn vulnerability(f: &Finding, bom_ref: String, component_ref: String) -> Vulnerability {
    let p = &f.package;
    let mut others: Vec<&String> = f
        .advisories
        .iter()
        .chain(&f.aliases)
        .filter(|a| **a != f.id)
        .collect();
    others.sort();
    others.dedup();
    let recommendation = f.fixed_versions.split_first().map(|(first, rest)| {
        let mut r = format!("Upgrade {} to {first}", p.name);
        if !rest.is_empty() {
            r.push_str(&format!(" (also fixed in {})", rest.join(", ")));
        }
        r
    });
    let mut properties = vec![
        prop(
            "zoll:finding:severitySource",
            match &f.severity_source {
                SeveritySource::Cvss(v) => format!("cvss:{v}"),
                SeveritySource::Ecosystem(e) => format!("ecosystem:{e}"),
                SeveritySource::None => "none".to_owned(),
            },
        ),
        prop("zoll:finding:ecosystem", p.ecosystem.clone()),
    ];
    for v in &f.fixed_versions {
        properties.push(prop("zoll:finding:fixedVersion", v.clone()));
    }
    let vex = matches!(f.suppressed, Some(Suppression::Vex { .. }));
    match &f.suppressed {
        Some(Suppression::Vex { document, .. }) => {
            properties.push(prop("zoll:suppression:by", "vex"));
            properties.push(prop("zoll:suppression:document", document.clone()));
        }
        Some(Suppression::IgnoreFile { file, expires, .. }) => {
            properties.push(prop("zoll:suppression:by", "ignore-file"));
            properties.push(prop("zoll:suppression:file", file.clone()));
            if let Some(e) = expires {
                properties.push(prop("zoll:suppression:expires", e.clone()));
            }
        }
        None => {}
    }
    Vulnerability {
        bom_ref,
        id: f.id.clone(),
        source: source(&f.id),
        references: others
            .into_iter()
            .map(|id| Reference {
                id: id.clone(),
                source: source(id),
            })
            .collect(),
        ratings: ratings(f),
        description: f.summary.clone().filter(|s| !s.trim().is_empty()),
        detail: f.details.clone().filter(|s| !s.trim().is_empty()),
        recommendation,
        advisories: f
            .references
            .iter()
            .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
            .map(|r| Advisory { url: r.clone() })
            .collect(),
        published: f.published.as_deref().and_then(normalise_time),
        updated: f.modified.as_deref().and_then(normalise_time),
        analysis: f.suppressed.as_ref().map(analysis),
        affects: vec![Affects {
            bom_ref: component_ref,
            versions: vec![AffectedVersion {
                version: p.version.clone(),
                status: if vex { "unaffected" } else { "affected" },
            }],
        }],
        properties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_methods() {
        assert_eq!(cvss_method("2.0"), "CVSSv2");
        assert_eq!(cvss_method("3.0"), "CVSSv3");
        assert_eq!(cvss_method("3.1"), "CVSSv31");
        assert_eq!(cvss_method("4.0"), "CVSSv4");
        assert_eq!(cvss_method("5.0"), "other");
    }

    #[test]
    fn vex_justifications_map_onto_cyclonedx() {
        assert_eq!(
            justification("component_not_present"),
            Some("code_not_present")
        );
        assert_eq!(
            justification("vulnerable_code_not_in_execute_path"),
            Some("code_not_reachable")
        );
        assert_eq!(
            justification("inline_mitigations_already_exist"),
            Some("protected_by_mitigating_control")
        );
        assert_eq!(
            justification("protected_at_runtime"),
            Some("protected_at_runtime")
        );
        assert_eq!(justification("because we said so"), None);
    }

    #[test]
    fn timestamps_are_normalised_or_dropped() {
        assert_eq!(
            normalise_time("2024-09-25T13:47:30.123456Z").as_deref(),
            Some("2024-09-25T13:47:30Z")
        );
        assert_eq!(
            normalise_time("2018-10-09T02:29:00+02:00").as_deref(),
            Some("2018-10-09T00:29:00Z")
        );
        assert_eq!(normalise_time("2018-10-09"), None);
    }

    #[test]
    fn unique_refs() {
        let mut taken = HashSet::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a-2");
        assert_eq!(unique("a".into(), &mut taken), "a-3");
    }
}
