//! The checks: Pod Security Standards controls field by field (as the `pod-security-admission`
//! policy of Kubernetes v1.36 evaluates them), then the hygiene rules.
//!
//! A field that fails is reported once, by the least restrictive control it fails: a hostPath
//! volume is a baseline finding and not also a restricted "volume types" one, `Unconfined`
//! seccomp is baseline, a missing seccomp profile is restricted. The restricted check of the
//! standard includes the baseline one, so the workload's level is the same either way.

use zoll_core::{CheckFinding, Location, PssLevel, Scanner};

use crate::manifest::Workload;
use crate::rules::{self, PSS_URL, RuleInfo};
use crate::yaml::Node;

/// Capabilities the baseline level lets a container add.
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Safe sysctls (v1.0, v1.27, v1.29, v1.32 policy additions).
const SAFE_SYSCTLS: [&str; 12] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

const SELINUX_TYPES: [&str; 4] = [
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Volume sources the restricted level allows (`image` since v1.33).
const RESTRICTED_VOLUMES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";
const UNSET: &str = "<unset>";

/// What one workload satisfies and why not more.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadResult {
    /// The highest PSS level the workload satisfies.
    pub level: PssLevel,
    /// PSS and hygiene findings, in rule order then field order.
    pub findings: Vec<CheckFinding>,
}

struct Container<'a> {
    node: &'a Node,
    name: String,
    /// `spec.template.spec.containers[0]`
    path: String,
    /// Ephemeral containers are checked by PSS only (they cannot have resources or ports).
    ephemeral: bool,
}

struct Ctx<'a> {
    w: &'a Workload,
    path: &'a str,
    findings: Vec<CheckFinding>,
}

impl Ctx<'_> {
    fn report(
        &mut self,
        rule: &RuleInfo,
        container: Option<&str>,
        field: &str,
        value: &str,
        line: u32,
    ) {
        let mut object = self.w.object();
        if let Some(c) = container {
            object.push_str(" container ");
            object.push_str(c);
        }
        let references = if rule.control.is_some() {
            vec![PSS_URL.to_owned()]
        } else {
            Vec::new()
        };
        self.findings.push(CheckFinding {
            scanner: Scanner::Config,
            rule: rule.id.to_owned(),
            title: rule.title.to_owned(),
            severity: rule.severity,
            location: Location {
                path: self.path.to_owned(),
                line: Some(line),
                object: Some(object),
                ..Location::default()
            },
            evidence: Some(format!("{field}: {value}")),
            remediation: Some(rule.remediation.to_owned()),
            aliases: rule.checkov.iter().map(|s| (*s).to_owned()).collect(),
            references,
        });
    }
}

fn containers(w: &Workload) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    // The order pod-security-admission visits them in.
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, node) in w
            .spec
            .get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let path = format!("{}.{key}[{i}]", w.spec_path);
            let name = node
                .get("name")
                .and_then(Node::as_str)
                .map_or_else(|| format!("{key}[{i}]"), str::to_owned);
            out.push(Container {
                node,
                name,
                path,
                ephemeral: key == "ephemeralContainers",
            });
        }
    }
    out
}

fn is_true(n: Option<&Node>) -> bool {
    n.and_then(Node::as_bool) == Some(true)
}

fn shown(n: Option<&Node>) -> String {
    n.map_or_else(|| UNSET.to_owned(), Node::display)
}

/// Checks one workload against every rule.
pub fn check(w: &Workload, path: &str) -> WorkloadResult {
    let mut ctx = Ctx {
        w,
        path,
        findings: Vec::new(),
    };
    let cs = containers(w);
    baseline(&mut ctx, &cs);
    restricted(&mut ctx, &cs);
    hygiene(&mut ctx, &cs);
    let failed = |level: PssLevel| {
        ctx.findings
            .iter()
            .any(|f| rules::rule(&f.rule).and_then(|r| r.level) == Some(level))
    };
    let level = if failed(PssLevel::Baseline) {
        PssLevel::Privileged
    } else if failed(PssLevel::Restricted) {
        PssLevel::Baseline
    } else {
        PssLevel::Restricted
    };
    WorkloadResult {
        level,
        findings: ctx.findings,
    }
}

fn baseline(ctx: &mut Ctx<'_>, cs: &[Container<'_>]) {
    let w = ctx.w;
    let spec = &w.spec;
    let sp = w.spec_path;
    let pod_sc = spec.get("securityContext");

    // HostProcess
    let key = ["securityContext", "windowsOptions", "hostProcess"];
    if is_true(spec.at(&key)) {
        let line = spec.line_at(&key);
        ctx.report(
            &rules::HOST_PROCESS,
            None,
            &format!("{sp}.{}", key.join(".")),
            "true",
            line,
        );
    }
    for c in cs {
        if is_true(c.node.at(&key)) {
            let line = c.node.line_at(&key);
            ctx.report(
                &rules::HOST_PROCESS,
                Some(&c.name),
                &format!("{}.{}", c.path, key.join(".")),
                "true",
                line,
            );
        }
    }

    // Host Namespaces
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(spec.get(field)) {
            ctx.report(
                &rules::HOST_NAMESPACES,
                None,
                &format!("{sp}.{field}"),
                "true",
                spec.line_at(&[field]),
            );
        }
    }

    // Privileged Containers
    for c in cs {
        let key = ["securityContext", "privileged"];
        if is_true(c.node.at(&key)) {
            ctx.report(
                &rules::PRIVILEGED,
                Some(&c.name),
                &format!("{}.{}", c.path, key.join(".")),
                "true",
                c.node.line_at(&key),
            );
        }
    }

    // Capabilities
    for c in cs {
        let key = ["securityContext", "capabilities", "add"];
        let added = c.node.at(&key).and_then(Node::as_seq).unwrap_or_default();
        let bad: Vec<&str> = added
            .iter()
            .filter_map(Node::as_str)
            .filter(|cap| !BASELINE_CAPABILITIES.contains(cap))
            .collect();
        if !bad.is_empty() {
            let field = format!("{}.{}", c.path, key.join("."));
            ctx.report(
                &rules::CAPABILITIES_BASELINE,
                Some(&c.name),
                &field,
                &bad.join(", "),
                c.node.line_at(&key),
            );
        }
    }

    // HostPath Volumes
    for (i, v) in volumes(spec) {
        if let Some(hp) = v.get("hostPath") {
            let shown = hp
                .get("path")
                .and_then(Node::as_str)
                .unwrap_or(UNSET)
                .to_owned();
            ctx.report(
                &rules::HOST_PATH,
                None,
                &format!("{sp}.volumes[{i}].hostPath.path"),
                &shown,
                hp.line,
            );
        }
    }

    // Host Ports
    for c in cs {
        for (j, port) in c
            .node
            .get("ports")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(hp) = port
                .get("hostPort")
                .filter(|n| n.as_i64().is_some_and(|p| p != 0))
            {
                ctx.report(
                    &rules::HOST_PORTS,
                    Some(&c.name),
                    &format!("{}.ports[{j}].hostPort", c.path),
                    &hp.display(),
                    hp.line,
                );
            }
        }
    }

    // Host Probes / Lifecycle Hooks
    for c in cs {
        let handlers = [
            ["livenessProbe", "httpGet"],
            ["livenessProbe", "tcpSocket"],
            ["readinessProbe", "httpGet"],
            ["readinessProbe", "tcpSocket"],
            ["startupProbe", "httpGet"],
            ["startupProbe", "tcpSocket"],
        ];
        let lifecycle = [
            ["lifecycle", "postStart", "httpGet"],
            ["lifecycle", "postStart", "tcpSocket"],
            ["lifecycle", "preStop", "httpGet"],
            ["lifecycle", "preStop", "tcpSocket"],
        ];
        let paths = handlers
            .iter()
            .map(|h| h.as_slice())
            .chain(lifecycle.iter().map(|h| h.as_slice()));
        for handler in paths {
            let mut key = handler.to_vec();
            key.push("host");
            if let Some(host) = c
                .node
                .at(&key)
                .filter(|h| h.as_str().is_some_and(|s| !s.is_empty()))
            {
                ctx.report(
                    &rules::HOST_PROBES,
                    Some(&c.name),
                    &format!("{}.{}", c.path, key.join(".")),
                    &host.display(),
                    host.line,
                );
            }
        }
    }

    // AppArmor: the annotations, then the fields.
    if let Some(annotations) = w
        .metadata
        .as_ref()
        .and_then(|m| m.get("annotations"))
        .and_then(Node::as_map)
    {
        for e in annotations {
            let Some(container) = e.key.strip_prefix(APPARMOR_ANNOTATION) else {
                continue;
            };
            let value = e.value.as_str().unwrap_or_default();
            if !(value.is_empty() || value == "runtime/default" || value.starts_with("localhost/"))
            {
                let field = format!("{}.annotations.{}", w.metadata_path, e.key);
                ctx.report(
                    &rules::APPARMOR,
                    Some(container),
                    &field,
                    value,
                    e.value.line,
                );
            }
        }
    }
    let key = ["securityContext", "appArmorProfile"];
    let bad_apparmor = |n: &Node| {
        let t = n.get("type").and_then(Node::as_str);
        !matches!(t, Some("RuntimeDefault" | "Localhost"))
    };
    if let Some(p) = spec.at(&key).filter(|p| bad_apparmor(p)) {
        ctx.report(
            &rules::APPARMOR,
            None,
            &format!("{sp}.securityContext.appArmorProfile.type"),
            &shown(p.get("type")),
            p.line_at(&["type"]),
        );
    }
    for c in cs {
        if let Some(p) = c.node.at(&key).filter(|p| bad_apparmor(p)) {
            ctx.report(
                &rules::APPARMOR,
                Some(&c.name),
                &format!("{}.securityContext.appArmorProfile.type", c.path),
                &shown(p.get("type")),
                p.line_at(&["type"]),
            );
        }
    }

    // SELinux
    let selinux = |ctx: &mut Ctx<'_>, owner: &Node, container: Option<&str>, prefix: &str| {
        let Some(opts) = owner.at(&["securityContext", "seLinuxOptions"]) else {
            return;
        };
        if let Some(t) = opts.get("type").filter(|t| {
            t.as_str()
                .is_some_and(|s| !s.is_empty() && !SELINUX_TYPES.contains(&s))
        }) {
            ctx.report(
                &rules::SELINUX,
                container,
                &format!("{prefix}.securityContext.seLinuxOptions.type"),
                &t.display(),
                t.line,
            );
        }
        for field in ["user", "role"] {
            if let Some(v) = opts
                .get(field)
                .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            {
                ctx.report(
                    &rules::SELINUX,
                    container,
                    &format!("{prefix}.securityContext.seLinuxOptions.{field}"),
                    &v.display(),
                    v.line,
                );
            }
        }
    };
    selinux(ctx, spec, None, sp);
    for c in cs {
        selinux(ctx, c.node, Some(&c.name), &c.path);
    }

    // /proc Mount Type: relaxed for pods in a user namespace (policy v1.35).
    if !user_namespace(spec) {
        proc_mount(ctx, cs, &rules::PROC_MOUNT_BASELINE);
    }

    // Seccomp
    let key = ["securityContext", "seccompProfile"];
    if let Some(p) = spec.at(&key).filter(|p| !valid_seccomp(p)) {
        ctx.report(
            &rules::SECCOMP_BASELINE,
            None,
            &format!("{sp}.securityContext.seccompProfile.type"),
            &shown(p.get("type")),
            p.line_at(&["type"]),
        );
    }
    for c in cs {
        if let Some(p) = c.node.at(&key).filter(|p| !valid_seccomp(p)) {
            ctx.report(
                &rules::SECCOMP_BASELINE,
                Some(&c.name),
                &format!("{}.securityContext.seccompProfile.type", c.path),
                &shown(p.get("type")),
                p.line_at(&["type"]),
            );
        }
    }

    // Sysctls
    let sysctls = pod_sc
        .and_then(|s| s.get("sysctls"))
        .and_then(Node::as_seq)
        .unwrap_or_default();
    for (i, s) in sysctls.iter().enumerate() {
        let name = s.get("name").and_then(Node::as_str).unwrap_or_default();
        if !SAFE_SYSCTLS.contains(&name) {
            ctx.report(
                &rules::SYSCTLS,
                None,
                &format!("{sp}.securityContext.sysctls[{i}].name"),
                name,
                s.line_at(&["name"]),
            );
        }
    }
}

fn volumes(spec: &Node) -> impl Iterator<Item = (usize, &Node)> {
    spec.get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
}

fn valid_seccomp(profile: &Node) -> bool {
    matches!(
        profile.get("type").and_then(Node::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

fn user_namespace(spec: &Node) -> bool {
    spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
}

fn windows(spec: &Node) -> bool {
    spec.at(&["os", "name"]).and_then(Node::as_str) == Some("windows")
}

fn proc_mount(ctx: &mut Ctx<'_>, cs: &[Container<'_>], rule: &RuleInfo) {
    let key = ["securityContext", "procMount"];
    for c in cs {
        if let Some(p) = c.node.at(&key).filter(|p| p.as_str() != Some("Default")) {
            ctx.report(
                rule,
                Some(&c.name),
                &format!("{}.{}", c.path, key.join(".")),
                &p.display(),
                p.line,
            );
        }
    }
}

fn restricted(ctx: &mut Ctx<'_>, cs: &[Container<'_>]) {
    let w = ctx.w;
    let spec = &w.spec;
    let sp = w.spec_path;
    let windows = windows(spec);
    let userns = user_namespace(spec);

    // Volume Types (hostPath is the baseline's finding).
    for (i, v) in volumes(spec) {
        let sources: Vec<&str> = v
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter(|e| e.key != "name" && !e.value.is_null())
            .map(|e| e.key.as_str())
            .collect();
        // A volume without a source is defaulted to emptyDir by the API server.
        for source in sources {
            if source != "hostPath" && !RESTRICTED_VOLUMES.contains(&source) {
                let line = v.line_at(&[source]);
                let name = v
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_owned();
                ctx.report(
                    &rules::VOLUME_TYPES,
                    None,
                    &format!("{sp}.volumes[{i}].{source}"),
                    &format!("volume {name}"),
                    line,
                );
            }
        }
    }

    // Privilege Escalation (Windows pods are exempt).
    if !windows {
        let key = ["securityContext", "allowPrivilegeEscalation"];
        for c in cs {
            let v = c.node.at(&key);
            if v.and_then(Node::as_bool) != Some(false) {
                ctx.report(
                    &rules::PRIVILEGE_ESCALATION,
                    Some(&c.name),
                    &format!("{}.{}", c.path, key.join(".")),
                    &shown(v),
                    c.node.line_at(&key),
                );
            }
        }
    }

    // Running as Non-root and Running as Non-root user (relaxed in a user namespace, v1.35).
    if !userns {
        let key = ["securityContext", "runAsNonRoot"];
        let pod = spec.at(&key);
        let pod_true = pod.and_then(Node::as_bool) == Some(true);
        if let Some(p) = pod.filter(|_| !pod_true) {
            ctx.report(
                &rules::RUN_AS_NON_ROOT,
                None,
                &format!("{sp}.securityContext.runAsNonRoot"),
                &p.display(),
                p.line,
            );
        }
        for c in cs {
            match c.node.at(&key) {
                Some(v) if v.as_bool() == Some(true) => {}
                Some(v) => ctx.report(
                    &rules::RUN_AS_NON_ROOT,
                    Some(&c.name),
                    &format!("{}.securityContext.runAsNonRoot", c.path),
                    &v.display(),
                    v.line,
                ),
                None if !pod_true => ctx.report(
                    &rules::RUN_AS_NON_ROOT,
                    Some(&c.name),
                    &format!("{}.securityContext.runAsNonRoot", c.path),
                    UNSET,
                    c.node.line_at(&key),
                ),
                None => {}
            }
        }
        let key = ["securityContext", "runAsUser"];
        if let Some(u) = spec.at(&key).filter(|u| u.as_i64() == Some(0)) {
            ctx.report(
                &rules::RUN_AS_USER,
                None,
                &format!("{sp}.securityContext.runAsUser"),
                "0",
                u.line,
            );
        }
        for c in cs {
            if let Some(u) = c.node.at(&key).filter(|u| u.as_i64() == Some(0)) {
                ctx.report(
                    &rules::RUN_AS_USER,
                    Some(&c.name),
                    &format!("{}.securityContext.runAsUser", c.path),
                    "0",
                    u.line,
                );
            }
        }
    }

    // Seccomp: every container needs RuntimeDefault or Localhost, its own or the pod's.
    if !windows {
        let key = ["securityContext", "seccompProfile"];
        let pod_valid = spec.at(&key).is_some_and(valid_seccomp);
        for c in cs {
            // An invalid container profile is the baseline's finding.
            if c.node.at(&key).is_none() && !pod_valid {
                ctx.report(
                    &rules::SECCOMP_RESTRICTED,
                    Some(&c.name),
                    &format!("{}.securityContext.seccompProfile.type", c.path),
                    UNSET,
                    c.node.line_at(&key),
                );
            }
        }
    }

    // Capabilities: drop ALL; add only NET_BIND_SERVICE (others outside the baseline set are
    // the baseline's finding).
    if !windows {
        for c in cs {
            let caps = ["securityContext", "capabilities"];
            let drop = c.node.at(&["securityContext", "capabilities", "drop"]);
            let drops_all = drop
                .and_then(Node::as_seq)
                .is_some_and(|d| d.iter().any(|n| n.as_str() == Some("ALL")));
            if !drops_all {
                let line = drop.map_or_else(|| c.node.line_at(&caps), |d| d.line);
                ctx.report(
                    &rules::CAPABILITIES_RESTRICTED,
                    Some(&c.name),
                    &format!("{}.securityContext.capabilities.drop", c.path),
                    &shown(drop),
                    line,
                );
            }
            let add_key = ["securityContext", "capabilities", "add"];
            let bad: Vec<&str> = c
                .node
                .at(&add_key)
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .filter(|cap| *cap != "NET_BIND_SERVICE" && BASELINE_CAPABILITIES.contains(cap))
                .collect();
            if !bad.is_empty() {
                ctx.report(
                    &rules::CAPABILITIES_RESTRICTED,
                    Some(&c.name),
                    &format!("{}.securityContext.capabilities.add", c.path),
                    &bad.join(", "),
                    c.node.line_at(&add_key),
                );
            }
        }
    }

    // /proc Mount Type: restricted re-tightens what the baseline relaxes in a user namespace.
    if userns {
        proc_mount(ctx, cs, &rules::PROC_MOUNT_RESTRICTED);
    }
}

/// The image reference split: tag (if any) and whether a digest pins it.
fn image_tag(image: &str) -> (Option<&str>, bool) {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, t)| t), digest)
}

fn hygiene(ctx: &mut Ctx<'_>, cs: &[Container<'_>]) {
    for c in cs.iter().filter(|c| !c.ephemeral) {
        for (rule, kind) in [
            (&rules::RESOURCES_REQUESTS, "requests"),
            (&rules::RESOURCES_LIMITS, "limits"),
        ] {
            for resource in ["cpu", "memory"] {
                let key = ["resources", kind, resource];
                let set = c
                    .node
                    .at(&key)
                    .and_then(Node::as_str)
                    .is_some_and(|v| !v.is_empty());
                if !set {
                    ctx.report(
                        rule,
                        Some(&c.name),
                        &format!("{}.{}", c.path, key.join(".")),
                        UNSET,
                        c.node.line_at(&key),
                    );
                }
            }
        }
        let key = ["securityContext", "readOnlyRootFilesystem"];
        let v = c.node.at(&key);
        if v.and_then(Node::as_bool) != Some(true) {
            ctx.report(
                &rules::READ_ONLY_ROOT_FS,
                Some(&c.name),
                &format!("{}.{}", c.path, key.join(".")),
                &shown(v),
                c.node.line_at(&key),
            );
        }
        let Some(image_node) = c.node.get("image") else {
            continue;
        };
        let image = image_node.as_str().unwrap_or_default();
        let (tag, pinned) = image_tag(image);
        let mutable = matches!(tag, None | Some("" | "latest"));
        if mutable && !pinned {
            ctx.report(
                &rules::IMAGE_MUTABLE_TAG,
                Some(&c.name),
                &format!("{}.image", c.path),
                image,
                image_node.line,
            );
        }
        if !pinned {
            // Kubernetes defaults the policy to Always for :latest and untagged images.
            let policy = c.node.get("imagePullPolicy");
            let effective = policy.and_then(Node::as_str).unwrap_or(if mutable {
                "Always"
            } else {
                "IfNotPresent"
            });
            if effective != "Always" {
                let value = match policy {
                    Some(p) => p.display(),
                    None => format!("{UNSET} (IfNotPresent for {image})"),
                };
                let line = policy.map_or(image_node.line, |p| p.line);
                ctx.report(
                    &rules::IMAGE_PULL_POLICY,
                    Some(&c.name),
                    &format!("{}.imagePullPolicy", c.path),
                    &value,
                    line,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_tag_and_digest() {
        assert_eq!(image_tag("nginx"), (None, false));
        assert_eq!(image_tag("nginx:latest"), (Some("latest"), false));
        assert_eq!(image_tag("localhost:5000/app"), (None, false));
        assert_eq!(image_tag("localhost:5000/app:1.2"), (Some("1.2"), false));
        assert_eq!(image_tag("app@sha256:abcd"), (None, true));
        assert_eq!(image_tag("app:1@sha256:abcd"), (Some("1"), true));
    }
}
