//! Integration tests of zoll-testimages: every output of `debian-min` and the Alpine images
//! exists and is a valid image (umoci and skopeo read it), a second build is a cache hit, and
//! `debian-full` holds what each of its layers is meant to add (and its whiteouts remove).
//! These build real images with real tools; a missing tool fails the test with the package to
//! install, it is never skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use zoll_testimages::{BuiltImage, build, names};

/// Runs a command that must exist and succeed; returns stdout.
fn run(program: &str, args: &[&str], install: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run {program} ({e}); install it with: {install}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The docker archive's `manifest.json`, parsed.
fn docker_manifest(archive: &Path) -> serde_json::Value {
    let mut tar = tar::Archive::new(fs_err::File::open(archive).unwrap());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().as_os_str() == "manifest.json" {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            return serde_json::from_str(&text).unwrap();
        }
    }
    panic!("no manifest.json in {}", archive.display());
}

/// Names of the top-level entries of the docker archive.
fn archive_entries(archive: &Path) -> Vec<String> {
    let mut tar = tar::Archive::new(fs_err::File::open(archive).unwrap());
    tar.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// For each layer of the docker archive (in manifest order), the paths of its entries.
fn layer_paths(archive: &Path) -> Vec<Vec<String>> {
    let manifest = docker_manifest(archive);
    let layers: Vec<String> = manifest[0]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tar = tar::Archive::new(fs_err::File::open(archive).unwrap());
    for entry in tar.entries().unwrap() {
        let entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if layers.contains(&name) && entry.header().entry_type().is_file() {
            let mut inner = tar::Archive::new(entry);
            let paths = inner
                .entries()
                .unwrap()
                .map(|e| {
                    let path = e.unwrap().path().unwrap().to_string_lossy().into_owned();
                    path.trim_start_matches("./").to_owned()
                })
                .collect();
            found.insert(name, paths);
        }
    }
    layers
        .iter()
        .map(|l| {
            found.remove(l).unwrap_or_else(|| {
                panic!("layer {l} listed in manifest.json is not in the archive")
            })
        })
        .collect()
}

/// The checks every image passes, returning the number of layers.
fn check_outputs(image: &BuiltImage) -> usize {
    assert!(image.oci_layout.join("index.json").is_file());
    assert!(image.oci_layout.join("oci-layout").is_file());
    let index: serde_json::Value =
        serde_json::from_slice(&fs_err::read(image.oci_layout.join("index.json")).unwrap())
            .unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        image.oci_tag.as_str()
    );
    let reference = format!("{}:{}", image.oci_layout.display(), image.oci_tag);
    run(
        "umoci",
        &["stat", "--image", &reference],
        "apt-get install -y umoci",
    );
    let inspect = run(
        "skopeo",
        &["inspect", &format!("oci:{reference}")],
        "apt-get install -y skopeo",
    );
    let inspect: serde_json::Value = serde_json::from_str(&inspect).unwrap();

    assert!(image.docker_archive.is_file());
    assert!(image.docker_archive_gz.is_file());
    let gz = fs_err::read(&image.docker_archive_gz).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "not gzip");
    let entries = archive_entries(&image.docker_archive);
    assert!(entries.iter().any(|e| e == "repositories"), "{entries:?}");
    let manifest = docker_manifest(&image.docker_archive);
    assert_eq!(
        manifest[0]["RepoTags"][0],
        format!("docker.io/zoll-testimages/{}:latest", image.name).as_str()
    );
    let layers = manifest[0]["Layers"].as_array().unwrap();
    assert!(!layers.is_empty());
    for layer in layers {
        assert!(
            entries.iter().any(|e| e == layer.as_str().unwrap()),
            "{layer} missing"
        );
    }
    assert_eq!(layers.len(), inspect["Layers"].as_array().unwrap().len());
    assert!(image.rootfs.join("etc").is_dir());
    layers.len()
}

/// A second build of the same name is a cache hit: same paths, well under a second.
fn check_cache_hit(image: &BuiltImage) {
    let started = Instant::now();
    let again = build(&image.name).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(&again, image);
    assert!(
        elapsed < Duration::from_secs(1),
        "cache hit took {elapsed:?}"
    );
}

#[test]
fn names_are_listed_and_unknown_names_fail() {
    assert_eq!(
        names(),
        &["debian-full", "debian-min", "alpine-310", "alpine-311"]
    );
    let error = build("no-such-image").unwrap_err().to_string();
    assert!(error.contains("debian-full"), "{error}");
}

#[test]
fn debian_min_outputs_and_cache() {
    let image = build("debian-min").unwrap();
    assert_eq!(check_outputs(&image), 1);
    let status = fs_err::read_to_string(image.rootfs.join("var/lib/dpkg/status")).unwrap();
    assert!(status.contains("Package: dpkg\n"));
    assert!(status.contains("Package: libc6\n"));
    assert!(!image.rootfs.join("dev/null").exists(), "device nodes kept");
    check_cache_hit(&image);
}

#[test]
fn alpine_outputs_and_cache() {
    for (name, version) in [("alpine-310", "3.10.4"), ("alpine-311", "3.11.5")] {
        let image = build(name).unwrap();
        assert_eq!(check_outputs(&image), 1);
        let release = fs_err::read_to_string(image.rootfs.join("etc/alpine-release")).unwrap();
        assert_eq!(release.trim(), version);
        let installed = fs_err::read_to_string(image.rootfs.join("lib/apk/db/installed")).unwrap();
        assert_eq!(
            installed.lines().filter(|l| l.starts_with("P:")).count(),
            14,
            "{name}"
        );
        check_cache_hit(&image);
    }
}

#[test]
fn debian_full_layers_hold_what_the_recipe_says() {
    let image = build("debian-full").unwrap();
    assert_eq!(check_outputs(&image), 7);
    let root = &image.rootfs;
    let read = |path: &str| {
        fs_err::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    };

    // Layer 1: Debian packages with their ecosystem metadata.
    let status = read("var/lib/dpkg/status");
    for package in [
        "python3",
        "ruby-rack",
        "liblog4j2-java",
        "libcommons-lang3-java",
    ] {
        assert!(
            status.contains(&format!("Package: {package}\n")),
            "{package}"
        );
    }
    let specs = fs_err::read_dir(root.join("usr/share/rubygems-integration/all/specifications"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert!(specs.iter().any(|s| s.starts_with("rack-")), "{specs:?}");
    let jar = fs_err::File::open(root.join("usr/share/java/commons-lang3-3.12.0.jar"))
        .or_else(|_| fs_err::File::open(root.join("usr/share/java/commons-lang3.jar")))
        .unwrap();
    let mut jar = zip::ZipArchive::new(jar).unwrap();
    assert!(
        jar.by_name("META-INF/maven/org.apache.commons/commons-lang3/pom.properties")
            .is_ok()
    );

    // Layer 2: PyPI packages, dist-info and egg-info.
    let site = "usr/local/lib/python3.11/dist-packages";
    let metadata = read(&format!("{site}/requests-2.19.1.dist-info/METADATA"));
    assert!(metadata.contains("Version: 2.19.1"));
    for dist in [
        "urllib3-1.24.1.dist-info",
        "Jinja2-2.10.dist-info",
        "Django-2.2.dist-info",
        "idna-2.7.dist-info",
        "certifi-2018.4.16.dist-info",
        "pyyaml-5.3.dist-info",
        "markupsafe-1.1.1.dist-info",
    ] {
        assert!(
            root.join(site).join(dist).join("METADATA").is_file(),
            "{dist}"
        );
    }
    assert!(
        read(&format!(
            "{site}/itsdangerous-0.24-py3.11.egg-info/PKG-INFO"
        ))
        .contains("Version: 0.24")
    );
    assert!(read("usr/local/bin/django-admin").starts_with("#!/usr/bin/python3\n"));

    // Layer 3: npm.
    let lodash: serde_json::Value =
        serde_json::from_str(&read("app/node_modules/lodash/package.json")).unwrap();
    assert_eq!(lodash["version"], "4.17.4");
    let lock: serde_json::Value = serde_json::from_str(&read("app/package-lock.json")).unwrap();
    assert_eq!(lock["lockfileVersion"], 3);
    assert_eq!(
        lock["packages"]["node_modules/minimist"]["version"],
        "1.2.0"
    );
    assert_eq!(lock["packages"]["node_modules/axios"]["version"], "0.21.0");

    // Layer 4: cargo-auditable's section.
    let sections = run(
        "readelf",
        &["-S", &root.join("usr/local/bin/rust-app").to_string_lossy()],
        "apt-get install -y binutils",
    );
    assert!(sections.contains(".dep-v0"), "{sections}");
    assert!(
        read("usr/src/rust-app/Cargo.lock").contains("name = \"smallvec\"\nversion = \"0.6.13\"")
    );

    // Layer 5: Go build info with a real module dependency.
    let info = run(
        "go",
        &[
            "version",
            "-m",
            &root.join("usr/local/bin/go-app").to_string_lossy(),
        ],
        "apt-get install -y golang-go",
    );
    assert!(info.contains("dep\tgolang.org/x/text\tv0.7.0"), "{info}");
    assert!(!info.contains("vcs."), "{info}");

    // Layer 6: extras.
    let installed: serde_json::Value =
        serde_json::from_str(&read("var/www/html/vendor/composer/installed.json")).unwrap();
    assert!(
        installed["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "guzzlehttp/guzzle" && p["version"] == "7.4.0")
    );
    let deps: serde_json::Value =
        serde_json::from_str(&read("opt/dotnet-app/app.deps.json")).unwrap();
    assert!(deps["libraries"]["Newtonsoft.Json/12.0.1"].is_object());
    let war = fs_err::File::open(root.join("opt/webapps/demo.war")).unwrap();
    let mut war = zip::ZipArchive::new(war).unwrap();
    let mut nested = Vec::new();
    war.by_name("WEB-INF/lib/commons-lang3-3.12.0.jar")
        .unwrap()
        .read_to_end(&mut nested)
        .unwrap();
    let mut nested = zip::ZipArchive::new(std::io::Cursor::new(nested)).unwrap();
    assert!(
        nested
            .by_name("META-INF/maven/org.apache.commons/commons-lang3/pom.properties")
            .is_ok()
    );

    // Whiteouts: the layers carry them, the rootfs has them applied.
    let layers = layer_paths(&image.docker_archive);
    assert_eq!(layers.len(), 7);
    let has = |layer: usize, path: &str| {
        layers[layer]
            .iter()
            .any(|p| p.trim_end_matches('/') == path)
    };
    assert!(has(1, &format!("{site}/chardet/__init__.py")));
    assert!(has(5, &format!("{site}/.wh.chardet")), "{:?}", layers[5]);
    assert!(has(5, &format!("{site}/.wh.chardet-3.0.4.dist-info")));
    assert!(!root.join(site).join("chardet").exists());
    assert!(!root.join(site).join("chardet-3.0.4.dist-info").exists());
    assert!(has(2, "app/public/vendor/jquery.min.js"));
    assert!(has(6, "app/public/.wh..wh..opq"), "{:?}", layers[6]);
    assert!(!root.join("app/public/vendor").exists());
    assert!(read("app/public/index.html").contains("without jQuery"));

    // Config.
    let reference = format!("oci:{}:{}", image.oci_layout.display(), image.oci_tag);
    let config = run(
        "skopeo",
        &["inspect", "--config", &reference],
        "apt-get install -y skopeo",
    );
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["config"]["User"], "nobody");
    assert_eq!(config["config"]["Cmd"][0], "/usr/local/bin/rust-app");
    let history = config["history"].as_array().unwrap();
    assert_eq!(history.len(), 8);
    assert!(history.iter().all(|h| h["created_by"].is_string()));

    check_cache_hit(&image);
}
