//! Fuzz target: release files (os-release and every fallback) into `zoll_catalog::os::release`.
#![no_main]

use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 6] = [
    "/etc/os-release",
    "/etc/lsb-release",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/system-release",
    "/etc/debian_version",
];

fuzz_target!(|data: &[u8]| {
    for p in PATHS {
        if let Some(d) = zoll_catalog::os::release::parse(p, data) {
            let _ = d.purl_qualifier();
        }
    }
});
