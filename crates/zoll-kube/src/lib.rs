//! Kubernetes manifest checks, no IO: `zoll lint FILE.yaml` and the `config` scanner of
//! `zoll scan` hand this crate the text of a manifest and get back [`CheckFinding`]s and the
//! Pod Security Standards level of every workload.
//!
//! What it owns:
//! - reading manifests ([`parse`]): multi-document YAML as `kubectl` reads it, Helm-rendered
//!   output (comments, empty documents), `List` / `*List` objects; the workload kinds Pod,
//!   Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob and
//!   PodTemplate. Other kinds are counted, not checked. Malformed YAML is an [`Error`] naming the
//!   file and line, never a panic.
//! - the Pod Security Standards ([`check`]), every baseline and restricted control field by field,
//!   as `pod-security-admission` evaluates them at policy version `latest` of Kubernetes v1.36
//!   (the published page lags the code: `image` volumes allowed in restricted, `tcp_rmem` /
//!   `tcp_wmem` safe, the `hostUsers: false` relaxations of v1.35). Init and ephemeral containers
//!   are checked like containers. Pods with `spec.os.name: windows` skip the restricted
//!   privilege-escalation, seccomp and capabilities controls; pods with `hostUsers: false` skip
//!   running-as-non-root(-user) and the baseline /proc mount control, as the standard says.
//!   Seccomp and AppArmor are read from the fields (the seccomp annotations were removed in
//!   v1.27); the AppArmor annotations are still checked, as admission still does.
//! - hygiene rules ([`rules`]): resource requests and limits, a read-only root filesystem, images
//!   without a tag or `:latest`, and `imagePullPolicy` (see [`rules::RuleInfo`]).
//!
//! Severity: baseline violations are `high` (each is a known privilege escalation), restricted
//! ones `medium` (hardening), hygiene `low`. A workload's level is the highest PSS level it passes.
//!
//! The image pull rule is checkov's `CKV_K8S_15`: a reference without a digest is mutable
//! whatever its tag, so it must be pulled `Always` (the Kubernetes default for `:latest` and
//! untagged images counts).
//!
//! YAML: the tree is built here from the events of `saphyr-parser` rather than read through
//! serde (`serde_yaml` is archived; its forks and `saphyr`'s own loader resolve scalars with
//! YAML 1.2 rules and give no line per node). Building it lets every node keep its line and lets
//! plain scalars resolve with the YAML 1.1 rules Kubernetes uses (`hostNetwork: yes` is true).

#![forbid(unsafe_code)]

mod check;
mod manifest;
pub mod rules;
pub mod yaml;

pub use check::{WorkloadResult, check};
pub use manifest::{Manifests, Workload, parse};
pub use rules::{RuleInfo, rules};

use zoll_core::{CheckFinding, WorkloadLevel};

/// A manifest that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{path}:{line}: malformed yaml: {message}")]
    Yaml {
        path: String,
        line: u32,
        message: String,
    },
}

/// Everything one manifest file yields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub findings: Vec<CheckFinding>,
    /// One per workload, in file order.
    pub levels: Vec<WorkloadLevel>,
    /// Objects that are not workloads (see [`Manifests::other_objects`]).
    pub other_objects: usize,
}

/// Parses `text` and checks every workload in it; `path` names the file in findings and errors.
pub fn check_manifests(text: &str, path: &str) -> Result<Report, Error> {
    let manifests = parse(text, path)?;
    let mut report = Report {
        other_objects: manifests.other_objects,
        ..Report::default()
    };
    for w in &manifests.workloads {
        let result = check(w, path);
        report.levels.push(WorkloadLevel {
            path: path.to_owned(),
            object: w.object(),
            level: result.level,
        });
        report.findings.extend(result.findings);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoll_core::PssLevel;

    const HARDENED: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: apps}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example/app:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
";

    #[test]
    fn a_hardened_pod_is_restricted_with_no_findings() {
        let r = check_manifests(HARDENED, "ok.yaml").unwrap();
        assert_eq!(r.findings, []);
        assert_eq!(r.levels.len(), 1);
        assert_eq!(r.levels[0].object, "Pod/apps/ok");
        assert_eq!(r.levels[0].level, PssLevel::Restricted);
    }

    #[test]
    fn a_privileged_container_is_a_high_finding_on_its_line() {
        let text = HARDENED.replace(
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: false\n      privileged: yes",
        );
        let r = check_manifests(&text, "p.yaml").unwrap();
        assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(f.rule, "pss-baseline-privileged");
        assert_eq!(f.severity, zoll_core::Severity::High);
        assert_eq!(f.location.line, Some(12));
        assert_eq!(
            f.location.object.as_deref(),
            Some("Pod/apps/ok container app")
        );
        assert_eq!(
            f.evidence.as_deref(),
            Some("spec.containers[0].securityContext.privileged: true")
        );
        assert_eq!(f.aliases, ["CKV_K8S_16"]);
        assert_eq!(r.levels[0].level, PssLevel::Privileged);
    }
}
