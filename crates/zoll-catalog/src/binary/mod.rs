//! Compiled binaries that record what they were built from: Go build info, cargo-auditable.
//!
//! Both catalogers select executables (any execute bit, or a `.exe` name) and first check the
//! object-file magic, so the many non-binary executables (scripts) cost one comparison.

use crate::{FileCataloger, FileMeta};

pub mod auditable;
pub mod go;

/// Executables larger than this are not read (the walker holds the file in memory).
pub(crate) const MAX_BINARY: u64 = 1024 * 1024 * 1024;

pub(crate) fn catalogers() -> Vec<Box<dyn FileCataloger>> {
    vec![
        Box::new(go::GoBinaryCataloger),
        Box::new(auditable::CargoAuditableCataloger),
    ]
}

/// The path/metadata test both binary catalogers use.
pub(crate) fn selects_binary(path: &str, meta: &FileMeta) -> bool {
    meta.size <= MAX_BINARY
        && (meta.size == 0 || meta.size >= 64)
        && (meta.is_executable() || path.to_ascii_lowercase().ends_with(".exe"))
}

/// ELF, PE, Mach-O (thin or fat) magic.
pub(crate) fn looks_like_object(data: &[u8]) -> bool {
    matches!(
        data.get(..4),
        Some(
            b"\x7fELF"
                | [b'M', b'Z', _, _]
                | b"\xfe\xed\xfa\xce"
                | b"\xfe\xed\xfa\xcf"
                | b"\xce\xfa\xed\xfe"
                | b"\xcf\xfa\xed\xfe"
                | b"\xca\xfe\xba\xbe"
        )
    )
}
