//! Reading a built database, and moving it between machines.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use crate::build::SourceCount;
use crate::build::{lock, publish, tmp_path};
use crate::osv::{AdvisoryBody, AffectedData, normalize_name};
use crate::{DB_FILE, Error, SCHEMA, io_err, sqlite_err};

/// First bytes of a `zoll db export` file; a zstd stream of the SQLite file follows.
const EXPORT_MAGIC: &[u8; 8] = b"ZOLLDBX1";
/// Refuse exports that inflate beyond this (decompression bomb guard).
const MAX_IMPORT_BYTES: u64 = 16 << 30;

/// `$ZOLL_DB_DIR`, else `db/` in zoll's cache directory (`$ZOLL_CACHE_DIR` or `~/.cache/zoll`).
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("ZOLL_DB_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("ZOLL_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("db"));
    }
    dirs::cache_dir().map(|d| d.join("zoll").join("db"))
}

/// One affected-package row that a lookup returned.
#[derive(Clone, Debug)]
pub struct AffectedRow {
    /// Row id of the advisory, for [`Db::body`].
    pub advisory: i64,
    /// The advisory's OSV id.
    pub advisory_id: String,
    /// The OSV ecosystem string as published (`Debian:12`).
    pub ecosystem: String,
    pub data: AffectedData,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EcosystemCount {
    pub ecosystem: String,
    pub advisories: u64,
}

/// What `zoll db status` shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub path: PathBuf,
    pub schema: u32,
    pub built_at: String,
    pub zoll_version: String,
    pub advisories: u64,
    pub withdrawn: u64,
    pub bytes: u64,
    pub sources: Vec<SourceCount>,
    pub ecosystems: Vec<EcosystemCount>,
}

/// An open, read-only database.
pub struct Db {
    path: PathBuf,
    conn: Connection,
    dict: Option<Vec<u8>>,
    /// One decompression context with the dictionary loaded, reused for every blob: building one
    /// per blob dominated lookups (each allocates and loads the dictionary).
    decompressor: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>>,
    built_at: String,
    sources: Vec<SourceCount>,
    advisories: u64,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .field("built_at", &self.built_at)
            .finish()
    }
}

fn corrupt(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string().to_lowercase(),
    }
}

impl Db {
    /// Open the database in `dir` (see [`default_dir`]).
    pub fn open(dir: &Path) -> Result<Db, Error> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(Error::Missing {
                dir: dir.to_path_buf(),
            });
        }
        Db::open_file(&path)
    }

    /// Open one database file, checking its schema before anything else.
    pub fn open_file(path: &Path) -> Result<Db, Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(corrupt(path))?;
        // The file is never written once published (updates rename a new file over it), so the
        // reader may keep its shared lock for its whole life instead of taking it per query, and
        // may map the file instead of copying pages.
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; PRAGMA mmap_size = 1073741824;")
            .map_err(corrupt(path))?;
        let found: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt(path))?;
        if found > SCHEMA {
            return Err(Error::NewerSchema {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA,
            });
        }
        if found < SCHEMA {
            return Err(Error::OlderSchema {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA,
            });
        }
        let meta = |key: &str| -> Result<Option<Vec<u8>>, Error> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                Ok(r.get_ref(0)?
                    .as_bytes()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default())
            })
            .optional()
            .map_err(corrupt(path))
        };
        let text = |v: Option<Vec<u8>>| v.map(|b| String::from_utf8_lossy(&b).into_owned());
        let built_at = text(meta("built_at")?).unwrap_or_default();
        let sources = text(meta("sources")?)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let dict = meta("dictionary")?;
        let advisories: u64 = conn
            .query_row("SELECT COUNT(*) FROM advisory", [], |r| r.get(0))
            .map_err(corrupt(path))?;
        Ok(Db {
            path: path.to_path_buf(),
            conn,
            dict,
            decompressor: std::cell::RefCell::new(None),
            built_at,
            sources,
            advisories,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// RFC 3339.
    pub fn built_at(&self) -> &str {
        &self.built_at
    }

    pub fn sources(&self) -> &[SourceCount] {
        &self.sources
    }

    pub fn advisories(&self) -> u64 {
        self.advisories
    }

    /// How old the database is at `now`; `None` if its build time is unreadable.
    pub fn age(&self, now: OffsetDateTime) -> Option<time::Duration> {
        OffsetDateTime::parse(&self.built_at, &Rfc3339)
            .ok()
            .map(|t| now - t)
    }

    fn decode(&self, blob: &[u8]) -> Result<Vec<u8>, Error> {
        let bad = |m: &str| Error::Corrupt {
            path: self.path.clone(),
            message: m.to_owned(),
        };
        match blob.split_first() {
            Some((0, raw)) => Ok(raw.to_vec()),
            Some((1, rest)) if rest.len() >= 4 => {
                let mut n = [0u8; 4];
                n.copy_from_slice(&rest[..4]);
                let len = u32::from_le_bytes(n) as usize;
                let mut slot = self.decompressor.borrow_mut();
                if slot.is_none() {
                    let d = match &self.dict {
                        Some(dict) => zstd::bulk::Decompressor::with_dictionary(dict),
                        None => zstd::bulk::Decompressor::new(),
                    }
                    .map_err(|e| bad(&format!("zstd: {e}")))?;
                    *slot = Some(d);
                }
                let Some(d) = slot.as_mut() else {
                    return Err(bad("zstd: no decompression context"));
                };
                d.decompress(&rest[4..], len)
                    .map_err(|e| bad(&format!("zstd: {e}")))
            }
            _ => Err(bad("unknown blob encoding")),
        }
    }

    /// Affected entries for `name` in exactly `ecosystem` (the name is normalised here).
    pub fn affected(&self, ecosystem: &str, name: &str) -> Result<Vec<AffectedRow>, Error> {
        let name = normalize_name(ecosystem, name);
        self.query(
            "SELECT a.ecosystem, a.advisory, v.name, a.data FROM affected a \
             JOIN advisory v ON v.id = a.advisory WHERE a.ecosystem = ?1 AND a.name = ?2",
            &[ecosystem, &name],
        )
    }

    /// Affected entries for `name` in every ecosystem starting with `prefix` (for distributions
    /// whose OSV ecosystem names carry more than a release, like `Red Hat:enterprise_linux:9::appstream`).
    pub fn affected_prefix(&self, prefix: &str, name: &str) -> Result<Vec<AffectedRow>, Error> {
        let name = normalize_name(prefix, name);
        let upper = format!("{prefix}\u{10ffff}");
        self.query(
            "SELECT a.ecosystem, a.advisory, v.name, a.data FROM affected a \
             JOIN advisory v ON v.id = a.advisory \
             WHERE a.ecosystem >= ?1 AND a.ecosystem < ?3 AND a.name = ?2",
            &[prefix, &name, &upper],
        )
    }

    fn query(&self, sql: &str, args: &[&str]) -> Result<Vec<AffectedRow>, Error> {
        let c = corrupt(&self.path);
        let mut stmt = self.conn.prepare_cached(sql).map_err(&c)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .map_err(&c)?;
        let mut out = Vec::new();
        for row in rows {
            let (ecosystem, advisory, advisory_id, blob) = row.map_err(&c)?;
            let raw = self.decode(&blob)?;
            let data = serde_json::from_slice(&raw).map_err(|e| Error::Corrupt {
                path: self.path.clone(),
                message: format!("affected entry of {advisory_id}: {e}"),
            })?;
            out.push(AffectedRow {
                advisory,
                advisory_id,
                ecosystem,
                data,
            });
        }
        Ok(out)
    }

    /// The descriptive part of an advisory.
    pub fn body(&self, advisory: i64) -> Result<AdvisoryBody, Error> {
        let c = corrupt(&self.path);
        let blob: Vec<u8> = self
            .conn
            .prepare_cached("SELECT body FROM advisory WHERE id = ?1")
            .and_then(|mut s| s.query_row([advisory], |r| r.get(0)))
            .map_err(&c)?;
        let raw = self.decode(&blob)?;
        serde_json::from_slice(&raw).map_err(|e| Error::Corrupt {
            path: self.path.clone(),
            message: format!("advisory row {advisory}: {e}"),
        })
    }

    /// The descriptive part of an advisory, by OSV id.
    pub fn body_by_id(&self, id: &str) -> Result<Option<AdvisoryBody>, Error> {
        let c = corrupt(&self.path);
        let row: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM advisory WHERE name = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(&c)?;
        row.map(|r| self.body(r)).transpose()
    }

    pub fn status(&self) -> Result<Status, Error> {
        let c = corrupt(&self.path);
        let withdrawn: u64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM advisory WHERE withdrawn", [], |r| {
                r.get(0)
            })
            .map_err(&c)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT substr(ecosystem, 1, instr(ecosystem || ':', ':') - 1) AS base, \
                 COUNT(DISTINCT advisory) FROM affected GROUP BY base ORDER BY base",
            )
            .map_err(&c)?;
        let ecosystems = stmt
            .query_map([], |r| {
                Ok(EcosystemCount {
                    ecosystem: r.get(0)?,
                    advisories: r.get(1)?,
                })
            })
            .map_err(&c)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&c)?;
        let zoll_version: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'zoll_version'",
                [],
                |r| {
                    Ok(r.get_ref(0)?
                        .as_bytes()
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default())
                },
            )
            .optional()
            .map_err(&c)?;
        Ok(Status {
            path: self.path.clone(),
            schema: SCHEMA,
            built_at: self.built_at.clone(),
            zoll_version: zoll_version
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .unwrap_or_default(),
            advisories: self.advisories,
            withdrawn,
            bytes: fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            sources: self.sources.clone(),
            ecosystems,
        })
    }
}

/// Write the database of `dir` to `file` as one compressed file (written beside `file`, then
/// renamed, so a failed export never leaves a truncated file under that name).
pub fn export(dir: &Path, file: &Path) -> Result<u64, Error> {
    let db = Db::open(dir)?;
    let src = db.path().to_path_buf();
    drop(db);
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io_err(parent))?;
    {
        let mut input = fs::File::open(&src).map_err(io_err(&src))?;
        tmp.write_all(EXPORT_MAGIC).map_err(io_err(file))?;
        let mut enc = zstd::stream::Encoder::new(tmp.as_file_mut(), 6).map_err(io_err(file))?;
        std::io::copy(&mut input, &mut enc).map_err(io_err(file))?;
        enc.finish().map_err(io_err(file))?;
    }
    tmp.as_file().sync_all().map_err(io_err(file))?;
    let bytes = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    tmp.persist(file).map_err(|e| io_err(file)(e.error))?;
    Ok(bytes)
}

/// Install an export made by [`export`] as the database of `dir`, after checking that it is a
/// complete database of a schema this build reads. The current database stays until then.
pub fn import(file: &Path, dir: &Path) -> Result<Status, Error> {
    let not_export = |m: String| Error::NotAnExport {
        path: file.to_path_buf(),
        message: m,
    };
    let mut f = fs::File::open(file).map_err(io_err(file))?;
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic)
        .map_err(|_| not_export("too short".into()))?;
    if &magic != EXPORT_MAGIC {
        return Err(not_export("wrong magic bytes".into()));
    }
    let _lock = lock(dir)?;
    let tmp = tmp_path(dir);
    let result = (|| {
        let mut out = fs::File::create(&tmp).map_err(io_err(&tmp))?;
        let dec = zstd::stream::Decoder::new(f).map_err(|e| not_export(e.to_string()))?;
        let n = std::io::copy(&mut dec.take(MAX_IMPORT_BYTES + 1), &mut out)
            .map_err(|e| not_export(format!("damaged: {}", e.to_string().to_lowercase())))?;
        if n > MAX_IMPORT_BYTES {
            return Err(not_export(format!(
                "inflates beyond {MAX_IMPORT_BYTES} bytes"
            )));
        }
        drop(out);
        let db = Db::open_file(&tmp)?;
        let check: String = db
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(sqlite_err(&tmp))?;
        if check != "ok" {
            return Err(Error::Corrupt {
                path: file.to_path_buf(),
                message: check,
            });
        }
        drop(db);
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let dest = publish(&tmp, dir)?;
    Db::open_file(&dest)?.status()
}
