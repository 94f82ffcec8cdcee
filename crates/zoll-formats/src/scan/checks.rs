//! Secrets, malware and misconfigurations ([`zoll_core::CheckFinding`]) in every report format.
//!
//! - Order: by scanner (secret, malware, config), most severe first, then rule, path, line
//!   ([`sorted_checks`]), whatever order the scanners produced.
//! - table: one section per scanner after the vulnerabilities, columns RULE, SEVERITY, LOCATION,
//!   TITLE, EVIDENCE; then the Pod Security level of each Kubernetes workload.
//! - JSON: `scanners`, `checks` (the serde form of `CheckFinding`), `checks_summary`, `workloads`.
//! - SARIF: one rule per check id, results with the path (and line) as the physical location.
//! - CycloneDX: a check is a `vulnerabilities[]` entry whose `source.name` is `zoll`, affecting
//!   the image (the metadata component), with `zoll:check:*` properties. CycloneDX 1.6 has no
//!   other place for weaknesses found in an image; consumers that only want CVEs filter on the
//!   `zoll:check:scanner` property.
//! - JUnit: one suite per scanner, one failed test case per finding.

use std::fmt::Write as _;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;
use zoll_core::{CheckFinding, Scanner, Severity, VulnReport};

use super::table::severity_color;
use super::truncate;
use crate::RenderOptions;
use crate::table::{BOLD, clean, push_row, style};

/// Checks in output order.
pub fn sorted_checks(checks: &[CheckFinding]) -> Vec<&CheckFinding> {
    let mut v: Vec<&CheckFinding> = checks.iter().collect();
    v.sort_by(|a, b| {
        a.scanner
            .cmp(&b.scanner)
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    v
}

/// Counts of checks per scanner and severity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChecksSummary {
    pub secret: usize,
    pub malware: usize,
    pub config: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub total: usize,
}

impl ChecksSummary {
    pub fn of(report: &VulnReport) -> ChecksSummary {
        let mut s = ChecksSummary::default();
        for c in &report.checks {
            match c.scanner {
                Scanner::Secret => s.secret += 1,
                Scanner::Malware => s.malware += 1,
                Scanner::Config | Scanner::Vuln => s.config += 1,
            }
            match c.severity {
                Severity::Critical => s.critical += 1,
                Severity::High => s.high += 1,
                Severity::Medium => s.medium += 1,
                Severity::Low | Severity::None | Severity::Unknown => s.low += 1,
            }
            s.total += 1;
        }
        s
    }
}

/// What a section of the table is called.
pub fn section_title(s: Scanner) -> &'static str {
    match s {
        Scanner::Vuln => "Vulnerabilities",
        Scanner::Secret => "Secrets",
        Scanner::Malware => "Malware",
        Scanner::Config => "Misconfigurations",
    }
}

/// The location as people read it: `path:line (object) [layer N]`.
pub fn location_text(report: &VulnReport, c: &CheckFinding) -> String {
    let mut s = c.location.to_string();
    if let Some(d) = &c.location.layer
        && let Some(i) = super::layer_index(&report.sbom.target, d)
    {
        let _ = write!(s, " [layer {i}]");
    }
    s
}

/// The table sections for checks and workloads (nothing when there are none and none ran).
pub fn table(out: &mut String, report: &VulnReport, opts: &RenderOptions) {
    let sorted = sorted_checks(&report.checks);
    for scanner in [Scanner::Secret, Scanner::Malware, Scanner::Config] {
        if !report.scanners.contains(&scanner) {
            continue;
        }
        let rows: Vec<&CheckFinding> = sorted
            .iter()
            .copied()
            .filter(|c| c.scanner == scanner)
            .collect();
        out.push('\n');
        let title = section_title(scanner);
        if rows.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                style(opts, &format!("{title}: none found."), BOLD)
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{}",
            style(opts, &format!("{title} ({}):", rows.len()), BOLD)
        );
        let header: Vec<String> = ["RULE", "SEVERITY", "LOCATION", "TITLE", "EVIDENCE"]
            .map(str::to_owned)
            .to_vec();
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|c| {
                vec![
                    clean(&c.rule),
                    c.severity.as_str().to_owned(),
                    truncate(&clean(&location_text(report, c)), 70),
                    clean(&c.title),
                    truncate(&clean(c.evidence.as_deref().unwrap_or("-")), 60),
                ]
            })
            .collect();
        let mut widths = vec![0usize; header.len()];
        for r in std::iter::once(&header).chain(&cells) {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.width());
            }
        }
        out.push_str("  ");
        let bold = [BOLD; 5];
        push_row(out, &header, &widths, opts.color.then_some(&bold[..]));
        for (c, r) in rows.iter().zip(&cells) {
            let codes = ["", severity_color(c.severity), "", "", ""];
            out.push_str("  ");
            push_row(out, r, &widths, opts.color.then_some(&codes[..]));
        }
    }
    if !report.workloads.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", style(opts, "Pod Security Standards:", BOLD));
        for w in &report.workloads {
            let _ = writeln!(
                out,
                "  {}  {}  ({})",
                clean(&w.object),
                w.level,
                clean(&w.path)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoll_core::Location;

    fn check(scanner: Scanner, rule: &str, severity: Severity, path: &str) -> CheckFinding {
        CheckFinding {
            scanner,
            rule: rule.into(),
            title: "t".into(),
            severity,
            location: Location::path(path),
            evidence: None,
            remediation: None,
            aliases: vec![],
            references: vec![],
        }
    }

    #[test]
    fn order_is_scanner_then_severity_then_rule_then_location() {
        let v = vec![
            check(Scanner::Config, "B", Severity::Low, "/b"),
            check(Scanner::Config, "A", Severity::High, "/z"),
            check(Scanner::Secret, "s", Severity::Low, "/a"),
            check(Scanner::Config, "A", Severity::High, "/a"),
        ];
        let got: Vec<(&str, &str)> = sorted_checks(&v)
            .iter()
            .map(|c| (c.rule.as_str(), c.location.path.as_str()))
            .collect();
        assert_eq!(got, [("s", "/a"), ("A", "/a"), ("A", "/z"), ("B", "/b")]);
    }
}
