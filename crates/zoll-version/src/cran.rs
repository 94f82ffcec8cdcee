//! CRAN (and Bioconductor) package versions, ordered like R's `package_version`.
//!
//! R accepts numbers separated by `.` or `-` (`1.2-3`) and compares the lists of numbers
//! lexicographically: by value, and a version that extends another is newer
//! (`0.1.0 < 0.1.0.0`, `0.01.0 == 0.1-0`). R's `package_version` wants at least two numbers;
//! a single one is accepted here because OSV ranges start at `0`. Numbers have no size limit.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::{cmp_digits, cmp_lexicographic, is_digits, strip_zeros};

const SCHEME: &str = "cran";

/// A parsed CRAN version.
#[derive(Clone, Debug)]
pub struct CranVersion {
    numbers: Box<[Box<str>]>,
}

impl FromStr for CranVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        let numbers: Vec<&str> = s.split(['.', '-']).collect();
        if !numbers.iter().all(|n| is_digits(n)) {
            return Err(ParseError::new(
                SCHEME,
                s,
                "expected numbers separated by '.' or '-'",
            ));
        }
        Ok(CranVersion {
            numbers: numbers.into_iter().map(Into::into).collect(),
        })
    }
}

impl Ord for CranVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lexicographic(&self.numbers, &other.numbers, |a, b| cmp_digits(a, b))
    }
}

impl PartialOrd for CranVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for CranVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for CranVersion {}

/// The numbers joined with dots, as R prints a `package_version`.
impl fmt::Display for CranVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.numbers.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(strip_zeros(n))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> CranVersion {
        s.parse().unwrap()
    }

    #[test]
    fn r_package_version_order() {
        assert!(v("0.9") < v("0.75"));
        assert_eq!(v("0.01.0"), v("0.1-0"));
        assert!(v("0.1.0") < v("0.1.0.0"));
        assert!(v("1.0-0") < v("1.1-0"));
        assert_eq!(v("0.01-0").to_string(), "0.1.0");
        for bad in ["1.", "1..2", "1.a", "-1", "1_2", "v1.0"] {
            assert!(
                bad.parse::<CranVersion>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
