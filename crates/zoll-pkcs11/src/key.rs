//! The key pair on the token: finding it, reading its public half (`CKA_EC_POINT`,
//! `CKA_EC_PARAMS`), signing with raw `CKM_ECDSA`, and generating a new pair.

use std::sync::{Mutex, PoisonError};

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{DerSignature, Signature, VerifyingKey};
use zoll_sign::{SignError, Signer};

use crate::error::Error;
use crate::token::{Opened, open};
use crate::uri::{ObjectType, Pkcs11Uri};

/// DER of the prime256v1 (P-256) OID 1.2.840.10045.3.1.7, the value of `CKA_EC_PARAMS`.
pub(crate) const P256_PARAMS: [u8; 10] =
    [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Curves a token may hold, named for error messages.
const KNOWN_CURVES: &[(&[u8], &str)] = &[
    (
        &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
        "P-384 (secp384r1)",
    ),
    (
        &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
        "P-521 (secp521r1)",
    ),
    (&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1"),
    (
        &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01],
        "P-192 (prime192v1)",
    ),
    (
        &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x21],
        "P-224 (secp224r1)",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Check `CKA_EC_PARAMS` names P-256; the error text says which curve it is otherwise.
pub(crate) fn check_params(params: &[u8]) -> Result<(), String> {
    if params == P256_PARAMS {
        return Ok(());
    }
    let name = KNOWN_CURVES
        .iter()
        .find(|(der, _)| *der == params)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| format!("unknown ec params {}", hex(params)));
    Err(format!(
        "the key is on {name}; zoll signs with ECDSA P-256 (prime256v1) only"
    ))
}

/// Decode `CKA_EC_POINT`: a DER OCTET STRING wrapping the SEC1 point (what PKCS#11 specifies),
/// or the bare SEC1 point (what some tokens return).
pub(crate) fn parse_point(value: &[u8]) -> Result<VerifyingKey, String> {
    let sec1 = match value {
        // OCTET STRING, short-form length equal to the rest, holding a 33- or 65-byte point.
        [0x04, len, rest @ ..]
            if usize::from(*len) == rest.len() && matches!(rest.len(), 33 | 65) =>
        {
            rest
        }
        _ => value,
    };
    VerifyingKey::from_sec1_bytes(sec1).map_err(|_| {
        format!(
            "the public key's CKA_EC_POINT is not a P-256 point ({} bytes: {})",
            value.len(),
            hex(value)
        )
    })
}

/// Read the P-256 public key of a key object (private or public) from its attributes.
fn read_public(opened: &Opened, handle: ObjectHandle) -> Result<VerifyingKey, Error> {
    let attrs = opened
        .session
        .get_attributes(handle, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(opened.pkcs11_err("cannot read the public key"))?;
    let mut params = None;
    let mut point = None;
    for a in attrs {
        match a {
            Attribute::EcParams(v) => params = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    let params =
        params.ok_or_else(|| opened.key_err("the public key object has no CKA_EC_PARAMS"))?;
    check_params(&params).map_err(|r| opened.key_err(r))?;
    let point = point.ok_or_else(|| opened.key_err("the public key object has no CKA_EC_POINT"))?;
    parse_point(&point).map_err(|r| opened.key_err(r))
}

fn one(
    opened: &Opened,
    uri: &Pkcs11Uri,
    mut found: Vec<ObjectHandle>,
    what: &str,
) -> Result<ObjectHandle, Error> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(opened.key_err(format!("no {what} with {} in the token", uri.key_name()))),
        n => Err(opened.key_err(format!(
            "{n} {what}s match {}; add id= or object= to pick one",
            uri.key_name()
        ))),
    }
}

fn require_key_name(uri: &Pkcs11Uri) -> Result<(), Error> {
    if uri.object().is_none() && uri.id().is_none() {
        return Err(Error::Key {
            uri: uri.to_string(),
            reason: "the uri names no key: add object=LABEL and/or id=BYTES".to_owned(),
        });
    }
    Ok(())
}

/// An ECDSA P-256 private key in a PKCS#11 token, used through one logged-in session.
///
/// Signing sends the 32-byte SHA-256 digest with raw `CKM_ECDSA`, turns the token's `r||s`
/// into ASN.1 DER and verifies it with the public key object before returning it.
pub struct Pkcs11Signer {
    uri: Pkcs11Uri,
    opened: Mutex<Opened>,
    key: ObjectHandle,
    public: VerifyingKey,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Signer {
    /// Open the key the URI names: load the module, pick the one matching token, log in, find
    /// the private key (`CKO_PRIVATE_KEY`) and the public key (`CKO_PUBLIC_KEY`) with the
    /// URI's `object` and/or `id`, and read the public key.
    pub fn open(uri: &Pkcs11Uri) -> Result<Pkcs11Signer, Error> {
        require_key_name(uri)?;
        if let Some(t) = uri.object_type().filter(|t| *t != ObjectType::Private) {
            return Err(Error::Key {
                uri: uri.to_string(),
                reason: format!("type={t} names no private key; use type=private or leave it out"),
            });
        }
        let opened = open(uri, false)?;
        let private = opened.find(uri, Some(ObjectClass::PRIVATE_KEY))?;
        let key = one(&opened, uri, private, "private key")
            .map_err(|e| hint_login(e, opened.logged_in))?;
        let attrs = opened
            .session
            .get_attributes(key, &[AttributeType::KeyType, AttributeType::EcParams])
            .map_err(opened.pkcs11_err("cannot read the private key's attributes"))?;
        for a in attrs {
            match a {
                Attribute::KeyType(kt) if kt != KeyType::EC => {
                    return Err(opened.key_err(format!(
                        "the private key is of type {kt}; zoll signs with ECDSA P-256 only"
                    )));
                }
                Attribute::EcParams(p) => check_params(&p).map_err(|r| opened.key_err(r))?,
                _ => {}
            }
        }
        let public = opened.find(uri, Some(ObjectClass::PUBLIC_KEY))?;
        let public_handle = one(&opened, uri, public, "public key object").map_err(|e| match e {
            Error::Key { uri, reason } if reason.starts_with("no ") => Error::Key {
                uri,
                reason: format!(
                    "{reason}: the private key is there, but its public key object (CKO_PUBLIC_KEY with the same label/id) is missing"
                ),
            },
            other => other,
        })?;
        let public = read_public(&opened, public_handle)?;
        Ok(Pkcs11Signer {
            uri: uri.clone(),
            opened: Mutex::new(opened),
            key,
            public,
        })
    }

    /// The URI this key was opened from.
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    /// Sign a SHA-256 digest; the error names the URI.
    pub fn sign(&self, sha256: &[u8; 32]) -> Result<DerSignature, Error> {
        let opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        let raw = opened
            .session
            .sign(&Mechanism::Ecdsa, self.key, sha256)
            .map_err(opened.pkcs11_err("sign failed"))?;
        let sig = Signature::from_slice(&raw).map_err(|_| {
            opened.key_err(format!(
                "the token returned a {}-byte signature, not the 64 bytes r||s of ECDSA P-256",
                raw.len()
            ))
        })?;
        self.public
            .verify_prehash(sha256, &sig)
            .map_err(|_| Error::Verify {
                uri: opened.shown.clone(),
            })?;
        Ok(sig.to_der())
    }
}

/// Without a login, "no private key" may just mean "not visible yet".
fn hint_login(e: Error, logged_in: bool) -> Error {
    match e {
        Error::Key { uri, reason } if !logged_in && reason.starts_with("no ") => Error::Key {
            uri,
            reason: format!(
                "{reason} (no pin was given, so there was no login; private keys are usually only visible after login)"
            ),
        },
        other => other,
    }
}

impl Signer for Pkcs11Signer {
    fn public_key(&self) -> VerifyingKey {
        self.public
    }

    fn sign_digest(&self, sha256: &[u8; 32]) -> Result<DerSignature, SignError> {
        self.sign(sha256).map_err(|e| {
            let key = self.describe();
            let text = e.to_string();
            let reason = text
                .strip_prefix(&format!("{key}: "))
                .map(str::to_owned)
                .unwrap_or(text);
            SignError::Key { key, reason }
        })
    }

    fn describe(&self) -> String {
        self.uri.to_string()
    }
}

/// Create an ECDSA P-256 key pair inside the token, labelled with the URI's `object` and `id`,
/// and return its public key.
///
/// The private key is `CKA_TOKEN`, `CKA_PRIVATE`, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, and
/// may only sign; the public key is `CKA_TOKEN` and may only verify. Refuses when any object
/// (of any class) with the same label or the same ID already exists.
pub fn generate(uri: &Pkcs11Uri) -> Result<VerifyingKey, Error> {
    require_key_name(uri)?;
    if let Some(t) = uri
        .object_type()
        .filter(|t| !matches!(t, ObjectType::Private | ObjectType::Public))
    {
        return Err(Error::Key {
            uri: uri.to_string(),
            reason: format!("type={t}: generate makes a key pair (type=private or public)"),
        });
    }
    let opened = open(uri, true)?;
    let search = |template: Vec<Attribute>| {
        opened
            .session
            .find_objects(&template)
            .map_err(opened.pkcs11_err("cannot search for objects"))
    };
    if let Some(label) = uri.object()
        && !search(vec![Attribute::Label(label.as_bytes().to_vec())])?.is_empty()
    {
        return Err(Error::Exists {
            uri: opened.shown.clone(),
            what: format!("label {label:?}"),
        });
    }
    if let Some(id) = uri.id()
        && !search(vec![Attribute::Id(id.to_vec())])?.is_empty()
    {
        return Err(Error::Exists {
            uri: opened.shown.clone(),
            what: format!("id {}", hex(id)),
        });
    }
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Verify(true),
        Attribute::EcParams(P256_PARAMS.to_vec()),
    ];
    let mut private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
    ];
    for t in [&mut public, &mut private] {
        if let Some(label) = uri.object() {
            t.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = uri.id() {
            t.push(Attribute::Id(id.to_vec()));
        }
    }
    let (public_handle, _private_handle) = opened
        .session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
        .map_err(opened.pkcs11_err("key generation failed"))?;
    read_public(&opened, public_handle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use p256::ecdsa::SigningKey;

    fn some_key() -> VerifyingKey {
        let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
        *sk.verifying_key()
    }

    #[test]
    fn ec_point_forms() {
        let vk = some_key();
        let raw = vk.to_sec1_bytes();
        assert_eq!(raw.len(), 65);
        let mut der = vec![0x04, 65];
        der.extend_from_slice(&raw);
        assert_eq!(parse_point(&der).unwrap(), vk);
        assert_eq!(parse_point(&raw).unwrap(), vk);
        let compressed = vk.to_sec1_point(true);
        let compressed = compressed.as_bytes();
        assert_eq!(parse_point(compressed).unwrap(), vk);
        let mut der = vec![0x04, 33];
        der.extend_from_slice(compressed);
        assert_eq!(parse_point(&der).unwrap(), vk);
        let err = parse_point(&[0x04, 0x02, 0x01, 0x02]).unwrap_err();
        assert!(err.contains("not a P-256 point"), "{err}");
    }

    #[test]
    fn ec_params() {
        assert!(check_params(&P256_PARAMS).is_ok());
        let e = check_params(&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]).unwrap_err();
        assert!(e.contains("P-384"), "{e}");
        let e = check_params(&[0x13, 0x02, 0x61, 0x62]).unwrap_err();
        assert!(e.contains("unknown ec params 13026162"), "{e}");
    }
}
