//! End-to-end tests of the database against the real OSV exports in `../shared/data/osv`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use zoll_db::{Db, Error, HttpOptions, Source, UpdateOptions, update};

fn data() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/osv");
    assert!(
        d.is_dir(),
        "the shared OSV data is missing at {}: these tests need ../shared/data (see README)",
        d.display()
    );
    d
}

fn opts(sources: Vec<Source>) -> UpdateOptions<'static> {
    UpdateOptions {
        sources,
        http: HttpOptions::default(),
        progress: None,
        now: OffsetDateTime::now_utc(),
    }
}

fn src(p: &Path) -> Source {
    p.to_str().unwrap().parse().unwrap()
}

fn json_size(zip: &Path) -> u64 {
    let f = std::fs::File::open(zip).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    (0..z.len()).map(|i| z.by_index(i).unwrap().size()).sum()
}

#[test]
fn imports_the_shared_exports_and_finds_known_records() {
    let d = data();
    let dir = tempfile::tempdir().unwrap();
    let zips = ["crates.io", "Go", "PyPI"].map(|e| d.join(e).join("all.zip"));
    let mut sources: Vec<Source> = zips.iter().map(|z| src(z)).collect();
    sources.push(src(&d.join("ghsa-sample")));
    let t = std::time::Instant::now();
    let report = update(dir.path(), &opts(sources)).unwrap();
    eprintln!(
        "imported {} advisories in {:?}, {} bytes",
        report.advisories,
        t.elapsed(),
        report.bytes
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // 1,206 + 4,291 + 2,661 in the zips, plus 62 GHSA records.
    assert_eq!(report.advisories, 1206 + 4291 + 2661 + 62);
    let json: u64 = zips.iter().map(|z| json_size(z)).sum();
    assert!(
        report.bytes * 3 <= json,
        "index {} bytes vs JSON {json}",
        report.bytes
    );

    let db = Db::open(dir.path()).unwrap();
    let st = db.status().unwrap();
    let count = |e: &str| {
        st.ecosystems
            .iter()
            .find(|c| c.ecosystem == e)
            .map(|c| c.advisories)
    };
    assert!(count("PyPI").unwrap() > 2600, "{:?}", st.ecosystems);
    assert!(count("Go").unwrap() > 4000);
    assert!(count("npm").unwrap() >= 20);

    // A PyPI name matches through PEP 503 whatever its spelling.
    let rows = db.affected("PyPI", "Jinja2").unwrap();
    assert!(
        rows.iter().any(|r| r.advisory_id.starts_with("PYSEC-")),
        "{rows:?}"
    );
    assert_eq!(rows.len(), db.affected("PyPI", "jinja2").unwrap().len());
    let body = db.body(rows[0].advisory).unwrap();
    assert_eq!(body.id, rows[0].advisory_id);
    assert!(!body.aliases.is_empty());
    assert!(db.affected("Go", "stdlib").unwrap().len() > 100);
    assert!(
        db.affected("crates.io", "smallvec")
            .unwrap()
            .iter()
            .any(|r| r.advisory_id.starts_with("RUSTSEC-"))
    );
}

#[test]
fn a_corrupt_member_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("all.zip");
    {
        let f = std::fs::File::create(&zpath).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("GOOD-1.json", o).unwrap();
        z.write_all(br#"{"id":"GOOD-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"versions":["1.0.0"]}]}"#).unwrap();
        z.start_file("BAD-JSON.json", o).unwrap();
        z.write_all(b"{\"id\": ").unwrap();
        z.start_file("BAD-CRC.json", o).unwrap();
        z.write_all(br#"{"id":"BAD-CRC","modified":"2024-01-01T00:00:00Z"}"#)
            .unwrap();
        z.finish().unwrap();
    }
    // Flip one byte inside the stored BAD-CRC member so its CRC no longer holds.
    let mut bytes = std::fs::read(&zpath).unwrap();
    let at = bytes.windows(7).rposition(|w| w == b"BAD-CRC").unwrap();
    let pos = bytes[..at].iter().rposition(|b| *b == b'"').unwrap();
    let at2 = bytes
        .windows(14)
        .position(|w| w == b"{\"id\":\"BAD-CRC")
        .unwrap();
    assert!(at2 < pos || pos > 0);
    bytes[at2 + 8] = b'X';
    std::fs::write(&zpath, &bytes).unwrap();

    let db_dir = dir.path().join("db");
    let report = update(&db_dir, &opts(vec![src(&zpath)])).unwrap();
    assert_eq!(report.advisories, 1);
    let names: Vec<_> = report.problems.iter().map(|p| p.origin.clone()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("all.zip!BAD-JSON.json")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with("all.zip!BAD-CRC.json")),
        "{names:?}"
    );
    let db = Db::open(&db_dir).unwrap();
    assert_eq!(db.affected("npm", "x").unwrap().len(), 1);
}

#[test]
fn newer_records_replace_older_and_withdrawn_ones_do_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let rec = |modified: &str, withdrawn: bool, name: &str| {
        let w = if withdrawn {
            r#","withdrawn":"2024-03-01T00:00:00Z""#
        } else {
            ""
        };
        format!(
            r#"{{"id":"X-1","modified":"{modified}"{w},"affected":[{{"package":{{"ecosystem":"npm","name":"{name}"}},"versions":["1.0.0"]}}]}}"#
        )
    };
    std::fs::write(
        a.join("X-1.json"),
        rec("2024-01-01T00:00:00Z", false, "old"),
    )
    .unwrap();
    std::fs::write(
        b.join("X-1.json"),
        rec("2024-02-01T00:00:00Z", false, "new"),
    )
    .unwrap();
    let db_dir = dir.path().join("db");
    let r = update(&db_dir, &opts(vec![src(&a), src(&b)])).unwrap();
    assert_eq!((r.advisories, r.duplicates), (1, 1));
    let db = Db::open(&db_dir).unwrap();
    assert!(db.affected("npm", "old").unwrap().is_empty());
    assert_eq!(db.affected("npm", "new").unwrap().len(), 1);
    drop(db);

    std::fs::write(b.join("X-1.json"), rec("2024-03-01T00:00:00Z", true, "new")).unwrap();
    update(&db_dir, &opts(vec![src(&a), src(&b)])).unwrap();
    let db = Db::open(&db_dir).unwrap();
    assert!(db.affected("npm", "new").unwrap().is_empty());
    assert!(db.affected("npm", "old").unwrap().is_empty());
    assert_eq!(db.status().unwrap().withdrawn, 1);
}

#[test]
fn schema_checks_missing_db_and_export_import() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("none");
    assert!(matches!(Db::open(&empty), Err(Error::Missing { .. })));
    let msg = Db::open(&empty).unwrap_err().to_string();
    assert!(msg.contains("zoll db update"), "{msg}");

    let db_dir = dir.path().join("db");
    update(&db_dir, &opts(vec![src(&data().join("ghsa-sample"))])).unwrap();
    let export = dir.path().join("out/zoll-db.export");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    zoll_db::export(&db_dir, &export).unwrap();

    let other = dir.path().join("other");
    let st = zoll_db::import(&export, &other).unwrap();
    assert_eq!(st.advisories, 62);
    assert!(
        !Db::open(&other)
            .unwrap()
            .affected("npm", "lodash")
            .unwrap()
            .is_empty()
    );

    // Not an export, and a truncated export: refused, the installed database untouched.
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"hello world, not a database").unwrap();
    assert!(matches!(
        zoll_db::import(&junk, &other),
        Err(Error::NotAnExport { .. })
    ));
    let bytes = std::fs::read(&export).unwrap();
    std::fs::write(&junk, &bytes[..bytes.len() / 2]).unwrap();
    let e = zoll_db::import(&junk, &other).unwrap_err();
    assert!(e.to_string().contains("junk"), "{e}");
    assert_eq!(Db::open(&other).unwrap().advisories(), 62);
    let leftovers: Vec<_> = std::fs::read_dir(&other)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}"); // osv.db and update.lock

    // A database of a newer schema is refused with a clear message.
    let c = rusqlite::Connection::open(other.join("osv.db")).unwrap();
    c.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(c);
    let e = Db::open(&other).unwrap_err();
    assert!(matches!(e, Error::NewerSchema { found: 99, .. }), "{e}");
    assert!(e.to_string().contains("newer"), "{e}");
}

#[test]
fn unreadable_sources_abort_and_keep_the_old_database() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");
    update(&db_dir, &opts(vec![src(&data().join("ghsa-sample"))])).unwrap();
    let notzip = dir.path().join("broken.zip");
    std::fs::write(&notzip, b"PK\x03\x04 truncated").unwrap();
    let e = update(&db_dir, &opts(vec![src(&notzip)])).unwrap_err();
    assert!(e.to_string().contains("broken.zip"), "{e}");
    assert_eq!(Db::open(&db_dir).unwrap().advisories(), 62);
    assert!(
        "/nonexistent/osv"
            .parse::<Source>()
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/osv")
    );
}
