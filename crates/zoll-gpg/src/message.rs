//! Making and verifying the OpenPGP signed message.
//!
//! Sources read: containers/image `signature/mechanism_gpgme.go` (signing: `ctx.Sign` with
//! `SigModeNormal`, armor and text mode off, i.e. a binary, non-detached signed message as
//! `gpg --sign` writes it; verifying: exactly one signature, status/validity/key usage must be
//! clean, returns the content and the signer's fingerprint) and
//! `signature/mechanism_openpgp.go` (x/crypto/openpgp `ReadMessage`: must be signed by a
//! key in the keyring, signature expiry is checked, and the identity returned is the
//! *primary* key's fingerprint, uppercase — also for signatures made by a subkey).

use std::io::Read;

use pgp::composed::{Message, MessageBuilder, SignedPublicKey};
use pgp::packet::Signature;
use pgp::types::{KeyDetails, Password, Timestamp};

use crate::SimpleSigning;
use crate::error::Error;
use crate::keys::{
    Fingerprint, PrimaryProblem, PublicKeyring, SelectedKey, SubkeyState, primary_flags_sign,
    primary_valid_details, subkey_state,
};

/// The largest payload accepted when verifying (the JSON is a few hundred bytes; this bounds a
/// decompression bomb). containers/image bounds the signature blob itself at 4 MiB.
pub const MAX_PAYLOAD_BYTES: u64 = 4 * 1024 * 1024;

/// Signs `payload` (normally [`SimpleSigning::to_json`]'s output) with `key`, unlocking it with
/// `passphrase` ("" for an unprotected key).
///
/// The result is a binary OpenPGP message: one-pass signature packet, literal data packet
/// (binary mode, empty file name), signature packet (v4 for v4 keys, signature type 0x00
/// binary document, the key's preferred hash, issuer fingerprint and key id subpackets).
/// It is not compressed (gpg compresses by default; both forms are accepted by gpg, gpgme
/// and x/crypto/openpgp).
pub fn sign(payload: &[u8], key: &SelectedKey<'_>, passphrase: &str) -> Result<Vec<u8>, Error> {
    key.unlock_check(passphrase)?;
    let signer = key.signing_key();
    let hash = signer.hash_alg();
    let mut builder = MessageBuilder::from_bytes("", payload.to_vec());
    builder.sign(signer, Password::from(passphrase), hash);
    builder.to_vec(rand::thread_rng()).map_err(|e| Error::Sign {
        fingerprint: key.fingerprint(),
        reason: e.to_string(),
    })
}

/// A signature that verified, with its parsed payload. Identity and digest rules are applied
/// separately by [`crate::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Primary key fingerprint of the signer: the "key identity" containers/image compares
    /// against the accepted fingerprints.
    pub fingerprint: Fingerprint,
    /// Fingerprint of the key that actually made the signature (a subkey, or the primary).
    pub signing_key: Fingerprint,
    /// Signature creation time (unix seconds), if the signature has one.
    pub signed_at: Option<u32>,
    /// The exact signed bytes.
    pub payload_bytes: Vec<u8>,
    /// The strictly parsed payload.
    pub payload: SimpleSigning,
}

/// Verifies `signature` (a binary or armored OpenPGP signed message, possibly compressed)
/// against `trusted`, then parses the payload strictly. Every key in `trusted` is accepted.
pub fn verify(signature: &[u8], trusted: &PublicKeyring) -> Result<Verified, Error> {
    verify_inner(signature, trusted, None)
}

/// Like [`verify`], but the signer must also be one of `accepted` (containers/image
/// `VerifyImageManifestSignatureUsingKeyIdentityList`); otherwise [`Error::UnknownKey`].
///
/// Either the primary fingerprint or the fingerprint of the subkey that signed may be listed:
/// containers/image's x/crypto/openpgp mechanism reports the primary, while its gpgme
/// mechanism (Debian's skopeo 1.9 / podman 4.3, containers/image 5.23) reports the signing
/// subkey — checked by this crate's skopeo test.
pub fn verify_with_fingerprints(
    signature: &[u8],
    trusted: &PublicKeyring,
    accepted: &[Fingerprint],
) -> Result<Verified, Error> {
    verify_inner(signature, trusted, Some(accepted))
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedSignature {
        reason: reason.into(),
    }
}

fn verify_inner(
    signature: &[u8],
    trusted: &PublicKeyring,
    accepted: Option<&[Fingerprint]>,
) -> Result<Verified, Error> {
    let first = signature.iter().find(|b| !b.is_ascii_whitespace());
    let mut msg = match first {
        None => return Err(malformed("the signature is empty")),
        Some(b) if b & 0x80 != 0 => {
            Message::from_bytes(signature).map_err(|e| malformed(e.to_string()))?
        }
        Some(_) => Message::from_armor(signature)
            .map(|(m, _)| m)
            .map_err(|e| malformed(e.to_string()))?,
    };
    for _ in 0..4 {
        if !msg.is_compressed() {
            break;
        }
        msg = msg.decompress().map_err(|e| malformed(e.to_string()))?;
    }
    if msg.is_encrypted() {
        return Err(malformed("the message is encrypted, not just signed"));
    }
    if !msg.is_signed() {
        return Err(malformed("the message is not signed"));
    }

    let mut payload = Vec::new();
    (&mut msg)
        .take(MAX_PAYLOAD_BYTES + 1)
        .read_to_end(&mut payload)
        .map_err(|e| malformed(e.to_string()))?;
    if payload.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(malformed(format!(
            "the signed payload is larger than {MAX_PAYLOAD_BYTES} bytes"
        )));
    }

    let Message::Signed { reader, .. } = &msg else {
        return Err(malformed("the message is not signed"));
    };
    let count = reader.num_signatures();
    if count != 1 {
        return Err(malformed(format!(
            "expected exactly one signature, found {count}"
        )));
    }
    let sig = reader
        .signature(0)
        .ok_or_else(|| malformed("the message has no final signature packet"))?;

    let (key, signer) = find_signer(sig, trusted)?;
    let primary_fp = Fingerprint::of(&key.primary_key);
    let signing_fp = match signer {
        Signer::Primary => primary_fp.clone(),
        Signer::Subkey(i) => key
            .public_subkeys
            .get(i)
            .map_or_else(|| primary_fp.clone(), |s| Fingerprint::of(&s.key)),
    };

    let verified = match signer {
        Signer::Primary => msg.verify(&key.primary_key),
        Signer::Subkey(i) => match key.public_subkeys.get(i) {
            Some(s) => msg.verify(&s.key),
            None => msg.verify(&key.primary_key),
        },
    };
    let sig = verified.map_err(|e| Error::BadSignature {
        fingerprint: signing_fp.clone(),
        reason: e.to_string(),
    })?;

    // Key validity, as gpgme reports it through the signature status and validity.
    let now = Timestamp::now().as_secs();
    match primary_valid_details(&key.details, key.primary_key.created_at().as_secs(), now) {
        Err(PrimaryProblem::Revoked) => {
            return Err(Error::KeyRevoked {
                fingerprint: primary_fp,
            });
        }
        Err(PrimaryProblem::Expired) => {
            return Err(Error::KeyExpired {
                fingerprint: primary_fp,
            });
        }
        Ok(()) => {}
    }
    match signer {
        Signer::Primary => {
            if !primary_flags_sign(&key.details) {
                return Err(Error::BadSignature {
                    fingerprint: primary_fp,
                    reason: "the primary key is not allowed to make signatures (wrong key usage)"
                        .to_owned(),
                });
            }
        }
        Signer::Subkey(i) => {
            if let Some(s) = key.public_subkeys.get(i) {
                match subkey_state(&s.signatures, now, &key.primary_key, &s.key) {
                    SubkeyState::Usable => {}
                    SubkeyState::Revoked => {
                        return Err(Error::KeyRevoked {
                            fingerprint: signing_fp,
                        });
                    }
                    SubkeyState::Expired => {
                        return Err(Error::KeyExpired {
                            fingerprint: signing_fp,
                        });
                    }
                    SubkeyState::NotBound | SubkeyState::NotSigning => {
                        return Err(Error::BadSignature {
                            fingerprint: signing_fp,
                            reason: "the subkey is not a bound signing subkey (wrong key usage)"
                                .to_owned(),
                        });
                    }
                }
            }
        }
    }
    let signed_at = sig.created().map(Timestamp::as_secs);
    if let (Some(created), Some(life)) = (signed_at, sig.signature_expiration_time()) {
        let expiry = u64::from(created) + u64::from(life.as_secs());
        if life.as_secs() > 0 && expiry <= u64::from(now) {
            return Err(Error::SignatureExpired {
                fingerprint: signing_fp,
                expired_at: expiry,
            });
        }
    }

    if let Some(accepted) = accepted
        && !accepted.contains(&primary_fp)
        && !accepted.contains(&signing_fp)
    {
        return Err(Error::UnknownKey {
            fingerprint: primary_fp.to_string(),
        });
    }

    let parsed = SimpleSigning::from_json(&payload)?;
    Ok(Verified {
        fingerprint: primary_fp,
        signing_key: signing_fp,
        signed_at,
        payload_bytes: payload,
        payload: parsed,
    })
}

#[derive(Clone, Copy, Debug)]
enum Signer {
    Primary,
    Subkey(usize),
}

/// Finds the trusted key the signature names as its issuer (issuer fingerprint subpacket
/// first, then issuer key id).
fn find_signer<'k>(
    sig: &Signature,
    trusted: &'k PublicKeyring,
) -> Result<(&'k SignedPublicKey, Signer), Error> {
    let fps: Vec<String> = sig
        .issuer_fingerprint()
        .iter()
        .map(|f| format!("{f:X}"))
        .collect();
    let ids: Vec<String> = sig
        .issuer_key_id()
        .iter()
        .map(|k| hex_upper(k.as_ref()))
        .collect();
    let matches = |k: &dyn KeyDetails| {
        let fp = format!("{:X}", k.fingerprint());
        let id = hex_upper(k.legacy_key_id().as_ref());
        fps.contains(&fp) || (fps.is_empty() && ids.contains(&id))
    };
    for key in &trusted.keys {
        if matches(&key.primary_key) {
            return Ok((key, Signer::Primary));
        }
        for (i, sub) in key.public_subkeys.iter().enumerate() {
            if matches(&sub.key) {
                return Ok((key, Signer::Subkey(i)));
            }
        }
    }
    let named = fps
        .first()
        .or_else(|| ids.first())
        .cloned()
        .unwrap_or_else(|| "(no issuer in signature)".to_owned());
    Err(Error::UnknownKey { fingerprint: named })
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
