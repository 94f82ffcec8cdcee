//! zoll's own JSON vulnerability report, schema `zoll.scan/v1`: the serde form of
//! [`zoll_core::VulnReport`] without the package list, with a schema version, the creating tool and
//! a summary in front.
//!
//! ```json
//! {
//!   "schema": "zoll.scan/v1",
//!   "tool": { "name": "zoll", "version": "0.1.0" },
//!   "target": { ... },            // as in zoll.sbom/v1: input, kind, digests, platform, layers, tags
//!   "distro": { ... },            // as in zoll.sbom/v1; optional
//!   "db": {
//!     "schema": 1,                // the advisory database's schema version
//!     "built_at": "2024-05-05T02:00:00Z",   // RFC 3339
//!     "advisories": 312457,
//!     "sources": [ "osv-pypi", "debian" ]   // optional
//!   },
//!   "summary": {
//!     "critical": 1, "high": 2, "medium": 2, "low": 1, "none": 1, "unknown": 1,  // counted findings
//!     "total": 8,                 // counted findings, the sum of the six above
//!     "fixable": 6,               // counted findings with a fixed version
//!     "suppressed": 2,            // the length of "suppressed"
//!     "filtered": 3               // hidden by --severity / --ignore-unfixed, not listed anywhere
//!   },
//!   "findings": [ {
//!     "id": "CVE-2018-18074",     // the CVE when there is one, else the first advisory id
//!     "advisories": [ "GHSA-x84v-xcm2-53pg", "PYSEC-2018-28" ],  // the records that matched, sorted
//!     "aliases": [ "..." ],       // other ids of the vulnerability, sorted; optional
//!     "package": {
//!       "name": "requests", "version": "2.19.1", "type": "python",
//!       "purl": "pkg:pypi/requests@2.19.1",
//!       "ecosystem": "PyPI",      // the OSV ecosystem it was matched in
//!       "matched_name": "...",    // optional: the name compared when it differs (source package)
//!       "matched_version": "...", // optional: the version compared when it differs
//!       "locations": [ "/usr/local/lib/python3.12/site-packages/requests-2.19.1.dist-info/METADATA" ],
//!       "layer": "sha256:..."     // optional: diff-id of the layer that added the package
//!     },
//!     "severity": "high",         // critical | high | medium | low | none | unknown
//!     "severity_source": { "kind": "cvss", "name": "3.1" },
//!                                 // or { "kind": "ecosystem", "name": "debian" } or { "kind": "none" }
//!     "cvss": [ { "version": "3.1", "vector": "CVSS:3.1/...", "score": 7.5, "severity": "high" } ],
//!                                 // optional; scored by zoll from the vectors
//!     "fixed_versions": [ "2.20.0" ],  // ascending; [] when no fix exists
//!     "summary": "...", "details": "...",          // optional
//!     "references": [ "https://..." ],             // optional
//!     "published": "2018-10-09T00:29:00Z", "modified": "...",   // optional, as the advisory says
//!     "suppressed": { ... }       // only in "suppressed", see below
//!   } ],
//!   "suppressed": [ {
//!     ...                         // a finding, as above, plus why it does not count:
//!     "suppressed": { "by": "vex", "document": "vex.json", "status": "not_affected",
//!                     "justification": "...", "statement": "..." }   // justification, statement optional
//!                 | { "by": "ignore-file", "file": ".zollignore", "id": "CVE-...", "reason": "...",
//!                     "expires": "2025-01-01" }                         // expires optional
//!   } ],
//!   "warnings": [ "the advisory database is 9 days old" ],
//!   "scanners": [ "vuln", "secret", "config" ],   // the scanners that ran
//!   "checks": [ {                 // secrets, malware, misconfigurations, in a fixed order
//!     "scanner": "secret",        // secret | malware | config
//!     "rule": "github-pat",       // a zoll, hadolint (DL3007), Dockle (CIS-DI-0001) or engine id
//!     "title": "GitHub personal access token",
//!     "severity": "high",
//!     "location": { "path": "/app/.env", "layer": "sha256:...", "line": 3,
//!                   "end_line": 3, "object": "..." },   // all but path optional
//!     "evidence": "GITHUB_TOKEN=ghp_*****",   // optional; secrets are always redacted
//!     "remediation": "...", "aliases": [ "CIS-4.1" ], "references": [ "https://..." ]  // optional
//!   } ],
//!   "checks_summary": { "secret": 1, "malware": 0, "config": 0, "critical": 0, "high": 1,
//!                       "medium": 0, "low": 0, "total": 1 },
//!   "workloads": [ { "path": "deploy.yaml", "object": "Deployment/default/web",
//!                    "level": "baseline" } ]   // optional: Kubernetes Pod Security levels
//! }
//! ```
//!
//! `findings` and `suppressed` are in a fixed order: most severe first, then by id, then by package
//! name, version, purl and locations ([`super::sorted_findings`]), whatever order the matcher
//! produced. `summary`, `findings`, `suppressed` and `warnings` are always present (possibly
//! empty); other optional fields are left out rather than written as `null`. Readers must ignore
//! unknown fields: new optional fields do not change the schema version; removing or changing the
//! meaning of a field does (`zoll.scan/v2`).

use serde::Serialize;
use zoll_core::{
    CheckFinding, DbInfo, Distro, Finding, Scanner, Target, VulnReport, WorkloadLevel,
};

use super::checks::{ChecksSummary, sorted_checks};
use super::{Summary, sorted_findings};
use crate::RenderOptions;
use crate::json::Tool;

/// The schema identifier written in the `schema` field.
pub const SCHEMA: &str = "zoll.scan/v1";

/// The JSON document (see the module docs).
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub schema: &'static str,
    pub tool: Tool<'a>,
    pub target: &'a Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<&'a Distro>,
    pub db: &'a DbInfo,
    pub summary: Summary,
    pub findings: Vec<&'a Finding>,
    pub suppressed: Vec<&'a Finding>,
    pub warnings: &'a [String],
    /// The scanners that ran.
    pub scanners: &'a [Scanner],
    /// Secrets, malware and misconfigurations (see `zoll_core::CheckFinding`).
    pub checks: Vec<&'a CheckFinding>,
    pub checks_summary: ChecksSummary,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub workloads: &'a [WorkloadLevel],
}

/// Build the document for `report`.
pub fn document<'a>(report: &'a VulnReport, opts: &'a RenderOptions) -> Document<'a> {
    Document {
        schema: SCHEMA,
        tool: Tool {
            name: "zoll",
            version: &opts.tool_version,
        },
        target: &report.sbom.target,
        distro: report.sbom.distro.as_ref(),
        db: &report.db,
        summary: Summary::of(report),
        findings: sorted_findings(&report.findings),
        suppressed: sorted_findings(&report.suppressed),
        warnings: &report.warnings,
        scanners: &report.scanners,
        checks: sorted_checks(&report.checks),
        checks_summary: ChecksSummary::of(report),
        workloads: &report.workloads,
    }
}
