//! Vulnerability report formats: renderers that turn one [`zoll_core::VulnReport`] into
//!
//! - `table`: findings grouped by package, for people ([`table`]);
//! - `json`: zoll's own schema `zoll.scan/v1` ([`json`]);
//! - `sarif`: SARIF 2.1.0 for code-scanning dashboards ([`sarif`]);
//! - `cyclonedx-json`: a CycloneDX 1.6 BOM with `vulnerabilities` ([`cyclonedx`]);
//! - `junit`: JUnit XML for CI test reports ([`junit`]).
//!
//! As for SBOMs, rendering is a pure function of the report and the [`RenderOptions`]: findings are
//! put in one fixed order ([`sorted_findings`]) whatever order the matcher produced them in, and
//! every id is derived from content.
//!
//! This module also holds what the formats share: the order of findings, the CVSS rating a
//! finding's severity came from, the summary counts, matching a finding back to the SBOM package it
//! is about, the advisory source an id belongs to, and the short form of a Dockerfile step.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use serde::Serialize;
use unicode_width::UnicodeWidthChar;
use zoll_core::{
    AffectedPackage, Cvss, Digest, Finding, Package, PackageType, Purl, Severity, SeveritySource,
    Suppression, Target, VulnReport,
};

use crate::common::sorted_packages;
use crate::{Error, RenderOptions};

pub mod checks;
pub mod cyclonedx;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod table;

/// The formats `zoll scan --format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanFormat {
    /// Findings grouped by package, for people.
    Table,
    /// zoll's own JSON schema, `zoll.scan/v1`.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.6 JSON with `vulnerabilities`.
    CycloneDxJson,
    /// JUnit XML.
    Junit,
}

impl ScanFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [ScanFormat; 5] = [
        ScanFormat::Table,
        ScanFormat::Json,
        ScanFormat::Sarif,
        ScanFormat::CycloneDxJson,
        ScanFormat::Junit,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanFormat::Table => "table",
            ScanFormat::Json => "json",
            ScanFormat::Sarif => "sarif",
            ScanFormat::CycloneDxJson => "cyclonedx-json",
            ScanFormat::Junit => "junit",
        }
    }

    /// Whether the output is meant for machines (and so must never contain colour).
    pub fn is_machine_readable(self) -> bool {
        !matches!(self, ScanFormat::Table)
    }
}

impl fmt::Display for ScanFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScanFormat {
    type Err = Error;

    /// The names of [`ScanFormat::as_str`], case-insensitive, plus `cyclonedx` for
    /// `cyclonedx-json`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        if name.eq_ignore_ascii_case("cyclonedx") {
            return Ok(ScanFormat::CycloneDxJson);
        }
        ScanFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::UnknownScanFormat(s.to_owned()))
    }
}

/// Render `report` in `format` to a byte buffer (UTF-8, ending in a newline).
pub fn render_report(
    report: &VulnReport,
    format: ScanFormat,
    opts: &RenderOptions,
) -> Result<Vec<u8>, Error> {
    match format {
        ScanFormat::Table => Ok(table::render(report, opts).into_bytes()),
        ScanFormat::Json => to_json(format, &json::document(report, opts)),
        ScanFormat::Sarif => to_json(format, &sarif::document(report, opts)),
        ScanFormat::CycloneDxJson => to_json(format, &cyclonedx::document(report, opts)?),
        ScanFormat::Junit => Ok(junit::render(report).into_bytes()),
    }
}

/// Render `report` in `format` to `out`.
pub fn write_report(
    report: &VulnReport,
    format: ScanFormat,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let bytes = render_report(report, format, opts)?;
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .map_err(|source| Error::WriteReport { format, source })
}

/// Pretty JSON with a trailing newline.
fn to_json<T: Serialize>(format: ScanFormat, value: &T) -> Result<Vec<u8>, Error> {
    let mut out = serde_json::to_vec_pretty(value)
        .map_err(|source| Error::SerializeReport { format, source })?;
    out.push(b'\n');
    Ok(out)
}

/// Findings in output order: most severe first, then by id, then by package (name, version, purl,
/// locations), so the order never depends on the order the matcher produced them in.
pub fn sorted_findings(findings: &[Finding]) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.version.cmp(&b.package.version))
            .then_with(|| a.package.purl.to_string().cmp(&b.package.purl.to_string()))
            .then_with(|| a.package.locations.cmp(&b.package.locations))
    });
    v
}

/// The CVSS rating the finding's severity was computed from, when it was computed from one
/// (`severity_source` names the CVSS version). `None` for ecosystem ratings and unrated findings.
pub fn chosen_cvss(f: &Finding) -> Option<&Cvss> {
    match &f.severity_source {
        SeveritySource::Cvss(version) => f.cvss.iter().find(|c| &c.version == version),
        SeveritySource::Ecosystem(_) | SeveritySource::None => None,
    }
}

/// The counts every format reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Findings that count, per severity.
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub none: usize,
    pub unknown: usize,
    /// Findings that count (the sum of the severities).
    pub total: usize,
    /// Findings that count and have a fixed version.
    pub fixable: usize,
    /// Findings suppressed by a VEX statement or an ignore-file entry.
    pub suppressed: usize,
    /// Of `suppressed`, those suppressed by VEX.
    #[serde(skip)]
    pub suppressed_by_vex: usize,
    /// Of `suppressed`, those suppressed by the ignore file.
    #[serde(skip)]
    pub suppressed_by_ignore_file: usize,
    /// Findings hidden by a severity threshold or "fixable only" (counted, never listed).
    pub filtered: usize,
}

impl Summary {
    pub fn of(report: &VulnReport) -> Summary {
        let mut s = Summary {
            filtered: report.filtered,
            suppressed: report.suppressed.len(),
            ..Summary::default()
        };
        for f in &report.findings {
            *s.count_mut(f.severity) += 1;
            s.total += 1;
            if f.is_fixable() {
                s.fixable += 1;
            }
        }
        for f in &report.suppressed {
            match &f.suppressed {
                Some(Suppression::Vex { .. }) => s.suppressed_by_vex += 1,
                Some(Suppression::IgnoreFile { .. }) => s.suppressed_by_ignore_file += 1,
                None => {}
            }
        }
        s
    }

    /// The number of counted findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::None => self.none,
            Severity::Unknown => self.unknown,
        }
    }

    fn count_mut(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::None => &mut self.none,
            Severity::Unknown => &mut self.unknown,
        }
    }
}

/// What the formats need to know of a package: a view of an SBOM [`Package`], or of a finding's
/// [`AffectedPackage`] when the SBOM does not hold it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackageView<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) kind: PackageType,
    pub(crate) purl: &'a Purl,
    pub(crate) locations: &'a [String],
    pub(crate) layer: Option<&'a Digest>,
}

impl<'a> PackageView<'a> {
    fn of_package(p: &'a Package) -> PackageView<'a> {
        PackageView {
            name: &p.name,
            version: &p.version,
            kind: p.kind,
            purl: &p.purl,
            locations: &p.locations,
            layer: p.layer.as_ref(),
        }
    }

    fn of_affected(p: &'a AffectedPackage) -> PackageView<'a> {
        PackageView {
            name: &p.name,
            version: &p.version,
            kind: p.kind,
            purl: &p.purl,
            locations: &p.locations,
            layer: p.layer.as_ref(),
        }
    }
}

/// One package and what was found in it.
#[derive(Debug)]
pub(crate) struct PackageFindings<'a> {
    pub(crate) package: PackageView<'a>,
    /// The index in `common::sorted_packages` order, `None` when the SBOM does not hold it.
    pub(crate) sbom_index: Option<usize>,
    /// Findings that count, in [`sorted_findings`] order.
    pub(crate) findings: Vec<&'a Finding>,
    /// Suppressed findings, in [`sorted_findings`] order.
    pub(crate) suppressed: Vec<&'a Finding>,
}

impl PackageFindings<'_> {
    /// The most severe counted finding's severity.
    pub(crate) fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Every SBOM package (in `common::sorted_packages` order) with its findings, followed by the
/// packages that only findings name (in the order they are first met). See [`PackageIndex::find`] for
/// how a finding is matched to its package.
pub(crate) fn by_package(report: &VulnReport) -> Vec<PackageFindings<'_>> {
    let pkgs = sorted_packages(&report.sbom);
    let index = PackageIndex::new(&pkgs);
    let mut groups: Vec<PackageFindings<'_>> = pkgs
        .iter()
        .enumerate()
        .map(|(i, p)| PackageFindings {
            package: PackageView::of_package(p),
            sbom_index: Some(i),
            findings: vec![],
            suppressed: vec![],
        })
        .collect();
    let counted = sorted_findings(&report.findings)
        .into_iter()
        .map(|f| (f, false));
    let suppressed = sorted_findings(&report.suppressed)
        .into_iter()
        .map(|f| (f, true));
    for (f, is_suppressed) in counted.chain(suppressed) {
        let slot = match index.find(&f.package) {
            Some(i) => i,
            None => match groups.iter().position(|g| {
                g.sbom_index.is_none()
                    && g.package.purl == &f.package.purl
                    && g.package.locations == f.package.locations.as_slice()
            }) {
                Some(i) => i,
                None => {
                    groups.push(PackageFindings {
                        package: PackageView::of_affected(&f.package),
                        sbom_index: None,
                        findings: vec![],
                        suppressed: vec![],
                    });
                    groups.len() - 1
                }
            },
        };
        if let Some(g) = groups.get_mut(slot) {
            if is_suppressed {
                g.suppressed.push(f);
            } else {
                g.findings.push(f);
            }
        }
    }
    groups
}

/// The SBOM package a finding is about: the package with the same purl, locations and layer, else
/// the first with the same purl (the matcher may have merged locations), else the first with the
/// same name, version and type.
pub(crate) struct PackageIndex<'a> {
    pkgs: &'a [&'a Package],
    by_purl: std::collections::HashMap<&'a zoll_core::Purl, Vec<usize>>,
    by_name: std::collections::HashMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> PackageIndex<'a> {
    /// Index `pkgs` once, so looking up every finding's package stays linear in the report.
    pub(crate) fn new(pkgs: &'a [&'a Package]) -> PackageIndex<'a> {
        let mut by_purl: std::collections::HashMap<&zoll_core::Purl, Vec<usize>> =
            std::collections::HashMap::new();
        let mut by_name: std::collections::HashMap<(&str, &str), Vec<usize>> =
            std::collections::HashMap::new();
        for (i, p) in pkgs.iter().enumerate() {
            by_purl.entry(&p.purl).or_default().push(i);
            by_name
                .entry((p.name.as_str(), p.version.as_str()))
                .or_default()
                .push(i);
        }
        PackageIndex {
            pkgs,
            by_purl,
            by_name,
        }
    }

    pub(crate) fn find(&self, a: &AffectedPackage) -> Option<usize> {
        let same_purl = self.by_purl.get(&a.purl);
        same_purl
            .and_then(|v| {
                v.iter().copied().find(|&i| {
                    let p = self.pkgs[i];
                    p.locations == a.locations && p.layer == a.layer
                })
            })
            .or_else(|| same_purl.and_then(|v| v.first().copied()))
            .or_else(|| {
                self.by_name
                    .get(&(a.name.as_str(), a.version.as_str()))
                    .and_then(|v| v.iter().copied().find(|&i| self.pkgs[i].kind == a.kind))
            })
    }
}

/// The index of the layer `diff_id` in the target's layers (0 is the base layer).
pub(crate) fn layer_index(target: &Target, diff_id: &Digest) -> Option<usize> {
    target.layers.iter().position(|l| &l.diff_id == diff_id)
}

/// Who publishes an advisory, from its id's prefix: `(name, url of the advisory)`.
///
/// CVE ids go to the NVD, GHSA ids to GitHub's advisory database; every other OSV id (`PYSEC-`,
/// `RUSTSEC-`, `GO-`, `DSA-`, `DEBIAN-`, `ALPINE-`, `USN-`, ...) to its page on osv.dev, named after
/// the database that issued it when the prefix is known, else `OSV`.
pub fn advisory_source(id: &str) -> (&'static str, String) {
    let prefix = id.split('-').next().unwrap_or(id).to_ascii_uppercase();
    let osv = format!("https://osv.dev/vulnerability/{id}");
    match prefix.as_str() {
        "CVE" => ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}")),
        "GHSA" => (
            "GitHub Advisories",
            format!("https://github.com/advisories/{id}"),
        ),
        "PYSEC" => ("PyPA Advisory Database", osv),
        "RUSTSEC" => ("RustSec Advisory Database", osv),
        "GO" => ("Go Vulnerability Database", osv),
        "DSA" | "DLA" | "DTSA" | "DEBIAN" => ("Debian Security Tracker", osv),
        "ALPINE" => ("Alpine Security Database", osv),
        "USN" | "UBUNTU" => ("Ubuntu Security Notices", osv),
        "RHSA" | "RHBA" | "RHEA" => ("Red Hat Security Data", osv),
        "ALSA" | "ALBA" | "ALEA" => ("AlmaLinux Errata", osv),
        "RLSA" => ("Rocky Linux Errata", osv),
        "SUSE" | "OPENSUSE" => ("SUSE Security", osv),
        "MAL" => ("OpenSSF Malicious Packages", osv),
        _ => ("OSV", osv),
    }
}

/// The short form of a Dockerfile step as docker records it in the config history
/// (`created_by`): what a person would have written in the Dockerfile.
///
/// - the classic builder's `/bin/sh -c #(nop) ` prefix is dropped (`COPY`, `ADD`, `ENV`, ...);
/// - a classic `/bin/sh -c CMD` becomes `RUN CMD`;
/// - `|N K=V ...` (the N build arguments docker writes in front of a `RUN`) is dropped;
/// - BuildKit's `RUN /bin/sh -c CMD # buildkit` becomes `RUN CMD`;
/// - content digests (`ADD file:<64 hex> in /`) are cut to 12 hex digits, as image ids are;
/// - whitespace runs (heredocs, line continuations) become one space; control characters are
///   escaped; a long step is cut at `max` display columns with `…`.
pub fn dockerfile_step(created_by: &str, max: usize) -> String {
    let mut s = created_by.trim();
    if let Some(rest) = s.strip_suffix("# buildkit") {
        s = rest.trim_end();
    }
    let mut run = false;
    if let Some(rest) = s.strip_prefix("RUN ") {
        run = true;
        s = rest.trim_start();
    }
    s = strip_build_args(s);
    for shell in ["/bin/sh -c ", "/bin/bash -c ", "/bin/ash -c ", "sh -c "] {
        if let Some(rest) = s.strip_prefix(shell) {
            s = rest.trim_start();
            run = true;
            break;
        }
    }
    let mut step = String::new();
    if let Some(rest) = s.strip_prefix("#(nop)") {
        s = rest.trim_start();
    } else if run {
        step.push_str("RUN ");
    }
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !step.is_empty() && !step.ends_with(' ') {
            step.push(' ');
        }
        space = false;
        if c.is_control() {
            step.extend(c.escape_default());
        } else {
            step.push(c);
        }
    }
    truncate(&short_digests(step.trim_end()), max)
}

/// `file:<64 hex>` (and `dir:`, `multi:`, `sha256:`) -> the first 12 hex digits.
fn short_digests(s: &str) -> String {
    s.split(' ')
        .map(|word| {
            for prefix in ["file:", "dir:", "multi:", "sha256:"] {
                if let Some(hex) = word.strip_prefix(prefix)
                    && hex.len() == 64
                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return format!("{prefix}{}", hex.get(..12).unwrap_or(hex));
                }
            }
            word.to_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `|N A=1 B=2 rest` -> `rest`: the build arguments docker records in front of a `RUN`. When the
/// shell follows, everything up to it goes (values may hold spaces); otherwise N words do.
fn strip_build_args(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('|') else {
        return s;
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (Some(count), Some(args)) = (rest.get(..digits), rest.get(digits..)) else {
        return s;
    };
    let Ok(n) = count.parse::<usize>() else {
        return s;
    };
    let mut rest = args.trim_start();
    if let Some(shell) = rest.find("/bin/sh -c ").and_then(|i| rest.get(i..)) {
        return shell;
    }
    for _ in 0..n {
        rest = rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r)
            .trim_start();
    }
    rest
}

/// `s` cut to at most `max` display columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    let width = |c: char| c.width().unwrap_or(0);
    if s.chars().map(width).sum::<usize>() <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width(c);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    if max > 0 {
        out.push('…');
    }
    out
}

/// `s` cut to at most `max` characters (not columns), ending in `…` when cut: for descriptions
/// machine formats bound by length.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `a, b` or `(no fix)`.
pub(crate) fn fixed_in(f: &Finding) -> String {
    if f.fixed_versions.is_empty() {
        "(no fix)".to_owned()
    } else {
        f.fixed_versions.join(", ")
    }
}

/// A sentence saying why a finding was suppressed, for people.
pub(crate) fn suppression_text(s: &Suppression) -> String {
    match s {
        Suppression::Vex {
            document,
            status,
            justification,
            statement,
        } => {
            let mut t = format!("VEX statement in {document}: {status}");
            if let Some(j) = justification {
                t.push_str(&format!(" ({j})"));
            }
            if let Some(st) = statement {
                t.push_str(&format!(": {st}"));
            }
            t
        }
        Suppression::IgnoreFile {
            file,
            reason,
            expires,
            ..
        } => {
            let mut t = format!("ignored by {file}: {reason}");
            if let Some(e) = expires {
                t.push_str(&format!(" (until {e})"));
            }
            t
        }
    }
}

/// Whitespace runs (newlines included) as one space.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_roundtrip() {
        for f in ScanFormat::ALL {
            assert_eq!(f.to_string().parse::<ScanFormat>().unwrap(), f);
        }
        assert_eq!(
            " CycloneDX ".parse::<ScanFormat>().unwrap(),
            ScanFormat::CycloneDxJson
        );
        assert_eq!("SARIF".parse::<ScanFormat>().unwrap(), ScanFormat::Sarif);
        assert!(!ScanFormat::Table.is_machine_readable());
        assert!(ScanFormat::Junit.is_machine_readable());
        let err = "spdx-json".parse::<ScanFormat>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown report format \"spdx-json\": expected one of table, json, sarif, cyclonedx-json, junit"
        );
    }

    #[test]
    fn dockerfile_steps() {
        let cases = [
            (
                "/bin/sh -c #(nop) ADD file:5d673d25da3a14ce1f6cf66e4c7fd4f4b85a3759a9d93efb3fd9ff852b5b56e4 in / ",
                "ADD file:5d673d25da3a in /",
            ),
            (
                "/bin/sh -c #(nop) COPY dir:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef in /app",
                "COPY dir:0123456789ab in /app",
            ),
            ("ADD file:abc in /", "ADD file:abc in /"),
            ("/bin/sh -c #(nop)  CMD [\"bash\"]", "CMD [\"bash\"]"),
            (
                "/bin/sh -c apt-get update &&     apt-get install -y curl",
                "RUN apt-get update && apt-get install -y curl",
            ),
            (
                "|2 PIP_INDEX=https://pypi.org/simple VERSION=1.0 /bin/sh -c pip install -r requirements.txt",
                "RUN pip install -r requirements.txt",
            ),
            (
                "RUN |1 NOTE=two words /bin/sh -c make install # buildkit",
                "RUN make install",
            ),
            (
                "RUN /bin/sh -c pip install --no-cache-dir requests==2.19.1 # buildkit",
                "RUN pip install --no-cache-dir requests==2.19.1",
            ),
            ("COPY /app /app # buildkit", "COPY /app /app"),
            (
                "RUN /bin/sh -c set -eux;\n\tapt-get update # buildkit",
                "RUN set -eux; apt-get update",
            ),
            ("ENV PATH=/usr/local/bin", "ENV PATH=/usr/local/bin"),
            (
                "# debian.sh --arch 'amd64' out/ 'bookworm' '@1714953600'",
                "# debian.sh --arch 'amd64' out/ 'bookworm' '@1714953600'",
            ),
            ("|1 A=1 make", "make"),
            ("|x A=1", "|x A=1"),
            ("RUN echo \x1b[31m # buildkit", "RUN echo \\u{1b}[31m"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(dockerfile_step(input, 200), want, "{input:?}");
        }
        assert_eq!(
            dockerfile_step(
                "RUN /bin/sh -c pip install -r requirements.txt # buildkit",
                16
            ),
            "RUN pip install…"
        );
    }

    #[test]
    fn one_line_collapses_whitespace() {
        assert_eq!(one_line(" a\n\tb  c "), "a b c");
    }

    #[test]
    fn truncation_counts_display_columns() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10c", 10), "exactly10c");
        assert_eq!(truncate("a longer title", 8), "a longe…");
        assert_eq!(truncate("a b c d", 4), "a b…");
        assert_eq!(truncate("日本語の説明", 7), "日本語…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate_chars("äöü", 3), "äöü");
        assert_eq!(truncate_chars("äöüß", 3), "äö…");
    }

    #[test]
    fn advisory_sources_follow_the_id_prefix() {
        assert_eq!(
            advisory_source("CVE-2018-18074"),
            (
                "NVD",
                "https://nvd.nist.gov/vuln/detail/CVE-2018-18074".to_owned()
            )
        );
        assert_eq!(
            advisory_source("GHSA-x84v-xcm2-53pg"),
            (
                "GitHub Advisories",
                "https://github.com/advisories/GHSA-x84v-xcm2-53pg".to_owned()
            )
        );
        for (id, name) in [
            ("PYSEC-2018-28", "PyPA Advisory Database"),
            ("RUSTSEC-2021-0001", "RustSec Advisory Database"),
            ("GO-2022-0001", "Go Vulnerability Database"),
            ("DSA-5678-1", "Debian Security Tracker"),
            ("DEBIAN-CVE-2024-5535", "Debian Security Tracker"),
            ("ALPINE-CVE-2024-5535", "Alpine Security Database"),
            ("USN-6000-1", "Ubuntu Security Notices"),
            ("WEIRD-1", "OSV"),
            ("nodash", "OSV"),
        ] {
            assert_eq!(
                advisory_source(id),
                (name, format!("https://osv.dev/vulnerability/{id}")),
                "{id}"
            );
        }
    }
}
