//! Unit tests of the engine: the prefilter, each built-in rule, overlaps, redaction, limits.

use crate::detector::counter;
use crate::rules::BUILTIN;
use crate::{Detector, SecretConfig};

/// A deterministic pseudo-random alphanumeric string (no literal secrets in the source).
fn rand_alnum(seed: u64, len: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            A[(x % A.len() as u64) as usize] as char
        })
        .collect()
}

fn rules_of(findings: &[zoll_core::CheckFinding]) -> Vec<(u32, &str)> {
    findings
        .iter()
        .map(|f| (f.location.line.unwrap_or(0), f.rule.as_str()))
        .collect()
}

#[test]
fn the_detector_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Detector>();
}

#[test]
fn findings_per_input_are_bounded() {
    let d = Detector::builtin();
    let text: String = (0..3000u64)
        .map(|i| format!("t=ghp_{}\n", rand_alnum(i + 1000, 36)))
        .collect();
    let f = d.scan_file("/gen.txt", text.as_bytes());
    assert_eq!(f.len(), 1000);
    assert_eq!(f[999].location.line, Some(1000));
}

#[test]
fn builtin_rules_compile_and_have_unique_ids() {
    let d = Detector::new(&SecretConfig::default()).unwrap();
    let ids: Vec<&str> = d.rule_ids().collect();
    assert_eq!(ids.len(), BUILTIN.len());
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate rule ids");
    assert!(
        d.fingerprint().starts_with("sha256:"),
        "{}",
        d.fingerprint()
    );
    assert_eq!(Detector::builtin().fingerprint(), d.fingerprint());
    for b in BUILTIN {
        assert!(!b.keywords.is_empty(), "{} has no keywords", b.id);
    }
}

#[test]
fn a_rule_without_its_keyword_never_runs() {
    let d = Detector::builtin();
    counter::take();
    // A megabyte of ordinary text with no keyword: no regex at all.
    let text = "The quick brown fox jumps over the lazy dog; nothing to see here.\n".repeat(16_000);
    assert!(
        d.scan_file("/usr/share/misc/fox.txt", text.as_bytes())
            .is_empty()
    );
    assert_eq!(counter::take(), Vec::<String>::new());

    // A GitHub token: only the rule owning `ghp_` runs, on that one line.
    let token = format!("ghp_{}", rand_alnum(1, 36));
    let input = format!("{text}GH={token}\n{text}");
    let f = d.scan_file("/app/env", input.as_bytes());
    assert_eq!(rules_of(&f), [(16_001, "github-pat")]);
    assert_eq!(counter::take(), ["github-pat"]);

    // Two keywords of two rules on two lines: each of them runs once, nothing else.
    let input = format!("a AKIA{} b\nx\nc {token}\n", "Q".repeat(3));
    d.scan_file("/x", input.as_bytes());
    assert_eq!(counter::take(), ["aws-access-key-id", "github-pat"]);

    // A keyword repeated on one line runs its rule once for that line.
    d.scan_file("/x", b"token token token token\n");
    assert_eq!(counter::take(), ["high-entropy-secret"]);
}

#[test]
fn every_builtin_rule_finds_its_secret() {
    let d = Detector::builtin();
    let b64 = |n: usize, seed: u64| rand_alnum(seed, n);
    let jwt_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"; // {"alg":"HS256","typ":"JWT"}
    let jwt_payload = "eyJzdWIiOiJzdmMtYmlsbGluZyIsImlhdCI6MTcwMDAwMDAwMH0"; // {"sub":"svc-billing",...}
    let docker_auth = "Y2ktYm90OjhmSzJtUTl4THBSNHZUN3c="; // ci-bot:8fK2mQ9xLpR4vT7w
    let pem_body = b64(64, 7);
    let cases: Vec<(&str, String, &str)> = vec![
        ("/srv/sa.json", format!("{{\"type\": \"service_account\",\n\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{pem_body}\\n-----END PRIVATE KEY-----\\n\"}}"), "gcp-service-account"),
        ("/root/.ssh/id_rsa", format!("-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----\n"), "private-key"),
        ("/k.pem", format!("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n{pem_body}\n"), "private-key"),
        ("/k.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\nAAAA\nBBBB\nPrivate-Lines: 1\nCCCC\n".to_owned(), "putty-private-key"),
        ("/c", format!("id = AKIA{}", "QWERTYUIOPASDFGH"), "aws-access-key-id"),
        ("/c", format!("aws_secret_access_key = {}/{}", b64(20, 2), b64(19, 3)), "aws-secret-access-key"),
        ("/c", format!("DefaultEndpointsProtocol=https;AccountName=a;AccountKey={}==;", b64(86, 4)), "azure-storage-account-key"),
        ("/c", format!("key: AIza{}", b64(35, 5)), "gcp-api-key"),
        ("/c", format!("t=github_pat_{}_{}", b64(22, 6), b64(59, 8)), "github-pat"),
        ("/c", format!("t=gho_{}", b64(36, 9)), "github-oauth-token"),
        ("/c", format!("t=ghs_{}", b64(36, 10)), "github-app-token"),
        ("/c", format!("t=ghr_{}", b64(76, 11)), "github-refresh-token"),
        ("/c", format!("t=glpat-{}", b64(20, 12)), "gitlab-pat"),
        ("/c", format!("t=glptt-{}", "0123456789abcdef0123456789abcdef01234567"), "gitlab-pipeline-trigger-token"),
        ("/c", format!("t=glrt-{}", b64(20, 13)), "gitlab-runner-token"),
        ("/c", format!("t=gldt-{}", b64(20, 14)), "gitlab-deploy-token"),
        ("/c", format!("t=xoxb-1234567890-{}", b64(24, 15)), "slack-token"),
        ("/c", format!("u=https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/{}", b64(24, 16)), "slack-webhook-url"),
        ("/c", format!("k=sk_live_{}", b64(24, 17)), "stripe-secret-key"),
        ("/c", format!("k=sk_test_{}", b64(24, 18)), "stripe-test-key"),
        ("/c", format!("t=npm_{}", b64(36, 19)), "npm-token"),
        ("/c", format!("password = pypi-AgEIcHlwaS5vcmc{}", b64(60, 20)), "pypi-token"),
        ("/home/u/.npmrc", format!("//npm.internal/:_authToken={}", b64(30, 21)), "npmrc-auth-token"),
        ("/c.json", format!("{{\"auths\": {{\"r\": {{\"auth\": \"{docker_auth}\"}}}}}}"), "docker-config-auth"),
        ("/root/.netrc", format!("machine git.internal\n  login deploy\n  password {}\n", b64(20, 22)), "netrc-password"),
        ("/c", format!("Authorization: Bearer {jwt_header}.{jwt_payload}.{}", b64(43, 23)), "jwt"),
        ("/c", format!("DATABASE_URL=postgres://app:{}@db:5432/app", b64(18, 24)), "password-in-url"),
        ("/c.env", format!("DB_PASSWORD={}", b64(14, 25)), "password-assignment"),
        ("/c.py", format!("PASSWORD = \"{} {}\"", b64(6, 26), b64(6, 27)), "password-assignment"),
        ("/c.yml", format!("api_token: {}", b64(32, 28)), "high-entropy-secret"),
    ];
    for (path, text, rule) in cases {
        let f = d.scan_file(path, text.as_bytes());
        let got: Vec<&str> = f.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(got, [rule], "in {path}: {text}");
        let ev = f[0].evidence.as_deref().unwrap();
        assert!(ev.len() < text.len() + 10, "{ev}");
    }
}

#[test]
fn placeholders_and_code_expressions_are_not_reported() {
    let d = Detector::builtin();
    for (path, text) in [
        ("/app/.env", "DB_PASSWORD=changeme"),
        ("/app/.env", "DB_PASSWORD=${DB_PASSWORD}"),
        ("/app/.env", "REDIS_PASSWORD="),
        ("/app/v.yaml", "password: \"{{ .Values.db.password }}\""),
        ("/app/v.yaml", "password: !vault |"),
        ("/app/s.py", "password = os.environ[\"DB_PASSWORD\"]"),
        ("/app/s.py", "password = get_password()"),
        ("/app/s.py", "if password == \"\":"),
        ("/etc/nsswitch.conf", "passwd:         files systemd"),
        (
            "/etc/pam.d/common-password",
            "password [success=1 default=ignore] pam_unix.so obscure",
        ),
        ("/etc/ssh/sshd_config", "PasswordAuthentication no"),
        ("/x", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
        (
            "/x",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("/x", "token = ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        ("/x", "url = postgres://user:password@localhost/db"),
        (
            "/x.py",
            "if line.startswith(\"-----BEGIN RSA PRIVATE KEY-----\"):",
        ),
        ("/x", "secret_name: my-app-production-db-credentials"),
        (
            "/x",
            "token_sha256 = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        ("/x", "session_token = 123e4567-e89b-12d3-a456-426614174000"),
        ("/x.py", "tokens = tokenize.generate_tokens(readline)"),
        ("/x.py", "SECRET_KEY = get_random_secret_key_v2"),
        (
            "/c.json",
            "{\"auths\": {\"r\": {\"auth\": \"dXNlcjpwYXNzd29yZA==\"}}}",
        ), // user:password
        (
            "/package-lock.json",
            "\"integrity\": \"sha512-abcDEF123+/abcDEF123+/abcDEF123==\", \"token\": \"a1B2c3D4e5F6g7H8i9J0\"",
        ),
    ] {
        let f = d.scan_file(path, text.as_bytes());
        assert!(f.is_empty(), "{path}: {text}: {f:?}");
    }
}

#[test]
fn overlapping_matches_keep_the_specific_rule() {
    let d = Detector::builtin();
    let token = format!("glpat-{}", rand_alnum(30, 20));
    let text = format!("git clone https://oauth2:{token}@gitlab.internal/grp/app.git\n");
    let f = d.scan_file("/deploy.sh", text.as_bytes());
    assert_eq!(rules_of(&f), [(1, "gitlab-pat")]);
    // The AWS secret also matches the entropy rule; only the AWS rule is reported.
    let text = format!("aws_secret_access_key = {}\n", rand_alnum(31, 40));
    let f = d.scan_file("/credentials", text.as_bytes());
    assert_eq!(rules_of(&f), [(1, "aws-secret-access-key")]);
}

#[test]
fn evidence_never_holds_the_secret() {
    let d = Detector::builtin();
    let a = format!("ghp_{}", rand_alnum(50, 36));
    let b = format!("sk_live_{}", rand_alnum(51, 30));
    let pw = rand_alnum(52, 12);
    let body = rand_alnum(53, 64);
    let text = format!(
        "x = 1\r\nTOKENS=\"{a} {b}\"\r\nDB_PASSWORD={pw}\r\n-----BEGIN OPENSSH PRIVATE KEY-----\r\n{body}\r\n-----END OPENSSH PRIVATE KEY-----\r\n"
    );
    let f = d.scan_file("/app/.env", text.as_bytes());
    assert_eq!(
        rules_of(&f),
        [
            (2, "github-pat"),
            (2, "stripe-secret-key"),
            (3, "password-assignment"),
            (4, "private-key")
        ]
    );
    let json = serde_json::to_string(&f).unwrap();
    for s in [&a, &b, &pw, &body] {
        for w in s.as_bytes().windows(6) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!json.contains(w), "{w:?} of a secret leaked: {json}");
        }
    }
    assert_eq!(
        f[0].evidence.as_deref(),
        Some("TOKENS=\"ghp_***** sk_l*****\"")
    );
    assert_eq!(
        f[2].evidence.as_deref(),
        Some(format!("DB_PASSWORD={}*****", &pw[..4]).as_str())
    );
    assert_eq!(
        f[3].evidence.as_deref(),
        Some("-----BEGIN OPENSSH PRIVATE KEY-----")
    );
    assert_eq!(f[3].location.end_line, Some(5));
}

#[test]
fn long_lines_are_cut_around_the_secret() {
    let d = Detector::builtin();
    let token = format!("npm_{}", rand_alnum(60, 36));
    let text = format!(
        "{}{token}{}",
        "a".repeat(5000) + " ",
        " ".to_owned() + &"b".repeat(5000)
    );
    let f = d.scan_file("/bundle.js", text.as_bytes());
    let ev = f[0].evidence.as_deref().unwrap();
    assert!(
        ev.len() < 260 && ev.starts_with('…') && ev.ends_with('…') && ev.contains("npm_*****"),
        "{ev}"
    );
}

#[test]
fn binaries_sizes_and_fixture_paths_are_skipped() {
    let d = Detector::builtin();
    let secret = format!("x\0y ghp_{}\n", rand_alnum(70, 36));
    assert!(d.scan_file("/bin/tool", secret.as_bytes()).is_empty());
    let cfg: SecretConfig = "scan_binary = true\nmax_file_bytes = 100".parse().unwrap();
    let bin = Detector::new(&cfg).unwrap();
    assert_eq!(bin.scan_file("/bin/tool", secret.as_bytes()).len(), 1);
    assert_ne!(bin.fingerprint(), d.fingerprint());

    assert!(d.wants("/app/.env", 100));
    assert!(!d.wants("/app/.env", 0));
    assert!(!d.wants("/app/big.log", 11 * 1024 * 1024));
    assert!(bin.wants("/app/libx.so.1", 100));
    assert!(!bin.wants("/app/.env", 101));
    for p in [
        "/usr/lib/x86_64-linux-gnu/libssl.so.3",
        "/usr/share/icons/a.png",
        "/usr/lib/python3/dist-packages/paramiko/tests/test_rsa.key",
        "/usr/local/lib/python3.12/site-packages/Cryptodome/SelfTest/PublicKey/test.py",
        "/usr/lib/python3.11/test/keycert.pem",
        "/app/node_modules/jsonwebtoken/test/priv.pem",
        "/usr/local/go/src/crypto/tls/testdata/example-key.pem",
        "/usr/share/doc/openssl/README",
    ] {
        assert!(!d.wants(p, 100), "{p}");
        assert!(
            d.scan_file(p, secret.replace('\0', "").as_bytes())
                .is_empty(),
            "{p}"
        );
    }
}

#[test]
fn config_strings_are_scanned_with_their_origin() {
    let d = Detector::builtin();
    let pw = rand_alnum(80, 16);
    let f = d.scan_text("config:Env", &format!("POSTGRES_PASSWORD={pw}"));
    assert_eq!(rules_of(&f), [(1, "password-assignment")]);
    assert_eq!(f[0].location.path, "config:Env");
    let tok = format!("ghp_{}", rand_alnum(81, 36));
    let f = d.scan_text(
        "config:history[2]",
        &format!(
            "/bin/sh -c set -eux;\tcurl -fsSL -H \"Authorization: token {tok}\" https://x/y | sh"
        ),
    );
    assert_eq!(rules_of(&f), [(1, "github-pat")]);
    assert!(!f[0].evidence.as_deref().unwrap().contains(&tok[4..]));
}

#[test]
fn user_rules_and_allows_apply() {
    let cfg: SecretConfig = r#"
        disable = ["jwt"]
        [[rules]]
        id = "acme-api-key"
        severity = "critical"
        keywords = ["ACME_"]
        regex = 'acme_(?P<secret>[a-z0-9]{32})'
        min_entropy = 3.0
        [allow]
        paths = ['^opt/vendor/']
        [[allow.rules]]
        rule = "github-pat"
        values = ['^ghp_A']
    "#
    .parse()
    .unwrap();
    let d = Detector::new(&cfg).unwrap();
    assert_eq!(d.rule_ids().next(), Some("acme-api-key"));
    assert!(!d.rule_ids().any(|r| r == "jwt"));
    let key = rand_alnum(90, 32).to_ascii_lowercase();
    let f = d.scan_file("/etc/acme", format!("k=acme_{key}").as_bytes());
    assert_eq!(rules_of(&f), [(1, "acme-api-key")]);
    assert_eq!(f[0].severity, zoll_core::Severity::Critical);
    assert_eq!(f[0].title, "acme-api-key");
    // Low entropy: not reported.
    assert!(
        d.scan_file(
            "/etc/acme",
            format!("k=acme_{}", "ab".repeat(16)).as_bytes()
        )
        .is_empty()
    );
    assert!(!d.wants("/opt/vendor/x.env", 10));
    let allowed = format!("ghp_A{}", rand_alnum(91, 35));
    assert!(d.scan_file("/x", allowed.as_bytes()).is_empty());
    assert_eq!(
        Detector::builtin()
            .scan_file("/x", allowed.as_bytes())
            .len(),
        1
    );
}

#[test]
fn bad_configs_name_what_is_wrong() {
    let err = |toml: &str| {
        Detector::new(&toml.parse::<SecretConfig>().unwrap())
            .err()
            .unwrap()
            .to_string()
    };
    assert!(err("disable = ['nope']").contains("disable names unknown rule \"nope\""));
    assert!(
        err("[[allow.rules]]\nrule='nope'").contains("allow.rules names unknown rule \"nope\"")
    );
    let e = err("[[rules]]\nid='x'\nkeywords=['x']\nregex='x('");
    assert!(e.contains("rule \"x\": invalid regex \"x(\""), "{e}");
    assert!(err("[[rules]]\nid='x'\nkeywords=[]\nregex='x'").contains("no keywords"));
    assert!(
        err("[[rules]]\nid='jwt'\nkeywords=['x']\nregex='x'").contains("clashes with a built-in")
    );
    assert!(
        err("[[rules]]\nid='x'\nkeywords=['x']\nregex='x'\nsecret_group=2")
            .contains("secret_group 2")
    );
    assert!(err("[allow]\nvalues=['(']").contains("allow.values: invalid regex \"(\""));
}
