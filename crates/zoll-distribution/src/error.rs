//! The crate's error type, and the parsing of the registry error body
//! (`{"errors":[{"code","message","detail"}]}`) into error kinds.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use zoll_core::Digest;

/// One entry of a registry's error body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RegistryErrorEntry {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// The entries of a registry's error body; prints as `CODE: message; CODE: message`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryErrors(pub Vec<RegistryErrorEntry>);

impl RegistryErrors {
    /// Parse an error body; a body that is not the OCI error JSON gives no entries.
    pub(crate) fn parse(body: &[u8]) -> RegistryErrors {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            errors: Vec<RegistryErrorEntry>,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(b) => RegistryErrors(b.errors),
            Err(_) => RegistryErrors(Vec::new()),
        }
    }

    /// Whether an entry has this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.0.iter().any(|e| e.code.eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for RegistryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" (")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            // The message comes from the server: keep it on one line and bounded.
            let msg: String = e
                .message
                .chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect();
            write!(f, "{}: {}", e.code, msg)?;
        }
        f.write_str(")")
    }
}

/// Errors of the distribution client. `target` fields name the registry, repository, reference
/// or digest involved (e.g. `docker.io/library/alpine:3.19`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid client options: {0}")]
    Options(String),
    #[error("invalid CA certificate file {path}: {message}")]
    CaCertificate { path: PathBuf, message: String },
    #[error("invalid docker config {path}: {message}")]
    DockerConfig { path: PathBuf, message: String },
    #[error("credential helper docker-credential-{helper} failed for {registry}: {message}")]
    CredentialHelper {
        helper: String,
        registry: String,
        message: String,
    },
    #[error("could not build the http client: {0}")]
    ClientBuild(#[source] reqwest::Error),
    #[error("request to {target} failed: {source}")]
    Http {
        target: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("unauthorized: {target}{errors}")]
    Unauthorized {
        target: String,
        errors: RegistryErrors,
    },
    #[error("denied: {target}{errors}")]
    Denied {
        target: String,
        errors: RegistryErrors,
    },
    #[error("manifest unknown: {target}{errors}")]
    ManifestUnknown {
        target: String,
        errors: RegistryErrors,
    },
    #[error("blob unknown: {target}{errors}")]
    BlobUnknown {
        target: String,
        errors: RegistryErrors,
    },
    #[error("repository unknown: {target}{errors}")]
    NameUnknown {
        target: String,
        errors: RegistryErrors,
    },
    #[error("too many requests: {target}{errors}")]
    TooManyRequests {
        target: String,
        errors: RegistryErrors,
    },
    #[error("unsupported operation: {target}{errors}")]
    Unsupported {
        target: String,
        errors: RegistryErrors,
    },
    #[error("registry error: {target}: http {status}{errors}")]
    Registry {
        target: String,
        status: u16,
        errors: RegistryErrors,
    },
    #[error("digest mismatch: {target}: expected {expected}, got {actual}")]
    DigestMismatch {
        target: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("size mismatch: {target}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        target: String,
        expected: u64,
        actual: u64,
    },
    #[error("too large: {target}: more than {limit} bytes")]
    TooLarge { target: String, limit: u64 },
    #[error("invalid response from {target}: {message}")]
    InvalidResponse { target: String, message: String },
    #[error("token request for {registry} to {realm} failed: {message}")]
    Token {
        registry: String,
        realm: String,
        message: String,
    },
    #[error("reading {target}: {source}")]
    Io {
        target: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the error says the manifest, blob or repository does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::ManifestUnknown { .. } | Error::BlobUnknown { .. } | Error::NameUnknown { .. }
        )
    }

    /// Whether the error is about authentication or authorisation.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Unauthorized { .. } | Error::Denied { .. } | Error::Token { .. }
        )
    }
}

/// What kind of object a request was about, to choose the error kind for a bare 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    Manifest,
    Blob,
    Upload,
    Tags,
}

/// The error for a non-success response `status` with body `body`.
pub(crate) fn status_error(subject: Subject, target: &str, status: u16, body: &[u8]) -> Error {
    let errors = RegistryErrors::parse(body);
    let target = target.to_owned();
    if errors.has_code("MANIFEST_UNKNOWN") {
        return Error::ManifestUnknown { target, errors };
    }
    if errors.has_code("BLOB_UNKNOWN") {
        return Error::BlobUnknown { target, errors };
    }
    if errors.has_code("NAME_UNKNOWN") {
        return Error::NameUnknown { target, errors };
    }
    if errors.has_code("UNAUTHORIZED") || status == 401 {
        return Error::Unauthorized { target, errors };
    }
    if errors.has_code("DENIED") || status == 403 {
        return Error::Denied { target, errors };
    }
    if errors.has_code("TOOMANYREQUESTS") || status == 429 {
        return Error::TooManyRequests { target, errors };
    }
    if errors.has_code("UNSUPPORTED") || status == 405 {
        return Error::Unsupported { target, errors };
    }
    match (status, subject) {
        (404, Subject::Manifest) => Error::ManifestUnknown { target, errors },
        (404, Subject::Blob) => Error::BlobUnknown { target, errors },
        (404, Subject::Tags) => Error::NameUnknown { target, errors },
        _ => Error::Registry {
            target,
            status,
            errors,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_registry_errors() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"1"}}]}"#;
        let e = status_error(Subject::Manifest, "docker.io/library/x:1", 404, body);
        assert!(matches!(e, Error::ManifestUnknown { .. }));
        assert_eq!(
            e.to_string(),
            "manifest unknown: docker.io/library/x:1 (MANIFEST_UNKNOWN: manifest unknown)"
        );
        let e = status_error(Subject::Blob, "r/x@sha256:00", 404, b"");
        assert_eq!(e.to_string(), "blob unknown: r/x@sha256:00");
        let e = status_error(Subject::Upload, "r/x", 500, b"<html>");
        assert_eq!(e.to_string(), "registry error: r/x: http 500");
        let e = status_error(
            Subject::Upload,
            "r/x",
            401,
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        );
        assert_eq!(
            e.to_string(),
            "unauthorized: r/x (UNAUTHORIZED: authentication required)"
        );
    }
}
