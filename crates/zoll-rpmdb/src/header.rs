//! The rpm header blob as databases store it (no lead, no magic): a big-endian index count `il`
//! and data length `dl`, `il` index entries of 16 bytes (tag, type, offset, count), then the
//! `dl`-byte data store. The first entry may be a region tag (`HEADERIMMUTABLE` ...) whose trailer
//! tells how many entries the signed region covers; entries after it ("dribbles") override
//! earlier ones with the same tag, as rpm's `headerImport` does.
//!
//! Only the tags zoll reports are decoded, each at most once, so the work is linear in the blob
//! size whatever the entry count says.

use crate::bytes::{slice, u32_be, u64_be};
use crate::{Error, RpmPackage};

/// rpm's `hdrchkTags`: at most this many index entries.
const MAX_TAGS: u32 = 0xffff;
/// rpm's `hdrchkData`: at most this many data bytes.
const MAX_DATA: u32 = 0x0fff_ffff;
const ENTRY_SIZE: u64 = 16;

const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;
const TYPE_MAX: u32 = 9;

const TAG_HEADERIMAGE: i32 = 61;
const TAG_HEADERIMMUTABLE: i32 = 63;
const TAG_SIGMD5: i32 = 261;
const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_SUMMARY: i32 = 1004;
const TAG_SIZE: i32 = 1009;
const TAG_VENDOR: i32 = 1011;
const TAG_LICENSE: i32 = 1014;
const TAG_ARCH: i32 = 1022;
const TAG_SOURCERPM: i32 = 1044;
const TAG_LONGSIZE: i32 = 5009;
const TAG_MODULARITYLABEL: i32 = 5096;

const WANTED: [i32; 13] = [
    TAG_SIGMD5,
    TAG_NAME,
    TAG_VERSION,
    TAG_RELEASE,
    TAG_EPOCH,
    TAG_SUMMARY,
    TAG_SIZE,
    TAG_VENDOR,
    TAG_LICENSE,
    TAG_ARCH,
    TAG_SOURCERPM,
    TAG_LONGSIZE,
    TAG_MODULARITYLABEL,
];

#[derive(Clone, Copy, Debug)]
struct Entry {
    tag: i32,
    ty: u32,
    /// Offset into the data store, checked to be `<= dl`.
    offset: u64,
    count: u32,
    /// Byte offset of the index entry in the blob, for error messages.
    at: u64,
}

fn err(offset: u64, reason: impl Into<String>) -> Error {
    Error::Header {
        offset,
        reason: reason.into(),
    }
}

/// Parse one header blob into the package it describes.
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, Error> {
    let too_short = || {
        err(
            0,
            format!(
                "{} bytes is too short for the index and data lengths",
                blob.len()
            ),
        )
    };
    let il = u32_be(blob, 0).ok_or_else(too_short)?;
    let dl = u32_be(blob, 4).ok_or_else(too_short)?;
    if il == 0 {
        return Err(err(0, "no index entries"));
    }
    if il > MAX_TAGS {
        return Err(err(
            0,
            format!("index entry count {il} exceeds the limit of {MAX_TAGS}"),
        ));
    }
    if dl > MAX_DATA {
        return Err(err(
            4,
            format!("data length {dl} exceeds the limit of {MAX_DATA}"),
        ));
    }
    let data_start = 8 + u64::from(il) * ENTRY_SIZE;
    let data = slice(blob, data_start, u64::from(dl)).ok_or_else(|| {
        err(
            data_start,
            format!(
                "truncated: {il} index entries and {dl} data bytes need {} bytes, the blob has {}",
                data_start + u64::from(dl),
                blob.len()
            ),
        )
    })?;

    let mut entries = Vec::with_capacity(il as usize);
    for i in 0..u64::from(il) {
        let at = 8 + i * ENTRY_SIZE;
        let field =
            |k: u64| u32_be(blob, at + 4 * k).ok_or_else(|| err(at, "truncated index entry"));
        let tag = field(0)? as i32;
        let ty = field(1)?;
        let offset = field(2)? as i32;
        let count = field(3)?;
        if ty > TYPE_MAX {
            return Err(err(
                at,
                format!("index entry {i} (tag {tag}) has unknown type {ty}"),
            ));
        }
        if offset < 0 || offset as u32 > dl {
            return Err(err(
                at,
                format!(
                    "index entry {i} (tag {tag}) points at offset {offset}, outside the {dl}-byte data store"
                ),
            ));
        }
        entries.push(Entry {
            tag,
            ty,
            offset: offset as u64,
            count,
            at,
        });
    }

    let first = entries
        .first()
        .copied()
        .ok_or_else(|| err(0, "no index entries"))?;
    let used: &[Entry] = if (TAG_HEADERIMAGE..=TAG_HEADERIMMUTABLE).contains(&first.tag) {
        check_region(first, data, il)?;
        // Region entries then dribbles: everything after the region tag itself.
        entries.get(1..).unwrap_or_default()
    } else {
        &entries
    };

    // The last entry for a tag wins (dribbles come after the region and override it).
    let mut found: [Option<Entry>; WANTED.len()] = [None; WANTED.len()];
    for e in used {
        if let Some(k) = WANTED.iter().position(|t| *t == e.tag)
            && let Some(slot) = found.get_mut(k)
        {
            *slot = Some(*e);
        }
    }
    let get = |tag: i32| {
        WANTED
            .iter()
            .position(|t| *t == tag)
            .and_then(|k| found.get(k).copied().flatten())
    };

    let name = match get(TAG_NAME) {
        Some(e) => string(e, data)?,
        None => return Err(err(0, "no NAME tag")),
    };
    if name.is_empty() {
        return Err(err(0, "empty NAME tag"));
    }
    let opt_string = |tag: i32| -> Result<Option<String>, Error> {
        match get(tag) {
            Some(e) => string(e, data).map(Some),
            None => Ok(None),
        }
    };
    let none_is_absent = |s: Option<String>| s.filter(|v| !v.is_empty() && v != "(none)");

    let size = match (get(TAG_SIZE), get(TAG_LONGSIZE)) {
        (Some(e), _) => Some(u64::from(int32(e, data)?)),
        (None, Some(e)) => Some(int64(e, data)?),
        (None, None) => None,
    };
    let summary = match get(TAG_SUMMARY) {
        Some(e) => string(e, data)?,
        None => String::new(),
    };
    let sigmd5 = match get(TAG_SIGMD5) {
        Some(e) => Some(hex(bin(e, data)?)),
        None => None,
    };
    Ok(RpmPackage {
        name,
        epoch: match get(TAG_EPOCH) {
            Some(e) => Some(int32(e, data)? as i32),
            None => None,
        },
        version: opt_string(TAG_VERSION)?.unwrap_or_default(),
        release: opt_string(TAG_RELEASE)?.unwrap_or_default(),
        arch: opt_string(TAG_ARCH)?.filter(|a| !a.is_empty()),
        source_rpm: none_is_absent(opt_string(TAG_SOURCERPM)?),
        license: none_is_absent(opt_string(TAG_LICENSE)?),
        vendor: none_is_absent(opt_string(TAG_VENDOR)?),
        size,
        modularity_label: opt_string(TAG_MODULARITYLABEL)?,
        summary,
        sigmd5,
    })
}

/// Check the region tag and its trailer (rpm's `hdrblobVerifyRegion`): the trailer must repeat a
/// region tag and cover at most the header's index entries.
fn check_region(region: Entry, data: &[u8], il: u32) -> Result<(), Error> {
    if region.ty != TYPE_BIN || region.count != ENTRY_SIZE as u32 {
        return Err(err(
            region.at,
            format!(
                "region tag {} must be binary of 16 bytes, is type {} count {}",
                region.tag, region.ty, region.count
            ),
        ));
    }
    let trailer_at = region.offset;
    let trailer = slice(data, trailer_at, ENTRY_SIZE).ok_or_else(|| {
        err(
            region.at,
            format!("region trailer at data offset {trailer_at} is outside the data store"),
        )
    })?;
    let tag = u32_be(trailer, 0).unwrap_or(0) as i32;
    let ty = u32_be(trailer, 4).unwrap_or(0);
    let neg = u32_be(trailer, 8).unwrap_or(0) as i32;
    let count = u32_be(trailer, 12).unwrap_or(0);
    if !(TAG_HEADERIMAGE..=TAG_HEADERIMMUTABLE).contains(&tag)
        || ty != TYPE_BIN
        || count != ENTRY_SIZE as u32
    {
        return Err(err(
            region.at,
            format!("invalid region trailer at data offset {trailer_at}"),
        ));
    }
    let size = neg
        .checked_neg()
        .filter(|s| *s > 0 && s % ENTRY_SIZE as i32 == 0)
        .ok_or_else(|| {
            err(
                region.at,
                format!("region trailer at data offset {trailer_at} has invalid size {neg}"),
            )
        })?;
    let ril = size as u32 / ENTRY_SIZE as u32;
    if ril > il {
        return Err(err(
            region.at,
            format!("region covers {ril} index entries, the header has {il}"),
        ));
    }
    Ok(())
}

fn type_error(e: Entry, want: &str) -> Error {
    err(
        e.at,
        format!("tag {} should be {want}, has type {}", e.tag, e.ty),
    )
}

/// A string tag: `STRING`, or the first string of an `I18NSTRING`/`STRING_ARRAY`.
fn string(e: Entry, data: &[u8]) -> Result<String, Error> {
    match e.ty {
        TYPE_STRING if e.count == 1 => {}
        TYPE_I18NSTRING | TYPE_STRING_ARRAY if e.count >= 1 => {}
        _ => return Err(type_error(e, "a string")),
    }
    let rest = usize::try_from(e.offset)
        .ok()
        .and_then(|o| data.get(o..))
        .unwrap_or_default();
    let end = rest.iter().position(|b| *b == 0).ok_or_else(|| {
        err(
            e.at,
            format!(
                "string of tag {} at data offset {} is not nul-terminated",
                e.tag, e.offset
            ),
        )
    })?;
    Ok(String::from_utf8_lossy(rest.get(..end).unwrap_or_default()).into_owned())
}

fn int32(e: Entry, data: &[u8]) -> Result<u32, Error> {
    if e.ty != TYPE_INT32 || e.count < 1 {
        return Err(type_error(e, "an int32"));
    }
    u32_be(data, e.offset).ok_or_else(|| {
        err(
            e.at,
            format!("int32 of tag {} runs past the data store", e.tag),
        )
    })
}

fn int64(e: Entry, data: &[u8]) -> Result<u64, Error> {
    if e.ty != TYPE_INT64 || e.count < 1 {
        return Err(type_error(e, "an int64"));
    }
    u64_be(data, e.offset).ok_or_else(|| {
        err(
            e.at,
            format!("int64 of tag {} runs past the data store", e.tag),
        )
    })
}

fn bin(e: Entry, data: &[u8]) -> Result<&[u8], Error> {
    if e.ty != TYPE_BIN {
        return Err(type_error(e, "binary"));
    }
    slice(data, e.offset, u64::from(e.count)).ok_or_else(|| {
        err(
            e.at,
            format!("{} bytes of tag {} run past the data store", e.count, e.tag),
        )
    })
}

fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(DIGITS[usize::from(x >> 4)]));
        s.push(char::from(DIGITS[usize::from(x & 15)]));
    }
    s
}

/// Build header blobs for tests: `(tag, type, count, data)` entries laid out in order.
#[cfg(test)]
pub(crate) mod build {
    pub(crate) fn blob(entries: &[(i32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, count, bytes) in entries {
            let align = match ty {
                4 => 4,
                5 => 8,
                3 => 2,
                _ => 1,
            };
            while !data.len().is_multiple_of(align) {
                data.push(0);
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub(crate) fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    /// A minimal valid package header.
    pub(crate) fn package(name: &str) -> Vec<u8> {
        blob(&[
            (1000, 6, 1, s(name)),
            (1001, 6, 1, s("1.0")),
            (1002, 6, 1, s("1.el9")),
            (1003, 4, 1, 2u32.to_be_bytes().to_vec()),
            (
                1004,
                9,
                2,
                [s("A summary"), s("Eine Zusammenfassung")].concat(),
            ),
            (1009, 4, 1, 1234u32.to_be_bytes().to_vec()),
            (1014, 6, 1, s("MIT")),
            (1022, 6, 1, s("x86_64")),
            (1044, 6, 1, s("(none)")),
            (261, 7, 4, vec![0xde, 0xad, 0xbe, 0xef]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    #[test]
    fn parses_a_legacy_header() {
        let p = parse_header(&package("bash")).unwrap();
        assert_eq!(p.name, "bash");
        assert_eq!(p.evr(), "2:1.0-1.el9");
        assert_eq!(p.summary, "A summary");
        assert_eq!(p.size, Some(1234));
        assert_eq!(p.license.as_deref(), Some("MIT"));
        assert_eq!(p.arch.as_deref(), Some("x86_64"));
        assert_eq!(p.source_rpm, None, "(none) means absent");
        assert_eq!(p.sigmd5.as_deref(), Some("deadbeef"));
        assert_eq!(p.vendor, None);
    }

    #[test]
    fn region_and_dribble_override() {
        // Region tag 63 whose trailer says it covers 3 entries (itself, NAME, VERSION); a
        // dribble entry after it overrides VERSION.
        let mut trailer = Vec::new();
        trailer.extend_from_slice(&63i32.to_be_bytes());
        trailer.extend_from_slice(&7u32.to_be_bytes());
        trailer.extend_from_slice(&(-48i32).to_be_bytes());
        trailer.extend_from_slice(&16u32.to_be_bytes());
        let mut b = blob(&[
            (1000, 6, 1, s("zsh")),
            (1001, 6, 1, s("5.0")),
            (1001, 6, 1, s("5.9")),
            (63, 7, 16, trailer),
        ]);
        // Move the region entry (last) to the front of the index, as rpm writes it.
        let idx = b[8..8 + 64].to_vec();
        let mut reordered = idx[48..64].to_vec();
        reordered.extend_from_slice(&idx[0..48]);
        b[8..8 + 64].copy_from_slice(&reordered);
        let p = parse_header(&b).unwrap();
        assert_eq!(p.name, "zsh");
        assert_eq!(p.version, "5.9");
    }

    #[test]
    fn truncated_blobs_are_errors_at_every_length() {
        let full = package("bash");
        for n in 0..full.len() {
            let e = parse_header(&full[..n]).unwrap_err();
            assert!(matches!(e, Error::Header { .. }), "length {n}: {e}");
        }
    }

    #[test]
    fn corrupt_fields_are_errors() {
        let full = package("bash");
        // il = 0
        let mut b = full.clone();
        b[0..4].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(
            parse_header(&b).unwrap_err().to_string(),
            "malformed rpm header at byte 0: no index entries"
        );
        // il huge
        let mut b = full.clone();
        b[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(
            parse_header(&b)
                .unwrap_err()
                .to_string()
                .contains("exceeds the limit")
        );
        // offset of NAME outside data
        let mut b = full.clone();
        b[16..20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        let e = parse_header(&b).unwrap_err().to_string();
        assert!(e.contains("outside the") && e.contains("at byte 8"), "{e}");
        // unknown type
        let mut b = full.clone();
        b[12..16].copy_from_slice(&77u32.to_be_bytes());
        assert!(
            parse_header(&b)
                .unwrap_err()
                .to_string()
                .contains("unknown type 77")
        );
        // NAME declared as int32
        let mut b = full.clone();
        b[12..16].copy_from_slice(&4u32.to_be_bytes());
        assert!(
            parse_header(&b)
                .unwrap_err()
                .to_string()
                .contains("should be a string")
        );
        // last string without terminator
        let mut b = blob(&[(1000, 6, 1, b"abc".to_vec())]);
        assert!(
            parse_header(&b)
                .unwrap_err()
                .to_string()
                .contains("not nul-terminated")
        );
        b.push(0);
        assert!(
            parse_header(&b).is_err(),
            "a byte beyond dl is not part of the data store"
        );
        // no name at all
        let b = blob(&[(1001, 6, 1, s("1"))]);
        assert!(
            parse_header(&b)
                .unwrap_err()
                .to_string()
                .contains("no NAME tag")
        );
        // bad region tag
        let b = blob(&[(63, 7, 3, vec![0, 0, 0]), (1000, 6, 1, s("x"))]);
        assert!(
            parse_header(&b)
                .unwrap_err()
                .to_string()
                .contains("region tag 63")
        );
    }
}
