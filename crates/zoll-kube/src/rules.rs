//! The rule table: every rule zoll-kube can report, with its Pod Security Standards control and
//! the checkov checks that look at the same field.

use zoll_core::{PssLevel, Severity};

/// One rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// `pss-baseline-privileged`, `k8s-resources-limits`, ...
    pub id: &'static str,
    /// The finding title; for PSS rules it names the control.
    pub title: &'static str,
    /// The Pod Security Standards control, for PSS rules.
    pub control: Option<&'static str>,
    /// The PSS level whose control this is (`Baseline` or `Restricted`); `None` for hygiene rules,
    /// which do not affect a workload's level.
    pub level: Option<PssLevel>,
    pub severity: Severity,
    /// checkov checks over the same field (`CKV_K8S_16`); reported as aliases.
    pub checkov: &'static [&'static str],
    pub remediation: &'static str,
}

/// The Pod Security Standards page, the reference of every `pss-` rule.
pub const PSS_URL: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

const fn pss(
    id: &'static str,
    title: &'static str,
    control: &'static str,
    level: PssLevel,
    checkov: &'static [&'static str],
    remediation: &'static str,
) -> RuleInfo {
    let severity = match level {
        PssLevel::Baseline => Severity::High,
        _ => Severity::Medium,
    };
    RuleInfo {
        id,
        title,
        control: Some(control),
        level: Some(level),
        severity,
        checkov,
        remediation,
    }
}

const fn hygiene(
    id: &'static str,
    title: &'static str,
    checkov: &'static [&'static str],
    remediation: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        title,
        control: None,
        level: None,
        severity: Severity::Low,
        checkov,
        remediation,
    }
}

use PssLevel::{Baseline, Restricted};

pub(crate) const HOST_PROCESS: RuleInfo = pss(
    "pss-baseline-host-process",
    "PSS baseline: HostProcess (Windows HostProcess containers are forbidden)",
    "HostProcess",
    Baseline,
    &[],
    "remove windowsOptions.hostProcess or set it to false",
);
pub(crate) const HOST_NAMESPACES: RuleInfo = pss(
    "pss-baseline-host-namespaces",
    "PSS baseline: Host Namespaces (hostNetwork, hostPID and hostIPC must be unset or false)",
    "Host Namespaces",
    Baseline,
    &["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"],
    "remove hostNetwork, hostPID and hostIPC or set them to false",
);
pub(crate) const PRIVILEGED: RuleInfo = pss(
    "pss-baseline-privileged",
    "PSS baseline: Privileged Containers (securityContext.privileged must be unset or false)",
    "Privileged Containers",
    Baseline,
    &["CKV_K8S_16"],
    "remove securityContext.privileged or set it to false",
);
pub(crate) const CAPABILITIES_BASELINE: RuleInfo = pss(
    "pss-baseline-capabilities",
    "PSS baseline: Capabilities (only the baseline set may be added)",
    "Capabilities",
    Baseline,
    &["CKV_K8S_25"],
    "add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID or SYS_CHROOT",
);
pub(crate) const HOST_PATH: RuleInfo = pss(
    "pss-baseline-host-path-volumes",
    "PSS baseline: HostPath Volumes (hostPath volumes are forbidden)",
    "HostPath Volumes",
    Baseline,
    &[],
    "replace the hostPath volume (emptyDir, a PersistentVolumeClaim, a CSI volume)",
);
pub(crate) const HOST_PORTS: RuleInfo = pss(
    "pss-baseline-host-ports",
    "PSS baseline: Host Ports (hostPort must be unset or 0)",
    "Host Ports",
    Baseline,
    &["CKV_K8S_26"],
    "remove ports[].hostPort and expose the pod through a Service",
);
pub(crate) const HOST_PROBES: RuleInfo = pss(
    "pss-baseline-host-probes",
    "PSS baseline: Host Probes / Lifecycle Hooks (probe and lifecycle handler host must be unset)",
    "Host Probes / Lifecycle Hooks",
    Baseline,
    &[],
    "remove the host field of httpGet and tcpSocket probes and lifecycle handlers",
);
pub(crate) const APPARMOR: RuleInfo = pss(
    "pss-baseline-apparmor",
    "PSS baseline: AppArmor (the profile may not be Unconfined)",
    "AppArmor",
    Baseline,
    &[],
    "use appArmorProfile.type RuntimeDefault or Localhost (annotation runtime/default or localhost/NAME)",
);
pub(crate) const SELINUX: RuleInfo = pss(
    "pss-baseline-selinux",
    "PSS baseline: SELinux (type from the allowed list, user and role unset)",
    "SELinux",
    Baseline,
    &[],
    "remove seLinuxOptions.user and .role; use type container_t, container_init_t, container_kvm_t or container_engine_t",
);
pub(crate) const PROC_MOUNT_BASELINE: RuleInfo = pss(
    "pss-baseline-proc-mount",
    "PSS baseline: /proc Mount Type (procMount must be Default)",
    "/proc Mount Type",
    Baseline,
    &[],
    "remove securityContext.procMount or set it to Default",
);
pub(crate) const SECCOMP_BASELINE: RuleInfo = pss(
    "pss-baseline-seccomp",
    "PSS baseline: Seccomp (the profile may not be Unconfined)",
    "Seccomp",
    Baseline,
    &[],
    "use seccompProfile.type RuntimeDefault or Localhost",
);
pub(crate) const SYSCTLS: RuleInfo = pss(
    "pss-baseline-sysctls",
    "PSS baseline: Sysctls (only the safe set may be set)",
    "Sysctls",
    Baseline,
    &[],
    "set only namespaced safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...)",
);
pub(crate) const VOLUME_TYPES: RuleInfo = pss(
    "pss-restricted-volume-types",
    "PSS restricted: Volume Types (only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret)",
    "Volume Types",
    Restricted,
    &[],
    "move the storage behind a PersistentVolumeClaim or use an allowed volume type",
);
pub(crate) const PRIVILEGE_ESCALATION: RuleInfo = pss(
    "pss-restricted-privilege-escalation",
    "PSS restricted: Privilege Escalation (allowPrivilegeEscalation must be false)",
    "Privilege Escalation",
    Restricted,
    &["CKV_K8S_20"],
    "set securityContext.allowPrivilegeEscalation: false on every container",
);
pub(crate) const RUN_AS_NON_ROOT: RuleInfo = pss(
    "pss-restricted-run-as-non-root",
    "PSS restricted: Running as Non-root (runAsNonRoot must be true)",
    "Running as Non-root",
    Restricted,
    &["CKV_K8S_23"],
    "set spec.securityContext.runAsNonRoot: true (and no container may set it false)",
);
pub(crate) const RUN_AS_USER: RuleInfo = pss(
    "pss-restricted-run-as-user",
    "PSS restricted: Running as Non-root user (runAsUser may not be 0)",
    "Running as Non-root user",
    Restricted,
    &[],
    "run as a non-zero UID: set runAsUser to a non-zero value or remove it",
);
pub(crate) const SECCOMP_RESTRICTED: RuleInfo = pss(
    "pss-restricted-seccomp",
    "PSS restricted: Seccomp (RuntimeDefault or Localhost must be set)",
    "Seccomp",
    Restricted,
    &["CKV_K8S_31"],
    "set spec.securityContext.seccompProfile.type: RuntimeDefault",
);
pub(crate) const CAPABILITIES_RESTRICTED: RuleInfo = pss(
    "pss-restricted-capabilities",
    "PSS restricted: Capabilities (drop ALL, add only NET_BIND_SERVICE)",
    "Capabilities",
    Restricted,
    &["CKV_K8S_37"],
    "set securityContext.capabilities.drop: [ALL] and add at most NET_BIND_SERVICE",
);
pub(crate) const PROC_MOUNT_RESTRICTED: RuleInfo = pss(
    "pss-restricted-proc-mount",
    "PSS restricted: /proc Mount Type (procMount must be Default, even in a user namespace)",
    "/proc Mount Type",
    Restricted,
    &[],
    "remove securityContext.procMount or set it to Default",
);
pub(crate) const RESOURCES_REQUESTS: RuleInfo = hygiene(
    "k8s-resources-requests",
    "Container has no CPU or memory request",
    &["CKV_K8S_10", "CKV_K8S_12"],
    "set resources.requests.cpu and resources.requests.memory",
);
pub(crate) const RESOURCES_LIMITS: RuleInfo = hygiene(
    "k8s-resources-limits",
    "Container has no CPU or memory limit",
    &["CKV_K8S_11", "CKV_K8S_13"],
    "set resources.limits.cpu and resources.limits.memory",
);
pub(crate) const READ_ONLY_ROOT_FS: RuleInfo = hygiene(
    "k8s-read-only-root-fs",
    "Container root filesystem is writable (readOnlyRootFilesystem is not true)",
    &["CKV_K8S_22"],
    "set securityContext.readOnlyRootFilesystem: true and mount writable paths as emptyDir",
);
pub(crate) const IMAGE_MUTABLE_TAG: RuleInfo = hygiene(
    "k8s-image-mutable-tag",
    "Container image has no tag or the latest tag and no digest",
    &["CKV_K8S_14"],
    "use a version tag, better a digest (image@sha256:...)",
);
pub(crate) const IMAGE_PULL_POLICY: RuleInfo = hygiene(
    "k8s-image-pull-policy",
    "Container image is referenced by tag and imagePullPolicy is not Always",
    &["CKV_K8S_15"],
    "pin the image by digest, or set imagePullPolicy: Always",
);

static RULES: [RuleInfo; 24] = [
    HOST_PROCESS,
    HOST_NAMESPACES,
    PRIVILEGED,
    CAPABILITIES_BASELINE,
    HOST_PATH,
    HOST_PORTS,
    HOST_PROBES,
    APPARMOR,
    SELINUX,
    PROC_MOUNT_BASELINE,
    SECCOMP_BASELINE,
    SYSCTLS,
    VOLUME_TYPES,
    PRIVILEGE_ESCALATION,
    RUN_AS_NON_ROOT,
    RUN_AS_USER,
    SECCOMP_RESTRICTED,
    CAPABILITIES_RESTRICTED,
    PROC_MOUNT_RESTRICTED,
    RESOURCES_REQUESTS,
    RESOURCES_LIMITS,
    READ_ONLY_ROOT_FS,
    IMAGE_MUTABLE_TAG,
    IMAGE_PULL_POLICY,
];

/// Every rule, PSS baseline first, then restricted, then hygiene.
pub fn rules() -> &'static [RuleInfo] {
    &RULES
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_titles_name_the_control() {
        for (i, r) in rules().iter().enumerate() {
            assert!(rules()[..i].iter().all(|o| o.id != r.id), "{}", r.id);
            if let Some(c) = r.control {
                assert!(r.title.contains(c), "{}", r.id);
                let prefix = match r.level {
                    Some(PssLevel::Baseline) => "pss-baseline-",
                    _ => "pss-restricted-",
                };
                assert!(r.id.starts_with(prefix), "{}", r.id);
            } else {
                assert!(r.id.starts_with("k8s-") && r.level.is_none(), "{}", r.id);
            }
        }
        assert_eq!(rule("pss-baseline-privileged"), Some(&PRIVILEGED));
    }
}
