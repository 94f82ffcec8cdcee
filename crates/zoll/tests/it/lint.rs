//! `zoll lint` and `zoll scan config:PATH` over the corpora of zoll-dockerfile and zoll-kube:
//! the binary reports what the crates' own tests expect (counts and levels), exit codes follow
//! the findings, and a broken file is an error naming it.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn corpus(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../{krate}/tests/corpus"))
}

fn run(args: &[&str]) -> (i32, Value, String) {
    let out = crate::util::zoll().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn lint_reports_the_corpora_as_the_crates_expect() {
    // Dockerfiles: as many findings as expected.toml lists.
    let dockerfiles = corpus("zoll-dockerfile");
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(dockerfiles.join("expected.toml")).unwrap())
            .unwrap();
    // expected.toml: "FILE" = ["RULE@LINE", ...]
    let want: usize = expected
        .values()
        .filter_map(|v| v.as_array())
        .map(Vec::len)
        .sum();
    let d = dockerfiles.to_str().unwrap();
    let (code, v, stderr) = run(&["lint", "-f", "json", d]);
    assert_eq!(code, 1, "findings exit 1 by default: {stderr}");
    assert_eq!(v["scanners"], serde_json::json!(["config"]));
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), want, "{stderr}");
    assert!(checks.iter().any(|c| c["rule"] == "DL3007"));
    assert!(
        checks
            .iter()
            .all(|c| c["location"]["line"].as_u64().is_some())
    );
    let (code, _, _) = run(&["lint", "--exit-code", "0", "-f", "json", d]);
    assert_eq!(code, 0);
    let (_, v, _) = run(&["lint", "-f", "json", "--ignore", "DL3007", d]);
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["rule"] != "DL3007")
    );

    // Kubernetes: one level per workload, as expected.toml says.
    let kube = corpus("zoll-kube");
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(kube.join("expected.toml")).unwrap()).unwrap();
    let workloads = expected["workload"].as_array().unwrap();
    let (code, v, stderr) = run(&["scan", "-f", "json", &format!("config:{}", kube.display())]);
    assert_eq!(code, 0, "{stderr}");
    let levels = v["workloads"].as_array().unwrap();
    assert_eq!(levels.len(), workloads.len());
    for w in workloads {
        let file = w["file"].as_str().unwrap();
        let object = w["object"].as_str().unwrap();
        let got = levels
            .iter()
            .find(|l| {
                l["object"] == object && l["path"].as_str().unwrap().ends_with(&format!("/{file}"))
            })
            .unwrap_or_else(|| panic!("no level for {object} in {file}"));
        assert_eq!(got["level"], w["level"].as_str().unwrap(), "{object}");
    }

    // The table names the level of each workload.
    let out = crate::util::zoll()
        .args(["lint", "--exit-code", "0"])
        .arg(kube.join("pod-restricted.yaml"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Pod Security Standards:"), "{table}");
    assert!(table.contains("restricted"), "{table}");
}

#[test]
fn broken_config_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    std::fs::write(&df, "FROM debian:12\nFROBNICATE all the things\n").unwrap();
    let (code, _, stderr) = run(&["lint", df.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("Dockerfile") && stderr.contains("line 2"),
        "{stderr}"
    );
    let yaml = dir.path().join("deploy.yaml");
    std::fs::write(&yaml, "apiVersion: v1\nkind: Pod\nmetadata: [\n").unwrap();
    let (code, _, stderr) = run(&["lint", yaml.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("deploy.yaml"), "{stderr}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, _, stderr) = run(&["lint", empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no Dockerfile or Kubernetes manifest found"),
        "{stderr}"
    );
    // config: targets take only the config scanner.
    let (code, _, stderr) = run(&[
        "scan",
        "--scanners",
        "vuln",
        &format!("config:{}", df.display()),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("config scanner only"), "{stderr}");
}
