//! Image references (`[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`), normalised the way Docker and
//! containers/image normalise them: no registry means `docker.io`, and a one-part Docker Hub name
//! gets the `library/` namespace.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

/// The registry assumed when a reference names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// Why a string is not an image reference.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageRefError {
    #[error("invalid image reference {0:?}: empty")]
    Empty(String),
    #[error(
        "invalid image reference {input:?}: repository component {component:?} must be lowercase letters, digits and separators"
    )]
    Repository { input: String, component: String },
    #[error(
        "invalid image reference {input:?}: tag {tag:?} must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}"
    )]
    Tag { input: String, tag: String },
    #[error("invalid image reference {input:?}: {source}")]
    Digest { input: String, source: DigestError },
    #[error("invalid image reference {0:?}: registry host is not valid")]
    Registry(String),
    #[error("invalid image reference {0:?}: longer than 255 characters")]
    TooLong(String),
}

/// What an image reference points at inside its repository.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
    /// `name:tag@digest`: the digest is authoritative, the tag informational.
    TagAndDigest(String, Digest),
}

/// A fully normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    repository: String,
    reference: Reference,
}

impl ImageRef {
    pub fn new(
        registry: &str,
        repository: &str,
        reference: Reference,
    ) -> Result<ImageRef, ImageRefError> {
        let s = match &reference {
            Reference::Tag(t) => format!("{registry}/{repository}:{t}"),
            Reference::Digest(d) => format!("{registry}/{repository}@{d}"),
            Reference::TagAndDigest(t, d) => format!("{registry}/{repository}:{t}@{d}"),
        };
        s.parse()
    }

    /// Registry host (and port), e.g. `docker.io`, `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Repository path, e.g. `library/alpine`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    pub fn tag(&self) -> Option<&str> {
        match &self.reference {
            Reference::Tag(t) | Reference::TagAndDigest(t, _) => Some(t),
            Reference::Digest(_) => None,
        }
    }

    pub fn digest(&self) -> Option<&Digest> {
        match &self.reference {
            Reference::Digest(d) | Reference::TagAndDigest(_, d) => Some(d),
            Reference::Tag(_) => None,
        }
    }

    /// The string to put in the manifest URL: the digest when there is one, else the tag.
    pub fn manifest_reference(&self) -> String {
        match &self.reference {
            Reference::Tag(t) => t.clone(),
            Reference::Digest(d) | Reference::TagAndDigest(_, d) => d.to_string(),
        }
    }

    /// The same repository pinned to `digest`.
    pub fn with_digest(&self, digest: Digest) -> ImageRef {
        ImageRef {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            reference: Reference::Digest(digest),
        }
    }

    /// The same repository with `tag` (no digest). The tag is not checked: callers pass tags
    /// they built from the OCI tag grammar (`sha256-<hex>.sig`, ...).
    pub fn with_tag(&self, tag: &str) -> ImageRef {
        ImageRef {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            reference: Reference::Tag(tag.to_owned()),
        }
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && matches!(b[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok || start == i {
            return false;
        }
    }
    true
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_registry(r: &str) -> bool {
    let host = if let Some(rest) = r.strip_prefix('[') {
        // IPv6 literal: [::1]:5000
        match rest.split_once(']') {
            Some((h, port)) => {
                if !h.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
                    return false;
                }
                return port.is_empty()
                    || port
                        .strip_prefix(':')
                        .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
            }
            None => return false,
        }
    } else {
        match r.rsplit_once(':') {
            Some((h, p)) => {
                if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                    return false;
                }
                h
            }
            None => r,
        }
    };
    !host.is_empty()
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

impl FromStr for ImageRef {
    type Err = ImageRefError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.is_empty() {
            return Err(ImageRefError::Empty(input.to_owned()));
        }
        let (rest, digest) = match input.split_once('@') {
            Some((r, d)) => {
                let d = d
                    .parse::<Digest>()
                    .map_err(|source| ImageRefError::Digest {
                        input: input.to_owned(),
                        source,
                    })?;
                (r, Some(d))
            }
            None => (input, None),
        };
        // A tag follows the last ':' that comes after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, remainder))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.starts_with('[') =>
            {
                (first.to_owned(), remainder.to_owned())
            }
            _ => (DEFAULT_REGISTRY.to_owned(), name.to_owned()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DEFAULT_REGISTRY.to_owned(),
            _ => registry,
        };
        if !valid_registry(&registry) {
            return Err(ImageRefError::Registry(input.to_owned()));
        }
        let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        // The limit applies to the normalised name (`docker.io/library/x`), so whatever parses
        // prints back to something that parses (found by the core_parsers fuzz target).
        if registry.len() + 1 + repository.len() > 255 {
            return Err(ImageRefError::TooLong(input.to_owned()));
        }
        for component in repository.split('/') {
            if !valid_component(component) {
                return Err(ImageRefError::Repository {
                    input: input.to_owned(),
                    component: component.to_owned(),
                });
            }
        }
        if let Some(t) = tag
            && !valid_tag(t)
        {
            return Err(ImageRefError::Tag {
                input: input.to_owned(),
                tag: t.to_owned(),
            });
        }
        let reference = match (tag, digest) {
            (Some(t), Some(d)) => Reference::TagAndDigest(t.to_owned(), d),
            (None, Some(d)) => Reference::Digest(d),
            (Some(t), None) => Reference::Tag(t.to_owned()),
            (None, None) => Reference::Tag("latest".to_owned()),
        };
        Ok(ImageRef {
            registry,
            repository,
            reference,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        match &self.reference {
            Reference::Tag(t) => write!(f, ":{t}"),
            Reference::Digest(d) => write!(f, "@{d}"),
            Reference::TagAndDigest(t, d) => write!(f, ":{t}@{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, want: &str) {
        let r: ImageRef = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(r.to_string(), want, "{input}");
    }

    #[test]
    fn normalises_like_docker() {
        check("alpine", "docker.io/library/alpine:latest");
        check("alpine:3.19", "docker.io/library/alpine:3.19");
        check("bitnami/redis", "docker.io/bitnami/redis:latest");
        check(
            "index.docker.io/library/alpine:1",
            "docker.io/library/alpine:1",
        );
        check("localhost:5000/a/b:v1", "localhost:5000/a/b:v1");
        check("localhost/a", "localhost/a:latest");
        check("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest");
        check("[::1]:5000/x:t", "[::1]:5000/x:t");
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        check(&format!("ghcr.io/o/r@{d}"), &format!("ghcr.io/o/r@{d}"));
        check(&format!("ghcr.io/o/r:t@{d}"), &format!("ghcr.io/o/r:t@{d}"));
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "Alpine",
            "a//b",
            "a:",
            "a:-x",
            "a@sha256:zz",
            "host:port/a",
            "a/-b",
            "a..b",
            "x/y:t/z",
        ] {
            assert!(bad.parse::<ImageRef>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn length_limit_is_on_the_normalised_name() {
        let long = "a".repeat(240);
        assert!(
            matches!(long.parse::<ImageRef>(), Err(ImageRefError::TooLong(_))),
            "docker.io/library/ + 240 > 255"
        );
        let ok = "a".repeat(230);
        let r: ImageRef = ok.parse().unwrap();
        assert_eq!(r.to_string().parse::<ImageRef>().unwrap(), r);
    }

    #[test]
    fn accessors() {
        let r: ImageRef = "localhost:5000/org/app:v1".parse().unwrap();
        assert_eq!(r.registry(), "localhost:5000");
        assert_eq!(r.repository(), "org/app");
        assert_eq!(r.tag(), Some("v1"));
        assert_eq!(r.manifest_reference(), "v1");
        assert_eq!(r.name(), "localhost:5000/org/app");
    }
}
