//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`) as the purl specification
//! defines them, with the type-specific normalisation the spec requires (PyPI names lowercased with
//! `_` as `-`, lowercase namespaces for distribution types, ...).
//!
//! Written here rather than taken from the `packageurl` crate because zoll needs one canonical
//! string per package (qualifiers sorted, a fixed escaping set) so purls compare byte for byte
//! across catalogers, SBOM formats and the advisory database.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Characters left unescaped in every purl component: RFC 3986 unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');
/// Versions also keep `:` (deb/rpm epochs), which the spec says need not be encoded.
const VERSION: &AsciiSet = &COMPONENT.remove(b':');

/// Why a string is not a purl.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PurlError {
    #[error("invalid purl {0:?}: must start with \"pkg:\"")]
    Scheme(String),
    #[error(
        "invalid purl {0:?}: type must be letters, digits, '.', '+' or '-' and not start with a digit"
    )]
    Type(String),
    #[error("invalid purl {0:?}: name is empty")]
    Name(String),
    #[error("invalid purl {0:?}: qualifier {1:?} is not KEY=VALUE with a valid key")]
    Qualifier(String, String),
    #[error("invalid purl {0:?}: bad percent-encoding")]
    Encoding(String),
}

/// A package URL.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

impl Purl {
    /// Build a purl from its parts, normalising as the spec requires for the type.
    pub fn new(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
    ) -> Result<Purl, PurlError> {
        let ty = ty.to_ascii_lowercase();
        if ty.is_empty()
            || ty.as_bytes()[0].is_ascii_digit()
            || !ty
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'+' || c == b'-')
        {
            return Err(PurlError::Type(ty));
        }
        if name.is_empty() {
            return Err(PurlError::Name(format!("pkg:{ty}/")));
        }
        let namespace = namespace
            .filter(|n| !n.is_empty())
            .map(|n| n.trim_matches('/').to_owned());
        let mut p = Purl {
            ty,
            namespace,
            name: name.to_owned(),
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
            qualifiers: BTreeMap::new(),
            subpath: None,
        };
        p.normalise();
        Ok(p)
    }

    /// Add a qualifier (an empty value removes it, as the spec says empty qualifiers are absent).
    pub fn with_qualifier(mut self, key: &str, value: &str) -> Purl {
        let key = key.to_ascii_lowercase();
        if value.is_empty() {
            self.qualifiers.remove(&key);
        } else {
            self.qualifiers.insert(key, value.to_owned());
        }
        self
    }

    pub fn with_subpath(mut self, subpath: &str) -> Purl {
        let s = subpath.trim_matches('/');
        self.subpath = if s.is_empty() {
            None
        } else {
            Some(s.to_owned())
        };
        self
    }

    fn normalise(&mut self) {
        match self.ty.as_str() {
            "pypi" => self.name = self.name.to_ascii_lowercase().replace('_', "-"),
            // Go module paths are case-sensitive (`github.com/BurntSushi/toml`): Syft, OSV and the
            // Go toolchain keep their case, so zoll does too, although older purl texts said to
            // lowercase them.
            "deb" | "apk" | "rpm" | "alpm" | "bitbucket" | "github" | "hex" | "composer" => {
                if let Some(ns) = &mut self.namespace {
                    *ns = ns.to_ascii_lowercase();
                }
                if matches!(
                    self.ty.as_str(),
                    "bitbucket" | "github" | "composer" | "hex" | "deb" | "apk"
                ) {
                    self.name = self.name.to_ascii_lowercase();
                }
            }
            _ => {}
        }
    }

    pub fn ty(&self) -> &str {
        &self.ty
    }
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// `pkg:type/namespace/name@version` without qualifiers or subpath: the identity used to
    /// compare the packages two tools found.
    pub fn without_qualifiers(&self) -> Purl {
        Purl {
            qualifiers: BTreeMap::new(),
            subpath: None,
            ..self.clone()
        }
    }
}

fn decode(input: &str, s: &str) -> Result<String, PurlError> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| PurlError::Encoding(input.to_owned()))
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let rest = input
            .strip_prefix("pkg:")
            .ok_or_else(|| PurlError::Scheme(input.to_owned()))?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, s)) => (r, Some(s)),
            None => (rest, None),
        };
        let (rest, quals) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (ty, rest) = rest
            .split_once('/')
            .ok_or_else(|| PurlError::Name(input.to_owned()))?;
        let rest = rest.trim_end_matches('/');
        let (path, version) = match rest.rfind('@') {
            // An '@' in the first segment is an npm scope ("%40scope" unencoded), not a version.
            Some(i) if rest[..i].contains('/') || !rest[i..].contains('/') && i > 0 => {
                (&rest[..i], Some(decode(input, &rest[i + 1..])?))
            }
            _ => (rest, None),
        };
        let (ns, name) = match path.rsplit_once('/') {
            Some((ns, name)) => {
                let segs: Result<Vec<String>, _> = ns
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| decode(input, s))
                    .collect();
                (Some(segs?.join("/")), decode(input, name)?)
            }
            None => (None, decode(input, path)?),
        };
        let mut p =
            Purl::new(ty, ns.as_deref(), &name, version.as_deref()).map_err(|e| match e {
                PurlError::Name(_) => PurlError::Name(input.to_owned()),
                PurlError::Type(_) => PurlError::Type(input.to_owned()),
                other => other,
            })?;
        if let Some(q) = quals {
            for pair in q.split('&').filter(|s| !s.is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| PurlError::Qualifier(input.to_owned(), pair.to_owned()))?;
                if k.is_empty()
                    || !k
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
                {
                    return Err(PurlError::Qualifier(input.to_owned(), pair.to_owned()));
                }
                p = p.with_qualifier(k, &decode(input, v)?);
            }
        }
        if let Some(s) = subpath {
            let segs: Result<Vec<String>, _> = s
                .split('/')
                .filter(|x| !x.is_empty() && *x != "." && *x != "..")
                .map(|x| decode(input, x))
                .collect();
            p = p.with_subpath(&segs?.join("/"));
        }
        Ok(p)
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/') {
                write!(f, "{}/", utf8_percent_encode(seg, COMPONENT))?;
            }
        }
        write!(f, "{}", utf8_percent_encode(&self.name, COMPONENT))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", utf8_percent_encode(v, VERSION))?;
        }
        let mut first = true;
        for (k, v) in &self.qualifiers {
            write!(
                f,
                "{}{}={}",
                if first { '?' } else { '&' },
                k,
                utf8_percent_encode(v, VERSION)
            )?;
            first = false;
        }
        if let Some(s) = &self.subpath {
            f.write_str("#")?;
            for (i, seg) in s.split('/').enumerate() {
                if i > 0 {
                    f.write_str("/")?;
                }
                write!(f, "{}", utf8_percent_encode(seg, COMPONENT))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Purl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Purl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &str) {
        let p: Purl = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(p.to_string(), s);
    }

    #[test]
    fn canonical_roundtrips() {
        roundtrip(
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        );
        roundtrip("pkg:npm/%40babel/core@7.0.0");
        roundtrip("pkg:golang/github.com/gorilla/mux@v1.8.0");
        roundtrip("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        roundtrip("pkg:rpm/redhat/curl@1:7.61.1-22.el8?arch=x86_64");
        roundtrip("pkg:pypi/django@2.2.0");
        roundtrip("pkg:golang/stdlib@1.19.8");
        roundtrip("pkg:golang/github.com/BurntSushi/toml@v1.2.0");
    }

    #[test]
    fn parses_non_canonical() {
        let p: Purl = "pkg:PyPI/Jinja2@2.10".parse().unwrap();
        assert_eq!(p.to_string(), "pkg:pypi/jinja2@2.10");
        let p: Purl = "pkg:npm/@angular/core@1.0.0".parse().unwrap();
        assert_eq!(p.namespace(), Some("@angular"));
        assert_eq!(p.name(), "core");
        assert_eq!(p.to_string(), "pkg:npm/%40angular/core@1.0.0");
        let p: Purl = "pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12&arch=amd64"
            .parse()
            .unwrap();
        assert_eq!(p.version(), Some("5.2.15-2+b2"));
        assert_eq!(p.qualifier("distro"), Some("debian-12"));
        assert_eq!(
            p.without_qualifiers().to_string(),
            "pkg:deb/debian/bash@5.2.15-2%2Bb2"
        );
        let p = Purl::new("pypi", None, "PyYAML", Some("5.3")).unwrap();
        assert_eq!(p.to_string(), "pkg:pypi/pyyaml@5.3");
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "pkg",
            "npm/x@1",
            "pkg:npm",
            "pkg:1x/a",
            "pkg:npm/a?b",
            "pkg:npm/%ff%fe@1",
        ] {
            assert!(bad.parse::<Purl>().is_err(), "{bad} accepted");
        }
    }
}
