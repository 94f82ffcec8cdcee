//! Licence strings as catalogers find them, sorted into what the SBOM formats can carry: an SPDX
//! licence id, an SPDX licence expression, or a free-form name.
//!
//! Catalogers copy licences verbatim from package metadata (`MIT`, `Apache 2.0`, `GPLv2+`,
//! `GPL-2+ and LGPL-2.1+`, `The Apache Software License, Version 2.0`, `BSD`). CycloneDX wants
//! `license.id` only for ids on the SPDX list and `expression` only for valid expressions; SPDX
//! rejects any licence field that is not a valid expression. So every string is classified once:
//!
//! - an SPDX id, matched case-insensitively (`apache-2.0`), with deprecated ids mapped to their
//!   successors as syft does (`GPL-2.0` -> `GPL-2.0-only`, `GPL-2.0+` -> `GPL-2.0-or-later`);
//! - a common spelling that names exactly one SPDX licence (`Apache 2.0`, `MIT License`,
//!   `GPLv2+`, `LGPL-2.1+`, `Expat`, `ASL 2.0`); ambiguous ones (`BSD`, `GPL`, `LGPLv2`, `PSF`)
//!   are not guessed;
//! - an expression of those with `AND`, `OR`, `WITH` and parentheses (operators in any case, as RPM
//!   writes `GPLv2+ and BSD`), printed back with canonical ids and upper-case operators;
//! - anything else is a name, which SPDX output turns into a `LicenseRef-`.

mod ids;

pub(crate) use ids::LICENSE_LIST_VERSION;

/// A package licence, classified for the SBOM formats.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum License {
    /// A single SPDX licence id, in its canonical spelling (`MIT`, `GPL-2.0-or-later`).
    Id(&'static str),
    /// A valid SPDX licence expression with at least one operator, normalised
    /// (`MIT OR Apache-2.0`, `GPL-2.0-or-later WITH Classpath-exception-2.0`).
    Expression(String),
    /// Anything else, kept as written (trimmed).
    Name(String),
}

impl License {
    /// Classify a licence string as found in package metadata.
    pub fn parse(s: &str) -> License {
        let s = s.trim();
        if let Some(id) = canonical_id(s) {
            return License::Id(id);
        }
        match parse_expression(s) {
            Some(Expr::Id(id)) => License::Id(id),
            Some(e) => License::Expression(e.to_string()),
            None => License::Name(s.to_owned()),
        }
    }

    /// Whether this is an SPDX id or expression (as opposed to a free-form name).
    pub fn is_spdx(&self) -> bool {
        !matches!(self, License::Name(_))
    }

    /// The id, expression or name as text.
    pub fn as_str(&self) -> &str {
        match self {
            License::Id(id) => id,
            License::Expression(e) | License::Name(e) => e,
        }
    }
}

/// Every SPDX licence id zoll knows, in canonical spelling.
pub fn license_ids() -> &'static [&'static str] {
    ids::LICENSE_IDS
}

/// Every SPDX exception id zoll knows (for `WITH`), in canonical spelling.
pub fn exception_ids() -> &'static [&'static str] {
    ids::EXCEPTION_IDS
}

/// Case-insensitive lookup in a list sorted by lowercase.
fn lookup(list: &'static [&'static str], s: &str) -> Option<&'static str> {
    list.binary_search_by(|probe| {
        probe
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .cmp(s.bytes().map(|b| b.to_ascii_lowercase()))
    })
    .ok()
    .and_then(|i| list.get(i).copied())
}

/// The canonical SPDX licence id a string stands for, if it unambiguously names one: an id in any
/// case, a deprecated id, or a common non-SPDX spelling.
pub fn canonical_id(s: &str) -> Option<&'static str> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(id) = lookup(ids::LICENSE_IDS, s) {
        return Some(id);
    }
    let norm = normalise_spelling(s);
    if let Some(id) = gnu_id(&norm) {
        return Some(id);
    }
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == norm)
        .and_then(|(_, id)| lookup(ids::LICENSE_IDS, id))
        .or_else(|| {
            // "BSD-3-Clause License", "ISC license": an id followed by the word "license".
            let stem = norm.strip_suffix(" license")?;
            lookup(ids::LICENSE_IDS, stem)
        })
}

/// The canonical SPDX exception id for the right-hand side of `WITH`.
pub fn canonical_exception(s: &str) -> Option<&'static str> {
    lookup(ids::EXCEPTION_IDS, s.trim())
}

/// Lowercase, collapse whitespace, drop a leading "the " and trailing punctuation.
fn normalise_spelling(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let mut joined = words.join(" ");
    while joined.ends_with(['.', ',', ';']) {
        joined.pop();
    }
    match joined.strip_prefix("the ") {
        Some(rest) => rest.to_owned(),
        None => joined,
    }
}

/// Spellings that name exactly one SPDX licence (lowercase, as [`normalise_spelling`] leaves them).
/// Deliberately short: `BSD`, `GPL`, `LGPLv2`, `PSF` or `Public Domain` are ambiguous or not on the
/// SPDX list and stay names.
const ALIASES: &[(&str, &str)] = &[
    ("apache 2", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache2", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache software license 2.0", "Apache-2.0"),
    ("apache software license, version 2.0", "Apache-2.0"),
    ("apache software license (apache-2.0)", "Apache-2.0"),
    ("asl 2.0", "Apache-2.0"),
    ("asl-2.0", "Apache-2.0"),
    ("mit license", "MIT"),
    ("mit licence", "MIT"),
    ("mit license (mit)", "MIT"),
    ("expat", "MIT"),
    ("expat license", "MIT"),
    ("isc license", "ISC"),
    ("isc license (iscl)", "ISC"),
    ("new bsd license", "BSD-3-Clause"),
    ("modified bsd license", "BSD-3-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd-3", "BSD-3-Clause"),
    ("3-clause bsd license", "BSD-3-Clause"),
    ("bsd 3-clause license", "BSD-3-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("bsd-2", "BSD-2-Clause"),
    ("2-clause bsd license", "BSD-2-Clause"),
    ("bsd 2-clause license", "BSD-2-Clause"),
    ("mpl 2.0", "MPL-2.0"),
    ("mpl-2", "MPL-2.0"),
    ("mpl2", "MPL-2.0"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"),
    ("mozilla public license, version 2.0", "MPL-2.0"),
    ("epl 2.0", "EPL-2.0"),
    ("eclipse public license 2.0", "EPL-2.0"),
    ("eclipse public license - v 2.0", "EPL-2.0"),
    ("epl 1.0", "EPL-1.0"),
    ("eclipse public license 1.0", "EPL-1.0"),
    ("eclipse public license - v 1.0", "EPL-1.0"),
    ("zlib license", "Zlib"),
    ("zlib/libpng", "Zlib"),
    ("boost", "BSL-1.0"),
    ("boost software license 1.0", "BSL-1.0"),
    ("boost software license - version 1.0", "BSL-1.0"),
    ("unlicense", "Unlicense"),
    ("cc0", "CC0-1.0"),
    ("cc0 1.0", "CC0-1.0"),
    ("cc0 1.0 universal", "CC0-1.0"),
    ("artistic 2.0", "Artistic-2.0"),
    ("artistic-2", "Artistic-2.0"),
    ("python software foundation license 2.0", "PSF-2.0"),
    ("openssl license", "OpenSSL"),
    ("ruby license", "Ruby"),
];

/// GNU licence spellings with an explicit version: `GPLv2+`, `GPL-2+`, `GPL 3`, `LGPLv2.1`,
/// `LGPL-2.1+`, `AGPLv3`, `GPL-2.0-or-later`; plus Fedora's `GPL+` (GPL-1.0-or-later) and
/// `LGPLv2+` (LGPL-2.0-or-later). `LGPLv2` alone is ambiguous (2.0 or 2.1) and not mapped.
fn gnu_id(norm: &str) -> Option<&'static str> {
    let (family, rest) = ["lgpl", "agpl", "gfdl", "gpl"]
        .iter()
        .find_map(|f| Some((*f, norm.strip_prefix(f)?)))?;
    if family == "gpl" && rest == "+" {
        return lookup(ids::LICENSE_IDS, "GPL-1.0-or-later");
    }
    let rest = rest.trim_start_matches(['v', '-', ' ']);
    let rest = rest.strip_prefix("ersion ").unwrap_or(rest);
    let (version, suffix) = match rest.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let later = match suffix.trim() {
        "" | "-only" | " only" => false,
        "+" | "-or-later" | " or later" | "-or-later+" => true,
        _ => return None,
    };
    let version = match (family, version) {
        (_, "1" | "1.0") => "1.0",
        ("lgpl", "2") if later => "2.0",
        ("lgpl", "2") => return None,
        (_, "2" | "2.0") => "2.0",
        ("lgpl", "2.1") => "2.1",
        (_, "3" | "3.0") => "3.0",
        ("gfdl", v @ ("1.1" | "1.2" | "1.3")) => v,
        _ => return None,
    };
    let id = format!(
        "{}-{version}-{}",
        family.to_ascii_uppercase(),
        if later { "or-later" } else { "only" }
    );
    lookup(ids::LICENSE_IDS, &id)
}

/// A parsed licence expression.
#[derive(Debug)]
enum Expr {
    Id(&'static str),
    With(&'static str, &'static str),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Children of the other operator are parenthesised even where precedence (AND before OR)
    /// would not need it: people and some tools read `A AND B OR C` wrongly.
    fn fmt_child(&self, child: &Expr, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let other_op = matches!(
            (self, child),
            (Expr::And(..), Expr::Or(..)) | (Expr::Or(..), Expr::And(..))
        );
        if other_op {
            write!(f, "({child})")
        } else {
            write!(f, "{child}")
        }
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Id(id) => f.write_str(id),
            Expr::With(id, exc) => write!(f, "{id} WITH {exc}"),
            Expr::And(a, b) | Expr::Or(a, b) => {
                self.fmt_child(a, f)?;
                f.write_str(if matches!(self, Expr::And(..)) {
                    " AND "
                } else {
                    " OR "
                })?;
                self.fmt_child(b, f)
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    Word(&'a str),
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push(Token::Word(&s[st..i]));
            }
            if c == '(' {
                out.push(Token::Open);
            } else if c == ')' {
                out.push(Token::Close);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(Token::Word(&s[st..]));
    }
    out
}

/// Parse `s` as an SPDX expression whose operands all resolve through [`canonical_id`].
fn parse_expression(s: &str) -> Option<Expr> {
    let tokens = tokenize(s);
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    (p.pos == tokens.len()).then_some(e)
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    depth: usize,
}

impl Parser<'_, '_> {
    fn keyword(&mut self, kw: &str) -> bool {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn or(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut left = self.primary()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Some(left)
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.tokens.get(self.pos)? {
            Token::Open => {
                // Bound the recursion: licence strings come from untrusted images.
                if self.depth >= 32 {
                    return None;
                }
                self.pos += 1;
                self.depth += 1;
                let e = self.or()?;
                self.depth -= 1;
                (self.tokens.get(self.pos) == Some(&Token::Close)).then_some(())?;
                self.pos += 1;
                Some(e)
            }
            Token::Close => None,
            Token::Word(w) => {
                if ["and", "or", "with"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    return None;
                }
                let id = canonical_id(w)?;
                self.pos += 1;
                if self.keyword("with") {
                    let Some(Token::Word(exc)) = self.tokens.get(self.pos) else {
                        return None;
                    };
                    let exc = canonical_exception(exc)?;
                    self.pos += 1;
                    return Some(Expr::With(id, exc));
                }
                Some(Expr::Id(id))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: License) {
        assert_eq!(License::parse(input), expect, "{input}");
    }

    fn id(s: &'static str) -> License {
        License::Id(s)
    }
    fn expr(s: &str) -> License {
        License::Expression(s.to_owned())
    }
    fn name(s: &str) -> License {
        License::Name(s.to_owned())
    }

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [ids::LICENSE_IDS, ids::EXCEPTION_IDS] {
            for w in list.windows(2) {
                assert!(
                    w[0].to_ascii_lowercase() < w[1].to_ascii_lowercase(),
                    "{} >= {}",
                    w[0],
                    w[1]
                );
            }
        }
        for (_, target) in ALIASES {
            assert!(
                lookup(ids::LICENSE_IDS, target) == Some(*target),
                "alias target {target} not an id"
            );
        }
    }

    #[test]
    fn ids() {
        for s in [
            "MIT",
            "Apache-2.0",
            "BSD-2-Clause",
            "BSD-3-Clause",
            "GPL-2.0-only",
            "GPL-2.0-or-later",
            "GPL-3.0-only",
            "GPL-3.0-or-later",
            "LGPL-2.1-only",
            "LGPL-2.1-or-later",
            "LGPL-3.0-or-later",
            "MPL-2.0",
            "ISC",
            "Zlib",
            "PSF-2.0",
            "Python-2.0",
            "Unlicense",
            "CC0-1.0",
            "BSL-1.0",
            "Artistic-2.0",
            "MIT-0",
            "0BSD",
            "AGPL-3.0-or-later",
            "GFDL-1.3-or-later",
            "EPL-2.0",
        ] {
            check(
                s,
                License::Id(lookup(ids::LICENSE_IDS, s).unwrap_or_else(|| panic!("{s} missing"))),
            );
            assert_eq!(License::parse(s).as_str(), s);
        }
        check("apache-2.0", id("Apache-2.0"));
        check(" mit ", id("MIT"));
        check("zlib", id("Zlib"));
    }

    #[test]
    fn deprecated_and_common_spellings() {
        check("GPL-2.0", id("GPL-2.0-only"));
        check("GPL-2.0+", id("GPL-2.0-or-later"));
        check("GPL-2", id("GPL-2.0-only"));
        check("GPL-2+", id("GPL-2.0-or-later"));
        check("GPLv2+", id("GPL-2.0-or-later"));
        check("GPLv3", id("GPL-3.0-only"));
        check("GPL+", id("GPL-1.0-or-later"));
        check("LGPL-2.1+", id("LGPL-2.1-or-later"));
        check("LGPLv2.1", id("LGPL-2.1-only"));
        check("LGPLv2+", id("LGPL-2.0-or-later"));
        check("LGPL-3.0", id("LGPL-3.0-only"));
        check("AGPLv3", id("AGPL-3.0-only"));
        check("GFDL-1.3", id("GFDL-1.3-only"));
        check("Apache 2.0", id("Apache-2.0"));
        check("The Apache Software License, Version 2.0", id("Apache-2.0"));
        check("ASL 2.0", id("Apache-2.0"));
        check("MIT License", id("MIT"));
        check("The MIT License.", id("MIT"));
        check("Expat", id("MIT"));
        check("BSD-3-Clause License", id("BSD-3-Clause"));
        check("ISC License (ISCL)", id("ISC"));
        check("MPL 2.0", id("MPL-2.0"));
    }

    #[test]
    fn ambiguous_spellings_stay_names() {
        for s in [
            "BSD",
            "GPL",
            "LGPL",
            "LGPLv2",
            "PSF",
            "Public Domain",
            "public-domain",
            "Custom Thing",
            "GPLv4",
            "",
        ] {
            check(s, name(s));
        }
    }

    #[test]
    fn expressions() {
        check("MIT OR Apache-2.0", expr("MIT OR Apache-2.0"));
        check(
            "(MIT OR Apache-2.0) AND BSD-3-Clause",
            expr("(MIT OR Apache-2.0) AND BSD-3-Clause"),
        );
        check(
            "MIT AND (Apache-2.0 OR BSD-3-Clause)",
            expr("MIT AND (Apache-2.0 OR BSD-3-Clause)"),
        );
        check("(MIT AND Zlib) OR ISC", expr("(MIT AND Zlib) OR ISC"));
        check("MIT AND Zlib OR ISC", expr("(MIT AND Zlib) OR ISC"));
        check("MIT or ISC or Zlib", expr("MIT OR ISC OR Zlib"));
        check(
            "GPL-2.0-only WITH Classpath-exception-2.0",
            expr("GPL-2.0-only WITH Classpath-exception-2.0"),
        );
        check(
            "gpl-2.0+ with classpath-exception-2.0",
            expr("GPL-2.0-or-later WITH Classpath-exception-2.0"),
        );
        check(
            "GPLv2+ and LGPLv2+",
            expr("GPL-2.0-or-later AND LGPL-2.0-or-later"),
        );
        check(
            "GPL+ or Artistic-1.0-Perl",
            expr("GPL-1.0-or-later OR Artistic-1.0-Perl"),
        );
        check("(MIT)", id("MIT"));
        check("((Apache-2.0))", id("Apache-2.0"));
    }

    #[test]
    fn broken_expressions_are_names() {
        for s in [
            "MIT OR",
            "OR MIT",
            "MIT Apache-2.0",
            "(MIT",
            "MIT)",
            "MIT WITH",
            "MIT WITH MIT",
            "BSD OR MIT",
            "Apache 2.0 OR MIT",
            "MIT AND AND ISC",
            "()",
        ] {
            check(s, name(s));
        }
        let deep = format!("{}MIT{}", "(".repeat(100), ")".repeat(100));
        check(&deep, name(&deep));
    }
}
