//! zoll's CycloneDX 1.6 and SPDX 2.3 output for a real image validates against the official
//! schemas (PyPI `cyclonedx-python-lib` and `spdx-tools`, the same validator scripts the
//! zoll-formats tests use).

use std::path::PathBuf;
use std::process::Command;

const CYCLONEDX: &str = include_str!("../../../zoll-formats/tests/validators/cyclonedx.py");
const SPDX: &str = include_str!("../../../zoll-formats/tests/validators/spdx.py");

fn python() -> PathBuf {
    crate::util::venv_tool(
        "python3",
        "'cyclonedx-python-lib[json-validation]' spdx-tools",
    )
}

fn validate(format: &str, ext: &str, script: &str) {
    let img = zoll_testimages::build("debian-full").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("bom.{ext}"));
    let out = crate::util::run(
        &[
            "sbom",
            &format!("docker-archive:{}", img.docker_archive.display()),
            "-f",
            format,
            "-o",
            file.to_str().unwrap(),
        ],
        &dir.path().join("cache"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "{format} output is invalid:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn cyclonedx_of_a_real_image_is_valid() {
    validate("cyclonedx-json", "cdx.json", CYCLONEDX);
}

#[test]
fn spdx_of_a_real_image_is_valid() {
    validate("spdx-json", "spdx.json", SPDX);
}
