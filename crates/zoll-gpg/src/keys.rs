//! Loading OpenPGP public and secret keys from files zoll is given, and selecting a signing
//! key by fingerprint.
//!
//! rpgp reads Transferable Public/Secret Keys (RFC 9580 §10.1), armored or binary, one or more
//! per input, as `gpg --export [-a]` and `gpg --export-secret-keys [-a]` write them. It cannot
//! read gpg-agent's `private-keys-v1.d` nor a keybox (`pubring.kbx`): a fingerprint always
//! names a key inside the key files handed to zoll.

use std::fmt;
use std::io::BufReader;
use std::str::FromStr;

use pgp::composed::{PublicOrSecret, SignedPublicKey, SignedSecretKey};
use pgp::packet::{Signature, SignatureType};
use pgp::types::{KeyDetails, Password, Timestamp};

use crate::error::Error;

/// An OpenPGP key fingerprint: 40 (v4) or 64 (v6) uppercase hex digits, displayed as gpgme
/// and containers/image print it (uppercase, no spaces).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The uppercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn of(key: &impl KeyDetails) -> Fingerprint {
        Fingerprint(format!("{:X}", key.fingerprint()))
    }
}

impl FromStr for Fingerprint {
    type Err = Error;

    /// Hex, case-insensitive; spaces (as `gpg --fingerprint` groups them) and a `0x` prefix
    /// are allowed.
    fn from_str(s: &str) -> Result<Self, Error> {
        let trimmed = s.trim();
        let trimmed = trimmed
            .strip_prefix("0x")
            .or_else(|| trimmed.strip_prefix("0X"))
            .unwrap_or(trimmed);
        let hex: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        if !(hex.len() == 40 || hex.len() == 64) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::InvalidFingerprint {
                input: s.to_owned(),
            });
        }
        Ok(Fingerprint(hex.to_ascii_uppercase()))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses every key in `data` (armored, possibly several armor blocks, or binary).
fn parse_keys(name: &str, data: &[u8]) -> Result<Vec<PublicOrSecret>, Error> {
    let err = |reason: String| Error::KeyParse {
        name: name.to_owned(),
        reason,
    };
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    let Some(&first) = first else {
        return Err(err("the input is empty".to_owned()));
    };
    let mut out = Vec::new();
    if first & 0x80 != 0 {
        // Binary packets always have the high bit of the first octet set.
        let iter = PublicOrSecret::from_bytes_many(BufReader::new(data))
            .map_err(|e| err(e.to_string()))?;
        for key in iter {
            out.push(key.map_err(|e| err(e.to_string()))?);
        }
        return Ok(out);
    }
    // Armored: gpg appends one armor block per `--export -a` run; read them all, like
    // gpg --import does.
    let text = std::str::from_utf8(data).map_err(|_| {
        err("neither binary OpenPGP packets nor ASCII-armored text (not utf-8)".to_owned())
    })?;
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN PGP ") {
        let block = &rest[start..];
        let end_marker = block
            .find("-----END PGP ")
            .ok_or_else(|| err("armor block has no -----END PGP ... line".to_owned()))?;
        let end = block[end_marker..]
            .find('\n')
            .map_or(block.len(), |i| end_marker + i + 1);
        blocks.push(&block[..end]);
        rest = &block[end..];
    }
    if blocks.is_empty() {
        return Err(err(
            "neither binary OpenPGP packets nor an ASCII-armored key block".to_owned(),
        ));
    }
    for block in blocks {
        let (iter, _headers) =
            PublicOrSecret::from_armor_many(block.as_bytes()).map_err(|e| err(e.to_string()))?;
        for key in iter {
            out.push(key.map_err(|e| err(e.to_string()))?);
        }
    }
    Ok(out)
}

/// A set of public keys; every key in it is trusted by [`crate::verify`] (as every key in a
/// `signedBy` rule's `keyPath`/`keyPaths`/`keyData` is trusted by containers/image).
#[derive(Clone, Debug, Default)]
pub struct PublicKeyring {
    pub(crate) keys: Vec<SignedPublicKey>,
}

impl PublicKeyring {
    pub fn new() -> PublicKeyring {
        PublicKeyring::default()
    }

    /// Loads every key from one key file's bytes; `name` (usually the path) is only used in
    /// error messages. Secret keys are accepted too and contribute their public part.
    pub fn from_bytes(name: &str, data: &[u8]) -> Result<PublicKeyring, Error> {
        let mut ring = PublicKeyring::new();
        ring.add_bytes(name, data)?;
        Ok(ring)
    }

    /// Adds every key from `data`; returns the primary fingerprints added, in file order
    /// (what containers/image's mechanisms return as the "key identities" of a key file).
    pub fn add_bytes(&mut self, name: &str, data: &[u8]) -> Result<Vec<Fingerprint>, Error> {
        let mut added = Vec::new();
        for key in parse_keys(name, data)? {
            let public = match key {
                PublicOrSecret::Public(k) => k,
                PublicOrSecret::Secret(k) => k.to_public_key(),
            };
            added.push(Fingerprint::of(&public.primary_key));
            self.keys.push(public);
        }
        if added.is_empty() {
            return Err(Error::NoKeys {
                name: name.to_owned(),
                kind: "public",
            });
        }
        Ok(added)
    }

    /// Primary key fingerprints of all loaded keys.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.keys
            .iter()
            .map(|k| Fingerprint::of(&k.primary_key))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A set of secret keys (with their public parts), from `gpg --export-secret-keys` output.
#[derive(Clone, Debug, Default)]
pub struct SecretKeyring {
    keys: Vec<SignedSecretKey>,
}

impl SecretKeyring {
    pub fn new() -> SecretKeyring {
        SecretKeyring::default()
    }

    /// Loads every secret key from one key file's bytes (armored or binary); public-only keys
    /// in the same file are skipped. `name` is only used in error messages.
    pub fn from_bytes(name: &str, data: &[u8]) -> Result<SecretKeyring, Error> {
        let mut ring = SecretKeyring::new();
        ring.add_bytes(name, data)?;
        Ok(ring)
    }

    /// Adds every secret key from `data`; returns their primary fingerprints.
    pub fn add_bytes(&mut self, name: &str, data: &[u8]) -> Result<Vec<Fingerprint>, Error> {
        let mut added = Vec::new();
        for key in parse_keys(name, data)? {
            if let PublicOrSecret::Secret(k) = key {
                added.push(Fingerprint::of(&k.primary_key));
                self.keys.push(k);
            }
        }
        if added.is_empty() {
            return Err(Error::NoKeys {
                name: name.to_owned(),
                kind: "secret",
            });
        }
        Ok(added)
    }

    /// Primary key fingerprints of all loaded secret keys.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.keys
            .iter()
            .map(|k| Fingerprint::of(&k.primary_key))
            .collect()
    }

    /// The public halves, e.g. to verify what these keys signed.
    pub fn public_keyring(&self) -> PublicKeyring {
        PublicKeyring {
            keys: self
                .keys
                .iter()
                .map(SignedSecretKey::to_public_key)
                .collect(),
        }
    }

    /// Selects the key `gpg --sign --local-user FINGERPRINT` would use.
    ///
    /// A subkey fingerprint selects that subkey (it must be signing-capable, bound, not
    /// revoked and not expired). A primary fingerprint selects, like gpg, the most recently
    /// created usable signing key among the primary key and its subkeys.
    pub fn select(&self, fingerprint: &Fingerprint) -> Result<SelectedKey<'_>, Error> {
        let now = Timestamp::now().as_secs();
        for key in &self.keys {
            let primary_fp = Fingerprint::of(&key.primary_key);
            let primary_usable = primary_can_sign(key, now);
            if &primary_fp == fingerprint {
                let mut best: Option<(u32, Which)> = primary_usable
                    .then(|| (key.primary_key.created_at().as_secs(), Which::Primary));
                for (i, sub) in key.secret_subkeys.iter().enumerate() {
                    if subkey_can_sign(sub, now, &key.primary_key) {
                        let created = sub.key.created_at().as_secs();
                        if best.as_ref().is_none_or(|(c, _)| created >= *c) {
                            best = Some((created, Which::Subkey(i)));
                        }
                    }
                }
                return match best {
                    Some((_, which)) => Ok(SelectedKey { key, which }),
                    None => Err(Error::NotSigningCapable {
                        fingerprint: fingerprint.clone(),
                    }),
                };
            }
            for (i, sub) in key.secret_subkeys.iter().enumerate() {
                if &Fingerprint::of(&sub.key) == fingerprint {
                    if !primary_is_valid(key, now) || !subkey_can_sign(sub, now, &key.primary_key) {
                        return Err(Error::NotSigningCapable {
                            fingerprint: fingerprint.clone(),
                        });
                    }
                    return Ok(SelectedKey {
                        key,
                        which: Which::Subkey(i),
                    });
                }
            }
        }
        Err(Error::KeyNotFound {
            fingerprint: fingerprint.clone(),
        })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Primary,
    Subkey(usize),
}

/// A signing key chosen by [`SecretKeyring::select`].
#[derive(Clone, Copy, Debug)]
pub struct SelectedKey<'a> {
    key: &'a SignedSecretKey,
    which: Which,
}

impl SelectedKey<'_> {
    /// Fingerprint of the (sub)key that makes the signature.
    pub fn fingerprint(&self) -> Fingerprint {
        match self.which {
            Which::Primary => Fingerprint::of(&self.key.primary_key),
            Which::Subkey(i) => self.key.secret_subkeys.get(i).map_or_else(
                || Fingerprint::of(&self.key.primary_key),
                |s| Fingerprint::of(&s.key),
            ),
        }
    }

    /// Fingerprint of the primary key: the identity containers/image reports and matches.
    pub fn primary_fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.key.primary_key)
    }

    /// Checks that `passphrase` unlocks the secret key material (an unprotected key accepts
    /// any passphrase, as gpg does).
    pub fn unlock_check(&self, passphrase: &str) -> Result<(), Error> {
        let pw = Password::from(passphrase);
        let res = match self.which {
            Which::Primary => self.key.primary_key.unlock(&pw, |_, _| Ok(())),
            Which::Subkey(i) => match self.key.secret_subkeys.get(i) {
                Some(s) => s.key.unlock(&pw, |_, _| Ok(())),
                None => self.key.primary_key.unlock(&pw, |_, _| Ok(())),
            },
        };
        match res {
            Ok(Ok(())) => Ok(()),
            _ => Err(Error::BadPassphrase {
                fingerprint: self.fingerprint(),
            }),
        }
    }

    pub(crate) fn signing_key(&self) -> &dyn pgp::types::SigningKey {
        match self.which {
            Which::Subkey(i) => match self.key.secret_subkeys.get(i) {
                Some(s) => &s.key,
                None => &self.key.primary_key,
            },
            Which::Primary => &self.key.primary_key,
        }
    }
}

/// The newest self-signature (certification or direct-key) of a primary key.
pub(crate) fn newest<'s>(sigs: impl Iterator<Item = &'s Signature>) -> Option<&'s Signature> {
    sigs.max_by_key(|s| s.created().map_or(0, Timestamp::as_secs))
}

fn expired(created: u32, sig: &Signature, now: u32) -> bool {
    match sig.key_expiration_time() {
        Some(d) if d.as_secs() > 0 => u64::from(created) + u64::from(d.as_secs()) <= u64::from(now),
        _ => false,
    }
}

/// Whether the primary key is neither revoked nor expired. Its self-signatures are taken as
/// they are (rpgp parsed them; the key came from a file the caller trusts).
pub(crate) fn primary_valid_details(
    details: &pgp::composed::SignedKeyDetails,
    created: u32,
    now: u32,
) -> Result<(), PrimaryProblem> {
    if details
        .revocation_signatures
        .iter()
        .any(|s| s.typ() == Some(SignatureType::KeyRevocation))
    {
        return Err(PrimaryProblem::Revoked);
    }
    let selfsig = newest(
        details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter())
            .chain(details.direct_signatures.iter()),
    );
    if let Some(sig) = selfsig
        && expired(created, sig, now)
    {
        return Err(PrimaryProblem::Expired);
    }
    Ok(())
}

/// Whether the primary key's newest self-signature allows signing (no key-flags subpacket at
/// all counts as allowed, as gpg decides by algorithm then).
pub(crate) fn primary_flags_sign(details: &pgp::composed::SignedKeyDetails) -> bool {
    let selfsig = newest(
        details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter())
            .chain(details.direct_signatures.iter()),
    );
    match selfsig {
        Some(sig) => {
            let flags = sig.key_flags();
            flags.sign()
                || (!flags.certify()
                    && !flags.encrypt_comms()
                    && !flags.encrypt_storage()
                    && !flags.authentication())
        }
        None => true,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrimaryProblem {
    Revoked,
    Expired,
}

fn primary_is_valid(key: &SignedSecretKey, now: u32) -> bool {
    primary_valid_details(&key.details, key.primary_key.created_at().as_secs(), now).is_ok()
}

fn primary_can_sign(key: &SignedSecretKey, now: u32) -> bool {
    primary_is_valid(key, now) && primary_flags_sign(&key.details)
}

/// Subkey state derived from its binding and revocation signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubkeyState {
    Usable,
    NotBound,
    NotSigning,
    Revoked,
    Expired,
}

pub(crate) fn subkey_state<P, S>(
    sigs: &[Signature],
    now: u32,
    primary: &P,
    subkey: &S,
) -> SubkeyState
where
    P: pgp::types::VerifyingKey + pgp::ser::Serialize,
    S: KeyDetails + pgp::ser::Serialize,
{
    if sigs.iter().any(|s| {
        s.typ() == Some(SignatureType::SubkeyRevocation)
            && s.verify_subkey_binding(primary, subkey).is_ok()
    }) {
        return SubkeyState::Revoked;
    }
    let binding = newest(sigs.iter().filter(|s| {
        s.typ() == Some(SignatureType::SubkeyBinding)
            && s.verify_subkey_binding(primary, subkey).is_ok()
    }));
    let Some(binding) = binding else {
        return SubkeyState::NotBound;
    };
    if !binding.key_flags().sign() {
        return SubkeyState::NotSigning;
    }
    if expired(subkey.created_at().as_secs(), binding, now) {
        return SubkeyState::Expired;
    }
    SubkeyState::Usable
}

fn subkey_can_sign(
    sub: &pgp::composed::SignedSecretSubKey,
    now: u32,
    primary: &pgp::packet::SecretKey,
) -> bool {
    let public = sub.signed_public_key();
    subkey_state(&public.signatures, now, primary.public_key(), &public.key) == SubkeyState::Usable
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn fingerprint_parsing() {
        let f: Fingerprint = "08cd 26e4 46e2 e952 49b7  a405 e932 f44b 23e8 dd43"
            .parse()
            .unwrap();
        assert_eq!(f.as_str(), "08CD26E446E2E95249B7A405E932F44B23E8DD43");
        assert!(
            "0x08CD26E446E2E95249B7A405E932F44B23E8DD43"
                .parse::<Fingerprint>()
                .is_ok()
        );
        assert!("E932F44B23E8DD43".parse::<Fingerprint>().is_err());
        assert!("zz".repeat(20).parse::<Fingerprint>().is_err());
    }

    #[test]
    fn garbage_key_files_are_rejected_by_name() {
        let e = PublicKeyring::from_bytes("keys.txt", b"hello").unwrap_err();
        assert!(e.to_string().contains("keys.txt"), "{e}");
        let e = PublicKeyring::from_bytes("empty.gpg", b"").unwrap_err();
        assert!(e.to_string().contains("empty.gpg"), "{e}");
    }
}
