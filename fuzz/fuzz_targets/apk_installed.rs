//! Fuzz target: an apk `installed` database into the apk parser and cataloger.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zoll_catalog::FileCataloger;

fuzz_target!(|data: &[u8]| {
    let _ = zoll_catalog::os::apk::parse_installed(data);
    let _ = zoll_catalog::os::apk::ApkCataloger.catalog("/lib/apk/db/installed", data);
});
