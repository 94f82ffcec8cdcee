//! Read-only parsing of RPM package databases, pure Rust apart from SQLite.
//!
//! rpm has stored its database in three formats over time, and images carry all three:
//!
//! - Berkeley DB hash files (`/var/lib/rpm/Packages`: RHEL/CentOS up to 7, Amazon Linux 2) —
//!   [`read_bdb`] parses the hash and overflow pages itself, without libdb;
//! - NDB (`Packages.db`: SUSE) — [`read_ndb`];
//! - SQLite (`rpmdb.sqlite`: RHEL 9, Fedora 33+, CBL-Mariner) — [`read_sqlite`], through a bundled
//!   SQLite that opens the bytes in memory (nothing is written to disk).
//!
//! Each format stores one rpm header blob per installed package, which [`parse_header`] decodes.
//! [`read_any`] picks the reader from the file's magic bytes, then from its name.
//!
//! Every reader takes the whole file as bytes and treats it as hostile: offsets and lengths are
//! bounds-checked, counts are capped, page chains are checked for loops and sharing, so bad input
//! yields an [`Error`] instead of a panic, a hang or an unbounded allocation. Behaviour follows
//! knqyf263/go-rpmdb, which Trivy and Syft use.

mod bdb;
mod bytes;
mod header;
mod ndb;
mod sqlite;

pub use bdb::read_bdb;
pub use header::parse_header;
pub use ndb::read_ndb;
pub use sqlite::read_sqlite;

/// Why an RPM database or header could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed input that none of the more specific variants describes.
    #[error("malformed rpm database: {0}")]
    Malformed(String),
    /// An rpm header blob is malformed; `offset` is the byte offset inside the blob.
    #[error("malformed rpm header at byte {offset}: {reason}")]
    Header { offset: u64, reason: String },
    /// A Berkeley DB hash database is malformed at page `page`.
    #[error("malformed berkeley db rpm database at page {page}: {reason}")]
    Bdb { page: u64, reason: String },
    /// An NDB database is malformed; `offset` is the byte offset in the file.
    #[error("malformed ndb rpm database at byte {offset}: {reason}")]
    Ndb { offset: u64, reason: String },
    /// The SQLite database could not be opened or queried.
    #[error("sqlite rpm database: {context}: {source}")]
    Sqlite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// The SQLite database is readable but not an rpm database.
    #[error("sqlite rpm database: {0}")]
    SqliteContent(String),
    /// One package record of a database holds a bad header.
    #[error("{format} rpm database, package record {record}: {source}")]
    Package {
        format: &'static str,
        /// The record's identifier: NDB package index, SQLite `hnum`, BDB overflow page.
        record: u64,
        #[source]
        source: Box<Error>,
    },
    /// The input is larger than the reader accepts.
    #[error("rpm database of {size} bytes is larger than the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// Neither the magic bytes nor the file name tell the format.
    #[error("{0}: not a recognised rpm database (expected sqlite, berkeley db hash or ndb)")]
    UnknownFormat(String),
}

/// Largest database file accepted (rpm databases of big hosts are a few hundred MB).
pub const MAX_DATABASE_SIZE: u64 = 1 << 30;

/// One installed package, as its rpm header describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmPackage {
    /// `NAME` (tag 1000).
    pub name: String,
    /// `EPOCH` (tag 1003); absent for most packages.
    pub epoch: Option<i32>,
    /// `VERSION` (tag 1001).
    pub version: String,
    /// `RELEASE` (tag 1002).
    pub release: String,
    /// `ARCH` (tag 1022); absent for `gpg-pubkey` entries.
    pub arch: Option<String>,
    /// `SOURCERPM` (tag 1044), e.g. `curl-7.76.0-6.cm2.src.rpm`; `(none)` reads as absent.
    pub source_rpm: Option<String>,
    /// `LICENSE` (tag 1014); `(none)` reads as absent.
    pub license: Option<String>,
    /// `VENDOR` (tag 1011); `(none)` reads as absent.
    pub vendor: Option<String>,
    /// Installed size in bytes: `SIZE` (tag 1009), else `LONGSIZE` (tag 5009).
    pub size: Option<u64>,
    /// `MODULARITYLABEL` (tag 5096), set for RHEL module streams.
    pub modularity_label: Option<String>,
    /// `SUMMARY` (tag 1004), the first (untranslated) string of the i18n array.
    pub summary: String,
    /// `SIGMD5` (tag 261) as lowercase hex: the header+payload MD5 rpm records.
    pub sigmd5: Option<String>,
}

impl RpmPackage {
    /// `[EPOCH:]VERSION-RELEASE`, the version string rpm tools print.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// `NAME-[EPOCH:]VERSION-RELEASE[.ARCH]`.
    pub fn nevra(&self) -> String {
        match &self.arch {
            Some(a) => format!("{}-{}.{a}", self.name, self.evr()),
            None => format!("{}-{}", self.name, self.evr()),
        }
    }
}

/// The database formats [`read_any`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Sqlite,
    Bdb,
    Ndb,
}

/// Tell the format from the magic bytes, then from the file name (`rpmdb.sqlite`, `Packages.db`,
/// `Packages`; only the last path component counts).
pub fn detect(file_name: &str, data: &[u8]) -> Option<Format> {
    if data.starts_with(sqlite::MAGIC) {
        return Some(Format::Sqlite);
    }
    if data.starts_with(ndb::MAGIC) {
        return Some(Format::Ndb);
    }
    if bdb::has_magic(data) {
        return Some(Format::Bdb);
    }
    match file_name.rsplit('/').next().unwrap_or(file_name) {
        "rpmdb.sqlite" => Some(Format::Sqlite),
        "Packages.db" => Some(Format::Ndb),
        "Packages" => Some(Format::Bdb),
        _ => None,
    }
}

/// Read a database of any supported format; see [`detect`].
pub fn read_any(file_name: &str, data: &[u8]) -> Result<Vec<RpmPackage>, Error> {
    match detect(file_name, data) {
        Some(Format::Sqlite) => read_sqlite(data),
        Some(Format::Bdb) => read_bdb(data),
        Some(Format::Ndb) => read_ndb(data),
        None => Err(Error::UnknownFormat(file_name.to_owned())),
    }
}

fn check_size(data: &[u8]) -> Result<(), Error> {
    let size = data.len() as u64;
    if size > MAX_DATABASE_SIZE {
        return Err(Error::TooLarge {
            size,
            limit: MAX_DATABASE_SIZE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evr_and_nevra() {
        let p = RpmPackage {
            name: "curl".into(),
            epoch: Some(1),
            version: "7.76.0".into(),
            release: "6.cm2".into(),
            arch: Some("x86_64".into()),
            ..RpmPackage::default()
        };
        assert_eq!(p.evr(), "1:7.76.0-6.cm2");
        assert_eq!(p.nevra(), "curl-1:7.76.0-6.cm2.x86_64");
        let q = RpmPackage {
            epoch: None,
            arch: None,
            ..p
        };
        assert_eq!(q.nevra(), "curl-7.76.0-6.cm2");
    }

    #[test]
    fn detects_by_magic_then_name() {
        assert_eq!(detect("x", b"SQLite format 3\0rest"), Some(Format::Sqlite));
        assert_eq!(detect("x", b"RpmP\0\0\0\0"), Some(Format::Ndb));
        let mut bdb = vec![0u8; 32];
        bdb[12..16].copy_from_slice(&0x061561u32.to_le_bytes());
        assert_eq!(detect("x", &bdb), Some(Format::Bdb));
        assert_eq!(detect("/var/lib/rpm/Packages", b""), Some(Format::Bdb));
        assert_eq!(
            detect("/usr/lib/sysimage/rpm/Packages.db", b""),
            Some(Format::Ndb)
        );
        assert_eq!(detect("rpmdb.sqlite", b""), Some(Format::Sqlite));
        assert_eq!(detect("/var/lib/rpm/Name", b"junk"), None);
        let err = read_any("/var/lib/rpm/Name", b"junk").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/var/lib/rpm/Name: not a recognised rpm database (expected sqlite, berkeley db hash or ndb)"
        );
    }

    #[test]
    fn empty_input_is_an_error_for_every_reader() {
        assert!(read_sqlite(b"").is_err());
        assert!(read_bdb(b"").is_err());
        assert!(read_ndb(b"").is_err());
        assert!(parse_header(b"").is_err());
        assert!(read_any("Packages", b"").is_err());
    }
}
