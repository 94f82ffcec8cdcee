//! PyPI versions: PEP 440, with pre-PEP 440 "legacy" versions ordered below every valid one.
//!
//! Valid PEP 440 versions are parsed and ordered by the `pep440_rs` crate (the parser behind uv),
//! which implements the specification and its normalisations (`1.0-1` is a post-release,
//! `1.0.alpha` is `1.0a0`, `1.0.DEV4` is `1.0.dev4`, `v1.0` is `1.0`, local versions compare by
//! segment). One limit comes with it: `pep440_rs` keeps numbers in `u64`, so a version with a
//! number of 20 or more digits is not valid for it and gets the legacy order below; no release on
//! PyPI uses such numbers.
//!
//! Anything else is a legacy version, ordered as the `packaging` library's `LegacyVersion` did
//! (packaging < 22, the rules pip used for years): every legacy version sorts before every PEP 440
//! version, and legacy versions compare by the key `_legacy_cmpkey` builds (the version lower-cased
//! and cut into numbers, words, `.` and `-`; numbers zero-padded to eight digits, `pre`/`preview`/
//! `rc` spelled `c`, `dev` spelled `@`, `-` spelled `final-`, trailing zeros and `final-` before a
//! pre-release word dropped, `*final` appended; Python's `\d` also takes non-ASCII digits, which
//! here count as other characters). Keeping legacy versions orderable rather than rejecting them
//! matters because old advisories and old installed packages carry them.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;

const SCHEME: &str = "pypi";

/// A parsed PyPI version.
#[derive(Clone, Debug)]
pub struct PypiVersion(Inner);

#[derive(Clone, Debug)]
enum Inner {
    /// Declared first: a legacy version sorts before every PEP 440 version.
    Legacy(Box<[Box<str>]>),
    Pep440(pep440_rs::Version),
}

impl PypiVersion {
    /// The PEP 440 version, unless this is a legacy version.
    pub fn pep440(&self) -> Option<&pep440_rs::Version> {
        match &self.0 {
            Inner::Pep440(v) => Some(v),
            Inner::Legacy(_) => None,
        }
    }

    /// True for a version PEP 440 does not accept (ordered by the legacy rules).
    pub fn is_legacy(&self) -> bool {
        matches!(self.0, Inner::Legacy(_))
    }
}

/// One piece of `packaging`'s `_legacy_version_component_re.split`: a match of
/// `(\d+|[a-z]+|\.|-)` or the text between two matches.
fn legacy_pieces(s: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let bytes = s.as_bytes();
    let (mut i, mut gap_start) = (0, 0);
    while i < bytes.len() {
        let c = bytes[i];
        let len = if c.is_ascii_digit() {
            bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count()
        } else if c.is_ascii_lowercase() {
            bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_lowercase())
                .count()
        } else if c == b'.' || c == b'-' {
            1
        } else {
            0
        };
        if len == 0 {
            i += 1;
            continue;
        }
        if gap_start < i {
            pieces.push(&s[gap_start..i]);
        }
        pieces.push(&s[i..i + len]);
        i += len;
        gap_start = i;
    }
    if gap_start < bytes.len() {
        pieces.push(&s[gap_start..]);
    }
    pieces
}

/// `packaging.version._legacy_cmpkey` (without the constant epoch of -1).
fn legacy_key(version: &str) -> Vec<Box<str>> {
    let lower = version.to_lowercase();
    let mut parts: Vec<Box<str>> = Vec::new();
    let pieces = legacy_pieces(&lower);
    let normalized = pieces.into_iter().filter_map(|piece| {
        let piece = match piece {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if piece.is_empty() || piece == "." {
            None
        } else if piece.as_bytes()[0].is_ascii_digit() {
            Some(format!("{piece:0>8}"))
        } else {
            Some(format!("*{piece}"))
        }
    });
    for part in normalized.chain(std::iter::once("*final".to_owned())) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| &**p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| &**p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part.into());
    }
    parts
}

impl FromStr for PypiVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        Ok(PypiVersion(match pep440_rs::Version::from_str(s) {
            Ok(v) => Inner::Pep440(v),
            Err(_) => Inner::Legacy(legacy_key(s).into_boxed_slice()),
        }))
    }
}

impl Ord for PypiVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Inner::Pep440(a), Inner::Pep440(b)) => a.cmp(b),
            (Inner::Legacy(a), Inner::Legacy(b)) => a.cmp(b),
            (Inner::Legacy(_), Inner::Pep440(_)) => Ordering::Less,
            (Inner::Pep440(_), Inner::Legacy(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for PypiVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PypiVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PypiVersion {}

/// The normalized PEP 440 form, or for a legacy version its comparison key.
impl fmt::Display for PypiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Pep440(v) => v.fmt(f),
            Inner::Legacy(parts) => f.write_str(&parts.join(" ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PypiVersion {
        s.parse().unwrap()
    }

    #[test]
    fn pep440_order_and_normalisation() {
        let order = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.1.dev1",
            "1!0.1",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0.alpha"), v("1.0a0"));
        assert_eq!(v("1.0-1"), v("1.0.post1"));
        assert_eq!(v("v1.0"), v("1.0"));
        assert_eq!(v("1.0.C1"), v("1.0rc1"));
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("1.0.DEV4").to_string(), "1.0.dev4");
    }

    #[test]
    fn legacy_versions_sort_first() {
        assert!(v("0.1-bulbasaur").is_legacy());
        assert!(v("0.1-bulbasaur") < v("0.1-charmander"));
        assert!(v("999-whatever") < v("0.0.1"));
        assert!(v("-class.-jw.util.version.version-dev") < v("1.0"));
        assert!(!v("1.0-dev").is_legacy());
        assert!(v("1.0-final").is_legacy());
        assert!(v("1.0-final") < v("0.0.1.dev1"));
        // The "_" between matches is a piece of its own, and "*_" sorts before "*final-".
        assert!(v("1.0_final") < v("1.0-final"));
    }

    #[test]
    fn legacy_key_matches_packaging() {
        let key = |s: &str| {
            legacy_key(s)
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(key("1.0-dev"), "00000001 *@ *final");
        assert_eq!(key("0.1-bulbasaur"), "00000000 00000001 *bulbasaur *final");
        assert_eq!(key("2.0b1pl0"), "00000002 *b 00000001 *pl *final");
        assert_eq!(key("1.0_1"), "00000001 *_ 00000001 *final");
        assert_eq!(key("1.0-final"), "00000001 *final- *final *final");
    }
}
