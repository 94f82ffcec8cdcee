//! End-to-end tests of the OS catalogers on real data from `../shared/data/`: the Alpine
//! `docker save` archives and the rpm databases, compared with what Syft 1.18.1 reported for the
//! same inputs (`testdata/syft-*.tsv`, each file says the command that produced it).

use std::io::Read;
use std::path::{Path, PathBuf};

use zoll_core::{Distro, Package};

use crate::{FileMeta, default_catalogers};

fn shared_data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(
        dir.is_dir(),
        "test data missing: {} does not exist (the shared data set must sit next to the project)",
        dir.display()
    );
    dir
}

fn read_shared(rel: &str) -> Vec<u8> {
    let p = shared_data().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read test data {}: {e}", p.display()))
}

/// Files of a gzip'd `docker save` archive that the OS catalogers or release detection want,
/// as `(absolute path, bytes)`, layers in manifest order.
fn image_files(rel: &str) -> Vec<(String, Vec<u8>)> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(read_shared(rel).as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    let mut members = std::collections::HashMap::new();
    for entry in tar::Archive::new(raw.as_slice()).entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        members.insert(path, data);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&members["manifest.json"]).unwrap();
    let layers = manifest[0]["Layers"].as_array().unwrap();
    assert!(!layers.is_empty());
    let cats = super::catalogers();
    let mut out = Vec::new();
    for layer in layers {
        let layer_tar = &members[layer.as_str().unwrap()];
        for entry in tar::Archive::new(layer_tar.as_slice()).entries().unwrap() {
            let mut entry = entry.unwrap();
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = format!(
                "/{}",
                entry
                    .path()
                    .unwrap()
                    .to_string_lossy()
                    .trim_start_matches("./")
            );
            let meta = FileMeta {
                mode: entry.header().mode().unwrap(),
                size: entry.size(),
            };
            if super::release::is_release_file(&path)
                || cats.iter().any(|c| c.selects(&path, &meta))
            {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).unwrap();
                out.push((path, data));
            }
        }
    }
    out
}

/// Run the OS catalogers over `files`, detect the distro and finalize, as the image walker does.
fn catalog(files: &[(String, Vec<u8>)]) -> (Option<Distro>, Vec<Package>) {
    let distro = super::release::detect(files.iter().map(|(p, d)| (p.as_str(), d.as_slice())));
    let mut pkgs = Vec::new();
    for c in super::catalogers() {
        for (path, data) in files {
            if c.selects(path, &FileMeta::default()) {
                pkgs.extend(
                    c.catalog(path, data)
                        .unwrap_or_else(|e| panic!("{path}: {e}")),
                );
            }
        }
    }
    crate::finalize(&mut pkgs, distro.as_ref());
    (distro, pkgs)
}

/// `name<TAB>version<TAB>purl` lines of a Syft recording.
fn syft(name: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/os/testdata")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn lines(pkgs: &[Package]) -> Vec<String> {
    let mut v: Vec<String> = pkgs
        .iter()
        .map(|p| format!("{}\t{}\t{}", p.name, p.version, p.purl))
        .collect();
    v.sort();
    v
}

fn assert_same(ours: &[String], theirs: &[String]) {
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a, b);
    }
    assert_eq!(ours.len(), theirs.len(), "package count");
}

#[test]
fn alpine_310_image() {
    let files = image_files("images/alpine-310.tar.gz");
    let (distro, pkgs) = catalog(&files);
    let distro = distro.expect("os-release found");
    assert_eq!(distro.purl_qualifier(), "alpine-3.10.4");
    let mut nv: Vec<String> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    nv.sort();
    assert_eq!(
        nv,
        [
            "alpine-baselayout@3.1.2-r0",
            "alpine-keys@2.1-r2",
            "apk-tools@2.10.4-r2",
            "busybox@1.30.1-r3",
            "ca-certificates-cacert@20190108-r0",
            "libc-utils@0.7.1-r0",
            "libcrypto1.1@1.1.1d-r2",
            "libssl1.1@1.1.1d-r2",
            "libtls-standalone@2.9.1-r0",
            "musl-utils@1.1.22-r3",
            "musl@1.1.22-r3",
            "scanelf@1.2.3-r0",
            "ssl_client@1.30.1-r3",
            "zlib@1.2.11-r1",
        ]
    );
    assert_same(&lines(&pkgs), &syft("syft-alpine-310.tsv"));
    let musl_utils = pkgs.iter().find(|p| p.name == "musl-utils").unwrap();
    assert_eq!(musl_utils.licenses, ["MIT", "BSD", "GPL2+"]);
    assert_eq!(musl_utils.source.as_ref().unwrap().name, "musl");
    assert_eq!(musl_utils.locations, ["/lib/apk/db/installed"]);
    assert_eq!(musl_utils.found_by, "apk");
}

#[test]
fn alpine_311_image() {
    let files = image_files("images/alpine-311.tar.gz");
    let (distro, pkgs) = catalog(&files);
    assert_eq!(
        distro.expect("os-release").purl_qualifier(),
        "alpine-3.11.5"
    );
    assert_eq!(pkgs.len(), 14);
    assert!(
        pkgs.iter()
            .any(|p| p.name == "musl" && p.version == "1.1.24-r2")
    );
    assert_same(&lines(&pkgs), &syft("syft-alpine-311.tsv"));
}

fn rpm_image(db_rel: &str, db_path: &str, os_release: &str) -> (Option<Distro>, Vec<Package>) {
    let files = vec![
        ("/etc/os-release".to_owned(), os_release.as_bytes().to_vec()),
        (db_path.to_owned(), read_shared(db_rel)),
    ];
    catalog(&files)
}

#[test]
fn rpm_sqlite_mariner() {
    let (_, pkgs) = rpm_image(
        "rpmdb/cbl-mariner-2.0/rpmdb.sqlite",
        "/var/lib/rpm/rpmdb.sqlite",
        "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20220226\"\nID=mariner\nVERSION_ID=2.0\nPRETTY_NAME=\"CBL-Mariner/Linux\"\n",
    );
    assert_same(&lines(&pkgs), &syft("syft-rpm-cbl-mariner-2.0.tsv"));
    let curl = pkgs.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(curl.licenses, ["MIT"]);
    assert_eq!(curl.arch.as_deref(), Some("x86_64"));
    assert_eq!(
        curl.source,
        Some(zoll_core::SourceInfo {
            name: "curl".into(),
            version: Some("7.76.0-6.cm2".into())
        })
    );
    let ca = pkgs
        .iter()
        .find(|p| p.name == "ca-certificates-base")
        .unwrap();
    assert_eq!(ca.version, "1:2.0.0-1.cm2");
    assert_eq!(ca.purl.qualifier("epoch"), Some("1"));
}

#[test]
fn rpm_ndb_sles() {
    let (_, pkgs) = rpm_image(
        "rpmdb/sle15-bci/Packages.db",
        "/usr/lib/sysimage/rpm/Packages.db",
        "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
    );
    assert_same(&lines(&pkgs), &syft("syft-rpm-sle15-bci.tsv"));
    let pcre = pkgs.iter().find(|p| p.name == "libpcre1").unwrap();
    assert_eq!(pcre.source.as_ref().unwrap().name, "pcre");
}

#[test]
fn rpm_bdb_centos_and_rhel_namespace() {
    let (_, pkgs) = rpm_image(
        "rpmdb/libuuid/Packages",
        "/var/lib/rpm/Packages",
        "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\n",
    );
    assert_same(&lines(&pkgs), &syft("syft-rpm-libuuid.tsv"));
    // Syft 1.18 with ID="rhel" VERSION_ID="9.1" over the same database wrote this purl.
    let (_, pkgs) = rpm_image(
        "rpmdb/libuuid/Packages",
        "/var/lib/rpm/Packages",
        "ID=\"rhel\"\nVERSION_ID=\"9.1\"\n",
    );
    assert_eq!(
        pkgs[0].purl.to_string(),
        "pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=rhel-9.1&upstream=util-linux-2.32.1-42.el8_8.src.rpm"
    );
}

#[test]
fn default_catalogers_include_the_os_ones_first() {
    let names: Vec<&str> = default_catalogers().iter().map(|c| c.name()).collect();
    assert_eq!(names[..3], ["dpkg", "apk", "rpm"]);
}
