//! Every cataloger on arbitrary bytes, under each path it selects: the first byte picks a path
//! from a list covering every cataloger. Parsers must return packages or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zoll_catalog::{FileMeta, default_catalogers};

const PATHS: &[&str] = &[
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status.d/base",
    "/lib/apk/db/installed",
    "/var/lib/rpm/Packages",
    "/var/lib/rpm/Packages.db",
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA",
    "/usr/lib/python3/dist-packages/x-1.0.egg-info/PKG-INFO",
    "/usr/lib/python3/dist-packages/x-1.0.egg-info",
    "/app/node_modules/x/package.json",
    "/app/package-lock.json",
    "/src/Cargo.lock",
    "/usr/local/bin/app",
    "/opt/app.jar",
    "/opt/app.war",
    "/usr/share/rubygems-integration/all/specifications/x-1.0.gemspec",
    "/var/www/vendor/composer/installed.json",
    "/opt/app/app.deps.json",
    "/etc/os-release",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let path = PATHS[selector as usize % PATHS.len()];
    let meta = FileMeta { mode: 0o755, size: rest.len() as u64 };
    for c in default_catalogers() {
        if c.selects(path, &meta) {
            let _ = c.catalog(path, rest);
        }
    }
    let _ = zoll_catalog::parse_release_file(path, rest);
});
