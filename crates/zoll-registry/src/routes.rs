//! Parsing `/v2/...` paths. Repository names contain slashes, so the route is recognised from the
//! end of the path, as the distribution specification's endpoint table reads.

use zoll_core::Digest;

/// What a `/v2/` path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Base,
    Catalog,
    Manifest {
        name: String,
        reference: String,
    },
    Blob {
        name: String,
        digest: String,
    },
    UploadStart {
        name: String,
    },
    Upload {
        name: String,
        id: String,
    },
    Tags {
        name: String,
    },
    Referrers {
        name: String,
        digest: String,
    },
    /// `/extensions/v2/<name>/signatures/<digest>`: the signature API extension of
    /// containers/image (skopeo, podman), first offered by OpenShift's registry.
    Signatures {
        name: String,
        digest: String,
    },
}

impl Route {
    /// The repository the route addresses.
    pub fn name(&self) -> Option<&str> {
        match self {
            Route::Base | Route::Catalog => None,
            Route::Manifest { name, .. }
            | Route::Blob { name, .. }
            | Route::UploadStart { name }
            | Route::Upload { name, .. }
            | Route::Tags { name }
            | Route::Referrers { name, .. }
            | Route::Signatures { name, .. } => Some(name),
        }
    }

    /// A label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Route::Base => "base",
            Route::Catalog => "catalog",
            Route::Manifest { .. } => "manifest",
            Route::Blob { .. } => "blob",
            Route::UploadStart { .. } | Route::Upload { .. } => "upload",
            Route::Tags { .. } => "tags",
            Route::Referrers { .. } => "referrers",
            Route::Signatures { .. } => "signatures",
        }
    }
}

/// Parse the path (without query). `None`: not a distribution route.
pub fn parse(path: &str) -> Option<Route> {
    if let Some(rest) = path.strip_prefix("/extensions/v2/") {
        let (name, digest) = rest.rsplit_once("/signatures/")?;
        if name.is_empty() || digest.is_empty() || digest.contains('/') {
            return None;
        }
        return Some(Route::Signatures {
            name: name.to_owned(),
            digest: digest.to_owned(),
        });
    }
    let rest = path.strip_prefix("/v2")?;
    if rest.is_empty() || rest == "/" {
        return Some(Route::Base);
    }
    let rest = rest.strip_prefix('/')?;
    if rest == "_catalog" {
        return Some(Route::Catalog);
    }
    let segs: Vec<&str> = rest.split('/').collect();
    let n = segs.len();
    let name = |k: usize| -> Option<String> {
        if k == 0 {
            return None;
        }
        Some(segs[..k].join("/"))
    };
    if n >= 3 && segs[n - 3] == "blobs" && segs[n - 2] == "uploads" {
        let name = name(n - 3)?;
        return Some(if segs[n - 1].is_empty() {
            Route::UploadStart { name }
        } else {
            Route::Upload {
                name,
                id: segs[n - 1].to_owned(),
            }
        });
    }
    if n >= 2 && segs[n - 2] == "blobs" && segs[n - 1] == "uploads" {
        return Some(Route::UploadStart { name: name(n - 2)? });
    }
    if n >= 2 {
        let last = segs[n - 1].to_owned();
        match segs[n - 2] {
            "manifests" => {
                return Some(Route::Manifest {
                    name: name(n - 2)?,
                    reference: last,
                });
            }
            "blobs" => {
                return Some(Route::Blob {
                    name: name(n - 2)?,
                    digest: last,
                });
            }
            "referrers" => {
                return Some(Route::Referrers {
                    name: name(n - 2)?,
                    digest: last,
                });
            }
            "tags" if last == "list" => return Some(Route::Tags { name: name(n - 2)? }),
            _ => {}
        }
    }
    None
}

/// A manifest reference: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

/// The OCI tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Parse a reference; `Err` carries whether it looked like a digest (DIGEST_INVALID) or a tag
/// (MANIFEST_INVALID on push, MANIFEST_UNKNOWN on pull and delete).
pub fn parse_reference(s: &str) -> Result<Reference, bool> {
    if s.contains(':') {
        return s.parse::<Digest>().map(Reference::Digest).map_err(|_| true);
    }
    if is_valid_tag(s) {
        Ok(Reference::Tag(s.to_owned()))
    } else {
        Err(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_extension_routes() {
        assert_eq!(
            parse("/extensions/v2/org/a/b/signatures/sha256:abc"),
            Some(Route::Signatures {
                name: "org/a/b".into(),
                digest: "sha256:abc".into()
            })
        );
        assert_eq!(parse("/extensions/v2/signatures/sha256:abc"), None);
        assert_eq!(parse("/extensions/v2/a/signatures/"), None);
        assert_eq!(parse("/extensions/v2/a/b"), None);
    }

    #[test]
    fn routes_are_recognised_from_the_end() {
        assert_eq!(parse("/v2/"), Some(Route::Base));
        assert_eq!(parse("/v2"), Some(Route::Base));
        assert_eq!(parse("/v2/_catalog"), Some(Route::Catalog));
        assert_eq!(
            parse("/v2/a/b/manifests/latest"),
            Some(Route::Manifest {
                name: "a/b".into(),
                reference: "latest".into()
            })
        );
        assert_eq!(
            parse("/v2/a/blobs/uploads/"),
            Some(Route::UploadStart { name: "a".into() })
        );
        assert_eq!(
            parse("/v2/a/blobs/uploads"),
            Some(Route::UploadStart { name: "a".into() })
        );
        assert_eq!(
            parse("/v2/a/blobs/uploads/abc"),
            Some(Route::Upload {
                name: "a".into(),
                id: "abc".into()
            })
        );
        // A repository may be called "blobs" or "manifests".
        assert_eq!(
            parse("/v2/org/manifests/manifests/v1"),
            Some(Route::Manifest {
                name: "org/manifests".into(),
                reference: "v1".into()
            })
        );
        assert_eq!(
            parse("/v2/x/tags/list"),
            Some(Route::Tags { name: "x".into() })
        );
        assert_eq!(
            parse("/v2/x/referrers/sha256:ab"),
            Some(Route::Referrers {
                name: "x".into(),
                digest: "sha256:ab".into()
            })
        );
        assert_eq!(parse("/v2/manifests/x"), None);
        assert_eq!(parse("/v3/"), None);
    }

    #[test]
    fn tags() {
        assert!(is_valid_tag("v1.0_rc-1"));
        assert!(is_valid_tag("_x"));
        assert!(!is_valid_tag(".x"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag(&"a".repeat(129)));
        assert!(matches!(parse_reference("sha256:zz"), Err(true)));
        assert!(matches!(parse_reference("a b"), Err(false)));
    }
}
