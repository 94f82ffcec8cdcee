//! RPM versions (`[epoch:]version[-release]`), ordered like rpm's `rpmvercmp`.
//!
//! Splitting follows rpm's `parseEVR`: an epoch is the leading digits when a colon follows them
//! (`a:1` has no epoch, its version is `a:1`), and the release is what follows the last hyphen.
//! Each part is compared with `rpmvercmp` (rpmio/rpmvercmp.c): separators (anything but ASCII
//! letters, digits, `~` and `^`) only split segments, `~` sorts before everything, `^` sorts after
//! the end of the other version but before anything else, numeric segments beat alphabetic ones
//! and compare as numbers of any length, and when everything matched the version with segments
//! left over is newer.
//!
//! One rule is ours: when only one side has a release, rpm's `rpmverCmp` does not compare releases
//! at all (an absent release is a wildcard when matching dependencies). A wildcard is not an order,
//! so here an absent release sorts before every present one (`1 < 1-0`), as the OSV reference
//! vectors expect.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;

const SCHEME: &str = "rpm";

/// A parsed RPM epoch-version-release.
#[derive(Clone, Debug)]
pub struct RpmVersion {
    epoch: Option<Box<str>>,
    version: Box<str>,
    release: Option<Box<str>>,
}

impl RpmVersion {
    /// The epoch digits, if the version has an epoch (rpm compares a missing one as `0`).
    pub fn epoch(&self) -> Option<&str> {
        self.epoch.as_deref()
    }

    /// The version part.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release part after the last hyphen, if any.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

impl FromStr for RpmVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
            let epoch = if digits == 0 { "0" } else { &s[..digits] };
            (Some(epoch.into()), &s[digits + 1..])
        } else {
            (None, s)
        };
        let (version, release) = match rest.rfind('-') {
            Some(hyphen) => (&rest[..hyphen], Some(rest[hyphen + 1..].into())),
            None => (rest, None),
        };
        Ok(RpmVersion {
            epoch,
            version: version.into(),
            release,
        })
    }
}

/// rpm's `rpmvercmp` over two version or release strings.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let is_sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // The tilde sorts before everything else, even the end of the version.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // The caret sorts after the end of the other version, before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(first), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = first.is_ascii_digit();
        let class = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let end_a = i + a[i..].iter().take_while(|c| class(c)).count();
        let end_b = j + b[j..].iter().take_while(|c| class(c)).count();
        if end_b == j {
            // Segments of different types: the numeric one is newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[i..end_a], &b[j..end_b]);
        let order = if numeric {
            // Both slices are ASCII digits, so this is valid UTF-8.
            crate::num::cmp_digits(
                std::str::from_utf8(sa).unwrap_or_default(),
                std::str::from_utf8(sb).unwrap_or_default(),
            )
        } else {
            sa.cmp(sb)
        };
        if order != Ordering::Equal {
            return order;
        }
        i = end_a;
        j = end_b;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, _) => Ordering::Greater,
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let e1 = self.epoch.as_deref().unwrap_or("0");
        let e2 = other.epoch.as_deref().unwrap_or("0");
        rpmvercmp(e1, e2)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(r1), Some(r2)) => rpmvercmp(r1, r2),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

impl fmt::Display for RpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(epoch) = &self.epoch {
            write!(f, "{epoch}:")?;
        }
        f.write_str(&self.version)?;
        if let Some(release) = &self.release {
            write!(f, "-{release}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> RpmVersion {
        s.parse().unwrap()
    }

    #[test]
    fn caret_sorts_after_the_base_version_and_before_the_next() {
        assert!(v("1.0^") > v("1.0"));
        assert!(v("1.0^git1") > v("1.0"));
        assert!(v("1.0^git1") < v("1.0.1"));
        assert!(v("1.0^git1") < v("1.01"));
        assert!(v("1.0^git1") < v("1.0^git2"));
        assert!(v("1.0^20160101^git1") < v("1.0^20160102"));
        assert!(v("1.0~rc1^git1") > v("1.0~rc1"));
        assert!(v("1.0^git1~pre") < v("1.0^git1"));
    }

    #[test]
    fn tilde_sorts_before_the_base_version() {
        assert!(v("1.0~rc1") < v("1.0"));
        assert!(v("1.0~rc1") < v("1.0~rc2"));
        assert!(v("1.0~rc1~git123") < v("1.0~rc1"));
    }

    #[test]
    fn epochs_and_releases() {
        assert!(v("1:1.0") > v("2.0"));
        assert_eq!(v("0:1.0-1"), v("1.0-1"));
        assert_eq!(v("01:2"), v("1:2"));
        assert_eq!(v("a:1").epoch(), None);
        assert_eq!(v("a:1").version(), "a:1");
        assert_eq!(v(":1").epoch(), Some("0"));
        assert_eq!(v("1.0-2-3").release(), Some("3"));
        assert!(v("1.0") < v("1.0-0"));
        assert!(v("1.0-1.el7") < v("1.0-1.el8"));
        assert!(v("1.0-999999999999999999999999999991") < v("1.0-999999999999999999999999999999"));
    }

    /// Versions made of the pieces RPM versions are made of (`~`, `^`, letters, separators).
    fn generate(seed: &mut u64, with_release: bool) -> String {
        const PIECES: &[&str] = &[
            "0",
            "1",
            "2",
            "9",
            "10",
            "010",
            "99999999999999999999",
            ".",
            ".",
            "_",
            "+",
            "~",
            "^",
            "a",
            "b",
            "el8",
            "Z",
            "git",
            "rc",
        ];
        let mut next = |n: usize| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed % n as u64) as usize
        };
        let mut s = String::new();
        if next(5) == 0 {
            s.push_str(["1:", "0:", "2:", "01:"][next(4)]);
        }
        for _ in 0..=next(6) {
            s.push_str(PIECES[next(PIECES.len())]);
        }
        if with_release {
            s.push('-');
            for _ in 0..=next(3) {
                s.push_str(PIECES[next(PIECES.len())]);
            }
        }
        s
    }

    #[test]
    fn agrees_with_rpm_vercmp() {
        let mut seed = 0x00c0_ffee_u64;
        let mut pairs = vec![
            ("1.0~rc1".to_owned(), "1.0".to_owned()),
            ("1.0^git1".to_owned(), "1.0.1".to_owned()),
        ];
        for i in 0..400 {
            let with_release = i % 2 == 0;
            pairs.push((
                generate(&mut seed, with_release),
                generate(&mut seed, with_release),
            ));
        }
        let table: Vec<String> = pairs
            .iter()
            .map(|(a, b)| format!("{{\"{a}\",\"{b}\"}}"))
            .collect();
        let script = format!(
            "%{{lua: for _,p in ipairs({{{}}}) do print(rpm.vercmp(p[1],p[2])..\"\\n\") end}}",
            table.join(",")
        );
        let out = std::process::Command::new("rpm").args(["--eval", &script]).output().unwrap_or_else(|e| {
            panic!("cannot run `rpm` ({e}); this test checks against the real rpmvercmp: install it (apt-get install rpm)")
        });
        assert!(
            out.status.success(),
            "rpm --eval failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let results: Vec<i32> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.trim().parse().unwrap())
            .collect();
        assert_eq!(results.len(), pairs.len(), "rpm printed {results:?}");
        for outcome in [-1, 0, 1] {
            assert!(
                results.contains(&outcome),
                "the generated pairs never gave {outcome}"
            );
        }
        let mut disagreements = Vec::new();
        for ((a, b), theirs) in pairs.iter().zip(results) {
            let ours = v(a).cmp(&v(b));
            if ours != theirs.cmp(&0) {
                disagreements.push(format!("{a} vs {b}: rpm {theirs}, ours {ours:?}"));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} disagreements with rpm:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
    }

    #[test]
    fn separators_and_non_ascii_only_split() {
        assert_eq!(v("2_0"), v("2.0"));
        assert_eq!(v("1.1.α"), v("1.1.β"));
        assert!(v("1.1.α") < v("1.1.a"));
        assert!(v("1.0a") > v("1.0"));
        assert!(v("1.0") > v("1.a"));
    }
}
