//! OS release detection: os-release (`/etc/os-release`, `/usr/lib/os-release`) and the older
//! distribution-specific files images fall back on (`/etc/lsb-release`, `/etc/alpine-release`,
//! `/etc/redhat-release`, `/etc/system-release`, `/etc/debian_version`).
//!
//! # Choosing between several release files
//!
//! An image often holds more than one of these files (Ubuntu has `/etc/os-release`,
//! `/etc/lsb-release` and `/etc/debian_version`; CentOS has os-release and redhat-release), and
//! they can disagree: Ubuntu's `debian_version` says `bookworm/sid`. Each file has a
//! [`priority`]; **lower is better**, and os-release always beats the fallbacks. A caller that
//! reads every file [`is_release_file`] selects keeps, per image, the distro parsed from the file
//! with the lowest priority (from the top-most layer when the same file appears in several);
//! [`detect`] does exactly that for a list of `(path, bytes)`.

use zoll_core::Distro;

/// Release files and their priority, best first.
const FILES: [(&str, u8); 7] = [
    ("/etc/os-release", 0),
    ("/usr/lib/os-release", 1),
    ("/etc/lsb-release", 2),
    ("/etc/alpine-release", 3),
    ("/etc/redhat-release", 3),
    ("/etc/system-release", 4),
    ("/etc/debian_version", 5),
];

/// Largest release file parsed; real ones are under 1 KiB.
const MAX_SIZE: usize = 64 * 1024;

pub(crate) fn is_release_file(path: &str) -> bool {
    priority(path).is_some()
}

/// How much to trust a release file: `Some(0)` for `/etc/os-release`, `Some(1)` for
/// `/usr/lib/os-release`, larger numbers for the fallbacks, `None` for any other path. Lower wins.
pub fn priority(path: &str) -> Option<u8> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, prio)| *prio)
}

/// Parse a release file by its path; `None` when it names no distribution.
pub fn parse(path: &str, data: &[u8]) -> Option<Distro> {
    if data.len() > MAX_SIZE {
        return None;
    }
    match path {
        "/etc/os-release" | "/usr/lib/os-release" => parse_os_release(data),
        "/etc/lsb-release" => parse_lsb_release(data),
        "/etc/alpine-release" => parse_alpine_release(data),
        "/etc/redhat-release" | "/etc/system-release" => parse_redhat_release(data),
        "/etc/debian_version" => parse_debian_version(data),
        _ => None,
    }
}

/// The distro of the best-priority release file among `files` that names one.
pub fn detect<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Option<Distro> {
    let mut best: Option<(u8, Distro)> = None;
    for (path, data) in files {
        let Some(prio) = priority(path) else { continue };
        if best.as_ref().is_some_and(|(b, _)| *b <= prio) {
            continue;
        }
        if let Some(d) = parse(path, data) {
            best = Some((prio, d));
        }
    }
    best.map(|(_, d)| d)
}

/// `KEY=value` lines with shell-style quoting, as os-release(5) and lsb-release use.
fn assignments(data: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        out.push((key.to_owned(), unquote(value.trim())));
    }
    out
}

fn unquote(v: &str) -> String {
    let mut chars = v.chars();
    match chars.next() {
        Some(q @ ('"' | '\'')) => {
            let mut out = String::new();
            let mut escaped = false;
            for c in chars {
                if escaped {
                    out.push(c);
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    break;
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => v.to_owned(),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Parse os-release(5) content; `None` without an `ID`.
pub fn parse_os_release(data: &[u8]) -> Option<Distro> {
    let kv = assignments(data);
    let get = |k: &str| {
        kv.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let id = non_empty(get("ID"))?.to_ascii_lowercase();
    let pretty_name = non_empty(get("PRETTY_NAME"));
    let distroless = pretty_name
        .as_deref()
        .is_some_and(|p| p.starts_with("Distroless"));
    Some(Distro {
        id,
        version_id: non_empty(get("VERSION_ID")),
        version_codename: non_empty(get("VERSION_CODENAME")),
        pretty_name,
        id_like: get("ID_LIKE")
            .map(|v| v.split_whitespace().map(str::to_ascii_lowercase).collect())
            .unwrap_or_default(),
        distroless,
    })
}

/// `/etc/lsb-release`: `DISTRIB_ID=Ubuntu`, `DISTRIB_RELEASE=22.04`, `DISTRIB_CODENAME=jammy`.
pub fn parse_lsb_release(data: &[u8]) -> Option<Distro> {
    let kv = assignments(data);
    let get = |k: &str| {
        kv.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let id = non_empty(get("DISTRIB_ID"))?.to_ascii_lowercase();
    Some(Distro {
        id,
        version_id: non_empty(get("DISTRIB_RELEASE")),
        version_codename: non_empty(get("DISTRIB_CODENAME")),
        pretty_name: non_empty(get("DISTRIB_DESCRIPTION")),
        ..Distro::default()
    })
}

/// `/etc/alpine-release`: one line, the version (`3.19.1`).
pub fn parse_alpine_release(data: &[u8]) -> Option<Distro> {
    let text = String::from_utf8_lossy(data);
    let version = text.lines().next()?.trim();
    if version.is_empty()
        || !version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return None;
    }
    Some(Distro {
        id: "alpine".to_owned(),
        version_id: Some(version.to_owned()),
        pretty_name: Some(format!("Alpine Linux v{version}")),
        ..Distro::default()
    })
}

/// `/etc/redhat-release` and `/etc/system-release`: `NAME release VERSION (CODENAME)`, e.g.
/// `CentOS Linux release 7.9.2009 (Core)`. The version is cut as the distro's os-release writes
/// `VERSION_ID`: the major version for CentOS and Amazon Linux, in full for the others.
pub fn parse_redhat_release(data: &[u8]) -> Option<Distro> {
    let text = String::from_utf8_lossy(data);
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let id = if name.starts_with("Red Hat Enterprise Linux") {
        "rhel"
    } else if name.starts_with("CentOS") {
        "centos"
    } else if name.starts_with("Rocky Linux") {
        "rocky"
    } else if name.starts_with("AlmaLinux") {
        "almalinux"
    } else if name.starts_with("Fedora") {
        "fedora"
    } else if name.starts_with("Oracle Linux") {
        "ol"
    } else if name.starts_with("Amazon Linux") {
        "amzn"
    } else {
        return None;
    };
    let version_id = match id {
        "centos" | "amzn" if !name.contains("AMI") => version.split('.').next().unwrap_or(version),
        _ => version,
    };
    Some(Distro {
        id: id.to_owned(),
        version_id: Some(version_id.to_owned()),
        pretty_name: Some(line.to_owned()),
        ..Distro::default()
    })
}

/// `/etc/debian_version`: `12.4` (major version kept, as os-release's `VERSION_ID`) or a codename
/// pair such as `bookworm/sid` (no version).
pub fn parse_debian_version(data: &[u8]) -> Option<Distro> {
    let text = String::from_utf8_lossy(data);
    let line = text.lines().next()?.trim();
    if line.is_empty() {
        return None;
    }
    let major = line
        .split('.')
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
    Some(Distro {
        id: "debian".to_owned(),
        version_id: major.map(str::to_owned),
        ..Distro::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(text: &str) -> Distro {
        parse("/etc/os-release", text.as_bytes()).unwrap_or_else(|| panic!("no distro in {text}"))
    }

    fn check(text: &str, id: &str, version: Option<&str>, qualifier: &str) -> Distro {
        let d = os(text);
        assert_eq!(d.id, id);
        assert_eq!(d.version_id.as_deref(), version);
        assert_eq!(d.purl_qualifier(), qualifier);
        d
    }

    #[test]
    fn debian_and_ubuntu() {
        let d = check(
            r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#,
            "debian",
            Some("12"),
            "debian-12",
        );
        assert_eq!(d.version_codename.as_deref(), Some("bookworm"));
        assert!(!d.distroless);
        let d = check(
            r#"PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
"#,
            "ubuntu",
            Some("22.04"),
            "ubuntu-22.04",
        );
        assert_eq!(d.id_like, ["debian"]);
    }

    #[test]
    fn distroless() {
        let d = check(
            r#"PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
"#,
            "debian",
            Some("12"),
            "debian-12",
        );
        assert!(d.distroless);
    }

    #[test]
    fn alpine_wolfi_chainguard() {
        check(
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n",
            "alpine",
            Some("3.19.1"),
            "alpine-3.19.1",
        );
        check(
            "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n",
            "wolfi",
            Some("20230201"),
            "wolfi-20230201",
        );
        check(
            "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\nHOME_URL=\"https://chainguard.dev/\"\n",
            "chainguard",
            Some("20230214"),
            "chainguard-20230214",
        );
    }

    #[test]
    fn red_hat_family() {
        let d = check(
            r#"NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
HOME_URL="https://www.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux 9"
REDHAT_BUGZILLA_PRODUCT_VERSION=9.3
"#,
            "rhel",
            Some("9.3"),
            "rhel-9.3",
        );
        assert_eq!(d.id_like, ["fedora"]);
        let d = check(
            r#"NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"
"#,
            "centos",
            Some("7"),
            "centos-7",
        );
        assert_eq!(d.id_like, ["rhel", "fedora"]);
        check(
            "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n",
            "rocky",
            Some("9.3"),
            "rocky-9.3",
        );
        check(
            "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"AlmaLinux 9.3 (Shamrock Pampas Cat)\"\n",
            "almalinux",
            Some("9.3"),
            "almalinux-9.3",
        );
        check(
            "NAME=\"Fedora Linux\"\nVERSION=\"39 (Container Image)\"\nID=fedora\nVERSION_ID=39\nVERSION_CODENAME=\"\"\nPLATFORM_ID=\"platform:f39\"\nPRETTY_NAME=\"Fedora Linux 39 (Container Image)\"\nVARIANT=\"Container Image\"\nVARIANT_ID=container\n",
            "fedora",
            Some("39"),
            "fedora-39",
        );
        check(
            "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\nPRETTY_NAME=\"Amazon Linux 2023.3.20240131\"\n",
            "amzn",
            Some("2023"),
            "amzn-2023",
        );
    }

    #[test]
    fn suse_and_mariner() {
        check(
            "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\nANSI_COLOR=\"0;32\"\nCPE_NAME=\"cpe:/o:suse:sles:15:sp5\"\nDOCUMENTATION_URL=\"https://documentation.suse.com/\"\n",
            "sles",
            Some("15.5"),
            "sles-15.5",
        );
        let d = check(
            "NAME=\"openSUSE Leap\"\nVERSION=\"15.5\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap 15.5\"\nANSI_COLOR=\"0;32\"\nCPE_NAME=\"cpe:/o:opensuse:leap:15.5\"\n",
            "opensuse-leap",
            Some("15.5"),
            "opensuse-leap-15.5",
        );
        assert_eq!(d.id_like, ["suse", "opensuse"]);
        check(
            "NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20240123\"\nID=mariner\nVERSION_ID=\"2.0\"\nPRETTY_NAME=\"CBL-Mariner/Linux\"\nANSI_COLOR=\"1;34\"\nHOME_URL=\"https://aka.ms/cbl-mariner\"\n",
            "mariner",
            Some("2.0"),
            "mariner-2.0",
        );
        check(
            "NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20240727\"\nID=azurelinux\nVERSION_ID=\"3.0\"\nPRETTY_NAME=\"Microsoft Azure Linux 3.0\"\nANSI_COLOR=\"1;34\"\nHOME_URL=\"https://aka.ms/azurelinux\"\n",
            "azurelinux",
            Some("3.0"),
            "azurelinux-3.0",
        );
    }

    #[test]
    fn quoting_comments_and_garbage() {
        let d = os(
            "# comment\nID='my-os'\nPRETTY_NAME=\"say \\\"hi\\\"\"\nVERSION_ID=1 \n bogus line\n=x\n",
        );
        assert_eq!(d.id, "my-os");
        assert_eq!(d.pretty_name.as_deref(), Some("say \"hi\""));
        assert_eq!(d.version_id.as_deref(), Some("1"));
        assert_eq!(d.purl_qualifier(), "my-os-1");
        assert!(
            parse("/etc/os-release", b"NAME=Nothing\n").is_none(),
            "no ID, no distro"
        );
        assert!(parse("/etc/os-release", b"ID=\"\"\n").is_none());
        assert!(parse("/etc/os-release", b"\xff\xfe\x00garbage").is_none());
        assert!(parse("/etc/passwd", b"ID=debian").is_none());
    }

    #[test]
    fn fallback_files() {
        let d = parse("/etc/alpine-release", b"3.10.4\n").unwrap();
        assert_eq!(d.purl_qualifier(), "alpine-3.10.4");
        assert!(parse("/etc/alpine-release", b"\n").is_none());
        let d = parse(
            "/etc/redhat-release",
            b"CentOS Linux release 7.9.2009 (Core)\n",
        )
        .unwrap();
        assert_eq!(d.purl_qualifier(), "centos-7");
        let d = parse(
            "/etc/redhat-release",
            b"Red Hat Enterprise Linux release 8.9 (Ootpa)\n",
        )
        .unwrap();
        assert_eq!(d.purl_qualifier(), "rhel-8.9");
        let d = parse(
            "/etc/redhat-release",
            b"Rocky Linux release 9.3 (Blue Onyx)\n",
        )
        .unwrap();
        assert_eq!(d.purl_qualifier(), "rocky-9.3");
        let d = parse("/etc/system-release", b"Amazon Linux release 2 (Karoo)\n").unwrap();
        assert_eq!(d.purl_qualifier(), "amzn-2");
        let d = parse("/etc/system-release", b"Amazon Linux AMI release 2018.03\n").unwrap();
        assert_eq!(d.purl_qualifier(), "amzn-2018.03");
        assert!(parse("/etc/redhat-release", b"Something else\n").is_none());
        let d = parse("/etc/debian_version", b"12.4\n").unwrap();
        assert_eq!(d.purl_qualifier(), "debian-12");
        let d = parse("/etc/debian_version", b"bookworm/sid\n").unwrap();
        assert_eq!(d.purl_qualifier(), "debian");
        let d = parse(
            "/etc/lsb-release",
            b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.4 LTS\"\n",
        )
        .unwrap();
        assert_eq!(d.purl_qualifier(), "ubuntu-22.04");
        assert_eq!(d.version_codename.as_deref(), Some("jammy"));
    }

    #[test]
    fn os_release_wins_over_fallbacks() {
        assert!(priority("/etc/os-release") < priority("/usr/lib/os-release"));
        assert!(priority("/usr/lib/os-release") < priority("/etc/lsb-release"));
        assert!(priority("/etc/lsb-release") < priority("/etc/debian_version"));
        assert_eq!(priority("/etc/hostname"), None);
        for p in [
            "/etc/os-release",
            "/usr/lib/os-release",
            "/etc/alpine-release",
            "/etc/debian_version",
        ] {
            assert!(is_release_file(p), "{p}");
        }
        // An Ubuntu image: debian_version says bookworm/sid, lsb-release and os-release say ubuntu.
        let os_release: &[u8] = b"ID=ubuntu\nVERSION_ID=\"24.04\"\n";
        let files: Vec<(&str, &[u8])> = vec![
            ("/etc/debian_version", b"trixie/sid\n"),
            (
                "/etc/lsb-release",
                b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\n",
            ),
            ("/usr/lib/os-release", os_release),
        ];
        assert_eq!(
            detect(files.clone()).unwrap().purl_qualifier(),
            "ubuntu-24.04"
        );
        assert_eq!(
            detect(files[..1].to_vec()).unwrap().purl_qualifier(),
            "debian"
        );
        // An unparsable os-release does not hide a usable fallback.
        let files: Vec<(&str, &[u8])> = vec![
            ("/etc/os-release", b"junk"),
            ("/etc/alpine-release", b"3.19.1\n"),
        ];
        assert_eq!(detect(files).unwrap().purl_qualifier(), "alpine-3.19.1");
    }
}
