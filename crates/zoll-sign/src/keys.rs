//! Cosign-compatible key files: encrypted private keys, plain PKCS#8 / SEC1 private keys, SPKI
//! public keys, the [`FileSigner`] and the stable [`KeyId`].
//!
//! # The encrypted private key
//!
//! `cosign generate-key-pair` writes a PEM block of type `ENCRYPTED SIGSTORE PRIVATE KEY` (older
//! versions: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is the JSON document of
//! go-securesystemslib's `encrypted` package:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64, 32 bytes>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64, 24 bytes>"},
//!  "ciphertext":"<base64>"}
//! ```
//!
//! The plaintext is the PKCS#8 DER of the private key, the cipher key is
//! `scrypt(password, salt, N, r, p, 32)`, the cipher is NaCl secretbox (XSalsa20-Poly1305, the
//! 16-byte tag before the ciphertext) and base64 is the standard alphabet with padding (Go's
//! `encoding/json` for `[]byte`). Like go-securesystemslib, reading accepts only its three
//! parameter sets (N = 2^15, 2^16, 2^17 with r = 8, p = 1), which also bounds the memory a
//! hostile key file can make us spend (at most 128 MiB). Writing uses N = 2^16, cosign's default.
//! The empty password is allowed, as cosign allows it.
//!
//! The format is small and fixed, and no maintained Rust crate implements it on top of the
//! p256 version zoll uses, so the envelope is written here on RustCrypto's `scrypt` and
//! `crypto_secretbox`.
//!
//! # Key identifier
//!
//! [`KeyId`] is the lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo, the bytes inside
//! `-----BEGIN PUBLIC KEY-----`. It does not depend on how the key file was written (PEM line
//! length, encrypted or not), so two files holding the same key have the same id. It is what
//! [`crate::verify`] counts for thresholds ("N distinct keys").

use std::fmt;
use std::path::Path;

use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::{Key as SecretboxKey, Nonce as SecretboxNonce, XSalsa20Poly1305};
use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::{b64, unb64};
use crate::{SignError, Signer};

/// PEM type of a private key written by cosign 1.x/2.x (`cosign generate-key-pair`).
pub const SIGSTORE_PRIVATE_KEY_PEM: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM type of a private key written by early cosign versions; same envelope.
pub const COSIGN_PRIVATE_KEY_PEM: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// PEM type of an unencrypted PKCS#8 private key.
pub const PKCS8_PRIVATE_KEY_PEM: &str = "PRIVATE KEY";
/// PEM type of an unencrypted SEC1 EC private key (`openssl ecparam -genkey`).
pub const SEC1_PRIVATE_KEY_PEM: &str = "EC PRIVATE KEY";
/// PEM type of a SubjectPublicKeyInfo public key.
pub const PUBLIC_KEY_PEM: &str = "PUBLIC KEY";

/// scrypt work factors go-securesystemslib accepts, as `(log2 N, r, p)`.
const ACCEPTED_SCRYPT: [(u8, u32, u32); 3] = [(15, 8, 1), (16, 8, 1), (17, 8, 1)];
/// What zoll writes: go-securesystemslib's "standard" strength, cosign's default.
const WRITE_LOG_N: u8 = 16;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "nacl/secretbox";

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// Why a key could not be read, decrypted, generated or written. `name` is what the caller
/// passed to identify the key (usually its path).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("wrong password for key {name} (or the encrypted key is corrupted)")]
    WrongPassword { name: String },
    #[error("cannot read key {name}: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("key {name} is not PEM: {reason}")]
    Pem { name: String, reason: String },
    #[error("key {name} has PEM type {label:?}; expected {expected}")]
    PemType {
        name: String,
        label: String,
        expected: &'static str,
    },
    #[error("encrypted key {name} is malformed: {reason}")]
    Envelope { name: String, reason: String },
    #[error("encrypted key {name} uses unsupported {what}")]
    Unsupported { name: String, what: String },
    #[error("key {name} is not a P-256 key: it is {algorithm}")]
    NotP256 { name: String, algorithm: String },
    #[error("key {name} is malformed: {reason}")]
    Malformed { name: String, reason: String },
    #[error("cannot {what}: {reason}")]
    Crypto { what: &'static str, reason: String },
}

/// Lowercase hex SHA-256 of a public key's DER SubjectPublicKeyInfo (see the module docs).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// The id of a DER SubjectPublicKeyInfo.
    pub fn of_spki_der(spki_der: &[u8]) -> KeyId {
        KeyId(hex::encode(crate::sha256(spki_der)))
    }

    /// The 64 hex characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex characters, for logs.
    pub fn short(&self) -> &str {
        self.0.get(..12).unwrap_or(&self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.short())
    }
}

/// A parsed P-256 public key with its SPKI encoding and [`KeyId`] computed once, so verification
/// never touches PEM or DER again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    spki_der: Vec<u8>,
    /// Uncompressed SEC1 point, the form `ring` takes.
    sec1: Vec<u8>,
    id: KeyId,
}

impl PublicKey {
    /// Wrap a verifying key.
    pub fn from_verifying_key(key: VerifyingKey) -> Result<PublicKey, KeyError> {
        let spki_der = key
            .to_public_key_der()
            .map_err(|e| KeyError::Crypto {
                what: "encode a public key",
                reason: e.to_string(),
            })?
            .into_vec();
        let id = KeyId::of_spki_der(&spki_der);
        let sec1 = key.to_sec1_bytes().into_vec();
        Ok(PublicKey {
            key,
            spki_der,
            sec1,
            id,
        })
    }

    /// Parse a `PUBLIC KEY` PEM block (SubjectPublicKeyInfo). `name` is used in errors.
    pub fn from_pem(name: &str, pem: &str) -> Result<PublicKey, KeyError> {
        let (label, der) = decode_pem(name, pem)?;
        if label != PUBLIC_KEY_PEM {
            return Err(KeyError::PemType {
                name: name.to_owned(),
                label,
                expected: "PUBLIC KEY",
            });
        }
        PublicKey::from_spki_der(name, &der)
    }

    /// Parse a DER SubjectPublicKeyInfo. `name` is used in errors.
    pub fn from_spki_der(name: &str, der: &[u8]) -> Result<PublicKey, KeyError> {
        match VerifyingKey::from_public_key_der(der) {
            Ok(key) => PublicKey::from_verifying_key(key),
            Err(e) => {
                let algorithm = spki_algorithm(der);
                match algorithm {
                    Some(algorithm) if algorithm != "ECDSA P-256" => Err(KeyError::NotP256 {
                        name: name.to_owned(),
                        algorithm,
                    }),
                    _ => Err(KeyError::Malformed {
                        name: name.to_owned(),
                        reason: e.to_string(),
                    }),
                }
            }
        }
    }

    /// Read a `PUBLIC KEY` PEM file.
    pub fn read_pem_file(path: &Path) -> Result<PublicKey, KeyError> {
        let name = path.display().to_string();
        let text = read_text(&name, path)?;
        PublicKey::from_pem(&name, &text)
    }

    /// The key as `-----BEGIN PUBLIC KEY-----` PEM (64-column lines, LF, trailing newline).
    pub fn to_pem(&self) -> String {
        encode_pem(PUBLIC_KEY_PEM, &self.spki_der)
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The stable identifier (hex SHA-256 of [`PublicKey::spki_der`]).
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether `signature` is this key's ECDSA signature of a message whose SHA-256 is `digest`.
    pub fn verify_digest(&self, digest: &[u8; 32], signature: &Signature) -> bool {
        self.key.verify_prehash(digest, signature).is_ok()
    }

    /// Whether `signature_der` (ASN.1 DER, as cosign stores it) is this key's ECDSA-SHA256
    /// signature of `message`. A malformed signature is simply not valid.
    ///
    /// This is the hot path of verification and uses `ring`, whose P-256 code (assembly on
    /// x86_64 and aarch64) is about three times faster than `p256`'s portable Rust; the result
    /// is the same (both accept high-S signatures, as Go's `ecdsa.VerifyASN1` does), which the
    /// unit tests check.
    pub fn verify_message(&self, message: &[u8], signature_der: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &self.sec1,
        )
        .verify(message, signature_der)
        .is_ok()
    }
}

/// Generate a fresh P-256 private key from the operating system's generator.
pub fn generate_signing_key() -> Result<SigningKey, KeyError> {
    // A uniformly random 32-byte string is a valid scalar unless it is zero or >= n
    // (probability ~2^-32); draw again in that case.
    for _ in 0..8 {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random(bytes.as_mut_slice())?;
        if let Ok(key) = SigningKey::from_slice(bytes.as_slice()) {
            return Ok(key);
        }
    }
    Err(KeyError::Crypto {
        what: "generate a key",
        reason: "the random generator kept producing invalid scalars".to_owned(),
    })
}

fn random(buf: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(buf).map_err(|e| KeyError::Crypto {
        what: "read random bytes",
        reason: e.to_string(),
    })
}

/// The go-securesystemslib `encrypted` JSON document.
#[derive(Serialize, Deserialize)]
struct EncryptedData {
    kdf: Kdf,
    cipher: CipherSpec,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct CipherSpec {
    name: String,
    nonce: String,
}

fn derive_key(
    password: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let crypto = |reason: String| KeyError::Crypto {
        what: "derive the key encryption key",
        reason,
    };
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| crypto(e.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, key.as_mut_slice())
        .map_err(|e| crypto(e.to_string()))?;
    Ok(key)
}

/// Encrypt `plaintext` with `password` into go-securesystemslib's `encrypted` JSON document
/// (scrypt N=2^16, r=8, p=1; NaCl secretbox; fresh random salt and nonce).
pub fn encrypt(plaintext: &[u8], password: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut salt)?;
    random(&mut nonce)?;
    let key = derive_key(password, &salt, WRITE_LOG_N, 8, 1)?;
    let cipher = XSalsa20Poly1305::new(SecretboxKey::from_slice(key.as_slice()));
    let ciphertext = cipher
        .encrypt(SecretboxNonce::from_slice(&nonce), plaintext)
        .map_err(|e| KeyError::Crypto {
            what: "encrypt the key",
            reason: e.to_string(),
        })?;
    let data = EncryptedData {
        kdf: Kdf {
            name: KDF_NAME.to_owned(),
            params: ScryptParams {
                n: 1 << WRITE_LOG_N,
                r: 8,
                p: 1,
            },
            salt: b64(&salt),
        },
        cipher: CipherSpec {
            name: CIPHER_NAME.to_owned(),
            nonce: b64(&nonce),
        },
        ciphertext: b64(&ciphertext),
    };
    serde_json::to_vec(&data).map_err(|e| KeyError::Crypto {
        what: "encode the encrypted key",
        reason: e.to_string(),
    })
}

/// Decrypt go-securesystemslib's `encrypted` JSON document. `name` is used in errors; a wrong
/// password gives [`KeyError::WrongPassword`].
pub fn decrypt(
    name: &str,
    document: &[u8],
    password: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let envelope = |reason: String| KeyError::Envelope {
        name: name.to_owned(),
        reason,
    };
    let unsupported = |what: String| KeyError::Unsupported {
        name: name.to_owned(),
        what,
    };
    let data: EncryptedData =
        serde_json::from_slice(document).map_err(|e| envelope(e.to_string()))?;
    if data.kdf.name != KDF_NAME {
        return Err(unsupported(format!("key derivation {:?}", data.kdf.name)));
    }
    if data.cipher.name != CIPHER_NAME {
        return Err(unsupported(format!("cipher {:?}", data.cipher.name)));
    }
    let ScryptParams { n, r, p } = data.kdf.params;
    let log_n = ACCEPTED_SCRYPT
        .iter()
        .find(|(log_n, ar, ap)| 1u64 << log_n == n && *ar == r && *ap == p)
        .map(|(log_n, _, _)| *log_n)
        .ok_or_else(|| unsupported(format!("scrypt parameters N={n} r={r} p={p}")))?;
    let salt = unb64(&data.kdf.salt).map_err(|e| envelope(format!("salt: {e}")))?;
    let nonce = unb64(&data.cipher.nonce).map_err(|e| envelope(format!("nonce: {e}")))?;
    if nonce.len() != NONCE_LEN {
        return Err(envelope(format!(
            "nonce is {} bytes, expected {NONCE_LEN}",
            nonce.len()
        )));
    }
    let ciphertext = unb64(&data.ciphertext).map_err(|e| envelope(format!("ciphertext: {e}")))?;
    let key = derive_key(password, &salt, log_n, r, p)?;
    let cipher = XSalsa20Poly1305::new(SecretboxKey::from_slice(key.as_slice()));
    cipher
        .decrypt(SecretboxNonce::from_slice(&nonce), ciphertext.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| KeyError::WrongPassword {
            name: name.to_owned(),
        })
}

/// A private key held in memory (read from a key file), signing through [`Signer`].
pub struct FileSigner {
    name: String,
    key: SigningKey,
    public: PublicKey,
}

impl fmt::Debug for FileSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSigner")
            .field("name", &self.name)
            .field("key_id", &self.public.id)
            .finish_non_exhaustive()
    }
}

impl FileSigner {
    /// Wrap a signing key; `name` appears in errors and [`Signer::describe`].
    pub fn new(name: impl Into<String>, key: SigningKey) -> Result<FileSigner, KeyError> {
        let public = PublicKey::from_verifying_key(*key.verifying_key())?;
        Ok(FileSigner {
            name: name.into(),
            key,
            public,
        })
    }

    /// A fresh random key.
    pub fn generate(name: impl Into<String>) -> Result<FileSigner, KeyError> {
        FileSigner::new(name, generate_signing_key()?)
    }

    /// Read a private key from PEM text: `ENCRYPTED SIGSTORE PRIVATE KEY` or
    /// `ENCRYPTED COSIGN PRIVATE KEY` (decrypted with `password`, which may be empty), or an
    /// unencrypted `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1), for which the password
    /// is ignored. Only P-256 keys are accepted.
    pub fn from_pem(name: &str, pem: &str, password: &[u8]) -> Result<FileSigner, KeyError> {
        let (label, der) = decode_pem(name, pem)?;
        let key = match label.as_str() {
            SIGSTORE_PRIVATE_KEY_PEM | COSIGN_PRIVATE_KEY_PEM => {
                let pkcs8 = decrypt(name, &der, password)?;
                pkcs8_private_key(name, &pkcs8)?
            }
            PKCS8_PRIVATE_KEY_PEM => pkcs8_private_key(name, &der)?,
            SEC1_PRIVATE_KEY_PEM => p256::SecretKey::from_sec1_der(&der)
                .map(SigningKey::from)
                .map_err(|e| KeyError::Malformed {
                    name: name.to_owned(),
                    reason: format!("not a P-256 SEC1 key: {e}"),
                })?,
            _ => {
                return Err(KeyError::PemType {
                    name: name.to_owned(),
                    label,
                    expected: "ENCRYPTED SIGSTORE PRIVATE KEY, ENCRYPTED COSIGN PRIVATE KEY, \
                               PRIVATE KEY or EC PRIVATE KEY",
                });
            }
        };
        FileSigner::new(name, key)
    }

    /// Read a private key file (see [`FileSigner::from_pem`]); errors name the path.
    pub fn read_pem_file(path: &Path, password: &[u8]) -> Result<FileSigner, KeyError> {
        let name = path.display().to_string();
        let text = Zeroizing::new(read_text(&name, path)?);
        FileSigner::from_pem(&name, &text, password)
    }

    /// The private key as cosign writes it: `ENCRYPTED SIGSTORE PRIVATE KEY` PEM, encrypted
    /// with `password` (may be empty).
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, KeyError> {
        let pkcs8 = self.key.to_pkcs8_der().map_err(|e| KeyError::Crypto {
            what: "encode the private key",
            reason: e.to_string(),
        })?;
        let document = encrypt(pkcs8.as_bytes(), password)?;
        Ok(encode_pem(SIGSTORE_PRIVATE_KEY_PEM, &document))
    }

    /// The private key as unencrypted PKCS#8 PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| Zeroizing::new(pem.as_str().to_owned()))
            .map_err(|e| KeyError::Crypto {
                what: "encode the private key",
                reason: e.to_string(),
            })
    }

    /// The public half with its id.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Signer for FileSigner {
    fn public_key(&self) -> VerifyingKey {
        *self.public.verifying_key()
    }

    fn sign_digest(&self, sha256: &[u8; 32]) -> Result<DerSignature, SignError> {
        let signature: Signature = self.key.sign_prehash(sha256).map_err(|e| SignError::Key {
            key: self.name.clone(),
            reason: e.to_string(),
        })?;
        Ok(signature.to_der())
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A freshly generated cosign key pair as file contents: `cosign.key` and `cosign.pub`.
#[derive(Debug)]
pub struct KeyPairFiles {
    /// `ENCRYPTED SIGSTORE PRIVATE KEY` PEM.
    pub private_pem: String,
    /// `PUBLIC KEY` PEM.
    pub public_pem: String,
    /// The id of the public key.
    pub key_id: KeyId,
}

/// Generate a key pair the way `cosign generate-key-pair` does.
pub fn generate_key_pair(password: &[u8]) -> Result<KeyPairFiles, KeyError> {
    let signer = FileSigner::generate("generated key")?;
    Ok(KeyPairFiles {
        private_pem: signer.to_encrypted_pem(password)?,
        public_pem: signer.public.to_pem(),
        key_id: signer.public.id.clone(),
    })
}

fn pkcs8_private_key(name: &str, der: &[u8]) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_der(der).map_err(|e| match pkcs8_algorithm(der) {
        Some(algorithm) if algorithm != "ECDSA P-256" => KeyError::NotP256 {
            name: name.to_owned(),
            algorithm,
        },
        _ => KeyError::Malformed {
            name: name.to_owned(),
            reason: e.to_string(),
        },
    })
}

/// Name the algorithm of a PKCS#8 private key, if its header parses.
fn pkcs8_algorithm(der: &[u8]) -> Option<String> {
    let info = p256::pkcs8::PrivateKeyInfoRef::try_from(der).ok()?;
    let parameters = info
        .algorithm
        .parameters_oid()
        .ok()
        .map(|oid| oid.to_string());
    Some(algorithm_name(
        &info.algorithm.oid.to_string(),
        parameters.as_deref(),
    ))
}

/// Name the algorithm of a SubjectPublicKeyInfo, if it parses.
fn spki_algorithm(der: &[u8]) -> Option<String> {
    let info = p256::pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der).ok()?;
    let parameters = info
        .algorithm
        .parameters_oid()
        .ok()
        .map(|oid| oid.to_string());
    Some(algorithm_name(
        &info.algorithm.oid.to_string(),
        parameters.as_deref(),
    ))
}

fn algorithm_name(oid: &str, parameters: Option<&str>) -> String {
    match (oid, parameters) {
        (OID_EC_PUBLIC_KEY, Some(OID_P256)) => "ECDSA P-256".to_owned(),
        (OID_EC_PUBLIC_KEY, Some("1.3.132.0.34")) => "ECDSA P-384".to_owned(),
        (OID_EC_PUBLIC_KEY, Some("1.3.132.0.35")) => "ECDSA P-521".to_owned(),
        (OID_EC_PUBLIC_KEY, Some("1.3.132.0.10")) => "ECDSA secp256k1".to_owned(),
        (OID_EC_PUBLIC_KEY, Some(curve)) => format!("an EC key on curve {curve}"),
        (OID_EC_PUBLIC_KEY, None) => "an EC key without a named curve".to_owned(),
        ("1.2.840.113549.1.1.1", _) => "RSA".to_owned(),
        ("1.3.101.112", _) => "Ed25519".to_owned(),
        ("1.3.101.113", _) => "Ed448".to_owned(),
        (other, _) => format!("algorithm {other}"),
    }
}

fn read_text(name: &str, path: &Path) -> Result<String, KeyError> {
    fs_err::read_to_string(path).map_err(|source| KeyError::Io {
        name: name.to_owned(),
        source,
    })
}

/// Decode one PEM block, tolerating surrounding whitespace and CRLF line endings.
fn decode_pem(name: &str, pem: &str) -> Result<(String, Vec<u8>), KeyError> {
    let text = pem.trim();
    let text = if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    pem_rfc7468::decode_vec(text.as_bytes())
        .map(|(label, der)| (label.to_owned(), der))
        .map_err(|e| KeyError::Pem {
            name: name.to_owned(),
            reason: e.to_string(),
        })
}

/// Encode a PEM block as Go's `encoding/pem` does: 64-column base64, LF, trailing newline.
fn encode_pem(label: &str, der: &[u8]) -> String {
    let body = b64(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    // Vectors from go-securesystemslib's encrypted/encrypted_test.go, password "supersecret".
    // The first (TestDecrypt) holds "reallyimportant"; the others (kdfVectors, one per scrypt
    // strength) were made by its Marshal, so they hold that text JSON-encoded as a []byte.
    const GO_VECTORS: [&str; 4] = [
        r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g="},"cipher":{"name":"nacl/secretbox","nonce":"2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik"},"ciphertext":"SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ=="}"#,
        r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"WO3mVvyTwJ9vwT5/Tk5OW5WPIBUofMjcpEfrLnfY4uA="},"cipher":{"name":"nacl/secretbox","nonce":"tCy7HcTFr4uxv4Nrg/DWmncuZ148U1MX"},"ciphertext":"08n43p5G5yviPEZpO7tPPF4aZQkWiWjkv4taFdhDBA0tamKH4nw="}"#,
        r#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs="},"cipher":{"name":"nacl/secretbox","nonce":"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE"},"ciphertext":"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8="}"#,
        r#"{"kdf":{"name":"scrypt","params":{"N":131072,"r":8,"p":1},"salt":"m38E3kouJTtiheLQN22NQ8DTito5hrjpUIskqcd375k="},"cipher":{"name":"nacl/secretbox","nonce":"Y6PM13yA+o44pE/W1ZBwczeGnTV/m9Zc"},"ciphertext":"6H8sqj1K6B6yDjtH5AQ6lbFigg/C2yDDJc4rYJ79w9aVPImFIPI="}"#,
    ];

    #[test]
    fn decrypts_go_securesystemslib_vectors() {
        let plain = decrypt("vector", GO_VECTORS[0].as_bytes(), b"supersecret").unwrap();
        assert_eq!(plain.as_slice(), b"reallyimportant");
        for vector in &GO_VECTORS[1..] {
            let plain = decrypt("vector", vector.as_bytes(), b"supersecret").unwrap();
            let json: String = serde_json::from_slice(&plain).unwrap();
            assert_eq!(unb64(&json).unwrap(), b"reallyimportant");
        }
        let err = decrypt("vector", GO_VECTORS[0].as_bytes(), b"wrong").unwrap_err();
        assert!(matches!(err, KeyError::WrongPassword { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "wrong password for key vector (or the encrypted key is corrupted)"
        );
    }

    #[test]
    fn rejects_unsupported_scrypt_parameters() {
        // go-securesystemslib's TestUnsupportedKDFParameters.
        let doc = r#"{"kdf":{"name":"scrypt","params":{"N":99,"r":99,"p":99},"salt":"cZFcQJdwPhPyhU1R4qkl0qVOIjZd4V/7LYYAavq166k="},"cipher":{"name":"nacl/secretbox","nonce":"7vhRS7j0hEPBWV05skAdgLj81AkGeE7U"},"ciphertext":"6WYU/YSXVbYzl/NzaeAzmjLyfFhOOjLc0d8/GFV0aBFdJvyCcXc="}"#;
        let err = decrypt("k", doc.as_bytes(), b"supersecret").unwrap_err();
        assert!(matches!(err, KeyError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("scrypt parameters N=99"), "{err}");
    }

    #[test]
    fn encrypted_key_round_trip_and_shape() {
        let signer = FileSigner::generate("k").unwrap();
        let pem = signer.to_encrypted_pem(b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let (_, body) = decode_pem("k", &pem).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["kdf"]["name"], "scrypt");
        assert_eq!(json["kdf"]["params"]["N"], 65536);
        assert_eq!(json["kdf"]["params"]["r"], 8);
        assert_eq!(json["kdf"]["params"]["p"], 1);
        assert_eq!(json["cipher"]["name"], "nacl/secretbox");
        assert_eq!(
            unb64(json["kdf"]["salt"].as_str().unwrap()).unwrap().len(),
            32
        );
        assert_eq!(
            unb64(json["cipher"]["nonce"].as_str().unwrap())
                .unwrap()
                .len(),
            24
        );

        let back = FileSigner::from_pem("cosign.key", &pem, b"pw").unwrap();
        assert_eq!(back.public().id(), signer.public().id());
        let err = FileSigner::from_pem("cosign.key", &pem, b"other").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("wrong password for key cosign.key"),
            "{err}"
        );

        // The legacy label carries the same envelope.
        let legacy = pem.replace(SIGSTORE_PRIVATE_KEY_PEM, COSIGN_PRIVATE_KEY_PEM);
        let back = FileSigner::from_pem("old.key", &legacy, b"pw").unwrap();
        assert_eq!(back.public().id(), signer.public().id());
    }

    #[test]
    fn empty_password_is_allowed() {
        let pair = generate_key_pair(b"").unwrap();
        let signer = FileSigner::from_pem("k", &pair.private_pem, b"").unwrap();
        assert_eq!(signer.public().id(), &pair.key_id);
        let public = PublicKey::from_pem("k.pub", &pair.public_pem).unwrap();
        assert_eq!(public.id(), &pair.key_id);
    }

    #[test]
    fn plain_pkcs8_and_sec1_keys() {
        let signer = FileSigner::generate("k").unwrap();
        let pkcs8 = signer.to_pkcs8_pem().unwrap();
        let back = FileSigner::from_pem("k.pem", &pkcs8, b"ignored").unwrap();
        assert_eq!(back.public().id(), signer.public().id());

        let sec1 = p256::SecretKey::from(signer.key.as_nonzero_scalar())
            .to_sec1_der()
            .unwrap();
        let sec1_pem = encode_pem(SEC1_PRIVATE_KEY_PEM, &sec1);
        let back = FileSigner::from_pem("ec.pem", &sec1_pem, b"").unwrap();
        assert_eq!(back.public().id(), signer.public().id());
        // CRLF line endings and surrounding blank lines are tolerated.
        let crlf = format!("\r\n{}\r\n", sec1_pem.replace('\n', "\r\n"));
        assert!(FileSigner::from_pem("ec.pem", &crlf, b"").is_ok());
    }

    // An Ed25519 PKCS#8 key (RFC 8410 section 10.3) and an Ed25519 SPKI.
    const ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
        -----END PRIVATE KEY-----\n";
    const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\n\
        MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n\
        -----END PUBLIC KEY-----\n";

    #[test]
    fn rejects_other_algorithms() {
        let err = FileSigner::from_pem("ed.key", ED25519_PRIVATE, b"").unwrap_err();
        assert!(matches!(err, KeyError::NotP256 { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "key ed.key is not a P-256 key: it is Ed25519"
        );
        let err = PublicKey::from_pem("ed.pub", ED25519_PUBLIC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "key ed.pub is not a P-256 key: it is Ed25519"
        );
    }

    #[test]
    fn rejects_wrong_pem_types_and_garbage() {
        let pair = generate_key_pair(b"").unwrap();
        let err = PublicKey::from_pem("x", &pair.private_pem).unwrap_err();
        assert!(matches!(err, KeyError::PemType { .. }), "{err}");
        let err = FileSigner::from_pem("x", &pair.public_pem, b"").unwrap_err();
        assert!(matches!(err, KeyError::PemType { .. }), "{err}");
        let err = FileSigner::from_pem("x", "not pem", b"").unwrap_err();
        assert!(matches!(err, KeyError::Pem { .. }), "{err}");
    }

    #[test]
    fn key_id_is_sha256_of_spki() {
        let signer = FileSigner::generate("k").unwrap();
        let public = signer.public();
        assert_eq!(
            public.id().as_str(),
            hex::encode(crate::sha256(public.spki_der()))
        );
        assert_eq!(public.id().as_str().len(), 64);
        let reparsed = PublicKey::from_pem("k.pub", &public.to_pem()).unwrap();
        assert_eq!(reparsed.id(), public.id());
    }

    #[test]
    fn signs_and_verifies() {
        let signer = FileSigner::generate("k").unwrap();
        let sig = crate::sign_message(&signer, b"hello").unwrap();
        assert!(signer.public().verify_message(b"hello", sig.as_bytes()));
        assert!(!signer.public().verify_message(b"hellO", sig.as_bytes()));
        assert!(!signer.public().verify_message(b"hello", b"junk"));
        assert_eq!(signer.describe(), "k");
    }

    #[test]
    fn ring_and_p256_agree_including_high_s() {
        let signer = FileSigner::generate("k").unwrap();
        let digest = crate::sha256(b"m");
        let low: Signature = signer.key.sign_prehash(&digest).unwrap();
        let (r, s) = low.split_scalars();
        let high_s = -p256::Scalar::from(s);
        let high = Signature::from_scalars(r, p256::FieldBytes::from(high_s)).unwrap();
        assert_ne!(low, high);
        for sig in [low, high] {
            assert!(signer.public().verify_digest(&digest, &sig));
            assert!(
                signer
                    .public()
                    .verify_message(b"m", sig.to_der().as_bytes())
            );
            assert!(
                !signer
                    .public()
                    .verify_message(b"n", sig.to_der().as_bytes())
            );
        }
    }

    #[test]
    fn pem_lines_are_64_columns() {
        let pem = encode_pem("X", &[0u8; 100]);
        for line in pem.lines() {
            assert!(line.len() <= 64 || line.starts_with("-----"));
        }
        assert!(pem.ends_with("-----END X-----\n"));
    }
}
