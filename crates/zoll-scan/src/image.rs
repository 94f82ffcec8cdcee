//! Image configuration and content checks, in the spirit of the CIS Docker Benchmark section 4
//! as Dockle applies it. Input: the verified image config, the stacked [`ImageFacts`] the layer
//! walk gathered, the SBOM and the names the image goes by. No IO.
//!
//! Ids are Dockle's where the check is the same (Dockle's `CIS-DI-*` ids carry the CIS number as
//! an alias, `CIS-4.1`), and `ZOLL-DI-*` where Dockle has none:
//!
//! | id | check | severity |
//! | --- | --- | --- |
//! | `CIS-DI-0001` | runs as root: no `USER`, or a user that is uid 0 | medium |
//! | `CIS-DI-0006` | no `HEALTHCHECK` (or `HEALTHCHECK NONE`) | low |
//! | `CIS-DI-0008` | setuid / setgid files | low |
//! | `CIS-DI-0009` | `ADD` where `COPY` would do (anything but a local archive) | low |
//! | `CIS-DI-0010` | credentials in `ENV` or in a build `ARG` recorded in history (the test of Dockerfile rule ZD005, `zoll_dockerfile::is_secret_assignment`) | high |
//! | `DKL-DI-0001` | `sudo` installed | medium |
//! | `DKL-DI-0003` | `apt-get upgrade` / `dist-upgrade` in history | low |
//! | `DKL-DI-0004` | apk cache left in `/var/cache/apk` | low |
//! | `DKL-DI-0005` | apt caches left (`/var/lib/apt/lists`, `/var/cache/apt/archives`) | low |
//! | `DKL-DI-0006` | the image is named by the `latest` tag | low |
//! | `DKL-LI-0001` | an account with an empty password (`/etc/shadow`, `/etc/passwd`) | high |
//! | `DKL-LI-0002` | duplicate UIDs or GIDs | medium |
//! | `ZOLL-DI-0001` | `ADD` from a URL | medium |
//! | `ZOLL-DI-0002` | world-writable files, or directories without the sticky bit | medium |
//! | `ZOLL-DI-0003` | other package caches (pip, npm, yarn, yum, dnf) | low |
//! | `ZOLL-DI-0004` | the SSH port (22) is exposed | medium |
//!
//! Decisions: the base image's root filesystem (`ADD file:… in /`) is not an `ADD` finding, nor is
//! a local archive (`ADD app.tar.gz`), which is what `ADD` is for. Dockle's DKL-DI-0003 covers
//! only `dist-upgrade`; zoll counts `upgrade` too, as the issue asks. A `USER` name is resolved
//! through the image's `/etc/passwd`, so a renamed uid 0 still counts as root.

use std::collections::BTreeMap;

use zoll_core::{CheckFinding, Digest, Location, Sbom, Scanner, Severity};
use zoll_oci::model::ImageConfig;
use zoll_sbom::ImageFacts;

/// What the checks look at.
pub struct ImageInput<'a> {
    pub config: &'a ImageConfig,
    pub facts: &'a ImageFacts,
    pub sbom: &'a Sbom,
    /// The names the image goes by: the user's reference and tags from the source.
    pub names: &'a [String],
}

struct Rule {
    id: &'static str,
    title: &'static str,
    severity: Severity,
    alias: Option<&'static str>,
    remediation: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        id: "CIS-DI-0001",
        title: "image runs as root",
        severity: Severity::Medium,
        alias: Some("CIS-4.1"),
        remediation: "add a non-root USER to the Dockerfile",
    },
    Rule {
        id: "CIS-DI-0006",
        title: "no HEALTHCHECK",
        severity: Severity::Low,
        alias: Some("CIS-4.6"),
        remediation: "add a HEALTHCHECK instruction",
    },
    Rule {
        id: "CIS-DI-0008",
        title: "setuid/setgid file",
        severity: Severity::Low,
        alias: Some("CIS-4.8"),
        remediation: "remove the setuid/setgid bit (chmod u-s,g-s) unless the file needs it",
    },
    Rule {
        id: "CIS-DI-0009",
        title: "ADD where COPY would do",
        severity: Severity::Low,
        alias: Some("CIS-4.9"),
        remediation: "use COPY for files and directories",
    },
    Rule {
        id: "CIS-DI-0010",
        title: "credentials in ENV or ARG",
        severity: Severity::High,
        alias: Some("CIS-4.10"),
        remediation: "pass secrets at run time (mounted files, a secret store) or with RUN --mount=type=secret",
    },
    Rule {
        id: "DKL-DI-0001",
        title: "sudo installed",
        severity: Severity::Medium,
        alias: None,
        remediation: "remove sudo; use USER or gosu/su-exec for privilege changes",
    },
    Rule {
        id: "DKL-DI-0003",
        title: "package upgrade in the build",
        severity: Severity::Low,
        alias: None,
        remediation: "upgrade by rebuilding on a newer base image, not with apt-get upgrade",
    },
    Rule {
        id: "DKL-DI-0004",
        title: "apk cache left in the image",
        severity: Severity::Low,
        alias: None,
        remediation: "use apk add --no-cache",
    },
    Rule {
        id: "DKL-DI-0005",
        title: "apt caches left in the image",
        severity: Severity::Low,
        alias: None,
        remediation: "rm -rf /var/lib/apt/lists/* in the same RUN as apt-get install",
    },
    Rule {
        id: "DKL-DI-0006",
        title: "image tagged latest",
        severity: Severity::Low,
        alias: None,
        remediation: "refer to images by a version tag or a digest",
    },
    Rule {
        id: "DKL-LI-0001",
        title: "account with an empty password",
        severity: Severity::High,
        alias: None,
        remediation: "lock the account (passwd -l) or set a password hash",
    },
    Rule {
        id: "DKL-LI-0002",
        title: "duplicate UID or GID",
        severity: Severity::Medium,
        alias: None,
        remediation: "give every user and group its own id",
    },
    Rule {
        id: "ZOLL-DI-0001",
        title: "ADD from a URL",
        severity: Severity::Medium,
        alias: None,
        remediation: "download with curl/wget in a RUN and verify a checksum, or COPY a vetted file",
    },
    Rule {
        id: "ZOLL-DI-0002",
        title: "world-writable file or directory",
        severity: Severity::Medium,
        alias: None,
        remediation: "chmod o-w (or set the sticky bit on shared directories)",
    },
    Rule {
        id: "ZOLL-DI-0003",
        title: "package cache left in the image",
        severity: Severity::Low,
        alias: None,
        remediation: "use pip --no-cache-dir, npm cache clean --force, yum/dnf clean all",
    },
    Rule {
        id: "ZOLL-DI-0004",
        title: "SSH port exposed",
        severity: Severity::Medium,
        alias: None,
        remediation: "do not run sshd in a container; use kubectl exec / docker exec",
    },
];

/// Every check's id and title, for documentation and `--help`.
pub fn rules() -> Vec<(&'static str, &'static str)> {
    RULES.iter().map(|r| (r.id, r.title)).collect()
}

fn finding(id: &str, location: Location, evidence: String) -> Option<CheckFinding> {
    let r = RULES.iter().find(|r| r.id == id)?;
    Some(CheckFinding {
        scanner: Scanner::Config,
        rule: r.id.to_owned(),
        title: r.title.to_owned(),
        severity: r.severity,
        location,
        evidence: Some(evidence),
        remediation: Some(r.remediation.to_owned()),
        aliases: r.alias.map(|a| vec![a.to_owned()]).unwrap_or_default(),
        references: if r.id.starts_with("CIS-") || r.id.starts_with("DKL-") {
            vec![format!(
                "https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#{}",
                r.id.to_ascii_lowercase()
            )]
        } else {
            Vec::new()
        },
    })
}

fn at(path: &str, layer: Option<&Digest>) -> Location {
    Location {
        path: path.to_owned(),
        layer: layer.cloned(),
        ..Location::default()
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 160;
    let s = s.trim();
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Run every check.
pub fn check(input: &ImageInput<'_>) -> Vec<CheckFinding> {
    let mut out = Vec::new();
    user(input, &mut out);
    healthcheck(input.config, &mut out);
    env_credentials(input.config, &mut out);
    history(input.config, &mut out);
    special_modes(input.facts, &mut out);
    sudo(input, &mut out);
    caches(input.facts, &mut out);
    accounts(input.facts, &mut out);
    ssh(input.config, &mut out);
    latest(input.names, &mut out);
    out
}

/// Fields of `/etc/passwd`-style lines, skipping comments and blanks.
fn records(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| (i + 1, l.split(':').collect()))
}

fn user(input: &ImageInput<'_>, out: &mut Vec<CheckFinding>) {
    let raw = input.config.config.user.clone().unwrap_or_default();
    let name = raw.split(':').next().unwrap_or_default().trim().to_owned();
    let root = if name.is_empty() || name == "root" || name == "0" {
        true
    } else if name.chars().all(|c| c.is_ascii_digit()) {
        false
    } else {
        // A name: uid 0 in the image's passwd makes it root.
        input
            .facts
            .account_files
            .get("/etc/passwd")
            .is_some_and(|(text, _)| {
                records(text)
                    .any(|(_, f)| f.first() == Some(&name.as_str()) && f.get(2) == Some(&"0"))
            })
    };
    if root {
        let evidence = if raw.is_empty() {
            "no USER: the container runs as root".to_owned()
        } else {
            format!("USER {raw}")
        };
        out.extend(finding(
            "CIS-DI-0001",
            Location::path("config:User"),
            evidence,
        ));
    }
}

fn healthcheck(config: &ImageConfig, out: &mut Vec<CheckFinding>) {
    let hc = config.config.extra.get("Healthcheck");
    let disabled = hc
        .and_then(|h| h.get("Test"))
        .and_then(|t| t.as_array())
        .and_then(|t| t.first())
        .and_then(|t| t.as_str())
        == Some("NONE");
    let missing = hc.is_none_or(|h| h.is_null());
    if missing || disabled {
        let evidence = if disabled {
            "HEALTHCHECK NONE"
        } else {
            "no HEALTHCHECK in the image config"
        };
        out.extend(finding(
            "CIS-DI-0006",
            Location::path("config:Healthcheck"),
            evidence.to_owned(),
        ));
    }
}

fn env_credentials(config: &ImageConfig, out: &mut Vec<CheckFinding>) {
    for e in config.config.env.iter().flatten() {
        let Some((k, v)) = e.split_once('=') else {
            continue;
        };
        if zoll_dockerfile::is_secret_assignment(k, v) {
            out.extend(finding(
                "CIS-DI-0010",
                Location {
                    path: "config:Env".to_owned(),
                    object: Some(k.to_owned()),
                    ..Location::default()
                },
                format!("ENV {k}=<redacted>"),
            ));
        }
    }
}

/// Build args recorded in a history step: BuildKit's `|N K=V ... cmd` prefix and the classic
/// builder's `#(nop) ARG K=V`.
fn build_args(created_by: &str) -> Vec<(String, String)> {
    let mut args = Vec::new();
    let s = created_by
        .trim()
        .strip_prefix("RUN ")
        .unwrap_or(created_by.trim());
    if let Some(rest) = s.strip_prefix('|') {
        let mut words = rest.split_whitespace();
        let n: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        for w in words.take(n) {
            if let Some((k, v)) = w.split_once('=') {
                args.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    if let Some(i) = s.find("#(nop)") {
        let rest = s[i + 6..].trim_start();
        if let Some(arg) = rest.strip_prefix("ARG ")
            && let Some((k, v)) = arg.trim().split_once('=')
        {
            args.push((k.to_owned(), v.to_owned()));
        }
    }
    if let Some(arg) = s.strip_prefix("ARG ")
        && let Some((k, v)) = arg.trim().split_once('=')
    {
        args.push((k.to_owned(), v.to_owned()));
    }
    args
}

/// The instruction a history step ran (`ADD`, `RUN`, ...) and its arguments.
fn instruction(created_by: &str) -> (&str, &str) {
    let s = created_by.trim();
    let s = match s.find("#(nop)") {
        Some(i) => s[i + 6..].trim_start(),
        None => s,
    };
    let s = s.strip_suffix("# buildkit").unwrap_or(s).trim_end();
    match s.split_once(char::is_whitespace) {
        Some((head, rest)) if head.chars().all(|c| c.is_ascii_uppercase()) => (head, rest.trim()),
        _ => ("RUN", s),
    }
}

const ARCHIVES: [&str; 8] = [
    ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst",
];

fn history(config: &ImageConfig, out: &mut Vec<CheckFinding>) {
    for (i, h) in config.history.iter().enumerate() {
        let Some(cb) = h.created_by.as_deref() else {
            continue;
        };
        let loc = || Location::path(format!("config:history[{i}]"));
        for (k, v) in build_args(cb) {
            if zoll_dockerfile::is_secret_assignment(&k, &v) {
                out.extend(finding(
                    "CIS-DI-0010",
                    Location {
                        object: Some(k.clone()),
                        ..loc()
                    },
                    format!("ARG {k}=<redacted>"),
                ));
            }
        }
        let (op, args) = instruction(cb);
        if op == "ADD" {
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let sources = &words[..words.len().saturating_sub(1)];
            let base_rootfs = args.starts_with("file:") && args.ends_with(" in /");
            if sources
                .iter()
                .any(|s| s.starts_with("http://") || s.starts_with("https://"))
            {
                out.extend(finding("ZOLL-DI-0001", loc(), short(cb)));
            } else if !base_rootfs
                && !sources.is_empty()
                && !sources
                    .iter()
                    .all(|s| ARCHIVES.iter().any(|a| s.ends_with(a)))
            {
                out.extend(finding("CIS-DI-0009", loc(), short(cb)));
            }
        }
        if op == "RUN" {
            let upgrade = cb.split(['&', ';', '|', '\n']).any(|cmd| {
                let words: Vec<&str> = cmd
                    .split_whitespace()
                    .filter(|w| !w.starts_with('-'))
                    .collect();
                words.windows(2).any(|w| {
                    matches!(w[0], "apt-get" | "apt" | "/usr/bin/apt-get")
                        && matches!(w[1], "upgrade" | "dist-upgrade" | "full-upgrade")
                })
            });
            if upgrade {
                out.extend(finding("DKL-DI-0003", loc(), short(cb)));
            }
        }
    }
}

fn special_modes(facts: &ImageFacts, out: &mut Vec<CheckFinding>) {
    for (path, (mode, dir, layer)) in &facts.special {
        if !dir && mode & 0o6000 != 0 {
            out.extend(finding(
                "CIS-DI-0008",
                at(path, layer.as_ref()),
                format!("mode {mode:04o}"),
            ));
        }
        if mode & 0o002 != 0 {
            out.extend(finding(
                "ZOLL-DI-0002",
                at(path, layer.as_ref()),
                format!("mode {mode:04o}{}", if *dir { " (directory)" } else { "" }),
            ));
        }
    }
}

fn sudo(input: &ImageInput<'_>, out: &mut Vec<CheckFinding>) {
    if let Some((path, layer)) = input.facts.sudo.iter().next() {
        out.extend(finding(
            "DKL-DI-0001",
            at(path, layer.as_ref()),
            "sudo binary present".to_owned(),
        ));
    } else if let Some(p) = input.sbom.packages.iter().find(|p| p.name == "sudo") {
        let path = p.locations.first().cloned().unwrap_or_default();
        out.extend(finding(
            "DKL-DI-0001",
            at(&path, p.layer.as_ref()),
            format!("package sudo {}", p.version),
        ));
    }
}

fn caches(facts: &ImageFacts, out: &mut Vec<CheckFinding>) {
    // One finding per cache directory: (rule, dir) -> (files, bytes, layer of the first file).
    let mut groups: BTreeMap<(&str, String), (usize, u64, Option<Digest>)> = BTreeMap::new();
    for (path, (size, layer)) in &facts.cache_files {
        let (rule, dir) = if path.starts_with("/var/lib/apt/lists/") {
            ("DKL-DI-0005", "/var/lib/apt/lists".to_owned())
        } else if path.starts_with("/var/cache/apt/") {
            ("DKL-DI-0005", "/var/cache/apt/archives".to_owned())
        } else if path.starts_with("/var/cache/apk/") {
            ("DKL-DI-0004", "/var/cache/apk".to_owned())
        } else {
            let dir = zoll_sbom::inspect::CACHE_DIRS
                .iter()
                .find(|d| path.starts_with(*d))
                .map(|d| (*d).to_owned())
                .unwrap_or_else(|| {
                    path.rsplit_once('/')
                        .map(|(d, _)| d.to_owned())
                        .unwrap_or_default()
                });
            ("ZOLL-DI-0003", dir)
        };
        let e = groups.entry((rule, dir)).or_insert((0, 0, layer.clone()));
        e.0 += 1;
        e.1 += size;
    }
    for ((rule, dir), (files, bytes, layer)) in groups {
        out.extend(finding(
            rule,
            at(&dir, layer.as_ref()),
            format!("{files} files, {bytes} bytes"),
        ));
    }
}

fn accounts(facts: &ImageFacts, out: &mut Vec<CheckFinding>) {
    let file = |p: &str| facts.account_files.get(p);
    // Empty password field: in shadow, or in passwd itself (no `x`).
    for p in ["/etc/shadow", "/etc/passwd"] {
        if let Some((text, layer)) = file(p) {
            for (line, f) in records(text) {
                if f.len() >= 2 && f.get(1) == Some(&"") {
                    let mut l = at(p, layer.as_ref());
                    l.line = u32::try_from(line).ok();
                    out.extend(finding(
                        "DKL-LI-0001",
                        l,
                        format!("user {} has no password", f[0]),
                    ));
                }
            }
        }
    }
    for (p, what) in [("/etc/passwd", "uid"), ("/etc/group", "gid")] {
        let Some((text, layer)) = file(p) else {
            continue;
        };
        let mut seen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (_, f) in records(text) {
            if let (Some(name), Some(id)) = (f.first(), f.get(2)) {
                seen.entry(id).or_default().push(name);
            }
        }
        for (id, names) in seen {
            if names.len() > 1 {
                out.extend(finding(
                    "DKL-LI-0002",
                    at(p, layer.as_ref()),
                    format!("{what} {id} is shared by {}", names.join(", ")),
                ));
            }
        }
    }
}

fn ssh(config: &ImageConfig, out: &mut Vec<CheckFinding>) {
    for port in config.config.exposed_ports.iter().flat_map(|m| m.keys()) {
        let number = port.split('/').next().unwrap_or_default();
        let proto = port.split('/').nth(1).unwrap_or("tcp");
        if number == "22" && proto == "tcp" {
            out.extend(finding(
                "ZOLL-DI-0004",
                Location::path("config:ExposedPorts"),
                format!("EXPOSE {port}"),
            ));
        }
    }
}

fn latest(names: &[String], out: &mut Vec<CheckFinding>) {
    for n in names {
        let last = n.rsplit('/').next().unwrap_or(n);
        let tagged_latest = last == "latest" || last.ends_with(":latest");
        if tagged_latest {
            out.extend(finding(
                "DKL-DI-0006",
                Location::path("config:RepoTags"),
                n.clone(),
            ));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_from_both_builders() {
        assert_eq!(
            build_args("RUN |2 DB_PASSWORD=hunter2x VERSION=1 /bin/sh -c make # buildkit"),
            vec![
                ("DB_PASSWORD".to_owned(), "hunter2x".to_owned()),
                ("VERSION".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(
            build_args("/bin/sh -c #(nop)  ARG API_TOKEN=abc123"),
            vec![("API_TOKEN".to_owned(), "abc123".to_owned())]
        );
        assert!(build_args("/bin/sh -c make").is_empty());
    }

    #[test]
    fn instructions_of_history_steps() {
        assert_eq!(
            instruction("/bin/sh -c #(nop) ADD file:abc in / "),
            ("ADD", "file:abc in /")
        );
        assert_eq!(
            instruction("ADD https://x/y /y # buildkit"),
            ("ADD", "https://x/y /y")
        );
        assert_eq!(
            instruction("/bin/sh -c apt-get update"),
            ("RUN", "/bin/sh -c apt-get update")
        );
    }

    fn config(history: &[&str]) -> ImageConfig {
        ImageConfig {
            history: history
                .iter()
                .map(|h| zoll_oci::model::History {
                    created_by: Some((*h).to_owned()),
                    ..Default::default()
                })
                .collect(),
            ..ImageConfig::default()
        }
    }

    fn rules_of(c: &ImageConfig) -> Vec<String> {
        let mut out = Vec::new();
        history(c, &mut out);
        out.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn history_steps() {
        assert_eq!(
            rules_of(&config(&[
                "/bin/sh -c apt-get update && apt-get -y dist-upgrade"
            ])),
            ["DKL-DI-0003"]
        );
        assert_eq!(
            rules_of(&config(&[
                "RUN /bin/sh -c apt-get -qq upgrade -y # buildkit"
            ])),
            ["DKL-DI-0003"]
        );
        assert!(
            rules_of(&config(&[
                "/bin/sh -c apt-get install -y unattended-upgrades"
            ]))
            .is_empty()
        );
        assert!(rules_of(&config(&["/bin/sh -c #(nop) ADD file:0a1b in / "])).is_empty());
        assert!(rules_of(&config(&["ADD app.tar.gz /srv/ # buildkit"])).is_empty());
        assert_eq!(
            rules_of(&config(&["ADD app.py /srv/ # buildkit"])),
            ["CIS-DI-0009"]
        );
        assert_eq!(
            rules_of(&config(&["ADD https://example.org/x.tgz /x # buildkit"])),
            ["ZOLL-DI-0001"]
        );
    }

    #[test]
    fn credentials_in_env_are_found_and_redacted() {
        let mut c = config(&[]);
        c.config.env = Some(vec![
            "DB_PASSWORD=s3cr3t-value".into(),
            "DB_PASSWORD_FILE=/run/secrets/db".into(),
            "AUTHOR=jane".into(),
            "API_TOKEN=$FROM_BUILD".into(),
        ]);
        let mut out = Vec::new();
        env_credentials(&c, &mut out);
        let got: Vec<(&str, Option<&str>)> = out
            .iter()
            .map(|f| (f.rule.as_str(), f.evidence.as_deref()))
            .collect();
        assert_eq!(got, [("CIS-DI-0010", Some("ENV DB_PASSWORD=<redacted>"))]);
    }
}
