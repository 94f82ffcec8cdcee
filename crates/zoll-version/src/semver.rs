//! Semantic Versioning 2.0.0 as npm, crates.io and Hex order it, and the shared parser for Go and
//! Pub.
//!
//! Precedence is SemVer's: major, minor and patch by numeric value, then a version with a
//! pre-release is older than the same version without one, pre-release identifiers compare
//! numerically when both are digits, numbers sort before alphanumerics, which compare as ASCII
//! strings, and a longer list of identifiers wins when one is a prefix of the other. Build metadata
//! (`+...`) does not take part.
//!
//! The grammar is SemVer's, widened in the ways real advisories and the OSV reference vectors need
//! (this is why the `semver` crate, which takes exactly SemVer's grammar, is not used):
//! - a leading `v` (node-semver and Go accept it);
//! - fewer than three numbers (`1` is `1.0.0`, `1.2` is `1.2.0`, as Go's shorthand);
//! - numbers of any size (the `semver` crate stops at `u64`);
//! - leading zeros, which compare by value;
//! - more than three numbers (`1.1.3.4.5`): the extra ones are build metadata, ignored by
//!   precedence, as the comment on that vector says.
//!
//! What SemVer's grammar rejects otherwise is rejected: no number, an empty number or identifier,
//! a character outside `[0-9A-Za-z-]` in identifiers, or anything between the numbers and `-`/`+`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::{cmp_digits, is_digits};

const SCHEME: &str = "semver";

/// One dot-separated identifier of a pre-release or of build metadata.
#[derive(Clone, Debug)]
pub(crate) enum Ident {
    /// Only digits: compared by value.
    Numeric(Box<str>),
    /// Anything else: compared as an ASCII string.
    Alpha(Box<str>),
}

impl Ident {
    fn new(s: &str) -> Ident {
        if is_digits(s) {
            Ident::Numeric(s.into())
        } else {
            Ident::Alpha(s.into())
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Ident::Numeric(s) | Ident::Alpha(s) => s,
        }
    }
}

/// SemVer identifier precedence: numbers by value, numbers before strings, strings by ASCII.
pub(crate) fn cmp_ident(a: &Ident, b: &Ident) -> Ordering {
    match (a, b) {
        (Ident::Numeric(x), Ident::Numeric(y)) => cmp_digits(x, y),
        (Ident::Numeric(_), Ident::Alpha(_)) => Ordering::Less,
        (Ident::Alpha(_), Ident::Numeric(_)) => Ordering::Greater,
        (Ident::Alpha(x), Ident::Alpha(y)) => x.cmp(y),
    }
}

/// A parsed semantic version (lenient as the module docs describe).
#[derive(Clone, Debug)]
pub struct SemverVersion {
    pub(crate) leading_v: bool,
    pub(crate) major: Box<str>,
    pub(crate) minor: Box<str>,
    pub(crate) patch: Box<str>,
    /// Numbers after the third, kept as written.
    pub(crate) extra: Box<[Box<str>]>,
    pub(crate) pre: Box<[Ident]>,
    pub(crate) build: Box<[Ident]>,
}

impl SemverVersion {
    /// Parses with the given scheme name in errors (`semver`, `go`, `pub`).
    pub(crate) fn parse_as(scheme: &'static str, s: &str) -> Result<SemverVersion, ParseError> {
        crate::check_text(scheme, s)?;
        let err = |reason: &'static str| ParseError::new(scheme, s, reason);
        let (leading_v, body) = match s.strip_prefix('v') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (body, build) = match body.split_once('+') {
            Some((body, build)) => (body, Some(build)),
            None => (body, None),
        };
        let (core, pre) = match body.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (body, None),
        };
        if core.is_empty() {
            return Err(err("no version number"));
        }
        let mut numbers = Vec::new();
        for part in core.split('.') {
            if part.is_empty() {
                return Err(err("empty version number"));
            }
            if !is_digits(part) {
                return Err(err("version numbers must be digits"));
            }
            numbers.push(part);
        }
        let idents = |text: Option<&str>, what: &'static str| -> Result<Box<[Ident]>, ParseError> {
            let Some(text) = text else {
                return Ok(Box::default());
            };
            text.split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        Err(ParseError::new(scheme, s, what))
                    } else {
                        Ok(Ident::new(id))
                    }
                })
                .collect()
        };
        let pre = idents(pre, "invalid pre-release identifier")?;
        let build = idents(build, "invalid build metadata identifier")?;
        let number = |i: usize| numbers.get(i).copied().unwrap_or("0").into();
        Ok(SemverVersion {
            leading_v,
            major: number(0),
            minor: number(1),
            patch: number(2),
            extra: numbers
                .iter()
                .skip(3)
                .map(|n| Box::<str>::from(*n))
                .collect(),
            pre,
            build,
        })
    }

    /// The major version number, as written.
    pub fn major(&self) -> &str {
        &self.major
    }

    /// The minor version number (`0` when not written).
    pub fn minor(&self) -> &str {
        &self.minor
    }

    /// The patch version number (`0` when not written).
    pub fn patch(&self) -> &str {
        &self.patch
    }

    /// True when the version has a pre-release part.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The pre-release identifiers.
    pub fn pre_release(&self) -> impl Iterator<Item = &str> {
        self.pre.iter().map(Ident::as_str)
    }

    /// The build metadata identifiers.
    pub fn build(&self) -> impl Iterator<Item = &str> {
        self.build.iter().map(Ident::as_str)
    }

    /// SemVer precedence: everything but build metadata (and numbers after the third).
    pub(crate) fn cmp_precedence(&self, other: &Self) -> Ordering {
        cmp_digits(&self.major, &other.major)
            .then_with(|| cmp_digits(&self.minor, &other.minor))
            .then_with(|| cmp_digits(&self.patch, &other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => crate::num::cmp_lexicographic(&self.pre, &other.pre, cmp_ident),
            })
    }
}

impl FromStr for SemverVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        SemverVersion::parse_as(SCHEME, s)
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_precedence(other)
    }
}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemverVersion {}

impl fmt::Display for SemverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.leading_v {
            f.write_str("v")?;
        }
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for n in &self.extra {
            write!(f, ".{n}")?;
        }
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            f.write_str(id.as_str())?;
        }
        for (i, id) in self.build.iter().enumerate() {
            f.write_str(if i == 0 { "+" } else { "." })?;
            f.write_str(id.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SemverVersion {
        s.parse().unwrap()
    }

    #[test]
    fn semver_spec_example_order() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn build_metadata_and_extra_numbers_are_ignored() {
        assert_eq!(v("1.2.3+a"), v("1.2.3+b"));
        assert_eq!(v("1.1.3.4.5"), v("1.1.3"));
        assert_eq!(v("v1.2"), v("1.2.0"));
        assert_eq!(v("1"), v("1.0.0"));
        assert_eq!(v("1.1.3.4.5").to_string(), "1.1.3.4.5");
        assert!(v("1.2.3-5-foo") > v("1.2.3-5"));
        assert!(v("1.2.3-r100") < v("1.2.3-r2"));
    }

    #[test]
    fn invalid_forms_are_rejected() {
        for bad in [
            "v",
            "1..2",
            "1.2.x",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3_4",
            "-1",
            "1.2.3beta",
            "V1.2.3",
            "1.2.3-ä",
        ] {
            assert!(
                bad.parse::<SemverVersion>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
