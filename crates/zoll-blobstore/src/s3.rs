//! The S3 backend (any S3-compatible service), through the `object_store` crate.
//!
//! ```text
//! <prefix>blobs/<alg>/<hex>                       committed blobs
//! <prefix>uploads/<id>/<offset, 20 digits>        one object per appended chunk
//! ```
//!
//! S3 has no rename and no append, so:
//!
//! - a blob is written straight to its final key, as a multipart upload that is completed only
//!   after the streamed bytes hashed to the digest (aborted otherwise); until completion S3 shows
//!   nothing under the key. Bodies up to 5 MiB are buffered and stored with one PUT after
//!   verification (S3 also refuses a multipart upload of zero parts, so an empty blob needs it);
//! - each appended chunk is an object of its own, named by its zero-padded offset so that a
//!   listing returns the chunks in order. A chunk object appears whole (single PUT or completed
//!   multipart upload) or not at all, so a failed body leaves nothing. The staged size is the sum
//!   of the chunk objects, which must follow each other without gap or overlap;
//! - commit streams the chunks in order (plus the final PUT's body) into the multipart upload of
//!   the blob, hashing them unless this process cached the hash state of all appends; when one
//!   cached chunk is the whole blob it is copied server-side instead of streamed.
//!
//! Any replica sharing the bucket can continue or commit an upload, since the chunks are the
//! only state. (So an upload that received no byte yet has no object and is not listed by
//! `list_uploads`.) Appends to one upload must not race (the registry serialises them through its
//! database): two appends at the same offset at the same moment would both write the same key.
//! A process that dies mid-chunk leaves an incomplete multipart upload, invisible and cleaned up
//! by the bucket's lifecycle rule for incomplete multipart uploads.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

use crate::stream::non_empty;
use crate::{BlobStore, ByteStream, Digest, Error, HashCache, check_upload_id};

/// Bodies up to this size are buffered and stored with one PUT.
const SINGLE_PUT_MAX: usize = 5 << 20;
/// Size of the parts of a multipart upload (S3 wants at least 5 MiB but for the last part and
/// at most 10,000 parts: 8 MiB parts allow blobs of 78 GiB).
const PART_SIZE: usize = 8 << 20;
/// Parts of one upload in flight at once (memory per upload: about this many parts, plus one).
const PARTS_IN_FLIGHT: usize = 2;
/// The largest object S3 copies in one request.
const COPY_MAX: u64 = 5 << 30;

/// Where and how to reach the bucket.
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Endpoint URL for S3-compatible services (e.g. `http://127.0.0.1:9000`); `None` for AWS.
    pub endpoint: Option<String>,
    pub region: String,
    /// Static credentials; when either is `None`, the usual AWS environment variables and
    /// instance or container credentials are used.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Key prefix inside the bucket, may be empty. `zoll` and `zoll/` both put keys under
    /// `zoll/`.
    pub prefix: String,
    /// Allow a plain-HTTP endpoint.
    pub allow_http: bool,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            bucket: String::new(),
            endpoint: None,
            region: "us-east-1".to_owned(),
            access_key_id: None,
            secret_access_key: None,
            prefix: String::new(),
            allow_http: false,
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("prefix", &self.prefix)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// Blob storage in an S3 bucket.
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    hashes: HashCache,
    rehashed: AtomicU64,
}

/// One staged chunk object.
struct Chunk {
    offset: u64,
    size: u64,
    location: Path,
    e_tag: Option<String>,
}

/// What identifies the staged chunks' state for the hash cache: every chunk's offset, size and
/// ETag. `None` when the store gives no ETags (then nothing is cached).
fn fingerprint<'a>(
    chunks: impl IntoIterator<Item = (u64, u64, Option<&'a str>)>,
) -> Option<String> {
    let mut hasher = crate::Algorithm::Sha256.hasher();
    for (offset, size, e_tag) in chunks {
        hasher.update(format!("{offset} {size} {}\n", e_tag?).as_bytes());
    }
    Some(hasher.finish().hex().to_owned())
}

fn chunk_fingerprint(chunks: &[Chunk]) -> Option<String> {
    fingerprint(
        chunks
            .iter()
            .map(|c| (c.offset, c.size, c.e_tag.as_deref())),
    )
}

impl S3Store {
    /// A store in the bucket `config` names. Makes no request: a wrong bucket or credentials
    /// show at the first operation.
    pub fn new(config: S3Config) -> Result<S3Store, Error> {
        let context = || format!("s3 bucket {}", config.bucket);
        let mut builder = match (&config.access_key_id, &config.secret_access_key) {
            (Some(id), Some(secret)) => AmazonS3Builder::new()
                .with_access_key_id(id)
                .with_secret_access_key(secret),
            _ => AmazonS3Builder::from_env(),
        };
        builder = builder
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_allow_http(config.allow_http);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let s3 = builder.build().map_err(|e| Error::store(context(), e))?;
        S3Store::from_object_store(Arc::new(s3), &config.prefix)
    }

    /// A store over any [`ObjectStore`] (the S3 client, or an in-memory store in tests), with
    /// keys under `prefix`.
    pub fn from_object_store(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<S3Store, Error> {
        let prefix = Path::parse(prefix)
            .map_err(|e| Error::store(format!("invalid key prefix {prefix:?}"), e.into()))?;
        Ok(S3Store {
            store,
            prefix,
            hashes: HashCache::default(),
            rehashed: AtomicU64::new(0),
        })
    }

    /// The key of a committed blob: `<prefix>blobs/<alg>/<hex>`.
    pub fn blob_key(&self, digest: &Digest) -> Path {
        self.prefix
            .child("blobs")
            .child(digest.algorithm().as_str())
            .child(digest.hex())
    }

    fn upload_prefix(&self, id: &str) -> Path {
        self.prefix.child("uploads").child(id)
    }

    fn chunk_key(&self, id: &str, offset: u64) -> Path {
        self.upload_prefix(id).child(format!("{offset:020}"))
    }

    /// Bytes of staged chunks this instance had to read back to hash them at commit (see
    /// [`crate::FsStore::rehashed_bytes`]).
    pub fn rehashed_bytes(&self) -> u64 {
        self.rehashed.load(Ordering::Relaxed)
    }

    /// The staged chunks of an upload, in order, checked to follow each other.
    async fn chunks(&self, id: &str) -> Result<Vec<Chunk>, Error> {
        let prefix = self.upload_prefix(id);
        let metas: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| Error::store(format!("upload {id}: cannot list its chunks"), e))?;
        let mut chunks = Vec::with_capacity(metas.len());
        for meta in metas {
            let name = meta.location.filename().unwrap_or_default();
            let offset = name
                .parse::<u64>()
                .ok()
                .filter(|_| name.len() == 20)
                .ok_or_else(|| Error::CorruptUpload {
                    upload: id.to_owned(),
                    detail: format!("unexpected object {}", meta.location),
                })?;
            chunks.push(Chunk {
                offset,
                size: meta.size,
                location: meta.location,
                e_tag: meta.e_tag,
            });
        }
        chunks.sort_by_key(|c| c.offset);
        let mut end = 0;
        for c in &chunks {
            if c.offset != end {
                return Err(Error::CorruptUpload {
                    upload: id.to_owned(),
                    detail: format!("chunk at offset {} follows {end} staged bytes", c.offset),
                });
            }
            end += c.size;
        }
        Ok(chunks)
    }

    /// Delete everything staged for an upload. Failures are logged: the blob is committed (or
    /// refused) either way, and leftovers are found again by [`BlobStore::list_uploads`].
    async fn discard_upload(&self, id: &str) {
        self.hashes.forget(id);
        if let Err(e) = self.delete_prefix(&self.upload_prefix(id)).await {
            tracing::warn!("upload {id}: cannot delete its staged chunks: {e}");
        }
    }

    async fn delete_prefix(&self, prefix: &Path) -> Result<(), object_store::Error> {
        let locations = self.store.list(Some(prefix)).map_ok(|m| m.location).boxed();
        self.store
            .delete_stream(locations)
            .try_for_each(|_| futures::future::ready(Ok(())))
            .await
    }
}

/// Where the bytes of an object being written go: a buffer until it outgrows one PUT, then a
/// multipart upload; or nowhere (a push of a blob that exists: only verified).
struct Sink {
    store: Arc<dyn ObjectStore>,
    location: Path,
    state: SinkState,
}

enum SinkState {
    Buffer(Vec<Bytes>, usize),
    Multipart(Option<WriteMultipart>),
    Discard,
}

impl Sink {
    fn new(store: &Arc<dyn ObjectStore>, location: Path) -> Sink {
        Sink {
            store: Arc::clone(store),
            location,
            state: SinkState::Buffer(Vec::new(), 0),
        }
    }

    fn discard(store: &Arc<dyn ObjectStore>, location: Path) -> Sink {
        Sink {
            store: Arc::clone(store),
            location,
            state: SinkState::Discard,
        }
    }

    async fn write(&mut self, data: Bytes) -> Result<(), object_store::Error> {
        match &mut self.state {
            SinkState::Discard => Ok(()),
            SinkState::Buffer(parts, len) if *len + data.len() <= SINGLE_PUT_MAX => {
                *len += data.len();
                parts.push(data);
                Ok(())
            }
            SinkState::Buffer(parts, _) => {
                let upload = self.store.put_multipart(&self.location).await?;
                let mut mp = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                for part in std::mem::take(parts) {
                    mp.put(part);
                }
                mp.put(data);
                self.state = SinkState::Multipart(Some(mp));
                Ok(())
            }
            SinkState::Multipart(Some(mp)) => {
                mp.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                mp.put(data);
                Ok(())
            }
            SinkState::Multipart(None) => Err(object_store::Error::Generic {
                store: "zoll-blobstore",
                source: "write after the upload ended".into(),
            }),
        }
    }

    /// Make the object visible. Returns its ETag, if the store told it.
    async fn finish(mut self) -> Result<Option<String>, object_store::Error> {
        let result = match std::mem::replace(&mut self.state, SinkState::Discard) {
            SinkState::Discard | SinkState::Multipart(None) => return Ok(None),
            SinkState::Buffer(parts, _) => {
                let payload: PutPayload = parts.into_iter().collect();
                self.store.put(&self.location, payload).await?
            }
            SinkState::Multipart(Some(mp)) => mp.finish().await?,
        };
        Ok(result.e_tag)
    }

    /// Drop what was written; nothing becomes visible.
    async fn abort(mut self) {
        if let SinkState::Multipart(Some(mp)) =
            std::mem::replace(&mut self.state, SinkState::Discard)
            && let Err(e) = mp.abort().await
        {
            tracing::warn!(
                "cannot abort the multipart upload of {}: {e}",
                self.location
            );
        }
    }
}

impl Drop for Sink {
    /// A future dropped mid-upload (the client went away): abort the multipart upload in the
    /// background rather than leave it for the bucket's lifecycle rule.
    fn drop(&mut self) {
        if let SinkState::Multipart(mp) = &mut self.state
            && let (Some(mp), Ok(rt)) = (mp.take(), tokio::runtime::Handle::try_current())
        {
            rt.spawn(async move {
                let _ = mp.abort().await;
            });
        }
    }
}

/// Copy a body into `sink`, hashing it into `hasher` when given. Returns the byte count; on
/// failure aborts the sink.
async fn drain<S>(
    body: &mut S,
    sink: &mut Sink,
    mut hasher: Option<&mut crate::Hasher>,
    context: impl Fn() -> String,
) -> Result<u64, Error>
where
    S: futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    let mut n = 0u64;
    while let Some(item) = body.next().await {
        let chunk = item.map_err(Error::Body)?;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&chunk);
        }
        n += chunk.len() as u64;
        sink.write(chunk)
            .await
            .map_err(|e| Error::store(context(), e))?;
    }
    Ok(n)
}

#[async_trait]
impl BlobStore for S3Store {
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        match self.store.head(&self.blob_key(digest)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::store(format!("blob {digest}"), e)),
        }
    }

    async fn get(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream, Error> {
        if range.as_ref().is_some_and(|r| r.start >= r.end) {
            // S3 has no empty range; check existence, return nothing.
            return match self.stat(digest).await? {
                Some(_) => Ok(futures::stream::empty().boxed()),
                None => Err(Error::NotFound(digest.clone())),
            };
        }
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        match self.store.get_opts(&self.blob_key(digest), options).await {
            Ok(result) => {
                let digest = digest.clone();
                Ok(result
                    .into_stream()
                    .map_err(move |e| {
                        std::io::Error::other(Error::store(format!("blob {digest}"), e))
                    })
                    .boxed())
            }
            Err(object_store::Error::NotFound { .. }) => Err(Error::NotFound(digest.clone())),
            Err(e) => Err(Error::store(format!("blob {digest}"), e)),
        }
    }

    async fn put(
        &self,
        digest: &Digest,
        expected_size: Option<u64>,
        mut body: ByteStream,
    ) -> Result<u64, Error> {
        let key = self.blob_key(digest);
        let context = || format!("blob {digest}");
        let mut sink = match self.stat(digest).await? {
            Some(_) => Sink::discard(&self.store, key),
            None => Sink::new(&self.store, key),
        };
        let mut hasher = digest.algorithm().hasher();
        let size = match drain(&mut body, &mut sink, Some(&mut hasher), context).await {
            Ok(n) => n,
            Err(e) => {
                sink.abort().await;
                return Err(e);
            }
        };
        if let Some(expected) = expected_size
            && expected != size
        {
            sink.abort().await;
            return Err(Error::SizeMismatch {
                expected,
                actual: size,
            });
        }
        let actual = hasher.finish();
        if &actual != digest {
            sink.abort().await;
            return Err(Error::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        sink.finish()
            .await
            .map_err(|e| Error::store(context(), e))?;
        Ok(size)
    }

    async fn append(
        &self,
        upload_id: &str,
        offset: u64,
        mut body: ByteStream,
    ) -> Result<u64, Error> {
        check_upload_id(upload_id)?;
        let chunks = self.chunks(upload_id).await?;
        let staged: u64 = chunks.iter().map(|c| c.size).sum();
        if staged != offset {
            return Err(Error::OutOfOrder {
                upload: upload_id.to_owned(),
                expected: staged,
                got: offset,
            });
        }
        let context = || format!("upload {upload_id}");
        let mut hasher = match chunk_fingerprint(&chunks) {
            Some(fp) => self.hashes.resume(upload_id, staged, &fp),
            None => None,
        };
        let mut sink = Sink::new(&self.store, self.chunk_key(upload_id, offset));
        let n = match drain(&mut body, &mut sink, hasher.as_mut(), context).await {
            Ok(n) => n,
            Err(e) => {
                sink.abort().await;
                return Err(e);
            }
        };
        if n == 0 {
            // Nothing to stage (and no empty object to collide with the next chunk's key).
            sink.abort().await;
            return Ok(staged);
        }
        let e_tag = sink
            .finish()
            .await
            .map_err(|e| Error::store(context(), e))?;
        let after = fingerprint(
            chunks
                .iter()
                .map(|c| (c.offset, c.size, c.e_tag.as_deref()))
                .chain([(offset, n, e_tag.as_deref())]),
        );
        self.hashes.store(upload_id, staged + n, after, hasher);
        Ok(staged + n)
    }

    async fn upload_size(&self, upload_id: &str) -> Result<u64, Error> {
        check_upload_id(upload_id)?;
        Ok(self.chunks(upload_id).await?.iter().map(|c| c.size).sum())
    }

    async fn commit(
        &self,
        upload_id: &str,
        digest: &Digest,
        tail: Option<ByteStream>,
    ) -> Result<u64, Error> {
        check_upload_id(upload_id)?;
        let chunks = self.chunks(upload_id).await?;
        let staged: u64 = chunks.iter().map(|c| c.size).sum();
        let cached = chunk_fingerprint(&chunks).and_then(|fp| {
            self.hashes
                .get_for(upload_id, staged, &fp, digest.algorithm())
        });
        let tail = non_empty(tail).await?;
        let key = self.blob_key(digest);
        let context = || format!("upload {upload_id}");

        // One chunk already hashed by this process is the whole blob: copy it server-side.
        if let (Some(hasher), None, [chunk]) = (&cached, &tail, chunks.as_slice())
            && staged <= COPY_MAX
        {
            let actual = hasher.clone().finish();
            if &actual != digest {
                self.discard_upload(upload_id).await;
                return Err(Error::DigestMismatch {
                    expected: digest.clone(),
                    actual,
                });
            }
            match self.store.copy(&chunk.location, &key).await {
                Ok(()) => {}
                Err(object_store::Error::NotFound { .. }) => {
                    return Err(Error::UnknownUpload(upload_id.to_owned()));
                }
                Err(e) => return Err(Error::store(context(), e)),
            }
            self.discard_upload(upload_id).await;
            return Ok(staged);
        }

        let rehash = cached.is_none();
        let mut hasher = cached.unwrap_or_else(|| digest.algorithm().hasher());
        let mut sink = Sink::new(&self.store, key);
        let mut total = 0u64;
        for chunk in &chunks {
            // The version listed (and fingerprinted), not one written since.
            let options = GetOptions {
                if_match: chunk.e_tag.clone(),
                ..GetOptions::default()
            };
            let mut data = match self.store.get_opts(&chunk.location, options).await {
                Ok(r) => r
                    .into_stream()
                    .map_err(|e| std::io::Error::other(Error::store(context(), e))),
                Err(object_store::Error::NotFound { .. }) => {
                    sink.abort().await;
                    return Err(Error::UnknownUpload(upload_id.to_owned()));
                }
                Err(e) => {
                    sink.abort().await;
                    return Err(Error::store(context(), e));
                }
            };
            let read = drain(&mut data, &mut sink, rehash.then_some(&mut hasher), context).await;
            let read = match read {
                Ok(n) => n,
                // A failing read of a staged chunk is the store's fault, not the client's.
                Err(Error::Body(e)) => {
                    sink.abort().await;
                    return Err(Error::io(context(), e));
                }
                Err(e) => {
                    sink.abort().await;
                    return Err(e);
                }
            };
            if read != chunk.size {
                sink.abort().await;
                return Err(Error::CorruptUpload {
                    upload: upload_id.to_owned(),
                    detail: format!(
                        "chunk {} has {read} bytes, listed with {}",
                        chunk.location, chunk.size
                    ),
                });
            }
            total += read;
        }
        if rehash {
            self.rehashed.fetch_add(total, Ordering::Relaxed);
        }
        if let Some(mut tail) = tail {
            match drain(&mut tail, &mut sink, Some(&mut hasher), context).await {
                Ok(n) => total += n,
                Err(e) => {
                    sink.abort().await;
                    return Err(e);
                }
            }
        }
        let actual = hasher.finish();
        if &actual != digest {
            sink.abort().await;
            self.discard_upload(upload_id).await;
            return Err(Error::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        sink.finish()
            .await
            .map_err(|e| Error::store(format!("blob {digest}"), e))?;
        self.discard_upload(upload_id).await;
        Ok(total)
    }

    async fn abort(&self, upload_id: &str) -> Result<(), Error> {
        check_upload_id(upload_id)?;
        self.hashes.forget(upload_id);
        self.delete_prefix(&self.upload_prefix(upload_id))
            .await
            .map_err(|e| Error::store(format!("upload {upload_id}"), e))
    }

    async fn delete(&self, digest: &Digest) -> Result<(), Error> {
        match self.store.delete(&self.blob_key(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::store(format!("blob {digest}"), e)),
        }
    }

    async fn list_uploads(&self) -> Result<Vec<(String, SystemTime)>, Error> {
        let root = self.prefix.child("uploads");
        let mut uploads: BTreeMap<String, SystemTime> = BTreeMap::new();
        let mut list = self.store.list(Some(&root));
        while let Some(meta) = list.next().await {
            let meta = meta.map_err(|e| Error::store("cannot list uploads", e))?;
            let Some(id) = meta
                .location
                .prefix_match(&root)
                .and_then(|mut parts| parts.next())
                .map(|p| p.as_ref().to_owned())
            else {
                continue;
            };
            let modified = SystemTime::from(meta.last_modified);
            let latest = uploads.entry(id).or_insert(modified);
            *latest = (*latest).max(modified);
        }
        Ok(uploads.into_iter().collect())
    }

    async fn total_bytes(&self) -> Result<u64, Error> {
        let root = self.prefix.child("blobs");
        self.store
            .list(Some(&root))
            .try_fold(0u64, |sum, meta| {
                futures::future::ready(Ok(sum + meta.size))
            })
            .await
            .map_err(|e| Error::store("cannot list blobs", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{self, Harness, body, collect, pseudo_random};
    use object_store::memory::InMemory;

    fn in_memory(prefix: &str) -> (Arc<dyn ObjectStore>, Harness) {
        let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let (m, p) = (Arc::clone(&mem), prefix.to_owned());
        let h = Harness::new(move || {
            Arc::new(S3Store::from_object_store(Arc::clone(&m), &p).unwrap()) as Arc<dyn BlobStore>
        });
        (mem, h)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance_in_memory() {
        suite::run_all("s3-in-memory", |_case| in_memory("zoll/").1).await;
    }

    async fn keys(mem: &Arc<dyn ObjectStore>) -> Vec<String> {
        let mut keys: Vec<String> = mem
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn key_layout() {
        for prefix in ["zoll", "/zoll/", "zoll/"] {
            let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
            let store = S3Store::from_object_store(Arc::clone(&mem), prefix).unwrap();
            let d = Digest::sha256(b"hi");
            store.put(&d, None, body(b"hi", 1)).await.unwrap();
            store.append("u1", 0, body(b"abc", 2)).await.unwrap();
            store.append("u1", 3, body(b"de", 2)).await.unwrap();
            assert_eq!(
                keys(&mem).await,
                [
                    format!("zoll/blobs/sha256/{}", d.hex()),
                    "zoll/uploads/u1/00000000000000000000".to_owned(),
                    "zoll/uploads/u1/00000000000000000003".to_owned(),
                ]
            );
        }
        let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let store = S3Store::from_object_store(Arc::clone(&mem), "").unwrap();
        store.append("u1", 0, body(b"", 1)).await.unwrap();
        assert!(keys(&mem).await.is_empty(), "an empty chunk was stored");
        let d = Digest::sha256(b"");
        store.commit("u1", &d, None).await.unwrap();
        assert_eq!(keys(&mem).await, [format!("blobs/sha256/{}", d.hex())]);
        assert!(S3Store::from_object_store(mem, "a//b").is_err());
    }

    #[tokio::test]
    async fn a_gap_between_chunks_is_reported() {
        let (mem, h) = in_memory("");
        let store = h.make();
        store.append("u1", 0, body(b"abc", 3)).await.unwrap();
        mem.put(
            &Path::from("uploads/u1/00000000000000000005"),
            b"xy".to_vec().into(),
        )
        .await
        .unwrap();
        let err = store.upload_size("u1").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "upload u1 is damaged: chunk at offset 5 follows 3 staged bytes"
        );
        mem.put(&Path::from("uploads/u2/junk"), b"xy".to_vec().into())
            .await
            .unwrap();
        assert!(matches!(
            store.append("u2", 0, body(b"a", 1)).await,
            Err(Error::CorruptUpload { .. })
        ));
        // Abort cleans up whatever is there.
        store.abort("u2").await.unwrap();
        assert_eq!(store.upload_size("u2").await.unwrap(), 0);
    }

    #[tokio::test]
    async fn only_a_replica_that_missed_appends_reads_chunks_back() {
        let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let a = S3Store::from_object_store(Arc::clone(&mem), "p").unwrap();
        let b = S3Store::from_object_store(Arc::clone(&mem), "p").unwrap();
        let data = pseudo_random(3 << 20, 9);
        let d = Digest::sha256(&data);
        // One chunk, committed by the instance that appended it (a server-side copy).
        a.append("u1", 0, body(&data, 64 << 10)).await.unwrap();
        assert_eq!(a.commit("u1", &d, None).await.unwrap(), data.len() as u64);
        assert_eq!(a.rehashed_bytes(), 0);
        a.delete(&d).await.unwrap();
        // Two chunks, the second by the other instance: `a`'s state is stale.
        a.append("u2", 0, body(&data[..1000], 64 << 10))
            .await
            .unwrap();
        b.append("u2", 1000, body(&data[1000..], 64 << 10))
            .await
            .unwrap();
        assert_eq!(a.commit("u2", &d, None).await.unwrap(), data.len() as u64);
        assert_eq!(a.rehashed_bytes(), data.len() as u64);
        assert_eq!(collect(b.get(&d, None).await.unwrap()).await, data);
        // An upload aborted and re-created elsewhere under the same id, with the same length:
        // the ETags differ, so `a` does not trust its hash of the old bytes.
        let (old, new) = (pseudo_random(5000, 1), pseudo_random(5000, 2));
        a.append("u3", 0, body(&old, 1000)).await.unwrap();
        b.abort("u3").await.unwrap();
        b.append("u3", 0, body(&new, 1000)).await.unwrap();
        assert!(matches!(
            a.commit("u3", &Digest::sha256(&old), None).await,
            Err(Error::DigestMismatch { actual, .. }) if actual == Digest::sha256(&new)
        ));
    }

    #[test]
    fn config_debug_hides_the_secret() {
        let c = S3Config {
            bucket: "b".into(),
            secret_access_key: Some("hunter2".into()),
            ..S3Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
