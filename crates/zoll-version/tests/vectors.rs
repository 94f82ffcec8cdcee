#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The OSV reference vectors (google/osv-scalibr `semantic/testdata`, kept in
//! `../shared/data/version-order/`): every comparison of every file must hold, in both directions,
//! for every ecosystem the file serves. All failing lines are reported before the test fails.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use zoll_version::{Ecosystem, Version};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/version-order")
}

/// Which ecosystems each vector file serves.
fn ecosystems_for(file: &str) -> &'static [Ecosystem] {
    match file {
        "alpine-versions.txt" => &[Ecosystem::Apk],
        "cran-versions.txt" => &[Ecosystem::Cran],
        "debian-versions.txt" => &[Ecosystem::Dpkg],
        "hackage-versions.txt" => &[Ecosystem::Hackage],
        "maven-versions.txt" => &[Ecosystem::Maven],
        "nuget-versions.txt" => &[Ecosystem::NuGet],
        "packagist-versions.txt" => &[Ecosystem::Packagist],
        "pub-versions.txt" => &[Ecosystem::Pub],
        "pypi-versions.txt" => &[Ecosystem::PyPI],
        "redhat-versions.txt" => &[Ecosystem::Rpm],
        "rubygems-versions.txt" => &[Ecosystem::RubyGems],
        "semver-versions.txt" => &[
            Ecosystem::Npm,
            Ecosystem::CratesIo,
            Ecosystem::Go,
            Ecosystem::Hex,
        ],
        _ => &[],
    }
}

/// Checks one vector line; `None` for comments and blank lines.
fn check_line(ecosystem: Ecosystem, line: &str) -> Option<Result<(), String>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
        return None;
    }
    let parts: Vec<&str> = line.split(' ').collect();
    let [a, op, b] = parts[..] else {
        return Some(Err(format!("malformed line (want `A op B`): {line}")));
    };
    let expected = match op {
        "<" => Ordering::Less,
        "=" => Ordering::Equal,
        ">" => Ordering::Greater,
        _ => return Some(Err(format!("unknown operator {op:?}"))),
    };
    let parse = |s: &str| Version::parse(ecosystem, s).map_err(|e| e.to_string());
    Some((|| {
        let (va, vb) = (parse(a)?, parse(b)?);
        let (ab, ba) = (va.cmp(&vb), vb.cmp(&va));
        if ab != expected || ba != expected.reverse() {
            return Err(format!(
                "{ecosystem}: want {a} {op} {b}, got {ab:?} (and {ba:?} reversed)"
            ));
        }
        if (va == vb) != (expected == Ordering::Equal) {
            return Err(format!(
                "{ecosystem}: == disagrees with cmp for {a} {op} {b}"
            ));
        }
        Ok(())
    })())
}

#[test]
fn every_vector_line_holds() {
    let dir = vectors_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the version-order vectors are missing at {} ({e}); they live in the shared data \
             directory beside the repository (see ../shared/data/README.md)",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut seen_files = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".txt") {
            continue;
        }
        let ecosystems = ecosystems_for(&name);
        if ecosystems.is_empty() {
            failures.push(format!(
                "{name}: no ecosystem is mapped to this vector file"
            ));
            continue;
        }
        seen_files += 1;
        let text = std::fs::read_to_string(path).unwrap();
        for &ecosystem in ecosystems {
            for (i, line) in text.lines().enumerate() {
                match check_line(ecosystem, line) {
                    None => {}
                    Some(Ok(())) => checked += 1,
                    Some(Err(e)) => failures.push(format!("{name}:{}: {e}", i + 1)),
                }
            }
        }
    }
    assert_eq!(
        seen_files,
        12,
        "expected the 12 vector files in {}",
        dir.display()
    );
    assert!(checked > 1500, "only {checked} comparisons checked");
    assert!(
        failures.is_empty(),
        "{} of {} comparisons failed:\n{}",
        failures.len(),
        checked + failures.len(),
        failures.join("\n")
    );
}
