//! `zoll db update`: import every source into a new file, then rename it over the old one.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::osv::Osv;
use crate::source::{HttpOptions, Problem, Sink, Source};
use crate::{DB_FILE, Error, SCHEMA, io_err, sqlite_err};

/// Records buffered before the compression dictionary is trained.
const DICT_SAMPLES: usize = 2000;
const DICT_BYTES: usize = 96 * 1024;
const ZSTD_LEVEL: i32 = 7;
/// Affected entries shorter than this are stored uncompressed (a frame header would not pay).
const COMPRESS_MIN: usize = 96;

/// Callbacks for progress reporting; all optional.
pub trait UpdateProgress {
    fn source_started(&self, _source: &Source) {}
    fn entries(&self, _imported: u64) {}
}

pub struct UpdateOptions<'a> {
    pub sources: Vec<Source>,
    pub http: HttpOptions,
    pub progress: Option<&'a dyn UpdateProgress>,
    /// The build time recorded in the database.
    pub now: OffsetDateTime,
}

/// Per-source counts, as recorded in the database and shown by `zoll db status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    pub source: String,
    pub advisories: u64,
    pub skipped: u64,
}

#[derive(Debug)]
pub struct UpdateReport {
    pub path: PathBuf,
    /// Records in the new database (withdrawn ones included).
    pub advisories: u64,
    pub withdrawn: u64,
    /// Records seen more than once (same id); the newest `modified` was kept.
    pub duplicates: u64,
    pub problems: Vec<Problem>,
    pub sources: Vec<SourceCount>,
    pub bytes: u64,
}

/// Encodes blobs: a tag byte (0 raw, 1 zstd with the database's dictionary), then for zstd the
/// decompressed length as u32 little-endian, then the frame.
pub(crate) struct Codec {
    compressor: Option<zstd::bulk::Compressor<'static>>,
}

impl Codec {
    fn encode(&mut self, raw: &[u8], min: usize) -> Result<Vec<u8>, std::io::Error> {
        match &mut self.compressor {
            Some(c) if raw.len() >= min => {
                let frame = c.compress(raw)?;
                let mut out = Vec::with_capacity(frame.len() + 5);
                out.push(1);
                out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
                out.extend_from_slice(&frame);
                Ok(out)
            }
            _ => {
                let mut out = Vec::with_capacity(raw.len() + 1);
                out.push(0);
                out.extend_from_slice(raw);
                Ok(out)
            }
        }
    }
}

struct Pending {
    id: String,
    modified: String,
    withdrawn: bool,
    body: Vec<u8>,
    affected: Vec<(String, String, Vec<u8>)>,
}

struct Builder<'a> {
    conn: Connection,
    path: PathBuf,
    codec: Option<Codec>,
    dict: Option<Vec<u8>>,
    pending: Vec<Pending>,
    seen: HashMap<String, (i64, String)>,
    stale: Vec<i64>,
    problems: Vec<Problem>,
    fatal: Option<Error>,
    current: SourceCount,
    advisories: u64,
    withdrawn: u64,
    duplicates: u64,
    progress: Option<&'a dyn UpdateProgress>,
}

impl Sink for Builder<'_> {
    fn entry(&mut self, origin: &str, bytes: &[u8]) {
        if self.fatal.is_some() {
            return;
        }
        let rec: Osv = match serde_json::from_slice(bytes) {
            Ok(r) => r,
            Err(e) => {
                return self.problem(Problem {
                    origin: origin.to_owned(),
                    message: format!("invalid OSV JSON: {e}"),
                });
            }
        };
        if rec.id.trim().is_empty() {
            return self.problem(Problem {
                origin: origin.to_owned(),
                message: "record has no id".into(),
            });
        }
        let withdrawn = rec.withdrawn.is_some();
        let (body, affected) = rec.split();
        let encoded = serde_json::to_vec(&body).and_then(|b| {
            let aff = affected
                .into_iter()
                .map(|(e, n, d)| serde_json::to_vec(&d).map(|d| (e, n, d)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((b, aff))
        });
        let (body_bytes, affected) = match encoded {
            Ok(x) => x,
            Err(e) => {
                return self.problem(Problem {
                    origin: origin.to_owned(),
                    message: format!("cannot re-encode: {e}"),
                });
            }
        };
        self.current.advisories += 1;
        let p = Pending {
            id: body.id,
            modified: body.modified,
            withdrawn,
            body: body_bytes,
            affected,
        };
        if self.codec.is_none() {
            self.pending.push(p);
            if self.pending.len() >= DICT_SAMPLES {
                self.train_and_flush();
            }
        } else if let Err(e) = self.insert(p) {
            self.fatal = Some(e);
        }
        if let Some(pr) = self.progress
            && self.current.advisories.is_multiple_of(256)
        {
            pr.entries(self.advisories + self.pending.len() as u64);
        }
    }

    fn problem(&mut self, problem: Problem) {
        tracing::warn!("skipped {problem}");
        self.current.skipped += 1;
        self.problems.push(problem);
    }
}

impl Builder<'_> {
    fn train_and_flush(&mut self) {
        let samples: Vec<&[u8]> = self
            .pending
            .iter()
            .flat_map(|p| {
                std::iter::once(p.body.as_slice()).chain(p.affected.iter().map(|a| a.2.as_slice()))
            })
            .collect();
        // Training fails on too little input; the database then stores blobs without a
        // dictionary (still compressed when they are long enough).
        let dict = if samples.len() >= 16 {
            zstd::dict::from_samples(&samples, DICT_BYTES).ok()
        } else {
            None
        };
        let compressor = match &dict {
            Some(d) => zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, d),
            None => zstd::bulk::Compressor::new(ZSTD_LEVEL),
        };
        match compressor {
            Ok(c) => {
                self.codec = Some(Codec {
                    compressor: Some(c),
                })
            }
            Err(e) => {
                self.fatal = Some(Error::Io {
                    path: self.path.clone(),
                    message: format!("zstd: {e}"),
                });
                return;
            }
        }
        self.dict = dict;
        for p in std::mem::take(&mut self.pending) {
            if let Err(e) = self.insert(p) {
                self.fatal = Some(e);
                return;
            }
        }
    }

    fn insert(&mut self, p: Pending) -> Result<(), Error> {
        let path = self.path.clone();
        let sq = sqlite_err(&path);
        if let Some((rowid, modified)) = self.seen.get(&p.id) {
            // Same record from two sources: the newer `modified` wins (RFC 3339 in UTC sorts
            // as text); on a tie the first one read stays.
            self.duplicates += 1;
            if *modified >= p.modified {
                return Ok(());
            }
            let rowid = *rowid;
            self.conn
                .execute("DELETE FROM advisory WHERE id = ?1", [rowid])
                .map_err(&sq)?;
            self.stale.push(rowid);
            self.advisories -= 1;
        }
        let codec = self.codec.as_mut().ok_or_else(|| Error::Io {
            path: path.clone(),
            message: "internal: codec not ready".into(),
        })?;
        let zerr = |e: std::io::Error| Error::Io {
            path: path.clone(),
            message: format!("zstd: {e}"),
        };
        let body = codec.encode(&p.body, 0).map_err(zerr)?;
        self.conn
            .prepare_cached(
                "INSERT INTO advisory(name, modified, withdrawn, body) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![p.id, p.modified, p.withdrawn, body]))
            .map_err(&sq)?;
        let rowid = self.conn.last_insert_rowid();
        for (eco, name, data) in &p.affected {
            let data = codec.encode(data, COMPRESS_MIN).map_err(zerr)?;
            self.conn
                .prepare_cached(
                    "INSERT INTO affected(ecosystem, name, advisory, data) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| s.execute(params![eco, name, rowid, data]))
                .map_err(&sq)?;
        }
        self.advisories += 1;
        if p.withdrawn {
            self.withdrawn += 1;
        }
        self.seen.insert(p.id, (rowid, p.modified));
        Ok(())
    }
}

/// Remove leftovers of updates that were killed (`osv.db.tmp-*`). Only called with the lock held.
fn remove_stale(dir: &Path) -> Result<(), Error> {
    for ent in fs::read_dir(dir).map_err(io_err(dir))? {
        let ent = ent.map_err(io_err(dir))?;
        let name = ent.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&format!("{DB_FILE}.tmp-")) {
            let p = ent.path();
            tracing::info!("removing {} left by an interrupted update", p.display());
            fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    Ok(())
}

/// Hold the update lock of `dir` for as long as the returned file lives.
pub(crate) fn lock(dir: &Path) -> Result<fs::File, Error> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let lock_path = dir.join("update.lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_err(&lock_path))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: lock_path }),
        Err(fs::TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
    }
    remove_stale(dir)?;
    Ok(f)
}

pub(crate) fn tmp_path(dir: &Path) -> PathBuf {
    dir.join(format!("{DB_FILE}.tmp-{}", std::process::id()))
}

/// Make `tmp` durable, then rename it to the database path and make the rename durable.
pub(crate) fn publish(tmp: &Path, dir: &Path) -> Result<PathBuf, Error> {
    let f = fs::File::open(tmp).map_err(io_err(tmp))?;
    f.sync_all().map_err(io_err(tmp))?;
    drop(f);
    let dest = dir.join(DB_FILE);
    fs::rename(tmp, &dest).map_err(io_err(&dest))?;
    if let Ok(d) = fs::File::open(dir) {
        // Directory fsync makes the rename survive a power cut; not all filesystems allow it.
        let _ = d.sync_all();
    }
    Ok(dest)
}

const SCHEMA_SQL: &str = "
    PRAGMA page_size = 4096;
    PRAGMA journal_mode = OFF;
    PRAGMA synchronous = OFF;
    PRAGMA locking_mode = EXCLUSIVE;
    CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE advisory(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        modified TEXT NOT NULL,
        withdrawn INTEGER NOT NULL,
        body BLOB NOT NULL
    );
    CREATE TABLE affected(
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,
        advisory INTEGER NOT NULL,
        data BLOB NOT NULL
    );
";

/// Import `opts.sources` into a new database in `dir` and swap it in.
pub fn update(dir: &Path, opts: &UpdateOptions<'_>) -> Result<UpdateReport, Error> {
    if opts.sources.is_empty() {
        return Err(Error::Source {
            source_name: "(none)".into(),
            message: "no source given".into(),
        });
    }
    let _lock = lock(dir)?;
    let tmp = tmp_path(dir);
    let result = build(&tmp, opts);
    match result {
        Ok(mut report) => {
            report.path = publish(&tmp, dir)?;
            report.bytes = fs::metadata(&report.path).map(|m| m.len()).unwrap_or(0);
            Ok(report)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn build(tmp: &Path, opts: &UpdateOptions<'_>) -> Result<UpdateReport, Error> {
    let sq = sqlite_err(tmp);
    let conn = Connection::open(tmp).map_err(&sq)?;
    conn.execute_batch(SCHEMA_SQL).map_err(&sq)?;
    conn.execute_batch("BEGIN").map_err(&sq)?;
    let mut b = Builder {
        conn,
        path: tmp.to_path_buf(),
        codec: None,
        dict: None,
        pending: Vec::new(),
        seen: HashMap::new(),
        stale: Vec::new(),
        problems: Vec::new(),
        fatal: None,
        current: SourceCount {
            source: String::new(),
            advisories: 0,
            skipped: 0,
        },
        advisories: 0,
        withdrawn: 0,
        duplicates: 0,
        progress: opts.progress,
    };
    let mut sources = Vec::new();
    for s in &opts.sources {
        if let Some(p) = opts.progress {
            p.source_started(s);
        }
        b.current = SourceCount {
            source: s.to_string(),
            advisories: 0,
            skipped: 0,
        };
        s.read(&opts.http, &mut b)?;
        if let Some(e) = b.fatal.take() {
            return Err(e);
        }
        sources.push(b.current.clone());
    }
    if b.codec.is_none() {
        b.train_and_flush();
        if let Some(e) = b.fatal.take() {
            return Err(e);
        }
    }
    if b.advisories == 0 {
        return Err(Error::Source {
            source_name: opts
                .sources
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            message: "no OSV records found; the current database was left unchanged".into(),
        });
    }
    let conn = &b.conn;
    if !b.stale.is_empty() {
        let mut del = conn
            .prepare("DELETE FROM affected WHERE advisory = ?1")
            .map_err(&sq)?;
        for r in &b.stale {
            del.execute([r]).map_err(&sq)?;
        }
    }
    conn.execute_batch("CREATE INDEX affected_key ON affected(ecosystem, name);")
        .map_err(&sq)?;
    let built_at = opts
        .now
        .replace_nanosecond(0)
        .unwrap_or(opts.now)
        .format(&Rfc3339)
        .unwrap_or_default();
    let sources_json = serde_json::to_string(&sources).unwrap_or_default();
    let mut meta = conn
        .prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)")
        .map_err(&sq)?;
    meta.execute(params!["schema", SCHEMA.to_string()])
        .map_err(&sq)?;
    meta.execute(params!["built_at", built_at]).map_err(&sq)?;
    meta.execute(params!["sources", sources_json])
        .map_err(&sq)?;
    meta.execute(params!["zoll_version", env!("CARGO_PKG_VERSION")])
        .map_err(&sq)?;
    if let Some(d) = &b.dict {
        meta.execute(params!["dictionary", d]).map_err(&sq)?;
    }
    drop(meta);
    conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA}; COMMIT;"))
        .map_err(&sq)?;
    let report = UpdateReport {
        path: PathBuf::new(),
        advisories: b.advisories,
        withdrawn: b.withdrawn,
        duplicates: b.duplicates,
        problems: std::mem::take(&mut b.problems),
        sources,
        bytes: 0,
    };
    b.conn.close().map_err(|(_, e)| sq(e))?;
    Ok(report)
}
