//! Walking a root filesystem directory (`dir:PATH`) as if it were a single layer: the same
//! [`Visitor`] sees the same [`Entry`] values. Symlinks are reported, never followed, so nothing
//! outside the root is ever read.

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use fs_err as fs;

use crate::walk::{Entry, EntryKind, Visitor};

/// Why a directory could not be walked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

/// Walk `root` depth-first in name order, offering every entry to `visitor`. Unreadable
/// subdirectories are reported to `on_skip` and skipped; the walk goes on.
pub fn walk_dir(
    root: &Path,
    visitor: &mut dyn Visitor,
    on_skip: &mut dyn FnMut(String),
) -> Result<u64, DirError> {
    let meta = fs::symlink_metadata(root).map_err(|e| DirError::Io {
        path: root.display().to_string(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Err(DirError::Io {
            path: root.display().to_string(),
            source: io::Error::other("not a directory"),
        });
    }
    let mut count = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                on_skip(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let mut children: Vec<_> = rd.filter_map(Result::ok).collect();
        children.sort_by_key(|c| c.file_name());
        // Push in reverse so the stack pops in name order.
        for child in children.iter().rev() {
            let name = child.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}/{name}");
            let Ok(md) = fs::symlink_metadata(child.path()) else {
                on_skip(format!("{}: cannot stat", child.path().display()));
                continue;
            };
            if md.is_dir() && md.dev() == meta.dev() {
                stack.push((child.path(), path.clone()));
            }
        }
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}/{name}");
            let full = child.path();
            let Ok(md) = fs::symlink_metadata(&full) else {
                continue;
            };
            let mode = md.permissions().mode() & 0o7777;
            let ft = md.file_type();
            count += 1;
            if ft.is_symlink() {
                let target = fs::read_link(&full)
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let entry = Entry {
                    path,
                    kind: EntryKind::Symlink(target),
                    mode,
                    size: 0,
                };
                visitor
                    .entry(&entry, &mut io::empty())
                    .map_err(|e| DirError::Io {
                        path: full.display().to_string(),
                        source: e,
                    })?;
            } else if ft.is_file() {
                let entry = Entry {
                    path,
                    kind: EntryKind::File,
                    mode,
                    size: md.len(),
                };
                let mut lazy = LazyFile {
                    path: &full,
                    file: None,
                };
                if let Err(e) = visitor.entry(&entry, &mut lazy) {
                    on_skip(format!("{}: {e}", full.display()));
                }
            } else if ft.is_dir() {
                let entry = Entry {
                    path,
                    kind: EntryKind::Dir,
                    mode,
                    size: 0,
                };
                visitor
                    .entry(&entry, &mut io::empty())
                    .map_err(|e| DirError::Io {
                        path: full.display().to_string(),
                        source: e,
                    })?;
            }
        }
    }
    Ok(count)
}

/// Opens the file only if the visitor reads it.
struct LazyFile<'a> {
    path: &'a Path,
    file: Option<fs::File>,
}

impl io::Read for LazyFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.file.is_none() {
            self.file = Some(fs::File::open(self.path)?);
        }
        match &mut self.file {
            Some(f) => f.read(buf),
            None => Ok(0),
        }
    }
}
