//! Fuzz target: an rpm header blob into `zoll_rpmdb::parse_header`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = zoll_rpmdb::parse_header(data) {
        let _ = p.nevra();
    }
});
