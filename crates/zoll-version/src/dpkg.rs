//! Debian package versions (`[epoch:]upstream[-revision]`), ordered like dpkg's `verrevcmp`.
//!
//! Parsing follows dpkg's `parseversion` (lib/dpkg/parsehelp.c): its errors are errors here
//! (empty version, an epoch that is empty, not a number, negative or above `INT_MAX`, nothing after
//! the colon, an empty revision or upstream version), and what dpkg only warns about (an upstream
//! version that does not start with a digit, characters outside the allowed set) is accepted,
//! exactly as `dpkg --compare-versions` goes on comparing after the warning.
//!
//! Comparison is `verrevcmp`: runs of non-digits are compared character by character with `~`
//! sorting before everything (even the end of the string), letters before other characters, then
//! runs of digits are compared as numbers of any length. A byte outside ASCII is ordered by its
//! value between the letters and the ASCII punctuation, which is what dpkg does on platforms where
//! `char` is signed (x86, where `dpkg --compare-versions` is checked against this code).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;

const SCHEME: &str = "dpkg";

/// A parsed Debian version.
#[derive(Clone, Debug)]
pub struct DpkgVersion {
    epoch: u32,
    upstream: Box<str>,
    revision: Box<str>,
}

impl DpkgVersion {
    /// The epoch (0 when the version has none).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version: everything between the epoch and the last hyphen.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision after the last hyphen (empty when there is none; dpkg orders a missing
    /// revision like `0`).
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl FromStr for DpkgVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        let err = |reason: &'static str| ParseError::new(SCHEME, s, reason);
        let (epoch, rest) = match s.find(':') {
            Some(colon) => (parse_epoch(&s[..colon]).map_err(err)?, &s[colon + 1..]),
            None => (0, s),
        };
        if s.contains(':') && rest.is_empty() {
            return Err(err("nothing after colon in version number"));
        }
        let (upstream, revision) = match rest.rfind('-') {
            Some(hyphen) => {
                let revision = &rest[hyphen + 1..];
                if revision.is_empty() {
                    return Err(err("revision number is empty"));
                }
                (&rest[..hyphen], revision)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("version number is empty"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.into(),
            revision: revision.into(),
        })
    }
}

/// The epoch as dpkg reads it with `strtol`: an optional sign, then digits up to the colon.
fn parse_epoch(text: &str) -> Result<u32, &'static str> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return Err("epoch in version is empty");
    }
    if end != digits.len() {
        return Err("epoch in version is not number");
    }
    let value = crate::num::strip_zeros(digits);
    if negative && value != "0" {
        return Err("epoch in version is negative");
    }
    if crate::num::cmp_digits(value, "2147483647") == Ordering::Greater {
        return Err("epoch in version is too big");
    }
    value
        .parse::<u32>()
        .map_err(|_| "epoch in version is too big")
}

/// dpkg's `order()`: the weight of one byte of a non-digit run (0 stands for the end).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        // A signed `char` holding a byte >= 0x80 is negative, and `c + 256` gives back the byte.
        Some(c) if c >= 0x80 => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` over two upstream versions or two revisions.
pub(crate) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(a, i) && is_digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(a, i) {
            return Ordering::Greater;
        }
        if is_digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> DpkgVersion {
        s.parse().unwrap()
    }

    #[test]
    fn tilde_sorts_before_everything_even_the_end() {
        assert!(v("1.0~rc1") < v("1.0"));
        assert!(v("1.0~~") < v("1.0~"));
        assert!(v("1.0~") < v("1.0"));
        assert!(v("1.2.3-1~deb7u1") < v("1.2.3-1"));
        assert!(v("1.0") < v("1.0+b1"));
        assert!(v("1.0") < v("1.0a"));
        assert!(v("1.0a") < v("1.0+"));
    }

    #[test]
    fn epoch_revision_and_numbers() {
        assert!(v("1:0.1") > v("9.9"));
        assert_eq!(v("0:1.0"), v("1.0"));
        assert_eq!(v("1.0-0"), v("1.0"));
        assert_eq!(v("1.01"), v("1.1"));
        assert!(v("1.0-1-2") > v("1.0-1"));
        assert_eq!(v("1.0-1-2").upstream(), "1.0-1");
        assert!(v("1.999999999999999999999999999991") < v("1.999999999999999999999999999999"));
    }

    #[test]
    fn dpkg_errors_are_errors() {
        for bad in [
            "1:",
            "a:1.0",
            ":1.0",
            "1a:1.0",
            "-1:1.0",
            "4294967296:1",
            "2147483648:1",
            "1.0-",
            "-1",
            "1:-1",
            "",
        ] {
            assert!(
                bad.parse::<DpkgVersion>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        let err = "1:".parse::<DpkgVersion>().unwrap_err().to_string();
        assert_eq!(
            err,
            r#"invalid dpkg version "1:": nothing after colon in version number"#
        );
        assert_eq!(v("2147483647:1").epoch(), 2147483647);
        assert_eq!(v("+1:1").epoch(), 1);
        assert_eq!(v("-0:1").epoch(), 0);
    }

    /// A small deterministic generator (xorshift64*), so the cross-check is reproducible.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// A version built from the pieces Debian versions are made of, sometimes malformed.
    fn generate(rng: &mut Rng) -> String {
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
            "+",
            "~",
            "~~",
            "a",
            "b",
            "z",
            "A",
            "Z",
            "rc",
            "dfsg",
            "deb12u1",
            "ubuntu",
            "-",
            ":",
            "_",
        ];
        let mut s = String::new();
        match rng.below(8) {
            0 => s.push_str("1:"),
            1 => s.push_str(rng.pick(&["0:", "2:", "10:", "01:", "a:", ":", "-1:", "+3:"])),
            _ => {}
        }
        if rng.below(6) != 0 {
            s.push_str(rng.pick(&["0", "1", "2", "10"]));
        }
        for _ in 0..rng.below(6) {
            s.push_str(rng.pick(PIECES));
        }
        if rng.below(2) == 0 {
            s.push('-');
            for _ in 0..=rng.below(3) {
                s.push_str(rng.pick(&["0", "1", "2", "10", "~", "+", ".", "a", "deb12u1", "~bpo"]));
            }
        }
        // dpkg reads an empty string as "no version", which is not a version to order.
        if s.is_empty() {
            s.push('0');
        }
        s
    }

    /// Runs `dpkg --compare-versions a OP b`: Some(true/false), or None when dpkg calls the
    /// input an error.
    fn dpkg_says(a: &str, op: &str, b: &str) -> Option<bool> {
        let out = std::process::Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `dpkg --compare-versions` ({e}); this test checks against the real dpkg: install it (apt-get install dpkg)")
            });
        match out.status.code() {
            Some(0) => Some(true),
            Some(1) => Some(false),
            _ => None,
        }
    }

    #[test]
    fn agrees_with_dpkg_compare_versions() {
        let mut rng = Rng(0x005e_ed0f_d9c6);
        let mut fixed: Vec<(String, String)> = [
            ("1.0~rc1", "1.0"),
            ("1.0", "1.0+b1"),
            ("1:1.0", "2.0"),
            ("1.0-1", "1.0-1~bpo1"),
            ("1.0a", "1.0+"),
            ("1.0", "1.0-0"),
            ("a1", "1a"),
            ("1.0~", "1.0~~"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        while fixed.len() < 400 {
            fixed.push((generate(&mut rng), generate(&mut rng)));
        }
        let mut disagreements = Vec::new();
        let mut compared = 0;
        for (a, b) in &fixed {
            let ours = (a.parse::<DpkgVersion>(), b.parse::<DpkgVersion>());
            let Some(lt) = dpkg_says(a, "lt", b) else {
                if ours.0.is_ok() && ours.1.is_ok() {
                    disagreements.push(format!("{a:?} vs {b:?}: dpkg rejects, we accept"));
                }
                continue;
            };
            let (Ok(va), Ok(vb)) = ours else {
                disagreements.push(format!("{a:?} vs {b:?}: dpkg accepts, we reject"));
                continue;
            };
            let theirs = if lt {
                Ordering::Less
            } else if dpkg_says(a, "eq", b) == Some(true) {
                Ordering::Equal
            } else {
                Ordering::Greater
            };
            compared += 1;
            if va.cmp(&vb) != theirs {
                disagreements.push(format!(
                    "{a:?} vs {b:?}: dpkg {theirs:?}, ours {:?}",
                    va.cmp(&vb)
                ));
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} disagreements with dpkg:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
        assert!(compared > 200, "only {compared} pairs were valid for dpkg");
    }

    #[test]
    fn dpkg_warnings_are_accepted() {
        assert!(v("a1.0") > v("1.0"));
        assert!(v("1.0_1") > v("1.0"));
        assert_eq!(v("1:1.0-1").to_string(), "1:1.0-1");
    }
}
