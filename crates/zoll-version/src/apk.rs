//! Alpine, Wolfi and Chainguard package versions, ordered like apk-tools' `version.c`.
//!
//! An apk version is `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`. apk-tools 3
//! splits it into tokens and compares them pairwise; when two tokens differ in kind, a pre-release
//! suffix (`_alpha`, `_beta`, `_pre`, `_rc`) makes its version older, and otherwise the version
//! whose token comes earlier in the grammar is newer (so `1.2.1 > 1.2a > 1.2_p1 > 1.2-r1 > 1.2`).
//! Numbers after a dot that start with `0` compare as strings (`1.01 < 1.1`, `1.010 < 1.09`), all
//! other numbers by value, with no size limit. A token that breaks the grammar ends the version;
//! two versions that break at the same point after equal tokens are equal.
//!
//! apk-tools refuses to compare versions it cannot validate, but advisories and installed
//! databases do carry such versions, so this module is lenient the way the OSV reference vectors
//! (taken from apk's own behaviour on each case) require:
//! - an empty number (a version starting with a non-digit, or a dot not followed by a digit, as in
//!   `0..1` or `0.r1`) is a token of its own that keeps the comparison going, and sorts below any
//!   real number or letter;
//! - a letter may be followed by digits again (`6.6.2p1 < 6.6.2p2`), as apk-tools 2 allowed;
//! - `-r` followed by nothing or by a non-letter is revision `0` (`1-r = 1-r0`); `-r` followed by
//!   a letter (`1-ruff`) breaks the grammar.
//!
//! Because each version becomes a list of tokens with a total order on tokens, the resulting
//! order is total and transitive, which apk-tools' own comparison of invalid versions is not.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::ParseError;
use crate::num::cmp_digits;

const SCHEME: &str = "apk";

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// One token of an apk version. The declaration order of the variants is their order when two
/// versions have tokens of different kinds at the same position (lowest = oldest version).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    /// `_alpha`, `_beta`, `_pre`, `_rc` (index into [`PRE_SUFFIXES`]).
    PreSuffix(u8),
    /// Something outside the grammar; nothing after it is compared.
    Invalid,
    /// A number that is not there (see the module docs).
    Empty,
    /// The end of the version.
    End,
    /// `-r#`.
    Revision(Num),
    /// `~hash`, compared as a string.
    Hash(Box<str>),
    /// The number after a suffix.
    SuffixNumber(Num),
    /// `_cvs`, `_svn`, `_git`, `_hg`, `_p` (index into [`POST_SUFFIXES`]).
    PostSuffix(u8),
    /// The single lower-case letter after the numbers.
    Letter(u8),
    /// A number after a dot (or after a letter).
    Digit(DotNumber),
    /// The first number.
    Initial(Num),
}

/// A number compared by value.
#[derive(Clone, Debug)]
struct Num(Box<str>);

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.0, &other.0)
    }
}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Num {}

/// A number after a dot: by value, unless either side starts with `0`, then as strings.
#[derive(Clone, Debug)]
struct DotNumber(Box<str>);

impl Ord for DotNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.0.starts_with('0') || other.0.starts_with('0') {
            self.0.cmp(&other.0)
        } else {
            cmp_digits(&self.0, &other.0)
        }
    }
}
impl PartialOrd for DotNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for DotNumber {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for DotNumber {}

/// A parsed apk version: its tokens, the last one being the end of the version or the point where
/// it leaves the grammar.
#[derive(Clone, Debug)]
pub struct ApkVersion {
    tokens: Box<[Token]>,
}

impl ApkVersion {
    /// True when apk-tools itself accepts this version (`apk version --check`).
    pub fn is_valid(&self) -> bool {
        !self
            .tokens
            .iter()
            .any(|t| matches!(t, Token::Invalid | Token::Empty))
    }
}

/// What the previous token allows next.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    Hash,
    Revision,
}

fn take_digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let (first, mut rest) = take_digits(s);
    tokens.push(if first.is_empty() {
        Token::Empty
    } else {
        Token::Initial(Num(first.into()))
    });
    let mut state = State::Digit;
    loop {
        let Some(&c) = rest.as_bytes().first() else {
            tokens.push(Token::End);
            break;
        };
        match c {
            b'a'..=b'z' if state == State::Digit => {
                tokens.push(Token::Letter(c));
                rest = &rest[1..];
                state = State::Letter;
            }
            b'.' if state == State::Digit => {
                let (digits, after) = take_digits(&rest[1..]);
                tokens.push(if digits.is_empty() {
                    Token::Empty
                } else {
                    Token::Digit(DotNumber(digits.into()))
                });
                rest = after;
            }
            b'0'..=b'9' if state == State::Letter => {
                let (digits, after) = take_digits(rest);
                tokens.push(Token::Digit(DotNumber(digits.into())));
                rest = after;
                state = State::Digit;
            }
            b'0'..=b'9' if state == State::Suffix => {
                let (digits, after) = take_digits(rest);
                tokens.push(Token::SuffixNumber(Num(digits.into())));
                rest = after;
                state = State::SuffixNumber;
            }
            b'_' if state <= State::SuffixNumber => {
                let name_len = rest[1..].bytes().take_while(u8::is_ascii_lowercase).count();
                let name = &rest[1..1 + name_len];
                let token = if let Some(i) = PRE_SUFFIXES.iter().position(|p| *p == name) {
                    Token::PreSuffix(i as u8)
                } else if let Some(i) = POST_SUFFIXES.iter().position(|p| *p == name) {
                    Token::PostSuffix(i as u8)
                } else {
                    tokens.push(Token::Invalid);
                    break;
                };
                tokens.push(token);
                rest = &rest[1 + name_len..];
                state = State::Suffix;
            }
            b'~' if state < State::Hash => {
                let len = rest[1..]
                    .bytes()
                    .take_while(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                    .count();
                if len == 0 {
                    tokens.push(Token::Invalid);
                    break;
                }
                tokens.push(Token::Hash(rest[1..1 + len].into()));
                rest = &rest[1 + len..];
                state = State::Hash;
            }
            b'-' if state < State::Revision
                && rest.as_bytes().get(1) == Some(&b'r')
                && !rest.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic) =>
            {
                let (digits, after) = take_digits(&rest[2..]);
                tokens.push(Token::Revision(Num(digits.into())));
                rest = after;
                state = State::Revision;
            }
            _ => {
                tokens.push(Token::Invalid);
                break;
            }
        }
    }
    tokens
}

impl FromStr for ApkVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        crate::check_text(SCHEME, s)?;
        Ok(ApkVersion {
            tokens: tokenize(s).into_boxed_slice(),
        })
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // Both lists end with a terminal token (End or Invalid), so neither is a proper prefix
        // of the other and the slice order is exactly the token-by-token comparison.
        self.tokens.cmp(&other.tokens)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, token) in self.tokens.iter().enumerate() {
            match token {
                Token::Initial(n) => f.write_str(&n.0)?,
                Token::Digit(n)
                    if matches!(self.tokens.get(i.wrapping_sub(1)), Some(Token::Letter(_))) =>
                {
                    f.write_str(&n.0)?
                }
                Token::Digit(n) => write!(f, ".{}", n.0)?,
                Token::Empty if i == 0 => {}
                Token::Empty => f.write_str(".")?,
                Token::Letter(c) => write!(f, "{}", char::from(*c))?,
                Token::PreSuffix(p) => write!(f, "_{}", PRE_SUFFIXES[usize::from(*p)])?,
                Token::PostSuffix(p) => write!(f, "_{}", POST_SUFFIXES[usize::from(*p)])?,
                Token::SuffixNumber(n) => f.write_str(&n.0)?,
                Token::Hash(h) => write!(f, "~{h}")?,
                Token::Revision(n) => write!(f, "-r{}", n.0)?,
                Token::End => {}
                Token::Invalid => f.write_str("…")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ApkVersion {
        s.parse().unwrap()
    }

    #[test]
    fn suffixes_letters_and_revisions() {
        assert!(v("1.2_alpha1") < v("1.2_beta"));
        assert!(v("1.2_rc9") < v("1.2"));
        assert!(v("1.2") < v("1.2_p1"));
        assert!(v("1.2_p1") < v("1.2a"));
        assert!(v("1.2a") < v("1.2.1"));
        assert!(v("1.2-r1") < v("1.2_p1"));
        assert!(v("1.2-r9") < v("1.2-r10"));
        assert!(v("1.2") < v("1.2-r0"));
        assert!(v("1.2_cvs1") < v("1.2_svn1"));
        assert!(v("1.2_hg1") < v("1.2_p1"));
        assert!(v("1.0_alpha_pre2") < v("1.0_alpha"));
        assert_eq!(v("1-r1"), v("1-r01"));
    }

    #[test]
    fn leading_zero_numbers_compare_as_strings() {
        assert!(v("1.010") < v("1.09"));
        assert!(v("1.01") < v("1.1"));
        assert!(v("1.0") > v("1"));
        assert!(v("010") > v("9"));
    }

    #[test]
    fn hashes_and_big_numbers() {
        assert!(v("1.2~abc") > v("1.2"));
        assert!(v("1.2~abc-r1") > v("1.2-r1"));
        assert!(v("1.2~abc") < v("1.2~abd"));
        assert!(v("1.999999999999999999999999999991") < v("1.999999999999999999999999999999"));
        assert!(v("1.0_pre20191002222144-r0") < v("1.0_pre20210530193627-r0"));
    }

    #[test]
    fn invalid_versions_still_order() {
        assert!(!v("1.2.0A").is_valid());
        assert!(v("1.2.0A") < v("1.2.0d"));
        assert!(v("1") > v("1-ruff"));
        assert_eq!(v("1-ruff2"), v("1--ruff1"));
        assert!(v(".1") < v("1"));
        assert!(v("a") < v("b"));
        assert!(v("0..8") > v("0...8"));
        assert!(v("1.2.3_4").to_string().starts_with("1.2.3"));
        assert!(v("1.2.3a-r2").is_valid());
        assert_eq!(v("1.2.3a-r2").to_string(), "1.2.3a-r2");
        assert_eq!(v("0.8.21.r2~0f-r1").to_string(), "0.8.21.r2~0f-r1");
    }
}
