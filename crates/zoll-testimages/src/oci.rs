//! Steps every recipe shares: driving umoci over an OCI image layout (init, add a layer, unpack
//! into a bundle, repack a layer, set the config), and turning the finished layout into the other
//! outputs (docker archive via skopeo, its gzip, the flattened rootfs via `umoci raw unpack`).
//! Also small file helpers the recipes use to edit a rootfs.

use std::io::{BufReader, BufWriter};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd::{command, require, run};

/// The tag every layout carries (its `org.opencontainers.image.ref.name` in `index.json`).
pub(crate) const TAG: &str = "latest";
/// Output names inside an image's cache directory.
pub(crate) const OCI_DIR: &str = "oci";
pub(crate) const DOCKER_ARCHIVE: &str = "image.tar";
pub(crate) const DOCKER_ARCHIVE_GZ: &str = "image.tar.gz";
pub(crate) const ROOTFS_DIR: &str = "rootfs";

/// Checks the tools every recipe needs.
pub(crate) fn require_base_tools() -> Result<()> {
    require("umoci", "apt-get install -y umoci")?;
    require("skopeo", "apt-get install -y skopeo")?;
    Ok(())
}

fn image_ref(layout: &Path) -> String {
    format!("{}:{TAG}", layout.display())
}

/// `umoci init` + `umoci new`: an empty image (no layers, linux/amd64 config) tagged [`TAG`].
pub(crate) fn init_layout(layout: &Path) -> Result<()> {
    run(command("umoci", ["init", "--layout"]).arg(layout))?;
    run(command("umoci", ["new", "--image"]).arg(image_ref(layout)))?;
    Ok(())
}

/// `umoci raw add-layer`: appends an uncompressed layer tar verbatim, with a history entry.
pub(crate) fn add_layer_tar(layout: &Path, layer_tar: &Path, created_by: &str) -> Result<()> {
    run(command(
        "umoci",
        ["raw", "add-layer", "--history.created_by", created_by],
    )
    .arg("--image")
    .arg(image_ref(layout))
    .arg(layer_tar))?;
    Ok(())
}

/// `umoci unpack`: a runtime bundle whose `rootfs/` holds the image's current filesystem.
pub(crate) fn unpack_bundle(layout: &Path, bundle: &Path) -> Result<()> {
    run(command("umoci", ["unpack", "--image"])
        .arg(image_ref(layout))
        .arg(bundle))?;
    Ok(())
}

/// `umoci repack --refresh-bundle`: the changes made in `bundle/rootfs` since the last unpack or
/// repack become one new layer (deletions become `.wh.` whiteouts).
pub(crate) fn repack(layout: &Path, bundle: &Path, created_by: &str) -> Result<()> {
    run(command(
        "umoci",
        [
            "repack",
            "--refresh-bundle",
            "--history.created_by",
            created_by,
        ],
    )
    .arg("--image")
    .arg(image_ref(layout))
    .arg(bundle))?;
    Ok(())
}

/// `umoci config` with the given `--config.*` arguments and a history entry.
pub(crate) fn config(layout: &Path, args: &[String], created_by: &str) -> Result<()> {
    run(
        command("umoci", ["config", "--history.created_by", created_by])
            .args(args)
            .arg("--image")
            .arg(image_ref(layout)),
    )?;
    Ok(())
}

/// Writes the outputs derived from the finished layout in `out/oci`: `out/image.tar` (docker
/// archive, `RepoTags` = `zoll-testimages/<name>:latest`), `out/image.tar.gz` and `out/rootfs`.
pub(crate) fn finish(out: &Path, name: &str) -> Result<()> {
    let layout = out.join(OCI_DIR);
    run(command("umoci", ["gc", "--layout"]).arg(&layout))?;
    let archive = out.join(DOCKER_ARCHIVE);
    run(command("skopeo", ["--insecure-policy", "copy", "--quiet"])
        .arg(format!("oci:{}", image_ref(&layout)))
        .arg(format!(
            "docker-archive:{}:zoll-testimages/{name}:{TAG}",
            archive.display()
        )))?;
    gzip_file(&archive, &out.join(DOCKER_ARCHIVE_GZ))?;
    run(command("umoci", ["raw", "unpack", "--image"])
        .arg(image_ref(&layout))
        .arg(out.join(ROOTFS_DIR)))?;
    Ok(())
}

/// Gzip-compresses `src` into `dst` (default level, as `docker save | gzip` would).
pub(crate) fn gzip_file(src: &Path, dst: &Path) -> Result<()> {
    let mut reader = BufReader::new(fs_err::File::open(src)?);
    let writer = BufWriter::new(fs_err::File::create(dst)?);
    let mut encoder = flate2::write::GzEncoder::new(writer, flate2::Compression::default());
    std::io::copy(&mut reader, &mut encoder)
        .with_context(|| format!("could not gzip {} into {}", src.display(), dst.display()))?;
    let mut writer = encoder
        .finish()
        .with_context(|| format!("could not finish gzip stream {}", dst.display()))?;
    std::io::Write::flush(&mut writer)
        .with_context(|| format!("could not flush {}", dst.display()))?;
    Ok(())
}

/// Gunzips `src` into `dst`.
pub(crate) fn gunzip_file(src: &Path, dst: &Path) -> Result<()> {
    let mut decoder = flate2::read::GzDecoder::new(BufReader::new(fs_err::File::open(src)?));
    let mut writer = BufWriter::new(fs_err::File::create(dst)?);
    std::io::copy(&mut decoder, &mut writer)
        .with_context(|| format!("could not gunzip {} into {}", src.display(), dst.display()))?;
    std::io::Write::flush(&mut writer)
        .with_context(|| format!("could not flush {}", dst.display()))?;
    Ok(())
}

/// Writes `contents` to `path` (creating parent directories) with permission bits `mode`.
pub(crate) fn write_file(path: &Path, contents: impl AsRef<[u8]>, mode: u32) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    fs_err::write(path, contents)?;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Creates `path` and its parents with permission bits `mode` on the last one.
pub(crate) fn create_dir(path: &Path, mode: u32) -> Result<()> {
    fs_err::create_dir_all(path)?;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Moves every entry of `src` into `dst` (created if needed); fails if an entry already exists.
pub(crate) fn merge_dir(src: &Path, dst: &Path) -> Result<()> {
    fs_err::create_dir_all(dst)?;
    for entry in fs_err::read_dir(src)? {
        let entry = entry?;
        let target = dst.join(entry.file_name());
        if fs_err::symlink_metadata(&target).is_ok() {
            bail!(
                "cannot move {} to {}: it already exists",
                entry.path().display(),
                target.display()
            );
        }
        fs_err::rename(entry.path(), &target)?;
    }
    Ok(())
}

/// The host path of the regular file that `path_in_rootfs` (absolute or relative to `/`) names
/// inside `rootfs`, following symlinks the way the container would (absolute targets resolve
/// against `rootfs`, not the host).
pub(crate) fn resolve_in_rootfs(rootfs: &Path, path_in_rootfs: &str) -> Result<PathBuf> {
    let mut current = PathBuf::from("/").join(path_in_rootfs.trim_start_matches('/'));
    for _ in 0..16 {
        let host = rootfs.join(current.strip_prefix("/").unwrap_or(&current));
        let meta = fs_err::symlink_metadata(&host)?;
        if !meta.file_type().is_symlink() {
            return Ok(host);
        }
        let target = fs_err::read_link(&host)?;
        let base = current
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        current = normalize(&base.join(target));
    }
    bail!(
        "too many symlinks resolving {path_in_rootfs} in {}",
        rootfs.display()
    )
}

/// Lexically normalizes an absolute path (`.` and `..`; `..` never leaves `/`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The single regular file in `dir` whose name starts with `prefix` and ends with `suffix`
/// (e.g. the versioned `commons-lang3-3.12.0.jar`, not the unversioned symlink).
pub(crate) fn find_versioned_file(dir: &Path, prefix: &str, suffix: &str) -> Result<PathBuf> {
    let mut found = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rest = name
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(suffix));
        if rest.is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit())) {
            found.push(entry.path());
        }
    }
    found.sort();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no {prefix}<version>{suffix} in {}", dir.display()),
        many => bail!(
            "several {prefix}<version>{suffix} in {}: {many:?}",
            dir.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_resolve_inside_the_rootfs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_file(&root.join("usr/share/java/lib-1.0.jar"), "jar", 0o644).unwrap();
        std::os::unix::fs::symlink("lib-1.0.jar", root.join("usr/share/java/lib.jar")).unwrap();
        fs_err::create_dir_all(root.join("opt")).unwrap();
        // Absolute target: must resolve against the rootfs, not the host.
        std::os::unix::fs::symlink("/usr/share/java/lib.jar", root.join("opt/abs.jar")).unwrap();
        std::os::unix::fs::symlink("../../usr/share/java/lib.jar", root.join("opt/rel.jar"))
            .unwrap();
        for path in ["/usr/share/java/lib.jar", "opt/abs.jar", "/opt/rel.jar"] {
            assert_eq!(
                resolve_in_rootfs(root, path).unwrap(),
                root.join("usr/share/java/lib-1.0.jar"),
                "{path}"
            );
        }
        std::os::unix::fs::symlink("loop", root.join("opt/loop")).unwrap();
        assert!(resolve_in_rootfs(root, "/opt/loop").is_err());
    }

    #[test]
    fn versioned_files_are_told_from_unversioned_ones() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "log4j-api-2.19.0.jar",
            "log4j-api.jar",
            "log4j-core-2.19.0.jar",
        ] {
            write_file(&dir.path().join(name), "", 0o644).unwrap();
        }
        let found = find_versioned_file(dir.path(), "log4j-api-", ".jar").unwrap();
        assert_eq!(found, dir.path().join("log4j-api-2.19.0.jar"));
        assert!(find_versioned_file(dir.path(), "gson-", ".jar").is_err());
    }
}
