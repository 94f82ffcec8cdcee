//! zoll's offline vulnerability database.
//!
//! `update` imports OSV records from any number of [`Source`]s into a new SQLite file next to the
//! current one and renames it into place, so a reader sees the old database or the new one, never
//! a half-written file, and a killed update leaves the old one usable (its temporary file is
//! removed by the next update). `export`/`import` move a built database as one file.
//!
//! ## Layout (schema [`SCHEMA`])
//! - `advisory(id, name, modified, body)`: one row per OSV record; `body` is the record's
//!   descriptive part ([`AdvisoryBody`]) as JSON, zstd-compressed with a dictionary trained on the
//!   import itself (OSV JSON repeats the same keys and phrases, so a dictionary makes small records
//!   compress 3-5x where plain zstd manages about 2x).
//! - `affected(ecosystem, name, advisory, data)`: one row per affected package, indexed by
//!   `(ecosystem, name)`, holding only what range evaluation needs ([`AffectedData`]), so matching
//!   never decompresses a record that does not match.
//! - `meta(key, value)`: schema, build time, sources, the dictionary. `PRAGMA user_version` holds
//!   the schema too, so a newer database is refused before anything else is read.
//!
//! Why SQLite rather than a hand-made file: it gives indexed lookups, crash-safe reads and
//! `zoll db status` queries for free, and `rusqlite` (bundled) is already a dependency.

mod build;
mod osv;
mod source;
mod store;

use std::path::PathBuf;

pub use build::{UpdateOptions, UpdateProgress, UpdateReport, update};
pub use osv::{
    AdvisoryBody, AffectedData, Event, Osv, OsvSeverity, RangeKind, StoredRange, normalize_name,
    pep503,
};
pub use source::{
    DEFAULT_ECOSYSTEMS, DEFAULT_SOURCE, HttpOptions, MAX_ENTRY_BYTES, Problem, Source,
};
pub use store::{
    AffectedRow, Db, EcosystemCount, SourceCount, Status, default_dir, export, import,
};

/// The on-disk schema this build reads and writes.
pub const SCHEMA: u32 = 1;
/// The database file inside the database directory.
pub const DB_FILE: &str = "osv.db";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no vulnerability database in {dir}: run `zoll db update` (or `zoll db import FILE` on an offline machine)"
    )]
    Missing { dir: PathBuf },
    #[error(
        "the vulnerability database {path} has schema {found}, newer than the {supported} this zoll reads: upgrade zoll, or rebuild it with `zoll db update`"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the vulnerability database {path} has schema {found}, older than the {supported} this zoll reads: run `zoll db update`"
    )]
    OlderSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the vulnerability database {path} is damaged: {message}; run `zoll db update`")]
    Corrupt { path: PathBuf, message: String },
    #[error("source {source_name}: {message}")]
    Source {
        source_name: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("another `zoll db update` holds {path}; wait for it to finish")]
    Locked { path: PathBuf },
    #[error("{path}: not a zoll database export ({message})")]
    NotAnExport { path: PathBuf, message: String },
    #[error("database {path}: {message}")]
    Sqlite { path: PathBuf, message: String },
}

pub(crate) fn sqlite_err(path: &std::path::Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Sqlite {
        path: path.to_path_buf(),
        message: e.to_string().to_lowercase(),
    }
}

pub(crate) fn io_err(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.to_path_buf(),
        message: e.to_string().to_lowercase(),
    }
}
