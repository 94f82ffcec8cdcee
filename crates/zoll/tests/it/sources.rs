//! The real test images round-trip through every source type (OCI layout, docker archive plain
//! and gzip'd, root filesystem, and a real registry with basic auth) with the same packages.

use std::collections::BTreeSet;
use std::process::Command;

use crate::util::{Registry, need, purls, run, sbom_json};

fn roundtrip(name: &str) {
    let img = zoll_testimages::build(name).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let oci = sbom_json(
        &format!("oci:{}:{}", img.oci_layout.display(), img.oci_tag),
        &[],
        cache.path(),
    );
    let reference = purls(&oci);
    assert!(
        reference.len() >= 10,
        "{name}: only {} packages",
        reference.len()
    );
    for layer in oci["packages"].as_array().unwrap() {
        assert!(
            layer["layer"]
                .as_str()
                .is_some_and(|l| l.starts_with("sha256:")),
            "{name}: package without layer: {layer}"
        );
        assert!(!layer["locations"].as_array().unwrap().is_empty());
    }
    for source in [
        format!("docker-archive:{}", img.docker_archive.display()),
        format!("docker-archive:{}", img.docker_archive_gz.display()),
    ] {
        let got = purls(&sbom_json(&source, &[], cache.path()));
        assert_eq!(
            got, reference,
            "{name}: {source} differs from the OCI layout"
        );
    }
    // A root filesystem has no layers and no lock between files and layers; the package set is
    // the same.
    let dir = purls(&sbom_json(
        &format!("dir:{}", img.rootfs.display()),
        &[],
        cache.path(),
    ));
    let missing: BTreeSet<_> = reference.difference(&dir).collect();
    let extra: BTreeSet<_> = dir.difference(&reference).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: dir: missing {missing:?}, extra {extra:?}"
    );

    // Push with skopeo (a real client) into a real registry with htpasswd auth; read it back.
    need("skopeo", "apt-get install skopeo");
    let registry = Registry::start("zoll", "s3cret-pass");
    let dest = format!("{}/test/{name}:1.0", registry.addr);
    let out = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--dest-creds",
            "zoll:s3cret-pass",
        ])
        .arg(format!("oci:{}:{}", img.oci_layout.display(), img.oci_tag))
        .arg(format!("docker://{dest}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo copy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = tempfile::tempdir().unwrap();
    let pulled = sbom_json(
        &dest,
        &["--insecure", "--creds", "zoll:s3cret-pass"],
        fresh.path(),
    );
    assert_eq!(
        purls(&pulled),
        reference,
        "{name}: registry differs from the OCI layout"
    );
    assert_eq!(pulled["target"]["kind"], "registry");
    // Without credentials the registry refuses, and zoll says so.
    let denied = run(
        &[
            "sbom",
            &dest,
            "--insecure",
            "--docker-config",
            "/nonexistent/config.json",
        ],
        fresh.path(),
    );
    assert_eq!(denied.status.code(), Some(2));
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(err.contains("unauthorized"), "{err}");
    assert!(
        !err.contains("s3cret"),
        "a secret leaked into the error: {err}"
    );
    // Credentials from the environment work too.
    let env = crate::util::zoll()
        .args(["sbom", &dest, "--insecure", "-f", "json", "--no-cache"])
        .env("ZOLL_USERNAME", "zoll")
        .env("ZOLL_PASSWORD", "s3cret-pass")
        .output()
        .unwrap();
    assert!(
        env.status.success(),
        "{}",
        String::from_utf8_lossy(&env.stderr)
    );
}

#[test]
fn debian_full_roundtrips_through_every_source() {
    roundtrip("debian-full");
}

#[test]
fn alpine_roundtrips_through_every_source() {
    roundtrip("alpine-310");
}

#[test]
fn debian_full_has_every_ecosystem() {
    let img = zoll_testimages::build("debian-full").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let sbom = sbom_json(
        &format!("docker-archive:{}", img.docker_archive.display()),
        &[],
        cache.path(),
    );
    let all = purls(&sbom);
    for want in [
        "pkg:pypi/requests@2.19.1",
        "pkg:pypi/urllib3@1.24.1",
        "pkg:pypi/jinja2@2.10",
        "pkg:pypi/pyyaml@5.3",
        "pkg:pypi/django@2.2", // PyPI release 2.2.0 records Version: 2.2
        "pkg:npm/lodash@4.17.4",
        "pkg:npm/minimist@1.2.0",
        "pkg:npm/axios@0.21.0",
        "pkg:golang/stdlib@1.19.8",
    ] {
        assert!(all.contains(want), "{want} missing from debian-full");
    }
    // chardet is installed in the pip layer and deleted by a whiteout in a later layer: it is
    // still in the image's bytes but not in its filesystem, so it is not a package of the image.
    assert!(
        !all.iter().any(|p| p.starts_with("pkg:pypi/chardet@")),
        "a whited-out package was reported"
    );
    let types: BTreeSet<&str> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    for t in [
        "deb",
        "python",
        "npm",
        "cargo",
        "go-module",
        "maven",
        "gem",
        "composer",
        "nuget",
    ] {
        assert!(
            types.contains(t),
            "no {t} package in debian-full: {types:?}"
        );
    }
    assert_eq!(sbom["distro"]["id"], "debian");
    // dpkg packages carry the distro qualifier and their source package.
    let libc = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "libc6")
        .unwrap();
    assert!(
        libc["purl"].as_str().unwrap().contains("distro=debian-12"),
        "{libc}"
    );
    assert_eq!(libc["source"]["name"], "glibc");
    // Packages are attributed to the layer that added them: the base layer for libc6, a later
    // one for the pip packages.
    let layers: Vec<&str> = sbom["target"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap())
        .collect();
    assert_eq!(libc["layer"], layers[0]);
    let requests = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("requests"))
        })
        .unwrap();
    assert_ne!(requests["layer"], layers[0]);
}
