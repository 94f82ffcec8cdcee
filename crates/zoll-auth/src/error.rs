//! The crate's one error type.

/// Everything that can go wrong in `zoll-auth`.
///
/// Token errors never quote the token itself (it is a credential); they name the claim or header
/// field that failed. Values that come from an unverified header (`alg`, `kid`) are shortened so
/// that a hostile client cannot fill a log line.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Argon2 refused to hash (only for absurd inputs, e.g. a password over 4 GiB).
    #[error("cannot hash password: {reason}")]
    PasswordHash { reason: String },

    /// A scope string that does not have the shape `type:name:actions`.
    #[error("invalid scope {scope:?}: {reason}")]
    InvalidScope { scope: String, reason: &'static str },

    /// A scope whose resource type is neither `repository` nor `registry`.
    #[error("unknown resource type {resource_type:?} in scope {scope:?}")]
    UnknownResourceType {
        scope: String,
        resource_type: String,
    },

    /// A repository name that breaks the OCI distribution grammar.
    #[error("invalid repository name {name:?}: {reason}")]
    InvalidRepositoryName { name: String, reason: &'static str },

    /// Text that is not one of the named values of a small enum (`what` says which: role, op, …).
    #[error("invalid {what} {value:?}: expected one of {expected}")]
    InvalidValue {
        what: &'static str,
        value: String,
        expected: &'static str,
    },

    /// A signing key that cannot be read or written.
    #[error("invalid token key: {reason}")]
    InvalidKey { reason: String },

    /// A token that cannot be issued (lifetime overflow, signer failure).
    #[error("cannot issue token: {reason}")]
    Issue { reason: String },

    /// The token's `exp` (plus the leeway) has passed.
    #[error("token expired at {exp} (unix seconds)")]
    Expired { exp: i64 },

    /// The token's `nbf` is still ahead (beyond the leeway).
    #[error("token not valid before {nbf} (unix seconds)")]
    NotYetValid { nbf: i64 },

    /// The token was issued for another service.
    #[error("token audience {found:?} is not {expected:?}")]
    WrongAudience { expected: String, found: String },

    /// The token was issued by someone else.
    #[error("token issuer {found:?} is not {expected:?}")]
    WrongIssuer { expected: String, found: String },

    /// The ES256 signature does not verify with our key.
    #[error("token signature does not verify")]
    BadSignature,

    /// The token header names an algorithm other than ES256 (`none`, `HS256`, `RS256`, …).
    #[error("token algorithm {alg:?} is not ES256")]
    UnsupportedAlgorithm { alg: String },

    /// The token header names a key (`kid`) that is not ours, or names none.
    #[error("token key id {kid:?} is not this issuer's key")]
    UnknownKeyId { kid: String },

    /// Not a compact JWS, bad base64url, bad JSON, missing claims.
    #[error("malformed token: {reason}")]
    Malformed { reason: &'static str },
}

/// Cut an untrusted string to a length fit for an error message.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_text_and_cuts_long_text_on_a_char_boundary() {
        assert_eq!(shorten("HS256"), "HS256");
        let long = "é".repeat(100);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), 65);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn messages_are_lowercase_and_name_the_input() {
        let err = Error::InvalidValue {
            what: "role",
            value: "Owner".into(),
            expected: "guest",
        };
        assert_eq!(
            err.to_string(),
            "invalid role \"Owner\": expected one of guest"
        );
        let err = Error::UnsupportedAlgorithm { alg: "none".into() };
        assert_eq!(err.to_string(), "token algorithm \"none\" is not ES256");
    }
}
