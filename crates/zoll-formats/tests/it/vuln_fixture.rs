//! A hand-built vulnerability report that exercises what the report formats must get right: a
//! Python service on Debian 12 with four packages in two layers (a classic-builder base layer and a
//! BuildKit `RUN` with build arguments), findings of every severity, one without a fix, one with
//! CVSS v3.1 and v4.0 ratings, ecosystem ratings (Debian, GHSA), one finding suppressed by VEX, one
//! by the ignore file, filtered findings and a warning. The matcher's order is deliberately not the
//! output order.

use time::macros::datetime;
use zoll_core::{
    AffectedPackage, Cvss, DbInfo, Digest, Distro, Finding, LayerInfo, Package, PackageType,
    Platform, Purl, Sbom, Severity, SeveritySource, Suppression, Target, VulnReport,
};
use zoll_formats::RenderOptions;

pub(crate) fn options() -> RenderOptions {
    RenderOptions::new("0.1.0", datetime!(2024-05-06 07:08:09.123 UTC))
}

fn deb(name: &str, version: &str, source: &str, layer: &Digest) -> Package {
    let purl = Purl::new("deb", Some("debian"), name, Some(version))
        .unwrap()
        .with_qualifier("arch", "amd64")
        .with_qualifier("distro", "debian-12")
        .with_qualifier("upstream", source);
    Package {
        name: name.into(),
        version: version.into(),
        kind: PackageType::Deb,
        purl,
        licenses: vec![],
        source: Some(zoll_core::SourceInfo {
            name: source.into(),
            version: None,
        }),
        arch: Some("amd64".into()),
        locations: vec!["/var/lib/dpkg/status".into()],
        layer: Some(layer.clone()),
        found_by: "dpkg".into(),
    }
}

fn python(name: &str, version: &str, layer: &Digest) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        kind: PackageType::Python,
        purl: Purl::new("pypi", None, name, Some(version)).unwrap(),
        licenses: vec!["Apache-2.0".into()],
        source: None,
        arch: None,
        locations: vec![format!(
            "/usr/local/lib/python3.12/site-packages/{name}-{version}.dist-info/METADATA"
        )],
        layer: Some(layer.clone()),
        found_by: "python-installed".into(),
    }
}

fn affected(p: &Package, ecosystem: &str) -> AffectedPackage {
    AffectedPackage {
        name: p.name.clone(),
        version: p.version.clone(),
        kind: p.kind,
        purl: p.purl.clone(),
        ecosystem: ecosystem.into(),
        matched_name: p
            .source
            .as_ref()
            .map(|s| s.name.clone())
            .filter(|n| *n != p.name),
        matched_version: None,
        locations: p.locations.clone(),
        layer: p.layer.clone(),
    }
}

fn cvss(version: &str, vector: &str, score: f64) -> Cvss {
    Cvss {
        version: version.into(),
        vector: vector.into(),
        score,
        severity: Severity::from_cvss_score(score),
    }
}

/// A finding with the fields every finding has; the callers fill in the rest.
fn finding(id: &str, p: &AffectedPackage, severity: Severity, source: SeveritySource) -> Finding {
    Finding {
        id: id.into(),
        advisories: vec![],
        aliases: vec![],
        package: p.clone(),
        severity,
        severity_source: source,
        cvss: vec![],
        fixed_versions: vec![],
        summary: None,
        details: None,
        references: vec![],
        published: None,
        modified: None,
        suppressed: None,
    }
}

pub(crate) fn sbom() -> Sbom {
    let base = Digest::sha256(b"debian base layer");
    let deps = Digest::sha256(b"pip install layer");
    let target = Target {
        input: "docker.io/acme/shop:1.4.2".into(),
        kind: "registry".into(),
        manifest_digest: Some(Digest::sha256(b"manifest")),
        config_digest: Some(Digest::sha256(b"config")),
        platform: Some(Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }),
        layers: vec![
            LayerInfo {
                diff_id: base.clone(),
                digest: Some(Digest::sha256(b"debian base layer.gz")),
                size: Some(29_124_567),
                created_by: Some(
                    "/bin/sh -c #(nop) ADD file:5d673d25da3a14ce1f6cf66e4c7fd4f4b85a3759a9d93efb3fd9ff852b5b56e4 in / "
                        .into(),
                ),
            },
            LayerInfo {
                diff_id: deps.clone(),
                digest: Some(Digest::sha256(b"pip install layer.gz")),
                size: Some(1_234_567),
                created_by: Some(
                    "RUN |1 PIP_INDEX_URL=https://pypi.org/simple /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit"
                        .into(),
                ),
            },
        ],
        tags: vec!["acme/shop:1.4.2".into()],
    };
    Sbom {
        target,
        distro: Some(Distro {
            id: "debian".into(),
            version_id: Some("12".into()),
            version_codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            id_like: vec![],
            distroless: false,
        }),
        packages: vec![
            python("urllib3", "1.24.1", &deps),
            deb("openssl", "3.0.11-1~deb12u2", "openssl", &base),
            python("requests", "2.19.1", &deps),
            deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", &base),
        ],
        diagnostics: vec![],
    }
}

pub(crate) fn report() -> VulnReport {
    let sbom = sbom();
    let pkg = |name: &str| {
        sbom.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .clone()
    };
    let openssl = affected(&pkg("openssl"), "Debian:12");
    let requests = affected(&pkg("requests"), "PyPI");
    let urllib3 = affected(&pkg("urllib3"), "PyPI");

    let mut f = vec![];

    // requests: high, CVSS v3.0, two advisories merged under the CVE.
    let mut x = finding(
        "CVE-2018-18074",
        &requests,
        Severity::High,
        SeveritySource::Cvss("3.0".into()),
    );
    x.advisories = vec!["GHSA-x84v-xcm2-53pg".into(), "PYSEC-2018-28".into()];
    x.cvss = vec![cvss(
        "3.0",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        7.5,
    )];
    x.fixed_versions = vec!["2.20.0".into()];
    x.summary = Some("Insecure Credential Handling in Requests".into());
    x.details = Some(
        "The Requests package through 2.19.1 before 2018-09-14 for Python sends an HTTP \
         Authorization header to an http URI upon receiving a same-hostname https-to-http \
         redirect, which makes it easier for remote attackers to discover credentials by \
         sniffing the network."
            .into(),
    );
    x.references = vec![
        "https://nvd.nist.gov/vuln/detail/CVE-2018-18074".into(),
        "https://github.com/psf/requests/pull/4718".into(),
    ];
    x.published = Some("2018-10-09T00:29:00Z".into());
    x.modified = Some("2024-09-25T13:47:30.123456Z".into());
    f.push(x);

    // requests: medium, CVSS v3.1 and v4.0; the severity comes from v4.0.
    let mut x = finding(
        "CVE-2023-32681",
        &requests,
        Severity::Medium,
        SeveritySource::Cvss("4.0".into()),
    );
    x.advisories = vec!["GHSA-j8r2-6x86-q33q".into(), "PYSEC-2023-74".into()];
    x.cvss = vec![
        cvss("3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1),
        cvss(
            "4.0",
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
            6.3,
        ),
    ];
    x.fixed_versions = vec!["2.31.0".into()];
    x.summary = Some("Unintended leak of Proxy-Authorization header in requests".into());
    x.details = Some(
        "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking \
         Proxy-Authorization headers to destination servers when redirected to an HTTPS \
         endpoint. This is a product of how we use `rebuild_proxies` to reattach the \
         `Proxy-Authorization` header to requests. For HTTP connections sent through the \
         tunnel, the proxy will identify the header in the request itself and remove it prior \
         to forwarding to the destination server. However when sent over HTTPS, the \
         `Proxy-Authorization` header must be sent in the CONNECT request as the proxy has no \
         visibility into the tunneled request. This results in Requests forwarding proxy \
         credentials to the destination server unintentionally, allowing a malicious actor to \
         potentially exfiltrate sensitive information. This issue has been patched in version \
         2.31.0."
            .into(),
    );
    x.references =
        vec!["https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q".into()];
    x.published = Some("2023-05-26T18:15:14Z".into());
    f.push(x);

    // urllib3: a GHSA-only finding rated by GitHub ("moderate"), two fixed versions.
    let mut x = finding(
        "GHSA-g4mx-q9vg-27p4",
        &urllib3,
        Severity::Medium,
        SeveritySource::Ecosystem("ghsa".into()),
    );
    x.advisories = vec!["GHSA-g4mx-q9vg-27p4".into()];
    x.aliases = vec!["PYSEC-2023-212".into()];
    x.fixed_versions = vec!["1.26.18".into(), "2.0.7".into()];
    x.summary = Some("urllib3's request body not stripped after redirect from 303 status changes request method to GET".into());
    x.references =
        vec!["https://github.com/urllib3/urllib3/security/advisories/GHSA-g4mx-q9vg-27p4".into()];
    x.published = Some("2023-10-17T20:15:10Z".into());
    f.push(x);

    // urllib3: high, CVSS v3.1.
    let mut x = finding(
        "CVE-2019-11324",
        &urllib3,
        Severity::High,
        SeveritySource::Cvss("3.1".into()),
    );
    x.advisories = vec!["GHSA-mh33-7rrq-662w".into(), "PYSEC-2019-133".into()];
    x.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        7.5,
    )];
    x.fixed_versions = vec!["1.24.2".into()];
    x.summary = Some("urllib3 mishandles certain cases where the desired set of CA certificates is different from the OS store of CA certificates".into());
    x.references = vec!["https://nvd.nist.gov/vuln/detail/CVE-2019-11324".into()];
    f.push(x);

    // openssl: critical, CVSS v3.1 only.
    let mut x = finding(
        "CVE-2024-5535",
        &openssl,
        Severity::Critical,
        SeveritySource::Cvss("3.1".into()),
    );
    x.advisories = vec!["DEBIAN-CVE-2024-5535".into()];
    x.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H",
        9.1,
    )];
    x.fixed_versions = vec!["3.0.14-1~deb12u1".into()];
    x.summary = Some("SSL_select_next_proto buffer overread".into());
    x.references = vec!["https://security-tracker.debian.org/tracker/CVE-2024-5535".into()];
    x.published = Some("2024-06-27T11:15:24Z".into());
    f.push(x);

    // openssl: low by Debian's urgency, fixed.
    let mut x = finding(
        "CVE-2024-2511",
        &openssl,
        Severity::Low,
        SeveritySource::Ecosystem("debian".into()),
    );
    x.advisories = vec!["DEBIAN-CVE-2024-2511".into()];
    x.fixed_versions = vec!["3.0.14-1~deb12u1".into()];
    x.summary = Some("Unbounded memory growth with session handling in TLSv1.3".into());
    f.push(x);

    // openssl: Debian says "unimportant" and will not fix it.
    let mut x = finding(
        "CVE-2010-0928",
        &openssl,
        Severity::None,
        SeveritySource::Ecosystem("debian".into()),
    );
    x.advisories = vec!["DEBIAN-CVE-2010-0928".into()];
    x.summary = Some(
        "OpenSSL 0.9.8i on the Gaisler Research LEON3 SoC on the Xilinx Virtex-II Pro FPGA uses \
         a Fixed Width Exponentiation (FWE) algorithm for certain signature calculations"
            .into(),
    );
    f.push(x);

    // openssl: nothing rated it yet, no fix.
    let mut x = finding(
        "CVE-2024-9143",
        &openssl,
        Severity::Unknown,
        SeveritySource::None,
    );
    x.advisories = vec!["DEBIAN-CVE-2024-9143".into()];
    x.details = Some(
        "Issue summary: Use of the low-level GF(2^m) elliptic curve APIs with untrusted\n\
         explicit values for the field polynomial can lead to out-of-bounds memory reads\n\
         or writes."
            .into(),
    );
    f.push(x);

    // Suppressed by VEX.
    let mut vex = finding(
        "CVE-2024-35195",
        &requests,
        Severity::Medium,
        SeveritySource::Cvss("3.1".into()),
    );
    vex.advisories = vec!["GHSA-9wx4-h78v-vm56".into()];
    vex.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N",
        5.6,
    )];
    vex.fixed_versions = vec!["2.32.0".into()];
    vex.summary = Some(
        "Requests `Session` object does not verify requests after making first request with verify=False"
            .into(),
    );
    vex.suppressed = Some(Suppression::Vex {
        document: "vex/shop.openvex.json".into(),
        status: "not_affected".into(),
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        statement: Some("shop never sets verify=False on a Session".into()),
    });

    // Suppressed by the ignore file.
    let mut ignored = finding(
        "CVE-2023-43804",
        &urllib3,
        Severity::High,
        SeveritySource::Cvss("3.1".into()),
    );
    ignored.advisories = vec!["GHSA-v845-jxx5-vc9f".into(), "PYSEC-2023-192".into()];
    ignored.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N",
        8.1,
    )];
    ignored.fixed_versions = vec!["1.26.17".into()];
    ignored.summary = Some("Cookie HTTP header isn't stripped on cross-origin redirects".into());
    ignored.suppressed = Some(Suppression::IgnoreFile {
        file: ".zollignore".into(),
        id: "CVE-2023-43804".into(),
        reason: "the service never sets cookies on outgoing requests".into(),
        expires: Some("2025-01-01".into()),
    });

    // The matcher's order is not the output order.
    f.reverse();
    VulnReport {
        sbom,
        db: DbInfo {
            schema: 1,
            built_at: "2024-04-27T02:00:00Z".into(),
            advisories: 312_457,
            sources: vec!["osv-pypi".into(), "debian".into()],
        },
        findings: f,
        suppressed: vec![ignored, vex],
        filtered: 3,
        warnings: vec![
            "the advisory database is 9 days old (built 2024-04-27T02:00:00Z); run `zoll db update`"
                .into(),
        ],
        scanners: vec![zoll_core::Scanner::Vuln],
        checks: vec![],
        workloads: vec![],
    }
}

/// A directory with no distro and no packages, scanned against an empty database.
pub(crate) fn empty() -> VulnReport {
    VulnReport {
        sbom: crate::fixture::empty_dir(),
        db: DbInfo::default(),
        findings: vec![],
        suppressed: vec![],
        filtered: 0,
        warnings: vec![],
        scanners: vec![zoll_core::Scanner::Vuln],
        checks: vec![],
        workloads: vec![],
    }
}

/// The fixture report plus one finding of each check scanner and a Kubernetes workload level.
pub(crate) fn with_checks() -> VulnReport {
    use zoll_core::{CheckFinding, Location, PssLevel, Scanner, WorkloadLevel};
    let mut r = report();
    let layer = r.sbom.target.layers.first().map(|l| l.diff_id.clone());
    r.scanners = vec![
        Scanner::Vuln,
        Scanner::Secret,
        Scanner::Malware,
        Scanner::Config,
    ];
    r.checks = vec![
        CheckFinding {
            scanner: Scanner::Config,
            rule: "CIS-DI-0001".into(),
            title: "image runs as root".into(),
            severity: Severity::Medium,
            location: Location::path("config:User"),
            evidence: Some("no USER: the container runs as root".into()),
            remediation: Some("add a non-root USER to the Dockerfile".into()),
            aliases: vec!["CIS-4.1".into()],
            references: vec![
                "https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#cis-di-0001"
                    .into(),
            ],
        },
        CheckFinding {
            scanner: Scanner::Secret,
            rule: "github-pat".into(),
            title: "GitHub personal access token".into(),
            severity: Severity::High,
            location: Location {
                path: "/app/.env".into(),
                layer: layer.clone(),
                line: Some(3),
                end_line: Some(3),
                object: None,
            },
            evidence: Some("GITHUB_TOKEN=ghp_*****".into()),
            remediation: None,
            aliases: vec![],
            references: vec![],
        },
        CheckFinding {
            scanner: Scanner::Malware,
            rule: "clamav".into(),
            title: "ClamAV: Eicar-Test-Signature".into(),
            severity: Severity::Critical,
            location: Location {
                path: "/tmp/eicar <&>.com".into(),
                layer,
                ..Location::default()
            },
            evidence: Some("Eicar-Test-Signature".into()),
            remediation: None,
            aliases: vec![],
            references: vec![],
        },
        CheckFinding {
            scanner: Scanner::Config,
            rule: "pss-baseline-privileged".into(),
            title: "Privileged Containers".into(),
            severity: Severity::High,
            location: Location {
                path: "deploy.yaml".into(),
                line: Some(21),
                object: Some("Deployment/default/web container app".into()),
                ..Location::default()
            },
            evidence: Some(
                "spec.template.spec.containers[0].securityContext.privileged: true".into(),
            ),
            remediation: None,
            aliases: vec!["CKV_K8S_16".into()],
            references: vec![],
        },
    ];
    r.workloads = vec![WorkloadLevel {
        path: "deploy.yaml".into(),
        object: "Deployment/default/web".into(),
        level: PssLevel::Privileged,
    }];
    r
}
