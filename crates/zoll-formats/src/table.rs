//! The `table` format: a header naming the target and distro, then one row per package with
//! NAME, VERSION, TYPE and LAYER (the short diff-id of the layer that added it), sorted by name
//! then type.
//!
//! Columns are padded by display width (CJK and emoji count double), rows carry no trailing
//! spaces, and the table reads the same without colour; colour (bold header, dim layer ids) is
//! added only when [`RenderOptions::color`] asks. Control characters in package data (which comes
//! from untrusted images) are escaped so that no terminal escape sequence from an image reaches the
//! terminal.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;
use zoll_core::{Package, Sbom};

use crate::RenderOptions;
use crate::common::{image_digest, platform_string, sorted_packages};

pub(crate) const BOLD: &str = "\x1b[1m";
pub(crate) const DIM: &str = "\x1b[2m";
pub(crate) const RESET: &str = "\x1b[0m";

/// `s` wrapped in the ANSI `code` when colour is on.
pub(crate) fn style(opts: &RenderOptions, s: &str, code: &str) -> String {
    if opts.color && !code.is_empty() {
        format!("{code}{s}{RESET}")
    } else {
        s.to_owned()
    }
}

/// The `Target:` and `Distro:` lines every table starts with.
pub(crate) fn write_header(out: &mut String, sbom: &Sbom, opts: &RenderOptions) {
    let t = &sbom.target;
    let mut target = format!("{} ({})", clean(&t.input), clean(&t.kind));
    if let Some(d) = image_digest(t) {
        let _ = write!(target, " {}:{}", d.algorithm().as_str(), d.short());
    }
    if let Some(p) = platform_string(t) {
        let _ = write!(target, " {}", clean(&p));
    }
    let _ = writeln!(out, "{} {target}", style(opts, "Target:", BOLD));
    if let Some(d) = &sbom.distro {
        let name = match (&d.pretty_name, &d.version_id) {
            (Some(p), _) => p.clone(),
            (None, Some(v)) => format!("{} {v}", d.id),
            (None, None) => d.id.clone(),
        };
        let _ = writeln!(out, "{} {}", style(opts, "Distro:", BOLD), clean(&name));
    }
}

/// Render the table (ends in a newline).
pub fn render(sbom: &Sbom, opts: &RenderOptions) -> String {
    let mut out = String::new();
    write_header(&mut out, sbom, opts);

    let pkgs = sorted_packages(sbom);
    if pkgs.is_empty() {
        out.push_str("No packages found.\n");
        return out;
    }
    let with_layer = pkgs.iter().any(|p| p.layer.is_some());
    let mut rows: Vec<Vec<String>> = vec![];
    let mut header = vec!["NAME".to_owned(), "VERSION".to_owned(), "TYPE".to_owned()];
    if with_layer {
        header.push("LAYER".to_owned());
    }
    for p in &pkgs {
        rows.push(row(p, with_layer));
    }
    let ncols = header.len();
    let mut widths = vec![0usize; ncols];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    out.push('\n');
    let header_codes: Vec<&str> = vec![BOLD; ncols];
    push_row(
        &mut out,
        &header,
        &widths,
        opts.color.then_some(&header_codes[..]),
    );
    let mut row_codes: Vec<&str> = vec![""; ncols];
    if with_layer {
        row_codes[ncols - 1] = DIM;
    }
    for r in &rows {
        push_row(&mut out, r, &widths, opts.color.then_some(&row_codes[..]));
    }
    out
}

fn row(p: &Package, with_layer: bool) -> Vec<String> {
    let mut r = vec![clean(&p.name), clean(&p.version), p.kind.to_string()];
    if with_layer {
        r.push(
            p.layer
                .as_ref()
                .map_or_else(|| "-".to_owned(), |d| d.short().to_owned()),
        );
    }
    r
}

pub(crate) fn push_row(
    out: &mut String,
    cells: &[String],
    widths: &[usize],
    codes: Option<&[&str]>,
) {
    let last = cells.len().saturating_sub(1);
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        match codes.and_then(|c| c.get(i)).filter(|c| !c.is_empty()) {
            Some(code) => {
                let _ = write!(out, "{code}{cell}{RESET}");
            }
            None => out.push_str(cell),
        }
        if i < last {
            let pad = w.saturating_sub(cell.width()) + 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
    out.push('\n');
}

/// Escape control characters (ESC, CR, BEL, ...) so image data cannot drive the terminal.
pub(crate) fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(clean("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(clean("plain ü"), "plain ü");
    }

    #[test]
    fn pads_by_display_width() {
        let mut out = String::new();
        let widths = [4, 1];
        push_row(
            &mut out,
            &["日本".to_owned(), "x".to_owned()],
            &widths,
            None,
        );
        push_row(&mut out, &["ab".to_owned(), "y".to_owned()], &widths, None);
        assert_eq!(out, "日本  x\nab    y\n");
    }
}
