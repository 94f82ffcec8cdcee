//! The OSV importer on arbitrary input: bytes starting with `PK` are imported as a zip of
//! records, anything else as one JSON record, through the same `zoll db update` path users run.
//! The import must finish (records skipped with a reason) or fail with an error, never panic;
//! when it builds a database, every affected entry it stored must read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zoll_db::{Db, HttpOptions, Source, UpdateOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let input = if data.starts_with(b"PK") {
        dir.path().join("all.zip")
    } else {
        dir.path().join("record.json")
    };
    if std::fs::write(&input, data).is_err() {
        return;
    }
    let source = if data.starts_with(b"PK") {
        Source::Zip(input)
    } else {
        Source::Json(input)
    };
    let opts = UpdateOptions {
        sources: vec![source],
        http: HttpOptions::default(),
        progress: None,
        now: time::OffsetDateTime::UNIX_EPOCH,
    };
    let db_dir = dir.path().join("db");
    if zoll_db::update(&db_dir, &opts).is_ok() {
        let db = Db::open(&db_dir).expect("a database update() built must open");
        db.status().expect("status of a fresh database");
    }
});
