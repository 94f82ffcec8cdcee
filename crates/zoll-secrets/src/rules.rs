//! The built-in rules. Order is priority: when two rules match overlapping bytes, the earlier
//! one is reported (a GitLab token inside a URL is `gitlab-pat`, not `password-in-url`).
//!
//! Every regex runs on one line (plus `window` following lines) around a keyword hit, with
//! `(?-u)`: byte classes, so files that are not UTF-8 are matched as they are.

use zoll_core::Severity;

/// Extra checks a rule's match must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// None beyond the regex and the placeholder/allow lists.
    None,
    /// The first part base64url-decodes to a JSON object with `alg`.
    Jwt,
    /// The value base64-decodes to `user:password` with a real password.
    DockerAuth,
    /// `key = value`: an unquoted value in source code is an expression, not a literal.
    Assignment,
    /// `key = value` with a random-looking value: letters and digits, entropy over a threshold
    /// (3.0 bits for hex, 3.5 otherwise), not identifier-shaped, key not naming a hash or id.
    Entropy,
}

/// What the evidence shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Redact {
    /// The line with the secret replaced by its first characters and `*****`.
    Line,
    /// Only the `marker` group (a PEM BEGIN line, a PuTTY header).
    Marker,
}

pub(crate) struct Builtin {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    /// Keywords that must also occur somewhere in the input.
    pub requires: &'static [&'static str],
    pub regex: &'static str,
    /// Lines after the keyword's line that the regex also sees.
    pub window: u8,
    pub check: Check,
    pub redact: Redact,
    /// Only on paths matching this (regex over the path without leading `/`).
    pub only_paths: Option<&'static str>,
}

const fn rule(
    id: &'static str,
    title: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    regex: &'static str,
) -> Builtin {
    Builtin {
        id,
        title,
        severity,
        keywords,
        requires: &[],
        regex,
        window: 0,
        check: Check::None,
        redact: Redact::Line,
        only_paths: None,
    }
}

use Severity::{Critical, High, Low, Medium};

pub(crate) const BUILTIN: &[Builtin] = &[
    Builtin {
        requires: &["service_account"],
        ..rule(
            "gcp-service-account",
            "Google Cloud service account key",
            Critical,
            &["\"private_key\""],
            r#"(?-u)"private_key"\s*:\s*"(?P<secret>-----BEGIN[A-Z ]*PRIVATE KEY-----[^"]{40,})""#,
        )
    },
    Builtin {
        window: 6,
        redact: Redact::Marker,
        ..rule(
            "private-key",
            "Private key",
            Critical,
            &["PRIVATE KEY"],
            r"(?-u)(?P<marker>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)(?:\\r|\\n|[\r\n \t]|[A-Za-z-]+: [^\r\n\\]*)*[A-Za-z0-9+/=]{40,}",
        )
    },
    Builtin {
        window: 12,
        redact: Redact::Marker,
        ..rule(
            "putty-private-key",
            "PuTTY private key",
            Critical,
            &["PuTTY-User-Key-File-"],
            r"(?-u)(?P<marker>PuTTY-User-Key-File-[0-9]+: [A-Za-z0-9@.-]+)(?:\r?\n[^\r\n]*){0,12}?\r?\nPrivate-Lines: [0-9]+",
        )
    },
    rule(
        "aws-access-key-id",
        "AWS access key id",
        Critical,
        &[
            "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "A3T",
        ],
        r"(?-u)\b(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z2-7]{16})\b",
    ),
    rule(
        "aws-secret-access-key",
        "AWS secret access key",
        Critical,
        &[
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
            "aws_secret",
            "awssecret",
        ],
        r#"(?-u)(?i:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|secret-access-key)["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:["'\s,;]|$)"#,
    ),
    rule(
        "azure-storage-account-key",
        "Azure storage account key",
        Critical,
        &["AccountKey="],
        r"(?-u)(?i:AccountKey)=(?P<secret>[A-Za-z0-9+/]{86}==)",
    ),
    rule(
        "gcp-api-key",
        "Google API key",
        High,
        &["AIza"],
        r"(?-u)\b(?P<secret>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
    ),
    rule(
        "github-pat",
        "GitHub personal access token",
        Critical,
        &["ghp_", "github_pat_"],
        r"(?-u)\b(?P<secret>ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
    ),
    rule(
        "github-oauth-token",
        "GitHub OAuth access token",
        Critical,
        &["gho_"],
        r"(?-u)\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
    ),
    rule(
        "github-app-token",
        "GitHub App token",
        Critical,
        &["ghu_", "ghs_"],
        r"(?-u)\b(?P<secret>gh[us]_[A-Za-z0-9]{36})\b",
    ),
    rule(
        "github-refresh-token",
        "GitHub refresh token",
        Critical,
        &["ghr_"],
        r"(?-u)\b(?P<secret>ghr_[A-Za-z0-9]{36,76})\b",
    ),
    rule(
        "gitlab-pat",
        "GitLab personal access token",
        Critical,
        &["glpat-"],
        r"(?-u)\b(?P<secret>glpat-[A-Za-z0-9_-]{20}[A-Za-z0-9_.-]{0,60})(?:[^A-Za-z0-9_.-]|$)",
    ),
    rule(
        "gitlab-pipeline-trigger-token",
        "GitLab pipeline trigger token",
        High,
        &["glptt-"],
        r"(?-u)\b(?P<secret>glptt-[0-9a-f]{40})\b",
    ),
    rule(
        "gitlab-runner-token",
        "GitLab runner token",
        High,
        &["glrt-", "GR1348941"],
        r"(?-u)\b(?P<secret>glrt-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)",
    ),
    rule(
        "gitlab-deploy-token",
        "GitLab deploy token",
        High,
        &["gldt-"],
        r"(?-u)\b(?P<secret>gldt-[A-Za-z0-9_-]{20,})(?:[^A-Za-z0-9_-]|$)",
    ),
    rule(
        "slack-token",
        "Slack token",
        High,
        &[
            "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-",
        ],
        r"(?-u)\b(?P<secret>xox[baprse]-[0-9A-Za-z-]{10,250}|xapp-[0-9]+-[A-Za-z0-9]+-[0-9]+-[A-Za-z0-9]+)",
    ),
    rule(
        "slack-webhook-url",
        "Slack incoming webhook URL",
        High,
        &["hooks.slack.com"],
        r"(?-u)(?P<secret>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{30,120})",
    ),
    rule(
        "stripe-secret-key",
        "Stripe live secret key",
        Critical,
        &["sk_live_", "rk_live_"],
        r"(?-u)\b(?P<secret>[sr]k_live_[0-9A-Za-z]{24,247})\b",
    ),
    rule(
        "stripe-test-key",
        "Stripe test-mode secret key",
        Low,
        &["sk_test_", "rk_test_"],
        r"(?-u)\b(?P<secret>[sr]k_test_[0-9A-Za-z]{24,247})\b",
    ),
    rule(
        "npm-token",
        "npm access token",
        Critical,
        &["npm_"],
        r"(?-u)\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
    ),
    rule(
        "pypi-token",
        "PyPI upload token",
        Critical,
        &["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"],
        r"(?-u)\b(?P<secret>pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})",
    ),
    Builtin {
        only_paths: Some(r"(^|/)(\.npmrc|npmrc|\.yarnrc|\.yarnrc\.yml)$"),
        ..rule(
            "npmrc-auth-token",
            "npm registry credential in .npmrc",
            High,
            &["_authToken", "_auth", "_password", "npmAuthToken"],
            r#"(?-u)(?:_authToken|_auth|_password|npmAuthToken)["']?[ \t]*[=:][ \t]*["']?(?P<secret>[^\s"']+)"#,
        )
    },
    Builtin {
        check: Check::DockerAuth,
        ..rule(
            "docker-config-auth",
            "Registry credential in a Docker config",
            High,
            &["\"auth\""],
            r#"(?-u)"auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/=]{8,})""#,
        )
    },
    Builtin {
        window: 4,
        requires: &["password"],
        ..rule(
            "netrc-password",
            "Password in a .netrc",
            High,
            &["machine"],
            r#"(?-u)\bmachine\s+\S+(?:\s+(?:login|account)\s+\S+)*\s+password\s+(?P<secret>[^\s"'`]+)"#,
        )
    },
    Builtin {
        check: Check::Jwt,
        ..rule(
            "jwt",
            "JSON Web Token",
            Medium,
            &["eyJ"],
            r"(?-u)\b(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        )
    },
    rule(
        "password-in-url",
        "Password in a URL",
        High,
        &["://"],
        r#"(?-u)\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:@/"'<>\\]{1,128}:(?P<secret>[^\s:@/"'<>\\]{1,256})@[A-Za-z0-9_.\[\]-]+"#,
    ),
    Builtin {
        check: Check::Assignment,
        ..rule(
            "password-assignment",
            "Password assigned in a configuration",
            High,
            &["password", "passwd", "passphrase"],
            r#"(?-u)(?P<key>[A-Za-z0-9_.-]*(?i:password|passwd|passphrase))["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:"(?P<secret_dq>[^"\r\n]{1,256})"|'(?P<secret_sq>[^'\r\n]{1,256})'|(?P<secret>[^\s"'=:#;,\[{(][^\s"';,]{0,255})[ \t]*(?:\s[#;][^\r\n]*)?$)"#,
        )
    },
    Builtin {
        check: Check::Entropy,
        ..rule(
            "high-entropy-secret",
            "High-entropy value assigned to a credential",
            Medium,
            &[
                "secret",
                "token",
                "api_key",
                "apikey",
                "api-key",
                "api.key",
                "access_key",
                "accesskey",
                "access-key",
                "auth_key",
                "authkey",
                "credential",
                "private_key",
                "privatekey",
                "signing_key",
                "encryption_key",
                "master_key",
            ],
            r#"(?-u)(?P<key>[A-Za-z0-9_.-]*(?i:secret|token|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?key|credential|private[_.-]?key|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key)[A-Za-z0-9_.-]*)["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?(?P<secret>[A-Za-z0-9+/=_~-]{16,256})(?:["'\s,;)}\]]|$)"#,
        )
    },
];

/// Bump when a built-in rule or list changes meaning; part of [`crate::Detector::fingerprint`].
pub(crate) const RULES_VERSION: u32 = 1;
