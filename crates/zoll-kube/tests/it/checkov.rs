//! checkov (the peer tool) over the same corpus: for every checkov check that looks at the same
//! field as a zoll rule, pass/fail per (file, workload) must agree, except for the differences
//! listed in `DIFFERENCES`, each explained.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use crate::{corpus_dir, run_corpus};

/// The pinned checkov release the mappings and differences below were written against.
const CHECKOV_VERSION: &str = "3.3.30";

/// (checkov id, zoll rules, evidence filter): checkov fails a workload when zoll reports one of
/// the rules with evidence containing the filter. Each mapping was read in checkov's sources
/// (`checkov/kubernetes/checks/resource/k8s/*.py`).
const MAPPINGS: &[(&str, &[&str], &str)] = &[
    ("CKV_K8S_10", &["k8s-resources-requests"], ".requests.cpu:"), // CPURequests
    ("CKV_K8S_11", &["k8s-resources-limits"], ".limits.cpu:"),     // CPULimits
    (
        "CKV_K8S_12",
        &["k8s-resources-requests"],
        ".requests.memory:",
    ), // MemoryRequests
    ("CKV_K8S_13", &["k8s-resources-limits"], ".limits.memory:"),  // MemoryLimits
    ("CKV_K8S_14", &["k8s-image-mutable-tag"], ""),                // ImageTagFixed
    ("CKV_K8S_15", &["k8s-image-pull-policy"], ""),                // ImagePullPolicyAlways
    ("CKV_K8S_16", &["pss-baseline-privileged"], ""),              // PrivilegedContainers
    ("CKV_K8S_17", &["pss-baseline-host-namespaces"], ".hostPID:"), // ShareHostPID
    ("CKV_K8S_18", &["pss-baseline-host-namespaces"], ".hostIPC:"), // ShareHostIPC
    (
        "CKV_K8S_19",
        &["pss-baseline-host-namespaces"],
        ".hostNetwork:",
    ), // SharedHostNetworkNamespace
    ("CKV_K8S_20", &["pss-restricted-privilege-escalation"], ""),  // AllowPrivilegeEscalation
    ("CKV_K8S_22", &["k8s-read-only-root-fs"], ""),                // ReadOnlyFilesystem
    ("CKV_K8S_23", &["pss-restricted-run-as-non-root"], ""),       // RootContainers
    ("CKV_K8S_25", &["pss-baseline-capabilities"], ""),            // AllowedCapabilities
    ("CKV_K8S_26", &["pss-baseline-host-ports"], ""),              // HostPort
    (
        "CKV_K8S_31",
        &["pss-baseline-seccomp", "pss-restricted-seccomp"],
        "",
    ), // Seccomp
    (
        "CKV_K8S_37",
        &["pss-restricted-capabilities"],
        ".capabilities.drop:",
    ), // MinimizeCapabilities
];

/// (file, object, checkov id, checkov's verdict, why): where checkov and zoll disagree. The
/// verdict is PASSED, FAILED or UNKNOWN (checkov left the check out of its report).
const DIFFERENCES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "baseline-fail.yaml",
        "Pod/default/host-process",
        "CKV_K8S_20",
        "FAILED",
        "PSS exempts spec.os.name windows pods from Privilege Escalation; checkov ignores spec.os",
    ),
    (
        "baseline-fail.yaml",
        "Pod/default/host-process",
        "CKV_K8S_31",
        "FAILED",
        "PSS exempts Windows pods from restricted Seccomp; checkov ignores spec.os",
    ),
    (
        "baseline-fail.yaml",
        "Pod/default/host-process",
        "CKV_K8S_37",
        "FAILED",
        "PSS exempts Windows pods from restricted Capabilities; checkov ignores spec.os",
    ),
    (
        "baseline-fail.yaml",
        "ReplicationController/default/selinux",
        "CKV_K8S_31",
        "FAILED",
        "checkov's Seccomp check reads spec.template only for Deployment/StatefulSet/DaemonSet/Job/ReplicaSet, so it misses the RC's pod-level RuntimeDefault",
    ),
    (
        "helm-rendered.yaml",
        "Deployment/prod/release-web",
        "CKV_K8S_10",
        "UNKNOWN",
        "checkov's loader adds line markers to `resources: {}`, which then looks non-empty without requests: UNKNOWN, left out",
    ),
    (
        "helm-rendered.yaml",
        "Deployment/prod/release-web",
        "CKV_K8S_12",
        "UNKNOWN",
        "same line-marker artefact as CKV_K8S_10 for the memory request",
    ),
    (
        "inheritance.yaml",
        "Pod/default/container-overrides",
        "CKV_K8S_31",
        "PASSED",
        "checkov stops at the pod-level RuntimeDefault; PSS sees the container override to Unconfined",
    ),
    (
        "inheritance.yaml",
        "Pod/default/containers-only",
        "CKV_K8S_31",
        "FAILED",
        "checkov accepts only RuntimeDefault; PSS also allows Localhost (the app container's profile)",
    ),
    (
        "inheritance.yaml",
        "Pod/default/ephemeral-debugger",
        "CKV_K8S_16",
        "PASSED",
        "checkov checks containers and initContainers only; PSS includes ephemeralContainers",
    ),
    (
        "inheritance.yaml",
        "Pod/default/user-namespace-root",
        "CKV_K8S_23",
        "FAILED",
        "PSS (policy v1.35) skips Running as Non-root for hostUsers: false pods; checkov does not",
    ),
    (
        "pod-restricted.yaml",
        "Pod/apps/hardened",
        "CKV_K8S_25",
        "FAILED",
        "checkov fails any added capability; PSS baseline allows its list, restricted allows NET_BIND_SERVICE",
    ),
    (
        "pod-restricted.yaml",
        "Pod/apps/hardened",
        "CKV_K8S_26",
        "FAILED",
        "checkov fails any hostPort key, even 0; PSS allows hostPort 0 (unset)",
    ),
    (
        "restricted-fail.yaml",
        "Pod/default/capabilities-kept",
        "CKV_K8S_25",
        "FAILED",
        "CHOWN is in the baseline list: zoll reports it under pss-restricted-capabilities, not the baseline rule",
    ),
    (
        "restricted-fail.yaml",
        "Pod/default/user-namespace",
        "CKV_K8S_23",
        "FAILED",
        "PSS (policy v1.35) skips Running as Non-root for hostUsers: false pods; checkov does not",
    ),
];

fn checkov_binary() -> PathBuf {
    let venv =
        std::env::var("ZOLL_CHECKOV_VENV").unwrap_or_else(|_| "/opt/zoll-checkov".to_owned());
    let bin = PathBuf::from(venv).join("bin/checkov");
    let version = Command::new(&bin).arg("--version").output();
    match version {
        Ok(o) if String::from_utf8_lossy(&o.stdout).trim() == CHECKOV_VERSION => bin,
        other => panic!(
            "checkov {CHECKOV_VERSION} not found at {} ({other:?}); install it in its own venv \
             (its pins conflict with the tools venv): python3 -m venv /opt/zoll-checkov && \
             /opt/zoll-checkov/bin/pip install checkov=={CHECKOV_VERSION} \
             (or set ZOLL_CHECKOV_VENV)",
            bin.display()
        ),
    }
}

#[test]
fn checkov_cross_checks_overlapping_checks() {
    let bin = checkov_binary();
    let output = Command::new(&bin)
        .args([
            "-d",
            ".",
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--compact",
            "--skip-download",
        ])
        .current_dir(corpus_dir())
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let results = &json["results"];
    // (file, checkov resource, check id) -> failed?
    let mut verdicts = std::collections::BTreeMap::new();
    for (list, failed) in [("passed_checks", false), ("failed_checks", true)] {
        for c in results[list].as_array().unwrap() {
            let file = c["file_path"]
                .as_str()
                .unwrap()
                .trim_start_matches('/')
                .to_owned();
            let resource = c["resource"].as_str().unwrap().to_owned();
            let id = c["check_id"].as_str().unwrap().to_owned();
            verdicts.insert((file, resource, id), failed);
        }
    }
    let observed = run_corpus();
    let mut differences = BTreeSet::new();
    let mut agreed = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for ((file, object), o) in &observed {
        // checkov names a resource Kind.namespace.name.
        let resource = object.replacen('/', ".", 2);
        for (id, rules, filter) in MAPPINGS {
            // checkov leaves out checks whose result is UNKNOWN.
            let checkov = verdicts.get(&(file.clone(), resource.clone(), (*id).to_owned()));
            let zoll_failed = o.raw.iter().any(|f| {
                rules.contains(&f.rule.as_str())
                    && f.evidence.as_deref().is_some_and(|e| e.contains(filter))
            });
            if checkov == Some(&zoll_failed) {
                let e = agreed.entry(id).or_default();
                if zoll_failed { e.0 += 1 } else { e.1 += 1 }
            } else {
                let verdict = match checkov {
                    Some(true) => "FAILED",
                    Some(false) => "PASSED",
                    None => "UNKNOWN",
                };
                differences.insert((
                    file.clone(),
                    object.clone(),
                    (*id).to_owned(),
                    verdict.to_owned(),
                ));
            }
        }
    }
    let listed: BTreeSet<(String, String, String, String)> = DIFFERENCES
        .iter()
        .map(|(f, o, id, v, _why)| {
            (
                (*f).to_owned(),
                (*o).to_owned(),
                (*id).to_owned(),
                (*v).to_owned(),
            )
        })
        .collect();
    let unexplained: Vec<_> = differences.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&differences).collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "unexplained differences (file, object, check, checkov says): {unexplained:#?}\n\
         listed but not seen: {stale:#?}"
    );
    // Every mapping is exercised: both tools fail and pass at least one workload together.
    for (id, _, _) in MAPPINGS {
        let (fail, pass) = agreed.get(id).copied().unwrap_or_default();
        assert!(
            fail >= 1 && pass >= 1,
            "{id}: agreed fails {fail}, agreed passes {pass}"
        );
    }
}
