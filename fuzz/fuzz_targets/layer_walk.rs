//! The tar/whiteout layer walker on arbitrary bytes (plain, or gzip/zstd when the bytes say so):
//! it must return `Ok` or an error, never panic, hang or read past its limits.
#![no_main]

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use zoll_oci::{Entry, LayerExpect, Limits, Visitor, walk_layer};

struct ReadAll;

impl Visitor for ReadAll {
    fn entry(&mut self, _entry: &Entry, content: &mut dyn Read) -> std::io::Result<()> {
        std::io::copy(&mut content.take(1 << 20), &mut std::io::sink())?;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_layer_bytes: 64 << 20, max_ratio: 100, ratio_grace: 1 << 20, max_entries: 10_000 };
    let _ = walk_layer(Cursor::new(data), &LayerExpect::default(), &limits, &mut ReadAll);
});
