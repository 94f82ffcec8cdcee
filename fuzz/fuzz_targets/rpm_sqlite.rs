//! Fuzz target: an `rpmdb.sqlite` file into `zoll_rpmdb::read_sqlite`, and the format detection
//! of `read_any`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = zoll_rpmdb::read_sqlite(data);
    let _ = zoll_rpmdb::read_any("rpmdb.sqlite", data);
});
