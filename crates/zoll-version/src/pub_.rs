//! Dart Pub versions, ordered like `package:pub_semver`.
//!
//! pub_semver's `Version.compareTo` is SemVer precedence plus one rule: build metadata takes part.
//! A version without a build sorts before the same version with one (`1.0.0 < 1.0.0+build`), and
//! builds compare like pre-releases (numbers by value and before strings, strings as text, the
//! longer list wins). The grammar is [`crate::semver`]'s lenient one; numbers after the third are
//! treated as leading build identifiers. pub_semver parses identifiers with Dart's `int.tryParse`,
//! which stops at 64 bits; here digits of any length are numbers.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::cmp_digits;
use crate::semver::{Ident, SemverVersion};

const SCHEME: &str = "pub";

/// A parsed Pub version.
#[derive(Clone, Debug)]
pub struct PubVersion(SemverVersion);

impl PubVersion {
    /// The SemVer view of this version.
    pub fn semver(&self) -> &SemverVersion {
        &self.0
    }

    fn build_len(&self) -> usize {
        self.0.extra.len() + self.0.build.len()
    }

    /// Build identifier `i` as (is it a number, text): the numbers after the third come first.
    fn build_item(&self, i: usize) -> Option<(bool, &str)> {
        if let Some(n) = self.0.extra.get(i) {
            return Some((true, n));
        }
        let id = self.0.build.get(i - self.0.extra.len())?;
        Some((matches!(id, Ident::Numeric(_)), id.as_str()))
    }
}

/// pub_semver's `_compareLists` item order: numbers by value, numbers before strings.
fn cmp_build_item(a: (bool, &str), b: (bool, &str)) -> Ordering {
    match (a, b) {
        ((true, x), (true, y)) => cmp_digits(x, y),
        ((true, _), (false, _)) => Ordering::Less,
        ((false, _), (true, _)) => Ordering::Greater,
        ((false, x), (false, y)) => x.cmp(y),
    }
}

impl FromStr for PubVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        SemverVersion::parse_as(SCHEME, s).map(PubVersion)
    }
}

impl Ord for PubVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0).then_with(|| {
            let (n, m) = (self.build_len(), other.build_len());
            match (n, m) {
                (0, 0) => Ordering::Equal,
                (0, _) => Ordering::Less,
                (_, 0) => Ordering::Greater,
                _ => {
                    for i in 0..n.min(m) {
                        if let (Some(a), Some(b)) = (self.build_item(i), other.build_item(i)) {
                            let o = cmp_build_item(a, b);
                            if o != Ordering::Equal {
                                return o;
                            }
                        }
                    }
                    n.cmp(&m)
                }
            }
        })
    }
}

impl PartialOrd for PubVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PubVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PubVersion {}

impl fmt::Display for PubVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PubVersion {
        s.parse().unwrap()
    }

    #[test]
    fn build_metadata_orders() {
        assert!(v("1.0.0-pre") < v("1.0.0-pre+build"));
        assert!(v("1.0.0-pre+build") < v("1.0.0"));
        assert!(v("1.0.0") < v("1.0.0+build"));
        assert!(v("1.2.3+1") < v("1.2.3+2"));
        assert!(v("1.2.3+9") < v("1.2.3+10"));
        assert!(v("1.2.3+900") < v("1.2.3+a"));
        assert!(v("1.2.3+a") < v("1.2.3+a.1"));
        assert!(v("1.2.3+9a") > v("1.2.3+1z"));
        assert_eq!(v("1.2.3+b"), v("1.2.3+b"));
    }

    #[test]
    fn extra_numbers_lead_the_build() {
        assert_eq!(v("1.1.3.4.5"), v("1.1.3.4.5"));
        assert!(v("1.1.3.4") > v("1.1.3"));
        assert!(v("1.1.3.4") < v("1.1.3.5"));
        assert_eq!(v("1.1.3.4"), v("1.1.3+4"));
        assert!(v("1.1.3.4") < v("1.1.3+a"));
        assert!(v("1.1.3+a") > v("1.1.3.4"));
        assert!(v("1.1.3.4+a") > v("1.1.3.4"));
    }
}
