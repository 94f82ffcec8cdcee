//! Secret detection for `zoll scan --scanners secret`: keys, tokens and passwords in the files of
//! an image's layers and in the strings of its config (`Env`, labels, history `created_by`).
//!
//! This crate owns the rules, the allowlists, redaction and the scan of one input. It does no IO:
//! the caller (the layer walker's visitor) asks [`Detector::wants`] with a path and a size, and
//! if so hands the bytes to [`Detector::scan_file`]; config strings go to
//! [`Detector::scan_text`]. Findings are [`zoll_core::CheckFinding`]s with scanner `secret`.
//!
//! # How a scan runs
//!
//! 1. **Keyword prefilter.** One Aho-Corasick automaton (the `aho-corasick` crate, DFA, ASCII
//!    case-insensitive) holds the keywords of every rule. It passes once over the input. An
//!    input with no keyword allocates nothing and runs no regex: that is the fast path for the
//!    ordinary files of an OS.
//! 2. **Rules around hits only.** For each keyword hit, the rules that own the keyword run their
//!    regex (the `regex` crate, on bytes) over the hit's line only (a few rules also see a fixed
//!    number of following lines: `private-key` 6, `putty-private-key` 12, `netrc-password` 4).
//!    A rule runs at most once per line. No regex ever sees bytes far from one of its keywords;
//!    the unit test `a_rule_without_its_keyword_never_runs` counts regex runs per rule to prove it.
//! 3. **Checks.** The secret (a rule's capture group) must not be a placeholder, must not be on
//!    an allowlist, and must pass the rule's own check (a JWT header that decodes to JSON with
//!    `alg`; a Docker `auth` that decodes to `user:password`; an entropy threshold).
//! 4. **Overlaps.** Where two rules match overlapping bytes, the earlier rule in the list below
//!    wins (a GitLab token inside a clone URL is `gitlab-pat`, not `password-in-url`).
//! 5. **Redaction.** Evidence is the line with each secret replaced by its first characters (at
//!    most 4, at most a third of it) and `*****`, cut to 200 bytes around the secret; for private
//!    keys only the `-----BEGIN … PRIVATE KEY-----` (or PuTTY header) line. A finding never holds
//!    a secret in clear.
//!
//! Hand-written parts: the placeholder predicate, Shannon entropy and the overlap resolution are
//! a few lines each, tied to this crate's rule model; a dependency would cost more than it saves.
//! The rule set follows gitleaks/Trivy practice but is zoll's own table (ids are stable).
//!
//! # Built-in rules
//!
//! In priority order.
//!
//! | id | severity | finds |
//! | --- | --- | --- |
//! | `gcp-service-account` | critical | the `private_key` of a JSON key file whose file also says `service_account` |
//! | `private-key` | critical | PEM private keys: `-----BEGIN (RSA\|EC\|DSA\|OPENSSH\|ENCRYPTED\|PGP …) PRIVATE KEY-----` followed by base64 (a bare BEGIN line in code is not a key) |
//! | `putty-private-key` | critical | PuTTY `.ppk` files (`PuTTY-User-Key-File-N:` … `Private-Lines:`) |
//! | `aws-access-key-id` | critical | `AKIA`/`ASIA`/`AGPA`/`AIDA`/`AROA`/`AIPA`/`ANPA`/`ANVA`/`A3T…` + 16 base32 characters |
//! | `aws-secret-access-key` | critical | 40 base64 characters assigned to `aws_secret_access_key`, `SecretAccessKey`, … |
//! | `azure-storage-account-key` | critical | `AccountKey=` + 88 base64 characters in a connection string |
//! | `gcp-api-key` | high | `AIza` + 35 characters |
//! | `github-pat` | critical | `ghp_` + 36, `github_pat_` + 22 + `_` + 59 |
//! | `github-oauth-token` | critical | `gho_` + 36 |
//! | `github-app-token` | critical | `ghu_`, `ghs_` + 36 |
//! | `github-refresh-token` | critical | `ghr_` + 36 to 76 |
//! | `gitlab-pat` | critical | `glpat-` + 20 or more |
//! | `gitlab-pipeline-trigger-token` | high | `glptt-` + 40 hex |
//! | `gitlab-runner-token` | high | `glrt-…`, `GR1348941…` |
//! | `gitlab-deploy-token` | high | `gldt-…` |
//! | `slack-token` | high | `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`, `xapp-` tokens |
//! | `slack-webhook-url` | high | `https://hooks.slack.com/services/…` |
//! | `stripe-secret-key` | critical | `sk_live_`, `rk_live_` |
//! | `stripe-test-key` | low | `sk_test_`, `rk_test_`: test mode moves no money but reads and writes the account's test data, so it is reported, low (Stripe's documentation keys are allowlisted) |
//! | `npm-token` | critical | `npm_` + 36 |
//! | `pypi-token` | critical | `pypi-AgEIcHlwaS5vcmc…` (and TestPyPI's `pypi-AgENdGVzdC5weXBpLm9yZw…`) |
//! | `npmrc-auth-token` | high | `_authToken=`, `_auth=`, `_password=` in `.npmrc` / `.yarnrc` |
//! | `docker-config-auth` | high | `"auth": "…"` whose base64 decodes to `user:password` (Docker `config.json`) |
//! | `netrc-password` | high | `machine … login … password …` |
//! | `jwt` | medium | three base64url parts whose header decodes to JSON with `alg` |
//! | `password-in-url` | high | `scheme://user:password@host` |
//! | `password-assignment` | high | `password = "…"`, `DB_PASSWORD=…`, YAML `password: …`, `--password=…`: quoted values anywhere, unquoted ones only as the last token of a line and not in source code (`password = get_password()` is an expression) |
//! | `high-entropy-secret` | medium | a value assigned to a key named like `secret`, `token`, `api_key`, `access_key`, `credential`, `private_key`, … with letters and digits and Shannon entropy ≥ 3.0 bits (hex) or ≥ 3.5 (other); keys naming a hash, id, name, path or URL are not credentials |
//!
//! # Allowlists
//!
//! Never read (regexes over the path without its leading `/`):
//! - test suites of installed packages: `(site|dist)-packages/**/test(s)|testing|testdata/`,
//!   pycryptodome's `SelfTest/`, CPython's `lib/python3.N/test/`, `node_modules/**/test(s)/`,
//!   `__tests__/`, `fixture(s)/`, Go's `go/src|pkg/mod/**/testdata/`, `gems/*/test|spec/`, and
//!   those of vendored libraries (`third_party|vendor|vendored/**/test(s)|testdata|fixtures/`);
//! - language runtimes' own files: CPython's standard library (`lib/python3.N/*.py` and its
//!   packages such as `urllib/`, whose docstrings hold example passwords; `site-packages` is
//!   still read), Ruby's (`lib/ruby/N.N.N/`), the Go toolchain's sources (`usr/local/go/src/`,
//!   `usr/lib/go-1.N/`, `usr/share/go-1.N/`; a GOPATH app in `/go/src/app` is still read);
//! - installed packages' README text (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`),
//!   botocore's API examples and cfn-lint's schemas (`botocore/data/`, `cfnlint/data/`);
//! - `usr/share/{doc,man,info,locale,i18n,zoneinfo,mime,icons,vim,tcltk,lintian}/`;
//! - binary or compressed names (`.so`, `.so.N`, `.a`, `.png`, `.gz`, `.zip`, `.jar`, `.pyc`,
//!   ...), files over `max_file_bytes`, and files with a NUL byte in the first 8 KiB.
//!
//! Never reported (regexes over the secret): AWS's documentation keys `AKIAIOSFODNN7EXAMPLE` and
//! `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`; Azurite's published account key; Stripe's
//! documentation test keys; jwt.io's example token (public example data, payload "John Doe");
//! the example tokens of RFC 6749 and RFC 5849 (OAuth); UUIDs; labelled hashes (`sha256:…`,
//! `sha512-…`, `h1:…`).
//!
//! Placeholders are never reported: empty values; `$VAR`, `${VAR}`, `$(cmd)`,
//! `{{ .Values.x }}`, `%(x)s`, `#{x}`, `<password>`, `{x}`, `[x]`, YAML tags (`!vault`); one
//! repeated character (`xxxx`, `****`) or a run of five masking characters; values with no
//! letter or digit (`:****`); whole values such as `password`, `secret`, `none`, `true`, type
//! names (`bool`, `int`); values containing `example`, `changeme`, `changeit`, `placeholder`,
//! `dummy`, `redacted`, `your_`, `replace_me`, `fake`, …; password values that name a password
//! (`challengePassword`); for the entropy rule also identifiers (`db_password_v2`) and CamelCase
//! type names (`V1LocalObjectReference`). Random-looking values stay reported.
//!
//! In lock files and checksum lists (`package-lock.json`, `yarn.lock`, `Cargo.lock`,
//! `poetry.lock`, `go.sum`, `*.sum`, `RECORD`, `SHA256SUMS`, …) the rules `high-entropy-secret`,
//! `jwt` and `password-assignment` do not run; token rules and `password-in-url` still do.
//! `password-assignment` does not run on `nsswitch.conf` (`passwd: files` names a database).
//! Hex digests are reported only when assigned to a credential key (`high-entropy-secret`).
//!
//! # Configuration (`zoll scan --secret-config FILE`)
//!
//! A TOML file; every key is optional and an unknown key is an error naming it.
//!
//! ```toml
//! disable = ["jwt"]            # rule ids (built-in or user) that do not run
//! scan_binary = false          # also scan files with a NUL in the first 8 KiB
//! max_file_bytes = 10485760    # skip larger files (default 10 MiB)
//!
//! [[rules]]                    # checked before the built-in rules
//! id = "acme-api-key"          # reported as the finding's rule; must not clash with a built-in id
//! title = "ACME API key"       # default: the id
//! severity = "critical"        # unknown|none|low|medium|high|critical; default high
//! keywords = ["acme_"]         # at least one; the regex only runs on lines containing one
//! regex = 'acme_(?P<secret>[a-z0-9]{32})'   # one line at a time, on bytes
//! secret_group = 1             # optional; default: the group named `secret`, else the whole match
//! min_entropy = 3.0            # optional; Shannon bits per byte of the secret
//!
//! [allow]
//! paths = ['^opt/vendor/']     # files never read (path without leading `/`)
//! values = ['^acme_0+$']       # secrets never reported, by any rule
//!
//! [[allow.rules]]              # allows for one rule
//! rule = "password-assignment"
//! paths = ['^etc/demo/']
//! values = ['^hunter2$']
//! ```
//!
//! [`Detector::fingerprint`] hashes all of it, with the crate's rule version, for cache keys.

mod allow;
mod config;
mod detector;
mod rules;

pub use config::{Allowlist, DEFAULT_MAX_FILE_BYTES, RuleAllow, SecretConfig, UserRule};
pub use detector::Detector;

/// A secret configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("secret config {origin}: {message}")]
    Config { origin: String, message: String },
    #[error("secret config: {what}: invalid regex {pattern:?}: {message}")]
    Regex {
        what: String,
        pattern: String,
        message: String,
    },
    #[error(
        "secret config: rule {0:?} is defined twice or clashes with a built-in rule (disable the built-in one and pick another id)"
    )]
    DuplicateRule(String),
    #[error("secret config: rule {0:?} has no keywords (the prefilter needs at least one)")]
    NoKeywords(String),
    #[error(
        "secret config: rule {rule:?}: secret_group {group} does not exist (the regex has {groups} groups)"
    )]
    NoSuchGroup {
        rule: String,
        group: usize,
        groups: usize,
    },
    #[error("secret config: {key} names unknown rule {rule:?}")]
    UnknownRule { key: &'static str, rule: String },
    #[error("secret config: cannot build the keyword automaton: {0}")]
    Keywords(String),
}

#[cfg(test)]
mod tests;
