//! What zoll looks for in an image besides packages, in the same pass over the layers:
//!
//! - [`Inspector`]s see the bytes of files (secret detection, malware engines) and return
//!   [`CheckFinding`]s. They are given by the caller, so this crate does not depend on them.
//! - [`LayerFacts`] are gathered always (they are cheap): setuid/setgid and world-writable
//!   entries, the account files (`/etc/passwd`, `/etc/shadow`, `/etc/group`), package-manager
//!   caches and `sudo`. They are stacked like files ([`ImageFacts`]), so a later layer that
//!   deletes or replaces a file also removes its fact; the image checks of `zoll-scan` read them.
//!
//! Findings of inspectors are *not* stacked: a secret in a file that a later layer deleted is
//! still in the image (in the lower layer's blob), so it is reported with that layer.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use zoll_core::{CheckFinding, Digest};

/// Why an inspector could not look at a file (e.g. clamd went away). Fails the scan: an engine
/// that was asked for never passes silently.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct InspectError(pub String);

/// Looks at the bytes of files while layers stream.
pub trait Inspector: Sync {
    /// Part of the layer cache key. `None` when results must not be cached (a malware engine's
    /// signatures change outside zoll): then no layer is read from or written to the cache.
    fn fingerprint(&self) -> Option<String>;
    /// Decides from path and size alone whether to read the file.
    fn wants(&self, path: &str, size: u64) -> bool;
    /// Decides from the first [`HEAD_BYTES`] of a file (fewer when the file is shorter) whether
    /// to read the rest: a secret scanner skips binaries after their first 8 KiB.
    fn wants_head(&self, _head: &[u8]) -> bool {
        true
    }
    /// A worker for one layer (layers are read in parallel, one worker each).
    fn layer(&self) -> Result<Box<dyn LayerInspector + '_>, InspectError>;
}

/// Inspects the files of one layer, in archive order.
pub trait LayerInspector {
    fn inspect(&mut self, path: &str, bytes: &[u8]) -> Result<Vec<CheckFinding>, InspectError>;
}

/// How much of a file [`Inspector::wants_head`] sees.
pub const HEAD_BYTES: usize = 8 * 1024;

/// Files whose whole content is kept as a fact (small text files the image checks parse).
pub const ACCOUNT_FILES: [&str; 3] = ["/etc/passwd", "/etc/shadow", "/etc/group"];
const ACCOUNT_FILE_LIMIT: u64 = 4 << 20;

/// Directories whose files are package-manager caches left behind by a build.
pub const CACHE_DIRS: [&str; 9] = [
    "/var/cache/apt/archives",
    "/var/lib/apt/lists",
    "/var/cache/apk",
    "/var/cache/yum",
    "/var/cache/dnf",
    "/root/.cache/pip",
    "/root/.npm/_cacache",
    "/usr/local/share/.cache/yarn",
    "/root/.cache/yarn",
];

/// Paths of a `sudo` binary.
pub const SUDO_PATHS: [&str; 3] = ["/usr/bin/sudo", "/bin/sudo", "/usr/sbin/sudo"];

/// Whether a cache-directory file is real cache content (not the lock or the empty `partial`).
pub fn is_cache_file(path: &str) -> bool {
    CACHE_DIRS.iter().any(|d| {
        path.strip_prefix(d)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| {
                !rest.is_empty()
                    && rest != "lock"
                    && !rest.starts_with("partial")
                    && rest != "auxfiles"
            })
    }) || path
        .strip_prefix("/home/")
        .and_then(|r| r.split_once('/'))
        .is_some_and(|(_, rest)| {
            rest.starts_with(".cache/pip/") || rest.starts_with(".npm/_cacache/")
        })
}

/// Mode bits that make an entry worth recording: setuid, setgid, or writable by everyone.
pub fn is_special_mode(mode: u32, is_dir: bool) -> bool {
    const SETUID: u32 = 0o4000;
    const SETGID: u32 = 0o2000;
    const STICKY: u32 = 0o1000;
    const OTHER_WRITE: u32 = 0o002;
    if is_dir {
        // A world-writable directory is fine with the sticky bit (/tmp).
        mode & OTHER_WRITE != 0 && mode & STICKY == 0
    } else {
        mode & (SETUID | SETGID | OTHER_WRITE) != 0
    }
}

/// Facts about one layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Entries with a special mode ([`is_special_mode`]): path -> (mode, is a directory).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub special: BTreeMap<String, (u32, bool)>,
    /// [`ACCOUNT_FILES`] present in this layer, as text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub account_files: BTreeMap<String, String>,
    /// Package-manager cache files: path -> size.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cache_files: BTreeMap<String, u64>,
    /// [`SUDO_PATHS`] present in this layer.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub sudo: BTreeSet<String>,
    /// Hashes of every path this layer writes: an upper layer that rewrites a setuid file without
    /// the bit replaces the lower fact even though its own entry is not special.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<u64>,
}

/// 64-bit FNV-1a of a path (stable across runs, unlike `DefaultHasher`; cached analyses keep it).
pub(crate) fn path_hash(path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The facts of the stacked filesystem, each with the layer (diff-id) that put it there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFacts {
    pub special: BTreeMap<String, (u32, bool, Option<Digest>)>,
    pub account_files: BTreeMap<String, (String, Option<Digest>)>,
    pub cache_files: BTreeMap<String, (u64, Option<Digest>)>,
    pub sudo: BTreeMap<String, Option<Digest>>,
}

/// Delete `path` and everything below it (a whiteout).
fn delete<V>(map: &mut BTreeMap<String, V>, path: &str) {
    map.remove(path);
    delete_under(map, path);
}

fn delete_under<V>(map: &mut BTreeMap<String, V>, dir: &str) {
    let prefix = if dir == "/" {
        "/".to_owned()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = map
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        map.remove(&k);
    }
}

/// One layer's deletions and writes, applied to one fact map.
struct Stack<'a> {
    whiteouts: &'a [String],
    opaque: &'a [String],
    symlinks: Vec<&'a String>,
    written: HashSet<u64>,
}

impl Stack<'_> {
    fn apply<V>(&self, map: &mut BTreeMap<String, V>) {
        for d in self.opaque {
            delete_under(map, d);
        }
        for p in self.whiteouts {
            delete(map, p);
        }
        for p in &self.symlinks {
            map.remove(p.as_str());
        }
        map.retain(|k, _| !self.written.contains(&path_hash(k)));
    }
}

/// Stack the facts of layers, lowest first.
pub(crate) fn stack(layers: &[&crate::LayerAnalysis], layer_ids: &[Option<Digest>]) -> ImageFacts {
    let mut out = ImageFacts::default();
    for (i, layer) in layers.iter().enumerate() {
        let id = layer_ids.get(i).cloned().flatten();
        let s = Stack {
            whiteouts: &layer.whiteouts,
            opaque: &layer.opaque_dirs,
            symlinks: layer.symlinks.keys().collect(),
            written: layer.facts.written.iter().copied().collect(),
        };
        s.apply(&mut out.special);
        s.apply(&mut out.account_files);
        s.apply(&mut out.cache_files);
        s.apply(&mut out.sudo);
        let f = &layer.facts;
        for (p, (mode, dir)) in &f.special {
            out.special.insert(p.clone(), (*mode, *dir, id.clone()));
        }
        for (p, text) in &f.account_files {
            out.account_files
                .insert(p.clone(), (text.clone(), id.clone()));
        }
        for (p, size) in &f.cache_files {
            out.cache_files.insert(p.clone(), (*size, id.clone()));
        }
        for p in &f.sudo {
            out.sudo.insert(p.clone(), id.clone());
        }
    }
    out
}

/// Record the facts of one entry (called by the analyzer for every entry). `text` is the
/// content when the entry is an account file that was read.
pub(crate) fn record(
    facts: &mut LayerFacts,
    path: &str,
    mode: u32,
    is_dir: bool,
    size: u64,
) -> bool {
    if !is_dir {
        facts.written.push(path_hash(path));
    }
    if is_special_mode(mode, is_dir) {
        facts.special.insert(path.to_owned(), (mode, is_dir));
    }
    if is_dir {
        return false;
    }
    if is_cache_file(path) {
        facts.cache_files.insert(path.to_owned(), size);
    }
    if SUDO_PATHS.contains(&path) {
        facts.sudo.insert(path.to_owned());
    }
    ACCOUNT_FILES.contains(&path) && size <= ACCOUNT_FILE_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LayerAnalysis;

    fn layer(f: impl FnOnce(&mut LayerAnalysis)) -> LayerAnalysis {
        let mut a = LayerAnalysis::default();
        f(&mut a);
        a
    }

    #[test]
    fn special_modes() {
        assert!(is_special_mode(0o4755, false));
        assert!(is_special_mode(0o2755, false));
        assert!(is_special_mode(0o666, false));
        assert!(!is_special_mode(0o755, false));
        assert!(!is_special_mode(0o1777, true), "/tmp is fine");
        assert!(is_special_mode(0o777, true));
    }

    #[test]
    fn cache_paths() {
        assert!(is_cache_file("/var/cache/apt/archives/curl_8.deb"));
        assert!(is_cache_file(
            "/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease"
        ));
        assert!(!is_cache_file("/var/lib/apt/lists/lock"));
        assert!(!is_cache_file("/var/lib/apt/lists/partial"));
        assert!(!is_cache_file("/var/lib/apt/listsX/a"));
        assert!(is_cache_file("/home/app/.cache/pip/http/1/2/abc"));
        assert!(!is_cache_file("/home/app/.cache/other"));
    }

    #[test]
    fn later_layers_delete_and_replace_facts() {
        let mut l0 = layer(|_| {});
        for (p, m) in [
            ("/usr/bin/passwd", 0o4755),
            ("/usr/bin/su", 0o4755),
            ("/opt/x/y", 0o4755),
        ] {
            let _ = record(&mut l0.facts, p, m, false, 1);
        }
        let _ = record(
            &mut l0.facts,
            "/var/cache/apt/archives/a.deb",
            0o644,
            false,
            10,
        );
        // Layer 1: chmod u-s passwd (rewritten, not special), delete su, opaque /opt/x.
        let mut l1 = layer(|a| {
            a.whiteouts.push("/usr/bin/su".into());
            a.opaque_dirs.push("/opt/x".into());
        });
        let _ = record(&mut l1.facts, "/usr/bin/passwd", 0o755, false, 1);
        let _ = record(&mut l1.facts, "/usr/bin/newgrp", 0o2755, false, 1);
        let ids = vec![Some(Digest::sha256(b"0")), Some(Digest::sha256(b"1"))];
        let facts = stack(&[&l0, &l1], &ids);
        let keys: Vec<&String> = facts.special.keys().collect();
        assert_eq!(keys, ["/usr/bin/newgrp"]);
        assert_eq!(facts.special["/usr/bin/newgrp"].2, ids[1]);
        assert_eq!(facts.cache_files.len(), 1);
    }
}
