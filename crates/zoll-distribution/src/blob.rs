//! [`VerifiedBlob`]: a blob body that hashes as it is read and fails instead of ending when the
//! digest or size does not match, so no caller can consume unverified data to the end.

use std::fmt;
use std::io::{self, Read};

use zoll_core::{Digest, Hasher};

/// Why a blob stream failed verification; the inner error of the `io::Error` a
/// [`VerifiedBlob`] returns (get it with `io::Error::get_ref` and `downcast_ref`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlobVerifyError {
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
}

impl BlobVerifyError {
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }

    /// The verification failure behind an `io::Error`, if it is one.
    pub fn from_io(e: &io::Error) -> Option<&BlobVerifyError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<BlobVerifyError>())
    }
}

impl From<BlobVerifyError> for crate::Error {
    fn from(e: BlobVerifyError) -> crate::Error {
        match e {
            BlobVerifyError::DigestMismatch {
                target,
                expected,
                actual,
            } => crate::Error::DigestMismatch {
                target,
                expected,
                actual,
            },
            BlobVerifyError::SizeMismatch {
                target,
                expected,
                actual,
            } => crate::Error::SizeMismatch {
                target,
                expected,
                actual,
            },
            BlobVerifyError::TooLarge { target, limit } => crate::Error::TooLarge { target, limit },
        }
    }
}

enum State {
    Reading(Hasher),
    /// The expected size was reached and the digest matched; the body must end now.
    AwaitingEof,
    Verified,
    Failed(BlobVerifyError),
}

/// A blob's body being downloaded. Reading it hashes the bytes; at the end of the body, `read`
/// returns `Ok(0)` only if the size (when known) and the digest match, and an `io::Error` of kind
/// `InvalidData` wrapping a [`BlobVerifyError`] otherwise. The size error comes as soon as more bytes
/// arrive than expected. After an error, every further read returns the same error.
pub struct VerifiedBlob {
    inner: Box<dyn Read + Send>,
    target: String,
    digest: Digest,
    expected_size: Option<u64>,
    limit: Option<u64>,
    content_length: Option<u64>,
    read: u64,
    state: State,
}

impl VerifiedBlob {
    /// Wrap any reader (a response body, a file) so that it is verified against `digest` and
    /// `expected_size`. `target` names the blob in errors.
    pub fn new(
        inner: Box<dyn Read + Send>,
        target: String,
        digest: Digest,
        expected_size: Option<u64>,
    ) -> VerifiedBlob {
        let hasher = digest.algorithm().hasher();
        VerifiedBlob {
            inner,
            target,
            digest,
            expected_size,
            limit: None,
            content_length: None,
            read: 0,
            state: State::Reading(hasher),
        }
    }

    pub(crate) fn with_limit(mut self, limit: Option<u64>) -> VerifiedBlob {
        self.limit = limit;
        self
    }

    pub(crate) fn with_content_length(mut self, len: Option<u64>) -> VerifiedBlob {
        self.content_length = len;
        self
    }

    /// The digest the data is checked against.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The size the caller expects, if given.
    pub fn expected_size(&self) -> Option<u64> {
        self.expected_size
    }

    /// The `Content-Length` the server announced (not trusted; for progress bars).
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Whether the whole body was read and matched.
    pub fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    /// Read to the end into a vector, verified.
    pub fn into_vec(mut self) -> Result<Vec<u8>, crate::Error> {
        let mut out = Vec::with_capacity(self.expected_size.unwrap_or(0).min(64 << 20) as usize);
        match self.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => match BlobVerifyError::from_io(&e) {
                Some(v) => Err(v.clone().into()),
                None => Err(crate::Error::Io {
                    target: self.target.clone(),
                    source: e,
                }),
            },
        }
    }

    /// Compare the digest of what was read (if still hashing) with the expected one.
    fn finish_digest(&mut self) -> io::Result<()> {
        let State::Reading(h) = std::mem::replace(&mut self.state, State::AwaitingEof) else {
            return Ok(());
        };
        let actual = h.finish();
        if actual != self.digest {
            let e = BlobVerifyError::DigestMismatch {
                target: self.target.clone(),
                expected: self.digest.clone(),
                actual,
            };
            return Err(self.fail(e));
        }
        Ok(())
    }

    fn fail(&mut self, e: BlobVerifyError) -> io::Error {
        self.state = State::Failed(e.clone());
        e.into_io()
    }
}

impl Read for VerifiedBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.state {
            State::Verified => return Ok(0),
            State::Failed(e) => return Err(e.clone().into_io()),
            State::Reading(_) | State::AwaitingEof => {}
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // Never read past what is allowed plus one byte, so an endless body is cut off early.
        let cap = match (self.expected_size, self.limit) {
            (Some(s), Some(l)) => Some(s.min(l)),
            (Some(s), None) => Some(s),
            (None, l) => l,
        };
        let want = match cap {
            Some(c) => {
                let room = c.saturating_sub(self.read).saturating_add(1);
                buf.len().min(usize::try_from(room).unwrap_or(usize::MAX))
            }
            None => buf.len(),
        };
        let n = self.inner.read(&mut buf[..want])?;
        if n > 0 {
            self.read += n as u64;
            if let Some(s) = self.expected_size
                && self.read > s
            {
                let e = BlobVerifyError::SizeMismatch {
                    target: self.target.clone(),
                    expected: s,
                    actual: self.read,
                };
                return Err(self.fail(e));
            }
            if let Some(l) = self.limit
                && self.read > l
            {
                let e = BlobVerifyError::TooLarge {
                    target: self.target.clone(),
                    limit: l,
                };
                return Err(self.fail(e));
            }
            if let State::Reading(h) = &mut self.state {
                h.update(&buf[..n]);
            }
            // Verify as soon as the expected size is reached, so that a caller reading exactly
            // that many bytes (read_exact) still gets the error instead of the last bytes.
            if self.expected_size == Some(self.read) {
                self.finish_digest()?;
                self.state = State::AwaitingEof;
            }
            return Ok(n);
        }
        // End of body: verify.
        if let Some(s) = self.expected_size
            && self.read != s
        {
            let e = BlobVerifyError::SizeMismatch {
                target: self.target.clone(),
                expected: s,
                actual: self.read,
            };
            return Err(self.fail(e));
        }
        self.finish_digest()?;
        self.state = State::Verified;
        Ok(0)
    }
}

impl fmt::Debug for VerifiedBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedBlob")
            .field("target", &self.target)
            .field("digest", &self.digest)
            .field("expected_size", &self.expected_size)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(data: &'static [u8], digest: Digest, size: Option<u64>) -> VerifiedBlob {
        VerifiedBlob::new(Box::new(data), "t".into(), digest, size)
    }

    fn read_all(mut b: VerifiedBlob) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        b.read_to_end(&mut v).map(|_| v)
    }

    #[test]
    fn accepts_matching_data() {
        let b = blob(b"hello", Digest::sha256(b"hello"), Some(5));
        assert_eq!(read_all(b).unwrap(), b"hello");
        let b = blob(b"hello", Digest::sha256(b"hello"), None);
        assert_eq!(b.into_vec().unwrap(), b"hello");
    }

    #[test]
    fn rejects_wrong_digest_size_and_excess() {
        let e = read_all(blob(b"hellp", Digest::sha256(b"hello"), Some(5))).unwrap_err();
        assert!(
            matches!(
                BlobVerifyError::from_io(&e),
                Some(BlobVerifyError::DigestMismatch { .. })
            ),
            "{e}"
        );
        let mut exact = [0u8; 5];
        let e = blob(b"hellp", Digest::sha256(b"hello"), Some(5))
            .read_exact(&mut exact)
            .unwrap_err();
        assert!(
            matches!(
                BlobVerifyError::from_io(&e),
                Some(BlobVerifyError::DigestMismatch { .. })
            ),
            "{e}"
        );
        let e = read_all(blob(b"hell", Digest::sha256(b"hell"), Some(5))).unwrap_err();
        assert!(
            matches!(
                BlobVerifyError::from_io(&e),
                Some(BlobVerifyError::SizeMismatch { actual: 4, .. })
            ),
            "{e}"
        );
        let mut b = blob(b"hello world", Digest::sha256(b"hello world"), Some(5));
        let mut buf = [0u8; 3];
        assert_eq!(b.read(&mut buf).unwrap(), 3);
        let e = b.read(&mut [0u8; 64]).unwrap_err();
        assert!(
            matches!(
                BlobVerifyError::from_io(&e),
                Some(BlobVerifyError::SizeMismatch { actual: 6, .. })
            ),
            "{e}"
        );
        // Sticky.
        assert!(b.read(&mut buf).is_err());
        let e = blob(b"hello", Digest::sha256(b"hello"), None)
            .with_limit(Some(4))
            .into_vec()
            .unwrap_err();
        assert!(matches!(e, crate::Error::TooLarge { limit: 4, .. }), "{e}");
    }
}
