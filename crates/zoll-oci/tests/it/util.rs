//! Building layers and images byte by byte, including ones no well-behaved tool would write.

use std::io::Write;

use zoll_core::Digest;
use zoll_oci::{Entry, EntryKind, Visitor};

/// One tar entry to write.
pub(crate) enum E<'a> {
    File(&'a str, &'a [u8]),

    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// A tar with raw header names (so `../` survives, which `tar::Builder::append_data` refuses).
pub(crate) fn tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_old();
        let (name, mut data, kind, link, mode): (&str, &[u8], tar::EntryType, Option<&str>, u32) =
            match e {
                E::File(n, d) => (n, d, tar::EntryType::Regular, None, 0o644),

                E::Dir(n) => (n, b"", tar::EntryType::Directory, None, 0o755),
                E::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, Some(t), 0o777),
                E::Hardlink(n, t) => (n, b"", tar::EntryType::Link, Some(t), 0o644),
            };
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            raw.linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_mtime(0);
        h.set_cksum();
        b.append(&h, &mut data).unwrap();
    }
    b.into_inner().unwrap()
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub(crate) fn diff_id(tar: &[u8]) -> Digest {
    Digest::sha256(tar)
}

/// Records every entry it sees, reading file contents.
#[derive(Default, Debug)]
pub(crate) struct Recorder {
    pub seen: Vec<(String, EntryKind, Vec<u8>)>,
}

impl Visitor for Recorder {
    fn entry(&mut self, entry: &Entry, content: &mut dyn std::io::Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        content.read_to_end(&mut buf)?;
        self.seen
            .push((entry.path.clone(), entry.kind.clone(), buf));
        Ok(())
    }
}

/// Every file below `dir`, as paths relative to it.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}
