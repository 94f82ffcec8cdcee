//! Digest and identity checks of a verified signature.
//!
//! Sources read: containers/image `signature/simple.go` (`verifyAndExtractSignature`: key
//! identity, then payload, then manifest digest, then docker reference),
//! `signature/policy_eval_signedby.go` and `signature/policy_reference_match.go` (the
//! `signedIdentity` rules). References are normalised as `reference.ParseNormalizedNamed`
//! does (zoll-core's `ImageRef`: `busybox` is `docker.io/library/busybox`).

use std::fmt;

use zoll_core::{Digest, ImageRef};

use crate::error::Error;
use crate::message::Verified;

/// A `signedBy` requirement's `signedIdentity` (containers-policy.json(5)); `remapIdentity`
/// is not supported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SignedIdentity {
    /// The default. Image referenced by tag: the signed reference must equal it exactly.
    /// Image referenced by digest only: the signed reference must name the same repository.
    #[default]
    MatchRepoDigestOrExact,
    /// The signed reference must equal the image's exactly; neither may be name-only, so an
    /// image referenced only by digest never matches a tagged signature.
    MatchExact,
    /// Same repository, any tag or digest.
    MatchRepository,
    /// The signed reference must equal this reference (not name-only), whatever the image.
    ExactReference(String),
    /// The signed reference must be in this repository, whatever the image.
    ExactRepository(String),
}

impl SignedIdentity {
    /// The name used in policy.json.
    pub fn name(&self) -> &'static str {
        match self {
            SignedIdentity::MatchRepoDigestOrExact => "matchRepoDigestOrExact",
            SignedIdentity::MatchExact => "matchExact",
            SignedIdentity::MatchRepository => "matchRepository",
            SignedIdentity::ExactReference(_) => "exactReference",
            SignedIdentity::ExactRepository(_) => "exactRepository",
        }
    }
}

impl fmt::Display for SignedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A reference parsed for matching: the normalised reference plus whether the text named
/// only a repository (`reference.IsNameOnly`), which zoll-core's default `:latest` hides.
struct Parsed {
    image: ImageRef,
    name_only: bool,
}

fn parse_ref(input: &str) -> Result<Parsed, Error> {
    let image: ImageRef =
        input
            .parse()
            .map_err(|e: zoll_core::ImageRefError| Error::InvalidReference {
                input: input.to_owned(),
                reason: e.to_string(),
            })?;
    let without_digest = input.split_once('@').map_or(input, |(n, _)| n);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name_only = !input.contains('@') && !last.contains(':');
    Ok(Parsed { image, name_only })
}

/// Checks the verified payload against the image: its manifest digest must equal
/// `manifest_digest` (the digest of the manifest as fetched), and its docker-reference must
/// satisfy `rule` for `image_reference` (the reference the image was pulled/run by, e.g.
/// `registry.example/app:1.0` or `registry.example/app@sha256:…`).
///
/// containers/image compares the digest by re-hashing the manifest with the signature's
/// algorithm (`manifest.MatchesDigest`, which also strips schema1 JWS signatures); use
/// [`check_manifest`] when the manifest bytes are at hand and the algorithms may differ.
pub fn check(
    verified: &Verified,
    manifest_digest: &Digest,
    image_reference: &str,
    rule: &SignedIdentity,
) -> Result<(), Error> {
    if &verified.payload.manifest_digest != manifest_digest {
        return Err(Error::DigestMismatch {
            expected: manifest_digest.to_string(),
            signed: verified.payload.manifest_digest.to_string(),
        });
    }
    check_identity(verified, image_reference, rule)
}

/// Like [`check`], hashing `manifest` with the signed digest's algorithm.
pub fn check_manifest(
    verified: &Verified,
    manifest: &[u8],
    image_reference: &str,
    rule: &SignedIdentity,
) -> Result<(), Error> {
    let actual = Digest::of(verified.payload.manifest_digest.algorithm(), manifest);
    check(verified, &actual, image_reference, rule)
}

/// Only the identity part of [`check`].
pub fn check_identity(
    verified: &Verified,
    image_reference: &str,
    rule: &SignedIdentity,
) -> Result<(), Error> {
    let signed_str = verified.payload.docker_reference.as_str();
    let mismatch = |expected: &str| Error::IdentityMismatch {
        expected: expected.to_owned(),
        signed: signed_str.to_owned(),
        rule: rule.name(),
    };
    // An unparseable signed reference never matches (containers/image returns false).
    let Ok(signed) = parse_ref(signed_str) else {
        return Err(mismatch(image_reference));
    };
    let ok = match rule {
        SignedIdentity::MatchRepoDigestOrExact => {
            let intended = parse_ref(image_reference)?;
            if signed.name_only {
                false
            } else if intended.image.tag().is_some() {
                // A name-only image reference gets `:latest`, as the docker transport adds it.
                signed.image == intended.image
            } else if intended.image.digest().is_some() {
                signed.image.name() == intended.image.name()
            } else {
                false
            }
        }
        SignedIdentity::MatchExact => {
            let intended = parse_ref(image_reference)?;
            !signed.name_only && signed.image == intended.image
        }
        SignedIdentity::MatchRepository => {
            let intended = parse_ref(image_reference)?;
            signed.image.name() == intended.image.name()
        }
        SignedIdentity::ExactReference(r) => {
            let intended = parse_ref(r)?;
            !intended.name_only && !signed.name_only && signed.image == intended.image
        }
        SignedIdentity::ExactRepository(r) => {
            let intended = parse_ref(r)?;
            signed.image.name() == intended.image.name()
        }
    };
    if ok {
        Ok(())
    } else {
        let expected = match rule {
            SignedIdentity::ExactReference(r) | SignedIdentity::ExactRepository(r) => r.as_str(),
            _ => image_reference,
        };
        Err(mismatch(expected))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::SimpleSigning;
    use crate::keys::Fingerprint;

    const D: &str = "sha256:817a12c32a39bbe394944ba49de563e085f1d3c5266eb8e9723256bc4448680e";
    const D2: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    fn verified(reference: &str) -> Verified {
        let fp: Fingerprint = "08CD26E446E2E95249B7A405E932F44B23E8DD43".parse().unwrap();
        Verified {
            fingerprint: fp.clone(),
            signing_key: fp,
            signed_at: None,
            payload_bytes: Vec::new(),
            payload: SimpleSigning {
                docker_reference: reference.to_owned(),
                manifest_digest: D.parse().unwrap(),
                creator: None,
                timestamp: None,
            },
        }
    }

    fn ok(sig: &str, image: &str, rule: &SignedIdentity) -> bool {
        match check(&verified(sig), &D.parse().unwrap(), image, rule) {
            Ok(()) => true,
            Err(Error::IdentityMismatch { .. }) => false,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn digest_mismatch() {
        let e = check(
            &verified("busybox:latest"),
            &D2.parse().unwrap(),
            "busybox:latest",
            &SignedIdentity::default(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
    }

    #[test]
    fn repo_digest_or_exact() {
        let r = SignedIdentity::MatchRepoDigestOrExact;
        assert!(ok("docker.io/library/busybox:latest", "busybox:latest", &r));
        assert!(ok("busybox:latest", "docker.io/library/busybox", &r));
        assert!(!ok("busybox:1", "busybox:latest", &r));
        assert!(!ok("busybox", "busybox:latest", &r), "name-only signature");
        assert!(ok("busybox:1", &format!("busybox@{D}"), &r));
        assert!(!ok("other:1", &format!("busybox@{D}"), &r));
        assert!(!ok("example.com/busybox:latest", "busybox:latest", &r));
    }

    #[test]
    fn exact_and_repository() {
        let m = SignedIdentity::MatchExact;
        assert!(ok("busybox:latest", "busybox:latest", &m));
        assert!(!ok("busybox:latest", &format!("busybox@{D}"), &m));
        let m = SignedIdentity::MatchRepository;
        assert!(ok("busybox:1", "busybox:latest", &m));
        assert!(ok("busybox", "busybox:latest", &m));
        assert!(!ok("alpine:1", "busybox:latest", &m));
        let m = SignedIdentity::ExactReference("quay.io/a/b:1".into());
        assert!(ok("quay.io/a/b:1", "anything.example/x:y", &m));
        assert!(!ok("quay.io/a/b:2", "quay.io/a/b:2", &m));
        let m = SignedIdentity::ExactRepository("quay.io/a/b".into());
        assert!(ok("quay.io/a/b:2", "anything.example/x:y", &m));
        assert!(!ok("quay.io/a/c:2", "quay.io/a/b:2", &m));
    }
}
