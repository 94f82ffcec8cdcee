//! Parsing what the user typed into a [`SourceSpec`]: the prefixes skopeo and syft users know
//! (`oci:`, `docker-archive:`, `dir:`), anything else being a registry reference.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use zoll_core::{Digest, ImageRef, ImageRefError};

/// Which image inside an OCI layout or docker archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The only image (an error if there are several).
    Default,
    /// A tag / `org.opencontainers.image.ref.name` / `RepoTags` entry.
    Tag(String),
    Digest(Digest),
    /// The N-th image of a docker archive (`docker-archive:PATH:@N`).
    Index(usize),
}

/// An image source as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    OciLayout { path: PathBuf, selector: Selector },
    DockerArchive { path: PathBuf, selector: Selector },
    Dir { path: PathBuf },
    Registry(ImageRef),
}

/// Why a source string could not be understood.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    #[error("invalid image source {input:?}: {reason}")]
    Invalid { input: String, reason: String },
    #[error("invalid image source {input:?}: {source}")]
    Reference {
        input: String,
        source: ImageRefError,
    },
}

fn split_selector(input: &str, rest: &str) -> Result<(PathBuf, Selector), SpecError> {
    if rest.is_empty() {
        return Err(SpecError::Invalid {
            input: input.to_owned(),
            reason: "missing path".to_owned(),
        });
    }
    if let Some((path, d)) = rest.rsplit_once('@')
        && d.contains(':')
        && !path.is_empty()
    {
        let digest = d.parse::<Digest>().map_err(|e| SpecError::Invalid {
            input: input.to_owned(),
            reason: e.to_string(),
        })?;
        return Ok((
            PathBuf::from(path.trim_end_matches(':')),
            Selector::Digest(digest),
        ));
    }
    // As in skopeo, the path ends at the first ':'; what follows names the image (a tag or
    // `repo:tag` reference, or `@N` for the N-th image of an archive).
    match rest.find(':') {
        Some(i) if i > 0 => {
            let (path, sel) = (&rest[..i], &rest[i + 1..]);
            let selector = if let Some(n) = sel.strip_prefix('@') {
                Selector::Index(n.parse().map_err(|_| SpecError::Invalid {
                    input: input.to_owned(),
                    reason: format!("{sel:?} is not @INDEX"),
                })?)
            } else if sel.is_empty() {
                Selector::Default
            } else {
                Selector::Tag(sel.to_owned())
            };
            Ok((PathBuf::from(path), selector))
        }
        _ => Ok((PathBuf::from(rest), Selector::Default)),
    }
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if let Some(rest) = input
            .strip_prefix("oci:")
            .or_else(|| input.strip_prefix("oci-dir:"))
        {
            let (path, selector) = split_selector(input, rest)?;
            return Ok(SourceSpec::OciLayout { path, selector });
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            let (path, selector) = split_selector(input, rest)?;
            return Ok(SourceSpec::DockerArchive { path, selector });
        }
        if let Some(rest) = input.strip_prefix("dir:") {
            if rest.is_empty() {
                return Err(SpecError::Invalid {
                    input: input.to_owned(),
                    reason: "missing path".to_owned(),
                });
            }
            return Ok(SourceSpec::Dir {
                path: PathBuf::from(rest),
            });
        }
        let reference = input
            .strip_prefix("docker://")
            .or_else(|| input.strip_prefix("registry:"))
            .unwrap_or(input);
        reference
            .parse::<ImageRef>()
            .map(SourceSpec::Registry)
            .map_err(|source| SpecError::Reference {
                input: input.to_owned(),
                source,
            })
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sel = |s: &Selector| match s {
            Selector::Default => String::new(),
            Selector::Tag(t) => format!(":{t}"),
            Selector::Digest(d) => format!("@{d}"),
            Selector::Index(n) => format!(":@{n}"),
        };
        match self {
            SourceSpec::OciLayout { path, selector } => {
                write!(f, "oci:{}{}", path.display(), sel(selector))
            }
            SourceSpec::DockerArchive { path, selector } => {
                write!(f, "docker-archive:{}{}", path.display(), sel(selector))
            }
            SourceSpec::Dir { path } => write!(f, "dir:{}", path.display()),
            SourceSpec::Registry(r) => write!(f, "{r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixes() {
        assert_eq!(
            "oci:./layout:1.0".parse::<SourceSpec>().unwrap(),
            SourceSpec::OciLayout {
                path: "./layout".into(),
                selector: Selector::Tag("1.0".into())
            }
        );
        assert_eq!(
            "oci:/a/b".parse::<SourceSpec>().unwrap(),
            SourceSpec::OciLayout {
                path: "/a/b".into(),
                selector: Selector::Default
            }
        );
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            format!("oci:/x@{d}").parse::<SourceSpec>().unwrap(),
            SourceSpec::OciLayout {
                path: "/x".into(),
                selector: Selector::Digest(d.parse().unwrap())
            }
        );
        assert_eq!(
            "docker-archive:img.tar".parse::<SourceSpec>().unwrap(),
            SourceSpec::DockerArchive {
                path: "img.tar".into(),
                selector: Selector::Default
            }
        );
        assert_eq!(
            "docker-archive:/t/img.tar:@1"
                .parse::<SourceSpec>()
                .unwrap(),
            SourceSpec::DockerArchive {
                path: "/t/img.tar".into(),
                selector: Selector::Index(1)
            }
        );
        assert_eq!(
            "dir:/rootfs".parse::<SourceSpec>().unwrap(),
            SourceSpec::Dir {
                path: "/rootfs".into()
            }
        );
        assert!(matches!(
            "localhost:5000/a:b".parse::<SourceSpec>().unwrap(),
            SourceSpec::Registry(_)
        ));
        assert!(matches!(
            "docker://alpine".parse::<SourceSpec>().unwrap(),
            SourceSpec::Registry(_)
        ));
        assert!("dir:".parse::<SourceSpec>().is_err());
        assert!("Bad Ref".parse::<SourceSpec>().is_err());
    }
}
