//! Go executables: the build information the Go linker embeds (`\xff Go buildinf:` blob, in the
//! `.go.buildinfo` section of ELF, `__go_buildinfo` of Mach-O, or the data of a PE file).
//!
//! Two layouts exist: Go 1.18+ stores the toolchain version and the module info inline as
//! varint-prefixed strings (flag bit 2); older toolchains store two pointers to Go string
//! headers, which are resolved through the file's sections. The module info lists `path`, `mod`
//! (the main module), `dep` lines and `=>` replacement lines.
//!
//! Packages, as Syft's `go-module-binary-cataloger` reports them: the main module (version
//! `(devel)` for a local build), every dependency (`pkg:golang/<module path>@<version>`, the
//! replacement's path and version when replaced by another module; a `(devel)` main module built
//! from a VCS checkout gets Syft's pseudo-version from `vcs.time`/`vcs.revision`), and the toolchain as
//! `pkg:golang/stdlib@1.19.8` with licence BSD-3-Clause. Difference, on purpose: a dependency
//! replaced by a local directory (`=> ../localdep`) keeps its module path with version
//! `(devel)`; Syft reports the directory as if it were a module path (`pkg:golang/../localdep`).

use object::{Object, ObjectSection};
use zoll_core::{Package, PackageType, Purl};

use super::{looks_like_object, selects_binary};
use crate::{CatalogError, FileCataloger, FileMeta};

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Strings in the old pointer layout longer than this are not believed.
const MAX_STRING: u64 = 16 * 1024 * 1024;

/// A module line of the module info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    pub sum: String,
    pub replace: Option<Box<GoModule>>,
}

/// What a Go binary says about how it was built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoBuildInfo {
    /// `go1.19.8`, as the runtime reports it.
    pub go_version: String,
    /// The main package path (`path` line).
    pub path: String,
    pub main: Option<GoModule>,
    pub deps: Vec<GoModule>,
    /// `build` lines: `-compiler=gc`, `vcs.revision=...`, ...
    pub settings: Vec<(String, String)>,
}

impl GoBuildInfo {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The main module's version as Syft reports it: a local build (`(devel)`) made from a VCS
    /// checkout gets the pseudo-version `v0.0.0-<commit time>-<12 hex digits of the revision>`.
    pub fn main_version(&self) -> Option<String> {
        let main = self.main.as_ref()?;
        if main.version != "(devel)" {
            return Some(main.version.clone());
        }
        let (Some(rev), Some(time)) = (self.setting("vcs.revision"), self.setting("vcs.time"))
        else {
            return Some(main.version.clone());
        };
        // vcs.time is RFC 3339 in UTC: 2026-11-23T00:17:25Z -> 20261123001725
        let stamp: String = time.chars().take(19).filter(char::is_ascii_digit).collect();
        let rev: String = rev.chars().take(12).collect();
        if stamp.len() != 14 || rev.len() != 12 {
            return Some(main.version.clone());
        }
        Some(format!("v0.0.0-{stamp}-{rev}"))
    }
}

/// Parse the text of the module info (without its 16-byte sentinels); `go_version` is left empty.
pub fn parse_modinfo(s: &str) -> GoBuildInfo {
    let mut path = String::new();
    let mut main = None;
    let mut deps: Vec<GoModule> = Vec::new();
    let mut settings = Vec::new();
    // Which module a `=>` line replaces: true = main, false = last dep.
    let mut last_is_main = false;
    for line in s.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        let module = |f: &mut std::str::Split<'_, char>| GoModule {
            path: f.next().unwrap_or("").to_owned(),
            version: f.next().unwrap_or("").to_owned(),
            sum: f.next().unwrap_or("").to_owned(),
            replace: None,
        };
        match kind {
            "path" => path = f.next().unwrap_or("").to_owned(),
            "mod" => {
                main = Some(module(&mut f));
                last_is_main = true;
            }
            "dep" => {
                deps.push(module(&mut f));
                last_is_main = false;
            }
            "=>" => {
                let r = Some(Box::new(module(&mut f)));
                let target = if last_is_main {
                    main.as_mut()
                } else {
                    deps.last_mut()
                };
                if let Some(t) = target {
                    t.replace = r;
                }
            }
            "build" => {
                let kv = f.next().unwrap_or("");
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                settings.push((k.to_owned(), v.to_owned()));
            }
            _ => {}
        }
    }
    GoBuildInfo {
        go_version: String::new(),
        path,
        main,
        deps,
        settings,
    }
}

/// Read a uvarint-prefixed string; returns it and the rest.
fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut n: u64 = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let c = *b.get(i)?;
        i += 1;
        n |= u64::from(c & 0x7f) << shift;
        if c & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let n = usize::try_from(n).ok()?;
    let end = i.checked_add(n)?;
    Some((b.get(i..end)?, b.get(end..)?))
}

/// Strip the sentinels around the module info, as `debug/buildinfo` does.
fn strip_modinfo(m: &[u8]) -> &[u8] {
    let n = m.len();
    if n >= 33 && m.get(n - 17) == Some(&b'\n') {
        m.get(16..n - 16).unwrap_or(b"")
    } else {
        b""
    }
}

/// Decode a build info blob that starts with the magic. `read` maps a virtual address and a
/// length to bytes of the file (needed only by the pre-1.18 pointer layout).
pub fn decode_blob<'a>(
    blob: &'a [u8],
    read: &dyn Fn(u64, u64) -> Option<&'a [u8]>,
) -> Result<(String, String), String> {
    let header = blob.get(..32).ok_or("truncated go build info header")?;
    if !header.starts_with(MAGIC) {
        return Err("no go build info magic".to_owned());
    }
    let ptr_size = usize::from(header.get(14).copied().unwrap_or(0));
    let flags = header.get(15).copied().unwrap_or(0);
    if flags & 2 != 0 {
        let rest = blob.get(32..).unwrap_or(b"");
        let (version, rest) = varint_string(rest).ok_or("truncated go version string")?;
        let (modinfo, _) = varint_string(rest).ok_or("truncated go module info string")?;
        return Ok((
            String::from_utf8_lossy(version).into_owned(),
            String::from_utf8_lossy(strip_modinfo(modinfo)).into_owned(),
        ));
    }
    if ptr_size != 4 && ptr_size != 8 {
        return Err(format!(
            "unsupported pointer size {ptr_size} in go build info"
        ));
    }
    let big_endian = flags & 1 != 0;
    let word = |b: &[u8]| -> Option<u64> {
        let b = b.get(..ptr_size)?;
        let mut v: u64 = 0;
        for i in 0..ptr_size {
            let byte = u64::from(*b.get(if big_endian { i } else { ptr_size - 1 - i })?);
            v = (v << 8) | byte;
        }
        Some(v)
    };
    let read_string = |addr: u64| -> Option<&'a [u8]> {
        let hdr = read(addr, 2 * ptr_size as u64)?;
        let data = word(hdr)?;
        let len = word(hdr.get(ptr_size..)?)?;
        if len == 0 {
            return Some(b"");
        }
        if len > MAX_STRING {
            return None;
        }
        read(data, len)
    };
    let version_addr =
        word(blob.get(16..).unwrap_or(b"")).ok_or("truncated go build info pointers")?;
    let modinfo_addr =
        word(blob.get(16 + ptr_size..).unwrap_or(b"")).ok_or("truncated go build info pointers")?;
    let version = read_string(version_addr).ok_or("go version string points outside the file")?;
    let modinfo = read_string(modinfo_addr).unwrap_or(b"");
    Ok((
        String::from_utf8_lossy(version).into_owned(),
        String::from_utf8_lossy(strip_modinfo(modinfo)).into_owned(),
    ))
}

fn find_magic(data: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(rel) = data.get(start..)?.iter().position(|&b| b == 0xff) {
        let i = start + rel;
        if data.get(i..i + MAGIC.len()) == Some(MAGIC) {
            return Some(i);
        }
        start = i + 1;
    }
    None
}

/// Find and decode the build info of an executable; `Ok(None)` when it is not a Go binary.
pub fn parse_go_binary(data: &[u8]) -> Result<Option<GoBuildInfo>, String> {
    if !looks_like_object(data) {
        return Ok(None);
    }
    let Ok(file) = object::File::parse(data) else {
        return Ok(None);
    };
    let named = file
        .sections()
        .find(|s| matches!(s.name(), Ok(".go.buildinfo" | "__go_buildinfo")));
    let blob: &[u8] = match named.and_then(|s| s.data().ok()) {
        Some(d) => match find_magic(d) {
            Some(i) => d.get(i..).unwrap_or(b""),
            None => return Ok(None),
        },
        // PE (and stripped section headers): search the file, as the blob sits in .data.
        None => match find_magic(data) {
            Some(i) => data.get(i..).unwrap_or(b""),
            None => return Ok(None),
        },
    };
    let sections: Vec<(u64, &[u8])> = file
        .sections()
        .filter_map(|s| Some((s.address(), s.data().ok()?)))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    let read = |addr: u64, len: u64| -> Option<&[u8]> {
        sections.iter().find_map(|(base, d)| {
            let off = addr.checked_sub(*base)?;
            let end = off.checked_add(len)?;
            d.get(usize::try_from(off).ok()?..usize::try_from(end).ok()?)
        })
    };
    let (go_version, modinfo) = decode_blob(blob, &read)?;
    Ok(Some(GoBuildInfo {
        go_version,
        ..parse_modinfo(&modinfo)
    }))
}

/// `pkg:golang/<path>@<version>`: the namespace is everything before the last `/`.
fn golang_purl(path: &str, version: &str) -> Result<Purl, zoll_core::PurlError> {
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    Purl::new("golang", ns, name, Some(version))
}

fn is_local_path(p: &str) -> bool {
    p.starts_with('.') || p.starts_with('/') || p.get(1..3) == Some(":\\")
}

/// The toolchain version without the `go` prefix and experiment suffixes (`go1.20.5 X:boringcrypto`).
pub fn stdlib_version(go_version: &str) -> Option<&str> {
    let v = go_version.split_whitespace().next()?.strip_prefix("go")?;
    (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then_some(v)
}

/// `go-binary`: modules compiled into Go executables.
pub struct GoBinaryCataloger;

impl FileCataloger for GoBinaryCataloger {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        selects_binary(path, meta)
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let Some(info) = parse_go_binary(data).map_err(|e| CatalogError::malformed(path, e))?
        else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Package> = Vec::new();
        let mut push =
            |name: &str, version: &str, licenses: Vec<String>| -> Result<(), CatalogError> {
                if name.is_empty() || version.is_empty() {
                    return Ok(());
                }
                let purl = golang_purl(name, version)
                    .map_err(|e| CatalogError::malformed(path, format!("module {name:?}: {e}")))?;
                if out.iter().any(|p| p.purl == purl) {
                    return Ok(());
                }
                out.push(Package {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    kind: PackageType::GoModule,
                    purl,
                    licenses,
                    source: None,
                    arch: None,
                    locations: vec![path.to_owned()],
                    layer: None,
                    found_by: "go-binary".to_owned(),
                });
                Ok(())
            };
        let resolve = |m: &GoModule| -> (String, String) {
            match &m.replace {
                Some(r) if is_local_path(&r.path) => (m.path.clone(), "(devel)".to_owned()),
                Some(r) => (
                    r.path.clone(),
                    if r.version.is_empty() {
                        m.version.clone()
                    } else {
                        r.version.clone()
                    },
                ),
                None => (m.path.clone(), m.version.clone()),
            }
        };
        if let Some(main) = &info.main {
            let (n, v) = resolve(main);
            let v = if main.replace.is_none() {
                info.main_version().unwrap_or(v)
            } else {
                v
            };
            push(&n, &v, Vec::new())?;
        }
        for d in &info.deps {
            let (n, v) = resolve(d);
            push(&n, &v, Vec::new())?;
        }
        if let Some(v) = stdlib_version(&info.go_version) {
            push("stdlib", v, vec!["BSD-3-Clause".to_owned()])?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    const MODINFO: &str = "path\tgithub.com/zoll/gofixture\nmod\tgithub.com/zoll/gofixture\t(devel)\t\ndep\texample.org/localdep\tv0.0.0\t\n=>\t../localdep\t(devel)\t\ndep\tgithub.com/example/greet\tv1.2.3\t\ndep\tgolang.org/x/net\tv0.0.0-20220722155237-a158d28d115b\th1:abc=\n=>\tgolang.org/x/net\tv0.7.0\th1:def=\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n";

    fn wrapped_modinfo() -> Vec<u8> {
        [START, MODINFO.as_bytes(), END].concat()
    }

    #[test]
    fn modinfo_lines() {
        let info = parse_modinfo(MODINFO);
        assert_eq!(info.path, "github.com/zoll/gofixture");
        assert_eq!(info.main.as_ref().unwrap().version, "(devel)");
        assert_eq!(info.main_version().as_deref(), Some("(devel)"));
        assert_eq!(info.deps.len(), 3);
        assert_eq!(info.deps[0].replace.as_ref().unwrap().path, "../localdep");
        assert_eq!(info.deps[2].replace.as_ref().unwrap().version, "v0.7.0");
        assert_eq!(info.setting("GOOS"), Some("linux"));
        let vcs = parse_modinfo(&format!(
            "{MODINFO}build\tvcs=git\nbuild\tvcs.revision=c4402aac0b02f1e3d0a4b5c6d7e8f9a0b1c2d3e4\nbuild\tvcs.time=2026-11-23T00:17:25Z\nbuild\tvcs.modified=true\n"
        ));
        assert_eq!(
            vcs.main_version().as_deref(),
            Some("v0.0.0-20261123001725-c4402aac0b02")
        );
    }

    #[test]
    fn inline_layout() {
        let mut blob = MAGIC.to_vec();
        blob.extend([8u8, 2]);
        blob.resize(32, 0);
        let v = b"go1.21.3";
        blob.push(v.len() as u8);
        blob.extend(v);
        let m = wrapped_modinfo();
        // two-byte uvarint length
        blob.push((m.len() as u8 & 0x7f) | 0x80);
        blob.push((m.len() >> 7) as u8);
        blob.extend(&m);
        let (ver, modinfo) = decode_blob(&blob, &|_, _| None).unwrap();
        assert_eq!(ver, "go1.21.3");
        assert_eq!(modinfo, MODINFO);
        assert!(decode_blob(&blob[..40], &|_, _| None).is_err());
    }

    #[test]
    fn pointer_layout() {
        // Go < 1.18, 64-bit little endian: header, then pointers to string headers in memory.
        let m = wrapped_modinfo();
        let v = b"go1.16.15";
        // Memory image at base 0x1000: [ver hdr 16][mod hdr 16][ver bytes][mod bytes]
        let base = 0x1000u64;
        let mut mem = Vec::new();
        let ver_data = base + 32;
        let mod_data = ver_data + v.len() as u64;
        mem.extend(ver_data.to_le_bytes());
        mem.extend((v.len() as u64).to_le_bytes());
        mem.extend(mod_data.to_le_bytes());
        mem.extend((m.len() as u64).to_le_bytes());
        mem.extend(v);
        mem.extend(&m);
        let mut blob = MAGIC.to_vec();
        blob.extend([8u8, 0]);
        blob.extend(base.to_le_bytes());
        blob.extend((base + 16).to_le_bytes());
        let read = |addr: u64, len: u64| -> Option<&[u8]> {
            let off = usize::try_from(addr.checked_sub(base)?).ok()?;
            mem.get(off..off + usize::try_from(len).ok()?)
        };
        let (ver, modinfo) = decode_blob(&blob, &read).unwrap();
        assert_eq!(ver, "go1.16.15");
        assert_eq!(modinfo, MODINFO);
        // Big-endian 32-bit pointers pointing nowhere fail cleanly.
        let mut bad = MAGIC.to_vec();
        bad.extend([4u8, 1]);
        bad.extend([0, 0, 0, 1, 0, 0, 0, 2]);
        bad.resize(32, 0);
        assert!(decode_blob(&bad, &read).is_err());
    }

    #[test]
    fn versions_and_selection() {
        assert_eq!(stdlib_version("go1.19.8"), Some("1.19.8"));
        assert_eq!(stdlib_version("go1.20.5 X:boringcrypto"), Some("1.20.5"));
        assert_eq!(stdlib_version("devel go1.22-abcdef"), None);
        assert_eq!(
            golang_purl("gopkg.in/yaml.v3", "v3.0.1")
                .unwrap()
                .to_string(),
            "pkg:golang/gopkg.in/yaml.v3@v3.0.1"
        );
        assert_eq!(parse_go_binary(b"#!/bin/sh\n").unwrap(), None);
        assert!(GoBinaryCataloger.selects(
            "/usr/local/bin/app",
            &FileMeta {
                mode: 0o755,
                size: 1 << 20
            }
        ));
        assert!(GoBinaryCataloger.selects(
            "/app/tool.exe",
            &FileMeta {
                mode: 0o644,
                size: 1 << 20
            }
        ));
        assert!(!GoBinaryCataloger.selects(
            "/etc/passwd",
            &FileMeta {
                mode: 0o644,
                size: 1 << 10
            }
        ));
    }
}
