//! JUnit XML, for CI systems that show test reports (Jenkins, GitLab, Azure DevOps, GitHub
//! actions that read JUnit).
//!
//! - `<testsuites name="zoll scan TARGET">` holds one `<testsuite>` per package type (`deb`,
//!   `python`, ...), sorted by type; an SBOM without packages gets one empty suite named after the
//!   target, since some readers reject a report without suites.
//! - Every package is a `<testcase>`: `classname` is its purl, `name` is `NAME@VERSION`, `file` its
//!   first location. Packages come in the SBOM order (by name, type, version), followed by packages
//!   only findings name.
//! - A package with findings that count fails: one `<failure type="vulnerability"
//!   message="N vulnerabilities">` whose text has one line per finding, most severe first:
//!   `ID [SEVERITY] fixed in VERSIONS: SUMMARY` (or `no fix`). Packages without findings pass.
//! - Suppressed findings never fail a test case; they are listed in its `<system-out>` with the
//!   reason, so the report still shows them.
//! - `tests` and `failures` are totals on every suite and on `<testsuites>`; `errors` and `skipped`
//!   are always 0.
//! - Secrets, malware and misconfigurations: one `<testsuite>` per scanner that ran (`secret`,
//!   `malware`, `config`), one failed `<testcase>` per finding (`classname` the rule id, `name`
//!   the location); a scanner that found nothing is an empty suite, so the report shows it ran.
//! - All text is escaped for XML 1.0 ([`escape`]): markup characters become entities, and control
//!   characters XML cannot carry at all are written as visible `\u{..}` escapes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use zoll_core::{Finding, VulnReport};

use super::{PackageFindings, by_package, one_line};

/// Render the JUnit XML report (ends in a newline).
pub fn render(report: &VulnReport) -> String {
    let groups = by_package(report);
    let mut suites: BTreeMap<&'static str, Vec<&PackageFindings<'_>>> = BTreeMap::new();
    for g in &groups {
        suites.entry(g.package.kind.as_str()).or_default().push(g);
    }
    let checks = super::checks::sorted_checks(&report.checks);
    let check_suites: Vec<zoll_core::Scanner> = report
        .scanners
        .iter()
        .copied()
        .filter(|s| *s != zoll_core::Scanner::Vuln)
        .collect();
    let tests = groups.len() + checks.len();
    let failures = groups.iter().filter(|g| !g.findings.is_empty()).count() + checks.len();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let target = &report.sbom.target.input;
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">",
        escape(&format!("zoll scan {target}"), true)
    );
    if suites.is_empty() && check_suites.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\"/>",
            escape(target, true)
        );
    }
    for (kind, cases) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{kind}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            cases.len(),
            cases.iter().filter(|g| !g.findings.is_empty()).count()
        );
        for g in cases {
            testcase(&mut out, g);
        }
        out.push_str("  </testsuite>\n");
    }
    for scanner in check_suites {
        let cases: Vec<&&zoll_core::CheckFinding> =
            checks.iter().filter(|c| c.scanner == scanner).collect();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{scanner}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" skipped=\"0\">",
            n = cases.len()
        );
        for c in cases {
            let loc = c.location.to_string();
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">",
                escape(&c.rule, true),
                escape(&loc, true),
                escape(&c.location.path, true)
            );
            let _ = writeln!(
                out,
                "      <failure type=\"{scanner}\" message=\"{}\">{} [{}] {}{}</failure>",
                escape(&c.title, true),
                escape(&c.rule, false),
                c.severity.as_str(),
                escape(&loc, false),
                c.evidence
                    .as_deref()
                    .map(|e| format!(": {}", escape(&one_line(e), false)))
                    .unwrap_or_default()
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, g: &PackageFindings<'_>) {
    let p = &g.package;
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\"",
        escape(&p.purl.to_string(), true),
        escape(&format!("{}@{}", p.name, p.version), true)
    );
    if let Some(file) = p.locations.first() {
        let _ = write!(out, " file=\"{}\"", escape(file, true));
    }
    if g.findings.is_empty() && g.suppressed.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    if !g.findings.is_empty() {
        let n = g.findings.len();
        let _ = write!(
            out,
            "      <failure type=\"vulnerability\" message=\"{n} vulnerabilit{}\">",
            if n == 1 { "y" } else { "ies" }
        );
        for f in &g.findings {
            out.push_str(&escape(&line(f), false));
            out.push('\n');
        }
        out.push_str("</failure>\n");
    }
    if !g.suppressed.is_empty() {
        out.push_str("      <system-out>");
        for f in &g.suppressed {
            let why = f
                .suppressed
                .as_ref()
                .map(super::suppression_text)
                .unwrap_or_default();
            let text = format!("{} [{}] suppressed: {}", f.id, f.severity, one_line(&why));
            out.push_str(&escape(&text, false));
            out.push('\n');
        }
        out.push_str("</system-out>\n");
    }
    out.push_str("    </testcase>\n");
}

/// `ID [SEVERITY] fixed in VERSIONS: SUMMARY`.
fn line(f: &Finding) -> String {
    let fix = if f.fixed_versions.is_empty() {
        "no fix".to_owned()
    } else {
        format!("fixed in {}", f.fixed_versions.join(", "))
    };
    let mut s = format!("{} [{}] {fix}", f.id, f.severity);
    if let Some(summary) = f.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        let _ = write!(s, ": {}", one_line(summary));
    }
    s
}

/// Escape `s` for XML 1.0 text (`attribute` false) or a double- or single-quoted attribute value
/// (`attribute` true).
///
/// `&`, `<`, `>`, `"` and `'` become entities. Tab, newline and carriage return are kept in text
/// (carriage return as `&#13;`, which parsers would otherwise drop) and written as character
/// references in attributes, which parsers would otherwise turn into spaces. Every other control
/// character (C0, DEL, C1) and the non-characters U+FFFE/U+FFFF cannot appear in XML 1.0 even as
/// references: they become the visible text `\u{1b}`.
pub fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>", false),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("a\tb\nc\rd", false), "a\tb\nc&#13;d");
        assert_eq!(escape("a\tb\nc\rd", true), "a&#9;b&#10;c&#13;d");
        assert_eq!(
            escape("\u{0}\u{1b}[31m\u{7f}\u{85}\u{fffe}", false),
            "\\u{0}\\u{1b}[31m\\u{7f}\\u{85}\\u{fffe}"
        );
        assert_eq!(escape("ünïcode ✓ 日本", true), "ünïcode ✓ 日本");
        assert_eq!(escape("]]>", false), "]]&gt;");
    }
}
