//! Fuzz target: every version parser and ordering in zoll-version. The first byte picks the
//! ecosystem, the rest (UTF-8) holds two versions separated by the first newline. Parsing must
//! never panic, and the order of two parsed versions must be antisymmetric, reflexive and agree
//! with `==`; a version must also parse again from its own text to an equal version.
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use zoll_version::{Ecosystem, Version};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let ecosystem = Ecosystem::ALL[usize::from(selector) % Ecosystem::ALL.len()];
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (a, b) = text.split_once('\n').unwrap_or((text, text));
    let (Ok(va), Ok(vb)) = (Version::parse(ecosystem, a), Version::parse(ecosystem, b)) else {
        return;
    };
    assert_eq!(va.cmp(&va), Ordering::Equal, "{ecosystem}: {a:?} is not equal to itself");
    let ab = va.cmp(&vb);
    let ba = vb.cmp(&va);
    assert_eq!(ab, ba.reverse(), "{ecosystem}: {a:?} vs {b:?} is {ab:?} but the reverse is {ba:?}");
    assert_eq!(va == vb, ab == Ordering::Equal, "{ecosystem}: == disagrees with cmp for {a:?} vs {b:?}");
    assert_eq!(va.partial_cmp(&vb), Some(ab));
    let again = Version::parse(ecosystem, &va.to_string()).expect("a version's own text parses");
    assert_eq!(again.cmp(&va), Ordering::Equal);
});
