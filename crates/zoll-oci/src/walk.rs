//! Streaming layer walker: reads a layer blob once (gzip, zstd or plain tar, detected by magic),
//! verifies its blob digest and diff-id on the way, applies safety limits, classifies entries
//! (files, links, OCI whiteouts) and hands each one to a [`Visitor`]. Nothing is written to disk.
//!
//! Hostile input is an error naming the layer and the entry: paths or link targets that climb out
//! of the image root, decompressed size or ratio beyond the [`Limits`], truncated streams, and
//! digests that do not match.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use zoll_core::{Algorithm, Digest, Hasher};

/// Limits against decompression bombs and pathological archives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed size of one layer.
    pub max_layer_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes, checked once `ratio_grace` bytes have
    /// been decompressed (small layers of zeros legitimately compress very well).
    pub max_ratio: u64,
    pub ratio_grace: u64,
    /// Most entries in one layer.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 << 30,
            max_ratio: 500,
            ratio_grace: 256 << 20,
            max_entries: 5_000_000,
        }
    }
}

/// What a tar entry is, after whiteout interpretation. Paths are absolute inside the image root
/// and normalised (`/usr/bin/env`): no `.`/`..` components, no trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// Target as written in the archive (relative or absolute); already checked not to escape.
    Symlink(String),
    /// Normalised absolute path of the file this entry links to.
    Hardlink(String),
    /// `.wh.NAME`: the named path (and everything below it) from lower layers is deleted.
    Whiteout(String),
    /// `.wh..wh..opq`: the directory's contents from lower layers are hidden.
    Opaque(String),
    /// Devices, FIFOs and other special files.
    Other,
}

/// One entry as the walker offers it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    pub mode: u32,
    pub size: u64,
}

/// Receives the entries of a layer in archive order.
pub trait Visitor {
    /// `content` yields the entry's bytes (empty for non-files). Reading it is optional; an IO
    /// error from it must be returned as is, so the walker can name the entry.
    fn entry(&mut self, entry: &Entry, content: &mut dyn Read) -> io::Result<()>;
}

/// What is known about a layer before reading it; used to verify it and in error messages.
#[derive(Clone, Debug, Default)]
pub struct LayerExpect {
    /// How to name the layer in errors (its digest or file name).
    pub name: String,
    /// Digest and size of the blob as stored (compressed), when known.
    pub blob_digest: Option<Digest>,
    pub blob_size: Option<u64>,
    /// Digest of the uncompressed tar, from the image config, when known.
    pub diff_id: Option<Digest>,
}

/// What the walker measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkSummary {
    pub blob_digest: Digest,
    pub blob_size: u64,
    pub diff_id: Digest,
    pub uncompressed_size: u64,
    pub entries: u64,
    pub compression: Compression,
}

/// Compression of a layer blob, detected from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Why a layer could not be walked. Every variant names the layer; entry-level ones the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    #[error("layer {layer}: entry {entry:?}: path escapes the image root")]
    PathTraversal { layer: String, entry: String },
    #[error("layer {layer}: entry {entry:?}: symlink target {target:?} escapes the image root")]
    SymlinkEscape {
        layer: String,
        entry: String,
        target: String,
    },
    #[error("layer {layer}: entry {entry:?}: hard link target {target:?} escapes the image root")]
    HardlinkEscape {
        layer: String,
        entry: String,
        target: String,
    },
    #[error(
        "layer {layer}{}: decompressed size exceeds the limit of {limit} bytes (possible decompression bomb)",
        at(entry)
    )]
    SizeLimit {
        layer: String,
        entry: Option<String>,
        limit: u64,
    },
    #[error(
        "layer {layer}{}: compression ratio exceeds {limit}:1 (possible decompression bomb)",
        at(entry)
    )]
    RatioLimit {
        layer: String,
        entry: Option<String>,
        limit: u64,
    },
    #[error("layer {layer}: more than {limit} entries")]
    TooManyEntries { layer: String, limit: u64 },
    #[error("layer {layer}{}: truncated: the stream ended early", at(entry))]
    Truncated {
        layer: String,
        entry: Option<String>,
    },
    #[error("layer {layer}{}: {source}", at(entry))]
    Read {
        layer: String,
        entry: Option<String>,
        source: io::Error,
    },
    #[error(
        "layer {layer}: diff-id mismatch: the image config says {expected}, the content is {actual}"
    )]
    DiffIdMismatch {
        layer: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("layer {layer}: digest mismatch: expected {expected}, the content is {actual}")]
    DigestMismatch {
        layer: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("layer {layer}: size mismatch: expected {expected} bytes, read {actual}")]
    SizeMismatch {
        layer: String,
        expected: u64,
        actual: u64,
    },
}

fn at(entry: &Option<String>) -> String {
    match entry {
        Some(e) => format!(": entry {e:?}"),
        None => String::new(),
    }
}

/// Normalise an archive path to an absolute path inside the root. `None` if it climbs out.
pub fn normalize_path(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Resolve a symlink target written at `link_path`, lexically. `None` if it climbs out of the root.
pub fn resolve_link_target(link_path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return normalize_path(target);
    }
    let parent = match link_path.rfind('/') {
        Some(i) => &link_path[..i],
        None => "",
    };
    normalize_path(&format!("{parent}/{target}"))
}

/// Marker error carried inside `io::Error` by the limit reader.
#[derive(Debug)]
enum LimitHit {
    Size(u64),
    Ratio(u64),
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Size(l) => write!(f, "decompressed size exceeds {l} bytes"),
            LimitHit::Ratio(l) => write!(f, "compression ratio exceeds {l}:1"),
        }
    }
}

impl std::error::Error for LimitHit {}

/// Hashes and counts what passes through.
struct HashReader<R> {
    inner: R,
    hasher: Hasher,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Counts decompressed bytes, enforces the limits and hashes the tar stream (the diff-id).
struct LimitReader<R> {
    inner: R,
    hasher: Hasher,
    count: u64,
    compressed: Arc<AtomicU64>,
    limits: Limits,
    compressed_input: bool,
}

impl<R: Read> Read for LimitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        if self.count > self.limits.max_layer_bytes {
            return Err(io::Error::other(LimitHit::Size(
                self.limits.max_layer_bytes,
            )));
        }
        if self.compressed_input && self.count > self.limits.ratio_grace {
            let c = self.compressed.load(Ordering::Relaxed).max(1);
            if self.count / c > self.limits.max_ratio {
                return Err(io::Error::other(LimitHit::Ratio(self.limits.max_ratio)));
            }
        }
        Ok(n)
    }
}

enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(Box<flate2::bufread::MultiGzDecoder<R>>),
    Zstd(Box<zstd::Decoder<'static, R>>),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl<R: BufRead> Decoder<R> {
    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => (*r).into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

/// Walk one layer blob (`raw` as stored: compressed or not), verifying what `expect` names.
pub fn walk_layer(
    raw: impl Read,
    expect: &LayerExpect,
    limits: &Limits,
    visitor: &mut dyn Visitor,
) -> Result<WalkSummary, LayerError> {
    let layer = expect.name.clone();
    let compressed = Arc::new(AtomicU64::new(0));
    let blob_alg = expect
        .blob_digest
        .as_ref()
        .map_or(Algorithm::Sha256, Digest::algorithm);
    let hashing = HashReader {
        inner: raw,
        hasher: blob_alg.hasher(),
        count: compressed.clone(),
    };
    let mut buffered = BufReader::with_capacity(256 << 10, hashing);
    let magic = buffered.fill_buf().map_err(|source| LayerError::Read {
        layer: layer.clone(),
        entry: None,
        source,
    })?;
    let compression = if magic.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let decoder = match compression {
        Compression::Gzip => {
            Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
        }
        Compression::Zstd => match zstd::Decoder::with_buffer(buffered) {
            Ok(d) => Decoder::Zstd(Box::new(d)),
            Err(source) => {
                return Err(LayerError::Read {
                    layer,
                    entry: None,
                    source,
                });
            }
        },
        Compression::None => Decoder::Plain(buffered),
    };
    let diff_alg = expect
        .diff_id
        .as_ref()
        .map_or(Algorithm::Sha256, Digest::algorithm);
    let limited = LimitReader {
        inner: decoder,
        hasher: diff_alg.hasher(),
        count: 0,
        compressed: compressed.clone(),
        limits: *limits,
        compressed_input: compression != Compression::None,
    };
    let mut archive = tar::Archive::new(limited);
    let mut entries_seen = 0u64;
    walk_entries(&mut archive, &layer, limits, visitor, &mut entries_seen)?;
    // Read what follows the end-of-archive marker so both digests cover the whole stream.
    let mut limited = archive.into_inner();
    io::copy(&mut limited, &mut io::sink()).map_err(|e| classify(&layer, None, e))?;
    let uncompressed_size = limited.count;
    let diff_id = limited.hasher.finish();
    let mut raw_rest = limited.inner.into_inner();
    io::copy(&mut raw_rest, &mut io::sink()).map_err(|e| classify(&layer, None, e))?;
    let hashing = raw_rest.into_inner();
    let blob_size = compressed.load(Ordering::Relaxed);
    let blob_digest = hashing.hasher.finish();

    if let Some(size) = expect.blob_size
        && size != blob_size
    {
        return Err(LayerError::SizeMismatch {
            layer,
            expected: size,
            actual: blob_size,
        });
    }
    if let Some(d) = &expect.blob_digest
        && *d != blob_digest
    {
        return Err(LayerError::DigestMismatch {
            layer,
            expected: d.clone(),
            actual: blob_digest,
        });
    }
    if let Some(d) = &expect.diff_id
        && *d != diff_id
    {
        return Err(LayerError::DiffIdMismatch {
            layer,
            expected: d.clone(),
            actual: diff_id,
        });
    }
    Ok(WalkSummary {
        blob_digest,
        blob_size,
        diff_id,
        uncompressed_size,
        entries: entries_seen,
        compression,
    })
}

fn classify(layer: &str, entry: Option<&str>, e: io::Error) -> LayerError {
    let layer = layer.to_owned();
    let entry = entry.map(str::to_owned);
    if let Some(hit) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitHit>())
    {
        return match hit {
            LimitHit::Size(limit) => LayerError::SizeLimit {
                layer,
                entry,
                limit: *limit,
            },
            LimitHit::Ratio(limit) => LayerError::RatioLimit {
                layer,
                entry,
                limit: *limit,
            },
        };
    }
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return LayerError::Truncated { layer, entry };
    }
    LayerError::Read {
        layer,
        entry,
        source: e,
    }
}

fn walk_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    layer: &str,
    limits: &Limits,
    visitor: &mut dyn Visitor,
    seen: &mut u64,
) -> Result<(), LayerError> {
    let entries = archive.entries().map_err(|e| classify(layer, None, e))?;
    let mut last_path: Option<String> = None;
    for item in entries {
        let mut tar_entry = item.map_err(|e| classify(layer, last_path.as_deref(), e))?;
        *seen += 1;
        if *seen > limits.max_entries {
            return Err(LayerError::TooManyEntries {
                layer: layer.to_owned(),
                limit: limits.max_entries,
            });
        }
        let raw_path = String::from_utf8_lossy(&tar_entry.path_bytes()).into_owned();
        last_path = Some(raw_path.clone());
        let path = normalize_path(&raw_path).ok_or_else(|| LayerError::PathTraversal {
            layer: layer.to_owned(),
            entry: raw_path.clone(),
        })?;
        let header = tar_entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let size = header.size().unwrap_or(0);
        let etype = header.entry_type();
        let name = path.rsplit('/').next().unwrap_or("");
        let kind = if let Some(rest) = name.strip_prefix(".wh.") {
            let parent = &path[..path.len() - name.len()];
            let parent = parent.trim_end_matches('/');
            if rest == ".wh..opq" {
                EntryKind::Opaque(if parent.is_empty() {
                    "/".to_owned()
                } else {
                    parent.to_owned()
                })
            } else if rest.starts_with(".wh.") {
                // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not part of the image.
                continue;
            } else {
                EntryKind::Whiteout(format!("{parent}/{rest}"))
            }
        } else if etype.is_dir() {
            EntryKind::Dir
        } else if etype.is_symlink() {
            let target = tar_entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            if resolve_link_target(&path, &target).is_none() {
                return Err(LayerError::SymlinkEscape {
                    layer: layer.to_owned(),
                    entry: raw_path,
                    target,
                });
            }
            EntryKind::Symlink(target)
        } else if etype.is_hard_link() {
            let target = tar_entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            match normalize_path(&target) {
                Some(t) => EntryKind::Hardlink(t),
                None => {
                    return Err(LayerError::HardlinkEscape {
                        layer: layer.to_owned(),
                        entry: raw_path,
                        target,
                    });
                }
            }
        } else if etype.is_file()
            || etype == tar::EntryType::Continuous
            || etype == tar::EntryType::GNUSparse
        {
            EntryKind::File
        } else if etype.is_pax_global_extensions()
            || etype.is_pax_local_extensions()
            || etype.is_gnu_longname()
            || etype.is_gnu_longlink()
        {
            continue;
        } else {
            EntryKind::Other
        };
        let entry = Entry {
            path,
            kind,
            mode,
            size,
        };
        visitor
            .entry(&entry, &mut tar_entry)
            .map_err(|e| classify(layer, Some(&raw_path), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses_escapes() {
        assert_eq!(
            normalize_path("./usr/bin/../lib/x").as_deref(),
            Some("/usr/lib/x")
        );
        assert_eq!(normalize_path("/etc/").as_deref(), Some("/etc"));
        assert_eq!(normalize_path("../etc/passwd"), None);
        assert_eq!(normalize_path("a/../../b"), None);
        assert_eq!(
            resolve_link_target("/etc/os-release", "../usr/lib/os-release").as_deref(),
            Some("/usr/lib/os-release")
        );
        assert_eq!(
            resolve_link_target("/bin", "usr/bin").as_deref(),
            Some("/usr/bin")
        );
        assert_eq!(
            resolve_link_target("/etc/x", "/usr/y").as_deref(),
            Some("/usr/y")
        );
        assert_eq!(
            resolve_link_target("/etc/x", "../../../../etc/shadow"),
            None
        );
    }
}
