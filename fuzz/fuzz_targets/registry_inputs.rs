//! Everything the registry parses from a request before it touches a store: the path, the
//! manifest body (under every media type), token scopes and bearer tokens.
#![no_main]

use libfuzzer_sys::fuzz_target;

const TYPES: [Option<&str>; 6] = [
    None,
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json"),
    Some("application/json; charset=utf-8"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let _ = zoll_registry::dist::check_manifest(TYPES[usize::from(selector) % TYPES.len()], rest);
    if let Ok(text) = std::str::from_utf8(rest) {
        if let Some(route) = zoll_registry::routes::parse(text) {
            let _ = route.name();
        }
        let _ = zoll_registry::routes::parse_reference(text);
        let _ = zoll_auth::parse_scopes(&[text]);
        let issuer = zoll_auth::TokenIssuer::new(
            zoll_auth::TokenKey::generate(),
            "zoll",
            std::time::Duration::from_secs(60),
        );
        let _ = issuer.verify(text, "zoll", time::OffsetDateTime::UNIX_EPOCH);
    }
});
