//! Platforms (`os/arch[/variant]`) for choosing an image from a multi-platform index.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a platform.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformError {
    #[error(
        "invalid platform {0:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8"
    )]
    Syntax(String),
}

/// An OCI platform.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// The platform of the machine zoll runs on, in GOARCH terms.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Platform {
            os: "linux".to_owned(),
            architecture: architecture.to_owned(),
            variant: None,
        }
    }

    /// Whether an index entry's platform satisfies this wanted platform. A wanted platform
    /// without variant accepts any variant; `arm64` treats a missing variant as `v8`.
    pub fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        if self.os != os || self.architecture != architecture {
            return false;
        }
        match (&self.variant, variant) {
            (None, _) => true,
            (Some(w), Some(v)) => w == v,
            (Some(w), None) => architecture == "arm64" && w == "v8",
        }
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(PlatformError::Syntax(s.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert!(p.matches("linux", "arm64", None));
        assert!(p.matches("linux", "arm64", Some("v8")));
        assert!(!p.matches("linux", "arm64", Some("v9")));
        let a: Platform = "linux/amd64".parse().unwrap();
        assert!(a.matches("linux", "amd64", Some("v3")));
        assert!(!a.matches("windows", "amd64", None));
        assert_eq!(a.to_string(), "linux/amd64");
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/amd 64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }
}
