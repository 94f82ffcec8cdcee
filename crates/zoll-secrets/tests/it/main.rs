#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end tests over tests/corpus: a realistic tree with planted secrets and look-alikes,
//! compared with expected.toml and with detect-secrets on the same tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use zoll_core::CheckFinding;
use zoll_secrets::{Detector, SecretConfig};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    secret: Vec<Planted>,
    lookalike: Vec<Lookalike>,
    env: Vec<ConfigSecret>,
    history: Vec<ConfigSecret>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Planted {
    path: String,
    line: u32,
    rule: String,
    text: String,
    #[serde(default)]
    deleted: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lookalike {
    path: String,
    line: u32,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSecret {
    #[serde(alias = "created_by")]
    value: String,
    rule: String,
    text: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn expected() -> Expected {
    toml::from_str(&std::fs::read_to_string(corpus().join("expected.toml")).unwrap()).unwrap()
}

/// Every regular file of the tree as (image path, bytes), in path order.
fn tree_files() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
                out.push((format!("/{rel}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    let root = corpus().join("tree");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// Scan the tree as the layer visitor does: ask `wants`, then read and scan.
fn scan_tree(d: &Detector) -> Vec<CheckFinding> {
    tree_files()
        .into_iter()
        .filter(|(p, b)| d.wants(p, b.len() as u64))
        .flat_map(|(p, b)| d.scan_file(&p, &b))
        .collect()
}

fn keys(findings: &[CheckFinding]) -> BTreeSet<(String, u32, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.line.unwrap(),
                f.rule.clone(),
            )
        })
        .collect()
}

/// No 8-byte window of any secret appears in any serialized finding.
fn assert_redacted(findings: &[CheckFinding], texts: &[&str]) {
    let json = serde_json::to_string(findings).unwrap();
    for t in texts {
        assert!(t.len() >= 8, "secret text too short to check: {t:?}");
        for w in t.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !json.contains(w),
                "{w:?} of secret {t:?} is in a finding: {json}"
            );
        }
    }
}

#[test]
fn every_planted_secret_is_found_and_no_lookalike_is_reported() {
    let exp = expected();
    assert!(exp.secret.len() >= 13 && exp.lookalike.len() >= 15);
    assert_eq!(exp.secret.iter().filter(|s| s.deleted).count(), 1);
    let deleted = exp.secret.iter().find(|s| s.deleted).unwrap();
    assert_eq!(
        exp.secret.iter().filter(|s| s.path == deleted.path).count(),
        1,
        "the deleted file holds one secret"
    );

    let d = Detector::builtin();
    let findings = scan_tree(&d);
    let got = keys(&findings);
    let want: BTreeSet<(String, u32, String)> = exp
        .secret
        .iter()
        .map(|s| (s.path.clone(), s.line, s.rule.clone()))
        .collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
    assert_eq!(findings.len(), want.len(), "one finding per planted secret");

    // Look-alikes: real lines of the tree, none reported.
    let files: BTreeMap<String, Vec<u8>> = tree_files().into_iter().collect();
    for l in &exp.lookalike {
        let text = String::from_utf8_lossy(&files[&l.path]).into_owned();
        let line = text.lines().nth(l.line as usize - 1).unwrap_or_default();
        assert!(
            !line.trim().is_empty(),
            "look-alike {}:{} ({}) is not a line of the file",
            l.path,
            l.line,
            l.why
        );
        assert!(
            !got.iter().any(|(p, n, _)| *p == l.path && *n == l.line),
            "look-alike reported: {}:{} ({})",
            l.path,
            l.line,
            l.why
        );
    }

    // Findings are well-formed: secret scanner, evidence, severity by kind.
    for f in &findings {
        assert_eq!(f.scanner, zoll_core::Scanner::Secret);
        assert!(
            f.evidence.as_deref().is_some_and(|e| e.contains("*****")
                || e.starts_with("-----BEGIN")
                || e.starts_with("PuTTY")),
            "{f:?}"
        );
        let min = if matches!(f.rule.as_str(), "jwt" | "high-entropy-secret") {
            zoll_core::Severity::Medium
        } else {
            zoll_core::Severity::High
        };
        assert!(f.severity >= min, "{f:?}");
    }

    // The image config strings.
    let mut config_findings = Vec::new();
    for (i, e) in exp.env.iter().enumerate() {
        let f = d.scan_text("config:Env", &e.value);
        assert_eq!(
            f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            [e.rule.as_str()],
            "env {i}: {}",
            e.value
        );
        assert_eq!(
            (f[0].location.path.as_str(), f[0].location.line),
            ("config:Env", Some(1))
        );
        config_findings.extend(f);
    }
    for (i, h) in exp.history.iter().enumerate() {
        let origin = format!("config:history[{i}]");
        let f = d.scan_text(&origin, &h.value);
        assert_eq!(
            f.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
            [h.rule.as_str()],
            "history {i}: {}",
            h.value
        );
        assert_eq!(f[0].location.path, origin);
        config_findings.extend(f);
    }

    let mut texts: Vec<&str> = exp.secret.iter().map(|s| s.text.as_str()).collect();
    texts.extend(exp.env.iter().chain(&exp.history).map(|e| e.text.as_str()));
    let mut all = findings;
    all.extend(config_findings);
    assert_redacted(&all, &texts);
}

/// Where zoll and detect-secrets 1.5.0 disagree on this corpus, and why. `true`: only zoll
/// reports the line; `false`: only detect-secrets does.
const DIFFERENCES: &[(&str, u32, bool, &str)] = &[
    // Planted secrets only zoll finds.
    (
        "/app/.env",
        8,
        true,
        "unquoted DB_PASSWORD=…: detect-secrets' keyword plugin wants quotes in files it does not parse as config",
    ),
    (
        "/app/.npmrc",
        4,
        true,
        "_authToken of a private registry: detect-secrets' npm plugin knows only npm_… and UUID tokens",
    ),
    (
        "/home/dev/keys/deploy.ppk",
        1,
        true,
        "PuTTY key format 3 (PuTTY >= 0.75): detect-secrets knows only PuTTY-User-Key-File-2",
    ),
    (
        "/opt/signer/key.enc.pem",
        1,
        true,
        "PKCS#8 `BEGIN ENCRYPTED PRIVATE KEY`: not among detect-secrets' PEM headers",
    ),
    (
        "/root/.netrc",
        3,
        true,
        "netrc `password …` (no = or :): detect-secrets has no netrc rule",
    ),
    // Look-alikes only detect-secrets reports.
    (
        "/app/config/app.properties",
        5,
        false,
        "mail.smtp.password=changeme: a placeholder",
    ),
    (
        "/app/config/app.yaml",
        3,
        false,
        "token_sha256: a sha256 under a key naming a hash; detect-secrets flags any high-entropy hex",
    ),
    (
        "/app/config/settings.py",
        17,
        false,
        "jwt.io's public example token",
    ),
    (
        "/app/deploy/azurite.env",
        2,
        false,
        "Azurite's published emulator account key",
    ),
    (
        "/app/docs/aws-example.ini",
        3,
        false,
        "AWS documentation example key id AKIAIOSFODNN7EXAMPLE",
    ),
    (
        "/app/docs/aws-example.ini",
        4,
        false,
        "AWS documentation example secret key …EXAMPLEKEY",
    ),
    (
        "/app/docs/payments.md",
        7,
        false,
        "ghp_xxxx…: a masked placeholder token",
    ),
    (
        "/app/docs/payments.md",
        8,
        false,
        "postgres://user:password@…: placeholder password in an example URL",
    ),
    (
        "/etc/nsswitch.conf",
        2,
        false,
        "`passwd: files` names the passwd database",
    ),
    (
        "/opt/tools/config.yaml",
        5,
        false,
        "build_revision: a git commit id; detect-secrets flags any high-entropy hex",
    ),
    (
        "/usr/lib/python3/dist-packages/paramiko/tests/test_rsa.key",
        1,
        false,
        "a test fixture of an installed package (dist-packages/*/tests/), never read by zoll",
    ),
    (
        "/usr/lib/python3/dist-packages/pemlib/parse.py",
        2,
        false,
        "a BEGIN line in code with no key after it",
    ),
];

#[test]
fn detect_secrets_on_the_same_tree() {
    let venv = std::env::var("ZOLL_TOOLS_VENV").unwrap_or_else(|_| "/opt/zoll-venv".to_owned());
    let tool = Path::new(&venv).join("bin/detect-secrets");
    let version = Command::new(&tool).arg("--version").output();
    let version = match version {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        _ => panic!(
            "{} is missing: install it with `{venv}/bin/pip install detect-secrets==1.5.0` (see .ci/run)",
            tool.display()
        ),
    };
    assert_eq!(
        version, "1.5.0",
        "the difference table is written against detect-secrets 1.5.0"
    );

    // A copy, so detect-secrets sees no git repository and no baseline around the tree.
    let tmp = tempfile::tempdir().unwrap();
    for (path, bytes) in tree_files() {
        let dst = tmp.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::write(dst, bytes).unwrap();
    }
    let out = Command::new(&tool)
        .args(["scan", "--all-files"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "detect-secrets failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut theirs = BTreeSet::new();
    for (path, results) in report["results"].as_object().unwrap() {
        for r in results.as_array().unwrap() {
            theirs.insert((
                format!("/{path}"),
                r["line_number"].as_u64().unwrap() as u32,
            ));
        }
    }
    let ours: BTreeSet<(String, u32)> = scan_tree(&Detector::builtin())
        .iter()
        .map(|f| (f.location.path.clone(), f.location.line.unwrap()))
        .collect();

    let mut diff: BTreeSet<(String, u32, bool)> = BTreeSet::new();
    diff.extend(ours.difference(&theirs).map(|(p, l)| (p.clone(), *l, true)));
    diff.extend(
        theirs
            .difference(&ours)
            .map(|(p, l)| (p.clone(), *l, false)),
    );
    let table: BTreeSet<(String, u32, bool)> = DIFFERENCES
        .iter()
        .map(|(p, l, z, _)| ((*p).to_owned(), *l, *z))
        .collect();
    assert_eq!(
        DIFFERENCES.len(),
        table.len(),
        "duplicate rows in DIFFERENCES"
    );
    let unexplained: Vec<_> = diff.difference(&table).collect();
    let stale: Vec<_> = table.difference(&diff).collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "differences without an explanation (path, line, only zoll?): {unexplained:#?}\nexplained but no longer different: {stale:#?}"
    );
    // Both found most of the planted secrets: the agreement is the larger part.
    assert!(ours.intersection(&theirs).count() >= 15);
}

#[test]
fn user_config_changes_the_results() {
    let exp = expected();
    let cfg: SecretConfig = r#"
        disable = ["jwt"]

        [[rules]]
        id = "gcp-private-key-id"
        title = "Google service account key id"
        severity = "low"
        keywords = ["private_key_id"]
        regex = '"private_key_id"\s*:\s*"(?P<secret>[0-9a-f]{40})"'
        min_entropy = 3.0

        [allow]
        paths = ['^home/dev/']

        [[allow.rules]]
        rule = "password-assignment"
        paths = ['^app/config/database\.yml$']
        values = ['^[A-Za-z]']
    "#
    .parse()
    .unwrap();
    let d = Detector::new(&cfg).unwrap();
    assert_ne!(d.fingerprint(), Detector::builtin().fingerprint());
    let findings = scan_tree(&d);
    let got = keys(&findings);

    let sa_key_id_line = std::fs::read_to_string(corpus().join("tree/srv/gcp/sa.json"))
        .unwrap()
        .lines()
        .position(|l| l.contains("\"private_key_id\""))
        .unwrap() as u32
        + 1;
    let mut want: BTreeSet<(String, u32, String)> = exp
        .secret
        .iter()
        .filter(|s| !s.path.starts_with("/home/dev/"))
        .filter(|s| s.rule != "jwt")
        .filter(|s| s.rule != "password-assignment") // every planted password starts with a letter
        .map(|s| (s.path.clone(), s.line, s.rule.clone()))
        .collect();
    want.insert((
        "/srv/gcp/sa.json".to_owned(),
        sa_key_id_line,
        "gcp-private-key-id".to_owned(),
    ));
    assert_eq!(got, want);
    let custom = findings
        .iter()
        .find(|f| f.rule == "gcp-private-key-id")
        .unwrap();
    assert_eq!(custom.severity, zoll_core::Severity::Low);
    assert_eq!(custom.title, "Google service account key id");
    // Without the config, the key id is not reported: the custom rule made the difference.
    assert!(
        !keys(&scan_tree(&Detector::builtin()))
            .iter()
            .any(|(_, _, r)| r == "gcp-private-key-id")
    );
}

#[test]
fn a_malformed_config_names_the_key() {
    let e = SecretConfig::parse(
        "[[rules]]\nid = 'x'\nkeywords = ['x']\nregex = 'x'\nminimum_entropy = 3.0\n",
        "secrets.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("secrets.toml") && e.contains("unknown field `minimum_entropy`"),
        "{e}"
    );
    let e = SecretConfig::parse("disabled = ['jwt']\n", "secrets.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `disabled`"), "{e}");
    let e = SecretConfig::parse("[[rules]]\nid = 'x'\nregex = 'x'\n", "secrets.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `keywords`"), "{e}");
    let e = SecretConfig::parse(
        "[[rules]]\nid='x'\nkeywords=['x']\nregex='x'\nseverity='urgent'\n",
        "s.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("urgent"), "{e}");
}
