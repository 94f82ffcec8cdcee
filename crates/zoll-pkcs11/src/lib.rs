//! Signing keys held in PKCS#11 tokens: SoftHSM2, a TPM 2.0 through tpm2-pkcs11, hardware
//! HSMs, all through one code path (the `cryptoki` crate; this crate has no `unsafe`).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use zoll_pkcs11::{Pkcs11Signer, Pkcs11Uri, generate};
//! use zoll_sign::Signer;
//!
//! let uri: Pkcs11Uri =
//!     "pkcs11:token=zoll;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so".parse()?;
//! let public = generate(&uri)?; // once: make the key pair inside the token
//! let signer = Pkcs11Signer::open(&uri)?; // PIN from ZOLL_PKCS11_PIN here
//! let sig = signer.sign_digest(&[0u8; 32])?; // ASN.1 DER, verified against `public`
//! # let _ = (public, sig); Ok(()) }
//! ```
//!
//! # The URI (RFC 7512)
//!
//! [`Pkcs11Uri`] parses `pkcs11:PATH?QUERY`.
//! - Path attributes: `token`, `manufacturer`, `serial`, `model` (the token),
//!   `library-manufacturer`, `library-description`, `library-version` (the module),
//!   `slot-description`, `slot-manufacturer`, `slot-id` (the slot), `object` (`CKA_LABEL`),
//!   `id` (`CKA_ID`, percent-encoded bytes) and `type`.
//! - Query attributes: `module-path`, `module-name`, `pin-value`, `pin-source`.
//! - Values are percent-decoded strictly (`%` must be followed by two hex digits); text values
//!   must be UTF-8. Unknown attributes, attributes given twice, an attribute in the wrong part
//!   (`pin-value` in the path), empty segments (`;;`, a trailing `;`) and fragments are
//!   errors, each with its own [`UriError`] variant. Vendor attributes (`x-...`) are accepted,
//!   printed back, and ignored.
//! - `pin-source` is a `file:` URI (`file:/p`, `file:///p`, `file://localhost/p`) or a plain
//!   path; other schemes are refused. The file's contents are the PIN, minus one trailing
//!   newline (`\n` or `\r\n`). `pin-value` and `pin-source` together are an error.
//! - `Display` (and `Debug`) print a canonical form: attributes in a fixed order, values
//!   percent-encoded where needed, `id` as `%XX` bytes, and `pin-value=redacted` instead of the
//!   PIN. The text of every error and of [`zoll_sign::Signer::describe`] is this form, so a PIN
//!   never reaches a log.
//!
//! # Environment fallbacks
//!
//! - The module is `module-path`; else `module-name`, looked up as `NAME.so`, `libNAME.so`,
//!   `NAME-pkcs11.so`, `libNAME-pkcs11.so` in the usual module directories
//!   ([`Pkcs11Uri::module_candidates`]); else `$ZOLL_PKCS11_MODULE`. A `module-name` that is
//!   not found is an error; it does not fall back to the environment.
//! - The PIN is `pin-value`, else the `pin-source` file, else `$ZOLL_PKCS11_PIN`. Without any,
//!   a token that needs a login is an error ([`Error::NoPin`]).
//! - Both are read when a key is opened, not when the URI is parsed.
//!
//! # Tokens, sessions and objects
//!
//! - A module is loaded and `C_Initialize`d once per process and never finalised
//!   (`C_Finalize` would end every other session of that library in the process);
//!   `CKR_CRYPTOKI_ALREADY_INITIALIZED` from someone else's initialisation is accepted.
//! - Exactly one initialised token must match the URI's token, slot and library attributes;
//!   none or several are errors that list the tokens present.
//! - Login is as `CKU_USER`. PKCS#11 keeps the login per application and token, so when
//!   another session of this process is already logged in (`CKR_USER_ALREADY_LOGGED_IN`) that
//!   is accepted, and the PIN is not checked again.
//! - The key is found by `object` and/or `id` (one of them is required): exactly one
//!   `CKO_PRIVATE_KEY` of key type EC on P-256, and exactly one `CKO_PUBLIC_KEY` with the same
//!   label/ID. A missing public key object is an error; the public key is never derived.
//! - `CKA_EC_POINT` is accepted as a DER OCTET STRING (what the standard says) or a bare SEC1
//!   point (what some tokens return); `CKA_EC_PARAMS` must be the prime256v1 OID.
//! - Keys that need `CKA_ALWAYS_AUTHENTICATE` (a context-specific login per signature) are not
//!   supported.
//!
//! # Signing
//!
//! The caller hashes; the token gets the 32-byte SHA-256 digest with raw `CKM_ECDSA` (SoftHSM2
//! 2.6 lacks `CKM_ECDSA_SHA256`). The token's `r||s` becomes ASN.1 DER and is verified with the
//! public key before it is returned, which catches a private/public object pairing that is
//! wrong. The signature is returned as the token made it (no low-S normalisation).
//!
//! # Key generation
//!
//! [`generate`] makes a P-256 pair with `CKM_EC_KEY_PAIR_GEN`: the private key `CKA_TOKEN`,
//! `CKA_PRIVATE`, `CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, `CKA_SIGN`; the public key
//! `CKA_TOKEN`, `CKA_VERIFY`; both with the URI's label and ID (an ID is set only when the URI
//! has one). It refuses when any object with that label or ID already exists.

mod error;
mod key;
mod token;
mod uri;

pub use error::Error;
pub use key::{Pkcs11Signer, generate};
pub use uri::{MODULE_ENV, ObjectType, PIN_ENV, Pkcs11Uri, REDACTED, UriError};
