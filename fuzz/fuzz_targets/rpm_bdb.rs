//! Fuzz target: a Berkeley DB hash `Packages` file into `zoll_rpmdb::read_bdb`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = zoll_rpmdb::read_bdb(data);
});
