//! The Debian recipes: `debian-min` (one mmdebstrap minbase layer) and `debian-full` (seven
//! layers: Debian packages, PyPI packages, npm packages, a cargo-auditable Rust binary, a Go
//! binary, PHP/.NET/Java extras with whiteouts, and an opaque-directory layer). The constants
//! and embedded files here are the recipe: they are all hashed into the cache key.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{command, require, run};
use crate::oci::{self, create_dir, write_file};

/// mmdebstrap sources: Debian 12 with its updates and security suites.
const MIRRORS: &[&str] = &[
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
];

/// Options shared by both Debian recipes. Device nodes are left out, as in Docker's images.
const MMDEBSTRAP_OPTS: &[&str] = &["--variant=minbase", "--skip=output/dev"];

/// Debian packages added to minbase for `debian-full`: Python (for the PyPI layer), Ruby with a
/// real gemspec (`ruby-rack`), Java libraries with `pom.properties` inside their jars, and a
/// JavaScript library.
const FULL_PACKAGES: &[&str] = &[
    "python3",
    "ca-certificates",
    "ruby-rack",
    "liblog4j2-java",
    "libcommons-lang3-java",
    "libjs-jquery",
];

/// Debian's site directory for locally installed Python packages.
const PY_SITE: &str = "usr/local/lib/python3.11/dist-packages";
/// Old PyPI releases installed from wheels (dist-info).
const PIP_WHEELS: &[&str] = &[
    "requests==2.19.1",
    "urllib3==1.24.1",
    "Jinja2==2.10",
    "Django==2.2.0",
    "idna==2.7",
    "chardet==3.0.4",
    "certifi==2018.4.16",
];
/// Old PyPI releases that have no wheel for Python 3.11: built from their sdists (dist-info).
const PIP_SDISTS: &[&str] = &["PyYAML==5.3", "MarkupSafe==1.1.1"];
const PIP_SDIST_NAMES: &str = "PyYAML,MarkupSafe";
/// A PyPI release (sdist only) installed the legacy `setup.py install` way (egg-info).
const PIP_EGG: (&str, &str) = ("itsdangerous", "0.24");
/// What the whiteout layer deletes again (a package from the PyPI layer).
const DELETED_PY_PATHS: &[&str] = &["chardet", "chardet-3.0.4.dist-info"];

/// Packages of Debian's golang-golang-x-text-dev vendored into the Go app (the imports of
/// `cases` and `language`, transitively), and the module version they belong to.
const GO_TEXT_PKGS: &[&str] = &[
    "cases",
    "internal",
    "internal/language",
    "internal/language/compact",
    "internal/tag",
    "language",
    "transform",
    "unicode/norm",
];
const GO_TEXT_VERSION: &str = "0.7.0";
const GO_TEXT_DEB: &str = "golang-golang-x-text-dev";
const GO_TEXT_SRC: &str = "/usr/share/gocode/src/golang.org/x/text";

const ENV_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Files embedded in the crate: (path relative to `recipes/`, contents).
const FILES: &[(&str, &str)] = &[
    (
        "rust-app/Cargo.toml",
        include_str!("../recipes/rust-app/Cargo.toml"),
    ),
    (
        "rust-app/Cargo.lock",
        include_str!("../recipes/rust-app/Cargo.lock"),
    ),
    (
        "rust-app/src/main.rs",
        include_str!("../recipes/rust-app/src/main.rs"),
    ),
    ("go-app/go.mod", include_str!("../recipes/go-app/go.mod")),
    ("go-app/main.go", include_str!("../recipes/go-app/main.go")),
    (
        "node-app/package.json",
        include_str!("../recipes/node-app/package.json"),
    ),
    (
        "node-app/package-lock.json",
        include_str!("../recipes/node-app/package-lock.json"),
    ),
    (
        "node-app/index.js",
        include_str!("../recipes/node-app/index.js"),
    ),
    (
        "node-app/public-index-v1.html",
        include_str!("../recipes/node-app/public-index-v1.html"),
    ),
    (
        "node-app/public-index-v2.html",
        include_str!("../recipes/node-app/public-index-v2.html"),
    ),
    (
        "extras/composer.json",
        include_str!("../recipes/extras/composer.json"),
    ),
    (
        "extras/installed.json",
        include_str!("../recipes/extras/installed.json"),
    ),
    (
        "extras/app.deps.json",
        include_str!("../recipes/extras/app.deps.json"),
    ),
    ("extras/web.xml", include_str!("../recipes/extras/web.xml")),
    (
        "extras/MANIFEST.MF",
        include_str!("../recipes/extras/MANIFEST.MF"),
    ),
];

fn file(name: &str) -> Result<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, contents)| *contents)
        .with_context(|| format!("recipe file {name} is not embedded"))
}

/// Hash inputs of `debian-min`.
pub(crate) fn min_inputs() -> Vec<(String, Vec<u8>)> {
    vec![
        ("mirrors".into(), MIRRORS.join("\n").into_bytes()),
        ("mmdebstrap".into(), MMDEBSTRAP_OPTS.join(" ").into_bytes()),
    ]
}

/// Hash inputs of `debian-full`.
pub(crate) fn full_inputs() -> Vec<(String, Vec<u8>)> {
    let mut inputs = min_inputs();
    let lists: [(&str, &[&str]); 6] = [
        ("debian", FULL_PACKAGES),
        ("pip-wheels", PIP_WHEELS),
        ("pip-sdists", PIP_SDISTS),
        ("pip-deleted", DELETED_PY_PATHS),
        ("go-text-pkgs", GO_TEXT_PKGS),
        ("py-site", &[PY_SITE]),
    ];
    for (key, list) in lists {
        inputs.push((key.into(), list.join("\n").into_bytes()));
    }
    inputs.push((
        "pip-egg".into(),
        format!("{}=={}", PIP_EGG.0, PIP_EGG.1).into_bytes(),
    ));
    inputs.push(("go-text-version".into(), GO_TEXT_VERSION.into()));
    for (name, contents) in FILES {
        inputs.push(((*name).into(), contents.as_bytes().to_vec()));
    }
    inputs
}

fn mmdebstrap(packages: &[&str], out_tar: &Path) -> Result<()> {
    require("mmdebstrap", "apt-get install -y mmdebstrap")?;
    let mut cmd = command("mmdebstrap", MMDEBSTRAP_OPTS);
    if !packages.is_empty() {
        cmd.arg(format!("--include={}", packages.join(",")));
    }
    cmd.arg("bookworm").arg(out_tar).args(MIRRORS);
    run(&mut cmd)?;
    Ok(())
}

fn mmdebstrap_created_by(packages: &[&str]) -> String {
    let include = if packages.is_empty() {
        String::new()
    } else {
        format!(" --include={}", packages.join(","))
    };
    format!(
        "mmdebstrap {}{include} bookworm rootfs.tar",
        MMDEBSTRAP_OPTS.join(" ")
    )
}

/// `debian-min`: Debian 12 minbase as a single layer.
pub(crate) fn build_min(out: &Path, work: &Path) -> Result<()> {
    oci::require_base_tools()?;
    let layout = out.join(oci::OCI_DIR);
    let base_tar = work.join("rootfs.tar");
    mmdebstrap(&[], &base_tar)?;
    oci::init_layout(&layout)?;
    oci::add_layer_tar(&layout, &base_tar, &mmdebstrap_created_by(&[]))?;
    oci::config(
        &layout,
        &[
            format!("--config.env={ENV_PATH}"),
            "--config.cmd=bash".into(),
        ],
        "/bin/sh -c #(nop)  CMD [\"bash\"]",
    )?;
    oci::finish(out, "debian-min")
}

/// Tools `debian-full` needs beyond umoci/skopeo/mmdebstrap, checked before anything is built.
fn require_full_tools() -> Result<()> {
    require("python3", "apt-get install -y python3 python3-pip")?;
    require("npm", "apt-get install -y npm")?;
    require(
        "cargo",
        "rustup (https://rustup.rs), or apt-get install -y cargo",
    )?;
    require("cargo-auditable", "cargo install --locked cargo-auditable")?;
    require("go", "apt-get install -y golang-go")?;
    require("zip", "apt-get install -y zip")?;
    require("tar", "apt-get install -y tar")?;
    if !Path::new(GO_TEXT_SRC).is_dir() {
        bail!("{GO_TEXT_SRC} is missing; install it with: apt-get install -y {GO_TEXT_DEB}");
    }
    Ok(())
}

/// `debian-full`: see the crate documentation for the layers.
pub(crate) fn build_full(out: &Path, work: &Path, cache_root: &Path) -> Result<()> {
    oci::require_base_tools()?;
    require_full_tools()?;
    let layout = out.join(oci::OCI_DIR);
    let bundle = work.join("bundle");
    let rootfs = bundle.join("rootfs");

    // Layer 1: Debian packages.
    let base_tar = work.join("rootfs.tar");
    mmdebstrap(FULL_PACKAGES, &base_tar)?;
    oci::init_layout(&layout)?;
    oci::add_layer_tar(&layout, &base_tar, &mmdebstrap_created_by(FULL_PACKAGES))?;
    fs_err::remove_file(&base_tar)?;
    oci::unpack_bundle(&layout, &bundle)?;

    // Layer 2: PyPI packages.
    python_layer(&rootfs, work)?;
    oci::repack(
        &layout,
        &bundle,
        &format!(
            "/bin/sh -c pip install --no-deps --target /{PY_SITE} {} {} && python3 setup.py install ({}-{}, egg-info)",
            PIP_WHEELS.join(" "),
            PIP_SDISTS.join(" "),
            PIP_EGG.0,
            PIP_EGG.1
        ),
    )?;

    // Layer 3: npm packages in /app.
    node_layer(&rootfs)?;
    oci::repack(
        &layout,
        &bundle,
        "/bin/sh -c cd /app && npm ci --omit=dev --ignore-scripts",
    )?;

    // Layer 4: a Rust binary with cargo-auditable's dependency section.
    rust_layer(&rootfs, work, cache_root)?;
    oci::repack(
        &layout,
        &bundle,
        "/bin/sh -c cargo auditable build --release --locked && install -m 0755 target/release/rust-app /usr/local/bin/rust-app",
    )?;

    // Layer 5: a Go binary with a vendored module dependency.
    go_layer(&rootfs, work, cache_root)?;
    oci::repack(
        &layout,
        &bundle,
        "/bin/sh -c GOFLAGS=-mod=vendor CGO_ENABLED=0 go build -trimpath -buildvcs=false -o /usr/local/bin/go-app .",
    )?;

    // Layer 6: PHP/.NET manifests, a .war nesting Debian jars, and deletions (whiteouts).
    extras_layer(&rootfs, work)?;
    oci::repack(
        &layout,
        &bundle,
        "/bin/sh -c #(nop) COPY composer.json installed.json app.deps.json demo.war && rm -rf /usr/local/lib/python3.11/dist-packages/chardet* /usr/local/bin/chardetect",
    )?;

    // Layer 7: an opaque directory replacing /app/public, written by hand (umoci repack never
    // emits `.wh..wh..opq`; Docker does when a directory is removed and recreated in one step).
    let opaque_tar = work.join("opaque-layer.tar");
    opaque_layer_tar(work, &opaque_tar)?;
    oci::add_layer_tar(
        &layout,
        &opaque_tar,
        "/bin/sh -c rm -rf /app/public && mkdir /app/public && cp index.html /app/public/",
    )?;

    oci::config(
        &layout,
        &[
            "--config.user=nobody".into(),
            format!("--config.env={ENV_PATH}"),
            "--config.env=LANG=C.UTF-8".into(),
            "--config.workingdir=/app".into(),
            "--config.cmd=/usr/local/bin/rust-app".into(),
            "--config.label=org.opencontainers.image.title=zoll-testimages/debian-full".into(),
            "--config.label=org.opencontainers.image.description=Debian 12 with PyPI, npm, Rust, Go, PHP, .NET and Java artefacts for zoll tests".into(),
        ],
        "/bin/sh -c #(nop)  USER nobody WORKDIR /app CMD [\"/usr/local/bin/rust-app\"]",
    )?;
    fs_err::remove_dir_all(&bundle)?;
    oci::finish(out, "debian-full")
}

fn python3() -> Command {
    let mut cmd = Command::new("python3");
    cmd.env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

/// Layer 2: wheels and sdists with pip into Debian's `dist-packages`, one sdist with `setup.py
/// install` (egg-info); console scripts go to `/usr/local/bin` with a Debian shebang.
fn python_layer(rootfs: &Path, work: &Path) -> Result<()> {
    let site = rootfs.join(PY_SITE);
    fs_err::create_dir_all(&site)?;

    let wheels = work.join("pip-wheels");
    run(python3()
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--target",
        ])
        .arg(&wheels)
        .args(PIP_WHEELS))?;
    let sdists = work.join("pip-sdists");
    run(python3()
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--no-binary",
            PIP_SDIST_NAMES,
            "--target",
        ])
        .arg(&sdists)
        .args(PIP_SDISTS))?;
    for stage in [&wheels, &sdists] {
        let bin = stage.join("bin");
        if bin.is_dir() {
            install_scripts(&bin, &rootfs.join("usr/local/bin"))?;
            fs_err::remove_dir(&bin)?;
        }
        oci::merge_dir(stage, &site)?;
    }

    // The egg-info way: `setup.py install --single-version-externally-managed`, as pip < 23.1
    // did for sdists without a wheel build.
    let (name, version) = PIP_EGG;
    let download = work.join("egg-sdist");
    run(python3()
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary=:all:",
            "--dest",
        ])
        .arg(&download)
        .arg(format!("{name}=={version}")))?;
    let sdist = download.join(format!("{name}-{version}.tar.gz"));
    run(command("tar", ["-xzf"])
        .arg(&sdist)
        .arg("-C")
        .arg(&download))?;
    run(python3()
        .current_dir(download.join(format!("{name}-{version}")))
        .args([
            "setup.py",
            "-q",
            "install",
            "--single-version-externally-managed",
            "--record",
        ])
        .arg(work.join("egg-record.txt"))
        .arg("--root")
        .arg(rootfs)
        .arg("--install-lib")
        .arg(format!("/{PY_SITE}")))?;
    let egg_info = site.join(format!("{name}-{version}-py3.11.egg-info"));
    if !egg_info.is_dir() {
        bail!(
            "setup.py install did not create {} (is the host python3 3.11?)",
            egg_info.display()
        );
    }
    Ok(())
}

/// Moves pip's console scripts into `dest`, pointing their shebang at Debian's python3.
fn install_scripts(bin: &Path, dest: &Path) -> Result<()> {
    fs_err::create_dir_all(dest)?;
    for entry in fs_err::read_dir(bin)? {
        let entry = entry?;
        let text = fs_err::read_to_string(entry.path())?;
        let body = match text.split_once('\n') {
            Some((first, rest)) if first.starts_with("#!") => rest,
            _ => text.as_str(),
        };
        write_file(
            &dest.join(entry.file_name()),
            format!("#!/usr/bin/python3\n{body}"),
            0o755,
        )?;
        fs_err::remove_file(entry.path())?;
    }
    Ok(())
}

/// Layer 3: `/app` with package.json, package-lock.json (v3), node_modules from `npm ci`, and
/// static files in `/app/public` (jQuery copied from the Debian package).
fn node_layer(rootfs: &Path) -> Result<()> {
    let app = rootfs.join("app");
    create_dir(&app, 0o755)?;
    for name in ["package.json", "package-lock.json", "index.js"] {
        write_file(&app.join(name), file(&format!("node-app/{name}"))?, 0o644)?;
    }
    run(command(
        "npm",
        [
            "ci",
            "--omit=dev",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
        ],
    )
    .current_dir(&app))?;
    let public = app.join("public");
    write_file(
        &public.join("index.html"),
        file("node-app/public-index-v1.html")?,
        0o644,
    )?;
    let jquery = oci::resolve_in_rootfs(rootfs, "/usr/share/javascript/jquery/jquery.min.js")?;
    write_file(
        &public.join("vendor/jquery.min.js"),
        fs_err::read(&jquery)?,
        0o644,
    )?;
    Ok(())
}

/// Writes the embedded files under `prefix` (e.g. `rust-app/`) into `dest`.
fn write_embedded(prefix: &str, dest: &Path) -> Result<()> {
    for (name, contents) in FILES {
        if let Some(rel) = name.strip_prefix(prefix) {
            write_file(&dest.join(rel), contents, 0o644)?;
        }
    }
    Ok(())
}

/// Layer 4: `rust-app` built with `cargo auditable` (release, `--locked`) in a target directory
/// under the cache root; binary to `/usr/local/bin/rust-app`, lock file to
/// `/usr/src/rust-app/Cargo.lock`.
fn rust_layer(rootfs: &Path, work: &Path, cache_root: &Path) -> Result<()> {
    let src = work.join("rust-app");
    write_embedded("rust-app/", &src)?;
    let target = cache_root.join(".cargo-target");
    run(
        command("cargo", ["auditable", "build", "--release", "--locked"])
            .current_dir(&src)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET"),
    )
    .context("building the rust-app recipe with cargo-auditable")?;
    let binary = fs_err::read(target.join("release/rust-app"))?;
    write_file(&rootfs.join("usr/local/bin/rust-app"), binary, 0o755)?;
    write_file(
        &rootfs.join("usr/src/rust-app/Cargo.lock"),
        file("rust-app/Cargo.lock")?,
        0o644,
    )?;
    Ok(())
}

/// The upstream version of an installed Debian package (`0.7.0-1` -> `0.7.0`).
fn deb_upstream_version(package: &str) -> Result<String> {
    let version = run(&mut command("dpkg-query", ["-W", "-f=${Version}", package]))
        .with_context(|| format!("{package} is not installed; apt-get install -y {package}"))?;
    let version = version.trim();
    let without_epoch = version.split_once(':').map_or(version, |(_, v)| v);
    let upstream = without_epoch
        .rsplit_once('-')
        .map_or(without_epoch, |(v, _)| v);
    Ok(upstream.to_owned())
}

/// Layer 5: `go-app` built with the host's Go (Debian's 1.19) offline, its dependency
/// golang.org/x/text vendored from Debian's golang-golang-x-text-dev.
fn go_layer(rootfs: &Path, work: &Path, cache_root: &Path) -> Result<()> {
    let installed = deb_upstream_version(GO_TEXT_DEB)?;
    if installed != GO_TEXT_VERSION {
        bail!(
            "{GO_TEXT_DEB} {installed} is installed but the go-app recipe vendors v{GO_TEXT_VERSION}; update GO_TEXT_VERSION and recipes/go-app/go.mod"
        );
    }
    let src = work.join("go-app");
    write_embedded("go-app/", &src)?;
    let vendor = src.join("vendor/golang.org/x/text");
    for pkg in GO_TEXT_PKGS {
        let from = Path::new(GO_TEXT_SRC).join(pkg);
        let to = vendor.join(pkg);
        fs_err::create_dir_all(&to)?;
        for entry in fs_err::read_dir(&from)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_file() && name.ends_with(".go") && !name.ends_with("_test.go")
            {
                fs_err::copy(entry.path(), to.join(&name))?;
            }
        }
    }
    let mut modules_txt = format!("# golang.org/x/text v{GO_TEXT_VERSION}\n## explicit; go 1.17\n");
    for pkg in GO_TEXT_PKGS {
        modules_txt.push_str(&format!("golang.org/x/text/{pkg}\n"));
    }
    write_file(&src.join("vendor/modules.txt"), modules_txt, 0o644)?;
    let out = rootfs.join("usr/local/bin/go-app");
    run(
        command("go", ["build", "-trimpath", "-buildvcs=false", "-o"])
            .arg(&out)
            .arg(".")
            .current_dir(&src)
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=vendor")
            .env("GO111MODULE", "on")
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "0")
            .env("GOCACHE", cache_root.join(".go-cache"))
            .env("GOPATH", work.join("gopath")),
    )
    .context("building the go-app recipe")?;
    Ok(())
}

/// Layer 6: a composer 2 `installed.json` and a .NET `app.deps.json` (written by the recipe: no
/// PHP or .NET toolchain is available here), a `.war` nesting real Debian jars (built with
/// `zip`), and the deletion of a PyPI package from layer 2 (whiteouts).
fn extras_layer(rootfs: &Path, work: &Path) -> Result<()> {
    let php = rootfs.join("var/www/html");
    write_file(
        &php.join("composer.json"),
        file("extras/composer.json")?,
        0o644,
    )?;
    write_file(
        &php.join("vendor/composer/installed.json"),
        file("extras/installed.json")?,
        0o644,
    )?;
    write_file(
        &rootfs.join("opt/dotnet-app/app.deps.json"),
        file("extras/app.deps.json")?,
        0o644,
    )?;

    let war = work.join("war");
    write_file(&war.join("WEB-INF/web.xml"), file("extras/web.xml")?, 0o644)?;
    write_file(
        &war.join("META-INF/MANIFEST.MF"),
        file("extras/MANIFEST.MF")?,
        0o644,
    )?;
    let java = rootfs.join("usr/share/java");
    for prefix in ["commons-lang3-", "log4j-api-", "log4j-core-"] {
        let jar = oci::find_versioned_file(&java, prefix, ".jar")?;
        let name = jar
            .file_name()
            .with_context(|| format!("no file name in {}", jar.display()))?
            .to_string_lossy()
            .into_owned();
        let real = oci::resolve_in_rootfs(rootfs, &format!("/usr/share/java/{name}"))?;
        write_file(
            &war.join("WEB-INF/lib").join(&name),
            fs_err::read(&real)?,
            0o644,
        )?;
    }
    let war_file = rootfs.join("opt/webapps/demo.war");
    create_dir(
        war_file
            .parent()
            .with_context(|| format!("no parent of {}", war_file.display()))?,
        0o755,
    )?;
    run(command("zip", ["-q", "-X", "-r"])
        .arg(&war_file)
        .args(["META-INF", "WEB-INF"])
        .current_dir(&war))?;

    // Whiteouts: the package and its console script go away again.
    let site = rootfs.join(PY_SITE);
    for name in DELETED_PY_PATHS {
        let path = site.join(name);
        if !path.exists() {
            bail!("{} should exist before the whiteout layer", path.display());
        }
        fs_err::remove_dir_all(&path)?;
    }
    let script = rootfs.join("usr/local/bin/chardetect");
    if script.exists() {
        fs_err::remove_file(&script)?;
    }
    Ok(())
}

/// Layer 7 as a tar: `app/public/.wh..wh..opq` followed by the new `app/public/index.html`.
fn opaque_layer_tar(work: &Path, out: &Path) -> Result<()> {
    let stage = work.join("opaque");
    let public = stage.join("app/public");
    create_dir(&stage.join("app"), 0o755)?;
    create_dir(&public, 0o755)?;
    write_file(&public.join(".wh..wh..opq"), "", 0o644)?;
    write_file(
        &public.join("index.html"),
        file("node-app/public-index-v2.html")?,
        0o644,
    )?;
    // Explicit order (the opaque marker right after its directory), no recursion.
    let entries: [PathBuf; 4] = [
        "app".into(),
        "app/public".into(),
        "app/public/.wh..wh..opq".into(),
        "app/public/index.html".into(),
    ];
    run(command(
        "tar",
        [
            "--create",
            "--no-recursion",
            "--numeric-owner",
            "--owner=0",
            "--group=0",
        ],
    )
    .arg("--file")
    .arg(out)
    .arg("-C")
    .arg(&stage)
    .args(entries))?;
    Ok(())
}
