//! GPG "simple signing" of container images, as containers/image (skopeo, podman) does it,
//! implemented with rpgp (the `pgp` crate) — never a `gpg` subprocess.
//!
//! A simple signature is an OpenPGP **signed message** (not detached, not armored: a
//! one-pass signature packet, a literal data packet and a signature packet, as `gpg --sign`
//! writes it; gpg usually wraps them in a compressed data packet) whose literal data is the
//! JSON payload described in [`SimpleSigning`].
//!
//! ```text
//! SimpleSigning::new(ref, digest).to_json() ─► sign(json, &SecretKeyring::select(fpr), pass) ─► blob
//! blob ─► verify(blob, &PublicKeyring) ─► Verified ─► check(&verified, digest, ref, &SignedIdentity)
//! ```
//!
//! Verification follows containers/image's `verifyAndExtractSignature` in order: the
//! OpenPGP signature must verify against a trusted key (exactly one signature; unknown
//! issuer → [`Error::UnknownKey`]; revoked/expired key or subkey, wrong key usage, expired
//! signature are rejected as gpgme rejects them), the signer's **primary** fingerprint must
//! be accepted ([`verify_with_fingerprints`]), then the payload is parsed strictly
//! ([`Error::MalformedPayload`]); [`check`] then compares the manifest digest
//! ([`Error::DigestMismatch`]) and the identity under a [`SignedIdentity`] rule
//! ([`Error::IdentityMismatch`]).
//!
//! # Keys: a decision
//!
//! rpgp cannot read gpg-agent's `private-keys-v1.d` (nor a `pubring.kbx` keybox), so zoll
//! never looks into a GnuPG home. A FINGERPRINT given to zoll always names a key inside the
//! key files zoll is handed: secret keys exported with `gpg --export-secret-keys [-a] FPR`
//! (the passphrase comes from the caller), public keys with `gpg --export [-a] FPR` — the same
//! files a containers-policy.json `signedBy` rule names with `keyType: GPGKeys` and
//! `keyPath`. A subkey fingerprint selects that subkey; a primary fingerprint selects the
//! newest usable signing key of that certificate, as gpg does.
//!
//! # skopeo / podman compatibility (checked by `tests/it`)
//!
//! Debian's skopeo 1.9.3 and podman 4.3 (containers/image 5.23.1) link libgpgme, so they use
//! the gpgme mechanism, not x/crypto/openpgp: verification imports the `keyPath`/`keyData`
//! keys into an ephemeral GNUPGHOME (needs the `gpg` binary at run time), accepts the
//! *primary* fingerprints of the imported keys, and compares them with the fingerprint
//! gpgme reports for the signature — which for a signature made by a **subkey** is the
//! subkey's. So with those versions a `signedBy` rule rejects subkey signatures: sign with a
//! key whose primary key signs and has no signing subkey (as `--quick-gen-key … sign` makes
//! it). Signing with `--sign-by` uses the caller's GNUPGHOME keyring and the agent.
//! Signatures made here (uncompressed) and gpg's (compressed with ZIP, ZLIB or BZip2) are
//! accepted by both sides.
//!
//! # Storage
//!
//! Where signatures are kept (lookaside, the registry's signature API extension) is crate
//! `zoll-seal`'s `simple` module; this crate only makes and checks the bytes.

mod check;
mod error;
mod keys;
mod message;
mod payload;

pub use check::{SignedIdentity, check, check_identity, check_manifest};
pub use error::Error;
pub use keys::{Fingerprint, PublicKeyring, SecretKeyring, SelectedKey};
pub use message::{MAX_PAYLOAD_BYTES, Verified, sign, verify, verify_with_fingerprints};
pub use payload::{SIGNATURE_TYPE, SimpleSigning};

/// Convenience: builds the payload for `docker_reference` and `manifest_digest` (current time,
/// zoll as creator), and signs it with the key `fingerprint` from `keys`.
pub fn sign_image(
    keys: &SecretKeyring,
    fingerprint: &Fingerprint,
    passphrase: &str,
    docker_reference: &str,
    manifest_digest: &zoll_core::Digest,
) -> Result<Vec<u8>, Error> {
    let payload = SimpleSigning::new(docker_reference, manifest_digest.clone()).to_json()?;
    let key = keys.select(fingerprint)?;
    sign(&payload, &key, passphrase)
}
