//! The one error type of the crate: what went wrong, naming the digest, upload or path.

use zoll_core::Digest;

/// Why a blob store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The blob is not stored.
    #[error("blob {0} not found")]
    NotFound(Digest),

    /// The content does not hash to the digest the client claimed; nothing was stored.
    #[error("digest mismatch: expected {expected}, the content hashes to {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },

    /// The content is not as long as the client said; nothing was stored.
    #[error("size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch { expected: u64, actual: u64 },

    /// A chunk does not start where the staged bytes end.
    #[error("upload {upload}: chunk at offset {got} is out of order, {expected} bytes are staged")]
    OutOfOrder {
        upload: String,
        expected: u64,
        got: u64,
    },

    /// The upload id is not 1 to 64 characters from `[A-Za-z0-9-]`.
    #[error("invalid upload id {0:?}: expected 1 to 64 characters from [A-Za-z0-9-]")]
    InvalidUpload(String),

    /// The upload vanished while this operation used it (committed or aborted concurrently).
    #[error("upload {0} does not exist (committed or aborted meanwhile)")]
    UnknownUpload(String),

    /// The staged chunks of an upload do not follow each other (S3: a chunk object is missing
    /// or overlaps another one).
    #[error("upload {upload} is damaged: {detail}")]
    CorruptUpload { upload: String, detail: String },

    /// A filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// An object store request failed.
    #[error("{context}: {source}")]
    ObjectStore {
        context: String,
        #[source]
        source: object_store::Error,
    },

    /// The request body stream failed (for example a truncated upload); nothing of it was kept.
    #[error("request body failed: {0}")]
    Body(#[source] std::io::Error),
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn store(context: impl Into<String>, source: object_store::Error) -> Error {
        Error::ObjectStore {
            context: context.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_failed() {
        let d = Digest::sha256(b"x");
        assert_eq!(
            Error::NotFound(d.clone()).to_string(),
            format!("blob {d} not found")
        );
        let e = Error::OutOfOrder {
            upload: "u1".into(),
            expected: 10,
            got: 5,
        };
        assert_eq!(
            e.to_string(),
            "upload u1: chunk at offset 5 is out of order, 10 bytes are staged"
        );
        let e = Error::io(
            "write /x/tmp/1",
            std::io::Error::new(std::io::ErrorKind::StorageFull, "no space"),
        );
        assert_eq!(e.to_string(), "write /x/tmp/1: no space");
    }
}
