//! Digit strings as unbounded numbers: the one numeric comparison every scheme here shares.
//!
//! Version components are kept as the digits they were written with and compared without ever
//! converting them to a machine integer, so a 30-digit component neither overflows nor panics.

use std::cmp::Ordering;

/// Compares two strings of ASCII digits by numeric value: leading zeros are ignored, then the
/// longer number is the larger one, then the digits decide. An empty string counts as zero.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// True when `s` is one or more ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// True when the digit string `s` has the value zero (an empty string counts as zero).
pub(crate) fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// The digits of `s` without leading zeros, keeping a single `0` for zero.
pub(crate) fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() && !s.is_empty() {
        &s[s.len() - 1..]
    } else {
        t
    }
}

/// Compares two slices item by item with `cmp`; when one is a prefix of the other, the shorter
/// one is the smaller (the order of tuples in Python and lists in Haskell or R).
pub(crate) fn cmp_lexicographic<T>(
    a: &[T],
    b: &[T],
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = cmp(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_compare_by_value_not_width() {
        assert_eq!(cmp_digits("9", "10"), Ordering::Less);
        assert_eq!(cmp_digits("010", "10"), Ordering::Equal);
        assert_eq!(cmp_digits("", "0"), Ordering::Equal);
        assert_eq!(
            cmp_digits(
                "999999999999999999999999999991",
                "999999999999999999999999999999"
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp_digits("18446744073709551616", "18446744073709551615"),
            Ordering::Greater
        );
    }

    #[test]
    fn zeros_are_stripped_to_one() {
        assert_eq!(strip_zeros("000"), "0");
        assert_eq!(strip_zeros("007"), "7");
        assert_eq!(strip_zeros("70"), "70");
        assert!(is_zero("000"));
        assert!(!is_zero("010"));
        assert!(is_digits("0123"));
        assert!(!is_digits(""));
        assert!(!is_digits("1a"));
    }
}
