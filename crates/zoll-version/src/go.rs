//! Go module versions, ordered like `golang.org/x/mod/semver`.
//!
//! Go's ordering is SemVer precedence, so it shares [`crate::semver`]'s parser and comparison.
//! What is Go-specific is only how versions are written:
//! - canonical Go versions start with `v`; OSV's Go records drop it (`1.2.3`), so it is optional;
//! - `v1` and `v1.2` are shorthands for `v1.0.0` and `v1.2.0`;
//! - `+incompatible` (a v2+ module without a `go.mod`) is build metadata and does not change the
//!   order: `v2.0.0+incompatible == v2.0.0`;
//! - pseudo-versions (`v0.0.0-20210101000000-abcdef123456`, `v1.2.4-0.20210101000000-abcdef123456`,
//!   `v1.2.3-pre.0.20210101000000-abcdef123456`) are pre-releases of the next version, so they sort
//!   after the tagged version they build on and before the next tag, with their timestamps ordering
//!   them among themselves.
//!
//! The grammar is the lenient one of [`crate::semver`], so the OSV reference vectors shared with
//! npm and crates.io (including `1.1.3.4.5`) hold for Go as well.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::semver::{Ident, SemverVersion};

const SCHEME: &str = "go";

/// A parsed Go module version.
#[derive(Clone, Debug)]
pub struct GoVersion(SemverVersion);

impl GoVersion {
    /// The SemVer view of this version.
    pub fn semver(&self) -> &SemverVersion {
        &self.0
    }

    /// True for `+incompatible` versions (a major version 2 or above published without `go.mod`).
    pub fn is_incompatible(&self) -> bool {
        self.0.build.iter().any(|id| id.as_str() == "incompatible")
    }

    /// True when this is a pseudo-version naming a commit rather than a tag: its pre-release ends
    /// with a 14-digit UTC timestamp and a revision, after `0.` (or alone on `vX.0.0`).
    pub fn is_pseudo(&self) -> bool {
        let pre = &self.0.pre;
        let Some(last) = pre.last() else { return false };
        let Some((stamp, rev)) = last.as_str().split_once('-') else {
            return false;
        };
        let stamp_ok = stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit());
        let rev_ok = !rev.is_empty() && rev.bytes().all(|b| b.is_ascii_alphanumeric());
        if !stamp_ok || !rev_ok {
            return false;
        }
        match pre.len() {
            1 => crate::num::is_zero(&self.0.minor) && crate::num::is_zero(&self.0.patch),
            _ => matches!(&pre[pre.len() - 2], Ident::Numeric(n) if crate::num::is_zero(n)),
        }
    }

    /// The commit timestamp (`yyyymmddhhmmss`, UTC) of a pseudo-version.
    pub fn pseudo_timestamp(&self) -> Option<&str> {
        if !self.is_pseudo() {
            return None;
        }
        self.0
            .pre
            .last()
            .and_then(|id| id.as_str().split_once('-'))
            .map(|(stamp, _)| stamp)
    }
}

impl FromStr for GoVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        SemverVersion::parse_as(SCHEME, s).map(GoVersion)
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn pseudo_versions_sort_between_tags() {
        let p = v("v0.0.0-20210101000000-abcdef123456");
        assert!(p.is_pseudo());
        assert_eq!(p.pseudo_timestamp(), Some("20210101000000"));
        assert!(p < v("v0.1.0"));
        assert!(p < v("v0.0.0-20210102000000-000000000000"));
        let after_tag = v("v1.2.4-0.20210101000000-abcdef123456");
        assert!(after_tag.is_pseudo());
        assert!(v("v1.2.3") < after_tag);
        assert!(after_tag < v("v1.2.4-rc.1"));
        assert!(after_tag < v("v1.2.4"));
        let after_pre = v("v1.2.3-pre.0.20210101000000-abcdef123456");
        assert!(after_pre.is_pseudo());
        assert!(v("v1.2.3-pre") < after_pre);
        assert!(after_pre < v("v1.2.3"));
        assert!(!v("v1.2.3-rc.1").is_pseudo());
        assert!(!v("v1.2.3-20210101000000-abcdef123456").is_pseudo());
    }

    #[test]
    fn incompatible_is_build_metadata() {
        let inc = v("v2.0.0+incompatible");
        assert!(inc.is_incompatible());
        assert_eq!(inc, v("v2.0.0"));
        assert!(v("v2.0.1+incompatible") > inc);
        assert!(v("v1.9.9") < inc);
        assert!(!v("v2.0.0").is_incompatible());
    }

    #[test]
    fn v_prefix_and_shorthands() {
        assert_eq!(v("1.2.3"), v("v1.2.3"));
        assert_eq!(v("v1"), v("v1.0.0"));
        assert_eq!(v("v1.2"), v("v1.2.0"));
        let err = "v1.x".parse::<GoVersion>().unwrap_err().to_string();
        assert!(err.starts_with(r#"invalid go version "v1.x""#), "{err}");
    }
}
