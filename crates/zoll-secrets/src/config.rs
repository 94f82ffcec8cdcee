//! The user's secret configuration (`zoll scan --secret-config FILE`): extra rules, allowlist
//! entries, disabled rules and limits. The schema is documented in the crate docs.

use std::str::FromStr;

use serde::Deserialize;
use zoll_core::Severity;

use crate::Error;

/// Files larger than this are not read unless the config says otherwise (10 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Everything a user can change about secret detection. Parsed from TOML; unknown keys are errors.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretConfig {
    /// Rules added to the built-in ones (checked before them).
    #[serde(default)]
    pub rules: Vec<UserRule>,
    /// What is never reported.
    #[serde(default)]
    pub allow: Allowlist,
    /// Ids of rules (built-in or user) that do not run.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Scan files that look binary (a NUL byte in the first 8 KiB). Off by default.
    #[serde(default)]
    pub scan_binary: bool,
    /// Files larger than this are skipped; [`DEFAULT_MAX_FILE_BYTES`] when absent.
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
}

/// A rule of the user's.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRule {
    /// Stable id, reported as the finding's rule (`acme-api-key`).
    pub id: String,
    /// One line for people; the id when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// `high` when absent.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// At least one; the regex runs only on lines where one of them occurs (ASCII case-insensitive).
    pub keywords: Vec<String>,
    /// A `regex` crate pattern, run on one line at a time (bytes; `(?i)` etc. allowed).
    pub regex: String,
    /// The capture group that holds the secret (redacted and checked against the allowlist);
    /// the group named `secret` when absent and the regex has one, else the whole match.
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) of the secret; no minimum when absent.
    #[serde(default)]
    pub min_entropy: Option<f64>,
}

/// What is never reported. Path patterns match the path without its leading `/`
/// (`app/tests/fixtures/key.pem`); value patterns match the secret itself (the capture group).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    /// Files never read (regexes over the path).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Secrets never reported by any rule (regexes over the secret).
    #[serde(default)]
    pub values: Vec<String>,
    /// Allows that apply to one rule only.
    #[serde(default)]
    pub rules: Vec<RuleAllow>,
}

/// An allow entry for one rule.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleAllow {
    /// The rule id it applies to.
    pub rule: String,
    /// The rule does not run on these paths.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The rule does not report these secrets.
    #[serde(default)]
    pub values: Vec<String>,
}

impl SecretConfig {
    /// Parse a config file's text; `origin` (the file name) is named in errors.
    pub fn parse(text: &str, origin: &str) -> Result<SecretConfig, Error> {
        toml::from_str(text).map_err(|e| Error::Config {
            origin: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }

    /// The size limit in force.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES)
    }
}

impl FromStr for SecretConfig {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SecretConfig::parse(s, "secret config")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses() {
        let c: SecretConfig = r#"
            disable = ["jwt"]
            scan_binary = true
            max_file_bytes = 1024
            [[rules]]
            id = "acme-api-key"
            title = "ACME API key"
            severity = "critical"
            keywords = ["acme_"]
            regex = 'acme_(?P<secret>[a-z0-9]{32})'
            min_entropy = 3.0
            [allow]
            paths = ['^opt/vendor/']
            values = ['^acme_0{32}$']
            [[allow.rules]]
            rule = "password-assignment"
            paths = ['^etc/demo/']
        "#
        .parse()
        .unwrap();
        assert_eq!(c.disable, ["jwt"]);
        assert!(c.scan_binary);
        assert_eq!(c.max_file_bytes(), 1024);
        assert_eq!(c.rules[0].severity, Some(Severity::Critical));
        assert_eq!(c.allow.rules[0].rule, "password-assignment");
        assert_eq!(
            SecretConfig::default().max_file_bytes(),
            DEFAULT_MAX_FILE_BYTES
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = SecretConfig::parse("[allow]\npath = ['x']\n", "s.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("secret config s.toml:"), "{msg}");
        assert!(msg.contains("unknown field `path`"), "{msg}");
        let e = "[[rules]]\nid='a'\nkeywords=['a']\nregex='a'\nentropy=3\n"
            .parse::<SecretConfig>()
            .unwrap_err();
        assert!(e.to_string().contains("unknown field `entropy`"), "{e}");
    }
}
