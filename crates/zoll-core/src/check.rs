//! The model of everything `zoll scan` finds besides vulnerabilities: secrets, malware and
//! misconfigurations (of an image's config and content, of a Dockerfile, of Kubernetes manifests).
//!
//! One [`CheckFinding`] is one rule tripped at one [`Location`]. Every scanner produces this same
//! shape, and every output format of `zoll scan` renders it next to the vulnerability findings,
//! so a secret in a layer, an EICAR file and `USER root` reach SARIF or JUnit the same way.
//!
//! Invariant: `evidence` never holds a secret in clear. Secret scanners redact before they
//! build a finding; renderers print `evidence` as is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Digest, Severity};

/// A scanner `zoll scan --scanners` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scanner {
    /// Known vulnerabilities of the packages (the offline OSV database).
    Vuln,
    /// Keys, tokens and passwords in files, the config and the build history.
    Secret,
    /// ClamAV, YARA rules and a SHA-256 blocklist.
    Malware,
    /// Image configuration and content checks, Dockerfile rules, Kubernetes Pod Security.
    Config,
}

impl Scanner {
    pub const ALL: [Scanner; 4] = [
        Scanner::Vuln,
        Scanner::Secret,
        Scanner::Malware,
        Scanner::Config,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scanner::Vuln => "vuln",
            Scanner::Secret => "secret",
            Scanner::Malware => "malware",
            Scanner::Config => "config",
        }
    }
}

impl fmt::Display for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scanner name that is not one of [`Scanner::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scanner {0:?} (expected vuln, secret, malware or config)")]
pub struct ScannerError(String);

impl FromStr for Scanner {
    type Err = ScannerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vuln" | "vulns" | "vulnerability" | "vulnerabilities" => Ok(Scanner::Vuln),
            "secret" | "secrets" => Ok(Scanner::Secret),
            "malware" => Ok(Scanner::Malware),
            "config" | "misconfig" | "misconfiguration" => Ok(Scanner::Config),
            _ => Err(ScannerError(s.to_owned())),
        }
    }
}

/// Where a finding is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// A path inside the image (`/app/.env`), a pseudo-path into the image config
    /// (`config:Env`, `config:User`, `config:Labels`, `config:history[3]`), or a file given to
    /// `zoll lint` / `zoll scan config:` (a Dockerfile, a manifest).
    pub path: String,
    /// The layer (diff-id) the file is in, for paths inside an image. A file deleted by a later
    /// layer still has its layer here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// First line, 1-based, when the input has lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Last line, 1-based, when the finding spans lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// The object within the file: `Deployment/default/web` (and `container app`), a Dockerfile
    /// stage, an image config key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

impl Location {
    /// A location that is only a path.
    pub fn path(path: impl Into<String>) -> Location {
        Location {
            path: path.into(),
            ..Location::default()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(o) = &self.object {
            write!(f, " ({o})")?;
        }
        Ok(())
    }
}

/// One rule tripped at one place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFinding {
    /// `secret`, `malware` or `config` (never `vuln`: those are [`crate::Finding`]s).
    pub scanner: Scanner,
    /// The rule's id: a hadolint id (`DL3007`), a Dockle id (`CIS-DI-0001`), a zoll id
    /// (`aws-access-key-id`, `pss-privileged`), or the engine's signature name for malware.
    pub rule: String,
    /// One line for people.
    pub title: String,
    pub severity: Severity,
    pub location: Location,
    /// What was seen, safe to print: a redacted secret, a signature name, the offending value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// How to fix it, when the rule knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Other ids of the same rule (`CIS-4.1` for `CIS-DI-0001`, a hadolint id for a zoll rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// Pod Security Standards levels, ordered from least to most restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    /// Fails a baseline control.
    Privileged,
    /// Passes every baseline control, fails a restricted one.
    Baseline,
    /// Passes every control.
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Privileged => "privileged",
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

impl fmt::Display for PssLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The highest Pod Security Standards level one workload satisfies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadLevel {
    /// The manifest file.
    pub path: String,
    /// `Kind/namespace/name` (namespace `default` when the manifest has none).
    pub object: String,
    pub level: PssLevel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_parse_by_name_and_alias() {
        assert_eq!("secret".parse::<Scanner>().ok(), Some(Scanner::Secret));
        assert_eq!(" Vuln ".parse::<Scanner>().ok(), Some(Scanner::Vuln));
        assert_eq!("misconfig".parse::<Scanner>().ok(), Some(Scanner::Config));
        let e = "virus".parse::<Scanner>().err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("unknown scanner \"virus\" (expected vuln, secret, malware or config)")
        );
    }

    #[test]
    fn pss_levels_order_from_least_restrictive() {
        assert!(PssLevel::Privileged < PssLevel::Baseline);
        assert!(PssLevel::Baseline < PssLevel::Restricted);
    }

    #[test]
    fn locations_print_path_line_and_object() {
        let l = Location {
            path: "deploy.yaml".into(),
            line: Some(12),
            object: Some("Deployment/default/web".into()),
            ..Location::default()
        };
        assert_eq!(l.to_string(), "deploy.yaml:12 (Deployment/default/web)");
    }
}
