//! The parsers of user and registry input in zoll-core: digests, image references, purls and
//! platforms. Whatever parses must print back to something that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zoll_core::{Digest, ImageRef, Platform, Purl};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(d) = s.parse::<Digest>() {
        assert_eq!(d.to_string().parse::<Digest>().ok(), Some(d));
    }
    if let Ok(r) = s.parse::<ImageRef>() {
        assert_eq!(r.to_string().parse::<ImageRef>().ok(), Some(r));
    }
    if let Ok(p) = s.parse::<Purl>() {
        assert_eq!(p.to_string().parse::<Purl>().ok(), Some(p));
    }
    if let Ok(p) = s.parse::<Platform>() {
        assert_eq!(p.to_string().parse::<Platform>().ok(), Some(p));
    }
});
