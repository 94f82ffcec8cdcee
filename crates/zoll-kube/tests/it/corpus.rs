//! The corpus against `tests/corpus/expected.toml`: exact findings and level per workload, and
//! every PSS control both passed and failed somewhere.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Deserialize;
use zoll_core::PssLevel;

use crate::{corpus_dir, run_corpus};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    workload: Vec<ExpectedWorkload>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedWorkload {
    file: String,
    object: String,
    level: PssLevel,
    /// PSS rules whose fields this workload sets to allowed values.
    #[serde(default)]
    passes: Vec<String>,
    /// `RULE[ container NAME] @ LINE`
    #[serde(default)]
    findings: Vec<String>,
}

fn load() -> Expected {
    let text = std::fs::read_to_string(corpus_dir().join("expected.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// The observed results written as `expected.toml`, printed when they differ.
fn as_toml(observed: &std::collections::BTreeMap<(String, String), crate::Observed>) -> String {
    let mut out = String::new();
    for ((file, object), o) in observed {
        let _ = writeln!(
            out,
            "[[workload]]\nfile = {file:?}\nobject = {object:?}\nlevel = \"{}\"",
            o.level
        );
        let _ = writeln!(out, "findings = [");
        for f in &o.findings {
            let _ = writeln!(out, "  {f:?},");
        }
        let _ = writeln!(out, "]\n");
    }
    out
}

#[test]
fn corpus_findings_and_levels_match_expected_exactly() {
    let expected = load();
    let observed = run_corpus();
    let dump = as_toml(&observed);
    let expected_keys: BTreeSet<(String, String)> = expected
        .workload
        .iter()
        .map(|w| (w.file.clone(), w.object.clone()))
        .collect();
    let observed_keys: BTreeSet<(String, String)> = observed.keys().cloned().collect();
    assert_eq!(
        expected_keys, observed_keys,
        "workloads differ; observed:\n{dump}"
    );
    for w in &expected.workload {
        let o = &observed[&(w.file.clone(), w.object.clone())];
        let mut want = w.findings.clone();
        want.sort();
        assert_eq!(
            want, o.findings,
            "{} {}; observed:\n{dump}",
            w.file, w.object
        );
        assert_eq!(w.level, o.level, "{} {}", w.file, w.object);
        for rule in &w.passes {
            assert!(
                zoll_kube::rules::rule(rule).is_some_and(|r| r.level.is_some()),
                "{rule} is no PSS rule"
            );
            assert!(
                !o.findings
                    .iter()
                    .any(|f| f.starts_with(&format!("{rule} "))),
                "{} {} is a pass case of {rule} but has its finding",
                w.file,
                w.object
            );
        }
    }
}

#[test]
fn every_pss_control_has_a_passing_and_a_failing_case() {
    let expected = load();
    for rule in zoll_kube::rules().iter().filter(|r| r.level.is_some()) {
        let failing = expected
            .workload
            .iter()
            .filter(|w| {
                w.findings
                    .iter()
                    .any(|f| f.starts_with(&format!("{} ", rule.id)))
            })
            .count();
        let passing = expected
            .workload
            .iter()
            .filter(|w| w.passes.iter().any(|p| p == rule.id))
            .count();
        assert!(failing >= 1, "no failing case for {}", rule.id);
        assert!(passing >= 1, "no passing case for {}", rule.id);
    }
}

#[test]
fn every_workload_kind_and_input_shape_is_in_the_corpus() {
    let observed = run_corpus();
    let kinds: BTreeSet<&str> = observed
        .keys()
        .map(|(_, o)| o.split('/').next().unwrap_or_default())
        .collect();
    for kind in [
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
    ] {
        assert!(kinds.contains(kind), "no {kind} in the corpus");
    }
    let files: BTreeSet<&str> = observed.keys().map(|(f, _)| f.as_str()).collect();
    assert!(files.contains("helm-rendered.yaml") && files.contains("list.yaml"));
    // Helm output: a ServiceAccount, a Service, empty and comment-only documents are skipped.
    let helm = std::fs::read_to_string(corpus_dir().join("helm-rendered.yaml")).unwrap();
    let m = zoll_kube::parse(&helm, "helm-rendered.yaml").unwrap();
    assert_eq!(m.other_objects, 2);
    assert_eq!(m.workloads.len(), 2);
}

#[test]
fn findings_carry_file_object_evidence_and_pss_reference() {
    let observed = run_corpus();
    let o = &observed[&(
        "baseline-fail.yaml".to_owned(),
        "DaemonSet/default/privileged".to_owned(),
    )];
    let f = o
        .raw
        .iter()
        .find(|f| {
            f.location.object.as_deref() == Some("DaemonSet/default/privileged container agent")
        })
        .unwrap();
    assert_eq!(f.scanner, zoll_core::Scanner::Config);
    assert_eq!(f.location.path, "baseline-fail.yaml");
    assert_eq!(
        f.evidence.as_deref(),
        Some("spec.template.spec.containers[0].securityContext.privileged: true")
    );
    assert_eq!(f.severity, zoll_core::Severity::High);
    assert!(f.title.contains("Privileged Containers"));
    assert_eq!(f.references, [zoll_kube::rules::PSS_URL]);
}

#[test]
fn malformed_manifests_are_errors_naming_file_and_line_never_panics() {
    let bad = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   labels: {a: b}\n";
    let e = zoll_kube::check_manifests(bad, "broken.yaml").unwrap_err();
    assert!(
        e.to_string().starts_with("broken.yaml:5: malformed yaml"),
        "{e}"
    );
    // Truncations of every corpus file: an error or a result, never a panic.
    let text = std::fs::read_to_string(corpus_dir().join("baseline-fail.yaml")).unwrap();
    for end in (0..text.len()).step_by(7) {
        if let Some(prefix) = text.get(..end) {
            let _ = zoll_kube::check_manifests(prefix, "cut.yaml");
        }
    }
}
