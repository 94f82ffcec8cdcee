//! Packagist (Composer) versions, ordered like PHP's `version_compare` after Composer's
//! normalisation.
//!
//! Composer strips a leading `v`/`V` from tags (`v1.0.0 == 1.0.0`) and hands the rest to PHP's
//! `version_compare` (ext/standard/versioning.c), which this module ports:
//! - canonicalisation: `-`, `_` and `+` become `.`, a `.` is inserted wherever digits and
//!   non-digits meet (`1.0rc1` -> `1.0.rc.1`), other characters that are not letters or digits
//!   become `.` too unless they follow a digit, and dots never double;
//! - the dot-separated parts compare pairwise: numbers by value; special forms by prefix as
//!   `dev < alpha = a < beta = b < RC = rc < # < pl = p`, anything else before `dev`; a number
//!   against a word compares the word with `#`;
//! - when one version has parts left over, a leading number there makes it newer, otherwise its
//!   remaining parts are compared with `#` (so `1.0 < 1.0.0`, `1.0rc1 < 1.0 < 1.0pl1`).
//!
//! Two differences are required by the OSV reference vectors: numbers compare with no size limit
//! (PHP clamps them with `strtol`, making all numbers past 2^63 equal), and `#` is kept as the
//! special form it names instead of becoming a separator (`1.2.3.# == 1.2.3.1`). A third fixes a
//! PHP bug found by fuzzing: PHP orders a version ending in a separator below itself
//! (`version_compare("1.", "1.") == -1`); here such a version equals itself and its empty last
//! part is older than any other.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::cmp_digits;

const SCHEME: &str = "packagist";

/// A parsed Packagist version: its canonical form.
#[derive(Clone, Debug)]
pub struct PackagistVersion {
    canonical: Box<[u8]>,
}

/// `php_canonicalize_version`, with `#` kept as a word character.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = v.split_first() else {
        return Vec::new();
    };
    // PHP compares a version that starts with `#` without canonicalizing it.
    if first == b'#' {
        return v.to_vec();
    }
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'#';
    let is_digit = |c: u8| c.is_ascii_digit();
    let is_non_digit = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut out = Vec::with_capacity(v.len() * 2);
    out.push(first);
    let mut prev = first;
    for &c in rest {
        let last = out.last().copied();
        if matches!(c, b'-' | b'_' | b'+') {
            if last != Some(b'.') {
                out.push(b'.');
            }
        } else if (is_non_digit(prev) && is_digit(c)) || (is_digit(prev) && is_non_digit(c)) {
            if last != Some(b'.') {
                out.push(b'.');
            }
            out.push(c);
        } else if !is_word(c) {
            if last != Some(b'.') {
                out.push(b'.');
            }
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// `compare_special_version_forms`' order of one part, by prefix (-1 for unknown words).
fn special_order(part: &[u8]) -> i8 {
    const FORMS: [(&[u8], i8); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| part.starts_with(name))
        .map_or(-1, |(_, order)| *order)
}

/// The order of `#N#`, PHP's stand-in for "a number".
const NUMBER: i8 = 4;

fn starts_with_digit(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_digit)
}

fn leading_digits(s: &[u8]) -> &str {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    // ASCII digits are valid UTF-8.
    std::str::from_utf8(&s[..n]).unwrap_or_default()
}

/// Splits off the part before the next `.`: (part, rest after the dot if there was one).
fn next_part(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == b'.') {
        Some(dot) => (&s[..dot], Some(&s[dot + 1..])),
        None => (s, None),
    }
}

/// `php_version_compare(rest, "#N#")`, written as a loop.
fn cmp_rest_with_number(mut rest: &[u8]) -> Ordering {
    loop {
        if rest.is_empty() {
            return Ordering::Less;
        }
        let (part, after) = next_part(rest);
        if !starts_with_digit(part) {
            let o = special_order(part).cmp(&NUMBER);
            if o != Ordering::Equal {
                return o;
            }
        }
        match after {
            None => return Ordering::Equal,
            Some(after) if starts_with_digit(after) => return Ordering::Greater,
            Some(after) => rest = after,
        }
    }
}

/// `php_version_compare` over two canonical versions.
fn php_version_compare(a: &[u8], b: &[u8]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => {}
    }
    let (mut p1, mut p2) = (a, b);
    // `n1`/`n2` in PHP: whether the part just compared was followed by a dot.
    let (mut n1, mut n2) = (true, true);
    while !p1.is_empty() && !p2.is_empty() && n1 && n2 {
        let (part1, after1) = next_part(p1);
        let (part2, after2) = next_part(p2);
        let order = match (starts_with_digit(part1), starts_with_digit(part2)) {
            (true, true) => cmp_digits(leading_digits(part1), leading_digits(part2)),
            (false, false) => special_order(part1).cmp(&special_order(part2)),
            (true, false) => NUMBER.cmp(&special_order(part2)),
            (false, true) => special_order(part1).cmp(&NUMBER),
        };
        if order != Ordering::Equal {
            return order;
        }
        n1 = after1.is_some();
        n2 = after2.is_some();
        if let Some(after) = after1 {
            p1 = after;
        }
        if let Some(after) = after2 {
            p2 = after;
        }
    }
    if n1 && n2 {
        // Both versions have parts left, so the loop stopped at an empty part: one (or both)
        // ended with a separator. PHP checks the first version's rest only, which makes `1.`
        // older than itself and `1.` and `1.a` each older than the other; here an empty rest is
        // older than any other rest and equal to another empty one.
        p2.is_empty().cmp(&p1.is_empty())
    } else if n1 {
        if starts_with_digit(p1) {
            Ordering::Greater
        } else {
            cmp_rest_with_number(p1)
        }
    } else if n2 {
        if starts_with_digit(p2) {
            Ordering::Less
        } else {
            cmp_rest_with_number(p2).reverse()
        }
    } else {
        Ordering::Equal
    }
}

impl FromStr for PackagistVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        let bytes = s.as_bytes();
        let bytes = match bytes {
            [b'v' | b'V', d, ..] if d.is_ascii_digit() => &bytes[1..],
            _ => bytes,
        };
        Ok(PackagistVersion {
            canonical: canonicalize(bytes).into_boxed_slice(),
        })
    }
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        php_version_compare(&self.canonical, &other.canonical)
    }
}

impl PartialOrd for PackagistVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PackagistVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PackagistVersion {}

/// The canonical form `version_compare` works on.
impl fmt::Display for PackagistVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.canonical))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PackagistVersion {
        s.parse().unwrap()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(v("1.0rc1").to_string(), "1.0.rc.1");
        assert_eq!(v("v1.0-beta_2+x").to_string(), "1.0.beta.2.x");
        assert_eq!(v("1.0..2").to_string(), "1.0.2");
        assert_eq!(v("1.2.3.#").to_string(), "1.2.3.#");
        assert_eq!(v("dev-main").to_string(), "dev.main");
    }

    #[test]
    fn php_special_forms() {
        let order = [
            "1.0-dev", "1.0a1", "1.0b1", "1.0RC1", "1.0", "1.0pl1", "1.1",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert!(v("1.0") < v("1.0.0"));
        assert!(v("1.0-foo") < v("1.0-dev"));
        assert_eq!(v("1.0RC1"), v("1.0rc1"));
        assert!(v("1.0Rc1") < v("1.0rc1"));
        assert!(v("1.0.") < v("1.0"));
        // Regressions from fuzzing: PHP says each of these is older than itself.
        for s in ["%~", "1.", "1.0-", "a."] {
            assert_eq!(v(s).cmp(&v(s)), Ordering::Equal, "{s}");
        }
        assert!(v("1.") < v("1.a"));
        assert!(v("1.a") > v("1."));
        assert!(v("1.") < v("1.5"));
        assert_eq!(v("1.2.3.#"), v("1.2.3.1"));
        assert!(v("999999999999999999999999999991") < v("999999999999999999999999999999"));
    }
}
