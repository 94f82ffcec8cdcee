//! The filesystem backend: blobs as files named by digest under one root directory.
//!
//! ```text
//! ROOT/blobs/<alg>/<first two hex>/<hex>   committed blobs (two-hex fan-out keeps directories small)
//! ROOT/uploads/<id>/data                   the bytes staged for an upload
//! ROOT/tmp/<random>                        monolithic pushes being written and verified
//! ```
//!
//! A monolithic push is written to `tmp/`, hashed on the way, fsynced, and renamed into
//! `blobs/` only when its digest (and size) matched; the directory is fsynced after the rename.
//! `tmp/` is on the same filesystem as `blobs/`, so the rename is atomic.
//!
//! A chunked upload appends to `uploads/<id>/data` under an exclusive advisory lock (so replicas
//! sharing the directory serialise on it), after checking that the file's length equals the
//! chunk's offset; a failed body truncates the file back. Commit hashes the staged file (or uses
//! the hash state cached by the appends, see [`crate::HashCache`]) and renames it into `blobs/`:
//! the data is never copied. Every step that found the upload file by path checks, once it holds
//! the lock, that the path still names the same file, so a commit or abort racing with an append
//! never lets the append write into a committed blob.
//!
//! All file IO runs on tokio's blocking threads; writes go through a 1 MiB buffer, reads of a
//! blob seek to the range's start and stream it in 1 MiB pieces.

use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;

use crate::stream::{Inbox, Interrupted, JobError, blocking, pump};
use crate::{
    Algorithm, BlobStore, ByteStream, Digest, Error, HashCache, Hasher, check_upload_id,
    is_valid_upload_id,
};

/// Size of the write buffer and of the pieces a blob is read in.
const IO_BUF: usize = 1 << 20;

/// Files in `tmp/` older than this are leftovers of a crash, removed by [`FsStore::open`].
/// (A push in progress keeps its file's modification time fresh.)
const TMP_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Blob storage in a directory. Cheap to share: clone the `Arc` it is put in.
pub struct FsStore {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    hashes: HashCache,
    /// Bytes of staged uploads read back to hash them at commit (the hash cache missed).
    rehashed: AtomicU64,
}

impl FsStore {
    /// Open (creating if needed) a store rooted at `root`: creates `root/blobs`,
    /// `root/uploads` and `root/tmp`, and removes temporary files a crash left in `tmp/` more
    /// than a day ago.
    pub fn open(root: &Path) -> Result<FsStore, Error> {
        for dir in ["blobs", "uploads", "tmp"] {
            fs_err::create_dir_all(root.join(dir))
                .map_err(|e| Error::io("cannot create the blob store", e))?;
        }
        let store = FsStore {
            inner: Arc::new(Inner {
                root: root.to_path_buf(),
                hashes: HashCache::default(),
                rehashed: AtomicU64::new(0),
            }),
        };
        store.inner.remove_stale_tmp(TMP_MAX_AGE);
        Ok(store)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where a committed blob lives: `root/blobs/<alg>/<first two hex>/<hex>`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.inner.blob_path(digest)
    }

    /// Bytes of staged uploads this instance had to read back to hash them at commit, because
    /// it had not seen all of their appends (a restart, another replica). A health metric: in a
    /// single-process registry it stays near zero.
    pub fn rehashed_bytes(&self) -> u64 {
        self.inner.rehashed.load(Ordering::Relaxed)
    }
}

impl Inner {
    fn blob_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root
            .join("blobs")
            .join(digest.algorithm().as_str())
            .join(&hex[..2])
            .join(hex)
    }

    fn upload_dir(&self, id: &str) -> PathBuf {
        self.root.join("uploads").join(id)
    }

    fn remove_stale_tmp(&self, max_age: Duration) -> usize {
        let tmp = self.root.join("tmp");
        let Ok(entries) = fs_err::read_dir(&tmp) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > max_age);
            if stale {
                match fs_err::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) => tracing::warn!("cannot remove a stale temporary blob: {e}"),
                }
            }
        }
        removed
    }

    /// Open `uploads/<id>/data` (creating it), lock it exclusively and check it is still the
    /// file the path names (not committed or aborted while we waited for the lock).
    fn open_upload(&self, id: &str) -> Result<(fs_err::File, PathBuf, PathBuf), Error> {
        let dir = self.upload_dir(id);
        let data = dir.join("data");
        let context = || format!("upload {id}");
        fs_err::create_dir_all(&dir).map_err(|e| Error::io(context(), e))?;
        let file = match fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&data)
        {
            Ok(f) => f,
            // The directory vanished between create_dir_all and open: a concurrent commit/abort.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::UnknownUpload(id.to_owned()));
            }
            Err(e) => return Err(Error::io(context(), e)),
        };
        file.lock().map_err(|e| Error::io(context(), e))?;
        let ours = file.metadata().map_err(|e| Error::io(context(), e))?;
        match std::fs::metadata(&data) {
            Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() => {}
            _ => return Err(Error::UnknownUpload(id.to_owned())),
        }
        Ok((file, dir, data))
    }

    /// Hash the first `len` bytes of a staged file.
    fn rehash(
        &self,
        file: &mut fs_err::File,
        len: u64,
        algorithm: Algorithm,
    ) -> io::Result<Hasher> {
        let mut hasher = algorithm.hasher();
        file.seek(SeekFrom::Start(0))?;
        let mut reader = Read::by_ref(file).take(len);
        let mut buf = vec![0u8; IO_BUF];
        let mut read = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            read += n as u64;
        }
        self.rehashed.fetch_add(read, Ordering::Relaxed);
        if read != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("staged file shrank to {read} bytes while hashing {len}"),
            ));
        }
        Ok(hasher)
    }
}

/// Why copying a body into a file stopped.
enum WriteFail {
    Interrupted,
    Io(io::Error),
}

impl From<Interrupted> for WriteFail {
    fn from(_: Interrupted) -> Self {
        WriteFail::Interrupted
    }
}

impl From<io::Error> for WriteFail {
    fn from(e: io::Error) -> Self {
        WriteFail::Io(e)
    }
}

impl WriteFail {
    fn into_job(self, context: impl FnOnce() -> String) -> JobError {
        match self {
            WriteFail::Interrupted => JobError::Interrupted,
            WriteFail::Io(e) => JobError::Failed(Error::io(context(), e)),
        }
    }
}

/// Copy the body into `file` at its current position, hashing it if `hasher` is given, then
/// fsync. Returns the number of bytes written.
fn write_body(
    inbox: &mut Inbox,
    file: &mut fs_err::File,
    mut hasher: Option<&mut Hasher>,
) -> Result<u64, WriteFail> {
    let mut writeback = Writeback::default();
    let mut out = BufWriter::with_capacity(IO_BUF, &mut *file);
    let mut written = 0u64;
    loop {
        match inbox.next() {
            Ok(Some(chunk)) => {
                if let Some(h) = hasher.as_deref_mut() {
                    h.update(&chunk);
                }
                out.write_all(&chunk)?;
                written += chunk.len() as u64;
                writeback.wrote(out.get_ref(), chunk.len() as u64)?;
            }
            Ok(None) => break,
            Err(Interrupted) => {
                // Drop the buffered rest unwritten: the caller rolls back anyway.
                let _ = out.into_parts();
                return Err(WriteFail::Interrupted);
            }
        }
    }
    out.flush()?;
    drop(out);
    writeback.finish()?;
    if written > 0 {
        file.sync_data()?;
    }
    Ok(written)
}

/// Bytes written between two background flushes of a file being written.
const WRITEBACK_STEP: u64 = 32 << 20;

/// Flushes a large file to disk while it is still being written, so the `fsync` that makes it
/// durable at the end waits only for the tail instead of the whole body (a 1 GiB push would
/// otherwise spend a third of a second in its final `fsync`).
///
/// Every [`WRITEBACK_STEP`] bytes the writer nudges a helper thread, which `fdatasync`s a clone
/// of the file descriptor; the writer never waits for it. (`sync_file_range` would do the same
/// without a thread, but no safe binding of it exists and this crate has no `unsafe`.) The
/// thread is spawned only once a body passes the first step: small blobs never pay for it.
#[derive(Default)]
struct Writeback {
    pending: u64,
    worker: Option<(
        std::sync::mpsc::SyncSender<()>,
        std::thread::JoinHandle<io::Result<()>>,
    )>,
}

impl Writeback {
    fn wrote(&mut self, file: &fs_err::File, n: u64) -> io::Result<()> {
        self.pending += n;
        if self.pending < WRITEBACK_STEP {
            return Ok(());
        }
        self.pending = 0;
        if self.worker.is_none() {
            let clone = file.file().try_clone()?;
            let (nudge, nudges) = std::sync::mpsc::sync_channel::<()>(1);
            let thread = std::thread::Builder::new()
                .name("zoll-writeback".into())
                .spawn(move || {
                    while nudges.recv().is_ok() {
                        clone.sync_data()?;
                    }
                    Ok(())
                })?;
            self.worker = Some((nudge, thread));
        }
        if let Some((nudge, _)) = &self.worker {
            // A full channel means a flush is already queued; it will cover these bytes too.
            let _ = nudge.try_send(());
        }
        Ok(())
    }

    /// Stop the helper and report a failed background flush (the caller fsyncs next anyway).
    fn finish(mut self) -> io::Result<()> {
        match self.worker.take() {
            Some((nudge, thread)) => {
                drop(nudge);
                thread
                    .join()
                    .map_err(|_| io::Error::other("writeback thread panicked"))?
            }
            None => Ok(()),
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        if let Some((nudge, thread)) = self.worker.take() {
            drop(nudge);
            let _ = thread.join();
        }
    }
}

/// What identifies a staged file's state for the hash cache: the file (device, inode), its
/// length and its modification and change times (nanoseconds). Another process appending to
/// it, truncating it or re-creating it changes one of them.
fn fingerprint(m: &std::fs::Metadata) -> String {
    format!(
        "{}:{}:{}:{}.{}:{}.{}",
        m.dev(),
        m.ino(),
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec()
    )
}

/// Truncate a staged file back to `len` after a failed body, and cache `hasher`, the state at
/// `len`, under the file's new fingerprint (truncating changes its times).
fn roll_back(inner: &Inner, id: &str, file: &fs_err::File, len: u64, hasher: Option<Hasher>) {
    match file.set_len(len).and_then(|()| file.sync_data()) {
        Ok(()) => {
            let fp = file.metadata().ok().map(|m| fingerprint(&m));
            inner.hashes.store(id, len, fp, hasher);
        }
        Err(e) => {
            tracing::warn!("upload {id}: cannot roll back a failed chunk: {e}");
            inner.hashes.forget(id);
        }
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    fs_err::File::open(dir)?.sync_all()
}

/// Move a verified file to its blob path, creating the fan-out directory if needed, and make
/// the rename durable. Replacing an existing blob is harmless: it has the same content.
fn publish(from: &Path, to: &Path) -> io::Result<()> {
    let parent = to
        .parent()
        .ok_or_else(|| io::Error::other("blob path has no parent"))?;
    if !parent.is_dir() {
        fs_err::create_dir_all(parent)?;
        if let Some(grandparent) = parent.parent() {
            sync_dir(grandparent)?;
        }
    }
    fs_err::rename(from, to)?;
    sync_dir(parent)
}

fn remove_dir_if_present(dir: &Path) -> io::Result<()> {
    match fs_err::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes a temporary file on drop unless disarmed: every early return of a push cleans up.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed
            && let Err(e) = fs_err::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove a temporary blob: {e}");
        }
    }
}

#[async_trait]
impl BlobStore for FsStore {
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        let path = self.inner.blob_path(digest);
        let digest = digest.clone();
        blocking(move || match fs_err::metadata(&path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("blob {digest}"), e)),
        })
        .await
    }

    async fn get(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream, Error> {
        let path = self.inner.blob_path(digest);
        let d = digest.clone();
        let (file, remaining) = blocking(move || {
            let mut file = match fs_err::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::NotFound(d)),
                Err(e) => return Err(Error::io(format!("blob {d}"), e)),
            };
            let size = file
                .metadata()
                .map_err(|e| Error::io(format!("blob {d}"), e))?
                .len();
            let range = range.unwrap_or(0..size);
            let (start, end) = (range.start.min(size), range.end.min(size));
            if start > 0 {
                file.seek(SeekFrom::Start(start))
                    .map_err(|e| Error::io(format!("blob {d}"), e))?;
            }
            Ok((file, end.saturating_sub(start)))
        })
        .await?;
        Ok(read_stream(file, remaining))
    }

    async fn put(
        &self,
        digest: &Digest,
        expected_size: Option<u64>,
        body: ByteStream,
    ) -> Result<u64, Error> {
        let inner = Arc::clone(&self.inner);
        let digest = digest.clone();
        pump(Some(body), move |mut inbox| {
            let context = || format!("blob {digest}");
            let path = inner
                .root
                .join("tmp")
                .join(uuid::Uuid::new_v4().simple().to_string());
            let mut file = fs_err::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| Error::io(context(), e))?;
            let mut guard = TempFile { path, armed: true };
            let mut hasher = digest.algorithm().hasher();
            let size = write_body(&mut inbox, &mut file, Some(&mut hasher))
                .map_err(|f| f.into_job(context))?;
            drop(file);
            if let Some(expected) = expected_size
                && expected != size
            {
                return Err(Error::SizeMismatch {
                    expected,
                    actual: size,
                }
                .into());
            }
            let actual = hasher.finish();
            if actual != digest {
                return Err(Error::DigestMismatch {
                    expected: digest,
                    actual,
                }
                .into());
            }
            publish(&guard.path, &inner.blob_path(&digest)).map_err(|e| Error::io(context(), e))?;
            guard.armed = false;
            Ok(size)
        })
        .await
    }

    async fn append(&self, upload_id: &str, offset: u64, body: ByteStream) -> Result<u64, Error> {
        check_upload_id(upload_id)?;
        let inner = Arc::clone(&self.inner);
        let id = upload_id.to_owned();
        pump(Some(body), move |mut inbox| {
            let context = || format!("upload {id}");
            let (mut file, dir, _) = inner.open_upload(&id)?;
            let meta = file.metadata().map_err(|e| Error::io(context(), e))?;
            let len = meta.len();
            if len != offset {
                return Err(Error::OutOfOrder {
                    upload: id,
                    expected: len,
                    got: offset,
                }
                .into());
            }
            let mut hasher = inner.hashes.resume(&id, len, &fingerprint(&meta));
            let before = hasher.clone();
            let written = file
                .seek(SeekFrom::Start(len))
                .map_err(WriteFail::Io)
                .and_then(|_| write_body(&mut inbox, &mut file, hasher.as_mut()))
                .and_then(|n| {
                    if len == 0 {
                        // Make the new upload's directory entries durable.
                        sync_dir(&dir)?;
                        if let Some(uploads) = dir.parent() {
                            sync_dir(uploads)?;
                        }
                    }
                    Ok(n)
                });
            match written {
                Ok(n) => {
                    let after = file.metadata().ok().map(|m| fingerprint(&m));
                    inner.hashes.store(&id, len + n, after, hasher);
                    Ok(len + n)
                }
                Err(fail) => {
                    // Nothing of a failed chunk stays: back to where it started.
                    roll_back(&inner, &id, &file, len, before);
                    Err(fail.into_job(context))
                }
            }
        })
        .await
    }

    async fn upload_size(&self, upload_id: &str) -> Result<u64, Error> {
        check_upload_id(upload_id)?;
        let data = self.inner.upload_dir(upload_id).join("data");
        let id = upload_id.to_owned();
        blocking(move || match fs_err::metadata(&data) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(Error::io(format!("upload {id}"), e)),
        })
        .await
    }

    async fn commit(
        &self,
        upload_id: &str,
        digest: &Digest,
        tail: Option<ByteStream>,
    ) -> Result<u64, Error> {
        check_upload_id(upload_id)?;
        let inner = Arc::clone(&self.inner);
        let id = upload_id.to_owned();
        let digest = digest.clone();
        pump(tail, move |mut inbox| {
            let context = || format!("upload {id}");
            let (mut file, dir, data) = inner.open_upload(&id)?;
            let meta = file.metadata().map_err(|e| Error::io(context(), e))?;
            let len = meta.len();
            let cached = inner
                .hashes
                .get_for(&id, len, &fingerprint(&meta), digest.algorithm());
            let mut hasher = match cached {
                Some(h) => h,
                None => inner
                    .rehash(&mut file, len, digest.algorithm())
                    .map_err(|e| Error::io(context(), e))?,
            };
            let before = (digest.algorithm() == Algorithm::Sha256).then(|| hasher.clone());
            let tail = file
                .seek(SeekFrom::Start(len))
                .map_err(WriteFail::Io)
                .and_then(|_| write_body(&mut inbox, &mut file, Some(&mut hasher)));
            let tail = match tail {
                Ok(n) => n,
                Err(fail) => {
                    roll_back(&inner, &id, &file, len, before);
                    return Err(fail.into_job(context));
                }
            };
            let actual = hasher.finish();
            if actual != digest {
                inner.hashes.forget(&id);
                remove_dir_if_present(&dir).map_err(|e| Error::io(context(), e))?;
                return Err(Error::DigestMismatch {
                    expected: digest,
                    actual,
                }
                .into());
            }
            publish(&data, &inner.blob_path(&digest))
                .map_err(|e| Error::io(format!("blob {digest}"), e))?;
            inner.hashes.forget(&id);
            drop(file);
            remove_dir_if_present(&dir).map_err(|e| Error::io(context(), e))?;
            Ok(len + tail)
        })
        .await
    }

    async fn abort(&self, upload_id: &str) -> Result<(), Error> {
        check_upload_id(upload_id)?;
        let inner = Arc::clone(&self.inner);
        let id = upload_id.to_owned();
        blocking(move || {
            let dir = inner.upload_dir(&id);
            inner.hashes.forget(&id);
            // Take the lock, so an append in progress elsewhere finishes first and one waiting
            // for the lock notices the upload is gone.
            let file = match fs_err::File::open(dir.join("data")) {
                Ok(f) => Some(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::io(format!("upload {id}"), e)),
            };
            if let Some(f) = &file {
                f.lock().map_err(|e| Error::io(format!("upload {id}"), e))?;
            }
            remove_dir_if_present(&dir).map_err(|e| Error::io(format!("upload {id}"), e))
        })
        .await
    }

    async fn delete(&self, digest: &Digest) -> Result<(), Error> {
        let path = self.inner.blob_path(digest);
        let digest = digest.clone();
        blocking(move || match fs_err::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(Error::io(format!("blob {digest}"), e))
            }
            _ => Ok(()),
        })
        .await
    }

    async fn list_uploads(&self) -> Result<Vec<(String, SystemTime)>, Error> {
        let uploads = self.inner.root.join("uploads");
        blocking(move || {
            let context = "cannot list uploads";
            let mut found = Vec::new();
            for entry in fs_err::read_dir(&uploads).map_err(|e| Error::io(context, e))? {
                let entry = entry.map_err(|e| Error::io(context, e))?;
                let Some(id) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                if !is_valid_upload_id(&id) {
                    continue;
                }
                let modified = fs_err::metadata(entry.path().join("data"))
                    .or_else(|_| fs_err::metadata(entry.path()))
                    .and_then(|m| m.modified());
                match modified {
                    Ok(t) => found.push((id, t)),
                    // Removed meanwhile (committed, aborted).
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(context, e)),
                }
            }
            found.sort();
            Ok(found)
        })
        .await
    }

    async fn remove_stale_temporaries(&self, older_than: Duration) -> Result<usize, Error> {
        let inner = self.inner.clone();
        blocking(move || Ok(inner.remove_stale_tmp(older_than))).await
    }

    async fn total_bytes(&self) -> Result<u64, Error> {
        let blobs = self.inner.root.join("blobs");
        blocking(move || {
            let context = "cannot list blobs";
            let mut total = 0;
            for alg in fs_err::read_dir(&blobs).map_err(|e| Error::io(context, e))? {
                let alg = alg.map_err(|e| Error::io(context, e))?;
                if !alg.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                for fan in fs_err::read_dir(alg.path()).map_err(|e| Error::io(context, e))? {
                    let fan = fan.map_err(|e| Error::io(context, e))?;
                    if !fan.file_type().is_ok_and(|t| t.is_dir()) {
                        continue;
                    }
                    for blob in fs_err::read_dir(fan.path()).map_err(|e| Error::io(context, e))? {
                        let blob = blob.map_err(|e| Error::io(context, e))?;
                        match blob.metadata() {
                            Ok(m) if m.is_file() => total += m.len(),
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                            Err(e) => return Err(Error::io(context, e)),
                        }
                    }
                }
            }
            Ok(total)
        })
        .await
    }
}

/// A blocking read of the next piece of a blob, running on tokio's blocking pool.
type PendingRead = tokio::task::JoinHandle<io::Result<(fs_err::File, Vec<u8>)>>;

/// Start reading the next piece (at most [`IO_BUF`] bytes) of the `remaining` ones; returns the
/// read and how many bytes remain after it, or `None` when nothing remains.
fn read_ahead(mut file: fs_err::File, remaining: u64) -> Option<(PendingRead, u64)> {
    if remaining == 0 {
        return None;
    }
    let n = remaining.min(IO_BUF as u64);
    let read = tokio::task::spawn_blocking(move || {
        let mut buf = Vec::with_capacity(n as usize);
        Read::by_ref(&mut file).take(n).read_to_end(&mut buf)?;
        if buf.len() as u64 != n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("blob file ended {} bytes early", n - buf.len() as u64),
            ));
        }
        Ok((file, buf))
    });
    Some((read, remaining - n))
}

/// Stream `remaining` bytes from the file's current position in pieces. Each piece is read by
/// one blocking task, and the read of the next piece starts as soon as the previous one is
/// handed to the consumer, so the disk and the network work at the same time; no thread is held
/// while the consumer is slow.
fn read_stream(file: fs_err::File, remaining: u64) -> ByteStream {
    // Tell the kernel the file is read front to back (a larger read-ahead window); advice only.
    let _ = nix::fcntl::posix_fadvise(
        file.file(),
        0,
        0,
        nix::fcntl::PosixFadviseAdvice::POSIX_FADV_SEQUENTIAL,
    );
    futures::stream::try_unfold(read_ahead(file, remaining), |pending| async move {
        let Some((read, remaining)) = pending else {
            return Ok(None);
        };
        let (file, buf) = read.await.map_err(|e| io::Error::other(e.to_string()))??;
        Ok(Some((Bytes::from(buf), read_ahead(file, remaining))))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{self, Harness, body, collect, pseudo_random};

    fn harness() -> (tempfile::TempDir, Harness) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let h = Harness::new(move || Arc::new(FsStore::open(&root).unwrap()) as Arc<dyn BlobStore>);
        (dir, h)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let dirs = std::sync::Mutex::new(Vec::new());
        suite::run_all("fs", |_case| {
            let (dir, h) = harness();
            dirs.lock().unwrap().push(dir);
            h
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_past_several_writeback_steps_is_stored_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        let data = pseudo_random((WRITEBACK_STEP as usize) * 3 + 12345, 7);
        let d = Digest::sha256(&data);
        let size = store
            .put(&d, Some(data.len() as u64), body(&data, 1 << 16))
            .await
            .unwrap();
        assert_eq!(size, data.len() as u64);
        assert_eq!(collect(store.get(&d, None).await.unwrap()).await, data);
        let (a, b) = (IO_BUF as u64 - 3, 2 * IO_BUF as u64 + 5);
        assert_eq!(
            collect(store.get(&d, Some(a..b)).await.unwrap()).await,
            &data[a as usize..b as usize]
        );
        // Appended in two bodies, each past a step, then committed.
        let half = data.len() / 2;
        store
            .append("w1", 0, body(&data[..half], 1 << 16))
            .await
            .unwrap();
        store
            .append("w1", half as u64, body(&data[half..], 1 << 16))
            .await
            .unwrap();
        let other = Digest::of(Algorithm::Sha512, &data);
        store.commit("w1", &other, None).await.unwrap();
        assert_eq!(collect(store.get(&other, None).await.unwrap()).await, data);
    }

    #[tokio::test]
    async fn layout_is_content_addressed() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        let d = Digest::sha256(b"hello");
        store.put(&d, Some(5), body(b"hello", 2)).await.unwrap();
        let hex = d.hex();
        let path = dir
            .path()
            .join(format!("blobs/sha256/{}/{}", &hex[..2], hex));
        assert_eq!(store.blob_path(&d), path);
        assert_eq!(fs_err::read(&path).unwrap(), b"hello");
        assert_eq!(fs_err::read_dir(dir.path().join("tmp")).unwrap().count(), 0);

        store.append("u1", 0, body(b"abc", 1)).await.unwrap();
        assert_eq!(
            fs_err::read(dir.path().join("uploads/u1/data")).unwrap(),
            b"abc"
        );
    }

    #[tokio::test]
    async fn commit_renames_the_staged_file_and_uses_the_cached_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        let data = pseudo_random(3 * IO_BUF + 17, 1);
        let d = Digest::sha256(&data);
        let third = data.len() / 3;
        let mut offset = 0;
        for part in data.chunks(third) {
            offset = store.append("u1", offset, body(part, 4096)).await.unwrap();
        }
        let staged = dir.path().join("uploads/u1/data");
        let inode = fs_err::metadata(&staged).unwrap().ino();
        assert_eq!(
            store.commit("u1", &d, None).await.unwrap(),
            data.len() as u64
        );
        assert_eq!(fs_err::metadata(store.blob_path(&d)).unwrap().ino(), inode);
        assert_eq!(
            store.rehashed_bytes(),
            0,
            "commit re-read data it had hashed"
        );
        assert!(!dir.path().join("uploads/u1").exists());
    }

    #[tokio::test]
    async fn a_restarted_store_rehashes_what_it_did_not_see() {
        let dir = tempfile::tempdir().unwrap();
        let first = FsStore::open(dir.path()).unwrap();
        let data = pseudo_random(100_000, 2);
        first
            .append("u1", 0, body(&data[..60_000], 7000))
            .await
            .unwrap();
        drop(first);
        let second = FsStore::open(dir.path()).unwrap();
        assert_eq!(second.upload_size("u1").await.unwrap(), 60_000);
        second
            .append("u1", 60_000, body(&data[60_000..], 7000))
            .await
            .unwrap();
        let d = Digest::sha256(&data);
        assert_eq!(second.commit("u1", &d, None).await.unwrap(), 100_000);
        assert_eq!(second.rehashed_bytes(), 100_000);
        assert_eq!(collect(second.get(&d, None).await.unwrap()).await, data);
    }

    #[tokio::test]
    async fn a_stale_cache_is_not_trusted() {
        // Replica A appends (and caches), replica B appends more, A commits: A's cache is for a
        // shorter file, so A must re-read.
        let dir = tempfile::tempdir().unwrap();
        let a = FsStore::open(dir.path()).unwrap();
        let b = FsStore::open(dir.path()).unwrap();
        let data = pseudo_random(50_000, 3);
        a.append("u1", 0, body(&data[..20_000], 999)).await.unwrap();
        b.append("u1", 20_000, body(&data[20_000..], 999))
            .await
            .unwrap();
        let d = Digest::sha256(&data);
        a.commit("u1", &d, None).await.unwrap();
        assert_eq!(a.rehashed_bytes(), 50_000);
        assert_eq!(collect(a.get(&d, None).await.unwrap()).await, data);

        // Aborted and re-created elsewhere under the same id with as many bytes: the file's
        // identity or times differ, so A does not trust its hash of the old bytes.
        let (old, new) = (pseudo_random(5000, 4), pseudo_random(5000, 5));
        a.append("u2", 0, body(&old, 1000)).await.unwrap();
        b.abort("u2").await.unwrap();
        b.append("u2", 0, body(&new, 1000)).await.unwrap();
        assert!(matches!(
            a.commit("u2", &Digest::sha256(&old), None).await,
            Err(Error::DigestMismatch { actual, .. }) if actual == Digest::sha256(&new)
        ));
    }

    /// A body that yields `first`, then waits for `release`, then yields `rest`.
    fn gated_body(
        first: Vec<u8>,
        rest: Vec<u8>,
        release: tokio::sync::oneshot::Receiver<()>,
    ) -> ByteStream {
        futures::stream::once(async move { Ok(Bytes::from(first)) })
            .chain(futures::stream::once(async move {
                let _ = release.await;
                Ok(Bytes::from(rest))
            }))
            .boxed()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_appends_at_one_offset_let_exactly_one_win() {
        let dir = tempfile::tempdir().unwrap();
        let a = Arc::new(FsStore::open(dir.path()).unwrap());
        let b = FsStore::open(dir.path()).unwrap();
        let (release, gate) = tokio::sync::oneshot::channel();
        let first = {
            let a = Arc::clone(&a);
            tokio::spawn(async move {
                a.append(
                    "u1",
                    0,
                    gated_body(b"aaaa".to_vec(), b"bbbb".to_vec(), gate),
                )
                .await
            })
        };
        // Wait until A holds the lock and has written its first piece.
        let staged = dir.path().join("uploads/u1/data");
        for _ in 0..200 {
            if fs_err::metadata(&staged).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = tokio::spawn(async move { b.append("u1", 0, body(b"cccc", 4)).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 8);
        match second.await.unwrap() {
            Err(Error::OutOfOrder {
                expected: 8,
                got: 0,
                ..
            }) => {}
            other => panic!("expected OutOfOrder, got {other:?}"),
        }
        assert_eq!(fs_err::read(&staged).unwrap(), b"aaaabbbb");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_request_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        store.append("u1", 0, body(b"keep", 4)).await.unwrap();

        // Futures dropped half-way through their bodies (the client went away).
        let (_never, gate) = tokio::sync::oneshot::channel::<()>();
        let append = store.append("u1", 4, gated_body(b"lost".to_vec(), vec![], gate));
        assert!(
            tokio::time::timeout(Duration::from_millis(200), append)
                .await
                .is_err()
        );
        let (_never, gate) = tokio::sync::oneshot::channel::<()>();
        let d = Digest::sha256(b"partial");
        let put = store.put(
            &d,
            None,
            gated_body(b"part".to_vec(), b"ial".to_vec(), gate),
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(200), put)
                .await
                .is_err()
        );

        // The blocking jobs roll back on their own.
        let staged = dir.path().join("uploads/u1/data");
        for _ in 0..200 {
            let tmp_empty = fs_err::read_dir(dir.path().join("tmp")).unwrap().count() == 0;
            if tmp_empty && fs_err::read(&staged).unwrap() == b"keep" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(fs_err::read(&staged).unwrap(), b"keep");
        assert_eq!(fs_err::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        assert_eq!(store.stat(&d).await.unwrap(), None);
        // And the upload goes on from where it was.
        store.append("u1", 4, body(b"more", 4)).await.unwrap();
        let d = Digest::sha256(b"keepmore");
        assert_eq!(store.commit("u1", &d, None).await.unwrap(), 8);
        // The rollback kept the hash state of what stayed: nothing was read back.
        assert_eq!(store.rehashed_bytes(), 0);
    }

    #[tokio::test]
    async fn open_removes_stale_temporary_files_only() {
        let dir = tempfile::tempdir().unwrap();
        FsStore::open(dir.path()).unwrap();
        let old = dir.path().join("tmp/old");
        let fresh = dir.path().join("tmp/fresh");
        fs_err::write(&old, b"x").unwrap();
        fs_err::write(&fresh, b"x").unwrap();
        let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
        fs_err::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        FsStore::open(dir.path()).unwrap();
        assert!(!old.exists());
        assert!(fresh.exists());
    }

    #[tokio::test]
    async fn io_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::open(dir.path()).unwrap();
        // A directory where the upload's data file should be.
        fs_err::create_dir_all(dir.path().join("uploads/u1/data")).unwrap();
        let err = store.append("u1", 0, body(b"x", 1)).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("upload u1: ") && msg.contains("uploads/u1/data"),
            "{msg}"
        );
    }
}
