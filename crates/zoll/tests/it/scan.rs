//! `zoll db` and `zoll scan` end to end: the real OSV exports in ../shared/data, Alpine and
//! Debian records converted from their trackers by the Python scripts in tests/oracle, the test
//! images, and an independent oracle (tests/oracle/expected.py: `packaging`, `dpkg
//! --compare-versions`, `univers`) that computes the expected (package, advisory) pairs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use crate::alpine::shared_data;
use crate::util::zoll;

pub(crate) fn python() -> PathBuf {
    crate::util::venv_tool("python3", "-r crates/zoll/tests/oracle/requirements.txt")
}

fn oracle(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(script)
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Everything the scan tests share: converted records, the OSV source list, one database.
pub(crate) struct Fixture {
    pub(crate) root: PathBuf,
    pub(crate) sources: Vec<PathBuf>,
    pub(crate) db: PathBuf,
}

pub(crate) fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-fixture");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let data = shared_data();
        let conv = root.join("converted");
        let out = Command::new(python())
            .arg(oracle("alpine_to_osv.py"))
            .arg(&conv)
            .arg(data.join("alpine-secdb/v3.10"))
            .arg(data.join("alpine-secdb/v3.11"))
            .arg(data.join("alpine-secdb-json"))
            .output()
            .unwrap();
        ok(&out, "alpine_to_osv.py");
        let out = Command::new(python())
            .arg(oracle("debian_to_osv.py"))
            .arg(&conv)
            .arg(data.join("debian-tracker"))
            .output()
            .unwrap();
        ok(&out, "debian_to_osv.py");
        let sources = vec![
            conv.clone(),
            data.join("osv/PyPI/all.zip"),
            data.join("osv/Go/all.zip"),
            data.join("osv/crates.io/all.zip"),
            data.join("osv/ghsa-sample"),
        ];
        let db = root.join("db");
        let mut cmd = zoll();
        cmd.args(["db", "update", "--db-dir"]).arg(&db);
        for s in &sources {
            cmd.arg("--source").arg(s);
        }
        ok(&cmd.output().unwrap(), "zoll db update");
        Fixture { root, sources, db }
    })
}

pub(crate) fn scan(args: &[&str], db: &Path) -> Output {
    zoll()
        .arg("scan")
        .args(args)
        .arg("--db-dir")
        .arg(db)
        .arg("--no-cache")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap()
}

/// (purl without qualifiers, advisory id) for every finding, suppressed ones included.
fn pairs(report: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for key in ["findings", "suppressed"] {
        for f in report[key].as_array().into_iter().flatten() {
            let purl: zoll_core::Purl = f["package"]["purl"].as_str().unwrap().parse().unwrap();
            for a in f["advisories"].as_array().unwrap() {
                out.insert((
                    purl.without_qualifiers().to_string(),
                    a.as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    out
}

fn expected(sbom: &Path, sources: &[PathBuf]) -> BTreeSet<(String, String)> {
    let mut cmd = Command::new(python());
    cmd.arg(oracle("expected.py")).arg("--sbom").arg(sbom);
    for s in sources {
        cmd.arg("--osv").arg(s);
    }
    let out = cmd.output().unwrap();
    ok(&out, "expected.py");
    let v: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    v.into_iter()
        .map(|(p, a)| {
            (
                p.parse::<zoll_core::Purl>()
                    .unwrap()
                    .without_qualifiers()
                    .to_string(),
                a,
            )
        })
        .collect()
}

fn compare_with_oracle(image: &str, db: &Path, sources: &[PathBuf]) -> usize {
    let f = fixture();
    let img = zoll_testimages::build(image).unwrap();
    let source = format!("docker-archive:{}", img.docker_archive.display());
    let sbom = f.root.join(format!("{image}.sbom.json"));
    let out = zoll()
        .args(["sbom", &source, "--no-cache", "-f", "json", "-o"])
        .arg(&sbom)
        .output()
        .unwrap();
    ok(&out, "zoll sbom");
    let out = scan(&[&source, "-f", "json"], db);
    ok(&out, "zoll scan");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = pairs(&report);
    let want = expected(&sbom, sources);
    let missing: Vec<_> = want.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{image}: zoll and the oracle disagree\nmissing (oracle has, zoll lacks): {missing:#?}\nextra (zoll has, oracle lacks): {extra:#?}"
    );
    want.len()
}

#[test]
fn debian_full_matches_the_oracle() {
    let f = fixture();
    let n = compare_with_oracle("debian-full", &f.db, &f.sources);
    // Go stdlib and x/text, PyPI, npm, crates.io, Packagist, NuGet and Debian:12 all contribute.
    assert!(n > 100, "{n}");
}

/// The real alpine-secdb snapshot for 3.10/3.11 has no fix newer than these images' packages,
/// so the oracle expects nothing; both must agree on that.
#[test]
fn alpine_real_secdb_matches_the_oracle() {
    let f = fixture();
    compare_with_oracle("alpine-310", &f.db, &f.sources);
    compare_with_oracle("alpine-311", &f.db, &f.sources);
}

/// To exercise apk ordering and origin-name matching with real hits, the 3.20 secfixes are
/// relabelled as the image's release (`alpine_to_osv.py --as-release`, synthetic and marked so),
/// imported through the same path, and compared with the oracle.
#[test]
fn alpine_relabelled_secdb_matches_the_oracle() {
    let f = fixture();
    for (image, release) in [("alpine-310", "v3.10"), ("alpine-311", "v3.11")] {
        let conv = f.root.join(format!("relabelled-{release}"));
        let out = Command::new(python())
            .arg(oracle("alpine_to_osv.py"))
            .args(["--as-release", release])
            .arg(&conv)
            .arg(shared_data().join("alpine-secdb-json"))
            .output()
            .unwrap();
        ok(&out, "alpine_to_osv.py --as-release");
        let db = f.root.join(format!("db-{release}"));
        let out = zoll()
            .args(["db", "update", "--db-dir"])
            .arg(&db)
            .arg("--source")
            .arg(&conv)
            .output()
            .unwrap();
        ok(&out, "zoll db update");
        let n = compare_with_oracle(image, &db, std::slice::from_ref(&conv));
        assert!(n > 50, "{image}: {n}");
    }
}

fn report_of(args: &[&str]) -> (Value, Output) {
    let out = scan(args, &fixture().db);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, out)
}

fn debian_source() -> String {
    let img = zoll_testimages::build("debian-full").unwrap();
    format!("docker-archive:{}", img.docker_archive.display())
}

fn ids(report: &Value, key: &str) -> BTreeSet<String> {
    report[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn known_vulnerabilities_are_reported_once_with_fixes_and_layers() {
    let (r, out) = report_of(&[&debian_source(), "-f", "json"]);
    ok(&out, "zoll scan");
    let findings = r["findings"].as_array().unwrap();
    // requests 2.19.1: CVE-2023-32681 through GHSA-j8r2-6x86-q33q and PYSEC-2023-74, once.
    let req: Vec<&Value> = findings
        .iter()
        .filter(|f| f["package"]["name"] == "requests" && f["id"] == "CVE-2023-32681")
        .collect();
    assert_eq!(req.len(), 1, "{req:#?}");
    let advisories: Vec<&str> = req[0]["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        advisories,
        ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"],
        "aliases merged"
    );
    assert_eq!(req[0]["fixed_versions"][0], "2.31.0");
    assert!(req[0]["package"]["layer"].is_string());
    // PyYAML 5.3: CVE-2020-14343, scored from its CVSS v3.1 vector.
    let yaml = findings
        .iter()
        .find(|f| f["package"]["name"] == "PyYAML" && f["id"] == "CVE-2020-14343")
        .expect("PyYAML CVE-2020-14343");
    assert_eq!(yaml["severity"], "critical");
    assert_eq!(yaml["severity_source"]["kind"], "cvss");
    assert!(
        yaml["cvss"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["score"] == 9.8)
    );
    // Go: the standard library and a module of the same binary.
    assert!(findings.iter().any(|f| f["package"]["name"] == "stdlib"));
    assert!(
        findings
            .iter()
            .any(|f| f["package"]["name"] == "golang.org/x/text")
    );
    // Debian: matched by source package; a binary whose source has an unfixed CVE is marked.
    assert!(
        findings
            .iter()
            .any(|f| f["package"]["ecosystem"] == "Debian:12")
    );
    assert!(
        findings
            .iter()
            .any(|f| f["fixed_versions"].as_array().unwrap().is_empty()),
        "some finding has no fix"
    );
    // Severity is computed, and findings are sorted most severe first.
    let sev: Vec<&str> = findings
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    let order = ["critical", "high", "medium", "low", "none", "unknown"];
    let ranks: Vec<usize> = sev
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{sev:?}");
    assert!(sev.contains(&"critical"));
}

#[test]
fn severity_unfixed_and_exit_code_gate() {
    let src = debian_source();
    let (all, _) = report_of(&[&src, "-f", "json"]);
    let (high, out) = report_of(&[&src, "-f", "json", "--severity", "high", "--exit-code", "3"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n_all = all["findings"].as_array().unwrap().len();
    let hs = high["findings"].as_array().unwrap();
    assert!(!hs.is_empty() && hs.len() < n_all);
    assert!(
        hs.iter()
            .all(|f| f["severity"] == "high" || f["severity"] == "critical")
    );
    assert_eq!(
        high["summary"]["filtered"].as_u64().unwrap() as usize + hs.len(),
        n_all
    );
    let (fixed, _) = report_of(&[&src, "-f", "json", "--ignore-unfixed"]);
    let fs = fixed["findings"].as_array().unwrap();
    assert!(fs.len() < n_all);
    assert!(
        fs.iter()
            .all(|f| !f["fixed_versions"].as_array().unwrap().is_empty())
    );
    // No findings left: exit 0 even with --exit-code.
    let alpine = zoll_testimages::build("alpine-311").unwrap();
    let out = scan(
        &[
            &format!("docker-archive:{}", alpine.docker_archive.display()),
            "--severity",
            "critical",
            "--ignore-unfixed",
            "--exit-code",
            "4",
            "-f",
            "json",
        ],
        &fixture().db,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Findings and checks (secrets, misconfigurations at or above --severity) both gate.
    let expect = if v["findings"].as_array().unwrap().is_empty()
        && v["checks"].as_array().unwrap().is_empty()
    {
        0
    } else {
        4
    };
    assert_eq!(out.status.code(), Some(expect));
}

#[test]
fn vex_and_ignore_file_suppress_and_say_so() {
    let src = debian_source();
    let dir = tempfile::tempdir().unwrap();
    let vex = dir.path().join("app.openvex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1",
            "author":"test","timestamp":"2026-01-01T00:00:00Z","version":1,
            "statements":[
              {"vulnerability":{"name":"CVE-2018-18074"},"products":[{"@id":"pkg:pypi/requests@2.19.1"}],
               "status":"not_affected","justification":"vulnerable_code_not_in_execute_path",
               "impact_statement":"no proxies are used"},
              {"vulnerability":{"name":"CVE-2019-10906"},"products":[{"@id":"pkg:pypi/jinja2"}],
               "status":"affected","action_statement":"upgrade"}
            ]}"#,
    )
    .unwrap();
    let ignore = dir.path().join(".zollignore");
    std::fs::write(
        &ignore,
        "[[ignore]]\nid = \"CVE-2020-14343\"\nreason = \"only trusted YAML is loaded\"\nexpires = 2999-12-31\n\n\
         [[ignore]]\nid = \"CVE-2019-11324\"\nreason = \"old decision\"\nexpires = 2020-01-01\n",
    )
    .unwrap();
    let (r, out) = report_of(&[
        &src,
        "-f",
        "json",
        "--vex",
        vex.to_str().unwrap(),
        "--ignore-file",
        ignore.to_str().unwrap(),
    ]);
    ok(&out, "zoll scan --vex --ignore-file");
    let live = ids(&r, "findings");
    let gone = ids(&r, "suppressed");
    assert!(gone.contains("CVE-2018-18074") && !live.contains("CVE-2018-18074"));
    assert!(gone.contains("CVE-2020-14343") && !live.contains("CVE-2020-14343"));
    // An `affected` statement and an expired entry suppress nothing.
    assert!(live.contains("CVE-2019-10906"));
    assert!(live.contains("CVE-2019-11324"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expired on 2020-01-01"), "{stderr}");
    let by: Vec<&str> = r["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["suppressed"]["by"].as_str().unwrap())
        .collect();
    assert!(by.contains(&"vex") && by.contains(&"ignore-file"), "{by:?}");

    // A broken ignore file is an error naming it.
    std::fs::write(&ignore, "[[ignore]]\nid = \"CVE-1\"\n").unwrap();
    let out = scan(
        &[&src, "--ignore-file", ignore.to_str().unwrap()],
        &fixture().db,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".zollignore") && err.contains("reason"),
        "{err}"
    );
}

#[test]
fn scanning_an_sbom_file_finds_the_same() {
    let f = fixture();
    let src = debian_source();
    let (direct, _) = report_of(&[&src, "-f", "json"]);
    for fmt in ["cyclonedx-json", "spdx-json", "json"] {
        let file = f.root.join(format!("sbom-file.{fmt}"));
        let out = zoll()
            .args(["sbom", &src, "--no-cache", "-f", fmt, "-o"])
            .arg(&file)
            .output()
            .unwrap();
        ok(&out, "zoll sbom");
        let (r, out) = report_of(&["--sbom", file.to_str().unwrap(), "-f", "json"]);
        ok(&out, "zoll scan --sbom");
        assert_eq!(pairs(&r), pairs(&direct), "{fmt}");
    }
}

#[test]
fn report_formats_validate() {
    let f = fixture();
    let src = debian_source();
    let sarif = f.root.join("report.sarif");
    let out = scan(&[&src, "-f", "sarif", "-o", sarif.to_str().unwrap()], &f.db);
    ok(&out, "zoll scan -f sarif");
    let out = Command::new(python())
        .arg(oracle("validate_sarif.py"))
        .arg(&sarif)
        .output()
        .unwrap();
    ok(&out, "validate_sarif.py");

    let cdx = f.root.join("report.cdx.json");
    let out = scan(
        &[&src, "-f", "cyclonedx-json", "-o", cdx.to_str().unwrap()],
        &f.db,
    );
    ok(&out, "zoll scan -f cyclonedx-json");
    // Copied under another name: run in place, `cyclonedx.py` would shadow the library it imports.
    let validator = f.root.join("validate_cyclonedx.py");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../zoll-formats/tests/validators/cyclonedx.py"),
        &validator,
    )
    .unwrap();
    let out = Command::new(python())
        .arg(validator)
        .arg(&cdx)
        .output()
        .unwrap();
    ok(&out, "cyclonedx validation");
    let bom: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    assert!(
        bom["vulnerabilities"]
            .as_array()
            .is_some_and(|v| v.len() > 10)
    );

    let junit = f.root.join("report.xml");
    let out = scan(&[&src, "-f", "junit", "-o", junit.to_str().unwrap()], &f.db);
    ok(&out, "zoll scan -f junit");
    let out = Command::new(python())
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
             f = sum(int(s.get('failures')) for s in r.iter('testsuite')); print(f); assert f > 0",
        ])
        .arg(&junit)
        .output()
        .unwrap();
    ok(&out, "junit parse");

    let out = scan(&[&src], &f.db);
    ok(&out, "zoll scan (table)");
    let table = String::from_utf8_lossy(&out.stdout);
    for needle in ["CVE-2018-18074", "requests", "2.20.0", "critical"] {
        assert!(
            table.to_lowercase().contains(&needle.to_lowercase()),
            "table lacks {needle}:\n{table}"
        );
    }
    assert!(
        table.contains("RUN "),
        "the table names the Dockerfile step:\n{table}"
    );
}

#[test]
fn missing_or_old_database() {
    let dir = tempfile::tempdir().unwrap();
    let src = debian_source();
    let out = scan(&[&src], &dir.path().join("nothing-here"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("zoll db update"), "{err}");
    assert!(out.stdout.is_empty());

    // Ten years on, the same database draws a warning but still scans.
    let later = (time::OffsetDateTime::now_utc().unix_timestamp() + 10 * 365 * 86400).to_string();
    let out = zoll()
        .args(["scan", &src, "--no-cache", "-f", "json", "--db-dir"])
        .arg(&fixture().db)
        .env("SOURCE_DATE_EPOCH", &later)
        .output()
        .unwrap();
    ok(&out, "scan with an old database");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("days old") && err.contains("zoll db update"),
        "{err}"
    );
}

#[test]
fn db_status_export_import() {
    let f = fixture();
    let out = zoll()
        .args(["db", "status", "-f", "json", "--db-dir"])
        .arg(&f.db)
        .output()
        .unwrap();
    ok(&out, "zoll db status");
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ecos: BTreeSet<&str> = st["ecosystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ecosystem"].as_str().unwrap())
        .collect();
    for e in [
        "Alpine",
        "Debian",
        "PyPI",
        "Go",
        "crates.io",
        "npm",
        "Maven",
        "RubyGems",
    ] {
        assert!(ecos.contains(e), "status lacks {e}: {ecos:?}");
    }
    assert!(st["age_seconds"].as_i64().is_some());
    let out = zoll()
        .args(["db", "status", "--db-dir"])
        .arg(&f.db)
        .output()
        .unwrap();
    ok(&out, "zoll db status (table)");
    assert!(String::from_utf8_lossy(&out.stdout).contains("crates.io"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zoll-db.export");
    let out = zoll()
        .args(["db", "export"])
        .arg(&file)
        .arg("--db-dir")
        .arg(&f.db)
        .output()
        .unwrap();
    ok(&out, "zoll db export");
    let other = dir.path().join("airgap");
    let out = zoll()
        .args(["db", "import"])
        .arg(&file)
        .arg("--db-dir")
        .arg(&other)
        .output()
        .unwrap();
    ok(&out, "zoll db import");
    let src = debian_source();
    let (a, _) = report_of(&[&src, "-f", "json"]);
    let out = scan(&[&src, "-f", "json"], &other);
    ok(&out, "scan with the imported database");
    let b: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pairs(&a), pairs(&b));
}

#[test]
fn kill_9_during_update_keeps_the_previous_database() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = zoll()
        .args(["db", "update", "--db-dir"])
        .arg(&db)
        .arg("--source")
        .arg(shared_data().join("osv/ghsa-sample"))
        .output()
        .unwrap();
    ok(&out, "first update");
    let before = std::fs::read(db.join("osv.db")).unwrap();
    // Kill updates at several points of their run; every time the old database must stay whole.
    for delay_ms in [30u64, 120, 300] {
        let mut cmd = zoll();
        cmd.args(["db", "update", "--db-dir"]).arg(&db);
        for s in &f.sources {
            cmd.arg("--source").arg(s);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let now = std::fs::read(db.join("osv.db")).unwrap();
        if !finished {
            assert_eq!(
                now, before,
                "killed after {delay_ms} ms: the database changed"
            );
        }
        let out = zoll()
            .args(["db", "status", "-f", "json", "--db-dir"])
            .arg(&db)
            .output()
            .unwrap();
        ok(&out, "status after kill");
    }
    // The next update cleans the killed run's temporary file and succeeds.
    let out = zoll()
        .args(["db", "update", "--db-dir"])
        .arg(&db)
        .arg("--source")
        .arg(shared_data().join("osv/ghsa-sample"))
        .output()
        .unwrap();
    ok(&out, "update after kills");
    let names: Vec<String> = std::fs::read_dir(&db)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

#[test]
fn update_over_https_works_like_a_local_zip() {
    let dir = tempfile::tempdir().unwrap();
    crate::util::need("openssl", "apt-get install openssl");
    // A private CA and a server certificate it signed (rustls refuses a CA as a server certificate).
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let ca_key = dir.path().join("ca-key.pem");
    let ca = dir.path().join("ca.pem");
    let csr = dir.path().join("server.csr");
    let ext = dir.path().join("ext.cnf");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        ok(&out, &format!("openssl {args:?}"));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=zoll test CA",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "server.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    assert!(key.is_file() && cert.is_file() && ca_key.is_file() && csr.is_file());
    let www = dir.path().join("www/crates.io");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::copy(
        shared_data().join("osv/crates.io/all.zip"),
        www.join("all.zip"),
    )
    .unwrap();
    let port = crate::util::free_port();
    let server = format!(
        "import http.server, ssl, functools\n\
         h = functools.partial(http.server.SimpleHTTPRequestHandler, directory={www:?})\n\
         s = http.server.ThreadingHTTPServer(('127.0.0.1', {port}), h)\n\
         c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain({cert:?}, {key:?})\n\
         s.socket = c.wrap_socket(s.socket, server_side=True)\n\
         s.serve_forever()\n",
        www = dir.path().join("www").display().to_string(),
        cert = cert.display().to_string(),
        key = key.display().to_string(),
    );
    let mut child = Command::new("python3")
        .args(["-c", &server])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "https server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let url = format!("https://127.0.0.1:{port}/crates.io/all.zip");
    let via_url = dir.path().join("db-url");
    let out = zoll()
        .args(["db", "update", "--source", &url, "--ca-cert"])
        .arg(&ca)
        .arg("--db-dir")
        .arg(&via_url)
        .output()
        .unwrap();
    // Untrusted certificate without --ca-cert: refused.
    let refused = zoll()
        .args(["db", "update", "--source", &url, "--db-dir"])
        .arg(dir.path().join("db-untrusted"))
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    ok(&out, "zoll db update --source https://...");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains(&url));
    let via_zip = dir.path().join("db-zip");
    let out = zoll()
        .args(["db", "update", "--source"])
        .arg(shared_data().join("osv/crates.io/all.zip"))
        .arg("--db-dir")
        .arg(&via_zip)
        .output()
        .unwrap();
    ok(&out, "zoll db update --source all.zip");
    let status = |d: &Path| -> Value {
        let out = zoll()
            .args(["db", "status", "-f", "json", "--db-dir"])
            .arg(d)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(
        status(&via_url)["ecosystems"],
        status(&via_zip)["ecosystems"]
    );
    assert_eq!(status(&via_url)["advisories"], 1206);
}

#[test]
fn help_explains_scan_and_db() {
    let out = zoll().args(["scan", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--sbom",
        "sarif",
        "cyclonedx-json",
        "junit",
        "--severity",
        "--ignore-unfixed",
        "--exit-code",
        "--vex",
        "--ignore-file",
        "zoll db update",
    ] {
        assert!(text.contains(needle), "scan --help lacks {needle}:\n{text}");
    }
    let out = zoll().args(["db", "update", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["all.zip", "--source", "--ca-cert"] {
        assert!(
            text.contains(needle),
            "db update --help lacks {needle}:\n{text}"
        );
    }
}
