//! SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.
//!
//! - One run. `tool.driver` is `zoll` with its version and `informationUri` (the repository in
//!   the workspace manifest).
//! - `rules`: one per distinct vulnerability id among the findings and the suppressed findings,
//!   sorted by id. `shortDescription` is the advisory summary (else the id), `fullDescription` the
//!   details cut to 1000 characters (else the summary), `helpUri` the first reference (else the
//!   advisory's page, see [`super::advisory_source`]), `help` the details and every reference.
//!   `properties.security-severity` is the score as a string, as GitHub expects: the highest base
//!   score of the CVSS ratings the findings' severities came from; when the severity is an
//!   ecosystem's rating, the middle of that severity's CVSS band (critical 9.5, high 8.0, medium
//!   5.5, low 2.0, none 0.0), and left out for unknown severity. `properties.tags` is
//!   `["security", "vulnerability", SEVERITY]`. When findings of one id differ in severity, the
//!   rule carries the most severe.
//! - `results`: one per finding (in [`super::sorted_findings`] order), then one per suppressed
//!   finding. `level` is `error` for critical and high, `warning` for medium, `note` for low, none
//!   and unknown. The message reads `requests 2.19.1 (pkg:pypi/requests@2.19.1) is affected by
//!   CVE-2018-18074; fixed in 2.20.0` (or `; no fix available`).
//! - A result's `physicalLocation` is the package's first location inside the image, without the
//!   leading `/` (so a viewer resolves it against the image root) and percent-encoded as a URI
//!   reference; a package without a location gets its purl. `logicalLocations` name the package
//!   by purl (`fullyQualifiedName`, kind `module`).
//! - `partialFingerprints.zollFinding/v1` is the SHA-256 of the id and the purl, so a dashboard
//!   tracks one finding across scans even when its location or severity changes.
//! - A suppressed finding is a result with `suppressions: [{kind: "external", status: "accepted",
//!   justification}]`: the VEX statement or the ignore-file entry that suppressed it.
//! - The report's warnings become `invocations[0].toolExecutionNotifications` (level `warning`).
//! - Secrets, malware and misconfigurations ([`super::checks`]) follow: one rule per check id
//!   (after the vulnerability rules, sorted by id; tags `security`, the scanner, the severity),
//!   one result per check with the path (and `region.startLine` when the input has lines) and,
//!   for Kubernetes objects, a logical location; `partialFingerprints.zollCheck/v1` hashes rule,
//!   path, object and line; `properties.scanner` and `properties.evidence` (redacted) tell what
//!   was seen.
//! - Per-result `properties` carry what SARIF has no field for: severity, fixed versions, the
//!   advisories that matched, the package type and layer.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use zoll_core::{CheckFinding, Finding, Severity, VulnReport};

use super::{advisory_source, chosen_cvss, sorted_findings, suppression_text, truncate_chars};
use crate::RenderOptions;

/// The SARIF version written.
pub const VERSION: &str = "2.1.0";
/// The `$schema` written.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// `fullDescription` is cut to this many characters.
const FULL_DESCRIPTION_MAX: usize = 1000;

/// A SARIF log (the subset zoll writes).
#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

/// `runs[]`.
#[derive(Debug, Serialize)]
pub struct Run {
    pub tool: Tool,
    pub invocations: Vec<Invocation>,
    pub results: Vec<ResultObject>,
    pub properties: RunProperties,
}

/// `run.tool`.
#[derive(Debug, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

/// `tool.driver`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: String,
    pub semantic_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<&'static str>,
    pub rules: Vec<Rule>,
}

/// `driver.rules[]`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub short_description: Message,
    pub full_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    pub help: Help,
    pub properties: RuleProperties,
}

/// `rule.help`.
#[derive(Debug, Serialize)]
pub struct Help {
    pub text: String,
    pub markdown: String,
}

/// `rule.properties`.
#[derive(Debug, Serialize)]
pub struct RuleProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<String>,
    pub tags: Vec<String>,
}

/// A message: `{text}`.
#[derive(Debug, Serialize)]
pub struct Message {
    pub text: String,
}

/// `results[]`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultObject {
    pub rule_id: String,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Message,
    pub locations: Vec<Location>,
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionObject>,
    pub properties: ResultProperties,
}

/// `result.locations[]`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
    pub logical_locations: Vec<LogicalLocation>,
}

/// `location.physicalLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// `physicalLocation.region`: the lines of a check finding in a file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
}

/// `physicalLocation.artifactLocation`.
#[derive(Debug, Serialize)]
pub struct ArtifactLocation {
    pub uri: String,
}

/// `location.logicalLocations[]`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    pub name: String,
    pub fully_qualified_name: String,
    pub kind: &'static str,
}

/// `result.suppressions[]`.
#[derive(Debug, Serialize)]
pub struct SuppressionObject {
    pub kind: &'static str,
    pub status: &'static str,
    pub justification: String,
}

/// `result.properties`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultProperties {
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_versions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// For check findings: `secret`, `malware` or `config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner: Option<zoll_core::Scanner>,
    /// For check findings: what was seen (secrets redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// `run.invocations[]`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_execution_notifications: Vec<Notification>,
}

/// `invocation.toolExecutionNotifications[]`.
#[derive(Debug, Serialize)]
pub struct Notification {
    pub level: &'static str,
    pub message: Message,
}

/// `run.properties`: what was scanned, against which database.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    pub database_built_at: String,
}

/// The SARIF `level` of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::None | Severity::Unknown => "note",
    }
}

/// `security-severity` for a severity without a CVSS score: the middle of its CVSS band.
fn band_score(severity: Severity) -> Option<f64> {
    match severity {
        Severity::Critical => Some(9.5),
        Severity::High => Some(8.0),
        Severity::Medium => Some(5.5),
        Severity::Low => Some(2.0),
        Severity::None => Some(0.0),
        Severity::Unknown => None,
    }
}

/// Build the SARIF log for `report`.
pub fn document(report: &VulnReport, opts: &RenderOptions) -> Log {
    let counted = sorted_findings(&report.findings);
    let suppressed = sorted_findings(&report.suppressed);
    let all: Vec<&Finding> = counted.iter().chain(&suppressed).copied().collect();

    // Distinct ids, sorted, each with the findings that carry it (most severe first).
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &all {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let rule_index: BTreeMap<&str, usize> =
        by_id.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut rules: Vec<Rule> = by_id.iter().map(|(id, fs)| rule(id, fs)).collect();
    let mut results: Vec<ResultObject> = all
        .iter()
        .map(|f| result(f, rule_index.get(f.id.as_str()).copied().unwrap_or(0)))
        .collect();
    // Check findings: their rules after the vulnerability rules, sorted by id.
    let checks = super::checks::sorted_checks(&report.checks);
    let mut check_rules: BTreeMap<&str, &CheckFinding> = BTreeMap::new();
    for c in &checks {
        let e = check_rules.entry(c.rule.as_str()).or_insert(c);
        if c.severity > e.severity {
            *e = c;
        }
    }
    let offset = rules.len();
    let check_index: BTreeMap<&str, usize> = check_rules
        .keys()
        .enumerate()
        .map(|(i, id)| (*id, offset + i))
        .collect();
    rules.extend(check_rules.values().map(|c| check_rule(c)));
    results.extend(
        checks
            .iter()
            .map(|c| check_result(c, check_index.get(c.rule.as_str()).copied().unwrap_or(0))),
    );

    let t = &report.sbom.target;
    Log {
        schema: SCHEMA,
        version: VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "zoll",
                    version: opts.tool_version.clone(),
                    semantic_version: opts.tool_version.clone(),
                    information_uri: Some(env!("CARGO_PKG_REPOSITORY"))
                        .filter(|u| u.starts_with("https://")),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: report
                    .warnings
                    .iter()
                    .map(|w| Notification {
                        level: "warning",
                        message: Message { text: w.clone() },
                    })
                    .collect(),
            }],
            results,
            properties: RunProperties {
                target: t.input.clone(),
                image_digest: crate::common::image_digest(t).map(ToString::to_string),
                database_built_at: report.db.built_at.clone(),
            },
        }],
    }
}

fn rule(id: &str, findings: &[&Finding]) -> Rule {
    let first_some = |get: fn(&Finding) -> Option<&String>| {
        findings
            .iter()
            .find_map(|f| get(f).filter(|s| !s.trim().is_empty()))
            .cloned()
    };
    let summary = first_some(|f| f.summary.as_ref());
    let details = first_some(|f| f.details.as_ref());
    let references: Vec<&String> = {
        let mut refs: Vec<&String> = vec![];
        for r in findings.iter().flat_map(|f| &f.references) {
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
        refs
    };
    let severity = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or_default();
    let score = findings
        .iter()
        .filter_map(|f| chosen_cvss(f).map(|c| c.score))
        .reduce(f64::max)
        .or_else(|| band_score(severity));
    let short = summary.clone().unwrap_or_else(|| id.to_owned());
    let full = details
        .clone()
        .or_else(|| summary.clone())
        .unwrap_or_else(|| id.to_owned());
    let help_uri = references
        .first()
        .map_or_else(|| advisory_source(id).1, |r| (*r).clone());

    let mut text = format!("{id}: {short}");
    let mut markdown = format!("**{id}**: {short}");
    if let Some(d) = &details {
        text.push_str(&format!("\n\n{d}"));
        markdown.push_str(&format!("\n\n{d}"));
    }
    if !references.is_empty() {
        text.push_str("\n\nReferences:");
        markdown.push_str("\n\n**References**");
        for r in &references {
            text.push_str(&format!("\n- {r}"));
            markdown.push_str(&format!("\n- <{r}>"));
        }
    }
    Rule {
        id: id.to_owned(),
        short_description: Message { text: short },
        full_description: Message {
            text: truncate_chars(&full, FULL_DESCRIPTION_MAX),
        },
        help_uri: Some(help_uri),
        help: Help { text, markdown },
        properties: RuleProperties {
            security_severity: score.map(|s| format!("{s:.1}")),
            tags: vec![
                "security".to_owned(),
                "vulnerability".to_owned(),
                severity.as_str().to_owned(),
            ],
        },
    }
}

fn result(f: &Finding, rule_index: usize) -> ResultObject {
    let p = &f.package;
    let purl = p.purl.to_string();
    let fix = if f.fixed_versions.is_empty() {
        "no fix available".to_owned()
    } else {
        format!("fixed in {}", f.fixed_versions.join(", "))
    };
    let uri = p
        .locations
        .first()
        .map(|l| l.trim_start_matches('/'))
        .filter(|l| !l.is_empty())
        .map_or_else(|| purl.clone(), uri_reference);
    let mut h = Sha256::new();
    h.update(f.id.as_bytes());
    h.update([0]);
    h.update(purl.as_bytes());
    ResultObject {
        rule_id: f.id.clone(),
        rule_index,
        level: level(f.severity),
        message: Message {
            text: format!(
                "{} {} ({purl}) is affected by {}; {fix}",
                p.name, p.version, f.id
            ),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: None,
            },
            logical_locations: vec![LogicalLocation {
                name: p.name.clone(),
                fully_qualified_name: purl,
                kind: "module",
            }],
        }],
        partial_fingerprints: BTreeMap::from([("zollFinding/v1", hex::encode(h.finalize()))]),
        suppressions: f
            .suppressed
            .iter()
            .map(|s| SuppressionObject {
                kind: "external",
                status: "accepted",
                justification: suppression_text(s),
            })
            .collect(),
        properties: ResultProperties {
            severity: f.severity,
            fixed_versions: Some(f.fixed_versions.clone()),
            advisories: Some(f.advisories.clone()),
            package_type: Some(p.kind.as_str()),
            layer: p.layer.as_ref().map(ToString::to_string),
            scanner: None,
            evidence: None,
        },
    }
}

fn check_rule(c: &CheckFinding) -> Rule {
    let help_uri = c.references.first().cloned();
    let mut text = c.title.clone();
    if let Some(r) = &c.remediation {
        text.push_str(&format!("\n\nFix: {r}"));
    }
    Rule {
        id: c.rule.clone(),
        short_description: Message {
            text: c.title.clone(),
        },
        full_description: Message {
            text: c.title.clone(),
        },
        help_uri,
        help: Help {
            markdown: text.clone(),
            text,
        },
        properties: RuleProperties {
            security_severity: band_score(c.severity).map(|s| format!("{s:.1}")),
            tags: vec![
                "security".to_owned(),
                c.scanner.as_str().to_owned(),
                c.severity.as_str().to_owned(),
            ],
        },
    }
}

fn check_result(c: &CheckFinding, rule_index: usize) -> ResultObject {
    let l = &c.location;
    let uri = uri_reference(l.path.trim_start_matches('/'));
    let mut h = Sha256::new();
    for part in [
        c.rule.as_str(),
        l.path.as_str(),
        l.object.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(l.line.unwrap_or(0).to_be_bytes());
    let mut text = format!("{}: {}", c.rule, c.title);
    if let Some(e) = &c.evidence {
        text.push_str(&format!(" ({e})"));
    }
    ResultObject {
        rule_id: c.rule.clone(),
        rule_index,
        level: level(c.severity),
        message: Message { text },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: l.line.map(|start_line| Region {
                    start_line,
                    end_line: l.end_line,
                }),
            },
            logical_locations: l
                .object
                .iter()
                .map(|o| LogicalLocation {
                    name: o.clone(),
                    fully_qualified_name: o.clone(),
                    kind: "object",
                })
                .collect(),
        }],
        partial_fingerprints: BTreeMap::from([("zollCheck/v1", hex::encode(h.finalize()))]),
        suppressions: Vec::new(),
        properties: ResultProperties {
            severity: c.severity,
            fixed_versions: None,
            advisories: None,
            package_type: None,
            layer: l.layer.as_ref().map(ToString::to_string),
            scanner: Some(c.scanner),
            evidence: c.evidence.clone(),
        },
    }
}

/// A path as a relative URI reference: bytes outside RFC 3986's unreserved, sub-delims, `/` and
/// `@` are percent-encoded (`:` too, so a first segment never reads as a scheme).
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=/@".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::None), "note");
        assert_eq!(level(Severity::Unknown), "note");
    }

    #[test]
    fn band_scores_rate_as_their_severity() {
        for s in Severity::ALL {
            match band_score(s) {
                Some(score) => assert_eq!(Severity::from_cvss_score(score), s),
                None => assert_eq!(s, Severity::Unknown),
            }
        }
    }

    #[test]
    fn uri_references_are_encoded() {
        assert_eq!(
            uri_reference("usr/lib/python3/dist-packages/a b/METADATA"),
            "usr/lib/python3/dist-packages/a%20b/METADATA"
        );
        assert_eq!(uri_reference("app/x:y#z?q%"), "app/x%3Ay%23z%3Fq%25");
        assert_eq!(uri_reference("opt/ü"), "opt/%C3%BC");
    }
}
