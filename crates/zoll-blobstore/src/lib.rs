//! Content-addressed blob storage for zoll's OCI registry: one async trait, [`BlobStore`], with a
//! filesystem backend ([`FsStore`]) and an S3 backend ([`S3Store`]).
//!
//! # What it stores
//!
//! Only bytes. Committed blobs are named by their digest and stored once however many
//! repositories refer to them (`blobs/<alg>/<first two hex>/<hex>` on a filesystem,
//! `<prefix>blobs/<alg>/<hex>` in a bucket). Uploads in progress are staged under an opaque id
//! the caller chooses (`uploads/<id>/…`). Which repository an upload or a blob belongs to, an
//! upload's state and when a blob may be garbage collected are the registry's business, kept in
//! its database.
//!
//! # The invariant: a blob is visible only after its digest is verified
//!
//! Every byte is hashed on its way in, with the algorithm of the digest the client claims.
//! Nothing appears under a blob's name before the hash matched:
//!
//! - the filesystem backend writes into a temporary file on the same filesystem, fsyncs it and
//!   only then renames it into place (and fsyncs the directory);
//! - the S3 backend streams into a multipart upload of the final key and completes it only after
//!   the hash matched (aborting it otherwise); a blob small enough for one request is buffered
//!   (at most 5 MiB) and put only after verification.
//!
//! A request body that fails half-way (the client went away, the connection broke) leaves no
//! visible blob and no staged data beyond what an earlier request appended successfully: an
//! append either stores its whole body or nothing.
//!
//! # Uploads survive restarts and are shared by replicas
//!
//! Several registry replicas may share one directory or one bucket, and an upload started
//! through one may be continued and committed through another, or after a restart. So staged
//! bytes live only in the store: the filesystem backend appends to `uploads/<id>/data` (under an
//! advisory lock, after checking the file's length), the S3 backend stores each chunk as its own
//! object `uploads/<id>/<offset, 20 digits>` and concatenates them on commit.
//!
//! # Why it is fast
//!
//! Each backend keeps, per upload id, the incremental hash state after the last append it served
//! itself. When a commit finds the staged bytes as that append left them (same length, same
//! fingerprint: file identity and times, or chunk ETags) it does not read them again; otherwise
//! (a restart, another replica appended) it re-reads them. On a filesystem a commit then only
//! renames the staged file: a 1 GiB push is written once and read never. Writes go through a
//! blocking thread with a 1 MiB buffer, reads seek to the start of a range.

mod error;
mod fs;
mod s3;
mod stream;

#[cfg(test)]
mod suite;

use std::ops::Range;
use std::time::SystemTime;

use async_trait::async_trait;

pub use error::Error;
pub use fs::FsStore;
pub use s3::{S3Config, S3Store};
pub use zoll_core::{Algorithm, Digest, Hasher};

/// A stream of bytes: a request body going in, a blob coming out.
pub type ByteStream = futures::stream::BoxStream<'static, Result<bytes::Bytes, std::io::Error>>;

/// The longest upload id accepted.
pub const MAX_UPLOAD_ID_LEN: usize = 64;

/// Content-addressed blob storage with resumable, chunked uploads.
///
/// Object safe: the registry holds an `Arc<dyn BlobStore>`. Every method is cancellation safe in
/// the sense that dropping its future never makes an unverified blob visible nor leaves a
/// partly appended chunk behind.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Size of a committed blob, `None` when absent.
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>, Error>;

    /// Stream a committed blob, whole or the byte range `[start, end)` (already validated by the
    /// caller against the size). [`Error::NotFound`] when absent.
    async fn get(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream, Error>;

    /// Store a whole blob in one go (monolithic push), hashing while writing. On a digest
    /// mismatch returns [`Error::DigestMismatch`], on a byte count different from
    /// `expected_size` [`Error::SizeMismatch`], and nothing becomes visible. A blob that exists
    /// already is still read and verified, then `Ok` (deduplication). Returns the size.
    async fn put(
        &self,
        digest: &Digest,
        expected_size: Option<u64>,
        body: ByteStream,
    ) -> Result<u64, Error>;

    /// Append a chunk to upload `upload_id` (`[A-Za-z0-9-]{1,64}`, else
    /// [`Error::InvalidUpload`]). `offset` must equal the bytes staged so far, else
    /// [`Error::OutOfOrder`]. The first append creates the upload. Returns the new size. When the
    /// body fails, nothing of it stays staged and the error is [`Error::Body`].
    async fn append(&self, upload_id: &str, offset: u64, body: ByteStream) -> Result<u64, Error>;

    /// Current size of a staged upload (0 if no chunk was ever appended).
    async fn upload_size(&self, upload_id: &str) -> Result<u64, Error>;

    /// Finish an upload: the staged chunks, then `tail` (the body of the final PUT) if any, must
    /// hash to `digest`. On success the blob becomes visible atomically, the staged data is
    /// removed and the blob's size returned. On [`Error::DigestMismatch`] the blob is not
    /// visible and the staged data is removed too. When `tail` fails ([`Error::Body`]) the
    /// upload stays as it was before this call.
    async fn commit(
        &self,
        upload_id: &str,
        digest: &Digest,
        tail: Option<ByteStream>,
    ) -> Result<u64, Error>;

    /// Drop a staged upload (cancellation, expiry). An absent upload is `Ok`.
    async fn abort(&self, upload_id: &str) -> Result<(), Error>;

    /// Delete a committed blob (garbage collection; the registry decides when). Absent is `Ok`.
    async fn delete(&self, digest: &Digest) -> Result<(), Error>;

    /// Ids of staged uploads with their last modification, to clean up stale uploads.
    async fn list_uploads(&self) -> Result<Vec<(String, SystemTime)>, Error>;

    /// Total bytes of committed blobs (computed by listing them).
    async fn total_bytes(&self) -> Result<u64, Error>;

    /// Remove temporary files of writes that never finished (a process killed during a
    /// monolithic upload) and were last touched more than `older_than` ago; returns how many.
    /// Backends without such files (S3: an unfinished multipart upload is invisible and expires
    /// by the bucket's lifecycle rule) keep the default.
    async fn remove_stale_temporaries(
        &self,
        older_than: std::time::Duration,
    ) -> Result<usize, Error> {
        let _ = older_than;
        Ok(0)
    }
}

/// Whether `id` is an acceptable upload id: 1 to 64 characters from `[A-Za-z0-9-]`, so it is
/// safe as a file name and as an object key segment.
pub fn is_valid_upload_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_UPLOAD_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub(crate) fn check_upload_id(id: &str) -> Result<(), Error> {
    if is_valid_upload_id(id) {
        Ok(())
    } else {
        Err(Error::InvalidUpload(id.to_owned()))
    }
}

/// The hash state an upload's staged bytes reached, kept by the process that appended them.
///
/// A state is used only when the staged data is still exactly what this process saw after its
/// last append: same length and same fingerprint (the filesystem backend uses the file's
/// identity and change times, the S3 backend the chunk objects' ETags). So an append by another
/// replica, or an upload aborted and re-created elsewhere under the same id, makes the commit
/// re-read the staged bytes instead of trusting a stale hash.
///
/// Only sha256 states are kept (the digest algorithm is unknown until commit and sha256 is what
/// clients use); a commit with another algorithm re-reads the staged bytes.
/// At most this many upload states are kept; past it an arbitrary one is dropped (its commit
/// re-reads). Bounds what uploads abandoned without an abort here can hold (a few hundred bytes
/// each).
const MAX_CACHED_UPLOADS: usize = 4096;

#[derive(Default)]
pub(crate) struct HashCache {
    states: std::sync::Mutex<std::collections::HashMap<String, CachedState>>,
}

struct CachedState {
    len: u64,
    fingerprint: String,
    hasher: Hasher,
}

impl HashCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, CachedState>> {
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state for `id` if it covers exactly `len` staged bytes with this fingerprint.
    pub(crate) fn get(&self, id: &str, len: u64, fingerprint: &str) -> Option<Hasher> {
        match self.lock().get(id) {
            Some(s) if s.len == len && s.fingerprint == fingerprint => Some(s.hasher.clone()),
            _ => None,
        }
    }

    /// [`HashCache::get`], if the state hashes with `algorithm`.
    pub(crate) fn get_for(
        &self,
        id: &str,
        len: u64,
        fingerprint: &str,
        algorithm: Algorithm,
    ) -> Option<Hasher> {
        self.get(id, len, fingerprint)
            .filter(|h| hasher_algorithm(h) == algorithm)
    }

    /// A hasher to carry on from `len` staged bytes: a fresh one at 0, else the cached state.
    pub(crate) fn resume(&self, id: &str, len: u64, fingerprint: &str) -> Option<Hasher> {
        if len == 0 {
            Some(Algorithm::Sha256.hasher())
        } else {
            self.get(id, len, fingerprint)
        }
    }

    /// Record the state after an append, or forget one that can no longer be carried on.
    pub(crate) fn store(
        &self,
        id: &str,
        len: u64,
        fingerprint: Option<String>,
        hasher: Option<Hasher>,
    ) {
        let mut states = self.lock();
        match (fingerprint, hasher) {
            (Some(fingerprint), Some(hasher)) => {
                if states.len() >= MAX_CACHED_UPLOADS && !states.contains_key(id) {
                    let victim = states.keys().next().cloned();
                    if let Some(victim) = victim {
                        states.remove(&victim);
                    }
                }
                states.insert(
                    id.to_owned(),
                    CachedState {
                        len,
                        fingerprint,
                        hasher,
                    },
                );
            }
            _ => {
                states.remove(id);
            }
        }
    }

    pub(crate) fn forget(&self, id: &str) {
        self.lock().remove(id);
    }
}

pub(crate) fn hasher_algorithm(h: &Hasher) -> Algorithm {
    match h {
        Hasher::Sha256(_) => Algorithm::Sha256,
        Hasher::Sha512(_) => Algorithm::Sha512,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_ids() {
        for ok in [
            "a",
            "0-9",
            "A-z",
            &"x".repeat(64),
            "3f2c1e0a-5b7d-4c9e-8f00-123456789abc",
        ] {
            assert!(is_valid_upload_id(ok), "{ok} rejected");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../x",
            "a b",
            "a_b",
            "é",
            &"x".repeat(65),
            "a\0",
        ] {
            assert!(matches!(check_upload_id(bad), Err(Error::InvalidUpload(id)) if id == bad));
        }
    }

    #[test]
    fn hash_cache_matches_only_its_length_and_fingerprint() {
        let cache = HashCache::default();
        let mut h = Algorithm::Sha256.hasher();
        h.update(b"abc");
        cache.store("u", 3, Some("f1".into()), Some(h));
        assert!(cache.get("u", 2, "f1").is_none());
        assert!(cache.get("u", 3, "f2").is_none());
        assert!(cache.get_for("u", 3, "f1", Algorithm::Sha512).is_none());
        let h = cache.get_for("u", 3, "f1", Algorithm::Sha256).unwrap();
        assert_eq!(h.finish(), Digest::sha256(b"abc"));
        assert!(cache.resume("v", 0, "").is_some());
        assert!(cache.resume("v", 1, "").is_none());
        cache.store("u", 4, None, Some(Algorithm::Sha256.hasher()));
        assert!(cache.get("u", 3, "f1").is_none());
    }

    #[test]
    fn hash_cache_is_bounded() {
        let cache = HashCache::default();
        for i in 0..MAX_CACHED_UPLOADS + 10 {
            let id = format!("u{i}");
            cache.store(&id, 1, Some("f".into()), Some(Algorithm::Sha256.hasher()));
        }
        assert_eq!(cache.lock().len(), MAX_CACHED_UPLOADS);
        let last = format!("u{}", MAX_CACHED_UPLOADS + 9);
        assert!(cache.get(&last, 1, "f").is_some());
    }
}
