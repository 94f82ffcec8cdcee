//! SQLite rpm databases (`rpmdb.sqlite`): table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`,
//! one rpm header blob per row.
//!
//! The bytes are copied into a private temporary file (mode 0600, removed on return) and opened
//! read-only and `immutable`. (An in-memory `sqlite3_deserialize` would avoid the disk, but the
//! safe wrapper for it needs a newer rusqlite than the one sqlx links against, and the workspace
//! can link only one SQLite.) rpm leaves its databases in WAL mode, so the copy's header is
//! switched to the rollback journal (bytes 18-19), the same bytes `PRAGMA journal_mode=DELETE`
//! would write. Only the main file is read: a `-wal` file next to it is ignored, as go-rpmdb
//! ignores it.
//!
//! Hostile databases are contained by SQLite's own corruption checks, by refusing a `Packages`
//! that is not a plain table (a view could run a recursive query forever) or that has generated
//! columns (computed on every read, possibly as a huge blob), and by a progress
//! handler that interrupts any statement running more virtual-machine steps than the file size
//! can justify.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OpenFlags};

use crate::header::parse_header;
use crate::{Error, RpmPackage, check_size};

pub(crate) const MAGIC: &[u8] = b"SQLite format 3\0";
const HEADER_SIZE: usize = 100;
/// Progress-handler granularity (virtual-machine instructions between calls).
const PROGRESS_STEP: i32 = 10_000;

fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |source| Error::Sqlite { context, source }
}

/// Read every package of an `rpmdb.sqlite`, ordered by `hnum` as `rpm -qa` lists them.
pub fn read_sqlite(data: &[u8]) -> Result<Vec<RpmPackage>, Error> {
    check_size(data)?;
    if !data.starts_with(MAGIC) {
        return Err(Error::SqliteContent(
            "missing \"SQLite format 3\" magic".to_owned(),
        ));
    }
    let (head, rest) = data.split_at_checked(HEADER_SIZE).ok_or_else(|| {
        Error::SqliteContent(format!(
            "truncated: {} bytes, the header alone is 100",
            data.len()
        ))
    })?;
    let mut header = [0u8; HEADER_SIZE];
    header.copy_from_slice(head);
    // File format write/read versions: 2 = WAL, 1 = rollback journal.
    for b in header.iter_mut().skip(18).take(2) {
        if *b == 2 {
            *b = 1;
        }
    }

    let mut file = tempfile::Builder::new()
        .prefix("zoll-rpmdb-")
        .tempfile()
        .map_err(|e| Error::SqliteContent(format!("cannot create a temporary copy: {e}")))?;
    file.write_all(&header)
        .and_then(|()| file.write_all(rest))
        .and_then(|()| file.flush())
        .map_err(|e| Error::SqliteContent(format!("cannot write a temporary copy: {e}")))?;
    let conn = Connection::open_with_flags(
        file.path(),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("open temporary copy"))?;
    let _ = conn.pragma_update(None, "query_only", true);

    // Budget: generous for a linear scan of a file this size, small enough to stop a runaway.
    let budget = (data.len() as u64).saturating_mul(64).max(50_000_000);
    let steps = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&steps);
    conn.progress_handler(
        PROGRESS_STEP,
        Some(move || counter.fetch_add(PROGRESS_STEP as u64, Ordering::Relaxed) > budget),
    );
    let _ = conn.pragma_update(None, "cell_size_check", true);
    let _ = conn.pragma_update(None, "trusted_schema", false);

    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| {
            if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
                Ok(None)
            } else {
                Err(e)
            }
        })
        .map_err(sql("read schema"))?;
    match kind.as_deref() {
        Some("table") => {}
        Some(other) => {
            return Err(Error::SqliteContent(format!(
                "Packages is a {other}, not a table"
            )));
        }
        None => return Err(Error::SqliteContent("no Packages table".to_owned())),
    }
    // A virtual generated column is computed on every read (`blob AS (zeroblob(1e9))`).
    let generated: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden <> 0",
            [],
            |r| r.get(0),
        )
        .map_err(sql("read schema"))?;
    if generated != 0 {
        return Err(Error::SqliteContent(
            "Packages has generated or hidden columns".to_owned(),
        ));
    }

    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql("query Packages"))?;
    let mut rows = stmt.query([]).map_err(sql("query Packages"))?;
    let mut packages = Vec::new();
    while let Some(row) = rows.next().map_err(sql("read Packages row"))? {
        let hnum: i64 = row.get(0).map_err(sql("read hnum"))?;
        let blob = row.get_ref(1).map_err(sql("read blob"))?;
        let blob = blob.as_blob().map_err(|_| {
            Error::SqliteContent(format!("package record {hnum}: blob column is not a blob"))
        })?;
        let pkg = parse_header(blob).map_err(|e| Error::Package {
            format: "sqlite",
            record: u64::try_from(hnum).unwrap_or(0),
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

    fn db(setup: &str, blobs: &[Vec<u8>]) -> Vec<u8> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(setup).unwrap();
        for (i, b) in blobs.iter().enumerate() {
            conn.execute(
                "INSERT INTO Packages (hnum, blob) VALUES (?1, ?2)",
                rusqlite::params![i as i64 + 1, b],
            )
            .unwrap();
        }
        conn.serialize(rusqlite::DatabaseName::Main)
            .unwrap()
            .to_vec()
    }

    const SCHEMA: &str =
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);";

    #[test]
    fn reads_synthetic_database() {
        let f = db(SCHEMA, &[package("b"), package("a")]);
        let names: Vec<_> = read_sqlite(&f)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["b", "a"], "hnum order, not name order");
    }

    #[test]
    fn rejects_corruption() {
        let good = db(SCHEMA, &[package("a")]);
        for n in [0, 10, 99, 100, 2000] {
            assert!(
                read_sqlite(&good[..n.min(good.len())]).is_err(),
                "truncated to {n}"
            );
        }
        // Page content overwritten with garbage.
        let mut b = good.clone();
        for x in b.iter_mut().skip(100) {
            *x = 0xa5;
        }
        assert!(read_sqlite(&b).is_err());

        let other = db(
            "CREATE TABLE Other (x); CREATE TABLE Packages2 (hnum, blob);",
            &[],
        );
        assert_eq!(
            read_sqlite(&other).unwrap_err().to_string(),
            "sqlite rpm database: no Packages table"
        );

        let view = db(
            "CREATE TABLE Packages_ (hnum, blob); \
             CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS hnum, x AS blob FROM c;",
            &[],
        );
        assert_eq!(
            read_sqlite(&view).unwrap_err().to_string(),
            "sqlite rpm database: Packages is a view, not a table"
        );

        let generated = db(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob AS (zeroblob(1000000000)));",
            &[],
        );
        assert_eq!(
            read_sqlite(&generated).unwrap_err().to_string(),
            "sqlite rpm database: Packages has generated or hidden columns"
        );

        let bad_blob = db(SCHEMA, &[vec![0, 0, 0, 0, 0, 0, 0, 0]]);
        assert_eq!(
            read_sqlite(&bad_blob).unwrap_err().to_string(),
            "sqlite rpm database, package record 1: malformed rpm header at byte 0: no index entries"
        );
    }
}
