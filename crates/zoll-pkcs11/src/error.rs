//! The crate's error type: every message names the URI (never the PIN) and, when the token
//! refused something, the PKCS#11 return code (`CKR_...`).

use std::path::PathBuf;

use cryptoki::error::{Error as CkError, RvError};

use crate::uri::UriError;

/// Why opening, generating or signing with a PKCS#11 key failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a valid PKCS#11 URI.
    #[error("invalid pkcs11 uri: {0}")]
    Uri(#[from] UriError),

    /// A PKCS#11 call failed; `code` is the return code (`CKR_PIN_INCORRECT`) or, for failures
    /// inside the wrapper, a short reason.
    #[error("{uri}: {what}: {code}")]
    Pkcs11 {
        uri: String,
        what: &'static str,
        code: String,
    },

    /// No module was named.
    #[error(
        "{uri}: no pkcs#11 module: give module-path or module-name in the uri, or set ZOLL_PKCS11_MODULE"
    )]
    NoModule { uri: String },

    /// `module-name` names no module in the usual directories.
    #[error("{uri}: no module named {name:?} (looked for {looked})")]
    ModuleNotFound {
        uri: String,
        name: String,
        looked: String,
    },

    /// The module file could not be loaded as a PKCS#11 library.
    #[error("{uri}: cannot load pkcs#11 module {}: {reason}", module.display())]
    Module {
        uri: String,
        module: PathBuf,
        reason: String,
    },

    /// No token, or more than one, matches the URI.
    #[error("{uri}: {reason}")]
    Token { uri: String, reason: String },

    /// The token needs a login and no PIN was given.
    #[error(
        "{uri}: the token needs a pin: give pin-value or pin-source in the uri, or set ZOLL_PKCS11_PIN"
    )]
    NoPin { uri: String },

    /// `pin-source` could not be read.
    #[error("{uri}: cannot read pin-source {}: {source}", path.display())]
    PinSource {
        uri: String,
        path: PathBuf,
        source: std::io::Error,
    },

    /// The key is missing, ambiguous, or not an ECDSA P-256 key.
    #[error("{uri}: {reason}")]
    Key { uri: String, reason: String },

    /// `generate` found an object with the same label or ID.
    #[error("{uri}: the token already holds an object with {what}; refusing to create another")]
    Exists { uri: String, what: String },

    /// The token's signature does not verify with the public key object.
    #[error(
        "{uri}: the token's signature does not verify with the public key object (are the private and public key objects a pair?)"
    )]
    Verify { uri: String },
}

impl Error {
    /// The PKCS#11 return code (`CKR_...`) when a PKCS#11 call failed.
    pub fn ckr(&self) -> Option<&str> {
        match self {
            Error::Pkcs11 { code, .. } if code.starts_with("CKR_") => Some(code),
            _ => None,
        }
    }
}

/// The PKCS#11 name of a cryptoki error (`CKR_PIN_INCORRECT`), or its text for wrapper errors.
pub(crate) fn code(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, _) => ckr_name(rv),
        other => other.to_string().to_lowercase(),
    }
}

/// `RvError::PinIncorrect` → `CKR_PIN_INCORRECT` (cryptoki names its variants after the
/// constants, in camel case).
pub(crate) fn ckr_name(rv: &RvError) -> String {
    match rv {
        RvError::VendorDefined(v) => format!("CKR_VENDOR_DEFINED(0x{v:08x})"),
        RvError::UnknownErrorCode(v) => format!("CKR_0x{v:08x}"),
        other => {
            let camel = format!("{other:?}");
            let mut out = String::from("CKR");
            for c in camel.chars() {
                if c.is_ascii_uppercase() {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckr_names() {
        assert_eq!(ckr_name(&RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(
            ckr_name(&RvError::AttributeSensitive),
            "CKR_ATTRIBUTE_SENSITIVE"
        );
        assert_eq!(
            ckr_name(&RvError::CryptokiAlreadyInitialized),
            "CKR_CRYPTOKI_ALREADY_INITIALIZED"
        );
        assert_eq!(
            ckr_name(&RvError::VendorDefined(0x8000_0001)),
            "CKR_VENDOR_DEFINED(0x80000001)"
        );
    }
}
