//! The `table` report, for people: the SBOM table's `Target:`/`Distro:` header plus the database,
//! then the findings grouped by package, a summary line and the warnings.
//!
//! ```text
//! Target: docker.io/acme/shop:1.4.2 (registry) sha256:05b3abf2579a linux/amd64
//! Distro: Debian GNU/Linux 12 (bookworm)
//! Database: built 2024-05-05T02:00:00Z, 312457 advisories
//!
//!   ID              SEVERITY  SCORE  FIXED IN  TITLE
//!
//! requests 2.19.1 (python), layer 1: RUN pip install -r requirements.txt
//!   CVE-2018-18074  high      7.5    2.20.0    Insecure Credential Handling in Requests
//!
//! 1 vulnerability: critical 0, high 1, medium 0, low 0, none 0, unknown 0
//! 1 fixable; 0 suppressed; 0 filtered out
//! ```
//!
//! - A package line names the package, its version and type, and the layer that added it: its
//!   index in the image's layers (0 is the base) and the short Dockerfile step that made it
//!   ([`super::dockerfile_step`]), so people see which line of which Dockerfile to change.
//! - Packages come most severe finding first, then by name; inside a package, findings come by
//!   severity (most severe first), then id. Only packages with findings that count are listed.
//! - SCORE is the base score of the CVSS rating the severity came from ([`super::chosen_cvss`]);
//!   `-` when the severity is an ecosystem's own rating or nothing rated the finding.
//! - FIXED IN lists the fixed versions, or `(no fix)`; TITLE is the advisory's summary (else the
//!   first line of its details), cut with `…` so rows fit [`RenderOptions::width`] (60 columns when
//!   the width is unknown, never less than 20).
//! - Suppressed and filtered findings are counted in the summary, never listed: the JSON report
//!   lists suppressed findings with their reasons.
//!
//! As in the SBOM table, columns are padded by display width, rows carry no trailing spaces,
//! colour only styles (it never moves a column) and control characters from image data are
//! escaped.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;
use zoll_core::{Finding, Severity, VulnReport};

use super::{
    PackageFindings, Summary, by_package, chosen_cvss, dockerfile_step, fixed_in, layer_index,
    one_line, truncate,
};
use crate::RenderOptions;
use crate::table::{BOLD, DIM, RESET, clean, push_row, style, write_header};

/// Title width when the terminal's width is unknown.
const DEFAULT_TITLE: usize = 60;
/// Titles are never cut shorter than this, however narrow the terminal.
const MIN_TITLE: usize = 20;
/// Dockerfile steps are cut at this many columns.
const STEP: usize = 60;
/// Rows of findings are indented under their package line.
const INDENT: &str = "  ";

/// The ANSI colour of a severity: red for critical (bold) and high, yellow for medium, blue for
/// low, dim for none and unknown.
pub(crate) fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[34m",
        Severity::None | Severity::Unknown => DIM,
    }
}

/// Render the report table (ends in a newline).
pub fn render(report: &VulnReport, opts: &RenderOptions) -> String {
    let mut out = String::new();
    write_header(&mut out, &report.sbom, opts);
    if report.scanners.contains(&zoll_core::Scanner::Vuln) || report.scanners.is_empty() {
        vulnerabilities(&mut out, report, opts);
    }
    super::checks::table(&mut out, report, opts);
    if !report.warnings.is_empty() {
        out.push('\n');
        for w in &report.warnings {
            let _ = writeln!(out, "{} {}", style(opts, "Warning:", BOLD), clean(w));
        }
    }
    out
}

fn vulnerabilities(out: &mut String, report: &VulnReport, opts: &RenderOptions) {
    let db = &report.db;
    let mut line = String::new();
    if !db.built_at.is_empty() {
        let _ = write!(line, "built {}, ", clean(&db.built_at));
    }
    let _ = write!(
        line,
        "{} advisor{}",
        db.advisories,
        if db.advisories == 1 { "y" } else { "ies" }
    );
    let _ = writeln!(out, "{} {line}", style(opts, "Database:", BOLD));

    let summary = Summary::of(report);
    let mut groups: Vec<PackageFindings<'_>> = by_package(report)
        .into_iter()
        .filter(|g| !g.findings.is_empty())
        .collect();
    groups.sort_by(|a, b| {
        b.worst()
            .cmp(&a.worst())
            .then_with(|| a.package.name.cmp(b.package.name))
            .then_with(|| a.package.version.cmp(b.package.version))
    });

    out.push('\n');
    if groups.is_empty() {
        let _ = writeln!(
            out,
            "{}{}.",
            style(opts, "No vulnerabilities found", BOLD),
            extras(&summary, false)
        );
    } else {
        findings_table(out, report, &groups, opts);
        out.push('\n');
        let total = format!(
            "{} vulnerabilit{}",
            summary.total,
            if summary.total == 1 { "y" } else { "ies" }
        );
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .map(|s| format!("{} {}", s.as_str(), summary.count(*s)))
            .collect();
        let _ = writeln!(out, "{}: {}", style(opts, &total, BOLD), counts.join(", "));
        let _ = writeln!(out, "{} fixable{}", summary.fixable, extras(&summary, true));
    }
}

/// The suppressed and filtered counts as `; 2 suppressed (1 by VEX, 1 by ignore file); 3 filtered
/// out`. `all` writes zero counts too (after the totals); otherwise they are left out (after "no
/// vulnerabilities found").
fn extras(s: &Summary, all: bool) -> String {
    let mut out = String::new();
    if s.suppressed > 0 || all {
        let _ = write!(out, "; {} suppressed", s.suppressed);
        let mut by = vec![];
        if s.suppressed_by_vex > 0 {
            by.push(format!("{} by VEX", s.suppressed_by_vex));
        }
        if s.suppressed_by_ignore_file > 0 {
            by.push(format!("{} by ignore file", s.suppressed_by_ignore_file));
        }
        if !by.is_empty() {
            let _ = write!(out, " ({})", by.join(", "));
        }
    }
    if s.filtered > 0 || all {
        let _ = write!(out, "; {} filtered out", s.filtered);
    }
    out
}

fn findings_table(
    out: &mut String,
    report: &VulnReport,
    groups: &[PackageFindings<'_>],
    opts: &RenderOptions,
) {
    let header: Vec<String> = ["ID", "SEVERITY", "SCORE", "FIXED IN", "TITLE"]
        .map(str::to_owned)
        .to_vec();
    let rows: Vec<Vec<Vec<String>>> = groups
        .iter()
        .map(|g| g.findings.iter().map(|f| row(f)).collect())
        .collect();
    let mut widths = vec![0usize; header.len()];
    for r in std::iter::once(&header).chain(rows.iter().flatten()) {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    // Everything left of TITLE: the indent, four columns and their gaps.
    let fixed = INDENT.len() + widths.iter().take(4).map(|w| w + 2).sum::<usize>();
    let title_max = opts
        .width
        .map_or(DEFAULT_TITLE, |w| w.saturating_sub(fixed).max(MIN_TITLE));

    out.push_str(INDENT);
    let header_codes = [BOLD; 5];
    push_row(
        out,
        &header,
        &widths,
        opts.color.then_some(&header_codes[..]),
    );
    for (g, rows) in groups.iter().zip(rows) {
        out.push('\n');
        package_line(out, report, g, opts);
        for (f, mut r) in g.findings.iter().zip(rows) {
            if let Some(title) = r.last_mut() {
                *title = truncate(title, title_max);
            }
            let codes = ["", severity_color(f.severity), "", "", ""];
            out.push_str(INDENT);
            push_row(out, &r, &widths, opts.color.then_some(&codes[..]));
        }
    }
}

/// `NAME VERSION (TYPE), layer N: STEP`.
fn package_line(
    out: &mut String,
    report: &VulnReport,
    g: &PackageFindings<'_>,
    opts: &RenderOptions,
) {
    let p = &g.package;
    let name = format!("{} {}", clean(p.name), clean(p.version));
    let mut rest = format!(" ({})", p.kind);
    let target = &report.sbom.target;
    if let Some(i) = p.layer.and_then(|d| layer_index(target, d)) {
        let _ = write!(rest, ", layer {i}");
        let step = target
            .layers
            .get(i)
            .and_then(|l| l.created_by.as_deref())
            .map(|c| dockerfile_step(c, STEP))
            .filter(|s| !s.is_empty());
        if let Some(step) = step {
            let _ = write!(rest, ": {step}");
        }
    }
    let mut line = format!("{name}{rest}");
    if let Some(w) = opts.width {
        line = truncate(&line, w.max(MIN_TITLE));
    }
    if opts.color {
        // Bold the name and version only (they may have been cut).
        let cut = name.len().min(line.len());
        let (head, tail) = line.split_at_checked(cut).unwrap_or((&line, ""));
        let _ = writeln!(out, "{BOLD}{head}{RESET}{tail}");
    } else {
        let _ = writeln!(out, "{line}");
    }
}

fn row(f: &Finding) -> Vec<String> {
    let score = chosen_cvss(f).map_or_else(|| "-".to_owned(), |c| format!("{:.1}", c.score));
    let title = f
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            f.details
                .as_deref()
                .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
        })
        .unwrap_or("-");
    vec![
        clean(&f.id),
        f.severity.as_str().to_owned(),
        score,
        clean(&fixed_in(f)),
        clean(&one_line(title)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extras_leave_out_zero_counts_after_no_findings() {
        let mut s = Summary::default();
        assert_eq!(extras(&s, false), "");
        assert_eq!(extras(&s, true), "; 0 suppressed; 0 filtered out");
        s.suppressed = 2;
        s.suppressed_by_vex = 1;
        s.suppressed_by_ignore_file = 1;
        assert_eq!(
            extras(&s, false),
            "; 2 suppressed (1 by VEX, 1 by ignore file)"
        );
        s.filtered = 3;
        assert_eq!(
            extras(&s, true),
            "; 2 suppressed (1 by VEX, 1 by ignore file); 3 filtered out"
        );
    }
}
