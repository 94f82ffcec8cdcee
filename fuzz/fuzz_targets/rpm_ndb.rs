//! Fuzz target: an NDB `Packages.db` file into `zoll_rpmdb::read_ndb`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = zoll_rpmdb::read_ndb(data);
});
