//! The real Alpine 3.10 and 3.11 `docker save` archives each yield exactly their 14 apk packages.
//! The expected lists were read straight from each archive's `lib/apk/db/installed` with
//! `tar -xOf LAYER lib/apk/db/installed | awk -F: '/^P:/{p=$2} /^V:/{print p"@"$2}'`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::util::sbom_json;

pub(crate) fn shared_data() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(
        p.is_dir(),
        "the shared data directory {} is missing (it sits beside the repository)",
        p.display()
    );
    p
}

fn check(archive: &str, distro_version: &str, expected: &str) {
    let cache = tempfile::tempdir().unwrap();
    let path = shared_data().join("images").join(archive);
    let sbom = sbom_json(
        &format!("docker-archive:{}", path.display()),
        &[],
        cache.path(),
    );
    let got: BTreeSet<String> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "apk");
            let purl = p["purl"].as_str().unwrap();
            assert!(
                purl.contains(&format!("distro=alpine-{distro_version}")),
                "{purl}"
            );
            assert!(purl.starts_with("pkg:apk/alpine/"), "{purl}");
            format!(
                "{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    let want: BTreeSet<String> = expected.split_whitespace().map(str::to_owned).collect();
    assert_eq!(want.len(), 14);
    assert_eq!(got, want, "{archive}");
    assert_eq!(
        sbom["packages"].as_array().unwrap().len(),
        14,
        "no duplicates"
    );
    assert_eq!(sbom["distro"]["id"], "alpine");
    // musl's origin is recorded as its source package.
    let musl = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "musl-utils")
        .unwrap();
    assert_eq!(musl["source"]["name"], "musl");
}

#[test]
fn alpine_310_yields_its_14_packages() {
    check(
        "alpine-310.tar.gz",
        "3.10.4",
        "musl@1.1.22-r3 busybox@1.30.1-r3 alpine-baselayout@3.1.2-r0 alpine-keys@2.1-r2 libcrypto1.1@1.1.1d-r2 libssl1.1@1.1.1d-r2 \
         ca-certificates-cacert@20190108-r0 libtls-standalone@2.9.1-r0 ssl_client@1.30.1-r3 zlib@1.2.11-r1 apk-tools@2.10.4-r2 \
         scanelf@1.2.3-r0 musl-utils@1.1.22-r3 libc-utils@0.7.1-r0",
    );
}

#[test]
fn alpine_311_yields_its_14_packages() {
    check(
        "alpine-311.tar.gz",
        "3.11.5",
        "musl@1.1.24-r2 busybox@1.31.1-r9 alpine-baselayout@3.2.0-r3 alpine-keys@2.1-r2 libcrypto1.1@1.1.1d-r3 libssl1.1@1.1.1d-r3 \
         ca-certificates-cacert@20191127-r1 libtls-standalone@2.9.1-r0 ssl_client@1.31.1-r9 zlib@1.2.11-r3 apk-tools@2.10.4-r3 \
         scanelf@1.2.4-r0 musl-utils@1.1.24-r2 libc-utils@0.7.2-r0",
    );
}
