//! Hackage (Haskell) package versions, ordered like Cabal's `Version`.
//!
//! A version is one or more numbers separated by dots, compared as lists: by value, and a version
//! that extends another is newer (`1.0 > 1`, `1.0.0 > 1.0`), which is Haskell's list order and how
//! the Package Versioning Policy reads them. Parsing follows Cabal: each number has at most nine
//! digits and no leading zero (`0` itself is fine).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::{cmp_digits, cmp_lexicographic, is_digits};

const SCHEME: &str = "hackage";

/// A parsed Hackage version.
#[derive(Clone, Debug)]
pub struct HackageVersion {
    numbers: Box<[Box<str>]>,
}

impl FromStr for HackageVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        let err = |reason: &'static str| ParseError::new(SCHEME, s, reason);
        let mut numbers = Vec::new();
        for part in s.split('.') {
            if !is_digits(part) {
                return Err(err("expected numbers separated by dots"));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(err("version number with a leading zero"));
            }
            if part.len() > 9 {
                return Err(err("at most 9 digits are allowed per version number"));
            }
            numbers.push(Box::<str>::from(part));
        }
        Ok(HackageVersion {
            numbers: numbers.into_boxed_slice(),
        })
    }
}

impl Ord for HackageVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lexicographic(&self.numbers, &other.numbers, |a, b| cmp_digits(a, b))
    }
}

impl PartialOrd for HackageVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for HackageVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for HackageVersion {}

impl fmt::Display for HackageVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.numbers.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> HackageVersion {
        s.parse().unwrap()
    }

    #[test]
    fn list_order() {
        assert!(v("1.0") > v("1"));
        assert!(v("1.0.0") > v("1.0"));
        assert!(v("0.11.3.0") < v("1.0.0.0"));
        assert_eq!(v("0.1.0.0"), v("0.1.0.0"));
        for bad in ["1.", "01", "1.a", "1-2", "1234567890", ""] {
            assert!(
                bad.parse::<HackageVersion>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
