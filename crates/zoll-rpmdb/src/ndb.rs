//! rpm's NDB format (`Packages.db`, lib/backend/ndb/rpmpkg.c), all little-endian:
//!
//! - a 32-byte header: magic `RpmP`, version 0, generation, number of 4 KiB slot pages, next index;
//! - slot pages right after it (the header takes the first two 16-byte slots): each slot is magic
//!   `Slot`, package index (0 = free), block offset and block count, blocks being 16 bytes;
//! - at each used slot's block: a blob header (magic `BlbS`, package index, checksum, length)
//!   followed by the rpm header blob.
//!
//! Blobs of valid databases never overlap, so the bytes handed to [`parse_header`] are capped at
//! the file size in total: a file whose slots all point at the same big blob is rejected instead
//! of being parsed thousands of times.

use std::collections::HashSet;

use crate::bytes::{slice, u32_le};
use crate::header::parse_header;
use crate::{Error, RpmPackage, check_size};

pub(crate) const MAGIC: &[u8] = b"RpmP";
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const VERSION: u32 = 0;
const HEADER_SIZE: u64 = 32;
const PAGE_SIZE: u64 = 4096;
const SLOT_SIZE: u64 = 16;
const BLOCK_SIZE: u64 = 16;
const BLOB_HEADER_SIZE: u64 = 16;
/// go-rpmdb's sanity limit on slot pages (2048 pages = 524,286 slots).
const MAX_SLOT_PAGES: u32 = 2048;

fn err(offset: u64, reason: impl Into<String>) -> Error {
    Error::Ndb {
        offset,
        reason: reason.into(),
    }
}

/// Read every package of an NDB `Packages.db`, in slot order.
pub fn read_ndb(data: &[u8]) -> Result<Vec<RpmPackage>, Error> {
    check_size(data)?;
    let field = |at: u64| {
        u32_le(data, at).ok_or_else(|| {
            err(
                at,
                format!("truncated header: file has {} bytes", data.len()),
            )
        })
    };
    if !data.starts_with(MAGIC) {
        return Err(err(0, "missing RpmP magic"));
    }
    let version = field(4)?;
    if version != VERSION {
        return Err(err(4, format!("unsupported version {version}")));
    }
    let slot_pages = field(12)?;
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(err(
            12,
            format!("slot page count {slot_pages} is not between 1 and {MAX_SLOT_PAGES}"),
        ));
    }
    let slots_end = u64::from(slot_pages) * PAGE_SIZE;
    if slots_end > data.len() as u64 {
        return Err(err(
            data.len() as u64,
            format!(
                "truncated: {slot_pages} slot pages need {slots_end} bytes, file has {}",
                data.len()
            ),
        ));
    }

    let mut packages = Vec::new();
    let mut seen_blocks = HashSet::new();
    let mut blob_bytes: u64 = 0;
    let mut at = HEADER_SIZE;
    while at + SLOT_SIZE <= slots_end {
        let slot_magic = field(at)?;
        if slot_magic != SLOT_MAGIC {
            return Err(err(at, format!("bad slot magic {slot_magic:#010x}")));
        }
        let pkg_index = field(at + 4)?;
        let block = field(at + 8)?;
        let slot_at = at;
        at += SLOT_SIZE;
        if pkg_index == 0 {
            continue;
        }
        if !seen_blocks.insert(block) {
            return Err(err(
                slot_at,
                format!("package {pkg_index} shares block {block} with another slot"),
            ));
        }
        let blob_at = u64::from(block) * BLOCK_SIZE;
        if blob_at < slots_end {
            return Err(err(
                slot_at,
                format!("package {pkg_index} points at block {block}, inside the slot pages"),
            ));
        }
        let head = slice(data, blob_at, BLOB_HEADER_SIZE).ok_or_else(|| {
            err(
                slot_at,
                format!("package {pkg_index} points at block {block}, past the end of the file"),
            )
        })?;
        if u32_le(head, 0) != Some(BLOB_MAGIC) {
            return Err(err(
                blob_at,
                format!("bad blob magic for package {pkg_index}"),
            ));
        }
        let blob_index = u32_le(head, 4).unwrap_or(0);
        if blob_index != pkg_index {
            return Err(err(
                blob_at,
                format!("blob belongs to package {blob_index}, slot says {pkg_index}"),
            ));
        }
        let len = u64::from(u32_le(head, 12).unwrap_or(0));
        let blob = slice(data, blob_at + BLOB_HEADER_SIZE, len).ok_or_else(|| {
            err(
                blob_at,
                format!("blob of package {pkg_index} ({len} bytes) runs past the end of the file"),
            )
        })?;
        blob_bytes += len;
        if blob_bytes > data.len() as u64 {
            return Err(err(
                blob_at,
                "blobs overlap: their total size exceeds the file size",
            ));
        }
        let pkg = parse_header(blob).map_err(|e| Error::Package {
            format: "ndb",
            record: u64::from(pkg_index),
            source: Box::new(e),
        })?;
        packages.push(pkg);
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::build::package;

    /// An NDB file with one slot page and the given headers as blobs.
    fn ndb(blobs: &[Vec<u8>]) -> Vec<u8> {
        let mut f = vec![0u8; PAGE_SIZE as usize];
        f[0..4].copy_from_slice(MAGIC);
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        let mut slot = HEADER_SIZE as usize;
        while slot < PAGE_SIZE as usize {
            f[slot..slot + 4].copy_from_slice(b"Slot");
            slot += 16;
        }
        for (i, b) in blobs.iter().enumerate() {
            let block = f.len() / 16;
            let s = HEADER_SIZE as usize + i * 16;
            f[s + 4..s + 8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            f[s + 8..s + 12].copy_from_slice(&(block as u32).to_le_bytes());
            f.extend_from_slice(b"BlbS");
            f.extend_from_slice(&(i as u32 + 1).to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&(b.len() as u32).to_le_bytes());
            f.extend_from_slice(b);
            f.extend_from_slice(&[0u8; 16]);
            while !f.len().is_multiple_of(16) {
                f.push(0);
            }
        }
        f
    }

    #[test]
    fn reads_synthetic_database() {
        let f = ndb(&[package("a"), package("b")]);
        let names: Vec<_> = read_ndb(&f).unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn rejects_corruption() {
        let good = ndb(&[package("a")]);
        for n in [0, 3, 16, 31, 100, 4095] {
            let e = read_ndb(&good[..n]).unwrap_err();
            assert!(matches!(e, Error::Ndb { .. }), "{n}: {e}");
        }
        // truncated inside the blob
        let e = read_ndb(&good[..good.len() - 40]).unwrap_err().to_string();
        assert!(e.contains("runs past the end"), "{e}");

        let mut b = good.clone();
        b[12..16].copy_from_slice(&100_000u32.to_le_bytes());
        assert!(
            read_ndb(&b)
                .unwrap_err()
                .to_string()
                .contains("slot page count")
        );

        let mut b = good.clone();
        b[48..52].copy_from_slice(b"XXXX");
        assert_eq!(
            read_ndb(&b).unwrap_err().to_string(),
            "malformed ndb rpm database at byte 48: bad slot magic 0x58585858"
        );

        let mut b = good.clone();
        b[4096..4100].copy_from_slice(b"XXXX");
        assert!(
            read_ndb(&b)
                .unwrap_err()
                .to_string()
                .contains("bad blob magic")
        );

        // Two slots pointing at the same blob.
        let mut b = good.clone();
        b.copy_within(32..48, 48);
        b[52..56].copy_from_slice(&2u32.to_le_bytes());
        assert!(
            read_ndb(&b)
                .unwrap_err()
                .to_string()
                .contains("shares block")
        );

        // A corrupt header inside a valid blob names the package record.
        let mut b = good.clone();
        b[4096 + 16..4096 + 20].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(
            read_ndb(&b).unwrap_err().to_string(),
            "ndb rpm database, package record 1: malformed rpm header at byte 0: no index entries"
        );
    }
}
