//! Validation of the CycloneDX and SPDX output with the official tools: `cyclonedx-python-lib`'s
//! strict JSON schema validator and `spdx-tools`' full document validator, from the Python venv at
//! `/opt/zoll-venv` (or `$ZOLL_TOOLS_VENV`). A missing venv fails the tests with the command that
//! installs it: these checks are never skipped silently. Negative cases prove the validators do
//! reject broken documents, so a passing run means something.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use zoll_formats::{SbomFormat, render};

use crate::fixture;

const INSTALL: &str = "python3 -m venv /opt/zoll-venv && /opt/zoll-venv/bin/pip install 'cyclonedx-python-lib[json-validation]' spdx-tools";

const CYCLONEDX: &str = include_str!("../validators/cyclonedx.py");

const SPDX: &str = include_str!("../validators/spdx.py");

/// The venv's python, checked once per test run.
pub(crate) fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_python) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn find_python() -> Result<PathBuf, String> {
    let venv = std::env::var_os("ZOLL_TOOLS_VENV")
        .map_or_else(|| PathBuf::from("/opt/zoll-venv"), PathBuf::from);
    let python = venv.join("bin").join("python3");
    let probe = Command::new(&python)
        .args([
            "-c",
            "import jsonschema, cyclonedx.validation.json, spdx_tools.spdx.parser.parse_anything",
        ])
        .output();
    match probe {
        Ok(o) if o.status.success() => Ok(python),
        Ok(o) => Err(format!(
            "the validators are not installed in {}: {}\nhint: install them with: {INSTALL}",
            venv.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!(
            "cannot run {}: {e}\nhint: install the validators with: {INSTALL}",
            python.display()
        )),
    }
}

/// Run a validator script on `text`; Ok when valid, Err(stderr) when rejected.
pub(crate) fn run(script: &str, text: &str, ext: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    // spdx-tools picks its parser by extension: ".spdx.json".
    let path = dir.path().join(format!("bom.{ext}"));
    fs_write(&path, text);
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn fs_write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

pub(crate) fn cyclonedx(text: &str) -> Result<(), String> {
    run(CYCLONEDX, text, "cdx.json")
}

fn spdx(text: &str) -> Result<(), String> {
    run(SPDX, text, "spdx.json")
}

fn rendered(sbom: &zoll_core::Sbom, format: SbomFormat) -> String {
    String::from_utf8(render(sbom, format, &fixture::options()).unwrap()).unwrap()
}

#[test]
fn cyclonedx_output_is_valid() {
    for sbom in [fixture::sbom(), fixture::empty_dir()] {
        let text = rendered(&sbom, SbomFormat::CycloneDxJson);
        if let Err(e) = cyclonedx(&text) {
            panic!(
                "CycloneDX 1.6 validation failed for {}:\n{e}\n{text}",
                sbom.target.input
            );
        }
    }
}

#[test]
fn spdx_output_is_valid() {
    for sbom in [fixture::sbom(), fixture::empty_dir()] {
        let text = rendered(&sbom, SbomFormat::SpdxJson);
        if let Err(e) = spdx(&text) {
            panic!(
                "SPDX 2.3 validation failed for {}:\n{e}\n{text}",
                sbom.target.input
            );
        }
    }
}

/// Every licence string the classifier accepts as SPDX must be accepted by both validators.
#[test]
fn classified_licences_are_valid_in_both_formats() {
    let mut sbom = fixture::sbom();
    let samples = [
        "GPL-2.0",
        "GPL-2.0+",
        "GPLv2+",
        "LGPLv2.1",
        "LGPL-3+",
        "AGPLv3",
        "GFDL-1.3",
        "GPL+",
        "Apache 2.0",
        "ASL 2.0",
        "MIT License",
        "Expat",
        "BSD-3-clause",
        "new BSD License",
        "MPL 2.0",
        "EPL-1.0",
        "zlib",
        "CC0",
        "Unlicense",
        "BSL-1.0",
        "PSF-2.0",
        "Python-2.0",
        "ISC",
        "MIT-0",
        "0BSD",
        "Artistic-2.0",
        "OpenSSL",
        "Ruby",
        "X11",
        "GPL-2.0-only WITH Classpath-exception-2.0",
        "Apache-2.0 WITH LLVM-exception",
        "GPLv2+ and LGPLv2+ and MIT",
        "(MIT or Apache-2.0) and (BSD-2-Clause or ISC)",
        "weird \"quoted\" licence",
        "ünïcode licence",
    ];
    for (i, p) in sbom.packages.iter_mut().enumerate() {
        p.licenses = samples
            .iter()
            .skip(i * 4)
            .take(4)
            .map(|s| s.to_string())
            .collect();
    }
    let extra = samples.len().saturating_sub(sbom.packages.len() * 4);
    assert_eq!(extra, 0, "fixture has too few packages for the samples");
    for (format, check) in [
        (
            SbomFormat::CycloneDxJson,
            cyclonedx as fn(&str) -> Result<(), String>,
        ),
        (SbomFormat::SpdxJson, spdx),
    ] {
        let text = rendered(&sbom, format);
        if let Err(e) = check(&text) {
            panic!("{format} validation failed:\n{e}\n{text}");
        }
    }
}

/// A named way to break a document.
type Breakage = (&'static str, Box<dyn FnOnce(&mut serde_json::Value)>);

/// The whole id list (generated from CycloneDX's SPDX enum) must pass both validators.
#[test]
fn every_known_id_is_valid_in_both_formats() {
    let mut sbom = fixture::sbom();
    let template = sbom.packages[0].clone();
    sbom.packages.clear();
    let ids = zoll_formats::license::license_ids();
    let exceptions = zoll_formats::license::exception_ids();
    for (i, id) in ids.iter().enumerate() {
        let mut p = template.clone();
        p.name = format!("p{i}");
        p.purl = format!("pkg:npm/p{i}@1.0.0").parse().unwrap();
        p.licenses = vec![id.to_string()];
        if let Some(exc) = exceptions.get(i) {
            p.licenses.push(format!("GPL-2.0-or-later WITH {exc}"));
        }
        assert_eq!(
            zoll_formats::license::License::parse(id),
            zoll_formats::license::License::Id(id)
        );
        sbom.packages.push(p);
    }
    assert!(exceptions.len() < ids.len());
    for (format, check) in [
        (
            SbomFormat::CycloneDxJson,
            cyclonedx as fn(&str) -> Result<(), String>,
        ),
        (SbomFormat::SpdxJson, spdx),
    ] {
        let text = rendered(&sbom, format);
        if let Err(e) = check(&text) {
            panic!("{format} validation failed:\n{e}");
        }
    }
}

fn edit(text: &str, f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    f(&mut v);
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn validators_reject_broken_cyclonedx() {
    let good = rendered(&fixture::sbom(), SbomFormat::CycloneDxJson);
    let cases: [Breakage; 4] = [
        (
            "unknown licence id",
            Box::new(|v| {
                v["components"][0]["licenses"] =
                    serde_json::json!([{"license": {"id": "Not-A-Licence"}}])
            }),
        ),
        (
            "bad component type",
            Box::new(|v| v["components"][0]["type"] = "package".into()),
        ),
        (
            "missing name",
            Box::new(|v| _ = v["components"][0].as_object_mut().unwrap().remove("name")),
        ),
        (
            "bad serial number",
            Box::new(|v| v["serialNumber"] = "not-a-urn".into()),
        ),
    ];
    for (what, f) in cases {
        let bad = edit(&good, f);
        let err = cyclonedx(&bad).expect_err(what);
        assert!(
            !err.contains("Traceback"),
            "validator crashed on {what}:\n{err}"
        );
        eprintln!("cyclonedx, {what}: {}", err.lines().next().unwrap_or(""));
    }
}

#[test]
fn validators_reject_broken_spdx() {
    let good = rendered(&fixture::sbom(), SbomFormat::SpdxJson);
    let cases: [Breakage; 4] = [
        (
            "undeclared LicenseRef",
            Box::new(|v| v["packages"][2]["licenseDeclared"] = "LicenseRef-Missing".into()),
        ),
        (
            "unknown licence id",
            Box::new(|v| v["packages"][2]["licenseDeclared"] = "Not-A-Licence".into()),
        ),
        (
            "invalid SPDXID",
            Box::new(|v| v["packages"][2]["SPDXID"] = "SPDXRef-has space_and@".into()),
        ),
        (
            "relationship to nothing",
            Box::new(|v| v["relationships"][1]["relatedSpdxElement"] = "SPDXRef-Nowhere".into()),
        ),
    ];
    for (what, f) in cases {
        let bad = edit(&good, f);
        let err = spdx(&bad).expect_err(what);
        assert!(
            !err.contains("Traceback"),
            "validator crashed on {what}:\n{err}"
        );
        eprintln!("spdx, {what}: {}", err.lines().next().unwrap_or(""));
    }
}
