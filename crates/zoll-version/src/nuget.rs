//! NuGet package versions, ordered like `NuGet.Versioning.NuGetVersion` with its default
//! `VersionComparer`.
//!
//! A NuGet version has one to four numbers (`major[.minor[.patch[.revision]]]`, missing ones are
//! `0`, leading zeros allowed: `1.0.01 == 1.0.1.0`), an optional release label after `-` and
//! optional metadata after `+`, which does not take part in the order. A version with a release
//! label is older than the same version without one; labels compare identifier by identifier:
//! both numeric (as `Int32.TryParse` reads them) by value, numeric before text, text ignoring
//! ASCII case; the longer label wins when one is a prefix of the other.
//!
//! NuGet keeps its numbers in 32-bit integers; here they have no size limit (the OSV vectors
//! compare 30-digit versions). Release-label identifiers follow NuGet exactly: one too large for
//! `Int32` compares as text.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::{cmp_digits, is_digits, strip_zeros};

const SCHEME: &str = "nuget";

/// A parsed NuGet version.
#[derive(Clone, Debug)]
pub struct NuGetVersion {
    numbers: [Box<str>; 4],
    release: Box<[Label]>,
    metadata: Option<Box<str>>,
}

#[derive(Clone, Debug)]
struct Label {
    text: Box<str>,
    /// The value when `Int32.TryParse` accepts the label.
    number: Option<i32>,
}

impl Label {
    fn new(text: &str) -> Label {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let number = if is_digits(digits) {
            text.parse::<i32>().ok()
        } else {
            None
        };
        Label {
            text: text.into(),
            number,
        }
    }
}

fn cmp_label(a: &Label, b: &Label) -> Ordering {
    match (a.number, b.number) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => {
            // `StringComparer.OrdinalIgnoreCase`; labels are ASCII.
            let (x, y) = (a.text.as_bytes(), b.text.as_bytes());
            for (p, q) in x.iter().zip(y) {
                let o = p.to_ascii_uppercase().cmp(&q.to_ascii_uppercase());
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
    }
}

impl NuGetVersion {
    /// True when the version has a release label.
    pub fn is_prerelease(&self) -> bool {
        !self.release.is_empty()
    }

    /// The metadata after `+`, if any.
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_deref()
    }
}

fn valid_identifiers(text: &str) -> bool {
    text.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl FromStr for NuGetVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        let err = |reason: &'static str| ParseError::new(SCHEME, s, reason);
        let (rest, metadata) = match s.split_once('+') {
            Some((rest, metadata)) => (rest, Some(metadata)),
            None => (s, None),
        };
        if metadata.is_some_and(|m| !valid_identifiers(m)) {
            return Err(err("invalid metadata"));
        }
        let (core, release) = match rest.split_once('-') {
            Some((core, release)) => (core, Some(release)),
            None => (rest, None),
        };
        if release.is_some_and(|r| !valid_identifiers(r)) {
            return Err(err("invalid release label"));
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 4 {
            return Err(err("more than four version numbers"));
        }
        if !parts.iter().all(|p| is_digits(p)) {
            return Err(err("version numbers must be digits"));
        }
        let number = |i: usize| -> Box<str> { parts.get(i).map_or("0", |p| strip_zeros(p)).into() };
        Ok(NuGetVersion {
            numbers: [number(0), number(1), number(2), number(3)],
            release: release
                .map(|r| r.split('.').map(Label::new).collect())
                .unwrap_or_default(),
            metadata: metadata.map(Into::into),
        })
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.numbers.iter().zip(&other.numbers) {
            let o = cmp_digits(a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        match (self.release.is_empty(), other.release.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                crate::num::cmp_lexicographic(&self.release, &other.release, cmp_label)
            }
        }
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

/// The normalized form NuGet prints (`ToNormalizedString`): at least three numbers, the fourth
/// only when it is not zero, then the release label and the metadata.
impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = &self.numbers;
        write!(f, "{a}.{b}.{c}")?;
        if !crate::num::is_zero(d) {
            write!(f, ".{d}")?;
        }
        for (i, label) in self.release.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            f.write_str(&label.text)?;
        }
        if let Some(metadata) = &self.metadata {
            write!(f, "+{metadata}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> NuGetVersion {
        s.parse().unwrap()
    }

    #[test]
    fn four_part_versions_and_labels() {
        assert_eq!(v("1.0"), v("1.0.0.0"));
        assert_eq!(v("1.0.01"), v("1.0.1.0"));
        assert!(v("1.0.0") < v("1.0.0.1-alpha"));
        assert!(v("1.0.0-pre") < v("1.0.0.1-alpha"));
        assert_eq!(v("1.0.0-BETA"), v("1.0.0-beta"));
        assert!(v("1.0.0-beta.2") < v("1.0.0-beta.10"));
        assert!(v("1.0.0-beta.9") < v("1.0.0-beta.a"));
        assert!(v("1.0.0-beta.2147483648") > v("1.0.0-beta.2147483647"));
        // Too large for Int32, so it is text, and text sorts after numbers.
        assert!(v("1.0.0-beta.2147483648") > v("1.0.0-beta.3"));
        assert_eq!(v("1.0.0+AA"), v("1.0.0+bb"));
        assert_eq!(v("1.0.01-Beta+x").to_string(), "1.0.1-Beta+x");
        assert_eq!(v("1.2.3.4").to_string(), "1.2.3.4");
    }

    #[test]
    fn invalid_forms_are_rejected() {
        for bad in [
            "1.2.3.4.5",
            "1..2",
            "v1.0",
            "1.0-",
            "1.0+",
            "1.0-a..b",
            "1.0-ä",
            "a",
            "1.0.x",
        ] {
            assert!(
                bad.parse::<NuGetVersion>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
