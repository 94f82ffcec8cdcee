//! Short-lived ES256 JWTs for the Docker/OCI token flow
//! (<https://distribution.github.io/distribution/spec/auth/jwt/>).
//!
//! The token endpoint issues a compact JWS `header.payload.signature`; the registry API verifies
//! it on every request. Both sides are the same server, so the format is ours to choose within
//! the spec: header `{"alg":"ES256","typ":"JWT","kid":…}`, the claims of [`Claims`].
//!
//! The JWS is built and checked by hand on top of `p256` (RustCrypto) rather than through a JWT
//! library: there is exactly one algorithm to support, and doing it here lets every way a token
//! can fail have its own error variant. Verification order:
//!
//! 1. shape: three base64url segments, at most 64 KiB ([`Error::Malformed`]);
//! 2. header: `alg` must be `ES256` ([`Error::UnsupportedAlgorithm`]: `none`, `HS256` — the
//!    classic "verify an HMAC with the public key" confusion — and everything else), no `crit`,
//!    and `kid` must be our key's ([`Error::UnknownKeyId`]). Keys embedded in the header
//!    (`jwk`, `x5c`) are ignored: only the issuer's own key is trusted;
//! 3. the signature over `header.payload` ([`Error::BadSignature`]); nothing in the payload is
//!    read before this;
//! 4. claims: `iss` ([`Error::WrongIssuer`]), `aud` ([`Error::WrongAudience`]), `nbf`
//!    ([`Error::NotYetValid`]), `exp` ([`Error::Expired`]), with [`LEEWAY_SECONDS`] of clock skew
//!    each way between replicas.
//!
//! The key id ([`TokenKey::key_id`]) is the RFC 7638 JWK thumbprint: SHA-256 over
//! `{"crv":"P-256","kty":"EC","x":…,"y":…}`, base64url. It is stable across replicas that share the
//! key (the server keeps the PKCS#8 PEM in its database) and is what a JWKS document would carry
//! ([`TokenKey::public_jwk`]).

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::Error;
use crate::error::shorten;
use crate::passwords::random_bytes;

/// Clock skew tolerated on `nbf` and `exp`, in seconds.
pub const LEEWAY_SECONDS: i64 = 30;

/// Longest token accepted for verification, in bytes.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// The only JWS algorithm zoll signs or accepts.
pub const ALGORITHM: &str = "ES256";

/// One entry of the `access` claim: what the bearer may do to one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// `repository` or `registry`.
    #[serde(rename = "type")]
    pub r#type: String,
    /// `org/app`, or `catalog` for the registry.
    pub name: String,
    /// `pull`, `push`, `delete` or `*`.
    pub actions: Vec<String>,
}

/// The claims of a zoll registry token. Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user or robot name; empty for anonymous.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    /// A random id (22 chars base64url of 16 bytes), for logs and, if ever needed, revocation.
    pub jti: String,
    #[serde(default)]
    pub access: Vec<Access>,
}

impl Claims {
    /// Whether the token grants `action` on the resource `resource_type`/`name`. `*` in the
    /// granted actions grants every action on that resource; nothing else is a wildcard.
    pub fn allows(&self, resource_type: &str, name: &str, action: &str) -> bool {
        self.access.iter().any(|access| {
            access.r#type == resource_type
                && access.name == name
                && access.actions.iter().any(|a| a == action || a == "*")
        })
    }
}

/// The ES256 (ECDSA P-256, SHA-256) key that signs and verifies tokens.
///
/// `Debug` shows only the key id.
#[derive(Clone)]
pub struct TokenKey {
    signing: SigningKey,
    kid: String,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.signing.verifying_key() == other.signing.verifying_key()
    }
}

impl Eq for TokenKey {}

impl TokenKey {
    /// A fresh random key from the operating system's generator. Panics only if that generator
    /// fails (see [`TokenKey::try_generate`] for the fallible form).
    pub fn generate() -> TokenKey {
        TokenKey::from_signing(SigningKey::generate())
    }

    /// A fresh random key, or an error if the operating system's generator fails.
    pub fn try_generate() -> Result<TokenKey, Error> {
        SigningKey::try_generate()
            .map(TokenKey::from_signing)
            .map_err(|e| Error::InvalidKey {
                reason: format!("cannot generate a key: {e}"),
            })
    }

    /// Read a P-256 private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what
    /// [`TokenKey::to_pkcs8_pem`] writes) or SEC1 (`BEGIN EC PRIVATE KEY`, what
    /// `openssl ecparam -genkey` writes).
    pub fn from_pkcs8_pem(pem: &str) -> Result<TokenKey, Error> {
        match SigningKey::from_pkcs8_pem(pem) {
            Ok(signing) => Ok(TokenKey::from_signing(signing)),
            Err(pkcs8_error) => match p256::SecretKey::from_sec1_pem(pem) {
                Ok(secret) => Ok(TokenKey::from_signing(SigningKey::from(secret))),
                Err(_) => Err(Error::InvalidKey {
                    reason: format!("not a PEM P-256 private key (PKCS#8 or SEC1): {pkcs8_error}"),
                }),
            },
        }
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, LF line endings).
    pub fn to_pkcs8_pem(&self) -> Result<String, Error> {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.as_str().to_owned())
            .map_err(|e| Error::InvalidKey {
                reason: format!("cannot encode PKCS#8: {e}"),
            })
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> Result<String, Error> {
        self.signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| Error::InvalidKey {
                reason: format!("cannot encode public key: {e}"),
            })
    }

    /// The `kid`: the RFC 7638 JWK SHA-256 thumbprint, base64url without padding (43 chars).
    pub fn key_id(&self) -> String {
        self.kid.clone()
    }

    /// The public key as a JWK (`kty`, `crv`, `x`, `y`, `kid`, `use`, `alg`), for a JWKS document.
    pub fn public_jwk(&self) -> serde_json::Value {
        let (x, y) = coordinates(self.signing.verifying_key());
        serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": x,
            "y": y,
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        })
    }

    fn from_signing(signing: SigningKey) -> TokenKey {
        let (x, y) = coordinates(signing.verifying_key());
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        TokenKey { signing, kid }
    }
}

/// The affine coordinates of a public key, base64url (32 bytes each).
fn coordinates(key: &VerifyingKey) -> (String, String) {
    let point = key.to_sec1_point(false);
    let x = point
        .x()
        .map(|x| URL_SAFE_NO_PAD.encode(x))
        .unwrap_or_default();
    let y = point
        .y()
        .map(|y| URL_SAFE_NO_PAD.encode(y))
        .unwrap_or_default();
    (x, y)
}

/// The header zoll writes.
#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'static str,
    typ: &'static str,
    kid: &'a str,
}

/// The header fields zoll reads; others are ignored (`jwk`, `x5c` are never trusted).
#[derive(Deserialize)]
struct HeaderIn {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Issues and verifies the tokens of one registry.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    key: TokenKey,
    issuer: String,
    ttl: Duration,
}

impl TokenIssuer {
    /// `issuer` goes into `iss` and is required back on verification; `ttl` is the lifetime of
    /// each token (whole seconds count; Docker clients expect at least 60 s).
    pub fn new(key: TokenKey, issuer: impl Into<String>, ttl: Duration) -> TokenIssuer {
        TokenIssuer {
            key,
            issuer: issuer.into(),
            ttl,
        }
    }

    /// The signing key.
    pub fn key(&self) -> &TokenKey {
        &self.key
    }

    /// The `iss` of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The lifetime of every token (the token endpoint's `expires_in`).
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Sign a token for `subject` (empty for anonymous) to present to `audience` (the registry's
    /// service name), granting `access`, valid from `now` for the issuer's lifetime.
    pub fn issue(
        &self,
        subject: &str,
        audience: &str,
        access: Vec<Access>,
        now: OffsetDateTime,
    ) -> Result<String, Error> {
        let iat = now.unix_timestamp();
        let exp = i64::try_from(self.ttl.as_secs())
            .ok()
            .and_then(|ttl| iat.checked_add(ttl))
            .ok_or_else(|| Error::Issue {
                reason: format!("lifetime {:?} overflows", self.ttl),
            })?;
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: subject.to_owned(),
            aud: audience.to_owned(),
            exp,
            nbf: iat,
            iat,
            jti: URL_SAFE_NO_PAD.encode(random_bytes::<16>()),
            access,
        };
        let header = HeaderOut {
            alg: ALGORITHM,
            typ: "JWT",
            kid: &self.key.kid,
        };
        let header = serde_json::to_vec(&header).map_err(|e| Error::Issue {
            reason: format!("cannot encode header: {e}"),
        })?;
        let payload = serde_json::to_vec(&claims).map_err(|e| Error::Issue {
            reason: format!("cannot encode claims: {e}"),
        })?;
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature: Signature =
            self.key
                .signing
                .try_sign(token.as_bytes())
                .map_err(|e| Error::Issue {
                    reason: format!("cannot sign: {e}"),
                })?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
        Ok(token)
    }

    /// Check a token presented to `audience` at `now` and return its claims; see the module docs
    /// for the order of the checks and the error of each.
    pub fn verify(
        &self,
        token: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<Claims, Error> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Error::Malformed {
                reason: "longer than 64 KiB",
            });
        }
        let mut segments = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(Error::Malformed {
                reason: "not three '.'-separated segments",
            });
        };

        let header = URL_SAFE_NO_PAD
            .decode(header_b64)
            .map_err(|_| Error::Malformed {
                reason: "header is not base64url",
            })?;
        let header: HeaderIn = serde_json::from_slice(&header).map_err(|_| Error::Malformed {
            reason: "header is not a JSON object with \"alg\"",
        })?;
        if header.alg != ALGORITHM {
            return Err(Error::UnsupportedAlgorithm {
                alg: shorten(&header.alg),
            });
        }
        if header.crit.is_some() {
            return Err(Error::Malformed {
                reason: "critical header parameters are not supported",
            });
        }
        match header.kid {
            Some(kid) if kid == self.key.kid => {}
            Some(kid) => return Err(Error::UnknownKeyId { kid: shorten(&kid) }),
            None => return Err(Error::UnknownKeyId { kid: String::new() }),
        }

        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| Error::Malformed {
                reason: "signature is not base64url",
            })?;
        let signature = Signature::from_slice(&signature).map_err(|_| Error::BadSignature)?;
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        self.key
            .signing
            .verifying_key()
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| Error::BadSignature)?;

        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| Error::Malformed {
                reason: "payload is not base64url",
            })?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| Error::Malformed {
            reason: "payload does not hold the expected claims",
        })?;

        if claims.iss != self.issuer {
            return Err(Error::WrongIssuer {
                expected: self.issuer.clone(),
                found: claims.iss,
            });
        }
        if claims.aud != audience {
            return Err(Error::WrongAudience {
                expected: audience.to_owned(),
                found: claims.aud,
            });
        }
        let now = now.unix_timestamp();
        if claims.nbf > now.saturating_add(LEEWAY_SECONDS) {
            return Err(Error::NotYetValid { nbf: claims.nbf });
        }
        if claims.exp.saturating_add(LEEWAY_SECONDS) <= now {
            return Err(Error::Expired { exp: claims.exp });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-06-01 12:00:00 UTC);
    const AUD: &str = "registry.example.com";

    fn issuer(key: &TokenKey) -> TokenIssuer {
        TokenIssuer::new(key.clone(), "zoll-token", Duration::from_secs(300))
    }

    fn access() -> Vec<Access> {
        vec![
            Access {
                r#type: "repository".into(),
                name: "org/app".into(),
                actions: vec!["pull".into(), "push".into()],
            },
            Access {
                r#type: "registry".into(),
                name: "catalog".into(),
                actions: vec!["*".into()],
            },
        ]
    }

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A token with any header and payload, signed with `key` (or with a bogus signature).
    fn forge(
        header: &serde_json::Value,
        payload: &serde_json::Value,
        key: Option<&TokenKey>,
    ) -> String {
        let input = format!("{}.{}", b64(header.to_string()), b64(payload.to_string()));
        let signature = match key {
            Some(key) => {
                let signature: Signature = key.signing.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
            None => vec![7u8; 32],
        };
        format!("{input}.{}", b64(signature))
    }

    fn payload_of(token: &str) -> serde_json::Value {
        let middle = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(middle).unwrap()).unwrap()
    }

    #[test]
    fn issue_then_verify_round_trips() {
        let key = TokenKey::generate();
        let issuer = issuer(&key);
        let token = issuer.issue("alice", AUD, access(), NOW).unwrap();
        let claims = issuer.verify(&token, AUD, NOW).unwrap();
        assert_eq!(claims.iss, "zoll-token");
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.aud, AUD);
        assert_eq!(claims.iat, NOW.unix_timestamp());
        assert_eq!(claims.nbf, NOW.unix_timestamp());
        assert_eq!(claims.exp, NOW.unix_timestamp() + 300);
        assert_eq!(claims.jti.len(), 22);
        assert_eq!(claims.access, access());
        // Valid until just before exp + leeway.
        assert!(
            issuer
                .verify(&token, AUD, NOW + Duration::from_secs(329))
                .is_ok()
        );
        // The header is what the module docs promise.
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": key.key_id()})
        );
        // The wire form of access entries follows the distribution spec.
        assert_eq!(
            payload_of(&token)["access"][0],
            serde_json::json!({"type": "repository", "name": "org/app", "actions": ["pull", "push"]})
        );
    }

    #[test]
    fn each_token_has_its_own_jti() {
        let issuer = issuer(&TokenKey::generate());
        let a = issuer
            .verify(&issuer.issue("a", AUD, vec![], NOW).unwrap(), AUD, NOW)
            .unwrap();
        let b = issuer
            .verify(&issuer.issue("a", AUD, vec![], NOW).unwrap(), AUD, NOW)
            .unwrap();
        assert_ne!(a.jti, b.jti);
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let issuer = issuer(&TokenKey::generate());
        let token = issuer.issue("alice", AUD, access(), NOW).unwrap();
        let exp = NOW.unix_timestamp() + 300;
        let err = issuer
            .verify(&token, AUD, NOW + Duration::from_secs(330))
            .unwrap_err();
        assert!(
            matches!(err, Error::Expired { exp: e } if e == exp),
            "{err:?}"
        );
        let err = issuer
            .verify(&token, AUD, NOW + Duration::from_secs(86_400))
            .unwrap_err();
        assert!(matches!(err, Error::Expired { .. }), "{err:?}");
    }

    #[test]
    fn a_token_from_the_future_is_rejected_beyond_the_leeway() {
        let issuer = issuer(&TokenKey::generate());
        let token = issuer.issue("alice", AUD, access(), NOW).unwrap();
        assert!(
            issuer
                .verify(&token, AUD, NOW - Duration::from_secs(30))
                .is_ok()
        );
        let err = issuer
            .verify(&token, AUD, NOW - Duration::from_secs(31))
            .unwrap_err();
        assert!(
            matches!(err, Error::NotYetValid { nbf } if nbf == NOW.unix_timestamp()),
            "{err:?}"
        );
    }

    #[test]
    fn a_token_for_another_audience_is_rejected() {
        let issuer = issuer(&TokenKey::generate());
        let token = issuer.issue("alice", AUD, access(), NOW).unwrap();
        let err = issuer.verify(&token, "other.example.com", NOW).unwrap_err();
        assert!(
            matches!(&err, Error::WrongAudience { expected, found } if expected == "other.example.com" && found == AUD),
            "{err:?}"
        );
    }

    #[test]
    fn a_token_from_another_issuer_with_the_same_key_is_rejected() {
        let key = TokenKey::generate();
        let other = TokenIssuer::new(key.clone(), "someone-else", Duration::from_secs(300));
        let token = other.issue("alice", AUD, access(), NOW).unwrap();
        let err = issuer(&key).verify(&token, AUD, NOW).unwrap_err();
        assert!(
            matches!(&err, Error::WrongIssuer { expected, found } if expected == "zoll-token" && found == "someone-else"),
            "{err:?}"
        );
    }

    #[test]
    fn a_token_signed_by_another_key_is_rejected() {
        let ours = issuer(&TokenKey::generate());
        let theirs = issuer(&TokenKey::generate());
        // As issued by the other key: its kid is not ours.
        let token = theirs.issue("alice", AUD, access(), NOW).unwrap();
        let err = ours.verify(&token, AUD, NOW).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownKeyId { kid } if *kid == theirs.key().key_id()),
            "{err:?}"
        );
        // Signed by the other key under our kid: the signature fails.
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": ours.key().key_id()});
        let token = forge(&header, &payload_of(&token), Some(theirs.key()));
        assert!(matches!(
            ours.verify(&token, AUD, NOW),
            Err(Error::BadSignature)
        ));
        // Our own forge helper produces tokens we accept, so the rejection above is the key's doing.
        let token = forge(
            &header,
            &payload_of(&ours.issue("alice", AUD, access(), NOW).unwrap()),
            Some(ours.key()),
        );
        assert!(ours.verify(&token, AUD, NOW).is_ok());
    }

    #[test]
    fn a_modified_payload_is_rejected() {
        let issuer = issuer(&TokenKey::generate());
        let token = issuer.issue("alice", AUD, access(), NOW).unwrap();
        let mut payload = payload_of(&token);
        payload["access"][0]["actions"] = serde_json::json!(["*"]);
        payload["sub"] = serde_json::json!("admin");
        let segments: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            segments[0],
            b64(payload.to_string()),
            segments[2]
        );
        assert!(matches!(
            issuer.verify(&tampered, AUD, NOW),
            Err(Error::BadSignature)
        ));
        // A modified signature is rejected the same way.
        let mut signature = URL_SAFE_NO_PAD.decode(segments[2]).unwrap();
        signature[10] ^= 1;
        let tampered = format!("{}.{}.{}", segments[0], segments[1], b64(signature));
        assert!(matches!(
            issuer.verify(&tampered, AUD, NOW),
            Err(Error::BadSignature)
        ));
        // A signature of the wrong length too.
        let tampered = format!("{}.{}.{}", segments[0], segments[1], b64([1u8; 63]));
        assert!(matches!(
            issuer.verify(&tampered, AUD, NOW),
            Err(Error::BadSignature)
        ));
    }

    #[test]
    fn alg_none_and_hs256_are_rejected() {
        let key = TokenKey::generate();
        let issuer = issuer(&key);
        let payload = payload_of(&issuer.issue("alice", AUD, access(), NOW).unwrap());
        for alg in ["none", "None", "HS256", "RS256", "ES384", "es256", ""] {
            let header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": key.key_id()});
            let mut token = forge(&header, &payload, None);
            if alg == "none" {
                // The classic unsigned form: empty signature segment.
                token.truncate(token.rfind('.').unwrap() + 1);
            }
            let err = issuer.verify(&token, AUD, NOW).unwrap_err();
            assert!(
                matches!(&err, Error::UnsupportedAlgorithm { alg: a } if a == alg),
                "{alg}: {err:?}"
            );
        }
    }

    #[test]
    fn a_missing_or_foreign_kid_and_critical_headers_are_rejected() {
        let key = TokenKey::generate();
        let issuer = issuer(&key);
        let payload = payload_of(&issuer.issue("alice", AUD, access(), NOW).unwrap());
        let token = forge(&serde_json::json!({"alg": "ES256"}), &payload, Some(&key));
        assert!(
            matches!(issuer.verify(&token, AUD, NOW), Err(Error::UnknownKeyId { kid }) if kid.is_empty())
        );
        let token = forge(
            &serde_json::json!({"alg": "ES256", "kid": "x".repeat(500)}),
            &payload,
            Some(&key),
        );
        let err = issuer.verify(&token, AUD, NOW).unwrap_err();
        assert!(
            matches!(&err, Error::UnknownKeyId { kid } if kid.chars().count() == 65),
            "{err:?}"
        );
        let token = forge(
            &serde_json::json!({"alg": "ES256", "kid": key.key_id(), "crit": ["exp"]}),
            &payload,
            Some(&key),
        );
        assert!(matches!(
            issuer.verify(&token, AUD, NOW),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn garbage_is_malformed() {
        let key = TokenKey::generate();
        let issuer = issuer(&key);
        let valid = issuer.issue("alice", AUD, access(), NOW).unwrap();
        let segments: Vec<&str> = valid.split('.').collect();
        let too_long = "a".repeat(MAX_TOKEN_LEN + 1);
        let cases = [
            String::new(),
            "garbage".into(),
            "a.b".into(),
            "a.b.c.d".into(),
            "...".into(),
            "!!!.!!!.!!!".into(),
            format!("{}.{}", segments[0], segments[1]),
            format!("{valid}.{}", segments[2]),
            format!("{}.{}.{}", b64("not json"), segments[1], segments[2]),
            format!("{}.{}.{}", b64("[1,2]"), segments[1], segments[2]),
            format!(
                "{}.{}.{}",
                b64(r#"{"typ":"JWT"}"#),
                segments[1],
                segments[2]
            ),
            format!("{}=.{}.{}", segments[0], segments[1], segments[2]),
            format!("{}.{}.{}!", segments[0], segments[1], segments[2]),
            too_long,
        ];
        for token in &cases {
            let err = issuer.verify(token, AUD, NOW).unwrap_err();
            assert!(
                matches!(err, Error::Malformed { .. }),
                "{:?}: {err:?}",
                shorten(token)
            );
        }
        // A correctly signed payload that is not our claims is malformed, not accepted.
        let header = serde_json::json!({"alg": "ES256", "kid": key.key_id()});
        let token = forge(&header, &serde_json::json!({"sub": "alice"}), Some(&key));
        assert!(matches!(
            issuer.verify(&token, AUD, NOW),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn keys_round_trip_through_pem_and_keep_their_id() {
        let key = TokenKey::generate();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        let back = TokenKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back, key);
        assert_eq!(back.key_id(), key.key_id());
        // A token of one replica verifies on another that loaded the same PEM.
        let token = issuer(&key).issue("alice", AUD, access(), NOW).unwrap();
        assert!(issuer(&back).verify(&token, AUD, NOW).is_ok());
        let public = key.public_key_pem().unwrap();
        assert!(
            public.starts_with("-----BEGIN PUBLIC KEY-----\n"),
            "{public}"
        );
        assert_ne!(TokenKey::generate().key_id(), key.key_id());
        assert!(format!("{key:?}").contains(&key.key_id()));
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn sec1_pem_is_accepted_and_garbage_pem_is_an_error() {
        let key = TokenKey::generate();
        let secret = p256::SecretKey::from(key.signing.as_nonzero_scalar());
        let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
        assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        assert_eq!(TokenKey::from_pkcs8_pem(&sec1).unwrap(), key);
        for pem in [
            "",
            "not pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let err = TokenKey::from_pkcs8_pem(pem).unwrap_err();
            assert!(matches!(err, Error::InvalidKey { .. }), "{pem:?}: {err:?}");
        }
        let public = key.public_key_pem().unwrap();
        assert!(TokenKey::from_pkcs8_pem(&public).is_err());
    }

    #[test]
    fn the_key_id_is_the_rfc7638_thumbprint() {
        // RFC 7638 has no EC example; this checks the definition against the JWK we publish.
        let key = TokenKey::generate();
        let jwk = key.public_jwk();
        let canonical = serde_json::json!({
            "crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"],
        });
        // serde_json's map is sorted by key, which is the RFC's member order.
        let thumbprint = b64(Sha256::digest(canonical.to_string().as_bytes()));
        assert_eq!(key.key_id(), thumbprint);
        assert_eq!(jwk["kid"], serde_json::json!(thumbprint));
        assert_eq!(key.key_id().len(), 43);
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(jwk["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
    }

    #[test]
    fn claims_allows_matches_type_name_and_action() {
        let claims = Claims {
            iss: "i".into(),
            sub: "s".into(),
            aud: "a".into(),
            exp: 0,
            nbf: 0,
            iat: 0,
            jti: "j".into(),
            access: vec![
                Access {
                    r#type: "repository".into(),
                    name: "org/app".into(),
                    actions: vec!["pull".into()],
                },
                Access {
                    r#type: "repository".into(),
                    name: "org/all".into(),
                    actions: vec!["*".into()],
                },
                Access {
                    r#type: "registry".into(),
                    name: "catalog".into(),
                    actions: vec!["*".into()],
                },
            ],
        };
        assert!(claims.allows("repository", "org/app", "pull"));
        assert!(!claims.allows("repository", "org/app", "push"));
        assert!(!claims.allows("repository", "org/app2", "pull"));
        assert!(!claims.allows("repository", "org", "pull"));
        assert!(!claims.allows("registry", "org/app", "pull"));
        assert!(claims.allows("repository", "org/all", "push"));
        assert!(claims.allows("repository", "org/all", "delete"));
        assert!(claims.allows("registry", "catalog", "*"));
        assert!(!claims.allows("repository", "*", "pull"));
    }

    #[test]
    fn an_overflowing_lifetime_is_an_error() {
        let issuer = TokenIssuer::new(TokenKey::generate(), "i", Duration::MAX);
        assert!(matches!(
            issuer.issue("a", AUD, vec![], NOW),
            Err(Error::Issue { .. })
        ));
    }
}
