//! Acceptance tests of zoll-rpmdb against real databases from `../shared/data/rpmdb/`, with rpm
//! itself (`rpm -qa --dbpath`) and go-rpmdb's expected lists as the oracles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use zoll_rpmdb::{RpmPackage, read_any, read_bdb, read_ndb, read_sqlite};

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/rpmdb");
    assert!(
        dir.is_dir(),
        "test data missing: {} does not exist (the shared data set must sit next to the project)",
        dir.display()
    );
    dir
}

fn read(rel: &str) -> Vec<u8> {
    let p = data_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read test data {}: {e}", p.display()))
}

fn json(rel: &str) -> Vec<Value> {
    serde_json::from_slice::<Vec<Value>>(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Compare one package with a go-rpmdb style expectation, every field the JSON has.
fn assert_matches_expected(p: &RpmPackage, e: &Value) {
    let obj = e.as_object().expect("expected entry is an object");
    for (k, v) in obj {
        let ctx = format!("{} field {k}", p.name);
        match k.as_str() {
            "name" => assert_eq!(Some(p.name.clone()), opt_str(v), "{ctx}"),
            "epoch" => assert_eq!(p.epoch.map(i64::from), v.as_i64(), "{ctx}"),
            "version" => assert_eq!(Some(p.version.clone()), opt_str(v), "{ctx}"),
            "release" => assert_eq!(Some(p.release.clone()), opt_str(v), "{ctx}"),
            "arch" => assert_eq!(p.arch, opt_str(v), "{ctx}"),
            "source_rpm" => assert_eq!(p.source_rpm, opt_str(v), "{ctx}"),
            "size" => assert_eq!(p.size, v.as_u64(), "{ctx}"),
            "license" => assert_eq!(p.license, opt_str(v), "{ctx}"),
            "vendor" => assert_eq!(p.vendor, opt_str(v), "{ctx}"),
            "modularitylabel" => {
                assert_eq!(
                    p.modularity_label.clone().filter(|s| !s.is_empty()),
                    opt_str(v),
                    "{ctx}"
                )
            }
            "summary" => assert_eq!(Some(p.summary.clone()), opt_str(v), "{ctx}"),
            "sigmd5" => assert_eq!(p.sigmd5, opt_str(v), "{ctx}"),
            other => panic!("expected.json has field {other} the test does not compare"),
        }
    }
}

/// `rpm -qa` on a writable copy of the database, one tab-separated line per package.
fn rpm_qa(db_file: &str, backend: &str) -> Vec<String> {
    let src = data_dir().join(db_file);
    let tmp = tempfile::tempdir().expect("tempdir");
    let name = src.file_name().expect("file name");
    let dst = tmp.path().join(name);
    std::fs::write(&dst, read(db_file)).expect("copy database");
    let out = Command::new("rpm")
        .arg("-qa")
        .arg("--dbpath")
        .arg(tmp.path())
        .args(["--define", &format!("_db_backend {backend}")])
        .args(["--qf", "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run rpm (Debian package `rpm` is the oracle for this test): {e}"));
    assert!(
        out.status.success(),
        "rpm -qa failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// Our packages in the same format as [`rpm_qa`].
fn qa_lines(pkgs: &[RpmPackage]) -> Vec<String> {
    let mut lines: Vec<String> = pkgs
        .iter()
        .map(|p| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                p.name,
                p.epoch.unwrap_or(0),
                p.version,
                p.release,
                p.arch.as_deref().unwrap_or("(none)"),
                p.source_rpm.as_deref().unwrap_or("(none)"),
                p.license.as_deref().unwrap_or("(none)"),
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn ndb_sle15_matches_expected_json() {
    let pkgs = read_ndb(&read("sle15-bci/Packages.db")).expect("read ndb");
    let expected = json("sle15-bci/expected.json");
    assert_eq!(expected.len(), 35);
    assert_eq!(pkgs.len(), expected.len(), "package count");
    for e in &expected {
        let name = e["name"].as_str().expect("name");
        let found: Vec<_> = pkgs.iter().filter(|p| p.name == name).collect();
        assert_eq!(found.len(), 1, "{name} found {} times", found.len());
        assert_matches_expected(found[0], e);
    }
    // read_any picks NDB by magic whatever the name says.
    assert_eq!(
        read_any("whatever", &read("sle15-bci/Packages.db"))
            .expect("read_any")
            .len(),
        35
    );
}

#[test]
fn sqlite_mariner_matches_rpm() {
    let pkgs = read_sqlite(&read("cbl-mariner-2.0/rpmdb.sqlite")).expect("read sqlite");
    assert_eq!(pkgs.len(), 129);
    let ours = qa_lines(&pkgs);
    let rpm = rpm_qa("cbl-mariner-2.0/rpmdb.sqlite", "sqlite");
    assert_eq!(rpm.len(), 129, "rpm lists 129 packages");
    for (a, b) in ours.iter().zip(&rpm) {
        assert_eq!(a, b);
    }
    assert_eq!(ours, rpm);

    let expected = json("cbl-mariner-2.0/expected-subset.json");
    assert!(!expected.is_empty());
    for e in &expected {
        let name = e["name"].as_str().expect("name");
        let p = pkgs
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_matches_expected(p, e);
    }
    let curl = pkgs.iter().find(|p| p.name == "curl").expect("curl");
    assert_eq!(curl.nevra(), "curl-7.76.0-6.cm2.x86_64");
}

#[test]
fn bdb_libuuid_matches_rpm() {
    let data = read("libuuid/Packages");
    let pkgs = read_bdb(&data).expect("read bdb");
    let names: Vec<_> = pkgs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["libuuid"]);
    assert_eq!(pkgs[0].evr(), "2.32.1-42.el8_8");
    assert_eq!(
        pkgs[0].source_rpm.as_deref(),
        Some("util-linux-2.32.1-42.el8_8.src.rpm")
    );
    assert_eq!(qa_lines(&pkgs), rpm_qa("libuuid/Packages", "bdb_ro"));
    assert_eq!(
        read_any("/var/lib/rpm/Packages", &data).expect("read_any"),
        pkgs
    );
}

#[test]
fn real_databases_truncated_or_flipped_never_panic() {
    for (rel, reader) in [
        ("sle15-bci/Packages.db", read_ndb as fn(&[u8]) -> _),
        ("libuuid/Packages", read_bdb),
        ("cbl-mariner-2.0/rpmdb.sqlite", read_sqlite),
    ] {
        let data = read(rel);
        // Truncation at a few points: an error, or (for SQLite, whose pages may be unused) fewer packages.
        for cut in [1, 7, 100, 4096, data.len() / 2, data.len() - 1] {
            if let Ok(p) = reader(&data[..cut]) {
                assert!(p.len() < 200, "{rel} cut at {cut}");
            }
        }
        // Flip bytes at spread-out positions; any outcome but a panic is fine.
        let mut d = data.clone();
        let step = (d.len() / 97).max(1);
        for i in (0..d.len()).step_by(step) {
            d[i] ^= 0x5a;
            let _ = reader(&d);
            d[i] ^= 0x5a;
        }
    }
}
