//! Command-line behaviour: help, formats, output files, bad input, exit codes.

use crate::util::{run, zoll};

#[test]
fn help_explains_the_sources() {
    let out = zoll().args(["sbom", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "oci:PATH",
        "docker-archive:PATH",
        "dir:PATH",
        "REGISTRY/REPO",
        "cyclonedx-json",
        "--insecure",
        "--creds",
    ] {
        assert!(text.contains(needle), "help lacks {needle}");
    }
}

#[test]
fn output_file_and_formats() {
    let archive = crate::alpine::shared_data().join("images/alpine-311.tar.gz");
    let dir = tempfile::tempdir().unwrap();
    let source = format!("docker-archive:{}", archive.display());
    for (format, needle) in [
        ("cyclonedx-json", "\"bomFormat\": \"CycloneDX\""),
        ("spdx-json", "\"spdxVersion\": \"SPDX-2.3\""),
        ("table", "musl-utils"),
    ] {
        let file = dir.path().join(format!("out.{format}"));
        let out = run(
            &["sbom", &source, "-f", format, "-o", file.to_str().unwrap()],
            &dir.path().join("cache"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(needle), "{format}: {text}");
        assert!(!text.contains('\x1b'), "NO_COLOR: no escape codes");
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = run(&["sbom", "oci:/nonexistent/layout"], &cache);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/layout"), "{err}");
    let out = run(&["sbom", "Not A Ref"], &cache);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap usage errors exit 2 as well"
    );
    let out = run(&["sbom", "dir:/nonexistent", "-f", "xml"], &cache);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("table, json, cyclonedx-json, spdx-json")
    );
}
