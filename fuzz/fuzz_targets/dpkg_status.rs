//! Fuzz target: a dpkg status file into the dpkg parser and cataloger.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zoll_catalog::FileCataloger;

fuzz_target!(|data: &[u8]| {
    let _ = zoll_catalog::os::dpkg::parse_status(data);
    let _ = zoll_catalog::os::dpkg::DpkgCataloger.catalog("/var/lib/dpkg/status", data);
});
