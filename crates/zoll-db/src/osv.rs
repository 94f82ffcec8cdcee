//! The OSV record, as far as zoll reads it (schema 1.7). Unknown fields are ignored, so newer
//! minor versions of the schema import; fields zoll does not use are not modelled.

use serde::{Deserialize, Serialize};

/// One OSV record as published.
#[derive(Clone, Debug, Deserialize)]
pub struct Osv {
    pub id: String,
    #[serde(default)]
    pub modified: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub upstream: Vec<String>,
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    #[serde(default)]
    pub affected: Vec<OsvAffected>,
    #[serde(default)]
    pub references: Vec<OsvReference>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvAffected {
    #[serde(default)]
    pub package: Option<OsvPackage>,
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    #[serde(default)]
    pub ranges: Vec<OsvRange>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvPackage {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One range event. Exactly one field is set in a valid record; zoll keeps the first set one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvReference {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

/// How zoll stores one `affected` entry for matching: only what range evaluation needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct AffectedData {
    /// ECOSYSTEM and SEMVER ranges; GIT ranges are dropped at import (zoll has no commits to
    /// compare).
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "r")]
    pub ranges: Vec<StoredRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "v")]
    pub versions: Vec<String>,
    /// The ecosystem's own severity for this package (`ecosystem_specific.severity`, Debian
    /// `urgency`, Ubuntu priority), if any.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "s")]
    pub severity: Option<String>,
    /// CVSS vectors given for this package only (`affected[].severity`).
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "c")]
    pub cvss: Vec<OsvSeverity>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum RangeKind {
    #[serde(rename = "E")]
    Ecosystem,
    #[serde(rename = "S")]
    Semver,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct StoredRange {
    #[serde(rename = "t")]
    pub kind: RangeKind,
    #[serde(rename = "e")]
    pub events: Vec<Event>,
}

/// How zoll stores a record's descriptive part, fetched only for records that matched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct AdvisoryBody {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<OsvSeverity>,
    /// `database_specific.severity` (GHSA's `MODERATE`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_severity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// Normalise a package name the way its ecosystem compares names, so that the index and the
/// lookup agree: PEP 503 for PyPI; case-insensitive ids for NuGet, Packagist and Hex (lowercased);
/// exact for everything else (Go module paths, Maven `group:artifact`, npm, crates.io, distros).
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    match base {
        "PyPI" => pep503(name),
        "NuGet" | "Packagist" | "Hex" | "Pub" => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    }
}

/// PEP 503: lowercase, and every run of `-`, `_` and `.` becomes one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn ecosystem_severity(v: &Option<serde_json::Value>) -> Option<String> {
    let obj = v.as_ref()?.as_object()?;
    for key in ["severity", "urgency", "ubuntu_priority", "priority"] {
        if let Some(s) = obj.get(key).and_then(|s| s.as_str())
            && !s.trim().is_empty()
        {
            return Some(s.trim().to_owned());
        }
    }
    None
}

impl Osv {
    /// The stored forms: the body, and one `(ecosystem, normalised name, data)` per affected
    /// package. Withdrawn records keep their body (so a withdrawal replaces an older copy) and
    /// lose every affected entry.
    pub fn split(self) -> (AdvisoryBody, Vec<(String, String, AffectedData)>) {
        let mut affected = Vec::new();
        if self.withdrawn.is_none() {
            for a in &self.affected {
                let Some(pkg) = &a.package else { continue };
                if pkg.ecosystem.is_empty() || pkg.name.is_empty() {
                    continue;
                }
                let ranges = a
                    .ranges
                    .iter()
                    .filter_map(|r| {
                        let kind = match r.kind.as_str() {
                            "ECOSYSTEM" => RangeKind::Ecosystem,
                            "SEMVER" => RangeKind::Semver,
                            _ => return None,
                        };
                        Some(StoredRange {
                            kind,
                            events: r.events.clone(),
                        })
                    })
                    .collect::<Vec<_>>();
                if ranges.is_empty() && a.versions.is_empty() {
                    continue;
                }
                let data = AffectedData {
                    ranges,
                    versions: a.versions.clone(),
                    severity: ecosystem_severity(&a.ecosystem_specific)
                        .or_else(|| ecosystem_severity(&a.database_specific)),
                    cvss: a.severity.clone(),
                };
                affected.push((
                    pkg.ecosystem.clone(),
                    normalize_name(&pkg.ecosystem, &pkg.name),
                    data,
                ));
            }
        }
        let body = AdvisoryBody {
            id: self.id,
            modified: self.modified,
            published: self.published,
            aliases: self.aliases,
            upstream: self.upstream,
            summary: self.summary.filter(|s| !s.trim().is_empty()),
            details: self.details.filter(|s| !s.trim().is_empty()),
            severity: self.severity,
            database_severity: ecosystem_severity(&self.database_specific),
            references: self
                .references
                .into_iter()
                .map(|r| r.url)
                .filter(|u| !u.is_empty())
                .collect(),
        };
        (body, affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_names() {
        assert_eq!(pep503("Jinja2"), "jinja2");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
    }

    #[test]
    fn split_drops_git_ranges_and_withdrawn() {
        let rec: Osv = serde_json::from_str(
            r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],
            "database_specific":{"severity":"MODERATE"},
            "affected":[
              {"package":{"ecosystem":"PyPI","name":"Py_Yaml"},"ranges":[
                {"type":"GIT","repo":"r","events":[{"introduced":"0"}]},
                {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.4"}]}]},
              {"package":{"ecosystem":"GIT","name":"x"},"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}
            ]}"#,
        )
        .unwrap();
        let (body, aff) = rec.clone().split();
        assert_eq!(body.database_severity.as_deref(), Some("MODERATE"));
        assert_eq!(aff.len(), 1);
        assert_eq!(aff[0].1, "py-yaml");
        assert_eq!(aff[0].2.ranges.len(), 1);
        let mut w = rec;
        w.withdrawn = Some("2024-02-02T00:00:00Z".into());
        assert!(w.split().1.is_empty());
    }
}
