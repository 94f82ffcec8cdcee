//! Realistic container images for zoll's tests and benchmarks, built from real packages
//! (Debian, PyPI, npm, crates.io, Go) by real tools (mmdebstrap, umoci, skopeo, pip, npm,
//! cargo-auditable, go), cached on disk by recipe hash.
//!
//! ```no_run
//! let image = zoll_testimages::build("debian-min")?;
//! println!("{}", image.oci_layout.display());
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! The binary `zoll-testimages` does the same from the shell: `zoll-testimages list`,
//! `zoll-testimages build [NAME...]` (prints a JSON array of [`BuiltImage`], all images when
//! none is named), `zoll-testimages gc`.
//!
//! # Outputs
//!
//! Every image is produced in four forms, all of the same image ([`BuiltImage`]):
//! - `oci/`: an OCI image layout (written by umoci or skopeo), tagged `latest` through
//!   `org.opencontainers.image.ref.name` in `index.json`;
//! - `image.tar`: a `docker save`-style archive (`manifest.json` with `RepoTags`
//!   `docker.io/zoll-testimages/<name>:latest`, `repositories`, one `<digest>.tar` per layer,
//!   uncompressed), written by `skopeo copy oci:... docker-archive:...`;
//! - `image.tar.gz`: the same archive gzip-compressed;
//! - `rootfs/`: the flattened root filesystem (`umoci raw unpack`, whiteouts applied).
//!
//! # Images
//!
//! ## `debian-full` (7 layers, ~300 MB uncompressed, ~110 MB gzip'd)
//! The big one: a Debian 12 image holding packages of most ecosystems zoll catalogs, with old
//! releases that have published advisories, and the layer tricks a scanner must get right.
//! 1. `mmdebstrap --variant=minbase --include=python3,ca-certificates,ruby-rack,liblog4j2-java,
//!    libcommons-lang3-java,libjs-jquery bookworm` from bookworm, bookworm-updates and
//!    bookworm-security: a dpkg database; a real gemspec
//!    (`/usr/share/rubygems-integration/all/specifications/rack-*.gemspec`); real jars with
//!    `META-INF/maven/**/pom.properties` (`/usr/share/java/log4j-core-2.19.0.jar`,
//!    `commons-lang3-3.12.0.jar`, ...); jQuery. Added with `umoci raw add-layer`.
//! 2. PyPI packages in `/usr/local/lib/python3.11/dist-packages` (Debian's path), installed with
//!    the host's pip, `--no-deps`: wheels `requests 2.19.1`, `urllib3 1.24.1`, `Jinja2 2.10`,
//!    `Django 2.2` (asked for as `2.2.0`), `idna 2.7`, `chardet 3.0.4`, `certifi 2018.4.16`
//!    (`*.dist-info`); sdists built here `PyYAML 5.3` (`pyyaml-5.3.dist-info`) and
//!    `MarkupSafe 1.1.1`; and `itsdangerous 0.24` installed by `setup.py install`
//!    (`itsdangerous-0.24-py3.11.egg-info`). Console scripts (`django-admin`) in
//!    `/usr/local/bin`.
//! 3. `/app`: `package.json`, `package-lock.json` (lockfile v3), `node_modules` from `npm ci`:
//!    `lodash 4.17.4`, `minimist 1.2.0`, `axios 0.21.0`, `follow-redirects 1.13.0` (axios's
//!    dependency), plus `index.js`, `/app/public/index.html` and
//!    `/app/public/vendor/jquery.min.js`.
//! 4. `/usr/local/bin/rust-app`, built by `cargo auditable build --release --locked` from
//!    `recipes/rust-app` (its `.dep-v0` section lists `chrono 0.4.19`, `time 0.1.43`,
//!    `regex 1.5.4`, `smallvec 0.6.13` and their dependencies, all with RUSTSEC advisories), and
//!    its lock file at `/usr/src/rust-app/Cargo.lock`.
//! 5. `/usr/local/bin/go-app`, built offline (`GOPROXY=off -mod=vendor`, `CGO_ENABLED=0`,
//!    `-trimpath`) by the host's Go (Debian's 1.19) from `recipes/go-app`; its dependency
//!    `golang.org/x/text v0.7.0` is vendored from Debian's `golang-golang-x-text-dev` source,
//!    so the build info lists a real module.
//! 6. Extras: `/var/www/html/composer.json` and `/var/www/html/vendor/composer/installed.json`
//!    (composer 2 format: `guzzlehttp/guzzle 7.4.0`, `guzzlehttp/psr7 2.1.0`,
//!    `guzzlehttp/promises 1.5.1`, `symfony/http-foundation v5.4.0`, ...);
//!    `/opt/dotnet-app/app.deps.json` (`Newtonsoft.Json 12.0.1`,
//!    `System.Text.Encodings.Web 4.7.0`). No PHP or .NET toolchain can be installed here, so
//!    these two files are written by the recipe, shaped like the real tools' output, leaving out
//!    what could not be checked offline (composer source/dist references; the second package's
//!    sha512). `/opt/webapps/demo.war` (made with `zip`) nests the Debian jars
//!    `WEB-INF/lib/commons-lang3-3.12.0.jar`, `log4j-api-2.19.0.jar`, `log4j-core-2.19.0.jar`.
//!    And deletions: `chardet/`, `chardet-3.0.4.dist-info/` and `/usr/local/bin/chardetect`
//!    from layer 2, so this layer carries `.wh.chardet`, `.wh.chardet-3.0.4.dist-info` and
//!    `.wh.chardetect` and the rootfs has no chardet.
//! 7. An opaque directory: `app/public/.wh..wh..opq` plus a new `app/public/index.html`
//!    (written by hand and added with `umoci raw add-layer`, since umoci never emits opaque
//!    whiteouts); `/app/public/vendor/jquery.min.js` from layer 3 is gone from the rootfs.
//!
//! Config: `User nobody`, `Env PATH=... LANG=C.UTF-8`, `WorkingDir /app`,
//! `Cmd ["/usr/local/bin/rust-app"]`, OCI title/description labels, and a history entry with
//! `created_by` for every layer and for the config change.
//!
//! ## `debian-min` (1 layer, ~170 MB uncompressed, 96 packages)
//! `mmdebstrap --variant=minbase bookworm` alone, `Cmd ["bash"]`: a fast baseline with a real
//! dpkg database, for tests that need a Debian image but not the rest.
//!
//! ## `alpine-310`, `alpine-311` (1 layer each)
//! Real `docker save` archives of Alpine 3.10.4 and 3.11.5 (14 apk packages each) read from
//! `../shared/data/images/alpine-31{0,1}.tar.gz` relative to the workspace root (never copied
//! into the repository), converted with `skopeo copy docker-archive:... oci:...`. They pair with
//! the Alpine secdb data there.
//!
//! # Caching and concurrency
//!
//! Images live in `$ZOLL_TESTIMAGES_DIR/<name>-<recipe hash>/`, by default
//! `<workspace root>/target/testimages/`. The recipe hash covers the builder version, the
//! package lists and versions, every file under `recipes/` (embedded with `include_str!`) and,
//! for Alpine, the source archive's SHA-256; a warm call only hashes and checks that
//! `image.json` exists. A build takes an exclusive lock on `.<name>-<hash>.lock` (so two test
//! processes never build the same image twice), builds into a temporary directory beside the
//! final one and renames it into place. The Rust recipe's cargo target directory
//! (`.cargo-target`) and the Go build cache (`.go-cache`) live in the cache root too, never in
//! the workspace target directory. Old hashes are not removed automatically (a test process of
//! an older checkout may still read them): `zoll-testimages gc` ([`prune_stale`]) does it.
//!
//! # Tools
//!
//! umoci, skopeo and mmdebstrap (`apt-get install -y umoci skopeo mmdebstrap`); for
//! `debian-full` also python3 with pip, npm, cargo with `cargo install --locked
//! cargo-auditable`, go (`golang-go`), `golang-golang-x-text-dev`, zip and tar. A missing tool is
//! an error naming the package, never a silent skip. Builds run as root (mmdebstrap and umoci
//! keep file ownership).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

mod alpine;
mod cmd;
mod debian;
mod oci;
mod recipe;

/// Name of the file written last into a finished image directory.
const DONE_FILE: &str = "image.json";

/// A built (or cached) test image: the same image in every form zoll reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltImage {
    /// The recipe name, e.g. `debian-full`.
    pub name: String,
    /// An OCI image layout directory.
    pub oci_layout: PathBuf,
    /// The tag inside `index.json` (`org.opencontainers.image.ref.name`).
    pub oci_tag: String,
    /// A `docker save`-style uncompressed tar (`manifest.json` with `RepoTags`, `repositories`).
    pub docker_archive: PathBuf,
    /// The same archive, gzip-compressed.
    pub docker_archive_gz: PathBuf,
    /// The flattened root filesystem, whiteouts applied.
    pub rootfs: PathBuf,
    /// The recipe hash in the cache directory name.
    pub recipe_hash: String,
}

impl BuiltImage {
    fn at(name: &str, dir: &Path, recipe_hash: &str) -> Self {
        Self {
            name: name.to_owned(),
            oci_layout: dir.join(oci::OCI_DIR),
            oci_tag: oci::TAG.to_owned(),
            docker_archive: dir.join(oci::DOCKER_ARCHIVE),
            docker_archive_gz: dir.join(oci::DOCKER_ARCHIVE_GZ),
            rootfs: dir.join(oci::ROOTFS_DIR),
            recipe_hash: recipe_hash.to_owned(),
        }
    }
}

/// The names [`build`] accepts.
pub fn names() -> &'static [&'static str] {
    recipe::NAMES
}

/// The workspace root (two levels above this crate's manifest).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// `$ZOLL_TESTIMAGES_DIR` (made absolute), else `<workspace root>/target/testimages`.
fn cache_root() -> Result<PathBuf> {
    match std::env::var_os("ZOLL_TESTIMAGES_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                Ok(dir)
            } else {
                Ok(std::env::current_dir()
                    .context("could not read the current directory")?
                    .join(dir))
            }
        }
        _ => Ok(workspace_root().join("target/testimages")),
    }
}

/// Removes cached images whose recipe hash is no longer current (left behind by earlier recipe
/// or builder versions), with their lock files; returns the directories removed. Run it only
/// when no test process of an older checkout still reads those images.
pub fn prune_stale() -> Result<Vec<PathBuf>> {
    let root = cache_root()?;
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut current = Vec::new();
    for name in names() {
        current.push(format!("{name}-{}", recipe::Recipe::get(name)?.hash()?));
    }
    let mut removed = Vec::new();
    for entry in fs_err::read_dir(&root)? {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let dir_name = file_name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".lock"))
            .unwrap_or(&file_name);
        let stale = names().iter().any(|name| {
            dir_name
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|hash| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
        }) && !current.iter().any(|c| c == dir_name);
        if !stale {
            continue;
        }
        if entry.file_type()?.is_dir() {
            fs_err::remove_dir_all(entry.path())?;
        } else {
            fs_err::remove_file(entry.path())?;
        }
        removed.push(entry.path());
    }
    Ok(removed)
}

/// Builds the image `name` (one of [`names`]), or returns it from the cache.
pub fn build(name: &str) -> Result<BuiltImage> {
    let recipe = recipe::Recipe::get(name)?;
    let hash = recipe
        .hash()
        .with_context(|| format!("could not compute the recipe hash of {name}"))?;
    let root = cache_root()?;
    let dir_name = format!("{}-{hash}", recipe.name());
    let final_dir = root.join(&dir_name);
    let image = BuiltImage::at(recipe.name(), &final_dir, &hash);
    if final_dir.join(DONE_FILE).is_file() {
        return Ok(image);
    }

    fs_err::create_dir_all(&root)?;
    let lock_path = root.join(format!(".{dir_name}.lock"));
    let lock = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    lock.file()
        .lock()
        .with_context(|| format!("could not lock {}", lock_path.display()))?;
    if final_dir.join(DONE_FILE).is_file() {
        return Ok(image);
    }

    // Leftovers of builds that died while holding this lock.
    let tmp_prefix = format!(".tmp-{dir_name}-");
    for entry in fs_err::read_dir(&root)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(&tmp_prefix) {
            fs_err::remove_dir_all(entry.path())?;
        }
    }
    if final_dir.exists() {
        fs_err::remove_dir_all(&final_dir)?;
    }

    let tmp = tempfile::Builder::new()
        .prefix(&tmp_prefix)
        .tempdir_in(&root)
        .with_context(|| {
            format!(
                "could not create a temporary directory in {}",
                root.display()
            )
        })?;
    let out = tmp.path();
    let work = out.join("work");
    fs_err::create_dir_all(&work)?;
    let started = std::time::Instant::now();
    eprintln!("zoll-testimages: building {name} in {}", out.display());
    recipe
        .build_into(out, &work, &root)
        .with_context(|| format!("could not build test image {name}"))?;
    fs_err::remove_dir_all(&work)?;
    let json = serde_json::to_vec_pretty(&image).context("could not serialize the image paths")?;
    fs_err::write(out.join(DONE_FILE), json)?;
    let kept = tmp.keep();
    fs_err::rename(&kept, &final_dir)?;
    eprintln!(
        "zoll-testimages: built {name} in {:.1?}: {}",
        started.elapsed(),
        final_dir.display()
    );
    drop(lock);
    Ok(image)
}
