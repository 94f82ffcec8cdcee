//! The verification rules for signatures and attestations, independent of where they are stored.
//!
//! A caller (the CLI, the registry, the admission controller) fetches candidate signatures
//! (payload bytes + signature bytes + a label saying where they came from) and hands them here
//! with the trusted keys and a [`Policy`]. Every candidate is checked in this order:
//!
//! 1. **signature**: the ECDSA-SHA256 signature over the payload verifies with one of the
//!    trusted keys ([`VerifyError::BadSignature`]; [`VerifyError::UntrustedKey`] when the
//!    candidate names its key and that key is not trusted);
//! 2. **payload**: the verified payload is a simple-signing payload of the expected kind
//!    ([`VerifyError::MalformedPayload`]);
//! 3. **digest**: it names the expected manifest digest ([`VerifyError::DigestMismatch`]; this
//!    also catches a valid signature copied from another image);
//! 4. **identity**: its `docker-reference` satisfies the [`IdentityRule`]
//!    ([`VerifyError::IdentityMismatch`]);
//! 5. **annotations**: every required `key=value` is in `optional`
//!    ([`VerifyError::AnnotationMismatch`]).
//!
//! Then the **threshold**: the candidates that passed must have been signed by at least
//! `threshold` *distinct* trusted keys, counted by [`KeyId`]; two signatures by one key count
//! once ([`VerifyError::Threshold`]). When no candidate passes, the error is that of the
//! candidate that got furthest through the checks (the first such), so a signature copied from
//! another image reports the digest, not an unrelated bad signature next to it.
//!
//! Attestations ([`verify_attestations`]) follow the same shape: a DSSE envelope of an in-toto
//! statement whose signature verifies with a trusted key, whose subject contains the digest and
//! whose predicate type is the expected one.
//!
//! Keys are parsed once into [`TrustedKeys`] (no PEM or DER work per verification); the
//! signature check itself is [`PublicKey::verify_message`] (`ring`), about 40 µs per signature
//! on the development machine (see `benches/verify.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr as _;

use zoll_core::{Digest, ImageRef};

use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::intoto::Statement;
use crate::keys::{KeyId, PublicKey};
use crate::simple::{PayloadKind, SimpleSigning};

/// A key the verifier trusts, with a name for messages (a file name, a policy entry).
#[derive(Clone, Debug)]
pub struct TrustedKey {
    pub name: String,
    pub key: PublicKey,
}

/// The set of trusted keys, parsed once. Adding the same key twice keeps one entry.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trust `key` under `name`; returns false if it was already trusted.
    pub fn add(&mut self, name: impl Into<String>, key: PublicKey) -> bool {
        if self.get(key.id()).is_some() {
            return false;
        }
        self.keys.push(TrustedKey {
            name: name.into(),
            key,
        });
        true
    }

    /// The trusted key with this id.
    pub fn get(&self, id: &KeyId) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.key.id() == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TrustedKey> {
        self.keys.iter()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted key whose DER ECDSA-SHA256 signature of `message` `signature` is, trying
    /// `first` (a claimed key id) before the others.
    fn find_signer(
        &self,
        message: &[u8],
        signature: &[u8],
        first: Option<&KeyId>,
    ) -> Option<&TrustedKey> {
        if let Some(hinted) = first.and_then(|id| self.get(id))
            && hinted.key.verify_message(message, signature)
        {
            return Some(hinted);
        }
        self.keys
            .iter()
            .filter(|k| Some(k.key.id()) != first)
            .find(|k| k.key.verify_message(message, signature))
    }
}

impl FromIterator<(String, PublicKey)> for TrustedKeys {
    fn from_iter<I: IntoIterator<Item = (String, PublicKey)>>(iter: I) -> TrustedKeys {
        let mut keys = TrustedKeys::new();
        for (name, key) in iter {
            keys.add(name, key);
        }
        keys
    }
}

/// One signature to check.
#[derive(Clone, Debug)]
pub struct SignatureCandidate {
    /// The signed payload bytes, exactly as stored.
    pub payload: Vec<u8>,
    /// The DER ECDSA signature (already base64-decoded).
    pub signature: Vec<u8>,
    /// Where it came from (`sha256-….sig layer 0`), for messages.
    pub source: Option<String>,
    /// The key the candidate says signed it (a bundle's or annotation's public key), if any.
    /// Never trusted by itself: it only lets a failure say "untrusted key" instead of "bad
    /// signature", and lets the right trusted key be tried first.
    pub claimed_key: Option<PublicKey>,
}

impl SignatureCandidate {
    pub fn new(payload: Vec<u8>, signature: Vec<u8>) -> SignatureCandidate {
        SignatureCandidate {
            payload,
            signature,
            source: None,
            claimed_key: None,
        }
    }

    pub fn with_source(mut self, source: impl Into<String>) -> SignatureCandidate {
        self.source = Some(source.into());
        self
    }

    pub fn with_claimed_key(mut self, key: PublicKey) -> SignatureCandidate {
        self.claimed_key = Some(key);
        self
    }

    fn label(&self, index: usize) -> String {
        self.source
            .clone()
            .unwrap_or_else(|| format!("signature #{}", index + 1))
    }
}

/// How the payload's `docker-reference` must relate to the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityRule {
    /// The `docker-reference` string must be exactly this.
    Exact(String),
    /// The `docker-reference`'s repository (registry and path, tag and digest ignored, Docker
    /// Hub names normalised: `nginx` = `index.docker.io/library/nginx`) must be this one's.
    Repository(String),
    /// Any `docker-reference`.
    Ignore,
}

impl IdentityRule {
    /// Whether `docker_reference` satisfies the rule.
    pub fn matches(&self, docker_reference: &str) -> bool {
        match self {
            IdentityRule::Exact(expected) => expected == docker_reference,
            IdentityRule::Repository(expected) => {
                match (repository_of(expected), repository_of(docker_reference)) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                }
            }
            IdentityRule::Ignore => true,
        }
    }

    fn describe(&self) -> String {
        match self {
            IdentityRule::Exact(s) => format!("exactly {s:?}"),
            IdentityRule::Repository(s) => format!("repository {s:?}"),
            IdentityRule::Ignore => "anything".to_owned(),
        }
    }
}

/// `registry/repository` of a reference, normalised, tag and digest dropped.
fn repository_of(reference: &str) -> Option<String> {
    ImageRef::from_str(reference).ok().map(|r| r.name())
}

/// What a signature must satisfy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The manifest digest being verified.
    pub manifest_digest: Digest,
    pub identity: IdentityRule,
    /// Required `optional` entries (`key=value`), all of them.
    pub annotations: BTreeMap<String, String>,
    /// Distinct trusted keys required (0 is treated as 1).
    pub threshold: usize,
    /// The payload flavour accepted (cosign by default).
    pub payload_kind: PayloadKind,
}

impl Policy {
    /// Any identity, no annotations, one key, cosign payloads.
    pub fn new(manifest_digest: Digest) -> Policy {
        Policy {
            manifest_digest,
            identity: IdentityRule::Ignore,
            annotations: BTreeMap::new(),
            threshold: 1,
            payload_kind: PayloadKind::Cosign,
        }
    }
}

/// A signature that passed every check.
#[derive(Clone, Debug)]
pub struct VerifiedSignature {
    pub payload: SimpleSigning,
    /// The trusted key that verified it.
    pub key_id: KeyId,
    pub key_name: String,
    /// The candidate's label.
    pub source: String,
}

/// Which check failed. Each message starts with the check's name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("no signatures found for {digest}")]
    NoSignatures { digest: String },
    #[error("no trusted keys configured")]
    NoTrustedKeys,
    #[error(
        "signature check failed for {signature}: it does not verify with any trusted key \
         (payload changed, or signed by an unknown key)"
    )]
    BadSignature { signature: String },
    #[error("key check failed for {signature}: signed by key {key_id}, which is not trusted")]
    UntrustedKey { signature: String, key_id: String },
    #[error("payload check failed for {signature}: {reason}")]
    MalformedPayload { signature: String, reason: String },
    #[error("digest check failed for {signature}: it signs {found}, not {expected}")]
    DigestMismatch {
        signature: String,
        expected: String,
        found: String,
    },
    #[error("identity check failed for {signature}: docker-reference {found:?} is not {expected}")]
    IdentityMismatch {
        signature: String,
        expected: String,
        found: String,
    },
    #[error(
        "annotation check failed for {signature}: {key}={expected:?} is required, found {}",
        found.as_deref().map_or_else(|| "none".to_owned(), |f| format!("{f:?}"))
    )]
    AnnotationMismatch {
        signature: String,
        key: String,
        expected: String,
        found: Option<String>,
    },
    #[error("predicate type check failed for {signature}: expected {expected:?}, found {found:?}")]
    PredicateTypeMismatch {
        signature: String,
        expected: String,
        found: String,
    },
    #[error(
        "threshold check failed: {needed} distinct trusted keys are required, \
         {distinct_keys} verified"
    )]
    Threshold { needed: usize, distinct_keys: usize },
}

impl VerifyError {
    /// How far a candidate got before this error (higher = further).
    fn stage(&self) -> u8 {
        match self {
            VerifyError::NoSignatures { .. }
            | VerifyError::NoTrustedKeys
            | VerifyError::Threshold { .. } => 0,
            VerifyError::BadSignature { .. } => 1,
            VerifyError::UntrustedKey { .. } => 2,
            VerifyError::MalformedPayload { .. } => 3,
            VerifyError::DigestMismatch { .. } => 4,
            VerifyError::PredicateTypeMismatch { .. } => 5,
            VerifyError::IdentityMismatch { .. } => 6,
            VerifyError::AnnotationMismatch { .. } => 7,
        }
    }
}

/// Keep the most informative failure: the one that got furthest, the first on a tie.
fn keep_best(best: &mut Option<VerifyError>, error: VerifyError) {
    if best.as_ref().is_none_or(|b| error.stage() > b.stage()) {
        *best = Some(error);
    }
}

fn finish<T>(
    passed: Vec<T>,
    keys_of: impl Fn(&T) -> Vec<KeyId>,
    threshold: usize,
    best: Option<VerifyError>,
    digest: &Digest,
) -> Result<Vec<T>, VerifyError> {
    let needed = threshold.max(1);
    let distinct: BTreeSet<KeyId> = passed.iter().flat_map(&keys_of).collect();
    if !passed.is_empty() && distinct.len() >= needed {
        return Ok(passed);
    }
    if passed.is_empty()
        && let Some(error) = best
    {
        return Err(error);
    }
    if passed.is_empty() {
        return Err(VerifyError::NoSignatures {
            digest: digest.to_string(),
        });
    }
    Err(VerifyError::Threshold {
        needed,
        distinct_keys: distinct.len(),
    })
}

/// Check cosign-style signatures against `keys` and `policy` (see the module docs). Returns
/// every candidate that passed, with the key that verified it.
pub fn verify_signatures(
    candidates: &[SignatureCandidate],
    keys: &TrustedKeys,
    policy: &Policy,
) -> Result<Vec<VerifiedSignature>, VerifyError> {
    if keys.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    if candidates.is_empty() {
        return Err(VerifyError::NoSignatures {
            digest: policy.manifest_digest.to_string(),
        });
    }
    let mut passed = Vec::new();
    let mut best = None;
    for (index, candidate) in candidates.iter().enumerate() {
        match check_signature(index, candidate, keys, policy) {
            Ok(verified) => passed.push(verified),
            Err(error) => keep_best(&mut best, error),
        }
    }
    finish(
        passed,
        |v| vec![v.key_id.clone()],
        policy.threshold,
        best,
        &policy.manifest_digest,
    )
}

/// Which trusted key signed `message`, or the signature-stage error.
fn signer_of<'k>(
    label: &str,
    message: &[u8],
    signature: &[u8],
    claimed: Option<&PublicKey>,
    keys: &'k TrustedKeys,
) -> Result<&'k TrustedKey, VerifyError> {
    if let Some(key) = keys.find_signer(message, signature, claimed.map(PublicKey::id)) {
        return Ok(key);
    }
    match claimed {
        Some(claimed) if claimed.verify_message(message, signature) => {
            Err(VerifyError::UntrustedKey {
                signature: label.to_owned(),
                key_id: claimed.id().to_string(),
            })
        }
        _ => Err(VerifyError::BadSignature {
            signature: label.to_owned(),
        }),
    }
}

/// Run checks 1–5 on one candidate.
pub fn check_signature(
    index: usize,
    candidate: &SignatureCandidate,
    keys: &TrustedKeys,
    policy: &Policy,
) -> Result<VerifiedSignature, VerifyError> {
    let label = candidate.label(index);
    let key = signer_of(
        &label,
        &candidate.payload,
        &candidate.signature,
        candidate.claimed_key.as_ref(),
        keys,
    )?;
    let payload = SimpleSigning::parse(&label, &candidate.payload).map_err(|e| {
        VerifyError::MalformedPayload {
            signature: label.clone(),
            reason: e.to_string(),
        }
    })?;
    if payload.kind != policy.payload_kind {
        return Err(VerifyError::MalformedPayload {
            signature: label,
            reason: format!(
                "type {:?}, expected {:?}",
                payload.kind.type_string(),
                policy.payload_kind.type_string()
            ),
        });
    }
    if payload.manifest_digest != policy.manifest_digest {
        return Err(VerifyError::DigestMismatch {
            signature: label,
            expected: policy.manifest_digest.to_string(),
            found: payload.manifest_digest.to_string(),
        });
    }
    if !policy.identity.matches(&payload.docker_reference) {
        return Err(VerifyError::IdentityMismatch {
            signature: label,
            expected: policy.identity.describe(),
            found: payload.docker_reference,
        });
    }
    for (k, v) in &policy.annotations {
        if !payload.has_annotation(k, v) {
            return Err(VerifyError::AnnotationMismatch {
                signature: label,
                key: k.clone(),
                expected: v.clone(),
                found: payload.optional_value(k).map(|found| match found {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            });
        }
    }
    Ok(VerifiedSignature {
        payload,
        key_id: key.key.id().clone(),
        key_name: key.name.clone(),
        source: label,
    })
}

/// One attestation to check: a DSSE envelope as stored.
#[derive(Clone, Debug)]
pub struct AttestationCandidate {
    /// The envelope JSON.
    pub envelope: Vec<u8>,
    /// Where it came from, for messages.
    pub source: Option<String>,
}

impl AttestationCandidate {
    pub fn new(envelope: Vec<u8>) -> AttestationCandidate {
        AttestationCandidate {
            envelope,
            source: None,
        }
    }

    pub fn with_source(mut self, source: impl Into<String>) -> AttestationCandidate {
        self.source = Some(source.into());
        self
    }
}

/// What an attestation must satisfy.
#[derive(Clone, Debug)]
pub struct AttestationPolicy {
    pub manifest_digest: Digest,
    /// The required predicate type URI (see [`crate::intoto::predicate_type_uri`]); `None`
    /// accepts any.
    pub predicate_type: Option<String>,
    /// Distinct trusted keys required (0 is treated as 1).
    pub threshold: usize,
}

/// An attestation that passed every check.
#[derive(Clone, Debug)]
pub struct VerifiedAttestation {
    pub statement: Statement,
    /// The envelope's payload bytes (the statement as signed).
    pub payload: Vec<u8>,
    /// Every trusted key with a valid signature on the envelope.
    pub key_ids: Vec<KeyId>,
    pub source: String,
}

/// Check DSSE attestations against `keys` and `policy`.
pub fn verify_attestations(
    candidates: &[AttestationCandidate],
    keys: &TrustedKeys,
    policy: &AttestationPolicy,
) -> Result<Vec<VerifiedAttestation>, VerifyError> {
    if keys.is_empty() {
        return Err(VerifyError::NoTrustedKeys);
    }
    if candidates.is_empty() {
        return Err(VerifyError::NoSignatures {
            digest: policy.manifest_digest.to_string(),
        });
    }
    let mut passed = Vec::new();
    let mut best = None;
    for (index, candidate) in candidates.iter().enumerate() {
        let label = candidate
            .source
            .clone()
            .unwrap_or_else(|| format!("attestation #{}", index + 1));
        match check_attestation(label, &candidate.envelope, keys, policy) {
            Ok(verified) => passed.push(verified),
            Err(error) => keep_best(&mut best, error),
        }
    }
    finish(
        passed,
        |v| v.key_ids.clone(),
        policy.threshold,
        best,
        &policy.manifest_digest,
    )
}

/// Check one DSSE envelope (JSON bytes) as an attestation.
pub fn check_attestation(
    label: String,
    envelope_json: &[u8],
    keys: &TrustedKeys,
    policy: &AttestationPolicy,
) -> Result<VerifiedAttestation, VerifyError> {
    let malformed = |reason: String| VerifyError::MalformedPayload {
        signature: label.clone(),
        reason,
    };
    let envelope = Envelope::parse(&label, envelope_json).map_err(|e| malformed(e.to_string()))?;
    check_envelope(label, envelope, keys, policy)
}

/// Check one parsed DSSE envelope (from a bundle, say) as an attestation.
pub fn check_envelope(
    label: String,
    envelope: Envelope,
    keys: &TrustedKeys,
    policy: &AttestationPolicy,
) -> Result<VerifiedAttestation, VerifyError> {
    let pae = envelope.pae();
    let mut key_ids = BTreeSet::new();
    for signature in &envelope.signatures {
        if let Ok(key) = signer_of(&label, &pae, &signature.sig, None, keys) {
            key_ids.insert(key.key.id().clone());
        }
    }
    if key_ids.is_empty() {
        return Err(VerifyError::BadSignature { signature: label });
    }
    let malformed = |reason: String| VerifyError::MalformedPayload {
        signature: label.clone(),
        reason,
    };
    envelope
        .expect_payload_type(&label, IN_TOTO_PAYLOAD_TYPE)
        .map_err(|e| malformed(e.to_string()))?;
    let statement =
        Statement::parse(&label, &envelope.payload).map_err(|e| malformed(e.to_string()))?;
    if !statement.covers(&policy.manifest_digest) {
        return Err(VerifyError::DigestMismatch {
            signature: label,
            expected: policy.manifest_digest.to_string(),
            found: statement.subject_digests().join(", "),
        });
    }
    if let Some(expected) = &policy.predicate_type
        && &statement.predicate_type != expected
    {
        return Err(VerifyError::PredicateTypeMismatch {
            signature: label,
            expected: expected.clone(),
            found: statement.predicate_type,
        });
    }
    Ok(VerifiedAttestation {
        statement,
        payload: envelope.payload,
        key_ids: key_ids.into_iter().collect(),
        source: label,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::intoto::predicate_type_uri;
    use crate::keys::FileSigner;
    use crate::sign_message;

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    fn payload(reference: &str, d: &Digest, annotations: &[(&str, &str)]) -> Vec<u8> {
        let annotations = annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect::<BTreeMap<_, _>>();
        SimpleSigning::cosign(reference, d.clone(), Some(annotations)).to_json()
    }

    fn sign(signer: &FileSigner, payload: Vec<u8>) -> SignatureCandidate {
        let signature = sign_message(signer, &payload).unwrap();
        SignatureCandidate::new(payload, signature.as_bytes().to_vec())
    }

    fn trust(signers: &[&FileSigner]) -> TrustedKeys {
        signers
            .iter()
            .map(|s| (s.name().to_owned(), s.public().clone()))
            .collect()
    }

    #[test]
    fn accepts_a_good_signature() {
        let a = FileSigner::generate("a.pub").unwrap();
        let d = digest('a');
        let c = sign(&a, payload("registry.example/app", &d, &[("env", "prod")]));
        let mut policy = Policy::new(d);
        policy.identity = IdentityRule::Repository("registry.example/app:v1".to_owned());
        policy
            .annotations
            .insert("env".to_owned(), "prod".to_owned());
        let verified = verify_signatures(&[c], &trust(&[&a]), &policy).unwrap();
        assert_eq!(verified.len(), 1);
        assert_eq!(&verified[0].key_id, a.public().id());
        assert_eq!(verified[0].key_name, "a.pub");
    }

    #[test]
    fn changed_payload_is_a_bad_signature() {
        let a = FileSigner::generate("a").unwrap();
        let d = digest('a');
        let mut c = sign(&a, payload("r.example/app", &d, &[]));
        c.payload = payload("r.example/evil", &d, &[]);
        let c = c.with_source("sig layer 0");
        let err = verify_signatures(&[c], &trust(&[&a]), &Policy::new(d)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::BadSignature {
                signature: "sig layer 0".to_owned()
            }
        );
        assert!(
            err.to_string()
                .starts_with("signature check failed for sig layer 0")
        );
    }

    #[test]
    fn signature_for_another_digest_is_a_digest_mismatch() {
        // A valid signature copied over from another image.
        let a = FileSigner::generate("a").unwrap();
        let c = sign(&a, payload("r.example/app", &digest('b'), &[]));
        let err = verify_signatures(&[c], &trust(&[&a]), &Policy::new(digest('a'))).unwrap_err();
        assert!(
            matches!(&err, VerifyError::DigestMismatch { expected, found, .. }
                if expected == &digest('a').to_string() && found == &digest('b').to_string()),
            "{err}"
        );
        assert!(err.to_string().starts_with("digest check failed"));
    }

    #[test]
    fn untrusted_key() {
        let a = FileSigner::generate("a").unwrap();
        let b = FileSigner::generate("b").unwrap();
        let d = digest('a');
        let c = sign(&b, payload("r.example/app", &d, &[])).with_claimed_key(b.public().clone());
        let err = verify_signatures(
            std::slice::from_ref(&c),
            &trust(&[&a]),
            &Policy::new(d.clone()),
        )
        .unwrap_err();
        assert_eq!(
            err,
            VerifyError::UntrustedKey {
                signature: "signature #1".to_owned(),
                key_id: b.public().id().to_string()
            }
        );
        // Without a claimed key the verifier cannot tell an unknown key from tampering.
        let mut anonymous = c;
        anonymous.claimed_key = None;
        let err = verify_signatures(&[anonymous], &trust(&[&a]), &Policy::new(d)).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn identity_and_annotations() {
        let a = FileSigner::generate("a").unwrap();
        let d = digest('a');
        let c = sign(
            &a,
            payload("index.docker.io/library/nginx", &d, &[("env", "dev")]),
        );
        let keys = trust(&[&a]);

        let mut policy = Policy::new(d.clone());
        policy.identity = IdentityRule::Repository("nginx:1.27".to_owned());
        assert!(verify_signatures(std::slice::from_ref(&c), &keys, &policy).is_ok());
        policy.identity = IdentityRule::Exact("nginx".to_owned());
        let err = verify_signatures(std::slice::from_ref(&c), &keys, &policy).unwrap_err();
        assert!(matches!(err, VerifyError::IdentityMismatch { .. }), "{err}");
        policy.identity = IdentityRule::Repository("docker.io/library/redis".to_owned());
        let err = verify_signatures(std::slice::from_ref(&c), &keys, &policy).unwrap_err();
        assert!(
            err.to_string().starts_with("identity check failed"),
            "{err}"
        );

        let mut policy = Policy::new(d);
        policy
            .annotations
            .insert("env".to_owned(), "prod".to_owned());
        let err = verify_signatures(std::slice::from_ref(&c), &keys, &policy).unwrap_err();
        assert_eq!(
            err.to_string(),
            "annotation check failed for signature #1: env=\"prod\" is required, found \"dev\""
        );
        policy.annotations.clear();
        policy.annotations.insert("team".to_owned(), "x".to_owned());
        let err = verify_signatures(&[c], &keys, &policy).unwrap_err();
        assert!(
            matches!(err, VerifyError::AnnotationMismatch { found: None, .. }),
            "{err}"
        );
    }

    #[test]
    fn threshold_counts_distinct_keys() {
        let a = FileSigner::generate("a").unwrap();
        let b = FileSigner::generate("b").unwrap();
        let d = digest('a');
        let mut policy = Policy::new(d.clone());
        policy.threshold = 2;
        let keys = trust(&[&a, &b]);

        // Two signatures (different payload annotations, so different bytes) by the same key.
        let same = [
            sign(&a, payload("r.example/x", &d, &[("n", "1")])),
            sign(&a, payload("r.example/x", &d, &[("n", "2")])),
        ];
        let err = verify_signatures(&same, &keys, &policy).unwrap_err();
        assert_eq!(
            err,
            VerifyError::Threshold {
                needed: 2,
                distinct_keys: 1
            }
        );
        assert!(err.to_string().starts_with("threshold check failed"));

        let two = [
            sign(&a, payload("r.example/x", &d, &[])),
            sign(&b, payload("r.example/x", &d, &[])),
        ];
        let verified = verify_signatures(&two, &keys, &policy).unwrap();
        assert_eq!(verified.len(), 2);

        // The same key trusted twice under two names is still one key.
        let mut doubled = trust(&[&a]);
        assert!(!doubled.add("a-again", a.public().clone()));
        assert_eq!(doubled.len(), 1);
    }

    #[test]
    fn empty_inputs() {
        let a = FileSigner::generate("a").unwrap();
        let d = digest('a');
        let err = verify_signatures(&[], &trust(&[&a]), &Policy::new(d.clone())).unwrap_err();
        assert!(matches!(err, VerifyError::NoSignatures { .. }), "{err}");
        let c = sign(&a, payload("r/x", &d, &[]));
        let err = verify_signatures(&[c], &TrustedKeys::new(), &Policy::new(d)).unwrap_err();
        assert_eq!(err, VerifyError::NoTrustedKeys);
    }

    #[test]
    fn best_failure_wins() {
        let a = FileSigner::generate("a").unwrap();
        let d = digest('a');
        let mut tampered = sign(&a, payload("r/x", &d, &[]));
        tampered.payload.push(b' ');
        let copied = sign(&a, payload("r/x", &digest('c'), &[]));
        let err =
            verify_signatures(&[tampered, copied], &trust(&[&a]), &Policy::new(d)).unwrap_err();
        assert!(matches!(err, VerifyError::DigestMismatch { .. }), "{err}");
    }

    #[test]
    fn payload_kind_is_checked() {
        let a = FileSigner::generate("a").unwrap();
        let d = digest('a');
        let atomic = SimpleSigning::atomic("r/x", d.clone(), None, None).to_json();
        let c = sign(&a, atomic);
        let err = verify_signatures(
            std::slice::from_ref(&c),
            &trust(&[&a]),
            &Policy::new(d.clone()),
        )
        .unwrap_err();
        assert!(matches!(err, VerifyError::MalformedPayload { .. }), "{err}");
        let mut policy = Policy::new(d);
        policy.payload_kind = PayloadKind::Atomic;
        assert!(verify_signatures(&[c], &trust(&[&a]), &policy).is_ok());
    }

    fn attestation(signer: &FileSigner, d: &Digest, predicate_type: &str) -> Vec<u8> {
        let statement = Statement::new(
            "r.example/app",
            d,
            predicate_type,
            serde_json::json!({"k": "v"}),
        );
        Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.to_json(), signer, "")
            .unwrap()
            .to_json()
    }

    fn attestation_policy(d: Digest) -> AttestationPolicy {
        AttestationPolicy {
            manifest_digest: d,
            predicate_type: Some(predicate_type_uri("slsaprovenance").unwrap()),
            threshold: 1,
        }
    }

    #[test]
    fn attestations() {
        let a = FileSigner::generate("a").unwrap();
        let b = FileSigner::generate("b").unwrap();
        let keys = trust(&[&a]);
        let d = digest('a');
        let slsa = predicate_type_uri("slsaprovenance").unwrap();
        let good = AttestationCandidate::new(attestation(&a, &d, &slsa));
        let verified = verify_attestations(
            std::slice::from_ref(&good),
            &keys,
            &attestation_policy(d.clone()),
        )
        .unwrap();
        assert_eq!(verified[0].key_ids, vec![a.public().id().clone()]);
        assert_eq!(verified[0].statement.predicate_type, slsa);

        let other_digest = AttestationCandidate::new(attestation(&a, &digest('b'), &slsa));
        let err = verify_attestations(&[other_digest], &keys, &attestation_policy(d.clone()))
            .unwrap_err();
        assert!(matches!(err, VerifyError::DigestMismatch { .. }), "{err}");

        let spdx = AttestationCandidate::new(attestation(&a, &d, "https://spdx.dev/Document"));
        let err = verify_attestations(&[spdx], &keys, &attestation_policy(d.clone())).unwrap_err();
        assert!(
            matches!(err, VerifyError::PredicateTypeMismatch { .. }),
            "{err}"
        );

        let by_b = AttestationCandidate::new(attestation(&b, &d, &slsa));
        let err = verify_attestations(&[by_b], &keys, &attestation_policy(d.clone())).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn truncated_envelope_is_a_named_parse_error() {
        let a = FileSigner::generate("a").unwrap();
        let d = digest('a');
        let slsa = predicate_type_uri("slsaprovenance").unwrap();
        let json = attestation(&a, &d, &slsa);
        let truncated = AttestationCandidate::new(json[..json.len() - 10].to_vec())
            .with_source("sha256-aaaa.att layer 0");
        let err =
            verify_attestations(&[truncated], &trust(&[&a]), &attestation_policy(d)).unwrap_err();
        assert!(matches!(err, VerifyError::MalformedPayload { .. }), "{err}");
        assert!(
            err.to_string().starts_with(
                "payload check failed for sha256-aaaa.att layer 0: DSSE envelope \
                 sha256-aaaa.att layer 0 is malformed"
            ),
            "{err}"
        );
    }

    #[test]
    fn attestation_threshold_counts_distinct_keys() {
        let a = FileSigner::generate("a").unwrap();
        let b = FileSigner::generate("b").unwrap();
        let keys = trust(&[&a, &b]);
        let d = digest('a');
        let slsa = predicate_type_uri("slsaprovenance").unwrap();
        let mut policy = attestation_policy(d.clone());
        policy.threshold = 2;
        let twice = [
            AttestationCandidate::new(attestation(&a, &d, &slsa)),
            AttestationCandidate::new(attestation(&a, &d, &slsa)),
        ];
        let err = verify_attestations(&twice, &keys, &policy).unwrap_err();
        assert_eq!(
            err,
            VerifyError::Threshold {
                needed: 2,
                distinct_keys: 1
            }
        );
        // One envelope signed by both keys satisfies the threshold.
        let statement = Statement::new("r/x", &d, slsa.as_str(), serde_json::Value::Null);
        let mut envelope =
            Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.to_json(), &a, "").unwrap();
        envelope.add_signature(&b, "").unwrap();
        let both = AttestationCandidate::new(envelope.to_json());
        assert!(verify_attestations(&[both], &keys, &policy).is_ok());
    }
}
