//! The vulnerability report model: what `zoll scan` found, in a form every output format renders
//! (table, zoll JSON, SARIF, CycloneDX with vulnerabilities, JUnit).
//!
//! A [`Finding`] is one vulnerability in one package. Advisories that describe the same
//! vulnerability (linked by OSV `aliases`) are merged into one finding that lists every advisory
//! id that matched, so a CVE reached through a GHSA and a PYSEC record is reported once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Digest, Purl, Sbom};

/// Qualitative severity, ordered from least to most severe.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No CVSS vector and no ecosystem rating.
    #[default]
    Unknown,
    /// Rated "none" by CVSS or "unimportant"/"negligible" by a distribution.
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Severity::Unknown,
        Severity::None,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The rating of a CVSS v3/v4 base score (the v3.1 specification's table).
    pub fn from_cvss_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::None
        }
    }

    /// An ecosystem's own word for severity (GHSA `MODERATE`, Debian urgency `unimportant`,
    /// Ubuntu priority `negligible`, ...); `None` when the word is not a severity.
    pub fn from_ecosystem_word(word: &str) -> Option<Severity> {
        let w = word.trim().trim_end_matches('*').to_ascii_lowercase();
        Some(match w.as_str() {
            "critical" | "urgent" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            "unimportant" | "negligible" | "none" => Severity::None,
            "unknown" | "not yet assigned" | "" => Severity::Unknown,
            _ => return Option::None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--severity` values: one word, case-insensitive.
#[derive(Debug, thiserror::Error)]
#[error("unknown severity {0:?} (expected unknown, none, low, medium, high or critical)")]
pub struct SeverityError(String);

impl FromStr for Severity {
    type Err = SeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SeverityError(s.to_owned()))
    }
}

/// One CVSS rating, scored by zoll from its vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    pub vector: String,
    pub score: f64,
    pub severity: Severity,
}

/// Where a finding's severity came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum SeveritySource {
    /// Computed from a CVSS vector (the version is in the finding's `cvss`).
    Cvss(String),
    /// The ecosystem's own rating: `ghsa`, `debian`, `ubuntu`, `alpine`, ...
    Ecosystem(String),
    /// Nothing rated it.
    None,
}

/// The package a finding is about (a slice of [`crate::Package`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    pub name: String,
    pub version: String,
    #[serde(rename = "type")]
    pub kind: crate::PackageType,
    pub purl: Purl,
    /// The OSV ecosystem the package was matched in (`Debian:12`, `PyPI`, ...).
    pub ecosystem: String,
    /// The name matched against advisories when it differs from `name` (the source package of an
    /// OS package, the normalised name of a Python package, `group:artifact` for Maven).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_name: Option<String>,
    /// The version compared against advisories when it differs from `version` (source version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
}

/// Why a finding does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum Suppression {
    /// An OpenVEX statement with status `not_affected` or `fixed`.
    Vex {
        document: String,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        statement: Option<String>,
    },
    /// An entry of an ignore file, with its reason and expiry.
    IgnoreFile {
        file: String,
        id: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
}

/// One vulnerability in one package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The id shown to people: the CVE when the vulnerability has one, else the first advisory id.
    pub id: String,
    /// The advisory records that matched this package (their own OSV ids), sorted.
    pub advisories: Vec<String>,
    /// Every other id this vulnerability is known by, sorted (aliases of the matched records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub package: AffectedPackage,
    pub severity: Severity,
    pub severity_source: SeveritySource,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    /// Versions that fix it for the installed version's range, ascending; empty when no fix exists.
    #[serde(default)]
    pub fixed_versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Set when a VEX statement or an ignore-file entry suppresses the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    pub fn is_fixable(&self) -> bool {
        !self.fixed_versions.is_empty()
    }
}

/// Facts about the advisory database a scan used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    pub schema: u32,
    /// RFC 3339.
    pub built_at: String,
    pub advisories: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// The result of a vulnerability scan: the SBOM it matched, and what matched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VulnReport {
    pub sbom: Sbom,
    pub db: DbInfo,
    /// Findings that count, most severe first.
    pub findings: Vec<Finding>,
    /// Findings removed by `--vex` or the ignore file, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Finding>,
    /// Findings hidden by `--severity` or `--ignore-unfixed` (counted, not listed).
    #[serde(default)]
    pub filtered: usize,
    /// Warnings for people (old database, packages that could not be matched, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The scanners that ran, in [`crate::Scanner::ALL`] order.
    #[serde(default)]
    pub scanners: Vec<crate::Scanner>,
    /// Secrets, malware and misconfigurations, in the order renderers print them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::CheckFinding>,
    /// The Pod Security Standards level of each Kubernetes workload that was checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<crate::WorkloadLevel>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_parses_and_orders() {
        assert_eq!("HIGH".parse::<Severity>().ok(), Some(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::None);
        assert!(Severity::None > Severity::Unknown);
    }

    #[test]
    fn cvss_scores_rate_like_the_specification() {
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::None);
    }

    #[test]
    fn ecosystem_words() {
        assert_eq!(
            Severity::from_ecosystem_word("MODERATE"),
            Some(Severity::Medium)
        );
        assert_eq!(
            Severity::from_ecosystem_word("unimportant"),
            Some(Severity::None)
        );
        assert_eq!(Severity::from_ecosystem_word("low*"), Some(Severity::Low));
        assert_eq!(Severity::from_ecosystem_word("banana"), None);
        assert_eq!(
            Severity::from_ecosystem_word("not yet assigned"),
            Some(Severity::Unknown)
        );
    }
}
