//! Berkeley DB hash databases (`/var/lib/rpm/Packages`), read without libdb.
//!
//! Layout (libdb `dbinc/db_page.h`): page 0 is the hash metadata page (magic `0x061561` at byte
//! 12, whose byte order tells the file's, page size at 20, last page number at 32). Every page
//! starts with a 26-byte header (page number, previous/next page, entry count, free-area offset,
//! level, type). Hash pages (type 13, or 2 for unsorted pages of old RHEL 5 files) hold an array
//! of 2-byte item offsets, alternating key and value. rpm's header blobs are big, so values are
//! `H_OFFPAGE` items (type 3: page number and total length) pointing at a chain of overflow pages
//! (type 7) whose data follows the page header; the last page holds `free-area offset` bytes.
//!
//! As in go-rpmdb, only off-page values are read: the inline values of an rpm `Packages` file are
//! bookkeeping (key 0 holds the next instance number), never package headers.
//!
//! Overflow chains are followed with a global visited set: a page that appears twice, in the same
//! chain (a loop) or in two chains (shared), is an error, so the work is linear in the file size.

use crate::bytes::{slice, u16_be, u16_le, u32_be, u32_le};
use crate::header::parse_header;
use crate::{Error, RpmPackage, check_size};

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER_SIZE: u64 = 26;
const PAGE_TYPE_HASH_UNSORTED: u8 = 2;
const PAGE_TYPE_OVERFLOW: u8 = 7;
const PAGE_TYPE_HASH_META: u8 = 8;
const PAGE_TYPE_HASH: u8 = 13;
const ITEM_OFFPAGE: u8 = 3;
const OFFPAGE_SIZE: u64 = 12;
const VALID_PAGE_SIZES: [u32; 8] = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

fn err(page: u64, reason: impl Into<String>) -> Error {
    Error::Bdb {
        page,
        reason: reason.into(),
    }
}

/// Whether `data` starts with a Berkeley DB hash metadata page (either byte order).
pub(crate) fn has_magic(data: &[u8]) -> bool {
    u32_le(data, 12) == Some(HASH_MAGIC) || u32_be(data, 12) == Some(HASH_MAGIC)
}

#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, d: &[u8], at: u64) -> Option<u16> {
        if self.big {
            u16_be(d, at)
        } else {
            u16_le(d, at)
        }
    }
    fn u32(self, d: &[u8], at: u64) -> Option<u32> {
        if self.big {
            u32_be(d, at)
        } else {
            u32_le(d, at)
        }
    }
}

struct Db<'a> {
    data: &'a [u8],
    page_size: u64,
    pages: u64,
    endian: Endian,
}

/// The fields of a page header zoll uses.
struct PageHeader {
    next: u32,
    entries: u16,
    free_offset: u16,
    ty: u8,
}

impl<'a> Db<'a> {
    fn page(&self, no: u64) -> Result<&'a [u8], Error> {
        if no >= self.pages {
            return Err(err(
                no,
                format!(
                    "page number beyond the last page {}",
                    self.pages.saturating_sub(1)
                ),
            ));
        }
        slice(self.data, no * self.page_size, self.page_size)
            .ok_or_else(|| err(no, "page is past the end of the file"))
    }

    fn header(&self, no: u64, page: &[u8]) -> Result<PageHeader, Error> {
        let short = || err(no, "page shorter than its header");
        Ok(PageHeader {
            next: self.endian.u32(page, 16).ok_or_else(short)?,
            entries: self.endian.u16(page, 20).ok_or_else(short)?,
            free_offset: self.endian.u16(page, 22).ok_or_else(short)?,
            ty: page.get(25).copied().ok_or_else(short)?,
        })
    }

    /// Concatenate the overflow chain starting at `first`, marking pages in `visited`.
    fn overflow(
        &self,
        from: u64,
        first: u32,
        total: u32,
        visited: &mut [bool],
    ) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0).min(self.data.len()));
        let mut no = u64::from(first);
        while no != 0 {
            let seen = visited
                .get_mut(usize::try_from(no).unwrap_or(usize::MAX))
                .ok_or_else(|| {
                    err(
                        from,
                        format!(
                            "overflow chain points at page {no}, beyond the last page {}",
                            self.pages - 1
                        ),
                    )
                })?;
            if *seen {
                return Err(err(
                    no,
                    "overflow page reached twice (a loop or a page shared by two chains)",
                ));
            }
            *seen = true;
            let page = self.page(no)?;
            let h = self.header(no, page)?;
            if h.ty != PAGE_TYPE_OVERFLOW {
                return Err(err(
                    no,
                    format!("expected an overflow page (type 7), found type {}", h.ty),
                ));
            }
            let len = if h.next == 0 {
                u64::from(h.free_offset)
            } else {
                self.page_size - PAGE_HEADER_SIZE
            };
            let chunk = slice(page, PAGE_HEADER_SIZE, len).ok_or_else(|| {
                err(
                    no,
                    format!("overflow data of {len} bytes does not fit in the page"),
                )
            })?;
            out.extend_from_slice(chunk);
            if out.len() as u64 > u64::from(total) {
                return Err(err(
                    no,
                    format!("overflow chain holds more than the item's {total} bytes"),
                ));
            }
            no = u64::from(h.next);
        }
        if out.len() as u64 != u64::from(total) {
            return Err(err(
                from,
                format!(
                    "overflow chain holds {} bytes, the item says {total}",
                    out.len()
                ),
            ));
        }
        Ok(out)
    }
}

/// Read every package of a Berkeley DB hash `Packages` file, in page order.
pub fn read_bdb(data: &[u8]) -> Result<Vec<RpmPackage>, Error> {
    check_size(data)?;
    let endian = if u32_le(data, 12) == Some(HASH_MAGIC) {
        Endian { big: false }
    } else if u32_be(data, 12) == Some(HASH_MAGIC) {
        Endian { big: true }
    } else {
        return Err(err(0, "missing hash database magic 0x061561 at byte 12"));
    };
    let meta = |at: u64| {
        endian
            .u32(data, at)
            .ok_or_else(|| err(0, "truncated metadata page"))
    };
    let page_size = meta(20)?;
    if !VALID_PAGE_SIZES.contains(&page_size) {
        return Err(err(0, format!("invalid page size {page_size}")));
    }
    let encryption = data
        .get(24)
        .copied()
        .ok_or_else(|| err(0, "truncated metadata page"))?;
    if encryption != 0 {
        return Err(err(
            0,
            format!("encrypted databases are not supported (algorithm {encryption})"),
        ));
    }
    let ty = data
        .get(25)
        .copied()
        .ok_or_else(|| err(0, "truncated metadata page"))?;
    if ty != PAGE_TYPE_HASH_META {
        return Err(err(
            0,
            format!("expected a hash metadata page (type 8), found type {ty}"),
        ));
    }
    let last_page = meta(32)?;
    let page_size = u64::from(page_size);
    let pages = u64::from(last_page) + 1;
    let have = data.len() as u64 / page_size;
    if pages > have {
        return Err(err(
            u64::from(last_page),
            format!(
                "truncated: the last page is {last_page} but the file holds {have} pages of {page_size} bytes"
            ),
        ));
    }
    let db = Db {
        data,
        page_size,
        pages,
        endian,
    };
    let mut visited = vec![false; usize::try_from(pages).map_err(|_| err(0, "too many pages"))?];

    let mut packages = Vec::new();
    for no in 0..pages {
        let page = db.page(no)?;
        let h = db.header(no, page)?;
        if h.ty != PAGE_TYPE_HASH && h.ty != PAGE_TYPE_HASH_UNSORTED {
            continue;
        }
        if !h.entries.is_multiple_of(2) {
            return Err(err(
                no,
                format!(
                    "odd number of hash entries {}: keys and values come in pairs",
                    h.entries
                ),
            ));
        }
        // Values are the odd entries of the item offset array.
        for i in (1..u64::from(h.entries)).step_by(2) {
            let at = PAGE_HEADER_SIZE + 2 * i;
            let item = db.endian.u16(page, at).ok_or_else(|| {
                err(
                    no,
                    format!("item offset array entry {i} is outside the page"),
                )
            })?;
            let item = u64::from(item);
            let kind = page
                .get(usize::try_from(item).unwrap_or(usize::MAX))
                .copied()
                .ok_or_else(|| err(no, format!("item {i} at offset {item} is outside the page")))?;
            if kind != ITEM_OFFPAGE {
                continue;
            }
            let off = slice(page, item, OFFPAGE_SIZE).ok_or_else(|| {
                err(
                    no,
                    format!("off-page item {i} at offset {item} is cut by the page end"),
                )
            })?;
            let first = db.endian.u32(off, 4).unwrap_or(0);
            let total = db.endian.u32(off, 8).unwrap_or(0);
            let blob = db.overflow(no, first, total, &mut visited)?;
            let pkg = parse_header(&blob).map_err(|e| Error::Package {
                format: "berkeley db",
                record: u64::from(first),
                source: Box::new(e),
            })?;
            packages.push(pkg);
        }
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::build::{blob, s};

    /// A header bigger than three 512-byte pages.
    fn package(name: &str) -> Vec<u8> {
        blob(&[
            (1000, 6, 1, s(name)),
            (1001, 6, 1, s("2.32.1")),
            (1004, 6, 1, s(&"summary ".repeat(200))),
        ])
    }

    const PS: usize = 512;

    fn page_header(p: &mut [u8], no: u32, next: u32, entries: u16, free: u16, ty: u8) {
        p[8..12].copy_from_slice(&no.to_le_bytes());
        p[16..20].copy_from_slice(&next.to_le_bytes());
        p[20..22].copy_from_slice(&entries.to_le_bytes());
        p[22..24].copy_from_slice(&free.to_le_bytes());
        p[25] = ty;
    }

    /// Metadata page, one hash page with one key/value pair, the value's blob in overflow pages.
    fn bdb(blob: &[u8]) -> Vec<u8> {
        let per_page = PS - 26;
        let chunks: Vec<&[u8]> = blob.chunks(per_page).collect();
        let pages = 2 + chunks.len();
        let mut f = vec![0u8; pages * PS];
        f[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        f[20..24].copy_from_slice(&(PS as u32).to_le_bytes());
        f[25] = PAGE_TYPE_HASH_META;
        f[32..36].copy_from_slice(&(pages as u32 - 1).to_le_bytes());
        {
            let p = &mut f[PS..2 * PS];
            page_header(p, 1, 0, 2, 0, PAGE_TYPE_HASH);
            // key item (inline, type 1) at 500, value (off-page) at 480
            p[26..28].copy_from_slice(&500u16.to_le_bytes());
            p[28..30].copy_from_slice(&480u16.to_le_bytes());
            p[500] = 1;
            p[480] = ITEM_OFFPAGE;
            p[484..488].copy_from_slice(&2u32.to_le_bytes());
            p[488..492].copy_from_slice(&(blob.len() as u32).to_le_bytes());
        }
        for (k, c) in chunks.iter().enumerate() {
            let no = 2 + k;
            let next = if k + 1 < chunks.len() {
                no as u32 + 1
            } else {
                0
            };
            let p = &mut f[no * PS..(no + 1) * PS];
            page_header(p, no as u32, next, 1, c.len() as u16, PAGE_TYPE_OVERFLOW);
            p[26..26 + c.len()].copy_from_slice(c);
        }
        f
    }

    #[test]
    fn reads_synthetic_database() {
        let blob = package("libuuid");
        let f = bdb(&blob);
        assert!(f.len() / PS > 3, "the blob spans several overflow pages");
        let p = read_bdb(&f).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "libuuid");
    }

    #[test]
    fn rejects_corruption() {
        let good = bdb(&package("libuuid"));
        for n in [0, 12, 30, 100, PS, 2 * PS, good.len() - 1] {
            assert!(read_bdb(&good[..n]).is_err(), "truncated to {n}");
        }
        // A loop: the second overflow page points back at the first.
        let mut b = good.clone();
        b[3 * PS + 16..3 * PS + 20].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            read_bdb(&b).unwrap_err().to_string(),
            "malformed berkeley db rpm database at page 2: overflow page reached twice (a loop or a page shared by two chains)"
        );
        // Chain pointing past the last page.
        let mut b = good.clone();
        b[PS + 484..PS + 488].copy_from_slice(&9999u32.to_le_bytes());
        assert!(
            read_bdb(&b)
                .unwrap_err()
                .to_string()
                .contains("beyond the last page")
        );
        // Item offset outside the page.
        let mut b = good.clone();
        b[PS + 28..PS + 30].copy_from_slice(&60000u16.to_le_bytes());
        assert!(
            read_bdb(&b)
                .unwrap_err()
                .to_string()
                .contains("outside the page")
        );
        // Odd entry count.
        let mut b = good.clone();
        b[PS + 20..PS + 22].copy_from_slice(&3u16.to_le_bytes());
        assert!(read_bdb(&b).unwrap_err().to_string().contains("odd number"));
        // Bad page size.
        let mut b = good.clone();
        b[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(
            read_bdb(&b)
                .unwrap_err()
                .to_string()
                .contains("invalid page size 1000")
        );
        // Last overflow page claims more bytes than a page holds.
        let mut b = good.clone();
        let last = good.len() / PS - 1;
        b[last * PS + 22..last * PS + 24].copy_from_slice(&600u16.to_le_bytes());
        assert!(
            read_bdb(&b)
                .unwrap_err()
                .to_string()
                .contains("does not fit")
        );
        // Wrong total length.
        let mut b = good.clone();
        b[PS + 488..PS + 492].copy_from_slice(&5u32.to_le_bytes());
        assert!(
            read_bdb(&b)
                .unwrap_err()
                .to_string()
                .contains("more than the item's 5 bytes")
        );
    }
}
