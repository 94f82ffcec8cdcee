//! RubyGems versions, ordered like `Gem::Version#<=>`.
//!
//! Every `-` becomes `.pre.`, then the version is cut into segments: runs of digits (numbers) and
//! runs of letters (strings); dots only separate. The canonical segments drop trailing zeros from
//! the leading numbers and from the part after the first string, so `1.0 == 1` and
//! `1.0.a.0 == 1.a`. Segments compare pairwise, a missing one counting as `0`: numbers by value,
//! strings byte-wise (case matters), and a string is older than a number (`1.0.a < 1.0`).
//!
//! Accepted is Gem's `VERSION_PATTERN`
//! (`[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`), widened to let letters follow
//! the first number directly (`1beta`, which the OSV reference vectors compare and whose segments
//! Gem would read the same way); numbers have no size limit.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::cmp_digits;

const SCHEME: &str = "rubygems";

#[derive(Clone, Debug)]
enum Segment {
    Number(Box<str>),
    Text(Box<str>),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if crate::num::is_zero(n))
    }
}

/// Compares two segments, a missing one counting as the number 0.
fn cmp_segment(a: Option<&Segment>, b: Option<&Segment>) -> Ordering {
    fn view(s: Option<&Segment>) -> (bool, &str) {
        match s {
            None => (true, ""),
            Some(Segment::Number(n)) => (true, n),
            Some(Segment::Text(t)) => (false, t),
        }
    }
    match (view(a), view(b)) {
        ((true, x), (true, y)) => cmp_digits(x, y),
        ((false, _), (true, _)) => Ordering::Less,
        ((true, _), (false, _)) => Ordering::Greater,
        ((false, x), (false, y)) => x.cmp(y),
    }
}

/// A parsed RubyGems version.
#[derive(Clone, Debug)]
pub struct GemVersion {
    /// The canonical segments.
    segments: Box<[Segment]>,
}

impl GemVersion {
    /// True when the version has a string segment (`1.0.a`, `1.0-rc1`).
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }
}

/// Gem's pattern with letters allowed right after the first number.
fn valid(s: &str) -> bool {
    let (release, pre) = match s.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (s, None),
    };
    let mut parts = release.split('.');
    let first_ok = parts.next().is_some_and(|p| {
        p.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && p.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|pre| {
        pre.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

fn segments(s: &str) -> Vec<Segment> {
    let version = s.replace('-', ".pre.");
    let mut out = Vec::new();
    let bytes = version.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let digit = bytes[i].is_ascii_digit();
        let len = bytes[i..]
            .iter()
            .take_while(|b| {
                if digit {
                    b.is_ascii_digit()
                } else {
                    b.is_ascii_alphabetic()
                }
            })
            .count();
        if len == 0 {
            i += 1;
            continue;
        }
        let text = &version[i..i + len];
        out.push(if digit {
            Segment::Number(text.into())
        } else {
            Segment::Text(text.into())
        });
        i += len;
    }
    // canonical_segments: trailing zeros go from the numeric release and from the rest.
    let split = out
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(out.len());
    let mut rest = out.split_off(split);
    while out.last().is_some_and(Segment::is_zero) {
        out.pop();
    }
    while rest.last().is_some_and(Segment::is_zero) {
        rest.pop();
    }
    out.extend(rest);
    out
}

impl FromStr for GemVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        if !valid(s) {
            return Err(ParseError::new(
                SCHEME,
                s,
                "malformed version number string",
            ));
        }
        Ok(GemVersion {
            segments: segments(s).into_boxed_slice(),
        })
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.segments, &other.segments);
        for i in 0..a.len().max(b.len()) {
            let o = cmp_segment(a.get(i), b.get(i));
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

/// The canonical segments joined with dots.
impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("0");
        }
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match segment {
                Segment::Number(n) => f.write_str(crate::num::strip_zeros(n))?,
                Segment::Text(t) => f.write_str(t)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GemVersion {
        s.parse().unwrap()
    }

    #[test]
    fn gem_version_order() {
        assert!(v("1.0.a") < v("1.0"));
        assert!(v("1.0.a10") > v("1.0.a9"));
        assert_eq!(v("1.0.a2"), v("1.0.a.2"));
        assert_eq!(v("1.0"), v("1"));
        assert_eq!(v("1.0.a.0"), v("1.a"));
        assert!(v("1.0.0-rc1") < v("1.0.0"));
        assert_eq!(v("1.0.0-rc1"), v("1.0.0.pre.rc1"));
        assert!(v("1.0.B") < v("1.0.a"));
        assert!(v("3.2") < v("3.10"));
        assert!(v("1beta") < v("1"));
        assert_eq!(v("1.0.a.0").to_string(), "1.a");
    }

    #[test]
    fn malformed_versions_are_rejected() {
        for bad in ["a", "1..2", "1.", ".1", "1_2", "1.0-", "1.0-a..b", "beta1"] {
            assert!(
                bad.parse::<GemVersion>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
